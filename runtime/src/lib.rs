//! The guest runtime of compiled policy modules (docs/module-abi.md).
//!
//! Built once for `wasm32-unknown-unknown` when assay is built. `assay build`
//! links a policy into a copy of it: the policy goes into pages appended to
//! the initial memory, and their place is written into `POLICY_SLOT`. The
//! allocator only uses memory it grows, so it never touches those pages.

use assay_core::eval::schema_files::{ReadError, SchemaFiles};
use assay_core::PolicySet;
use serde::{Deserialize, Serialize};
use std::cell::OnceCell;
use std::collections::BTreeMap;

// talc grows memory the same way as the default dlmalloc, and is faster;
// the size-class cache in front of it more so (benches/README.md).
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: assay_core::wasm_alloc::SizeClassCache<talc::wasm::WasmDynamicTalc> =
    assay_core::wasm_alloc::SizeClassCache::new(talc::wasm::new_wasm_dynamic_allocator());

/// Version of the exports and their JSON; bumped on any incompatible change.
pub const ABI_VERSION: u32 = 1;

/// What `assay build` links into a module: the policy files, and the files
/// their schemas refer to, so the guest compiles them without I/O.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bundle {
    /// (name, text) of each policy file.
    pub files: Vec<(String, String)>,
    /// Base URI of each policy file whose schemas refer to other files.
    #[serde(default)]
    pub base_uris: BTreeMap<String, String>,
    /// URI → (text, name) of each referenced file.
    #[serde(default)]
    pub referenced: BTreeMap<String, (String, String)>,
}

impl SchemaFiles for Bundle {
    fn base_uri(&self, policy_file: &str) -> Option<String> {
        self.base_uris.get(policy_file).cloned()
    }

    fn read(&self, uri: &str) -> Result<(String, String), ReadError> {
        self.referenced
            .get(uri)
            .cloned()
            .ok_or_else(|| ReadError::NotBundled(uri.to_owned()))
    }
}

impl Bundle {
    pub fn load(&self) -> Result<PolicySet, String> {
        PolicySet::load_with(&self.files, self).map_err(|errors| {
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        })
    }
}

/// The marker `assay build` looks for, then the policy's offset and length
/// (little-endian u32 each).
pub const SLOT_MARKER: &[u8; 24] = b"assay-policy-slot-v1:\0\0\0";

#[used]
#[no_mangle]
static POLICY_SLOT: [u8; 32] = *b"assay-policy-slot-v1:\0\0\0\0\0\0\0\0\0\0\0";

fn linked_bundle() -> Result<Bundle, String> {
    // Volatile: the slot is written after compilation, so it must not be folded.
    let slot = unsafe { std::ptr::read_volatile(&POLICY_SLOT) };
    let word = |at: usize| {
        let mut b = [0u8; 4];
        b.copy_from_slice(&slot[at..at + 4]);
        u32::from_le_bytes(b) as usize
    };
    let (offset, len) = (word(24), word(28));
    if len == 0 {
        return Err(
            "no policy is linked into this module; build one with `assay build`".to_owned(),
        );
    }
    // The pages `assay build` appended hold the bundle.
    let bytes = unsafe { std::slice::from_raw_parts(offset as *const u8, len) };
    serde_json::from_slice(bytes).map_err(|e| format!("the linked policy does not read: {e}"))
}

thread_local! {
    /// The policy, compiled on the first call and kept for the instance's life.
    static POLICY: OnceCell<Result<PolicySet, String>> = const { OnceCell::new() };
}

/// Answers one request (see `assay_core::api`).
pub fn evaluate(request: &[u8]) -> String {
    POLICY.with(
        |cell| match cell.get_or_init(|| linked_bundle().and_then(|b| b.load())) {
            Ok(set) => assay_core::api::call(set, request),
            Err(message) => serde_json::json!({"error": {"message": message}}).to_string(),
        },
    )
}

/// Seeds for jsonschema's hash maps: a policy needs no randomness, and fixed
/// seeds make every run of a module the same.
#[cfg(target_arch = "wasm32")]
#[no_mangle]
unsafe extern "Rust" fn __getrandom_v03_custom(
    dest: *mut u8,
    len: usize,
) -> Result<(), getrandom::Error> {
    for i in 0..len {
        unsafe { dest.add(i).write(0x5a ^ i as u8) };
    }
    Ok(())
}

/// ABI: the version of the exports.
#[no_mangle]
pub extern "C" fn assay_abi_version() -> u32 {
    ABI_VERSION
}

/// ABI: `len` bytes for the host to write a request into.
#[no_mangle]
pub extern "C" fn assay_alloc(len: usize) -> *mut u8 {
    let mut buf = Vec::<u8>::new();
    // 0 rather than a trap: the exports never trap on bad input.
    if buf.try_reserve_exact(len).is_err() {
        return std::ptr::null_mut();
    }
    let ptr = buf.as_mut_ptr();
    std::mem::forget(buf);
    ptr
}

/// ABI: frees what `assay_alloc` or `assay_evaluate` gave out.
///
/// # Safety
/// `ptr` and `len` must be a block from `assay_alloc(len)` or an answer of
/// `assay_evaluate`, freed once.
#[no_mangle]
pub unsafe extern "C" fn assay_free(ptr: *mut u8, len: usize) {
    if !ptr.is_null() {
        drop(unsafe { Vec::from_raw_parts(ptr, 0, len) });
    }
}

/// ABI: answers the JSON request in `ptr[..len]`; returns the answer's
/// pointer in the high 32 bits and its length in the low 32 bits. The host
/// frees the answer with `assay_free`, and the request too.
///
/// # Safety
/// `ptr[..len]` must be memory the host wrote (from `assay_alloc`).
#[no_mangle]
pub unsafe extern "C" fn assay_evaluate(ptr: *const u8, len: usize) -> u64 {
    let request = if ptr.is_null() {
        &[][..]
    } else {
        unsafe { std::slice::from_raw_parts(ptr, len) }
    };
    let answer = evaluate(request).into_bytes();
    // Capacity == length, so `assay_free(ptr, len)` frees it exactly.
    let answer = answer.into_boxed_slice();
    let len = answer.len() as u64;
    let ptr = Box::into_raw(answer) as *mut u8 as usize as u64;
    (ptr << 32) | len
}
