//! CEL for rules: the environment with the Kubernetes library (`env`,
//! `k8s`), conversion of JSON values (`values`), runtime errors worded
//! deterministically (`errors`), and the checks made when a
//! policy loads (`check`, `depth`, `access`), the cost budget that bounds a
//! rule's work as it runs (`budget`, `instrument`) and the estimate of that
//! cost made when it loads (`estimate`, with `sizes` and `yields`). Imports
//! nothing else of the crate.

pub(crate) mod access;
pub(crate) mod budget;
mod check;
pub(crate) mod depth;
mod env;
mod errors;
pub(crate) mod estimate;
mod instrument;
mod k8s;
mod quantity;
mod sizes;
mod values;
mod yields;

pub use check::static_error;
pub use env::env;
pub use errors::describe as describe_error;
pub use instrument::instrument;
pub use values::display;
