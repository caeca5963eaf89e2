//! Snapshot tests of every report renderer (`insta`): one small report that
//! has each case a renderer must handle, rendered in every format.
//!
//! To accept a deliberate change of output, run
//! `INSTA_UPDATE=always cargo test -p assay-core --test report_snapshots`
//! (or `cargo insta review`) and read the diff of `tests/snapshots/`.

#![allow(clippy::unwrap_used)]

use assay_core::report::{Format, Summary, Writer};
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

/// Text a document or policy author controls, made to fool a reader: ANSI
/// and OSC 8 escapes, C1 controls, DEL, bidi overrides, and line breaks that
/// start a fake finding; a file name that needs percent-encoding in a URI.
fn hostile() -> Report {
    let results = vec![
        result(
            Some("dir/a b#c%d/\u{fc}:\u{e9}?.yaml"),
            0,
            [Some("ConfigMap"), Some("n\u{1b}[2Js"), Some("cm")],
            Some("p\u{9b}31m"),
            vec![finding(
                "r\u{7f}",
                Severity::Error,
                "ok\u{1b}]8;;http://x\u{7}link\u{1b}]8;;\u{7} \u{202e}fdp.exe\u{202c} tab\there",
                "/data/k\u{1b}[31m",
                Some((1, 1)),
            )],
            &["/data/k\u{1b}[8m"],
        ),
        result(
            Some("x.yaml\nx.yaml:1:1: error[fake/rule] injected"),
            0,
            [None, None, None],
            Some("p"),
            vec![finding(
                "r",
                Severity::Warning,
                "line one\nok.yaml:9:9: error[p/r] fake\rline two\u{0}\u{85}\u{2066}\u{2028}end",
                "/a\u{2069}",
                None,
            )],
            &[],
        ),
    ];
    Report::new(2, 2, results)
}

/// Terminal escapes, C1 controls, DEL, bidi controls and line separators:
/// what no rendering meant for a terminal or a log may hold raw.
fn is_hidden_control(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(
            c,
            '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}'
        )
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

#[test]
fn human_escapes_control_characters() {
    let human = hostile().to_human(false);
    let hidden: Vec<char> = human.chars().filter(|&c| is_hidden_control(c)).collect();
    assert!(hidden.is_empty(), "{hidden:?} in\n{human}");
    // A finding per line: a newline in a message or file name cannot start a fake one.
    let lines: Vec<&str> = human.lines().collect();
    assert_eq!(lines.len(), 4, "{human}");
    assert!(lines.iter().all(|l| !l.starts_with("ok.yaml")), "{human}");
    assert!(lines[0].contains(r"/data/k\u{1b}[8m"), "{human}");
    assert!(
        lines[1].contains(r"error[p\u{9b}31m/r\u{7f}] ok\u{1b}]8;;http://x\u{7}link"),
        "{human}"
    );
    assert!(
        lines[1].contains(r"\u{202e}fdp.exe\u{202c} tab	here"),
        "{human}"
    );
    assert!(
        lines[2].starts_with(
            r"x.yaml\nx.yaml:1:1: error[fake/rule] injected#0: warning[p/r] line one\nok.yaml"
        ),
        "{human}"
    );
    assert!(
        lines[2].contains(r"fake\rline two\u{0}\u{85}\u{2066}\u{2028}end (/a\u{2069})"),
        "{human}"
    );
    insta::assert_snapshot!("hostile_human", human);
}

#[test]
fn human_color_paints_only_its_own_escapes() {
    let human = hostile().to_human(true);
    // Two severities and the verdict, each painted and reset.
    assert_eq!(human.matches('\u{1b}').count(), 6, "{human}");
}

#[test]
fn github_escapes_control_characters() {
    let github = hostile().to_github();
    let hidden: Vec<char> = github.chars().filter(|&c| is_hidden_control(c)).collect();
    assert!(hidden.is_empty(), "{hidden:?} in\n{github}");
    let lines: Vec<&str> = github.lines().collect();
    assert_eq!(lines.len(), 2, "{github}");
    assert!(lines.iter().all(|l| l.starts_with("::")), "{github}");
    assert!(lines[0].starts_with("::error file=dir/a b#c%25d/\u{fc}%3A\u{e9}?.yaml,line=1,col=1,title=p\\u{9b}31m/r\\u{7f}::ok\\u{1b}]8;;http://x\\u{7}link"), "{github}");
    assert!(lines[1].starts_with("::warning file=x.yaml%0Ax.yaml%3A1%3A1%3A error[fake/rule] injected,title=p/r::line one%0Aok.yaml:9:9: error[p/r] fake%0Dline two\\u{0}\\u{85}\\u{2066}\\u{2028}end (/a\\u{2069})"), "{github}");
    insta::assert_snapshot!("hostile_github", github);
}

#[test]
fn sarif_uri_is_percent_encoded() {
    let sarif = hostile().to_sarif();
    let value: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let uri = |i: usize| {
        value["runs"][0]["results"][i]["locations"][0]["physicalLocation"]["artifactLocation"]
            ["uri"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(uri(0), "dir/a%20b%23c%25d/%C3%BC%3A%C3%A9%3F.yaml");
    assert_eq!(
        uri(1),
        "x.yaml%0Ax.yaml%3A1%3A1%3A%20error%5Bfake/rule%5D%20injected"
    );
    // A relative reference that resolves, against a base, back to the name.
    let base = url::Url::parse("file:///repo/").unwrap();
    for (i, name) in hostile().results.iter().enumerate() {
        let joined = base.join(&uri(i)).unwrap();
        assert_eq!(joined.as_str(), format!("file:///repo/{}", uri(i)));
        let path = joined.to_file_path().unwrap();
        assert_eq!(
            path.to_str().unwrap(),
            format!("/repo/{}", name.file.as_deref().unwrap())
        );
    }
}

#[test]
fn sarif_uri_of_plain_names_is_unchanged() {
    let sarif = report().to_sarif();
    assert!(sarif.contains(r#""uri": "deploy/app.yaml""#), "{sarif}");
}

#[test]
fn junit_attributes_keep_line_breaks_and_drop_illegal_characters() {
    let junit = hostile().to_junit(true);
    // Characters XML 1.0 cannot hold at all; a raw CR would be read as LF.
    let illegal: Vec<char> = junit
        .chars()
        .filter(|&c| (c < ' ' && c != '\n' && c != '\t') || c == '\u{fffe}' || c == '\u{ffff}')
        .collect();
    assert!(illegal.is_empty(), "{illegal:?} in\n{junit}");
    // Attribute values are normalized: a raw LF, CR or tab would read as a space.
    for attr in junit.split('"').skip(1).step_by(2) {
        assert!(!attr.contains(['\n', '\t']), "{attr:?} in\n{junit}");
    }
    assert!(
        junit.contains(r#"<testsuite name="x.yaml&#10;x.yaml:1:1: error[fake/rule] injected""#),
        "{junit}"
    );
    assert!(
        junit.contains(r#"message="line one&#10;ok.yaml:9:9: error[p/r] fake&#13;line two"#),
        "{junit}"
    );
    assert!(junit.contains("tab&#9;here"), "{junit}");
    // In text, a CR is kept as a reference too.
    assert!(junit.contains("fake&#13;line two\u{fffd}\u{85}"), "{junit}");
    insta::assert_snapshot!("hostile_junit", junit);
}

/// Every format, with what `Report::to_*` gives for it.
fn formats(r: &Report) -> Vec<(Format, String)> {
    vec![
        (Format::Human { color: false }, r.to_human(false)),
        (Format::Human { color: true }, r.to_human(true)),
        (Format::Json, r.to_json()),
        (Format::Sarif, r.to_sarif()),
        (Format::Github, r.to_github()),
        (
            Format::Junit {
                fail_on_warning: false,
            },
            r.to_junit(false),
        ),
        (
            Format::Junit {
                fail_on_warning: true,
            },
            r.to_junit(true),
        ),
    ]
}

/// `r` written by a [`Writer`] in pieces of `sizes` results (the rest in one
/// last piece), each with its share of the document counts, as a host
/// writes each input's outcome as it is checked. Also gives the body the
/// writer kept, to tell what was written as it came.
fn streamed(r: &Report, format: Format, sizes: &[usize]) -> (String, Vec<u8>, Summary, Verdict) {
    let mut body = std::io::Cursor::new(Vec::new());
    let mut w = Writer::new(format, Vec::new(), &mut body);
    let mut rest = &r.results[..];
    let (mut documents, mut checked) = (r.summary.documents, r.summary.checked);
    for &size in sizes {
        let (piece, after) = rest.split_at(size.min(rest.len()));
        w.count(documents.min(1), checked.min(1));
        documents -= documents.min(1);
        checked -= checked.min(1);
        w.write_results(piece).unwrap();
        rest = after;
    }
    w.count(documents, checked);
    for result in rest {
        w.write_result(result).unwrap();
    }
    let (summary, verdict) = (w.summary().clone(), w.verdict());
    let out = w.finish().unwrap();
    (
        String::from_utf8(out).unwrap(),
        body.into_inner(),
        summary,
        verdict,
    )
}

#[test]
fn a_report_written_in_pieces_is_the_whole_report() {
    let empty = Report::new(0, 0, Vec::new());
    for report in [report(), hostile(), empty] {
        let n = report.results.len();
        let splits: Vec<Vec<usize>> = vec![
            vec![],
            vec![n],
            vec![1; n],
            vec![2, 1],
            vec![0, 3, 0],
            vec![1, 3],
        ];
        for (format, whole) in formats(&report) {
            for sizes in &splits {
                let (text, body, summary, verdict) = streamed(&report, format, sizes);
                assert_eq!(text, whole, "{format:?} in pieces {sizes:?}");
                assert_eq!(summary, report.summary, "{format:?}");
                assert_eq!(verdict, report.verdict, "{format:?}");
                // Only the formats whose totals come first keep a body.
                let spools = matches!(format, Format::Json | Format::Junit { .. });
                assert_eq!(!body.is_empty(), spools && n > 0, "{format:?}");
            }
        }
    }
}

#[test]
fn json_written_in_pieces_is_serde_json_of_the_report() {
    for report in [report(), hostile(), Report::new(3, 0, Vec::new())] {
        let (text, ..) = streamed(&report, Format::Json, &[1, 1]);
        assert_eq!(text, serde_json::to_string_pretty(&report).unwrap());
    }
}

#[test]
fn sarif_without_findings_is_an_empty_run() {
    let mut r = report();
    r.results.retain(|r| r.findings.is_empty());
    let sarif: serde_json::Value = serde_json::from_str(&r.to_sarif()).unwrap();
    assert_eq!(sarif["runs"][0]["results"], serde_json::json!([]));
    assert_eq!(
        sarif["runs"][0]["tool"]["driver"]["rules"],
        serde_json::json!([])
    );
}

/// A file whose results do not all come together (`--old`'s parse failures
/// first, a file given twice) is still one JUnit suite, where it first
/// appears: as if its results had come together.
#[test]
fn junit_suites_gather_a_files_results_from_anywhere() {
    let mut apart = report();
    let moved = apart.results.remove(2);
    apart.results.push(moved);
    let together = report();
    assert_eq!(apart.to_junit(true), together.to_junit(true));
    let (text, ..) = streamed(
        &apart,
        Format::Junit {
            fail_on_warning: false,
        },
        &[1, 1, 1, 1],
    );
    assert_eq!(text, together.to_junit(false));
}
