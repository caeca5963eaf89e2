//! Integration tests of the `assay` binary: real inputs, real outputs, real
//! exit codes (docs/report.md, docs/cli.md). Helpers and fixtures: `common/mod.rs`.
//!
//! `assay test`: policy test cases, validation and rollout.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{assay, fixture, split_location, TempDir};

#[test]
fn assay_test_runs_the_library_cases() {
    let run = assay(&["test", "policies"]);
    run.assert_code(0);
    let last = run.summary_line();
    let passed: usize = last
        .strip_suffix(" passed, 0 failed")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("last line {last:?}"));
    assert!(passed > 0);
    let ok_lines = run.stdout.lines().filter(|l| l.starts_with("ok ")).count();
    assert_eq!(ok_lines, passed, "{}", run.stdout);
    assert!(!run.stdout.contains("FAIL"), "{}", run.stdout);
}

#[test]
fn assay_test_fails_on_a_wrong_expectation() {
    let dir = fixture("test-cmd/policies");
    let run = assay(&["test", &dir]);
    run.assert_code(1);
    let file = format!("{dir}/tests/log-level.yaml");
    run.assert_stdout_has_line_starting(&format!("ok    {file}:4 info-passes"));
    run.assert_stdout_has_line_starting(&format!("FAIL  {file}:7 wrong-expectation"));
    assert!(
        run.stdout.contains("verdict: expected pass, got fail"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("unexpected finding: error not-trace"),
        "{}",
        run.stdout
    );
    assert_eq!(run.summary_line(), "1 passed, 1 failed");
}

#[test]
fn assay_test_reports_a_malformed_case_file_and_runs_the_others() {
    let tmp = TempDir::new("cases");
    tmp.write(
        "p.yaml",
        "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {name: p}\nspec:\n  rules: [{name: r, expr: \"true\"}]\n",
    );
    let cases = tmp.write(
        "tests/p.yaml",
        "cases:\n  - name: c\n    input: {a: 1}\n    expectt: {verdict: pass}\n",
    );
    let unclosed = tmp.write("tests/q.yaml", "cases:\n  - name: d\n    input: {a: 1\n");
    tmp.write(
        "tests/r.yaml",
        "cases:\n  - name: runs\n    input: {a: 1}\n    expect: {verdict: pass}\n",
    );
    let run = assay(&["test", tmp.path()]);
    run.assert_code(2);
    let lines = run.stderr_lines();
    assert_eq!(lines.len(), 2, "{}", run.stderr);
    for (line, (file, says)) in lines.iter().zip([(&cases, "expectt"), (&unclosed, "YAML")]) {
        let (f, ..) = split_location(line).unwrap_or_else(|| panic!("{line}"));
        assert_eq!(&f, file);
        assert!(line.contains(says), "{line}");
    }
    run.assert_stdout_has_line_starting(&format!("ok    {}/tests/r.yaml:2 runs", tmp.path()));
    assert_eq!(
        run.summary_line(),
        "1 passed, 0 failed, 2 case file(s) not read"
    );
}

#[test]
fn assay_test_runs_rollout_cases_and_reports_wrong_expectations() {
    let tmp = TempDir::new("rollout-cases");
    tmp.write(
        "canary.yaml",
        "apiVersion: assay.dev/v1\nkind: RolloutPolicy\nmetadata: {name: canary}\nspec:\n  steps: [10, 50]\n  failureLimit: 1\n  checks: [{name: errors, metric: error_rate, max: 0.01}]\n",
    );
    let cases = tmp.write(
        "tests/canary.yaml",
        "cases:
  - name: advances
    rollout: {state: {weight: 10}, metrics: {baseline: {requests: 5}, candidate: {requests: 5, error_rate: 0.01}}}
    expect: {decision: advance, weight: 50, checks: {errors: pass}}
  - name: wrong
    rollout: {state: {weight: 10}, metrics: {baseline: {requests: 5}, candidate: {requests: 5, error_rate: 0.02}}}
    expect: {decision: advance, failedChecks: 0, checks: {errors: pass}}
",
    );
    let run = assay(&["test", tmp.path()]);
    run.assert_code(1);
    run.assert_stdout_has_line_starting(&format!("ok    {cases}:2 advances"));
    run.assert_stdout_has_line_starting(&format!("FAIL  {cases}:5 wrong"));
    for want in [
        "decision: expected advance, got hold",
        "failedChecks: expected 0, got 1",
        "check `errors`: expected pass, got fail (0.02 > max 0.01)",
    ] {
        assert!(run.stdout.contains(want), "{want}\n{}", run.stdout);
    }
    assert_eq!(run.summary_line(), "1 passed, 1 failed");
}

/// A case naming a policy that is not loaded fails (it passed: every result
/// was filtered away, and the case expected a pass).
#[test]
fn a_test_case_naming_no_loaded_policy_fails() {
    let dir = TempDir::new("case-policy");
    dir.write(
        "p.yaml",
        "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {name: tp}\nspec:\n  rules:\n    - {name: r, expr: 'true'}\n",
    );
    dir.write(
        "tests/p.yaml",
        "policy: tpp\ncases:\n  - name: typo\n    input: {a: 1}\n    expect: {verdict: pass}\n",
    );
    let run = assay(&["test", dir.path()]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("no policy named `tpp` is loaded"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_failing_case_does_not_echo_a_token_it_expects() {
    let token = "ghp_AssayFake8hfqEnMCxKJ9UlB8VGFHKGNZv9n";
    let dir = TempDir::new("test-echo");
    dir.write(
        "policy.yaml",
        "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {name: p}\nspec:\n  rules:\n    - {name: small, expr: 'object.n < 10', path: /n}\n",
    );
    dir.write(
        "tests/p.yaml",
        format!(
            "policy: p\ncases:\n  - name: expects-a-token\n    input: 'n: 12'\n    expect:\n      verdict: fail\n      findings:\n        - {{rule: small, message: \"{token}\"}}\n"
        ),
    );
    let run = assay(&["test", dir.path()]);
    run.assert_code(1);
    assert!(run.stdout.contains("missing finding"), "{}", run.stdout);
    for out in [&run.stdout, &run.stderr] {
        assert!(!out.contains(&token[4..20]), "{out}");
    }
}
