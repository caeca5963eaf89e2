//! `assay decide` on metrics that cannot be trusted (docs/rollout.md): an
//! overflowing value is no data, an impossible count an input error.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{assay_stdin, TempDir};

const POLICY: &str = "apiVersion: assay.dev/v1
kind: RolloutPolicy
metadata: {name: hardening}
spec:
  steps: [10, 50]
  checks:
    - {name: latency, metric: latency, max: 0.01}
    - {name: errors, metric: errors, max: 0.01}
";

fn decide(input: &str) -> common::Run {
    let tmp = TempDir::new("hardening-decide");
    let policy = tmp.write("p.yaml", POLICY);
    assay_stdin(&["decide", "-p", &policy, "-o", "json", "-"], input)
}

#[test]
fn decide_an_infinite_mean_holds_as_no_data() {
    let run = decide(
        r#"{"state": {"weight": 10}, "metrics": {
            "baseline":  {"requests": 100, "counts": {"errors": 0}, "samples": {"latency": [0.001]}},
            "candidate": {"requests": 100, "counts": {"errors": 0}, "samples": {"latency": [1e308, 1e308]}}}}"#,
    );
    run.assert_code(0);
    let d = run.json();
    assert_eq!(d["decision"], "hold", "{d}");
    assert_eq!(d["weight"], 10);
    assert_eq!(d["checks"][0]["result"], "nodata", "{d}");
    assert!(d["checks"][0].get("value").is_none(), "{d}");
    assert_eq!(d["checks"][1]["result"], "pass", "{d}");
}

#[test]
fn decide_a_negative_count_is_an_input_error() {
    let run = decide(
        r#"{"state": {"weight": 10}, "metrics": {
            "baseline":  {"requests": 100, "counts": {"errors": 0}},
            "candidate": {"requests": 100, "counts": {"errors": -5}}}}"#,
    );
    run.assert_code(2);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(
        run.stderr
            .contains("`metrics.candidate.counts.errors`: -5 is not a whole number of at least 0"),
        "{}",
        run.stderr
    );
}

#[test]
fn decide_more_errors_than_requests_is_an_input_error() {
    let run = decide(
        r#"{"state": {"weight": 10}, "metrics": {
            "baseline":  {"requests": 100, "counts": {"errors": 101}},
            "candidate": {"requests": 100, "counts": {"errors": 0}}}}"#,
    );
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("`metrics.baseline.counts.errors`: 101 is more than `requests` (100)"),
        "{}",
        run.stderr
    );
}
