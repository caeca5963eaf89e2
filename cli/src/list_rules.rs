//! `assay check --list-rules`: every rule the check would run, by id
//! (`policy/rule`), with its severity, what it checks and where it is
//! documented, as kube-linter's `checks list` gives them.

use assay_core::api::PolicyInfo;
use assay_core::Severity;
use serde::Serialize;
use std::fmt::Write;

#[derive(Serialize)]
pub struct ListedRule {
    pub id: String,
    pub policy: String,
    pub rule: String,
    pub severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Where the rule is explained: the pack's README at the rule for the
    /// built-in library, docs/secrets.md for the secret rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub docs: Option<String>,
    /// The policy file (or module) it comes from.
    pub file: String,
}

/// The README of a built-in pack, `policies/<pack>/README.md`, at `rule`.
fn pack_docs(file: &str, rule: &str) -> Option<String> {
    let pack = file.strip_prefix("policies/")?.split_once('/')?.0;
    Some(format!("policies/{pack}/README.md#{rule}"))
}

/// The rules of `policies`; `builtin` when they are the built-in library,
/// whose packs document each rule.
pub fn list(policies: &[PolicyInfo], builtin: bool) -> Vec<ListedRule> {
    let mut out = Vec::new();
    for p in policies {
        let listed = |rule: &str, severity, description: Option<&str>, docs| ListedRule {
            id: format!("{}/{rule}", p.name),
            policy: p.name.clone(),
            rule: rule.to_owned(),
            severity,
            description: description.map(str::to_owned),
            docs,
            file: p.file.clone(),
        };
        // Schema and embedded-file findings carry these two ids.
        if p.checks.iter().any(|c| c == "schema") {
            let what = "the document matches the policy's JSON Schema (`spec.schema`)";
            out.push(listed("schema", Severity::Error, Some(what), None));
        }
        if p.checks.iter().any(|c| c == "embedded") {
            let what = format!(
                "the embedded files {} parse and match their schemas (`spec.embedded`)",
                p.embedded.join(", ")
            );
            out.push(listed("embedded", Severity::Error, Some(&what), None));
        }
        for r in &p.rules {
            let docs = builtin.then(|| pack_docs(&p.file, &r.name)).flatten();
            out.push(listed(&r.name, r.severity, r.description.as_deref(), docs));
        }
        for r in &p.secret_rules {
            let docs = Some("docs/secrets.md#rules".to_owned());
            out.push(listed(&r.name, r.severity, Some(&r.description), docs));
        }
    }
    out
}

/// One block per rule: the id and severity, then what it checks and its docs.
pub fn human(rules: &[ListedRule]) -> String {
    let mut out = String::new();
    for r in rules {
        let _ = writeln!(out, "{} ({})", r.id, r.severity.as_str());
        if let Some(d) = &r.description {
            let _ = writeln!(out, "    {}", d.trim());
        }
        let _ = writeln!(out, "    docs: {}", r.docs.as_deref().unwrap_or(&r.file));
    }
    let _ = writeln!(out, "{} rule(s)", rules.len());
    out
}

pub fn json(rules: &[ListedRule]) -> String {
    serde_json::json!({ "rules": rules }).to_string()
}
