//! Findings, per-document results and the report every host returns (SPEC §2),
//! with its renderings: human, JSON, SARIF and GitHub annotations.

use crate::policy::Severity;
use crate::source::{Pos, SourceMap};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    pub message: String,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
}

impl Finding {
    pub fn new(
        rule: &str,
        severity: Severity,
        message: String,
        path: &str,
        map: &dyn Locate,
    ) -> Self {
        let mut f = Finding {
            rule: rule.to_owned(),
            severity,
            message: one_line(message),
            path: path.to_owned(),
            line: None,
            column: None,
        };
        f.locate(path, map);
        f
    }

    pub fn locate(&mut self, path: &str, map: &dyn Locate) {
        if let Some(pos) = map.locate(path) {
            self.line = Some(pos.line);
            self.column = Some(pos.column);
        }
    }
}

/// Finds where the value at a JSON pointer is in the source.
pub trait Locate {
    fn locate(&self, pointer: &str) -> Option<Pos>;
}

impl Locate for SourceMap {
    fn locate(&self, pointer: &str) -> Option<Pos> {
        SourceMap::locate(self, pointer)
    }
}

/// A message as one line: a folded `message: >` ends in a newline, and a
/// finding is one line of human output.
fn one_line(message: String) -> String {
    if message.contains(['\n', '\r']) {
        message.split_whitespace().collect::<Vec<_>>().join(" ")
    } else {
        message
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Warn,
    Fail,
}

impl Verdict {
    pub fn of(findings: &[Finding]) -> Verdict {
        findings.iter().fold(Verdict::Pass, |v, f| {
            v.max(match f.severity {
                Severity::Error => Verdict::Fail,
                Severity::Warning => Verdict::Warn,
            })
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
        }
    }
}

/// The findings of one policy on one document (or a parse failure).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocResult {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    pub document: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    pub verdict: Verdict,
    pub findings: Vec<Finding>,
    /// Keys a patch changed (`check --base --patch`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changed: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub documents: usize,
    pub checked: usize,
    pub errors: usize,
    pub warnings: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub version: u32,
    pub verdict: Verdict,
    pub summary: Summary,
    pub results: Vec<DocResult>,
}

impl Report {
    /// `documents` counts every input document; `checked`, those at least one policy applied to.
    pub fn new(documents: usize, checked: usize, results: Vec<DocResult>) -> Report {
        let mut summary = Summary {
            documents,
            checked,
            ..Summary::default()
        };
        for f in results.iter().flat_map(|r| &r.findings) {
            match f.severity {
                Severity::Error => summary.errors += 1,
                Severity::Warning => summary.warnings += 1,
            }
        }
        let verdict = results
            .iter()
            .map(|r| r.verdict)
            .max()
            .unwrap_or(Verdict::Pass);
        Report {
            version: 1,
            verdict,
            summary,
            results,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// One line per finding (`file:line:col: severity[policy/rule] message`), then a summary.
    pub fn to_human(&self, color: bool) -> String {
        let paint = |code: &str, s: &str| {
            if color {
                format!("\x1b[{code}m{s}\x1b[0m")
            } else {
                s.to_owned()
            }
        };
        let mut out = String::new();
        // Every policy's result on a document carries its changed paths: say them once.
        let mut changed_said: Option<(Option<&str>, usize)> = None;
        for r in &self.results {
            let document = (r.file.as_deref(), r.document);
            if !r.changed.is_empty() && r.policy.is_some() && changed_said != Some(document) {
                changed_said = Some(document);
                out.push_str(&format!(
                    "{}: changed: {}\n",
                    r.file.as_deref().unwrap_or("<input>"),
                    r.changed.join(", ")
                ));
            }
            for f in &r.findings {
                let location = location(r, f);
                let sev = match f.severity {
                    Severity::Error => paint("31", "error"),
                    Severity::Warning => paint("33", "warning"),
                };
                let policy = r.policy.as_deref().unwrap_or("-");
                out.push_str(&format!(
                    "{location}: {sev}[{policy}/{}] {} ({})\n",
                    f.rule,
                    f.message,
                    f.path_or_root()
                ));
            }
        }
        let verdict = match self.verdict {
            Verdict::Pass => paint("32", "pass"),
            Verdict::Warn => paint("33", "warn"),
            Verdict::Fail => paint("31", "fail"),
        };
        out.push_str(&format!(
            "{verdict}: {} document(s), {} checked, {} error(s), {} warning(s)\n",
            self.summary.documents,
            self.summary.checked,
            self.summary.errors,
            self.summary.warnings
        ));
        out
    }

    /// GitHub Actions workflow commands: one annotation per finding.
    pub fn to_github(&self) -> String {
        let mut out = String::new();
        for r in &self.results {
            for f in &r.findings {
                let level = match f.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                };
                let mut props = Vec::new();
                if let Some(file) = &r.file {
                    props.push(format!("file={}", escape_property(file)));
                }
                if let Some(l) = f.line {
                    props.push(format!("line={l}"));
                }
                if let Some(c) = f.column {
                    props.push(format!("col={c}"));
                }
                let title = format!("{}/{}", r.policy.as_deref().unwrap_or("assay"), f.rule);
                props.push(format!("title={}", escape_property(&title)));
                out.push_str(&format!(
                    "::{level} {}::{}\n",
                    props.join(","),
                    escape_data(&format!("{} ({})", f.message, f.path_or_root()))
                ));
            }
        }
        out
    }

    /// JUnit XML, for CI systems that show test reports (GitLab, Jenkins,
    /// Azure Pipelines): a test suite per file, a test case per document and
    /// policy. Findings at `failing` severities are the case's failure; the
    /// others are its `system-out`.
    pub fn to_junit(&self, fail_on_warning: bool) -> String {
        let fails = |f: &Finding| f.severity == Severity::Error || fail_on_warning;
        let line = |r: &DocResult, f: &Finding| {
            let sev = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let policy = r.policy.as_deref().unwrap_or("-");
            let (rule, message, path) = (&f.rule, &f.message, f.path_or_root());
            format!(
                "{}: {sev}[{policy}/{rule}] {message} ({path})\n",
                location(r, f)
            )
        };
        // Files in the order they first appear, each with its results.
        let mut files: Vec<(&str, Vec<&DocResult>)> = Vec::new();
        for r in &self.results {
            let file = r.file.as_deref().unwrap_or("<input>");
            match files.iter_mut().find(|(f, _)| *f == file) {
                Some((_, results)) => results.push(r),
                None => files.push((file, vec![r])),
            }
        }
        let failed = |r: &DocResult| r.findings.iter().any(fails);
        let total_failed = self.results.iter().filter(|r| failed(r)).count();
        let mut out = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"assay\" tests=\"{}\" failures=\"{total_failed}\">\n",
            self.results.len()
        );
        for (file, results) in files {
            let file_failed = results.iter().filter(|r| failed(r)).count();
            out.push_str(&format!(
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{file_failed}\">\n",
                xml_escape(file),
                results.len()
            ));
            for r in results {
                let object: Vec<&str> = [&r.kind, &r.namespace, &r.name]
                    .into_iter()
                    .filter_map(|p| p.as_deref())
                    .collect();
                let policy = r.policy.as_deref().unwrap_or("parse");
                let name = match object.join("/") {
                    o if o.is_empty() => format!("{policy} (document {})", r.document),
                    o => format!("{policy} {o} (document {})", r.document),
                };
                out.push_str(&format!(
                    "    <testcase classname=\"{}\" name=\"{}\"",
                    xml_escape(file),
                    xml_escape(&name)
                ));
                let (failing, other): (Vec<&Finding>, Vec<&Finding>) =
                    r.findings.iter().partition(|f| fails(f));
                if failing.is_empty() && other.is_empty() {
                    out.push_str("/>\n");
                    continue;
                }
                out.push_str(">\n");
                if let Some(first) = failing.first() {
                    let text: String = failing.iter().map(|f| line(r, f)).collect();
                    out.push_str(&format!(
                        "      <failure message=\"{}\" type=\"{}\">{}</failure>\n",
                        xml_escape(&first.message),
                        xml_escape(&first.rule),
                        xml_escape(&text)
                    ));
                }
                if !other.is_empty() {
                    let text: String = other.iter().map(|f| line(r, f)).collect();
                    out.push_str(&format!(
                        "      <system-out>{}</system-out>\n",
                        xml_escape(&text)
                    ));
                }
                out.push_str("    </testcase>\n");
            }
            out.push_str("  </testsuite>\n");
        }
        out.push_str("</testsuites>\n");
        out
    }

    /// SARIF 2.1.0, for code-scanning uploads.
    pub fn to_sarif(&self) -> String {
        let mut rules: Vec<String> = Vec::new();
        let mut results = Vec::new();
        for r in &self.results {
            for f in &r.findings {
                let id = format!("{}/{}", r.policy.as_deref().unwrap_or("assay"), f.rule);
                if !rules.contains(&id) {
                    rules.push(id.clone());
                }
                // Code scanning needs a line (GH1003): a finding on the file
                // as a whole is shown at its first.
                let mut region = serde_json::Map::new();
                region.insert("startLine".into(), f.line.unwrap_or(1).into());
                if let Some(c) = f.column {
                    region.insert("startColumn".into(), c.into());
                }
                results.push(json!({
                    "ruleId": id,
                    "level": match f.severity { Severity::Error => "error", Severity::Warning => "warning" },
                    "message": {"text": format!("{} ({})", f.message, f.path_or_root())},
                    "locations": [{"physicalLocation": {
                        "artifactLocation": {"uri": r.file.clone().unwrap_or_else(|| "stdin".into())},
                        "region": region,
                    }}],
                }));
            }
        }
        let sarif = json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {
                    "name": "assay",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules.iter().map(|id| json!({"id": id})).collect::<Vec<_>>(),
                }},
                "results": results,
            }],
        });
        serde_json::to_string_pretty(&sarif).unwrap_or_default()
    }
}

impl Finding {
    fn path_or_root(&self) -> &str {
        if self.path.is_empty() {
            "/"
        } else {
            &self.path
        }
    }
}

fn location(r: &DocResult, f: &Finding) -> String {
    let file = r.file.as_deref().unwrap_or("<input>");
    match (f.line, f.column) {
        (Some(l), Some(c)) => format!("{file}:{l}:{c}"),
        _ => format!("{file}#{}", r.document),
    }
}

/// Text for XML 1.0 attributes and elements: markup escaped, and the
/// characters XML cannot hold at all (most control characters) replaced.
fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c < ' ' || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}
