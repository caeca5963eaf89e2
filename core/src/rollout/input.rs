//! The input of one analysis: the rollout's state and both variants'
//! metrics, read from JSON with errors that say what is wrong where.

use super::decision::State;
use serde_json::{Map, Value};

/// An input that cannot be decided on: exit code 2 in the CLI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InputError(pub String);

pub(super) fn input_error(message: impl Into<String>) -> InputError {
    InputError(message.into())
}

/// What one analysis is decided on.
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionInput {
    pub env: Option<String>,
    pub state: State,
    pub baseline: Map<String, Value>,
    pub candidate: Map<String, Value>,
}

impl DecisionInput {
    /// Reads the JSON input of docs/rollout.md.
    pub fn from_json(text: &str) -> Result<DecisionInput, InputError> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| input_error(format!("input is not valid JSON: {e}")))?;
        DecisionInput::from_value(value)
    }

    /// Reads an input already parsed (from YAML, a Python dict, a JS object, ...).
    pub fn from_value(mut value: Value) -> Result<DecisionInput, InputError> {
        let top = object(&value, "input", &["env", "state", "metrics"])?;
        let env = match top.get("env") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                return Err(input_error(format!(
                    "`env`: {} is not a string",
                    kind(other)
                )))
            }
        };
        let state = object(
            top.get("state").ok_or_else(|| {
                input_error("`state` is missing (hint: {\"weight\": 10, \"failedChecks\": 0})")
            })?,
            "state",
            &["weight", "failedChecks"],
        )?;
        let weight = match state.get("weight") {
            Some(Value::Number(n)) => n.as_f64().unwrap_or(f64::NAN),
            Some(other) => {
                return Err(input_error(format!(
                    "`state.weight`: {} is not a number",
                    kind(other)
                )))
            }
            None => return Err(input_error("`state.weight` is missing")),
        };
        let failed_checks = match state.get("failedChecks") {
            None | Some(Value::Null) => 0,
            Some(v) => v.as_u64().ok_or_else(|| {
                input_error(format!(
                    "`state.failedChecks`: {} is not a whole number of at least 0",
                    short(v)
                ))
            })?,
        };
        let metrics = object(
            top.get("metrics").ok_or_else(|| {
                input_error(
                    "`metrics` is missing (hint: {\"baseline\": {...}, \"candidate\": {...}})",
                )
            })?,
            "metrics",
            &["baseline", "candidate"],
        )?;
        for name in ["baseline", "candidate"] {
            match metrics.get(name) {
                Some(Value::Object(_)) => {}
                Some(other) => {
                    return Err(input_error(format!(
                        "`metrics.{name}`: {} is not an object",
                        kind(other)
                    )))
                }
                None => return Err(input_error(format!("`metrics.{name}` is missing"))),
            }
        }
        // Moved out, not copied: sample arrays can be large.
        let mut take = |name: &str| match value
            .pointer_mut(&format!("/metrics/{name}"))
            .map(Value::take)
        {
            Some(Value::Object(m)) => m,
            _ => Map::new(),
        };
        let (baseline, candidate) = (take("baseline"), take("candidate"));
        Ok(DecisionInput {
            env,
            state: State {
                weight,
                failed_checks,
            },
            baseline,
            candidate,
        })
    }
}

impl DecisionInput {
    /// Counts that cannot be: `requests` and each of `counts` must be whole
    /// numbers of at least 0, and no count above `requests`. Values that are
    /// not numbers are left to the checks, as no data.
    pub(super) fn check_counts(&self) -> Result<(), InputError> {
        for (side, variant) in [("baseline", &self.baseline), ("candidate", &self.candidate)] {
            let whole = |field: &str, v: &Value| -> Result<Option<f64>, InputError> {
                let Some(n) = v.as_f64() else { return Ok(None) };
                if n.is_finite() && n >= 0.0 && n.fract() == 0.0 {
                    return Ok(Some(n));
                }
                Err(input_error(format!(
                    "`metrics.{side}.{field}`: {} is not a whole number of at least 0",
                    short(v)
                )))
            };
            let requests = match variant.get("requests") {
                Some(v) => whole("requests", v)?,
                None => None,
            };
            let Some(Value::Object(counts)) = variant.get("counts") else {
                continue;
            };
            for (metric, v) in counts {
                // A name from the input: shown, never acted on by a terminal.
                let field = format!("counts.{}", metric.escape_debug());
                match (whole(&field, v)?, requests) {
                    (Some(count), Some(requests)) if count > requests => {
                        return Err(input_error(format!(
                            "`metrics.{side}.{field}`: {} is more than `requests` ({})",
                            short(v),
                            short(&variant["requests"])
                        )))
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }
}

fn object<'v>(
    value: &'v Value,
    what: &str,
    fields: &[&str],
) -> Result<&'v Map<String, Value>, InputError> {
    let Value::Object(map) = value else {
        if what == "input" {
            return Err(input_error(format!(
                "the input is {}; it must be an object with `state` and `metrics`",
                kind(value)
            )));
        }
        return Err(input_error(format!(
            "`{what}`: {} is not an object",
            kind(value)
        )));
    };
    if let Some(unknown) = map.keys().find(|k| !fields.contains(&k.as_str())) {
        let prefix = if what == "input" {
            String::new()
        } else {
            format!("{what}.")
        };
        return Err(input_error(format!(
            "`{prefix}{}`: unknown field, expected one of {}",
            unknown.escape_debug(),
            fields
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(map)
}

pub(super) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A value for a message, cut short.
fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s
    }
}
