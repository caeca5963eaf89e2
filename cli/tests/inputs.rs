//! Integration tests of the `assay` binary: real inputs, real outputs, real
//! exit codes (docs/report.md, docs/cli.md). Helpers and fixtures: `common/mod.rs`.
//!
//! Broken and odd inputs to `assay check`: parse findings with locations,
//! the rest still checked.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{assay, assay_stdin, fixture, json_findings, split_location, workspace_root, TempDir};
use serde_json::Value;
use std::time::{Duration, Instant};

#[test]
fn syntax_error_is_a_located_parse_finding_and_other_files_are_still_checked() {
    let dir = fixture("mixed");
    let run = assay(&["check", &dir]);
    run.assert_code(1);
    // The broken file: a `parse` finding at the offending spot.
    let broken = format!("{dir}/a-broken.yaml:7:18: error[");
    run.assert_stdout_has_line_starting(&broken);
    let line = run.stdout.lines().find(|l| l.starts_with(&broken)).unwrap();
    assert!(line.contains("/parse] does not parse"), "{line}");
    // The files after it are still checked.
    run.assert_stdout_has_line_starting(&format!(
        "{dir}/b-bad-log-level.yaml:5:14: error[ml-pipeline-config/schema] \"TRACE\" is not one of"
    ));
    // The multi-document file: the broken middle document does not hide the others.
    run.assert_stdout_has_line_starting(&format!(
        "{dir}/c-multi.yaml:5:14: error[ml-pipeline-config/schema] \"TRACE\" is not one of"
    ));
    run.assert_stdout_has_line_starting(&format!(
        "{dir}/c-multi.yaml:12:18: error[-/parse] does not parse"
    ));
    run.assert_stdout_has_line_starting(&format!(
        "{dir}/c-multi.yaml:18:16: error[ml-pipeline-config/workers-ceiling] API_WORKERS 64 exceeds 32"
    ));
    // notes.txt is not a config file; 1 + 1 + 3 documents, 3 of them checked.
    assert!(!run.stdout.contains("notes.txt"), "{}", run.stdout);
    assert!(
        run.summary_line()
            .starts_with("fail: 5 document(s), 3 checked, 5 error(s), 0 warning(s)"),
        "{}",
        run.stdout
    );
}

#[test]
fn multi_document_stream_with_a_broken_document_reports_the_others() {
    let text = std::fs::read(workspace_root().join(fixture("mixed/c-multi.yaml"))).unwrap();
    let run = assay_stdin(&["check", "-o", "json", "-"], &text);
    run.assert_code(1);
    let report = run.json();
    assert_eq!(report["summary"]["documents"], 3);
    assert_eq!(report["summary"]["checked"], 2);
    let findings = json_findings(&report);
    let by_doc = |d: u64| -> Vec<&Value> {
        findings
            .iter()
            .filter(|f| f["_document"].as_u64() == Some(d))
            .collect()
    };
    let doc0 = by_doc(0);
    assert_eq!(doc0.len(), 1, "{doc0:?}");
    assert_eq!(doc0[0]["rule"], "schema");
    assert_eq!(doc0[0]["path"], "/data/LOG_LEVEL");
    assert_eq!(
        (doc0[0]["line"].as_u64(), doc0[0]["column"].as_u64()),
        (Some(5), Some(14))
    );

    let doc1 = by_doc(1);
    assert_eq!(doc1.len(), 1, "{doc1:?}");
    assert_eq!(doc1[0]["rule"], "parse");
    assert_eq!(doc1[0]["severity"], "error");
    assert_eq!(
        (doc1[0]["line"].as_u64(), doc1[0]["column"].as_u64()),
        (Some(12), Some(18))
    );
    assert_eq!(doc1[0]["_file"], "<stdin>");

    let doc2 = by_doc(2);
    assert_eq!(doc2.len(), 1, "{doc2:?}");
    assert_eq!(doc2[0]["rule"], "workers-ceiling");
    assert_eq!(
        (doc2[0]["line"].as_u64(), doc2[0]["column"].as_u64()),
        (Some(18), Some(16))
    );
}

#[test]
fn broken_first_document_does_not_hide_the_next() {
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ml-pipeline-config\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: ml-pipeline-config}\ndata:\n  LOG_LEVEL: TRACE\n";
    let run = assay_stdin(&["check", "-"], text);
    run.assert_code(1);
    assert!(
        run.stdout.contains("/parse] does not parse"),
        "{}",
        run.stdout
    );
    run.assert_stdout_has_line_starting("<stdin>:9:14: error[ml-pipeline-config/schema]");
    assert!(
        run.summary_line()
            .starts_with("fail: 2 document(s), 1 checked"),
        "{}",
        run.stdout
    );
}

#[test]
fn other_syntax_errors_are_located() {
    let cases: [(&str, &str, &str); 3] = [
        (
            "bad indentation",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  A: \"1\"\n B: \"2\"\n",
            "<stdin>:7:2: ",
        ),
        (
            "duplicate key",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  A: \"1\"\n  A: \"2\"\n",
            "<stdin>:7:3: ",
        ),
        (
            "unknown alias",
            "a: 1\nb: *nope\n",
            "<stdin>:2:4: ",
        ),
    ];
    for (what, text, prefix) in cases {
        let run = assay_stdin(&["check", "-"], text);
        assert_eq!(run.code, 1, "{what}: {run:?}");
        let line = run
            .stdout
            .lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("{what}: no line starting {prefix:?}:\n{}", run.stdout));
        assert!(line.contains("/parse] does not parse"), "{what}: {line}");
    }
}

#[test]
fn invalid_utf8_is_a_located_parse_finding() {
    let tmp = TempDir::new("utf8");
    let bad = tmp.write(
        "bad.yaml",
        b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ml-pipeline-config}\ndata:\n  LOG_LEVEL: \"\xff\xfe\"\n",
    );
    let good = tmp.write(
        "good.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ml-pipeline-config}\ndata:\n  LOG_LEVEL: TRACE\n",
    );
    let run = assay(&["check", tmp.path()]);
    run.assert_code(1);
    let line = run
        .stdout
        .lines()
        .find(|l| l.starts_with(&format!("{bad}:5:15: error[")))
        .unwrap_or_else(|| panic!("no parse finding at {bad}:5:15\n{}", run.stdout));
    assert!(line.contains("/parse]") && line.contains("UTF-8"), "{line}");
    // The other file in the directory is still checked.
    run.assert_stdout_has_line_starting(&format!("{good}:5:14: error[ml-pipeline-config/schema]"));

    // On stdin; columns count characters, not bytes.
    let run = assay_stdin(&["check", "-"], b"a: \xc3\xa9\xc3\xa9\xff\n");
    run.assert_code(1);
    run.assert_stdout_has_line_starting("<stdin>:1:6: error[");
    let run = assay_stdin(&["check", "-o", "json", "-"], b"\xff");
    run.assert_code(1);
    let f = &json_findings(&run.json())[0];
    assert_eq!(f["rule"], "parse");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(1), Some(1))
    );
}

#[test]
fn deeply_nested_input_is_a_parse_finding() {
    let flow = "[".repeat(10_000) + &"]".repeat(10_000);
    let run = assay_stdin(&["check", "-"], &flow);
    run.assert_code(1);
    run.assert_stdout_has_line_starting("<stdin>:1:");
    assert!(
        run.stdout.contains("/parse] does not parse") && run.stdout.contains("nesting"),
        "{}",
        run.stdout
    );

    let maps = "{a: ".repeat(10_000) + &"}".repeat(10_000);
    let run = assay_stdin(&["check", "-"], &maps);
    run.assert_code(1);
    assert!(run.stdout.contains("nesting"), "{}", run.stdout);

    // Block style: the limit is reported where it is crossed.
    let mut block = String::new();
    for i in 0..200 {
        block.push_str(&"  ".repeat(i));
        block.push_str("a:\n");
    }
    block.push_str(&"  ".repeat(200));
    block.push_str("b: 1\n");
    let run = assay_stdin(&["check", "-"], &block);
    run.assert_code(1);
    run.assert_stdout_has_line_starting(
        "<stdin>:129:257: error[-/limit] does not parse: nesting deeper than",
    );

    // JSON too.
    let json = "{\"a\":".repeat(5_000) + "1" + &"}".repeat(5_000);
    let run = assay_stdin(&["check", "-"], &json);
    run.assert_code(1);
    assert!(run.stdout.contains("nesting"), "{}", run.stdout);

    // A deeply nested document followed by a good one: the good one is still checked.
    let two = format!(
        "{flow}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: ml-pipeline-config}}\ndata:\n  LOG_LEVEL: TRACE\n"
    );
    let run = assay_stdin(&["check", "-"], &two);
    run.assert_code(1);
    run.assert_stdout_has_line_starting("<stdin>:7:14: error[ml-pipeline-config/schema]");
}

#[test]
fn nesting_within_the_limit_is_checked_normally() {
    let nested = "[".repeat(100) + &"]".repeat(100);
    let text = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: ml-pipeline-config}}\ndata:\n  LOG_LEVEL: INFO\n  NESTED: {nested}\n"
    );
    let run = assay_stdin(&["check", "-"], &text);
    run.assert_code(1);
    // A schema finding (no such key), not a parse finding.
    run.assert_stdout_has_line_starting(
        "<stdin>:5:3: error[ml-pipeline-config/schema] Additional properties are not allowed",
    );
    assert!(!run.stdout.contains("/parse]"), "{}", run.stdout);
}

#[test]
fn alias_bomb_is_a_limit_finding_not_a_hang() {
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let p = i - 1;
        let refs = vec![format!("*a{p}"); 10].join(", ");
        bomb.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    let started = Instant::now();
    let run = assay_stdin(&["check", "-"], &bomb);
    run.assert_code(1);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    let line = run
        .stdout
        .lines()
        .find(|l| l.contains("/limit]"))
        .unwrap_or_else(|| panic!("no limit finding:\n{}", run.stdout));
    assert!(split_location(line).is_some(), "not located: {line}");
    assert!(
        line.contains("aliases") && line.contains("limit `values`"),
        "{line}"
    );

    // As a policy file too: rejected with a location, exit 2.
    let tmp = TempDir::new("bomb-policy");
    let policy = tmp.write(
        "p.yaml",
        format!(
            "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {{name: p}}\nspec:\n  params:\n{}",
            bomb.lines().map(|l| format!("    {l}\n")).collect::<String>()
        ),
    );
    let run = assay(&["check", "-p", &policy, &fixture("ml-pipeline-good.yaml")]);
    run.assert_code(2);
    let first = run.stderr_lines()[0].to_owned();
    assert!(first.starts_with(&format!("{policy}:")), "{first}");
    assert!(split_location(&first).is_some(), "{first}");
}

#[test]
fn odd_but_valid_documents_do_not_crash() {
    let inputs: &[&[u8]] = &[
        b"",
        b"# only a comment\n",
        b"---\n",
        b"42\n",
        b"[1, 2, 3]\n",
        b"just a string\n",
        b"{kind: 5, metadata: {name: 3}}\n",
        b"kind: ConfigMap\nmetadata: null\n",
        b"kind: ConfigMap\nmetadata: {name: ml-pipeline-config}\ndata: null\n",
        b"kind: ConfigMap\nmetadata: {name: ml-pipeline-config}\ndata: {MODEL_UPDATE_INTERVAL: 99999999999999999999999}\n",
        b"kind: ConfigMap\nmetadata: {name: ml-pipeline-config}\ndata: {API_WORKERS: \"99999999999999999999999\"}\n",
        b"kind: ConfigMap\nmetadata: {name: ml-pipeline-config}\ndata: {MODEL_UPDATE_INTERVAL: .inf, API_WORKERS: -0x10}\n",
        b"kind: ConfigMap\nmetadata: {name: app-config}\ndata: {config.yaml: 5}\n",
        b"kind: ConfigMap\nmetadata: {name: app-config}\ndata: {config.yaml: \"[unclosed\"}\n",
        b"kind: ConfigMap\nmetadata: {name: app-config}\ndata:\n  config.yaml: |\n    a: &x [*x]\n",
        b"kind: Deployment\nmetadata: {name: d}\nspec: {template: {spec: {containers: 7}}}\n",
        b"kind: Deployment\nmetadata: {name: d}\n",
        b"a: !!binary aGVsbG8=\nb: !custom x\n",
        b"? [complex]\n: key\n",
        b"\xef\xbb\xbfkind: ConfigMap\n",
        b"kind: ConfigMap\r\nmetadata: {name: ml-pipeline-config}\r\n",
        b"a: \"NUL \x00 inside\"\n",
        b"\t\t\t\n",
        b"...\n---\n...\n",
    ];
    for input in inputs {
        for env in ["", "production"] {
            let run = assay_stdin(&["check", "--env", env, "-"], input);
            assert!(
                run.code == 0 || run.code == 1,
                "input {:?}: exit {} stderr {}",
                String::from_utf8_lossy(input),
                run.code,
                run.stderr
            );
            // Every finding line is located or marked with its document.
            for line in run.stdout.lines().filter(|l| l.starts_with("<stdin>")) {
                assert!(
                    split_location(line).is_some() || line.starts_with("<stdin>#"),
                    "{line}"
                );
            }
        }
    }
}

#[test]
fn crlf_and_bom_keep_positions() {
    let crlf = "apiVersion: v1\r\nkind: ConfigMap\r\nmetadata: {name: ml-pipeline-config}\r\ndata:\r\n  LOG_LEVEL: \"TRACE\"\r\n";
    let run = assay_stdin(&["check", "-"], crlf);
    run.assert_code(1);
    run.assert_stdout_has_line_starting("<stdin>:5:14: error[ml-pipeline-config/schema]");

    let bom = "\u{feff}apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ml-pipeline-config}\ndata:\n  LOG_LEVEL: \"TRACE\"\n";
    let run = assay_stdin(&["check", "-"], bom);
    run.assert_code(1);
    run.assert_stdout_has_line_starting("<stdin>:5:14: error[ml-pipeline-config/schema]");
}

#[test]
fn embedded_not_json_finding_points_at_the_value() {
    let input = fixture("embedded-json/not-json.yaml");
    let run = assay(&[
        "check",
        "-o",
        "json",
        "-p",
        &fixture("embedded-json/policy.yaml"),
        &input,
    ]);
    run.assert_code(1);
    let f = &json_findings(&run.json())[0];
    assert_eq!(f["rule"], "embedded");
    assert!(
        f["message"].as_str().unwrap_or("").contains("not JSON"),
        "{f}"
    );
    let at = (f["line"].as_u64(), f["column"].as_u64());
    // The block scalar indicator (5:18) or the first line of the JSON text (6:5).
    assert!(
        at == (Some(5), Some(18)) || at == (Some(6), Some(5)),
        "located at {at:?}"
    );
}

#[test]
fn trailing_document_marker_is_not_a_document() {
    let run = assay_stdin(&["check", "-o", "json", "-"], "a: 1\n---\n");
    run.assert_code(0);
    assert_eq!(run.json()["summary"]["documents"], 1);
}

#[test]
fn invalid_utf8_in_one_document_does_not_hide_the_others() {
    let text = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ml-pipeline-config}\ndata:\n  LOG_LEVEL: TRACE\n---\na: \"\xff\"\n";
    let run = assay_stdin(&["check", "-"], text);
    run.assert_code(1);
    run.assert_stdout_has_line_starting("<stdin>:5:14: error[ml-pipeline-config/schema]");
    run.assert_stdout_has_line_starting("<stdin>:7:5: error[");
}

/// Links back up a directory tree are not followed (two of them made the
/// walk endless), and a file that cannot be read is a finding next to the
/// other files' results, with exit 2 (it used to end the run with no report).
#[cfg(unix)]
#[test]
fn a_directory_with_links_up_and_a_dangling_link_is_still_checked() {
    let dir = TempDir::new("links");
    dir.write(
        "sub/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {LOG_LEVEL: INFO}\n",
    );
    for (target, link) in [
        ("..", "sub/up1"),
        ("..", "sub/up2"),
        ("gone.yaml", "dangling.yaml"),
    ] {
        std::os::unix::fs::symlink(target, dir.0.join(link)).unwrap();
    }
    let run = assay(&["check", "-o", "json", dir.path()]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("dangling.yaml: cannot read: "),
        "{}",
        run.stderr
    );
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["summary"]["documents"], 2, "{}", run.stdout);
    let findings = json_findings(&report);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["rule"], "read");
    assert!(findings[0]["_file"]
        .as_str()
        .unwrap()
        .ends_with("dangling.yaml"));
    assert!(findings[0]["message"]
        .as_str()
        .unwrap()
        .starts_with("cannot read: "));
    // A finding with no position still has a line in SARIF (GitHub needs one).
    let sarif = assay(&["check", "-o", "sarif", dir.path()]).json();
    let region = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startLine"], 1, "{sarif}");
}
