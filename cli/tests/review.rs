//! Integration tests of the `assay` binary: real inputs, real outputs, real
//! exit codes (docs/report.md, docs/cli.md). Helpers and fixtures: `common/mod.rs`.
//!
//! `assay review`: Kubernetes admission reviews.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{
    assay, assay_stdin, split_location, workspace_root, ADMISSION_ALLOWED, ADMISSION_DENIED,
};

#[test]
fn review_answers_an_admission_review_with_the_uid_and_the_verdict() {
    let run = assay(&["review", "--env", "production", ADMISSION_ALLOWED]);
    run.assert_code(0);
    let response = run.json();
    assert_eq!(response["kind"], "AdmissionReview");
    assert_eq!(
        response["response"]["uid"],
        "4b1c6a7e-0f57-4c3e-9d0b-8a3c1f2e5d61"
    );
    assert_eq!(response["response"]["allowed"], true);

    let denied = std::fs::read(workspace_root().join(ADMISSION_DENIED)).unwrap();
    let run = assay_stdin(&["review", "--env", "production", "-"], &denied);
    run.assert_code(1);
    let response = run.json();
    assert_eq!(response["response"]["allowed"], false);
    assert_eq!(response["response"]["status"]["code"], 403);
    let message = response["response"]["status"]["message"].as_str().unwrap();
    assert!(
        message.contains("ml-pipeline-config/schema at /data/LOG_LEVEL")
            && message.contains("update-interval-floor"),
        "{message}"
    );
    // Outside production the 10 s interval is fine; the log level is not.
    let run = assay(&["review", ADMISSION_DENIED]);
    run.assert_code(1);
    let message = run.json()["response"]["status"]["message"].to_string();
    assert!(!message.contains("update-interval-floor"), "{message}");
}

#[test]
fn review_rejects_what_is_not_an_admission_request_with_a_location() {
    let run = assay_stdin(
        &["review"],
        b"apiVersion: admission.k8s.io/v1\nkind: AdmissionReview\nresponse: {uid: a, allowed: true}\n",
    );
    run.assert_code(2);
    assert!(
        run.stderr.starts_with("<stdin>:1:1: `request` is missing"),
        "{}",
        run.stderr
    );
    let run = assay_stdin(
        &["review"],
        b"{\"apiVersion\": \"admission.k8s.io/v1\",\n \"kind\": [",
    );
    run.assert_code(2);
    let (_, line, _, message) = split_location(run.stderr_lines()[0]).unwrap();
    assert!(
        line >= 2 && message.contains("does not parse"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());
}

#[test]
fn review_never_echoes_a_secret_it_denies() {
    let token = "ghp_AssayFake8hfqEnMCxKJ9UlB8VGFHKGNZv9n";
    let review = format!(
        r#"{{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {{"uid": "s1",
  "object": {{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {{"name": "app"}}, "data": {{"GITHUB_TOKEN": "{token}"}}}}}}}}"#
    );
    let run = assay_stdin(&["review"], review.as_bytes());
    run.assert_code(1);
    assert!(run.stdout.contains("secret-in-configmap"), "{}", run.stdout);
    assert!(!run.stdout.contains(token) && !run.stderr.contains(token));
}
