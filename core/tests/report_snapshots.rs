//! Snapshot tests of every report renderer (`insta`): one small report that
//! has each case a renderer must handle, rendered in every format.
//!
//! To accept a deliberate change of output, run
//! `INSTA_UPDATE=always cargo test -p assay-core --test report_snapshots`
//! (or `cargo insta review`) and read the diff of `tests/snapshots/`.

#![allow(clippy::unwrap_used)]

use assay_core::{DocResult, Finding, Report, Severity, Verdict};

fn finding(
    rule: &str,
    severity: Severity,
    message: &str,
    path: &str,
    at: Option<(u32, u32)>,
) -> Finding {
    Finding {
        rule: rule.to_owned(),
        severity,
        message: message.to_owned(),
        path: path.to_owned(),
        line: at.map(|(l, _)| l),
        column: at.map(|(_, c)| c),
    }
}

fn result(
    file: Option<&str>,
    document: usize,
    object: [Option<&str>; 3],
    policy: Option<&str>,
    findings: Vec<Finding>,
    changed: &[&str],
) -> DocResult {
    let [kind, namespace, name] = object.map(|s| s.map(str::to_owned));
    DocResult {
        file: file.map(str::to_owned),
        document,
        kind,
        name,
        namespace,
        policy: policy.map(str::to_owned),
        verdict: Verdict::of(&findings),
        findings,
        changed: changed.iter().map(|s| (*s).to_owned()).collect(),
    }
}

/// Two files and stdin:
/// - `deploy/app.yaml` document 0, a Deployment that `check --base --patch`
///   changed, failed by `require-limits` (an error with a position, markup
///   in its message; a warning without one, so `file#document`) and passed
///   by `labels`;
/// - `deploy/app.yaml` document 1, a Service `labels` warns on at the root
///   path, in a message with a newline, a CR and a control character;
/// - `deploy/100%,odd:name.yaml`, whose name needs escaping as a GitHub
///   property, did not parse (policy `None`, rule `parse`);
/// - stdin (no file), a ConfigMap `no-secrets` fails without a position,
///   its message with `%`, `:` and `,`.
///
/// Five documents in all, of which one (app.yaml #2) no policy applied to.
fn report() -> Report {
    let app = Some("deploy/app.yaml");
    let changed = ["/spec/replicas", "/metadata/labels/app"];
    let results = vec![
        result(
            app,
            0,
            [Some("Deployment"), Some("prod"), Some("web")],
            Some("require-limits"),
            vec![
                finding(
                    "limits",
                    Severity::Error,
                    r#"container "web" has no <limits> & 'requests' > 0"#,
                    "/spec/template/spec/containers/0",
                    Some((12, 9)),
                ),
                finding(
                    "image-tag",
                    Severity::Warning,
                    "image tag is :latest, 100% unpinned",
                    "/spec/template/spec/containers/0/image",
                    None,
                ),
            ],
            &changed,
        ),
        result(
            app,
            0,
            [Some("Deployment"), Some("prod"), Some("web")],
            Some("labels"),
            vec![],
            &changed,
        ),
        result(
            app,
            1,
            [Some("Service"), None, Some("web")],
            Some("labels"),
            vec![finding(
                "owner",
                Severity::Warning,
                "missing label owner\nset it,\rplease \u{1}",
                "",
                Some((20, 1)),
            )],
            &[],
        ),
        result(
            Some("deploy/100%,odd:name.yaml"),
            0,
            [None, None, None],
            None,
            vec![finding(
                "parse",
                Severity::Error,
                "did not find expected key: line 3, column 1",
                "",
                Some((3, 1)),
            )],
            &[],
        ),
        result(
            None,
            0,
            [Some("ConfigMap"), None, Some("settings")],
            Some("no-secrets"),
            vec![finding(
                "secret",
                Severity::Error,
                "value of key password looks like a secret: 100%, p%40ss",
                "/data/password",
                None,
            )],
            &[],
        ),
    ];
    Report::new(5, 3, results)
}

#[test]
fn report_is_as_built() {
    let r = report();
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(
        (
            r.summary.documents,
            r.summary.checked,
            r.summary.errors,
            r.summary.warnings
        ),
        (5, 3, 3, 2)
    );
    let verdicts: Vec<Verdict> = r.results.iter().map(|r| r.verdict).collect();
    assert_eq!(
        verdicts,
        [
            Verdict::Fail,
            Verdict::Pass,
            Verdict::Warn,
            Verdict::Fail,
            Verdict::Fail
        ]
    );
}

#[test]
fn human() {
    insta::assert_snapshot!("human", report().to_human(false));
}

#[test]
fn human_color() {
    insta::assert_snapshot!("human_color", report().to_human(true));
}

#[test]
fn json() {
    let json = report().to_json();
    let _: serde_json::Value = serde_json::from_str(&json).unwrap();
    insta::assert_snapshot!("json", json);
}

#[test]
fn sarif() {
    let sarif = report().to_sarif();
    let value: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    // The driver's version is the crate's: kept out of the snapshot, so a
    // release does not change it.
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(value["runs"][0]["tool"]["driver"]["version"], version);
    let driver_version = format!(r#""version": "{version}""#);
    assert_eq!(sarif.matches(&driver_version).count(), 1);
    let sarif = sarif.replace(&driver_version, r#""version": "[version]""#);
    insta::assert_snapshot!("sarif", sarif);
}

#[test]
fn junit() {
    insta::assert_snapshot!("junit", report().to_junit(false));
}

#[test]
fn junit_fail_on_warning() {
    insta::assert_snapshot!("junit_fail_on_warning", report().to_junit(true));
}

#[test]
fn github() {
    insta::assert_snapshot!("github", report().to_github());
}
