//! Human output: a line per finding, then a summary.

use super::text::visible;
use super::{location, Report};
use crate::diag::{Severity, Verdict};

impl Report {
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
                    visible(r.file.as_deref().unwrap_or("<input>")),
                    visible(&r.changed.join(", "))
                ));
            }
            for f in &r.findings {
                // Escaped before painting: only the colours are escapes.
                let location = visible(&location(r, f));
                let sev = match f.severity {
                    Severity::Error => paint("31", "error"),
                    Severity::Warning => paint("33", "warning"),
                };
                let policy = r.policy.as_deref().unwrap_or("-");
                let rest = visible(&format!(
                    "[{policy}/{}] {} ({})",
                    f.rule,
                    f.message,
                    f.path_or_root()
                ));
                out.push_str(&format!("{location}: {sev}{rest}\n"));
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
}
