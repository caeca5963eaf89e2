//! JUnit XML, for the test-report views of CI systems.

use super::{location, DocResult, Report};
use crate::diag::{Finding, Severity};

impl Report {
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
                xml_attr(file),
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
                    xml_attr(file),
                    xml_attr(&name)
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
                        xml_attr(&first.message),
                        xml_attr(&first.rule),
                        xml_text(&text)
                    ));
                }
                if !other.is_empty() {
                    let text: String = other.iter().map(|f| line(r, f)).collect();
                    out.push_str(&format!(
                        "      <system-out>{}</system-out>\n",
                        xml_text(&text)
                    ));
                }
                out.push_str("    </testcase>\n");
            }
            out.push_str("  </testsuite>\n");
        }
        out.push_str("</testsuites>\n");
        out
    }
}

/// An attribute value: markup escaped, and tab, LF and CR as character
/// references, which attribute-value normalization keeps (raw, they would be
/// read back as spaces). Characters XML cannot hold are replaced.
fn xml_attr(s: &str) -> String {
    xml_escape(s, true)
}

/// Element text: as an attribute, but LF and tab stay as they are; a CR is
/// still a reference, or it would be read back as a LF.
fn xml_text(s: &str) -> String {
    xml_escape(s, false)
}

fn xml_escape(s: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\t' | '\n' => out.push(c),
            // Not in XML 1.0's Char production (surrogates cannot be in a str).
            c if c < ' ' || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}
