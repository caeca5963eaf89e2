//! Rollout decisions (ROLLOUT.md): `RolloutPolicy` documents, the pure
//! `decide` function and the statistics it needs.

mod decide;
mod policy;
pub mod stats;

pub use decide::{
    fmt_num, fmt_p, Action, CheckResult, Decision, DecisionInput, InputError, Outcome, State,
};
pub use policy::{
    compile, BaselineBounds, Check, NoData, RolloutPolicy, Settings, Test, TestMethod,
};
