//! `--limit NAME=VALUE` (docs/limits.md, "Configuring limits"): a lowered
//! limit is a `limit` finding on the input that went over it, naming the
//! limit and how to raise it, and the other inputs are still checked and
//! reported; a limit that cannot be set is a usage error (exit 2).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use serde_json::Value;

/// Every finding of a JSON report as (file, rule, line, message).
fn findings(run: &Run) -> Vec<(String, String, Option<u64>, String)> {
    let report = run.json();
    let mut out = Vec::new();
    for r in report["results"].as_array().into_iter().flatten() {
        for f in r["findings"].as_array().into_iter().flatten() {
            let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            out.push((
                text(&r["file"]),
                text(&f["rule"]),
                f["line"].as_u64(),
                text(&f["message"]),
            ));
        }
    }
    out
}

fn rules_of(run: &Run, file: &str) -> Vec<String> {
    findings(run)
        .into_iter()
        .filter(|f| f.0 == file)
        .map(|f| f.1)
        .collect()
}

const CONFIG: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ml-pipeline-config\ndata:\n  LOG_LEVEL: TRACE\n";

#[test]
fn documents_past_the_limit_are_one_finding_and_other_inputs_are_still_checked() {
    let tmp = TempDir::new("limit-documents");
    let stream = [CONFIG; 4].join("---\n");
    let many = tmp.write("many.yaml", &stream);
    let other = tmp.write("other.yaml", CONFIG);
    let run = assay(&[
        "check",
        "-o",
        "json",
        "--limit",
        "documents=2",
        &many,
        &other,
    ]);
    run.assert_code(1);
    let found = findings(&run);
    let limit: Vec<_> = found.iter().filter(|f| f.1 == "limit").collect();
    assert_eq!(limit.len(), 1, "{found:?}");
    let (file, _, line, message) = limit[0];
    assert_eq!((file.as_str(), *line), (many.as_str(), Some(15)));
    assert!(
        message.starts_with("more than 2 documents in this stream; this one and the rest are not checked (limit `documents`; raise it with `--limit documents=…`"),
        "{message}"
    );
    // The two documents before it, and the other file, are checked.
    let enum_errors = |f: &str| rules_of(&run, f).iter().filter(|r| *r == "schema").count();
    assert_eq!(enum_errors(&many), 2);
    assert_eq!(enum_errors(&other), 1);
    // By default all four are.
    let all = assay(&["check", "-o", "json", &many]);
    assert!(!rules_of(&all, &many).contains(&"limit".to_owned()));
}

#[test]
fn a_document_over_a_lowered_parse_limit_is_a_limit_finding_at_its_place() {
    let tmp = TempDir::new("limit-parse");
    let other = tmp.write("other.yaml", CONFIG);
    let items: Vec<String> = (0..100).map(|i| i.to_string()).collect();
    for (limit, document, line, says) in [
        (
            "depth=3",
            "a:\n  b:\n    c:\n      d: 1\n".to_owned(),
            4,
            "nesting deeper than 3 levels (limit `depth`",
        ),
        (
            "values=50",
            format!("# many\nl: [{}]\n", items.join(", ")),
            2,
            "more than 50 values (aliases expanded) (limit `values`",
        ),
        (
            "document-bytes=1KiB",
            format!("s: {}\n", "x".repeat(2000)),
            1,
            "more than 1 KiB of text (aliases expanded) (limit `document-bytes`",
        ),
    ] {
        // The document over the limit, then one within it in the same file.
        let big = tmp.write("big.yaml", format!("{document}---\n{CONFIG}"));
        let run = assay(&["check", "-o", "json", "--limit", limit, &big, &other]);
        run.assert_code(1);
        let found = findings(&run);
        let hit: Vec<_> = found.iter().filter(|f| f.1 == "limit").collect();
        assert_eq!(hit.len(), 1, "{limit}: {found:?}");
        assert_eq!(
            (hit[0].0.as_str(), hit[0].2),
            (big.as_str(), Some(line)),
            "{limit}: {hit:?}"
        );
        assert!(hit[0].3.contains(says), "{limit}: {}", hit[0].3);
        assert!(
            rules_of(&run, &big).contains(&"schema".to_owned()),
            "{limit}: {found:?}"
        );
        assert!(
            rules_of(&run, &other).contains(&"schema".to_owned()),
            "{limit}: {found:?}"
        );
        // By default the document parses.
        let default = assay(&["check", "-o", "json", &big]);
        assert!(
            !rules_of(&default, &big).contains(&"limit".to_owned()),
            "{limit}"
        );
    }
    // The human report names the rule and the limit too.
    let deep = tmp.write("deep.yaml", "a:\n  b:\n    c:\n      d: 1\n");
    let run = assay(&["check", "--limit", "depth=3", &deep]);
    run.assert_code(1);
    assert!(run.stdout.contains("[-/limit] does not parse: nesting deeper than 3 levels (limit `depth`; raise it with `--limit depth=…`"), "{}", run.stdout);
}

#[test]
fn inputs_past_run_bytes_are_not_read_and_get_a_finding() {
    let tmp = TempDir::new("limit-run-bytes");
    for name in ["a.yaml", "b.yaml", "c.yaml"] {
        tmp.write(name, CONFIG);
    }
    let limit = format!("run-bytes={}", CONFIG.len() * 2);
    let run = assay(&["check", "-o", "json", "--limit", &limit, tmp.path()]);
    run.assert_code(1);
    let found = findings(&run);
    let c = format!("{}/c.yaml", tmp.path());
    let not_read: Vec<_> = found.iter().filter(|f| f.1 == "limit").collect();
    assert_eq!(not_read.len(), 1, "{found:?}");
    assert_eq!(not_read[0].0, c);
    assert!(
        not_read[0].3.starts_with(&format!(
            "not read: with it this run would read more than {} bytes of input (limit `run-bytes`",
            CONFIG.len() * 2
        )),
        "{}",
        not_read[0].3
    );
    assert_eq!(run.json()["summary"]["documents"], 3);
    for checked in ["a.yaml", "b.yaml"] {
        let file = format!("{}/{checked}", tmp.path());
        assert!(
            rules_of(&run, &file).contains(&"schema".to_owned()),
            "{found:?}"
        );
    }
}

#[test]
fn a_lowered_cel_cost_stops_a_rule_and_says_which_limit() {
    let tmp = TempDir::new("limit-cel-cost");
    let policy = tmp.write(
        "unique.yaml",
        "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {name: unique}\nspec:\n  rules:\n    - {name: unique, expr: 'object.l.all(c, object.l.exists_one(d, d == c))', path: /l}\n",
    );
    let items: Vec<String> = (0..40).map(|i| i.to_string()).collect();
    let input = tmp.write("in.yaml", format!("l: [{}]\n", items.join(", ")));
    assay(&["check", "-p", &policy, &input]).assert_code(0);
    let run = assay(&[
        "check",
        "-o",
        "json",
        "-p",
        &policy,
        "--limit",
        "cel-cost=500",
        &input,
    ]);
    run.assert_code(1);
    let found = findings(&run);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0]
            .3
            .contains("CEL cost budget of 500 (limit `cel-cost`"),
        "{}",
        found[0].3
    );
    // `review` and `test` take it too.
    let review = serde_json::json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {"uid": "u", "object": {"l": (0..40).collect::<Vec<_>>()}}});
    let review = tmp.write("review.json", review.to_string());
    assay(&["review", "-p", &policy, &review]).assert_code(0);
    let denied = assay(&["review", "-p", &policy, "--limit", "cel-cost=500", &review]);
    denied.assert_code(1);
    assert!(
        denied.stdout.contains("limit `cel-cost`"),
        "{}",
        denied.stdout
    );
}

#[test]
fn a_lowered_file_bytes_refuses_a_larger_input_naming_the_limit() {
    let tmp = TempDir::new("limit-file-bytes");
    let input = tmp.write(
        "metrics.json",
        "{\"state\": {\"weight\": 10}, \"metrics\": {}}\n",
    );
    let run = assay(&["decide", "--limit", "file-bytes=16", &input]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("larger than 16 bytes, the most assay reads from one input (limit `file-bytes`; raise it with `--limit file-bytes=…`"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_limit_that_cannot_be_set_is_a_usage_error_listing_the_limits() {
    let tmp = TempDir::new("limit-usage");
    let input = tmp.write("in.yaml", CONFIG);
    for (limit, says) in [
        ("cpu=1", "unknown limit `cpu`; the limits are depth, values, document-bytes, documents, cel-cost, file-bytes, run-bytes, module-time, module-memory"),
        ("documents", "is not NAME=VALUE"),
        ("documents=lots", "limit `documents`: `lots` is not a whole number"),
        ("file-bytes=64 parsecs", "is not a size"),
        ("module-time=soon", "is not a time"),
        ("depth=5000", "above its ceiling of 1000"),
        ("values=0", "must be at least 1"),
    ] {
        for command in [
            vec!["check", "--limit", limit, &input],
            vec!["review", "--limit", limit, &input],
            vec!["decide", "--limit", limit, &input],
            vec!["test", "--limit", limit, "policies/"],
        ] {
            let run = assay(&command);
            run.assert_code(2);
            assert!(run.stderr.contains(says), "{command:?}: {}", run.stderr);
            assert!(run.stdout.is_empty(), "{command:?}: {}", run.stdout);
        }
    }
    // Good values with units are taken, and `--help` shows the option.
    assay(&[
        "check",
        "--limit",
        "file-bytes=1MiB",
        "--limit",
        "module-time=30s",
        "--limit",
        "cel_cost=1_000_000",
        &input,
    ])
    .assert_code(1);
    let help = assay(&["check", "--help"]);
    assert!(
        help.stdout.contains("--limit <NAME=VALUE>"),
        "{}",
        help.stdout
    );
}

#[test]
fn a_module_runs_within_the_module_limits_given() {
    let tmp = TempDir::new("limit-module");
    let module = format!("{}/library.wasm", tmp.path());
    assay(&["build", "policies/", "-o", &module]).assert_code(0);
    // About 8 s of work in the module; a fresh instance compiles the
    // policies well within the limit, so the next input is checked.
    let stream: String = (0..90_000)
        .map(|i| format!("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: ml-pipeline-config-{i}}}\ndata: {{LOG_LEVEL: INFO}}\n"))
        .collect();
    let many = tmp.write("many.yaml", &stream);
    let other = tmp.write("other.yaml", CONFIG);
    let run = assay(&[
        "check",
        "-o",
        "json",
        "-p",
        &module,
        "--limit",
        "module-time=500ms",
        &many,
        &other,
    ]);
    run.assert_code(1);
    let found = findings(&run);
    let stopped: Vec<_> = found.iter().filter(|f| f.0 == many).collect();
    assert_eq!(stopped.len(), 1, "{found:?}");
    assert_eq!(stopped[0].1, "limit");
    assert!(
        stopped[0].3.contains("time limit (500ms)") && stopped[0].3.contains("limit `module-time`"),
        "{}",
        stopped[0].3
    );
    assert!(
        rules_of(&run, &other).contains(&"schema".to_owned()),
        "{found:?}"
    );
    // A document as deep as the ceiling allows, checked in the module.
    let mut deep = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata:\n");
    for i in 1..999 {
        deep.push_str(&format!("{}k{i}:\n", "  ".repeat(i)));
    }
    deep.push_str(&format!("{}leaf: x\n", "  ".repeat(999)));
    let deep = tmp.write("deep.yaml", deep);
    let run = assay(&[
        "check",
        "-o",
        "json",
        "-p",
        &module,
        "--limit",
        "depth=1000",
        &deep,
    ]);
    let rules = rules_of(&run, &deep);
    assert_eq!(rules, ["data-values-are-strings"], "{}", run.stdout);
    // The module is sent the document limits too.
    let run = assay(&[
        "check",
        "-o",
        "json",
        "-p",
        &module,
        "--limit",
        "documents=1",
        &other,
        &many,
    ]);
    let found = findings(&run);
    assert!(
        found
            .iter()
            .any(|f| f.0 == many && f.1 == "limit" && f.3.contains("limit `documents`")),
        "{found:?}"
    );
    assert!(
        rules_of(&run, &other).contains(&"schema".to_owned()),
        "{found:?}"
    );
}

#[test]
fn assay_test_runs_the_cases_within_the_limits_given_and_a_case_s_own_win() {
    let tmp = TempDir::new("limit-test-cmd");
    tmp.write(
        "limits.policy.yaml",
        std::fs::read_to_string(workspace_root().join("tests/cases/limits.policy.yaml")).unwrap(),
    );
    std::fs::create_dir_all(format!("{}/tests", tmp.path())).unwrap();
    let names = "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p";
    tmp.write(
        "tests/cases.yaml",
        format!(
            "policy: limits\ncases:\n  - name: stopped-by-the-run-s-cel-cost\n    input: {{apiVersion: v1, kind: ConfigMap, metadata: {{name: limits-a}}, data: {{names: \"{names}\"}}}}\n    expect: {{verdict: fail}}\n  - name: its-own-cel-cost-wins\n    limits: {{cel-cost: 10000000}}\n    input: {{apiVersion: v1, kind: ConfigMap, metadata: {{name: limits-b}}, data: {{names: \"{names}\"}}}}\n    expect: {{verdict: pass}}\n"
        ),
    );
    let run = assay(&["test", tmp.path()]);
    run.assert_code(1);
    assert!(
        run.stdout.contains("FAIL") && run.stdout.contains("stopped-by-the-run-s-cel-cost"),
        "{}",
        run.stdout
    );
    let run = assay(&["test", "--limit", "cel-cost=200", tmp.path()]);
    run.assert_code(0);
    assert!(run.stdout.contains("2 passed, 0 failed"), "{}", run.stdout);
    // A case's limit that sets nothing is a case file that does not read.
    tmp.write(
        "tests/cases.yaml",
        "policy: limits\ncases:\n  - name: bad\n    limits: {cpu: 1}\n    input: {a: 1}\n    expect: {verdict: pass}\n",
    );
    let run = assay(&["test", tmp.path()]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("case `bad`: unknown limit `cpu`"),
        "{}",
        run.stderr
    );
}
