//! Planted credentials never reach any rendered output: every report
//! format, the review response and error answers. Each case is a policy
//! whose `messageExpr` prints (part of) a secret of the document it checks.

#![allow(clippy::unwrap_used, clippy::panic)]

use assay_core::api::{answer, Answer, Request};
use assay_core::redact::shown_piece;
use assay_core::{PolicySet, Report};
use serde_json::Value;

const TOKEN: &str = "ghp_AssayFake8hfqEnMCxKJ9UlB8VGFHKGNZv9n";
const BEARER: &str =
    "eyJhbGciOiJSUzI1NiIsImtpZCI6IkFzc2F5RmFrZSJ9.c2VjcmV0LWJvZHktb2YtdGhlLXRva2Vu";
/// Not token-shaped and not under a credential-like key: secret only
/// because it is in a Secret.
const OPAQUE: &str = "Zq8v1NwX3rT6yU0pL9kJ2hG5fD4sA7mB";
const PEM_LINE: &str = "MIIEowIBAAKCAQEAassayFAKEfakeFAKEkeyBODYline0123456789abcdefABCDEF";

fn policy(message_expr: &str) -> PolicySet {
    let text = format!(
        "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {{name: leaky}}\nspec:\n  rules:\n    - name: echo\n      expr: 'false'\n      messageExpr: {}\n",
        serde_json::to_string(message_expr).unwrap()
    );
    PolicySet::load(&[("leaky.yaml".to_owned(), text)]).unwrap()
}

fn secret_doc() -> String {
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: creds}}\nstringData:\n  kubeconfig: |\n    apiVersion: v1\n    users:\n      - name: ci\n        user:\n          token: {BEARER}\n          exec: {{command: login, args: [--session, {OPAQUE}]}}\n  key.pem: |\n    -----BEGIN RSA PRIVATE KEY-----\n    {PEM_LINE}\n    -----END RSA PRIVATE KEY-----\n  github: {TOKEN}\n"
    )
}

fn report(set: &PolicySet, input: &str) -> Report {
    let request = Request::Check {
        input: Some(Value::String(input.to_owned())),
        file: Some("leak.yaml".to_owned()),
        env: String::new(),
        old: None,
        old_file: None,
        limits: None,
    };
    match answer(set, request) {
        Answer::Report { report } => report,
        other => panic!("not a report: {other:?}"),
    }
}

/// Every way a report is written.
fn rendered(report: &Report) -> Vec<(&'static str, String)> {
    vec![
        ("json", report.to_json()),
        ("human", report.to_human(false)),
        ("github", report.to_github()),
        ("junit", report.to_junit(true)),
        ("sarif", report.to_sarif()),
    ]
}

/// No 8-character piece of `secret` (nor of its lines) is in `output`.
fn assert_no_piece(output: &str, secret: &str, what: &str) {
    if let Some(piece) = shown_piece(output, secret) {
        panic!("{what}: `{piece}` of a secret is in\n{output}");
    }
}

fn assert_clean(set: &PolicySet, input: &str) {
    let report = report(set, input);
    assert!(
        report.results.iter().any(|r| !r.findings.is_empty()),
        "no finding to look at"
    );
    for (format, output) in rendered(&report) {
        for secret in [TOKEN, BEARER, PEM_LINE, OPAQUE] {
            assert_no_piece(&output, secret, format);
        }
    }
}

#[test]
fn a_multi_line_value_printed_whole_is_redacted() {
    let set = policy("'config: ' + object.stringData.kubeconfig");
    assert_clean(&set, &secret_doc());
}

#[test]
fn one_line_of_a_multi_line_value_is_redacted() {
    let set = policy("'line: ' + object.stringData['key.pem'].split('\\n')[1]");
    assert_clean(&set, &secret_doc());
}

#[test]
fn a_substring_of_a_token_is_redacted() {
    for expr in [
        "'tail: ' + object.stringData.github.substring(1)",
        "'head: ' + object.stringData.github.substring(0, 20) + '!'",
        "'middle: ' + object.stringData.github.substring(10, 30)",
    ] {
        assert_clean(&policy(expr), &secret_doc());
    }
}

#[test]
fn the_review_response_is_redacted() {
    let set = policy("'config: ' + object.stringData.kubeconfig");
    let review = serde_json::json!({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {"uid": "u1", "object": serde_yaml_like(&secret_doc())}
    });
    let request = Request::Review {
        review,
        file: None,
        env: String::new(),
        limits: None,
    };
    let Answer::Review { review, report } = answer(&set, request) else {
        panic!("not a review answer");
    };
    let text = review.to_string() + &report.to_json();
    for secret in [TOKEN, BEARER, PEM_LINE, OPAQUE] {
        assert_no_piece(&text, secret, "review");
    }
}

/// The Secret of `secret_doc` as a value.
fn serde_yaml_like(text: &str) -> Value {
    let docs = assay_core::parse::parse_stream(text);
    docs.into_iter().next().unwrap().unwrap().value
}

#[test]
fn short_pieces_and_ordinary_words_are_left_alone() {
    // Fewer than 8 characters of a secret, and words that are not in any
    // secret, are kept: redaction must not blank out a whole message.
    let set = policy("'prefix ' + object.stringData.github.substring(0, 6) + ' in Secret creds'");
    let report = report(&set, &secret_doc());
    let message = &report.results[0].findings[0].message;
    assert!(message.contains("in Secret creds"), "{message}");
}

#[test]
fn a_piece_of_a_token_shaped_value_outside_a_secret_is_redacted() {
    // Found by the `redaction` fuzz target: a private key in a Pod's
    // annotation is no Secret and has no credential-like key, but it is
    // token-shaped, so its pieces are withheld too.
    let doc = format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  annotations:\n    key.pem: \"-----BEGIN RSA PRIVATE KEY-----\\r\\n{PEM_LINE}\\r\\n-----END RSA PRIVATE KEY-----\\r\\n\"\n    config: {TOKEN}\nspec: {{containers: [{{name: app, image: 'nginx:1.25'}}]}}\n"
    );
    for expr in [
        "object.metadata.annotations['key.pem'].substring(59, 89)",
        "object.metadata.annotations.config.substring(3)",
    ] {
        assert_clean(&policy(expr), &doc);
    }
}
