//! The built-in library's promise for each rule: it says what it checks
//! (`description`, shown by `assay check --list-rules`), and its cases
//! both trip it and pass it. A rule added without either fails here.

use assay_core::api::cases::read_case_file;
use assay_core::api::describe;
use std::collections::BTreeSet;

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
            if !failed.contains(&key) {
                problems.push(format!("{}/{}: no case expects its finding", key.0, key.1));
            }
            if !passed.contains(&key) {
                problems.push(format!("{}/{}: no case passes it", key.0, key.1));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
