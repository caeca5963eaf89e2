//! The built-in library's promise for each rule: it says what it checks
//! (`description`, shown by `assay check --list-rules`), and its cases
//! both trip it and pass it. A rule added without either fails here.

use assay_core::api::cases::read_case_file;
use assay_core::api::{call, describe};
use std::collections::BTreeSet;

/// Rules whose failing input is too large for a case file, tripped by a
/// test below instead.
const TRIPPED_HERE: &[(&str, &str)] = &[("configmap-data", "data-size")];

/// A rule by its policy's name and its own.
type RuleId = (String, String);

/// The rules that some case expects a finding of, and those that some case
/// of the same policy expects no finding of (an exact finding list).
fn exercised() -> (BTreeSet<RuleId>, BTreeSet<RuleId>) {
    let (mut failed, mut passed) = (BTreeSet::new(), BTreeSet::new());
    let set = assay_core::library::defaults().unwrap_or_else(|e| panic!("{e:?}"));
    let policies = describe(&set);
    for (file, text) in assay_core::library::case_files() {
        let cases = read_case_file(&file, &text).unwrap_or_else(|e| panic!("{file}: {e}"));
        for c in cases {
            let Some(findings) = &c.case.expect.findings else {
                continue;
            };
            let named: BTreeSet<&str> = findings.iter().map(|f| f.rule.as_str()).collect();
            for p in &policies {
                if c.policy.as_ref().is_some_and(|only| *only != p.name) {
                    continue;
                }
                let rules = p.rules.iter().map(|r| r.name.as_str());
                let secret = p.secret_rules.iter().map(|r| r.name.as_str());
                for rule in rules.chain(secret) {
                    let key = (p.name.clone(), rule.to_owned());
                    match named.contains(rule) {
                        true => failed.insert(key),
                        false => passed.insert(key),
                    };
                }
            }
        }
    }
    (failed, passed)
}

#[test]
fn every_rule_says_what_it_checks() {
    let set = assay_core::library::defaults().unwrap_or_else(|e| panic!("{e:?}"));
    let missing: Vec<String> = describe(&set)
        .iter()
        .flat_map(|p| {
            p.rules
                .iter()
                .filter(|r| r.description.as_deref().is_none_or(|d| d.trim().is_empty()))
                .map(move |r| format!("{}/{}", p.name, r.name))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "rules without a description: {missing:?}"
    );
}

#[test]
fn every_rule_has_a_failing_and_a_passing_case() {
    let set = assay_core::library::defaults().unwrap_or_else(|e| panic!("{e:?}"));
    let (failed, passed) = exercised();
    let mut problems = Vec::new();
    for p in describe(&set) {
        let rules = p.rules.iter().map(|r| r.name.clone());
        for rule in rules.chain(p.secret_rules.iter().map(|r| r.name.clone())) {
            let key = (p.name.clone(), rule);
            let here = TRIPPED_HERE.contains(&(key.0.as_str(), key.1.as_str()));
            if !failed.contains(&key) && !here {
                problems.push(format!("{}/{}: no case expects its finding", key.0, key.1));
            }
            if !passed.contains(&key) {
                problems.push(format!("{}/{}: no case passes it", key.0, key.1));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The findings of the built-in library's `configmap-data` on a ConfigMap
/// whose one value is `bytes` long.
fn configmap_of(bytes: usize) -> Vec<String> {
    let set = assay_core::library::defaults().unwrap_or_else(|e| panic!("{e:?}"));
    let input = serde_json::json!({
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "embeddings"},
        "data": {"vectors.txt": "x".repeat(bytes)},
    });
    let request =
        serde_json::json!({"call": "check", "input": input, "limits": {"document-bytes": 4 << 20}});
    let answer: serde_json::Value =
        serde_json::from_str(&call(&set, request.to_string().as_bytes())).unwrap_or_default();
    let results = answer["report"]["results"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    results
        .iter()
        .filter(|r| r["policy"] == "configmap-data")
        .flat_map(|r| r["findings"].as_array().cloned().unwrap_or_default())
        .map(|f| format!("{}: {}", f["rule"], f["message"]))
        .collect()
}

#[test]
fn a_configmap_over_one_mebibyte_is_refused() {
    let over = configmap_of(1 << 20);
    assert!(
        over.iter()
            .any(|f| f.contains("data-size") && f.contains("about 1024 KiB")),
        "{over:?}"
    );
    assert_eq!(configmap_of(1000 * 1024), Vec::<String>::new());
}
