//! The secret rules on a labelled corpus (`tests/secrets-corpus/`):
//! precision and recall against `labels.yaml`, and no secret value in any
//! output format of any secret test case.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use assay_core::api::cases::read_case_file;
use assay_core::check::{check_documents, check_text, FileOutcome};
use assay_core::parse::parse_stream;
use assay_core::{PolicySet, Report};
use regex::Regex;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn corpus_files() -> Vec<(String, String)> {
    let dir = root().join("tests/secrets-corpus");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("corpus dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .filter(|p| p.file_name().is_some_and(|n| n != "labels.yaml"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).expect("corpus file"))
        })
        .collect();
    files.sort();
    files
}

type Key = (String, String, String, Option<u64>);

fn labels() -> BTreeSet<Key> {
    let text = std::fs::read_to_string(root().join("tests/secrets-corpus/labels.yaml")).unwrap();
    let doc = parse_stream(&text).into_iter().next().unwrap().unwrap();
    doc.value["positives"]
        .as_array()
        .expect("positives")
        .iter()
        .map(|l| {
            (
                l["file"].as_str().unwrap().to_owned(),
                l["path"].as_str().unwrap().to_owned(),
                l["rule"].as_str().unwrap().to_owned(),
                l["line"].as_u64(),
            )
        })
        .collect()
}

fn defaults() -> PolicySet {
    assay_core::library::defaults().unwrap_or_else(|e| panic!("{e:?}"))
}

#[test]
fn precision_and_recall_on_the_corpus() {
    let set = defaults();
    let mut found: BTreeSet<Key> = BTreeSet::new();
    for (name, text) in corpus_files() {
        let outcome = check_text(&set, Some(&name), &text, "", &[]);
        for r in outcome
            .results
            .iter()
            .filter(|r| r.policy.as_deref() == Some("secret-hygiene"))
        {
            for f in &r.findings {
                found.insert((
                    name.clone(),
                    f.path.clone(),
                    f.rule.clone(),
                    f.line.map(u64::from),
                ));
            }
        }
    }
    let expected = labels();
    let tp = found.intersection(&expected).count();
    let fp: Vec<_> = found.difference(&expected).collect();
    let fn_: Vec<_> = expected.difference(&found).collect();
    let precision = tp as f64 / found.len().max(1) as f64;
    let recall = tp as f64 / expected.len().max(1) as f64;
    eprintln!(
        "secret rules on tests/secrets-corpus: {} labelled, {} found, {tp} true positives: precision {precision:.3}, recall {recall:.3}",
        expected.len(),
        found.len()
    );
    assert!(expected.len() >= 30, "the corpus lost its labels");
    assert!(
        precision >= 0.95 && recall >= 0.95,
        "precision {precision:.3}, recall {recall:.3}\nfalse positives: {fp:#?}\nmissed: {fn_:#?}"
    );
}

/// Every value an output must not contain, found without the detectors
/// under test: values under credential-looking names (also `key: value`
/// lines of embedded files), Secret data (raw and decoded), env values, and
/// token-shaped substrings.
fn raw_secrets(text: &str) -> BTreeSet<String> {
    let credential = Regex::new(
        r"(?i)pass|pwd|secret|token|key|auth|credential|webhook|dsn|\.pem|\.json|\.env|\.py|url",
    )
    .unwrap();
    let token = Regex::new(
        r"(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|glpat-[A-Za-z0-9_-]{16,}|AKIA[A-Z0-9]{16}|AIza[A-Za-z0-9_-]{30,}|xox[abprs]-[A-Za-z0-9_-]{10,}|hooks\.slack\.com/services/[A-Za-z0-9_/]{20,}|sk-[A-Za-z0-9_-]{20,}|hf_[A-Za-z0-9]{20,}|dapi[0-9a-f]{32}|[sr]k_live_[A-Za-z0-9_]{16,}|npm_[A-Za-z0-9_]{30,}|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{10,}|AccountKey=[A-Za-z0-9_+/=]{40,}|[A-Za-z0-9+/]{60,}={0,2})",
    )
    .unwrap();
    let url_password = Regex::new(r"://[^\s:/@]*:([^\s@]+)@").unwrap();
    let mut out = BTreeSet::new();
    let mut add = |v: &str| {
        let v = v.trim();
        if v.len() >= 8 && v.parse::<f64>().is_err() {
            out.insert(v.to_owned());
        }
        for m in token.find_iter(v) {
            out.insert(m.as_str().to_owned());
        }
        for c in url_password.captures_iter(v) {
            if let Some(p) = c.get(1).filter(|p| p.as_str().len() >= 6) {
                out.insert(p.as_str().to_owned());
            }
        }
    };
    fn walk(v: &Value, key: &str, credential: &Regex, add: &mut dyn FnMut(&str)) {
        match v {
            Value::String(s) => {
                if credential.is_match(key) || key == "value" {
                    add(s);
                }
                for line in s.lines() {
                    if let Some((k, val)) = line.split_once([':', '=']) {
                        if credential.is_match(k) {
                            add(val.trim().trim_matches(['"', '\'', ',']));
                        }
                    }
                    if line.len() >= 60 && !line.contains(' ') {
                        add(line);
                    }
                }
                add_tokens(s, add);
            }
            // Names and references are reported by design: the result's
            // `name`, the Secret and key a secretKeyRef names.
            Value::Object(_) if ["metadata", "valueFrom", "envFrom"].contains(&key) => {}
            Value::Array(a) => a.iter().for_each(|x| walk(x, key, credential, add)),
            Value::Object(m) => m.iter().for_each(|(k, x)| walk(x, k, credential, add)),
            _ => {}
        }
    }
    fn add_tokens(s: &str, add: &mut dyn FnMut(&str)) {
        // Token shapes anywhere, whatever the key (`add` also finds them).
        for word in s.split([' ', '"', '\'', '\n', ',', ';']) {
            if word.len() >= 20 && word.chars().any(|c| c.is_ascii_digit()) {
                add(word);
            }
        }
    }
    use base64::Engine as _;
    for doc in parse_stream(text).into_iter().flatten() {
        let v = &doc.value;
        for field in ["data", "stringData", "binaryData"] {
            if let Some(Value::Object(m)) = v.get(field) {
                for s in m.values().filter_map(Value::as_str) {
                    if v["kind"] == "Secret" || field == "binaryData" {
                        add(s);
                    }
                    if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(s) {
                        if let Ok(t) = String::from_utf8(bytes) {
                            add(&t);
                        }
                    }
                }
            }
        }
        walk(v, "", &credential, &mut add);
    }
    // Object names are reported by design, even where a value repeats one.
    for doc in parse_stream(text).into_iter().flatten() {
        if let Some(name) = doc.value.pointer("/metadata/name").and_then(Value::as_str) {
            out.remove(name);
        }
    }
    out
}

fn outputs(outcome: FileOutcome) -> String {
    let report = Report::new(outcome.documents, outcome.checked, outcome.results);
    [
        report.to_json(),
        report.to_human(false),
        report.to_sarif(),
        report.to_github(),
    ]
    .join("\n")
}

/// Asserts no raw value of `input` is in `rendered`; gives how many were checked.
fn assert_no_leak(label: &str, input: &str, rendered: &str) -> usize {
    let raw = raw_secrets(input);
    for secret in &raw {
        assert!(
            !rendered.contains(secret.as_str()),
            "{label}: output contains the raw value {secret:?}"
        );
    }
    raw.len()
}

#[test]
fn no_output_format_contains_a_secret_value() {
    let set = defaults();
    let (mut checked, mut values) = (0, 0);
    for (name, text) in corpus_files() {
        let rendered = outputs(check_text(&set, Some(&name), &text, "production", &[]));
        assert!(rendered.contains("sha256:") || name == "negatives.yaml" || name == "rbac.yaml");
        values += assert_no_leak(&name, &text, &rendered);
        checked += 1;
    }
    // Every secret case of the library, and the engine's redaction cases.
    let mut case_sets: Vec<(PolicySet, String, String)> = Vec::new();
    for (file, text) in assay_core::library::case_files() {
        if file.contains("secret") || file.contains("rbac") || file.contains("dockerconfig") {
            case_sets.push((defaults(), file, text));
        }
    }
    for name in ["secrets-config", "redaction"] {
        let policy = root().join(format!("tests/cases/{name}.policy.yaml"));
        let policy_text = std::fs::read_to_string(&policy).unwrap();
        let set = PolicySet::load(&[(policy.display().to_string(), policy_text)]).unwrap();
        let file = format!("tests/cases/{name}.yaml");
        let cases = std::fs::read_to_string(root().join(&file)).unwrap();
        case_sets.push((set, file, cases));
    }
    for (set, file, text) in &case_sets {
        for c in read_case_file(file, text).unwrap() {
            // Rollout cases (no `input`) are not secret cases.
            let input = match &c.case.input {
                Some(Value::String(s)) => s.clone(),
                Some(other) => serde_json::to_string(other).unwrap(),
                None => continue,
            };
            // An old version's values must not show either.
            let old_text = match &c.case.old {
                Some(Value::String(s)) => s.clone(),
                _ => String::new(),
            };
            let old: Vec<Value> = parse_stream(&old_text)
                .into_iter()
                .flatten()
                .map(|d| d.value)
                .collect();
            for env in ["", "production"] {
                let outcome =
                    check_documents(set, Some(file), parse_stream(&input), env, &old, &[]);
                let rendered = outputs(outcome);
                let label = format!("{file} {}", c.case.name);
                values += assert_no_leak(&label, &format!("{input}\n---\n{old_text}"), &rendered);
            }
            checked += 1;
        }
    }
    eprintln!("redaction: {values} raw values looked for in 4 formats of {checked} inputs");
    assert!(checked >= 50, "only {checked} inputs checked");
    assert!(values >= 200, "only {values} raw values collected");
}
