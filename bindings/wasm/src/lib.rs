//! Assay for JavaScript: a compiled policy set and core's JSON call API,
//! through wasm-bindgen. No logic lives here; the JS wrapper in `js/` turns
//! answers into plain objects and error answers into thrown errors.

use assay_core::PolicySet;
use wasm_bindgen::prelude::*;

/// A policy set compiled once and kept in wasm memory until `free()` (or
/// until the garbage collector finalizes its JS object).
#[wasm_bindgen]
pub struct Compiled {
    set: PolicySet,
}

#[wasm_bindgen]
impl Compiled {
    /// Compiles policy files, given as JSON `[[name, text], ...]`. Throws
    /// the error answer (JSON text) of `assay_core::api::load`.
    pub fn load(files: &str) -> Result<Compiled, String> {
        let files: Vec<(String, String)> =
            serde_json::from_str(files).map_err(|e| bad_request(&format!("policy files: {e}")))?;
        assay_core::api::load(&files).map(|set| Compiled { set })
    }

    /// The built-in policy library.
    pub fn defaults() -> Result<Compiled, String> {
        assay_core::api::load(&assay_core::library::files()).map(|set| Compiled { set })
    }

    /// Answers one JSON request (see `assay_core::api`).
    pub fn call(&self, request: &str) -> String {
        assay_core::api::call(&self.set, request.as_bytes())
    }

    /// Answers a check request whose input is bytes (see
    /// `assay_core::api::call_with_input`).
    #[wasm_bindgen(js_name = callWithInput)]
    pub fn call_with_input(&self, request: &str, input: &[u8]) -> String {
        assay_core::api::call_with_input(&self.set, request.as_bytes(), input)
    }
}

fn bad_request(message: &str) -> String {
    serde_json::json!({"error": {"message": message}}).to_string()
}
