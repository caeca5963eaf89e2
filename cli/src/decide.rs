//! `assay decide`: one rollout decision from state + metrics JSON (docs/rollout.md).

use crate::error::CliError;
use crate::files::{load_policies, read_one_input};
use assay_core::rollout::{Action, Decision};
use assay_host::{Evaluator, EvaluatorError};
use clap::{Args, ValueEnum};
use serde_json::Value;
use std::path::PathBuf;

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Human,
    Json,
}

/// Decisions that make the exit code 1; `hold` includes `rollback`.
#[derive(Clone, Copy, ValueEnum)]
pub enum FailOn {
    Rollback,
    Hold,
}

#[derive(Args)]
#[command(after_help = "\
Input: JSON {\"env\"?, \"state\": {\"weight\", \"failedChecks\"?}, \"metrics\": {\"baseline\": {...}, \"candidate\": {...}}}.
Without -p the built-in library decides; name its policy with --policy-name (fraud-v2-canary, inference-canary).
Exit codes: 0 any decision; 1 when --fail-on matches; 2 input, usage or policy error.
See docs/rollout.md.")]
pub struct DecideArgs {
    /// Rollout policy file or directory (repeatable); default: the built-in library
    #[arg(short, long = "policy")]
    policy: Vec<PathBuf>,
    /// Which rollout policy decides, by `metadata.name`; needed when several are loaded
    #[arg(long)]
    policy_name: Option<String>,
    /// Let schemas' `$ref`s read files outside the policy's directory (docs/limits.md#files)
    #[arg(long)]
    allow_ref_outside: bool,
    /// Environment name (selects per-environment steps, limits, checks); wins over the input's "env"
    #[arg(long)]
    env: Option<String>,
    /// Output format
    #[arg(short, long, value_enum, default_value = "human")]
    output: Format,
    /// Exit 1 on this decision: `rollback`, or `hold` (hold or rollback); default: exit 0 for any decision
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
    #[command(flatten)]
    limits: crate::limits::LimitArgs,
    /// JSON input with `state` and `metrics` (and optionally `env`); `-` or nothing reads stdin
    input: Option<PathBuf>,
}

pub fn run(args: DecideArgs) -> Result<u8, CliError> {
    let limits = args.limits.limits();
    let (label, bytes) = read_one_input(args.input.as_deref(), limits.file_bytes)?;
    let text = assay_core::check::decode(&bytes).map_err(|e| CliError::Located {
        label: label.clone(),
        line: e.line,
        column: e.column,
        message: e.message,
    })?;
    let evaluators = load_policies(&args.policy, args.allow_ref_outside, &limits)?;
    let decision = decide(&evaluators, &args, text).map_err(|failure| match failure {
        Failure::Policy(e) => CliError::Usage(e),
        Failure::Input(e) => CliError::input(&label, e),
    })?;
    match args.output {
        Format::Human => print!("{}", human(&decision)),
        Format::Json => println!("{}", decision.to_json()),
    }
    let failed = match args.fail_on {
        None => false,
        Some(FailOn::Rollback) => decision.decision == Action::Rollback,
        Some(FailOn::Hold) => matches!(decision.decision, Action::Hold | Action::Rollback),
    };
    Ok(u8::from(failed))
}

/// Why no decision came: no policy to decide with, or an input that cannot
/// be decided on (this one names the input).
enum Failure {
    Policy(String),
    Input(String),
}

/// The decision of the one rollout policy that `--policy-name` names (or
/// the only one) of the one policy source.
fn decide(evaluators: &[Evaluator], args: &DecideArgs, text: &str) -> Result<Decision, Failure> {
    let [evaluator] = evaluators else {
        return Err(Failure::Policy(
            "decide takes one policy source: YAML files or one module".to_owned(),
        ));
    };
    let name = args.policy_name.as_deref();
    let failed = |e: EvaluatorError| match e {
        EvaluatorError::NoRollout { message, rollouts } => no_rollout(message, args, rollouts),
        e => Failure::Input(e.to_string()),
    };
    // A module is given the input as JSON this reads (once the rollout
    // policy is chosen), as it always was; YAML policies read the text.
    let input = if evaluator.is_module() {
        evaluator.rollout(name).map_err(failed)?;
        serde_json::from_str(text).map_err(|e| Failure::Input(format!("not JSON: {e}")))?
    } else {
        Value::from(text)
    };
    evaluator
        .decide(input, args.env.as_deref(), name)
        .map_err(failed)
}

/// No rollout policy to decide with; several get a hint to name one.
fn no_rollout(e: String, args: &DecideArgs, rollouts: usize) -> Failure {
    if args.policy_name.is_none() && rollouts > 1 {
        Failure::Policy(format!("{e} (hint: pick one with --policy-name NAME)"))
    } else {
        Failure::Policy(e)
    }
}

fn num(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), assay_core::rollout::fmt_num)
}

/// Decision, weight and reason, then one row per check.
fn human(d: &Decision) -> String {
    let mut out = String::new();
    let env = if d.env.is_empty() {
        String::new()
    } else {
        format!(", env {}", d.env)
    };
    let step = match d.decision {
        Action::Hold => "at",
        _ => "to",
    };
    out.push_str(&format!(
        "decision: {} {step} {}% (policy {}{env})\n",
        d.decision.as_str(),
        assay_core::rollout::fmt_num(d.weight),
        d.policy
    ));
    out.push_str(&format!("reason:   {}\n", d.reason));
    out.push_str(&format!(
        "state:    weight {}, failedChecks {}\n",
        assay_core::rollout::fmt_num(d.state.weight),
        d.state.failed_checks
    ));
    if d.checks.is_empty() {
        out.push_str("checks:   none judged\n");
        return out;
    }
    let rows: Vec<[String; 7]> = d
        .checks
        .iter()
        .map(|c| {
            [
                if c.critical {
                    format!("{} (critical)", c.name)
                } else {
                    c.name.clone()
                },
                c.result.as_str().to_owned(),
                num(c.value),
                num(c.bound),
                num(c.baseline),
                c.p_value
                    .map_or_else(|| "-".to_owned(), assay_core::rollout::fmt_p),
                c.message.clone(),
            ]
        })
        .collect();
    let header = [
        "CHECK", "RESULT", "VALUE", "BOUND", "BASELINE", "P-VALUE", "DETAIL",
    ]
    .map(str::to_owned);
    let mut widths = [0usize; 7];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    out.push('\n');
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<w$}  "));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
