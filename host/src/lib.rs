//! Compiled policy modules (SPEC §6): `link` builds one from a policy
//! bundle and the guest runtime; `host` runs them with wasmtime.

pub mod bundle;
pub mod files;
pub mod host;
pub mod link;

pub use assay_runtime::Bundle;
pub use bundle::{build, bundle, FileSystem};
pub use host::{Host, Limits, LoadedModule, ModuleError};
pub use link::{link, metadata, Metadata};

/// The guest runtime, built for wasm32-unknown-unknown with assay itself.
pub const RUNTIME: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/runtime.wasm"));
