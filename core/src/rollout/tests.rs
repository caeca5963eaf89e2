//! Decisions on impossible or overflowing metrics (docs/rollout.md): a
//! non-finite value, given or derived, is no data; an impossible count is
//! an input error naming its field.

use crate::rollout::{Action, Decision, DecisionInput, InputError, Outcome, RolloutPolicy};
use crate::set::PolicySet;

fn policy(checks: &str) -> RolloutPolicy {
    let yaml = format!(
        "apiVersion: assay.dev/v1\nkind: RolloutPolicy\nmetadata: {{name: r}}\nspec:\n  steps: [10, 50]\n  checks:\n{checks}"
    );
    match PolicySet::load(&[("r.yaml".to_owned(), yaml)]) {
        Ok(set) => match set.rollouts.into_iter().next() {
            Some(p) => p,
            None => unreachable!("no rollout policy"),
        },
        Err(e) => unreachable!("{e:?}"),
    }
}

fn decide(checks: &str, baseline: &str, candidate: &str) -> Result<Decision, InputError> {
    let input = format!(
        r#"{{"state": {{"weight": 10}}, "metrics": {{"baseline": {baseline}, "candidate": {candidate}}}}}"#
    );
    DecisionInput::from_json(&input).and_then(|i| policy(checks).decide(&i, None))
}

fn decided(checks: &str, baseline: &str, candidate: &str) -> Decision {
    match decide(checks, baseline, candidate) {
        Ok(d) => d,
        Err(e) => unreachable!("{e}"),
    }
}

fn input_error(checks: &str, baseline: &str, candidate: &str) -> String {
    match decide(checks, baseline, candidate) {
        Ok(d) => unreachable!("decided {d:?}"),
        Err(e) => e.to_string(),
    }
}

const MAX: &str = "    - {name: latency, metric: latency, max: 0.01}\n";

#[test]
fn an_infinite_mean_is_no_data() {
    // The mean of [1e308, 1e308] overflows: inf must not pass `max` through the tolerance.
    let d = decided(
        MAX,
        r#"{"requests": 100, "samples": {"latency": [0.001]}}"#,
        r#"{"requests": 100, "samples": {"latency": [1e308, 1e308]}}"#,
    );
    assert_eq!(d.decision, Action::Hold, "{d:?}");
    let check = &d.checks[0];
    assert_eq!(check.result, Outcome::Nodata, "{check:?}");
    assert!(check.message.contains("not finite"), "{}", check.message);
    assert_eq!(check.value, None);
}

#[test]
fn an_infinite_mean_fails_with_no_data_fail() {
    let checks = "    - {name: latency, metric: latency, max: 0.01, noData: fail}\n";
    let d = decided(
        checks,
        "{\"requests\": 100}",
        r#"{"requests": 100, "samples": {"latency": [1e308, 1e308]}}"#,
    );
    assert_eq!(d.checks[0].result, Outcome::Fail, "{d:?}");
    assert_eq!(d.decision, Action::Rollback);
}

#[test]
fn an_infinite_baseline_mean_is_no_data() {
    let checks = "    - {name: latency, metric: latency, baseline: {maxIncrease: 0.01}}\n";
    let d = decided(
        checks,
        r#"{"requests": 100, "samples": {"latency": [-1e308, -1e308]}}"#,
        r#"{"requests": 100, "latency": 5}"#,
    );
    assert_eq!(d.checks[0].result, Outcome::Nodata, "{d:?}");
    assert_eq!(d.decision, Action::Hold);
}

#[test]
fn an_overflowing_baseline_bound_is_no_data() {
    // baseline + maxIncrease overflows to inf: not a bound anything passes.
    let checks = "    - {name: latency, metric: latency, baseline: {maxIncreaseRatio: 1}}\n";
    let d = decided(
        checks,
        r#"{"requests": 100, "latency": 1e308}"#,
        r#"{"requests": 100, "latency": 1.7e308}"#,
    );
    assert_eq!(d.checks[0].result, Outcome::Nodata, "{d:?}");
    assert_eq!(d.decision, Action::Hold);
}

#[test]
fn a_z_test_on_overflowing_requests_is_no_data() {
    // n1 + n2 overflows: the pooled proportion is NaN, which is no spread to pass on.
    let checks = "    - {name: errors, metric: errors, baseline: {maxIncrease: 0.5}, test: {method: two-proportion-z, confidence: 0.95}}\n";
    let d = decided(
        checks,
        r#"{"requests": 1e308, "counts": {"errors": 1e307}}"#,
        r#"{"requests": 1e308, "counts": {"errors": 1e307}}"#,
    );
    assert_eq!(d.checks[0].result, Outcome::Nodata, "{d:?}");
    assert!(d.checks[0].message.contains("overflows"), "{d:?}");
    assert_eq!(d.decision, Action::Hold);
}

#[test]
fn finite_huge_values_still_judge() {
    let d = decided(
        MAX,
        "{\"requests\": 100}",
        r#"{"requests": 100, "samples": {"latency": [1e307, 1e307]}}"#,
    );
    assert_eq!(d.checks[0].result, Outcome::Fail, "{d:?}");
}

const ERRORS: &str = "    - {name: errors, metric: errors, max: 0.01}\n";

#[test]
fn a_negative_count_is_an_input_error() {
    let e = input_error(
        ERRORS,
        r#"{"requests": 100, "counts": {"errors": 0}}"#,
        r#"{"requests": 100, "counts": {"errors": -5}}"#,
    );
    assert!(e.contains("`metrics.candidate.counts.errors`"), "{e}");
    assert!(e.contains("-5"), "{e}");
}

#[test]
fn a_count_above_requests_is_an_input_error() {
    let e = input_error(
        ERRORS,
        r#"{"requests": 100, "counts": {"errors": 101}}"#,
        r#"{"requests": 100, "counts": {"errors": 0}}"#,
    );
    assert!(e.contains("`metrics.baseline.counts.errors`"), "{e}");
    assert!(e.contains("101") && e.contains("requests"), "{e}");
}

#[test]
fn a_fractional_count_is_an_input_error() {
    let e = input_error(
        ERRORS,
        r#"{"requests": 100, "counts": {"errors": 0}}"#,
        r#"{"requests": 100, "counts": {"errors": 2.5}}"#,
    );
    assert!(e.contains("`metrics.candidate.counts.errors`"), "{e}");
    assert!(e.contains("whole number"), "{e}");
}

#[test]
fn negative_or_fractional_requests_are_input_errors() {
    let e = input_error(ERRORS, r#"{"requests": 100}"#, r#"{"requests": -1}"#);
    assert!(e.contains("`metrics.candidate.requests`"), "{e}");
    let e = input_error(ERRORS, r#"{"requests": 10.5}"#, r#"{"requests": 100}"#);
    assert!(e.contains("`metrics.baseline.requests`"), "{e}");
}

#[test]
fn a_count_of_a_metric_no_check_uses_is_still_checked() {
    // An impossible count says the input is broken, whatever the policy reads.
    let e = input_error(
        ERRORS,
        r#"{"requests": 100, "counts": {"timeouts": -1}}"#,
        r#"{"requests": 100, "counts": {"errors": 0}}"#,
    );
    assert!(e.contains("`metrics.baseline.counts.timeouts`"), "{e}");
}

#[test]
fn possible_counts_still_decide() {
    let d = decided(
        ERRORS,
        r#"{"requests": 100, "counts": {"errors": 0}}"#,
        r#"{"requests": 100, "counts": {"errors": 100.0}}"#,
    );
    assert_eq!(d.checks[0].result, Outcome::Fail, "{d:?}");
    let d = decided(
        ERRORS,
        r#"{"requests": 100, "counts": {"errors": 0}}"#,
        r#"{"requests": 100, "counts": {"errors": 1, "other": "n/a"}}"#,
    );
    assert_eq!(d.checks[0].result, Outcome::Pass, "{d:?}");
}

#[test]
fn a_directly_built_input_is_checked_too() {
    let mut input = match DecisionInput::from_json(
        r#"{"state": {"weight": 10}, "metrics": {"baseline": {"requests": 100}, "candidate": {"requests": 100}}}"#,
    ) {
        Ok(i) => i,
        Err(e) => unreachable!("{e}"),
    };
    input
        .candidate
        .insert("counts".to_owned(), serde_json::json!({"errors": 200}));
    let e = policy(ERRORS).decide(&input, None);
    assert!(
        matches!(&e, Err(e) if e.to_string().contains("`metrics.candidate.counts.errors`")),
        "{e:?}"
    );
}

#[test]
fn field_names_from_the_input_are_escaped_in_errors() {
    let e = input_error(
        ERRORS,
        "{\"requests\": 100, \"counts\": {\"e\\u001b[2J\": -1}}",
        r#"{"requests": 100}"#,
    );
    assert!(e.contains(r"`metrics.baseline.counts.e\u{1b}[2J`"), "{e}");
    let e = match DecisionInput::from_json(
        "{\"state\": {\"weight\": 10, \"w\\u202e\": 1}, \"metrics\": {\"baseline\": {}, \"candidate\": {}}}",
    ) {
        Ok(i) => unreachable!("read {i:?}"),
        Err(e) => e.to_string(),
    };
    assert!(e.contains(r"`state.w\u{202e}`: unknown field"), "{e}");
}
