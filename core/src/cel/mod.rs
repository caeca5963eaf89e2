//! CEL for rules: the environment with the Kubernetes library (`env`,
//! `k8s`), conversion of JSON values (`values`), and the checks made when a
//! policy loads (`check`, `depth`, `access`). Imports nothing else of the crate.

pub(crate) mod access;
mod check;
pub(crate) mod depth;
mod env;
mod k8s;
mod quantity;
mod values;

pub use check::static_error;
pub use env::env;
pub use values::display;
