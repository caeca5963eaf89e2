//! `assay check` output on text made to fool a reader (docs/report.md,
//! "Hidden characters"): a file name and a finding's message holding
//! terminal escapes, bidi overrides and line breaks that start a fake
//! finding. `human` and `github` show them escaped, `junit` is XML that reads
//! back to the text, `sarif` has a valid URI reference for the file.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{assay, Run, TempDir};

const POLICY: &str = r#"apiVersion: assay.dev/v1
kind: ValidationPolicy
metadata: {name: echo}
spec:
  match: {kinds: [ConfigMap]}
  rules:
    - {name: msg, expr: "false", messageExpr: "object.data.msg", path: /data/msg}
"#;

/// The message the finding reports: the document's `data.msg`, whose line
/// breaks and tab the evaluator makes spaces (a message is one line); the
/// escapes, DEL and bidi override stay.
const MESSAGE: &str = "ok\u{1b}[2J fake.yaml:1:1: error[x/y] injected\u{202e}gpj.exe \u{7f} end";

/// A file name with an ESC, a newline, a space, `#` and `%`.
const NAME: &str = "a \u{1b}[31mb\nc#1%.yaml";

struct Case {
    _dir: TempDir,
    policy: String,
    file: String,
}

fn case() -> Case {
    let dir = TempDir::new("hardening-report");
    let policy = dir.write("policy.yaml", POLICY);
    let doc = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata:\n  msg: \"ok\\e[2J\\nfake.yaml:1:1: error[x/y] injected\\u202Egpj.exe\\r\\x85\\x7F\\tend\"\n";
    let file = dir.write(NAME, doc);
    Case {
        _dir: dir,
        policy,
        file,
    }
}

fn check(c: &Case, format: &str) -> Run {
    let run = assay(&["check", "-p", &c.policy, "-o", format, &c.file]);
    run.assert_code(1);
    run
}

/// Characters a terminal or log acts on instead of showing.
fn is_hidden(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

#[test]
fn json_keeps_the_message_as_it_is() {
    let c = case();
    let report = check(&c, "json").json();
    let result = &report["results"][0];
    assert_eq!(result["file"], c.file.as_str());
    assert_eq!(result["findings"][0]["message"], MESSAGE);
}

#[test]
fn human_shows_hidden_characters_escaped_on_one_line() {
    let c = case();
    let run = check(&c, "human");
    let hidden: Vec<char> = run.stdout.chars().filter(|&c| is_hidden(c)).collect();
    assert!(hidden.is_empty(), "{hidden:?} in {:?}", run.stdout);
    let lines = run.stdout_lines();
    assert_eq!(lines.len(), 2, "{:?}", run.stdout);
    let dir = c.file.strip_suffix(NAME).unwrap();
    assert_eq!(
        lines[0],
        format!(
            r"{dir}a \u{{1b}}[31mb\nc#1%.yaml:5:8: error[echo/msg] ok\u{{1b}}[2J fake.yaml:1:1: error[x/y] injected\u{{202e}}gpj.exe \u{{7f}} end (/data/msg)"
        )
    );
    assert!(lines[1].starts_with("fail: 1 document(s)"), "{}", lines[1]);
}

#[test]
fn github_commands_cannot_be_split_or_coloured() {
    let c = case();
    let run = check(&c, "github");
    let hidden: Vec<char> = run.stdout.chars().filter(|&c| is_hidden(c)).collect();
    assert!(hidden.is_empty(), "{hidden:?} in {:?}", run.stdout);
    let lines = run.stdout_lines();
    assert_eq!(lines.len(), 1, "{:?}", run.stdout);
    let dir = c.file.strip_suffix(NAME).unwrap();
    assert_eq!(
        lines[0],
        format!(
            r"::error file={dir}a \u{{1b}}[31mb%0Ac#1%25.yaml,line=5,col=8,title=echo/msg::ok\u{{1b}}[2J fake.yaml:1:1: error[x/y] injected\u{{202e}}gpj.exe \u{{7f}} end (/data/msg)"
        )
    );
}

#[test]
fn junit_reads_back_to_the_names_and_messages() {
    let c = case();
    let run = check(&c, "junit");
    let doc = roxmltree::Document::parse(&run.stdout)
        .unwrap_or_else(|e| panic!("not XML ({e}):\n{}", run.stdout));
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    // Attribute values survive normalization: the newline is still a newline.
    // XML cannot hold ESC at all: it is U+FFFD.
    let name = c.file.replace('\u{1b}', "\u{fffd}");
    assert_eq!(suite.attribute("name"), Some(name.as_str()));
    let failure = doc
        .descendants()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    let message = MESSAGE.replace('\u{1b}', "\u{fffd}");
    assert_eq!(failure.attribute("message"), Some(message.as_str()));
    let text = failure.text().unwrap();
    assert!(text.contains(&message), "{text:?}");
}

/// `%XX` decoded, as a URI consumer reads a path.
fn percent_decode(s: &str) -> String {
    let mut bytes = Vec::new();
    let mut rest = s.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'%' {
            let hex = std::str::from_utf8(&tail[..2]).unwrap();
            bytes.push(u8::from_str_radix(hex, 16).unwrap());
            rest = &tail[2..];
        } else {
            bytes.push(b);
            rest = tail;
        }
    }
    String::from_utf8(bytes).unwrap()
}

#[test]
fn sarif_uri_is_a_valid_reference_to_the_file() {
    let c = case();
    let sarif = check(&c, "sarif").json();
    let uri = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
        ["artifactLocation"]["uri"]
        .as_str()
        .unwrap()
        .to_owned();
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=@%".contains(&b);
    assert!(uri.bytes().all(allowed), "{uri}");
    assert!(uri.ends_with("/a%20%1B%5B31mb%0Ac%231%25.yaml"), "{uri}");
    assert_eq!(percent_decode(&uri), c.file);
}
