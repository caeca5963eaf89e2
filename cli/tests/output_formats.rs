//! Integration tests of the `assay` binary: real inputs, real outputs, real
//! exit codes (docs/report.md, docs/cli.md). Helpers and fixtures: `common/mod.rs`.
//!
//! The report formats of `assay check -o`: json, sarif, junit, github, human.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{assay, fixture, json_findings, split_location, BAD_PATCH};

#[test]
fn json_report_has_the_spec_fields() {
    let multi = fixture("mixed/c-multi.yaml");
    let run = assay(&["check", "-o", "json", BAD_PATCH, &multi]);
    run.assert_code(1);
    let report = run.json();
    assert_eq!(report["version"], 1);
    assert_eq!(report["verdict"], "fail");
    let summary = &report["summary"];
    for key in ["documents", "checked", "errors", "warnings"] {
        assert!(summary[key].is_u64(), "summary.{key}: {summary}");
    }
    assert_eq!(summary["documents"], 4);
    assert_eq!(summary["checked"], 3);
    let findings = json_findings(&report);
    let errors = findings.iter().filter(|f| f["severity"] == "error").count();
    let warnings = findings
        .iter()
        .filter(|f| f["severity"] == "warning")
        .count();
    assert_eq!(summary["errors"].as_u64(), Some(errors as u64));
    assert_eq!(summary["warnings"].as_u64(), Some(warnings as u64));
    assert_eq!(errors, 6, "{findings:#?}");

    for r in report["results"].as_array().unwrap() {
        assert!(r["file"].is_string(), "{r}");
        assert!(r["document"].is_u64(), "{r}");
        assert!(
            ["pass", "warn", "fail"].contains(&r["verdict"].as_str().unwrap_or("")),
            "{r}"
        );
        for f in r["findings"].as_array().unwrap() {
            for key in ["rule", "severity", "message", "path"] {
                assert!(f[key].is_string(), "finding.{key}: {f}");
            }
            assert!(f["line"].as_u64().is_some_and(|l| l >= 1), "{f}");
            assert!(f["column"].as_u64().is_some_and(|c| c >= 1), "{f}");
        }
    }

    // The docs/report.md example, field by field.
    let result = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["file"] == BAD_PATCH && r["policy"] == "ml-pipeline-config")
        .expect("result for the bad patch");
    assert_eq!(result["document"], 0);
    assert_eq!(result["kind"], "ConfigMap");
    assert_eq!(result["name"], "ml-pipeline-config");
    assert_eq!(result["namespace"], "ml-pipeline-staging");
    assert_eq!(result["policy"], "ml-pipeline-config");
    assert_eq!(result["verdict"], "fail");
    let log_level = result["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "/data/LOG_LEVEL")
        .expect("LOG_LEVEL finding");
    assert_eq!(
        log_level,
        &serde_json::json!({
            "rule": "schema",
            "severity": "error",
            "message": "\"TRACE\" is not one of [\"DEBUG\",\"INFO\",\"WARNING\",\"ERROR\"]",
            "path": "/data/LOG_LEVEL",
            "line": 11,
            "column": 14
        })
    );

    // The parse failure of the multi-document file is a result of its own.
    let parse = findings
        .iter()
        .find(|f| f["rule"] == "parse")
        .expect("parse finding");
    assert_eq!(parse["_file"], multi.as_str());
    assert_eq!(parse["_document"], 1);
    assert_eq!(parse["severity"], "error");
    assert_eq!(
        (parse["line"].as_u64(), parse["column"].as_u64()),
        (Some(12), Some(18))
    );
}

#[test]
fn json_report_verdicts_pass_and_warn() {
    let run = assay(&["check", "-o", "json", &fixture("ml-pipeline-good.yaml")]);
    run.assert_code(0);
    let report = run.json();
    assert_eq!(report["verdict"], "pass");
    assert_eq!(report["summary"]["errors"], 0);
    assert_eq!(report["results"][0]["verdict"], "pass");
    assert_eq!(report["results"][0]["findings"], serde_json::json!([]));

    let run = assay(&[
        "check",
        "-o",
        "json",
        "--env",
        "production",
        &fixture("ml-pipeline-debug.yaml"),
    ]);
    run.assert_code(0);
    let report = run.json();
    assert_eq!(report["verdict"], "warn");
    assert_eq!(report["summary"]["warnings"], 1);
    let f = &json_findings(&report)[0];
    assert_eq!(f["rule"], "no-debug-in-production");
    assert_eq!(f["severity"], "warning");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(5), Some(14))
    );
}

#[test]
fn sarif_report_is_valid_2_1_0() {
    let run = assay(&["check", "-o", "sarif", "examples/k8s/"]);
    run.assert_code(1);
    let sarif = run.json();
    assert_eq!(sarif["version"], "2.1.0");
    let run0 = &sarif["runs"][0];
    assert_eq!(run0["tool"]["driver"]["name"], "assay");
    let results = run0["results"].as_array().expect("runs[0].results");
    assert_eq!(results.len(), 10, "{results:#?}");
    let rule_ids: Vec<&str> = run0["tool"]["driver"]["rules"]
        .as_array()
        .expect("driver.rules")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    for r in results {
        let id = r["ruleId"].as_str().expect("ruleId");
        assert!(rule_ids.contains(&id), "{id} not among {rule_ids:?}");
        assert!(r["message"]["text"].is_string(), "{r}");
        assert!(
            ["error", "warning"].contains(&r["level"].as_str().unwrap_or("")),
            "{r}"
        );
        let loc = &r["locations"][0]["physicalLocation"];
        assert!(loc["artifactLocation"]["uri"].is_string(), "{r}");
        assert!(
            loc["region"]["startLine"].as_u64().is_some_and(|l| l >= 1),
            "{r}"
        );
        assert!(
            loc["region"]["startColumn"]
                .as_u64()
                .is_some_and(|c| c >= 1),
            "{r}"
        );
    }
    let trace = results
        .iter()
        .find(|r| {
            r["message"]["text"]
                .as_str()
                .is_some_and(|t| t.contains("TRACE"))
        })
        .expect("the TRACE finding");
    assert_eq!(trace["ruleId"], "ml-pipeline-config/schema");
    assert_eq!(trace["level"], "error");
    let loc = &trace["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], BAD_PATCH);
    assert_eq!(loc["region"]["startLine"], 11);
    assert_eq!(loc["region"]["startColumn"], 14);
}

/// JUnit XML for CI test-report views: one test case per document and
/// policy, failing when it has errors; warnings fail only with
/// `--fail-on warning`.
#[test]
fn junit_report_is_well_formed_and_matches_the_json_report() {
    // The examples have errors; the debug pipeline in production, a warning only.
    let debug = fixture("ml-pipeline-debug.yaml");
    let inputs = ["--env", "production", "examples/k8s/", debug.as_str()];
    let args = |format: &str, fail_on: &str| {
        let mut args = vec!["check", "-o", format, "--fail-on", fail_on];
        args.extend(inputs);
        args.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let run_with = |format: &str, fail_on: &str| {
        let args = args(format, fail_on);
        assay(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let json = run_with("json", "error").json();
    let results = json["results"].as_array().expect("results");
    let with = |sev: &str| {
        results
            .iter()
            .filter(|r| {
                r["findings"]
                    .as_array()
                    .is_some_and(|fs| fs.iter().any(|f| f["severity"] == sev))
            })
            .count()
    };
    let with_errors = with("error");
    let (with_warnings_only, errors_total) = {
        let only = results
            .iter()
            .filter(|r| {
                let fs = r["findings"].as_array().expect("findings");
                fs.iter().any(|f| f["severity"] == "warning")
                    && !fs.iter().any(|f| f["severity"] == "error")
            })
            .count();
        (
            only,
            json_findings(&json)
                .iter()
                .filter(|f| f["severity"] == "error")
                .count(),
        )
    };
    assert!(
        with_warnings_only > 0,
        "the examples have a warning-only case"
    );

    for (fail_on, failures) in [
        ("error", with_errors),
        ("warning", with_errors + with_warnings_only),
    ] {
        let run = run_with("junit", fail_on);
        run.assert_code(1);
        let doc = roxmltree::Document::parse(&run.stdout)
            .unwrap_or_else(|e| panic!("not XML ({e}):\n{}", run.stdout));
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "testsuites");
        let cases: Vec<_> = root
            .descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        assert_eq!(cases.len(), results.len(), "{}", run.stdout);
        assert_eq!(
            root.attribute("tests"),
            Some(results.len().to_string().as_str())
        );
        assert_eq!(
            root.attribute("failures"),
            Some(failures.to_string().as_str())
        );
        let failed: Vec<_> = cases
            .iter()
            .filter_map(|c| c.children().find(|n| n.has_tag_name("failure")))
            .collect();
        assert_eq!(failed.len(), failures, "--fail-on {fail_on}");
        let failure_lines: usize = failed
            .iter()
            .map(|f| {
                f.text()
                    .unwrap_or("")
                    .lines()
                    .filter(|l| l.contains(": error["))
                    .count()
            })
            .sum();
        assert_eq!(failure_lines, errors_total, "every error is in a failure");
    }

    // The TRACE finding of the bad patch, at its line and column, with the
    // quotes of its message escaped and read back.
    let run = run_with("junit", "error");
    let doc = roxmltree::Document::parse(&run.stdout).expect("XML");
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite") && n.attribute("name") == Some(BAD_PATCH))
        .expect("a test suite for the bad patch");
    let failure = suite
        .descendants()
        .find(|n| n.has_tag_name("failure"))
        .expect("its failure");
    let text = failure.text().unwrap_or("");
    assert!(
        text.lines().any(|l| l.starts_with(&format!(
            "{BAD_PATCH}:11:14: error[ml-pipeline-config/schema] \"TRACE\" is not one of"
        ))),
        "{text}"
    );
}

/// A document that does not parse has no policy or object to name its case by.
#[test]
fn junit_names_a_parse_failure_by_file_and_document() {
    let run = assay(&["check", "-o", "junit", &fixture("mixed/a-broken.yaml")]);
    run.assert_code(1);
    let doc = roxmltree::Document::parse(&run.stdout).expect("XML");
    let case = doc
        .descendants()
        .find(|n| n.has_tag_name("testcase"))
        .expect("a test case");
    assert_eq!(case.attribute("name"), Some("parse (document 0)"));
    let failure = case.children().find(|n| n.has_tag_name("failure"));
    assert_eq!(failure.and_then(|f| f.attribute("type")), Some("parse"));
}

#[test]
fn github_annotations() {
    let run = assay(&["check", "-o", "github", "examples/k8s/"]);
    run.assert_code(1);
    let lines = run.stdout_lines();
    assert_eq!(lines.len(), 10, "{}", run.stdout);
    for l in &lines {
        assert!(
            l.starts_with("::error file=") || l.starts_with("::warning file="),
            "{l}"
        );
    }
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("::warning")).count(),
        2
    );
    // Secrets are redacted in annotations too.
    assert!(!run.stdout.contains("AssayFakeToken"), "{}", run.stdout);
    assert!(!run.stdout.contains("ssW0rd-synthetic"), "{}", run.stdout);
    assert!(
        lines.iter().any(|l| l.starts_with(
            "::error file=examples/k8s/ml-pipeline-config-bad-patch.yaml,line=11,col=14,title=ml-pipeline-config/schema::\"TRACE\" is not one of"
        )),
        "{}",
        run.stdout
    );

    let run = assay(&[
        "check",
        "-o",
        "github",
        "--env",
        "production",
        &fixture("ml-pipeline-debug.yaml"),
    ]);
    run.assert_code(0);
    assert!(
        run.stdout.starts_with(&format!(
            "::warning file={},line=5,col=14,title=ml-pipeline-config/no-debug-in-production::",
            fixture("ml-pipeline-debug.yaml")
        )),
        "{}",
        run.stdout
    );

    // Parse findings are annotations too.
    let run = assay(&["check", "-o", "github", &fixture("mixed/a-broken.yaml")]);
    run.assert_code(1);
    assert!(
        run.stdout.starts_with(&format!(
            "::error file={},line=7,col=18,",
            fixture("mixed/a-broken.yaml")
        )),
        "{}",
        run.stdout
    );
}

#[test]
fn human_output_is_one_line_per_finding() {
    let run = assay(&[
        "check",
        "-p",
        "policies/upgrade/upgrade-guard.yaml",
        "--old",
        &fixture("upgrade/old.yaml"),
        &fixture("upgrade/new-env-removed.yaml"),
    ]);
    run.assert_code(1);
    // One finding line plus the summary line.
    let lines = run.stdout_lines();
    assert_eq!(lines.len(), 2, "{}", run.stdout);
    assert!(split_location(lines[0]).is_some(), "{}", lines[0]);
}
