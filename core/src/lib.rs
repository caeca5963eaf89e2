//! assay-core: policy model, loader, compiler and evaluator. No I/O, so it
//! builds for `wasm32-unknown-unknown` and every host shares it.

pub mod api;
mod cel_access;
mod cel_depth;
pub mod cel_lib;
pub mod check;
pub mod engine;
mod fast_yaml;
mod k8s_cel;
pub mod policy;
pub mod report;
pub mod rollout;
pub mod schema;
pub mod schema_files;
pub mod secrets;
pub mod source;
pub mod wasm_alloc;

pub use engine::{EvalInput, PolicySet};
pub use policy::{PolicyError, Severity};
pub use report::{DocResult, Finding, Report, Verdict};
pub mod cases;
pub mod library;
pub mod patch;
pub mod review;
