//! Integration tests of the `assay` binary: real inputs, real outputs, real
//! exit codes (docs/report.md, docs/cli.md). Helpers and fixtures: `common/mod.rs`.
//!
//! Secrets never leak through an error (docs/secrets.md, "Redaction"):
//! credentials are planted where errors quote their input (a syntax error
//! on the secret's line, a `messageExpr`, a failing test case, an input
//! `decide` or `review` refuses, a bad CEL expression), and no 8-character
//! piece of any of them may be in stdout or stderr.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use assay_core::redact::shown_piece;
use common::{assay, assay_stdin, Run, TempDir};

const TOKEN: &str = "ghp_AssayFake8hfqEnMCxKJ9UlB8VGFHKGNZv9n";
const AWS_KEY: &str = "AKIA2ASSAYLEAK7QXZ3T";
/// Not token-shaped: secret only because of the key it is under.
const PASSWORD: &str = "Tr0ub4dor&3AssayLeak";
const PEM_LINES: [&str; 2] = [
    "MIIEowIBAAKCAQEAassayFAKEfakeFAKEkeyBODYline0123456789abcdefABCDEF",
    "q8Zr2Lx7Vw4Ns1Kp9Jd6Hf3Gb0Tm5Ye8Uc2Ra7Wi4Oo1Pl6Qk3Mj9Nh0Bg5Vf2Cd",
];
/// A kubeconfig's bearer token: no known format, secret because it is the
/// value of `token:` in a file embedded in a ConfigMap.
const BEARER: &str = "kc7Rq2Zt9LmX4vB8nW1pY6sD3fG0hJ5aQe";

const FORMATS: [&str; 5] = ["human", "json", "sarif", "github", "junit"];

fn secrets() -> Vec<&'static str> {
    let mut all = vec![TOKEN, AWS_KEY, PASSWORD, BEARER];
    all.extend(PEM_LINES);
    all
}

fn pem() -> String {
    format!(
        "-----BEGIN RSA PRIVATE KEY-----\n{}\n{}\n-----END RSA PRIVATE KEY-----\n",
        PEM_LINES[0], PEM_LINES[1]
    )
}

/// Indents every line of `text` by `n` spaces.
fn indent(text: &str, n: usize) -> String {
    let pad = " ".repeat(n);
    text.lines().map(|l| format!("{pad}{l}\n")).collect()
}

fn kubeconfig() -> String {
    format!(
        "apiVersion: v1\nkind: Config\nusers:\n  - name: ci\n    user:\n      token: {BEARER}\n"
    )
}

/// A ConfigMap holding every planted secret.
fn config_map() -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: leaky}}\ndata:\n  GITHUB_TOKEN: {TOKEN}\n  AWS_ACCESS_KEY_ID: {AWS_KEY}\n  DB_PASSWORD: '{PASSWORD}'\n  tls.key: |\n{}  kubeconfig: |\n{}",
        indent(&pem(), 4),
        indent(&kubeconfig(), 4)
    )
}

/// A policy whose rules each print (part of) a planted secret.
fn leaky_policy() -> String {
    let rules = [
        ("token", "'token ' + object.data.GITHUB_TOKEN"),
        (
            "token-tail",
            "'tail ' + object.data.GITHUB_TOKEN.substring(5)",
        ),
        ("aws", "'aws ' + object.data.AWS_ACCESS_KEY_ID"),
        ("password", "'password ' + object.data.DB_PASSWORD"),
        (
            "password-piece",
            "'piece ' + object.data.DB_PASSWORD.substring(2, 14)",
        ),
        ("pem", "'key ' + object.data['tls.key']"),
        (
            "pem-line",
            "'line ' + object.data['tls.key'].split('\\n')[2]",
        ),
        ("kubeconfig", "'config ' + object.data.kubeconfig"),
        (
            "bearer",
            "'bearer ' + object.data.kubeconfig.split('token: ')[1]",
        ),
    ];
    let mut text = String::from(
        "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {name: leaky}\nspec:\n  match: {kinds: [ConfigMap]}\n  rules:\n",
    );
    for (name, expr) in rules {
        text.push_str(&format!(
            "    - name: {name}\n      expr: 'false'\n      messageExpr: {}\n",
            serde_json::to_string(expr).unwrap()
        ));
    }
    text
}

/// No piece of any planted secret in the run's stdout or stderr.
#[track_caller]
fn assert_clean(run: &Run, what: &str) {
    let output = format!("{}\n{}", run.stdout, run.stderr);
    for secret in secrets() {
        if let Some(piece) = shown_piece(&output, secret) {
            panic!("{what}: `{piece}` of a planted secret is shown:\n{output}");
        }
    }
}

/// Inputs whose syntax error is on the line holding a secret.
fn broken_inputs() -> Vec<(&'static str, String)> {
    let head = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: broken}\ndata:\n";
    let escaped_pem = serde_json::to_string(&pem()).unwrap();
    vec![
        ("token.yaml", format!("{head}  GITHUB_TOKEN: {TOKEN}: oops\n")),
        ("aws.yaml", format!("{head}  AWS_ACCESS_KEY_ID: \"{AWS_KEY}\n")),
        ("password.yaml", format!("{head}  DB_PASSWORD: [{PASSWORD}\n")),
        (
            "password-quoted.yaml",
            format!("{head}  DB_PASSWORD: '{PASSWORD}' trailing\n"),
        ),
        ("pem.yaml", format!("{head}  tls.key: {escaped_pem} x\n")),
        (
            "pem-block.yaml",
            format!(
                "{head}  tls.key: |\n    -----BEGIN RSA PRIVATE KEY-----\n    {}\n\t{}\n",
                PEM_LINES[0], PEM_LINES[1]
            ),
        ),
        (
            "kubeconfig.yaml",
            format!("{head}  kubeconfig: {{users: [{{user: {{token: {BEARER} ]}}\n"),
        ),
        (
            "duplicate-key.yaml",
            format!("{head}  {TOKEN}: 1\n  {TOKEN}: 2\n  {AWS_KEY}: 1\n  {AWS_KEY}: 2\n"),
        ),
        (
            "alias.yaml",
            format!("{head}  GITHUB_TOKEN: *{TOKEN}\n"),
        ),
        (
            "second-document.yaml",
            format!("{}---\n{head}  GITHUB_TOKEN: {TOKEN}: oops\n", config_map()),
        ),
        (
            "syntax.json",
            format!(
                "{{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"data\": {{\"GITHUB_TOKEN\": \"{TOKEN}\", \"DB_PASSWORD\": \"{PASSWORD}\" \"BEARER\": \"{BEARER}\"}}}}\n"
            ),
        ),
        (
            "unterminated.json",
            format!("{{\"data\": {{\"DB_PASSWORD\": \"{PASSWORD}\", \"tls.key\": {escaped_pem}"),
        ),
        (
            "leaky.env",
            format!("GITHUB_TOKEN={TOKEN}\nDB_PASSWORD={PASSWORD}\n{BEARER}\n"),
        ),
    ]
}

#[test]
fn syntax_errors_on_a_secret_s_line_show_no_piece_of_it_in_any_format() {
    let dir = TempDir::new("leaks-syntax");
    let mut paths = Vec::new();
    for (name, text) in broken_inputs() {
        paths.push(dir.write(name, text));
    }
    // `--old` too: its parse failures are reported under its name.
    let old = dir.write("old.yaml", format!("{}  x: [{PASSWORD}\n", config_map()));
    for format in FORMATS {
        let mut args = vec!["check", "-o", format, "--old", &old];
        args.extend(paths.iter().map(String::as_str));
        let run = assay(&args);
        run.assert_code(1);
        assert!(run.stdout.contains("parse"), "{format}: {}", run.stdout);
        assert_clean(&run, format);
    }
    // One at a time on stdin, where an input is read as YAML.
    for (name, text) in broken_inputs() {
        let run = assay_stdin(&["check", "-"], &text);
        assert_clean(&run, name);
    }
    // Invalid UTF-8 on the secret's line.
    let mut bytes = format!("data:\n  DB_PASSWORD: {PASSWORD}").into_bytes();
    bytes.extend([0xff, b'\n']);
    for format in FORMATS {
        let run = assay_stdin(&["check", "-o", format, "-"], &bytes);
        run.assert_code(1);
        assert_clean(&run, format);
    }
}

#[test]
fn message_exprs_that_print_secrets_are_redacted_in_every_format() {
    let dir = TempDir::new("leaks-message");
    let policy = dir.write("leaky.yaml", leaky_policy());
    let input = dir.write("cm.yaml", config_map());
    for format in FORMATS {
        let run = assay(&[
            "check", "-p", &policy, "-p", "policies", "-o", format, &input,
        ]);
        run.assert_code(1);
        // Every rule fired: there are messages to look at.
        assert!(run.stdout.contains("password-piece"), "{}", run.stdout);
        assert_clean(&run, format);
    }
    // The same document as JSON, and on stdin.
    let run = assay_stdin(&["check", "-p", &policy, "-o", "json", "-"], config_map());
    run.assert_code(1);
    assert_clean(&run, "stdin");
}

#[test]
fn failing_test_cases_that_quote_secrets_are_redacted() {
    let dir = TempDir::new("leaks-test-cmd");
    dir.write("leaky.yaml", leaky_policy());
    let input = indent(&config_map(), 6);
    let expected = |rule: &str, message: &str| {
        format!(
            "          - {{rule: {rule}, message: {}}}\n",
            serde_json::to_string(message).unwrap()
        )
    };
    let mut cases = format!(
        "policy: leaky\ncases:\n  - name: expects the secrets in messages\n    input: |\n{input}    expect:\n      verdict: fail\n      findings:\n"
    );
    for (rule, message) in [
        ("token", format!("token {TOKEN}")),
        ("aws", format!("aws {AWS_KEY}")),
        ("password", format!("password {PASSWORD}")),
        ("password-piece", PASSWORD[2..14].to_owned()),
        ("pem-line", PEM_LINES[1].to_owned()),
        ("pem", format!("{} {}", PEM_LINES[0], PEM_LINES[1])),
        ("kubeconfig", format!("token: {BEARER}")),
        ("bearer", BEARER.to_owned()),
        ("nothing", format!("{TOKEN} {PASSWORD} {BEARER}")),
    ] {
        cases.push_str(&expected(rule, &message));
    }
    // A wrong verdict lists the findings the case got.
    cases.push_str(&format!(
        "  - name: expects a pass\n    input: |\n{input}    expect: {{verdict: pass}}\n"
    ));
    // A review whose object holds the secrets, expected to fail on them.
    let review = serde_json::json!({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {"uid": "u1", "operation": "CREATE", "object": serde_yaml_value(&config_map())}
    });
    cases.push_str(&format!(
        "  - name: review\n    review: {review}\n    expect:\n      allowed: true\n      findings:\n{}",
        expected("password", PASSWORD)
    ));
    cases.push_str(&format!(
        "  - name: review error\n    review: {review}\n    expect: {{error: {}}}\n",
        serde_json::to_string(&format!("{PASSWORD} {BEARER} {TOKEN}")).unwrap()
    ));
    dir.write("tests/cases.yaml", cases);
    let run = assay(&["test", dir.path()]);
    assert!(
        run.stdout.contains("FAIL"),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    assert!(run.stdout.contains("0 passed, 4 failed"), "{}", run.stdout);
    assert_clean(&run, "assay test");
}

/// A YAML document as a JSON value, through assay's parser.
fn serde_yaml_value(text: &str) -> serde_json::Value {
    let docs = assay_core::parse::parse_stream(text);
    docs.into_iter().next().unwrap().unwrap().value
}

#[test]
fn decide_errors_on_inputs_named_by_secrets_are_redacted() {
    let metrics = r#""metrics": {"baseline": {"requests": 1000}, "candidate": {"requests": 1000}}"#;
    let inputs = [
        format!(r#"{{"state": {{"weight": 10, "{TOKEN}": 1}}, {metrics}}}"#),
        format!(r#"{{"state": {{"weight": 10}}, {metrics}, "{AWS_KEY}": 1}}"#),
        format!(
            r#"{{"state": {{"weight": 10}}, "metrics": {{"baseline": {{"{TOKEN}": 1}}, "candidate": {{"{AWS_KEY}": 2}}}}}}"#
        ),
        format!(
            r#"{{"state": {{"weight": 10}}, "metrics": {{"baseline": {{"api_token": "{PASSWORD}"}}, "candidate": {{"db_password": "{BEARER}"}}}}}}"#
        ),
        format!(r#"{{"state": {{"weight": "{TOKEN}"}}, {metrics}}}"#),
        format!(r#"{{"state": {{"weight": 10, "password": "{PASSWORD}"}}, {metrics}"#),
    ];
    for input in &inputs {
        for format in ["human", "json"] {
            let run = assay_stdin(
                &["decide", "--policy-name", "fraud-v2-canary", "-o", format],
                input,
            );
            assert_clean(&run, input);
        }
    }
}

fn admission(object: &serde_json::Value) -> String {
    serde_json::json!({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {"uid": "705ab4f5-6393-11e8-b7cc-42010a800002", "operation": "CREATE",
                    "userInfo": {"username": "ci"}, "object": object}
    })
    .to_string()
}

#[test]
fn review_responses_and_review_errors_are_redacted() {
    let dir = TempDir::new("leaks-review");
    let policy = dir.write("leaky.yaml", leaky_policy());
    let request = admission(&serde_yaml_value(&config_map()));
    for args in [vec!["review", "-p", &policy], vec!["review"]] {
        let run = assay_stdin(&args, &request);
        run.assert_code(1);
        assert_clean(&run, "review");
    }
    let malformed = [
        // Not an AdmissionReview: the errors quote what they reject.
        format!(r#"{{"apiVersion": "{TOKEN}", "kind": "AdmissionReview", "request": {{}}}}"#),
        format!(r#"{{"apiVersion": "admission.k8s.io/v1", "kind": "{AWS_KEY}"}}"#),
        format!(
            r#"{{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {{"uid": "u", "object": "{PASSWORD}", "password": "{PASSWORD}"}}}}"#
        ),
        // Syntax errors on the secret's line.
        format!("apiVersion: admission.k8s.io/v1\nkind: AdmissionReview\nrequest: {{uid: \"{TOKEN}"),
        format!(
            "{{\"apiVersion\": \"admission.k8s.io/v1\",\n \"request\": {{\"object\": {{\"data\": {{\"DB_PASSWORD\": \"{PASSWORD}\" \"x\": 1}}}}}}}}\n"
        ),
        format!("apiVersion: admission.k8s.io/v1\nrequest:\n  object:\n    data: {{token: {BEARER}: x}}\n"),
    ];
    for text in &malformed {
        let run = assay_stdin(&["review", "-p", &policy], text);
        run.assert_code(2);
        assert_clean(&run, text);
    }
}

#[test]
fn policy_errors_that_quote_a_token_are_redacted() {
    let dir = TempDir::new("leaks-policy");
    let head = "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {name: bad}\nspec:\n";
    let policies = [
        format!("{head}  rules:\n    - name: r\n      expr: object.data.x == {TOKEN} +\n"),
        format!("{head}  rules:\n    - name: r\n      expr: \"'{AWS_KEY}' ==\"\n"),
        format!(
            "{head}  rules:\n    - name: r\n      expr: 'false'\n      messageExpr: \"{TOKEN}(\"\n"
        ),
        format!("{head}  rules:\n    - name: r\n      expr: object.{TOKEN}.{AWS_KEY} ++ 1\n"),
        format!("{head}  rules: {TOKEN}\n"),
        format!("{head}  {TOKEN}: 1\n"),
        format!("{head}  rules:\n    - name: r\n      expr: {TOKEN}: x\n"),
    ];
    for (i, text) in policies.iter().enumerate() {
        let path = dir.write(&format!("bad-{i}.yaml"), text);
        let input = dir.write("cm.yaml", config_map());
        let run = assay(&["check", "-p", &path, &input]);
        run.assert_code(2);
        assert!(!run.stderr.is_empty(), "{text}");
        assert_clean(&run, text);
        // `assay test` loads them the same way.
        let suite = TempDir::new("leaks-policy-test");
        suite.write("policy.yaml", text);
        suite.write("tests/cases.yaml", "cases: []\n");
        let run = assay(&["test", suite.path()]);
        run.assert_code(2);
        assert_clean(&run, text);
    }
    // A case file that does not parse, on a token's line.
    let suite = TempDir::new("leaks-case-file");
    suite.write("leaky.yaml", leaky_policy());
    suite.write(
        "tests/cases.yaml",
        format!("cases:\n  - name: {TOKEN}: x\n    input: {{data: {{DB_PASSWORD: {PASSWORD}}}}}\n"),
    );
    let run = assay(&["test", suite.path()]);
    run.assert_code(2);
    assert_clean(&run, "case file");
}
