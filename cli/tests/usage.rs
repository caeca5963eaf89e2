//! Integration tests of the `assay` binary: real inputs, real outputs, real
//! exit codes (docs/report.md, docs/cli.md). Helpers and fixtures: `common/mod.rs`.
//!
//! Usage errors, unreadable inputs and closed pipes, across subcommands.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{assay, fixture, workspace_root, BAD_PATCH, BIN};
use std::io::Read;
use std::process::{Command, Stdio};

#[test]
fn unreadable_paths_exit_2() {
    let missing = fixture("does-not-exist.yaml");
    let run = assay(&["check", &missing]);
    run.assert_code(2);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    let lines = run.stderr_lines();
    assert_eq!(lines.len(), 1, "{}", run.stderr);
    assert!(
        lines[0].starts_with(&format!("{missing}: ")),
        "{}",
        lines[0]
    );

    // Even alongside readable inputs.
    let run = assay(&["check", &fixture("ml-pipeline-good.yaml"), &missing]);
    run.assert_code(2);

    // A path below a regular file.
    let run = assay(&["check", &format!("{BAD_PATCH}/x.yaml")]);
    run.assert_code(2);

    // Missing policy path, missing --old.
    let run = assay(&["check", "-p", &missing, &fixture("ml-pipeline-good.yaml")]);
    run.assert_code(2);
    assert!(run.stderr.starts_with(&missing), "{}", run.stderr);
    let run = assay(&[
        "check",
        "--old",
        &missing,
        &fixture("ml-pipeline-good.yaml"),
    ]);
    run.assert_code(2);
    assert!(run.stderr.starts_with(&missing), "{}", run.stderr);

    // `assay test` on a missing directory.
    let run = assay(&["test", &missing]);
    run.assert_code(2);
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &[][..],
        &["check"][..],
        &["check", "-o", "xml", "examples/k8s/"][..],
        &["check", "--fail-on", "never", "examples/k8s/"][..],
        &["check", "--no-such-flag", "examples/k8s/"][..],
        &["frobnicate"][..],
    ] {
        let run = assay(args);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(!run.stderr.is_empty(), "{args:?}: nothing on stderr");
    }
    let run = assay(&["--help"]);
    run.assert_code(0);
    assert!(run.stdout.contains("check"), "{}", run.stdout);
    let run = assay(&["--version"]);
    run.assert_code(0);
}

#[test]
fn review_and_decide_name_an_input_they_cannot_read() {
    for command in ["review", "decide"] {
        let run = assay(&[command, "no/such/input.json"]);
        run.assert_code(2);
        assert!(
            run.stderr.contains("no/such/input.json: cannot read"),
            "{command}: {}",
            run.stderr
        );
    }
}

#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    // `assay check ... | head -1` closes the pipe early; that used to panic.
    let mut child = Command::new(BIN)
        .args(["check", "examples/", "-o", "json"])
        .current_dir(workspace_root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start assay");
    drop(child.stdout.take());
    let mut stderr = String::new();
    let _ = child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr);
    let status = child.wait().expect("wait for assay");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(status.code(), Some(101), "{stderr}");
}
