//! assay-core: policy model, loader, compiler and evaluator. No I/O, so it
//! builds for `wasm32-unknown-unknown` and every host shares it.
//!
//! The modules are layers, each importing only those below it
//! (docs/architecture.md; `tests/layers.rs` holds them to it):
//!
//! ```text
//! api           the JSON call/answer protocol, test cases
//! check         documents -> report; patches; admission reviews
//! set           PolicySet: the compiled policies of a load
//! eval rollout  compiling and evaluating validation / rollout policies
//! cel policy    CEL environment; policy files as written
//! report redact the report and its renderers; secret values masked
//! diag          Finding, Severity, Verdict, Pos
//! parse         YAML / JSON / .env text -> documents with positions
//! ```

pub mod api;
mod cel;
pub mod check;
pub mod diag;
pub mod eval;
pub mod library;
pub mod parse;
pub mod policy;
pub mod redact;
pub mod report;
pub mod rollout;
pub mod set;
pub mod wasm_alloc;

pub use diag::{Finding, Pos, Severity, Verdict};
pub use eval::limits::{LimitError, Limits};
pub use eval::EvalInput;
pub use policy::{PolicyError, PolicyErrorKind};
pub use report::{DocResult, Report};
pub use set::PolicySet;
