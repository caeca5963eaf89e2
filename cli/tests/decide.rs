//! Integration tests of the `assay` binary: real inputs, real outputs, real
//! exit codes (docs/report.md, docs/cli.md). Helpers and fixtures: `common/mod.rs`.
//!
//! `assay decide` (docs/rollout.md): rollout decisions and rollout policies.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{assay, assay_stdin, split_location, Run, TempDir, ROLLOUT_EXAMPLE};

/// The docs/rollout.md input shape with the given state, env and candidate error rate.
fn rollout_input(env: &str, weight: u32, failed: u32, error_rate: f64) -> String {
    format!(
        r#"{{"env": "{env}", "state": {{"weight": {weight}, "failedChecks": {failed}}},
 "metrics": {{"baseline":  {{"requests": 52000, "error_rate": 0.004, "latency_p99_ms": 210,
                           "samples": {{"precision": [0.92, 0.93, 0.91]}}}},
             "candidate": {{"requests": 5200, "error_rate": {error_rate}, "latency_p99_ms": 230,
                           "samples": {{"precision": [0.91, 0.93, 0.92]}}}}}}}}"#
    )
}

fn decide_fraud(extra: &[&str], input: &str) -> Run {
    let mut args = vec!["decide", "--policy-name", "fraud-v2-canary"];
    args.extend_from_slice(extra);
    args.push("-");
    assay_stdin(&args, input)
}

#[test]
fn decide_example_json_has_the_rollout_fields() {
    let run = assay(&[
        "decide",
        "--policy-name",
        "fraud-v2-canary",
        "-o",
        "json",
        ROLLOUT_EXAMPLE,
    ]);
    run.assert_code(0);
    let d = run.json();
    assert_eq!(d["decision"], "advance");
    assert_eq!(d["weight"], 20);
    assert_eq!(
        d["state"],
        serde_json::json!({"weight": 20, "failedChecks": 1})
    );
    assert_eq!(d["env"], "production");
    assert_eq!(d["reason"], "all checks passed at 10%; advancing to 20%");
    let checks = d["checks"].as_array().unwrap();
    let names: Vec<&str> = checks.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "error-rate",
            "error-rate-vs-baseline",
            "latency-p99",
            "precision"
        ]
    );
    assert!(checks.iter().all(|c| c["result"] == "pass"), "{checks:?}");
    assert_eq!(checks[0]["value"], 0.006);
    assert_eq!(checks[0]["bound"], 0.01);
    assert_eq!(checks[1]["baseline"], 0.004);
    // scipy.stats.mannwhitneyu(candidate, baseline, alternative="less").pvalue
    let p = checks[3]["pValue"].as_f64().unwrap();
    assert!((p - 0.5332067518526223).abs() < 1e-6, "{p}");
    assert!(checks[0].get("pValue").is_none());
}

#[test]
fn decide_human_output_has_decision_reason_and_a_table() {
    let run = assay(&[
        "decide",
        "--policy-name",
        "fraud-v2-canary",
        ROLLOUT_EXAMPLE,
    ]);
    run.assert_code(0);
    let lines = run.stdout_lines();
    assert_eq!(
        lines[0],
        "decision: advance to 20% (policy fraud-v2-canary, env production)"
    );
    assert_eq!(
        lines[1],
        "reason:   all checks passed at 10%; advancing to 20%"
    );
    assert_eq!(lines[2], "state:    weight 20, failedChecks 1");
    let header = lines.iter().position(|l| l.starts_with("CHECK")).unwrap();
    assert!(lines[header].contains("RESULT") && lines[header].contains("P-VALUE"));
    let rows = &lines[header + 1..];
    assert_eq!(rows.len(), 4, "{}", run.stdout);
    assert!(rows[0].starts_with("error-rate ") && rows[0].contains(" pass "));
    assert!(rows[3].starts_with("precision (critical)") && rows[3].contains("0.5332"));
}

#[test]
fn decide_env_flag_wins_over_the_input_env() {
    // Input says production (steps 5, 10, 20); --env staging has only 50.
    let run = decide_fraud(
        &["--env", "staging"],
        &rollout_input("production", 10, 0, 0.006),
    );
    run.assert_code(2);
    assert!(
        run.stderr.contains(
            "10 is not a step of policy `fraud-v2-canary` in environment `staging` (steps: 50)"
        ),
        "{}",
        run.stderr
    );
    let run = decide_fraud(
        &["--env", "staging", "-o", "json"],
        &rollout_input("production", 50, 0, 0.006),
    );
    run.assert_code(0);
    assert_eq!(run.json()["decision"], "promote");
    assert_eq!(run.json()["weight"], 100);
    // Without --env the input's env decides: 10 -> 20 in production.
    let run = decide_fraud(&["-o", "json"], &rollout_input("production", 10, 0, 0.006));
    assert_eq!(run.json()["weight"], 20);
}

#[test]
fn decide_exit_codes_follow_fail_on() {
    // error_rate 0.02 breaks two checks; production tolerates one failed analysis.
    let rollback = rollout_input("production", 10, 1, 0.02);
    let hold = rollout_input("production", 10, 0, 0.02);
    let advance = rollout_input("production", 10, 0, 0.006);
    let decision = |extra: &[&str], input: &str| {
        let mut args = extra.to_vec();
        args.extend(["-o", "json"]);
        let run = decide_fraud(&args, input);
        (
            run.code,
            run.json()["decision"].as_str().unwrap().to_owned(),
        )
    };
    assert_eq!(decision(&[], &rollback), (0, "rollback".to_owned()));
    assert_eq!(decision(&[], &hold), (0, "hold".to_owned()));
    assert_eq!(
        decision(&["--fail-on", "rollback"], &rollback),
        (1, "rollback".to_owned())
    );
    assert_eq!(
        decision(&["--fail-on", "rollback"], &hold),
        (0, "hold".to_owned())
    );
    assert_eq!(
        decision(&["--fail-on", "hold"], &hold),
        (1, "hold".to_owned())
    );
    assert_eq!(
        decision(&["--fail-on", "hold"], &rollback),
        (1, "rollback".to_owned())
    );
    assert_eq!(
        decision(&["--fail-on", "hold"], &advance),
        (0, "advance".to_owned())
    );
    let run = decide_fraud(&["-o", "json"], &rollback);
    assert_eq!(
        run.json()["state"],
        serde_json::json!({"weight": 0, "failedChecks": 2})
    );
}

#[test]
fn decide_input_errors_exit_2_with_one_clear_line() {
    let cases: &[(&[u8], &str)] = &[
        (b"{\"state\": ", "input is not valid JSON"),
        (b"{\"metrics\": {}}", "`state` is missing"),
        (
            b"{\"state\": {\"weight\": 10}}",
            "`metrics` is missing",
        ),
        (
            b"{\"state\": {\"weight\": 10}, \"metrics\": {\"candidate\": {}}}",
            "`metrics.baseline` is missing",
        ),
        (
            b"{\"env\": \"production\", \"state\": {\"weight\": 15}, \"metrics\": {\"baseline\": {}, \"candidate\": {}}}",
            "`state.weight`: 15 is not a step",
        ),
        (
            b"{\"state\": {\"weight\": \"10\"}, \"metrics\": {\"baseline\": {}, \"candidate\": {}}}",
            "`state.weight`: a string is not a number",
        ),
        (
            b"{\"state\": {\"weight\": 10, \"failedCheck\": 1}, \"metrics\": {\"baseline\": {}, \"candidate\": {}}}",
            "`state.failedCheck`: unknown field",
        ),
        (b"[1, 2]", "must be an object with `state` and `metrics`"),
        (b"\xff\xfe", "invalid UTF-8"),
    ];
    for (input, want) in cases {
        let run = decide_fraud(&[], std::str::from_utf8(input).unwrap_or("\u{fffd}"));
        let run = if input.starts_with(b"\xff") {
            assay_stdin(&["decide", "--policy-name", "fraud-v2-canary", "-"], input)
        } else {
            run
        };
        run.assert_code(2);
        let lines = run.stderr_lines();
        assert_eq!(lines.len(), 1, "{}", run.stderr);
        assert!(lines[0].starts_with("<stdin>:"), "{}", lines[0]);
        assert!(lines[0].contains(want), "want {want:?} in {}", lines[0]);
        assert!(run.stdout.is_empty());
    }
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let run = decide_fraud(&[], &deep);
    run.assert_code(2);
    assert!(run.stderr.contains("recursion limit"), "{}", run.stderr);
}

#[test]
fn decide_odd_metric_values_are_no_data_not_crashes() {
    let input = r#"{"state": {"weight": 10}, "metrics": {
        "baseline":  {"requests": 1e300, "error_rate": "0.004", "latency_p99_ms": true,
                      "samples": {"precision": [0.9, "x"]}},
        "candidate": {"requests": 1e300, "error_rate": null, "latency_p99_ms": [],
                      "samples": {"precision": []}}}}"#;
    let run = decide_fraud(&["-o", "json"], input);
    run.assert_code(0);
    let d = run.json();
    assert_eq!(d["decision"], "hold");
    let results: Vec<&str> = d["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["result"].as_str().unwrap())
        .collect();
    assert_eq!(results, ["nodata"; 4]);
}

#[test]
fn decide_needs_a_policy_name_when_several_rollout_policies_are_loaded() {
    let run = assay(&["decide", ROLLOUT_EXAMPLE]);
    run.assert_code(2);
    assert_eq!(
        run.stderr_lines(),
        ["2 rollout policies are loaded (`fraud-v2-canary`, `inference-canary`); name one (hint: pick one with --policy-name NAME)"]
    );
    let run = assay(&["decide", "--policy-name", "nope", ROLLOUT_EXAMPLE]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("no rollout policy `nope`"),
        "{}",
        run.stderr
    );
    // One rollout policy loaded with -p: no name needed.
    let run = assay(&[
        "decide",
        "-p",
        "policies/fraud-v2-canary.yaml",
        "-o",
        "json",
        ROLLOUT_EXAMPLE,
    ]);
    run.assert_code(0);
    assert_eq!(run.json()["policy"], "fraud-v2-canary");
    // Validation policies only: nothing to decide with.
    let run = assay(&["decide", "-p", "policies/app-config.yaml", ROLLOUT_EXAMPLE]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("no rollout policy loaded"),
        "{}",
        run.stderr
    );
}

#[test]
fn invalid_rollout_policy_reports_every_problem_with_a_location() {
    let tmp = TempDir::new("rollout-policy");
    let file = tmp.write(
        "p.yaml",
        "apiVersion: assay.dev/v1
kind: RolloutPolicy
metadata: {name: bad-canary}
spec:
  steps: [0, 20, 10, 150]
  checks:
    - name: a
      metric: error_rate
      max: 0.01
      maxx: 0.02
    - name: a
      metric: latency
    - name: c
      metric: precision
      baseline: {maxDecrease: 0.02}
      test: {method: t-test, confidence: 0.95}
    - name: d
      metric: precision
      baseline: {maxDecrease: 0.02}
      test: {method: mann-whitney, confidence: 95}
  environments:
    production: {steps: [50, 20], stepz: [1]}
",
    );
    let run = assay(&["decide", "-p", &file, ROLLOUT_EXAMPLE]);
    run.assert_code(2);
    let lines = run.stderr_lines();
    let expected = [
        (5, 11, "`spec.steps.0`: 0 is not in (0, 100]"),
        (5, 18, "`spec.steps.2`: 10 does not increase"),
        (5, 22, "`spec.steps.3`: 150 is not in (0, 100]"),
        (10, 13, "`spec.checks.0.maxx`: unknown field `maxx`"),
        (11, 13, "`spec.checks.1.name`: duplicate check name `a`"),
        (11, 7, "`spec.checks.1`: check `a` has no bound"),
        (
            16,
            22,
            "`spec.checks.2.test.method`: unknown method `t-test`",
        ),
        (
            20,
            48,
            "`spec.checks.3.test.confidence`: 95 is not between 0 and 1",
        ),
        (
            22,
            42,
            "`spec.environments.production.stepz`: unknown field `stepz`",
        ),
        (
            22,
            30,
            "`spec.environments.production.steps.1`: 20 does not increase",
        ),
    ];
    assert_eq!(lines.len(), expected.len(), "{}", run.stderr);
    for (line, (l, c, msg)) in lines.iter().zip(expected) {
        let (f, got_l, got_c, rest) = split_location(line).unwrap_or_else(|| panic!("{line}"));
        assert_eq!((f, got_l, got_c), (file.as_str(), l, c), "{line}");
        assert!(rest.starts_with(msg), "{line}");
    }
}

#[test]
fn help_lists_decide() {
    let run = assay(&["--help"]);
    run.assert_code(0);
    assert!(run.stdout.contains("decide"), "{}", run.stdout);
    let run = assay(&["decide", "--help"]);
    run.assert_code(0);
    for flag in ["--policy-name", "--env", "--fail-on", "--output"] {
        assert!(run.stdout.contains(flag), "{flag}\n{}", run.stdout);
    }
}

#[test]
fn an_unknown_field_named_like_a_token_is_not_echoed() {
    let token = "ghp_AssayFake8hfqEnMCxKJ9UlB8VGFHKGNZv9n";
    let input = format!(r#"{{"state": {{"weight": 0}}, "{token}": 1, "metrics": {{}}}}"#);
    for format in ["human", "json"] {
        let run = decide_fraud(&["-o", format], &input);
        run.assert_code(2);
        for out in [&run.stdout, &run.stderr] {
            assert!(!out.contains(&token[4..20]), "{out}");
        }
        assert!(run.stderr.contains("unknown field"), "{}", run.stderr);
    }
}
