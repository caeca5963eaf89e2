//! The answer of one analysis: the action, the new state and each check's
//! result, with numbers written as a person would write them.

use serde::{Serialize, Serializer};

/// The rollout's state, as the caller keeps it between analyses.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct State {
    #[serde(serialize_with = "number")]
    pub weight: f64,
    pub failed_checks: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Promote,
    Advance,
    Hold,
    Rollback,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Promote => "promote",
            Action::Advance => "advance",
            Action::Hold => "hold",
            Action::Rollback => "rollback",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Fail,
    Nodata,
    Inconclusive,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Nodata => "nodata",
            Outcome::Inconclusive => "inconclusive",
        }
    }
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckResult {
    pub name: String,
    pub metric: String,
    pub result: Outcome,
    /// The candidate's value.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "opt_number"
    )]
    pub value: Option<f64>,
    /// The limit on the candidate's value that decided (for baseline bounds,
    /// computed from the baseline's value).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "opt_number"
    )]
    pub bound: Option<f64>,
    /// The baseline's value, for checks relative to it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "opt_number"
    )]
    pub baseline: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_value: Option<f64>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub critical: bool,
    pub message: String,
}

/// The answer to one analysis; hosts that get it as JSON read it back.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    pub decision: Action,
    #[serde(serialize_with = "number")]
    pub weight: f64,
    pub state: State,
    pub checks: Vec<CheckResult>,
    pub reason: String,
    pub policy: String,
    pub env: String,
}

impl Decision {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Whole numbers are written without a fraction (`20`, not `20.0`).
fn number<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        s.serialize_i64(*v as i64)
    } else {
        s.serialize_f64(*v)
    }
}

fn opt_number<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => number(v, s),
        None => s.serialize_none(),
    }
}

/// A computed number as a person would write it: 15 significant digits, so
/// `0.015 + 0.005` reads `0.02`.
pub(super) fn tidy(v: f64) -> f64 {
    if !v.is_finite() || v == 0.0 {
        return v;
    }
    format!("{v:.14e}").parse().unwrap_or(v)
}

/// Formats a number for messages.
pub fn fmt_num(v: f64) -> String {
    format!("{}", tidy(v))
}

/// `a - b` for messages, from the numbers as written: `0.02 - 0.015` reads
/// `0.005`, and `0.95 - 0.91` reads `0.04` (to 12 significant digits).
pub(super) fn diff(a: f64, b: f64) -> String {
    let d = tidy(a) - tidy(b);
    fmt_num(format!("{d:.11e}").parse().unwrap_or(d))
}

pub fn fmt_p(p: f64) -> String {
    if p != 0.0 && p < 1e-4 {
        format!("{p:.2e}")
    } else {
        format!("{}", (p * 1e4).round() / 1e4)
    }
}
