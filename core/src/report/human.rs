//! Human output: a line per finding, then a summary.

use super::model::{location, DocResult, Summary};
use super::text::visible;
use crate::diag::{Severity, Verdict};
use std::io::{self, Write};

/// The human rendering as results come: what it has said so far.
pub(super) struct Human {
    color: bool,
    /// The document whose changed paths were said last: every policy's
    /// result on a document carries them, and they are said once.
    changed_said: Option<(Option<String>, usize)>,
}

impl Human {
    pub(super) fn new(color: bool) -> Human {
        Human {
            color,
            changed_said: None,
        }
    }

    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }

    /// A `changed:` line when the result's document has not had one yet,
    /// and a line per finding.
    pub(super) fn result(&mut self, r: &DocResult, out: &mut dyn Write) -> io::Result<()> {
        let said = self.changed_said.as_ref().is_some_and(|(file, document)| {
            file.as_deref() == r.file.as_deref() && *document == r.document
        });
        if !r.changed.is_empty() && r.policy.is_some() && !said {
            self.changed_said = Some((r.file.clone(), r.document));
            writeln!(
                out,
                "{}: changed: {}",
                visible(r.file.as_deref().unwrap_or("<input>")),
                visible(&r.changed.join(", "))
            )?;
        }
        for f in &r.findings {
            // Escaped before painting: only the colours are escapes.
            let location = visible(&location(r, f));
            let sev = match f.severity {
                Severity::Error => self.paint("31", "error"),
                Severity::Warning => self.paint("33", "warning"),
            };
            let policy = r.policy.as_deref().unwrap_or("-");
            let rest = visible(&format!(
                "[{policy}/{}] {} ({})",
                f.rule,
                f.message,
                f.path_or_root()
            ));
            writeln!(out, "{location}: {sev}{rest}")?;
        }
        Ok(())
    }

    /// The summary line.
    pub(super) fn end(
        &self,
        summary: &Summary,
        verdict: Verdict,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let verdict = match verdict {
            Verdict::Pass => self.paint("32", "pass"),
            Verdict::Warn => self.paint("33", "warn"),
            Verdict::Fail => self.paint("31", "fail"),
        };
        writeln!(
            out,
            "{verdict}: {} document(s), {} checked, {} error(s), {} warning(s)",
            summary.documents, summary.checked, summary.errors, summary.warnings
        )
    }
}
