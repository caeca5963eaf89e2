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

/// Reads a `limits` object (JSON text) over the defaults: every limit by
/// name, as JSON text (docs/limits.md). Throws an error answer (JSON text)
/// naming what is wrong: an unknown name, a value that sets no limit.
#[wasm_bindgen(js_name = readLimits)]
pub fn read_limits(limits: &str) -> Result<String, String> {
    let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(limits)
        .map_err(|_| bad_request("`limits` is an object of limit names to values"))?;
    let limits = assay_core::Limits::DEFAULT
        .with_object(&object)
        .map_err(|e| bad_request(&e.to_string()))?;
    let entries: serde_json::Map<String, serde_json::Value> = limits
        .entries()
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
    Ok(serde_json::Value::Object(entries).to_string())
}

fn bad_request(message: &str) -> String {
    serde_json::json!({"error": {"message": message}}).to_string()
}
