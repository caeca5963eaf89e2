//! SARIF 2.1.0, for code-scanning uploads.

use super::json::MARKER;
use super::model::DocResult;
use crate::diag::Severity;
use serde_json::json;

/// The SARIF rendering as results come: the rule ids seen so far.
#[derive(Default)]
pub(super) struct Sarif {
    rules: Vec<String>,
}

impl Sarif {
    pub(super) fn add_rule(&mut self, id: &str) {
        if !self.rules.iter().any(|r| r == id) {
            self.rules.push(id.to_owned());
        }
    }

    /// The SARIF results of one report result, one per finding, each
    /// pretty-printed as if alone.
    pub(super) fn results(&mut self, r: &DocResult) -> Vec<String> {
        let mut out = Vec::with_capacity(r.findings.len());
        for f in &r.findings {
            let id = format!("{}/{}", r.policy.as_deref().unwrap_or("assay"), f.rule);
            self.add_rule(&id);
            // Code scanning needs a line (GH1003): a finding on the file
            // as a whole is shown at its first.
            let mut region = serde_json::Map::new();
            region.insert("startLine".into(), f.line.unwrap_or(1).into());
            if let Some(c) = f.column {
                region.insert("startColumn".into(), c.into());
            }
            let result = json!({
                "ruleId": id,
                "level": match f.severity { Severity::Error => "error", Severity::Warning => "warning" },
                "message": {"text": format!("{} ({})", f.message, f.path_or_root())},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": r.file.as_deref().map_or_else(|| "stdin".into(), uri_reference)},
                    "region": region,
                }}],
            });
            out.push(serde_json::to_string_pretty(&result).unwrap_or_default());
        }
        out
    }

    /// The log with the rules seen, and its results left to the writer:
    /// one [`MARKER`] when there are any, else none.
    pub(super) fn skeleton(&self, items: bool) -> String {
        let results = if items { vec![MARKER] } else { Vec::new() };
        let sarif = json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {
                    "name": "assay",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": self.rules.iter().map(|id| json!({"id": id})).collect::<Vec<_>>(),
                }},
                "results": results,
            }],
        });
        serde_json::to_string_pretty(&sarif).unwrap_or_default()
    }
}

/// A file name as a relative URI reference (RFC 3986): `/` separates
/// segments; in each, everything but the unreserved characters and the
/// sub-delimiters is percent-encoded as UTF-8, `:` too (in a first segment
/// it would read as a scheme). `dir/a b#1.yaml` is `dir/a%20b%231.yaml`.
fn uri_reference(file: &str) -> String {
    let mut out = String::with_capacity(file.len());
    for b in file.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(char::from(b))
            }
            b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=' | b'@' => {
                out.push(char::from(b))
            }
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
