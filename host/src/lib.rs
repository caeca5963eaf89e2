//! The host layer of the native hosts (the CLI and the Python package):
//! `evaluator` answers with YAML policies or a compiled module alike, and
//! `files` reads inputs and policies from disk, `stream` inputs too large
//! to read at once a chunk of documents at a time. Compiled policy modules
//! (docs/module-abi.md): `link` builds one from a policy bundle and the
//! guest runtime; `host` runs them with wasmtime.

pub mod bundle;
mod error;
pub mod evaluator;
pub mod files;
pub mod host;
pub mod link;
pub mod stream;

pub use assay_runtime::Bundle;
pub use bundle::{build, bundle, FileSystem};
pub use evaluator::{load, merge, Duplicate, Evaluator, EvaluatorError, LoadError};
pub use host::{Host, Limits, LoadedModule, ModuleError};
pub use link::{link, metadata, Metadata};

/// The guest runtime, built for wasm32-unknown-unknown with assay itself.
pub const RUNTIME: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/runtime.wasm"));
