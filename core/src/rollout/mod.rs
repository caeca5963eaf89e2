//! Rollout decisions (docs/rollout.md): `RolloutPolicy` documents, the pure
//! `decide` function and the statistics it needs.

mod decide;
mod decision;
mod input;
mod policy;
pub mod stats;

pub use decision::{fmt_num, fmt_p, Action, CheckResult, Decision, Outcome, State};
pub use input::{DecisionInput, InputError};
pub use policy::{
    compile, BaselineBounds, Check, NoData, RolloutPolicy, Settings, Test, TestMethod,
};

#[cfg(test)]
mod tests;
