//! Inputs over 64 MiB, the most read at once: checked a chunk of documents
//! at a time (docs/limits.md, "Streams larger than one read"), with their
//! findings at their lines and document indices in the whole stream, and
//! the report written as it goes. Smaller chunks and documents too large
//! are tested in `host/tests/stream.rs`, where the sizes can be made small.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{assay, assay_stdin, json_findings, TempDir};
use std::io::Write;

const BAD: &str = "apiVersion: v1
kind: ConfigMap
metadata:
  name: ml-pipeline-config
data:
  LOG_LEVEL: TRACE
";

const GOOD: &str = "apiVersion: v1
kind: ConfigMap
metadata: {name: other}
data: {A: b}
";

/// A stream of 66 MiB: the bad ConfigMap, 66 documents holding a 1 MiB
/// comment each (null, so not documents) with a ConfigMap after every
/// tenth, and the bad ConfigMap again. Its documents: (index, first line)
/// of each bad one, and the count.
fn huge() -> (Vec<u8>, [(u64, u64); 2], u64) {
    let mut out = Vec::with_capacity(67 << 20);
    out.extend_from_slice(BAD.as_bytes());
    let mut lines = BAD.lines().count() as u64;
    let mut documents = 1;
    let comment = format!("# {}\n", "x".repeat(1 << 20));
    for i in 0..66 {
        out.extend_from_slice(b"---\n");
        out.extend_from_slice(comment.as_bytes());
        lines += 2;
        if i % 10 == 0 {
            out.extend_from_slice(b"---\n");
            out.extend_from_slice(GOOD.as_bytes());
            lines += 1 + GOOD.lines().count() as u64;
            documents += 1;
        }
    }
    out.extend_from_slice(b"---\n");
    out.extend_from_slice(BAD.as_bytes());
    let last = (documents, lines + 2);
    documents += 1;
    assert!(out.len() > 64 << 20);
    (out, [(0, 1), last], documents)
}

/// The LOG_LEVEL findings: (document, line).
fn log_levels(report: &serde_json::Value) -> Vec<(u64, u64)> {
    json_findings(report)
        .iter()
        .filter(|f| f["path"] == "/data/LOG_LEVEL")
        .map(|f| {
            (
                f["_document"].as_u64().unwrap(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_file_over_64_mib_is_checked_in_chunks_at_its_lines() {
    let (bytes, bad, documents) = huge();
    let dir = TempDir::new("huge");
    let path = dir.0.join("huge.yaml");
    std::fs::File::create(&path)
        .unwrap()
        .write_all(&bytes)
        .unwrap();
    drop(bytes);
    let path = path.to_str().unwrap();
    let run = assay(&["check", "-o", "json", path]);
    run.assert_code(1);
    let report = run.json();
    assert_eq!(report["summary"]["documents"], documents, "{}", run.stdout);
    assert_eq!(report["summary"]["checked"], documents);
    // Each bad ConfigMap's value is on its fifth line, at column 14.
    let expected: Vec<(u64, u64)> = bad.iter().map(|&(d, l)| (d, l + 5)).collect();
    assert_eq!(log_levels(&report), expected, "{}", run.stdout);
    assert!(json_findings(&report)
        .iter()
        .all(|f| f["column"] == 14 || f["path"] != "/data/LOG_LEVEL"));

    // The human report, written as it goes, says the same.
    let run = assay(&["check", path]);
    run.assert_code(1);
    for (_, line) in &expected {
        run.assert_stdout_has_line_starting(&format!(
            "{path}:{line}:14: error[ml-pipeline-config/schema] \"TRACE\" is not one of"
        ));
    }
    assert!(
        run.summary_line().starts_with(&format!(
            "fail: {documents} document(s), {documents} checked"
        )),
        "{}",
        run.summary_line()
    );
}

#[test]
fn stdin_over_64_mib_is_checked_in_chunks() {
    let (bytes, bad, documents) = huge();
    let run = assay_stdin(&["check", "-o", "junit", "-"], &bytes);
    run.assert_code(1);
    let doc = roxmltree::Document::parse(&run.stdout).unwrap();
    let suites: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 1, "{}", run.stdout);
    assert_eq!(suites[0].attribute("name"), Some("<stdin>"));
    // Every document is one test case of the one policy that applies.
    assert!(
        suites[0]
            .attribute("tests")
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= documents,
        "{}",
        run.stdout
    );
    let last = bad[1];
    assert!(
        run.stdout.contains(&format!("(document {})", last.0)),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&format!(
            "&lt;stdin&gt;:{}:14: error[ml-pipeline-config/schema]",
            last.1 + 5
        )),
        "{}",
        run.stdout
    );
}
