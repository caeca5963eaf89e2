//! JUnit XML, for the test-report views of CI systems.

use super::model::{location, DocResult};
use crate::diag::{Finding, Severity};
use std::collections::HashMap;
use std::io::{self, Read, Seek, SeekFrom, Write};

/// The JUnit rendering as results come. Test cases are written to a body
/// as they come; a file's suite is written at the end with its counts, its
/// cases copied from the body: the parts it was written in, since a file's
/// results need not all come together.
pub(super) struct Junit {
    fail_on_warning: bool,
    /// Files in the order they first appear.
    suites: Vec<Suite>,
    by_file: HashMap<String, usize>,
    tests: usize,
    failures: usize,
    /// Bytes written to the body.
    written: u64,
}

struct Suite {
    file: String,
    tests: usize,
    failures: usize,
    /// (start, length) of its test cases in the body.
    parts: Vec<(u64, u64)>,
}

impl Junit {
    pub(super) fn new(fail_on_warning: bool) -> Junit {
        Junit {
            fail_on_warning,
            suites: Vec::new(),
            by_file: HashMap::new(),
            tests: 0,
            failures: 0,
            written: 0,
        }
    }

    fn fails(&self, f: &Finding) -> bool {
        f.severity == Severity::Error || self.fail_on_warning
    }

    /// Writes the result's test case to `body`, and counts it in its file's suite.
    pub(super) fn result(&mut self, r: &DocResult, body: &mut dyn Write) -> io::Result<()> {
        let file = r.file.as_deref().unwrap_or("<input>");
        let case = self.testcase(r, file);
        body.write_all(case.as_bytes())?;
        let (start, len) = (self.written, case.len() as u64);
        self.written += len;
        let failed = r.findings.iter().any(|f| self.fails(f));
        let at = match self.by_file.get(file) {
            Some(&at) => at,
            None => {
                self.by_file.insert(file.to_owned(), self.suites.len());
                self.suites.push(Suite {
                    file: file.to_owned(),
                    tests: 0,
                    failures: 0,
                    parts: Vec::new(),
                });
                self.suites.len() - 1
            }
        };
        let suite = &mut self.suites[at];
        suite.tests += 1;
        suite.failures += usize::from(failed);
        match suite.parts.last_mut() {
            Some((s, l)) if *s + *l == start => *l += len,
            _ => suite.parts.push((start, len)),
        }
        self.tests += 1;
        self.failures += usize::from(failed);
        Ok(())
    }

    fn testcase(&self, r: &DocResult, file: &str) -> String {
        let line = |f: &Finding| {
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
        let object: Vec<&str> = [&r.kind, &r.namespace, &r.name]
            .into_iter()
            .filter_map(|p| p.as_deref())
            .collect();
        let policy = r.policy.as_deref().unwrap_or("parse");
        let name = match object.join("/") {
            o if o.is_empty() => format!("{policy} (document {})", r.document),
            o => format!("{policy} {o} (document {})", r.document),
        };
        let mut out = format!(
            "    <testcase classname=\"{}\" name=\"{}\"",
            xml_attr(file),
            xml_attr(&name)
        );
        let (failing, other): (Vec<&Finding>, Vec<&Finding>) =
            r.findings.iter().partition(|f| self.fails(f));
        if failing.is_empty() && other.is_empty() {
            out.push_str("/>\n");
            return out;
        }
        out.push_str(">\n");
        if let Some(first) = failing.first() {
            let text: String = failing.iter().map(|f| line(f)).collect();
            out.push_str(&format!(
                "      <failure message=\"{}\" type=\"{}\">{}</failure>\n",
                xml_attr(&first.message),
                xml_attr(&first.rule),
                xml_text(&text)
            ));
        }
        if !other.is_empty() {
            let text: String = other.iter().map(|f| line(f)).collect();
            out.push_str(&format!(
                "      <system-out>{}</system-out>\n",
                xml_text(&text)
            ));
        }
        out.push_str("    </testcase>\n");
        out
    }

    /// The totals, then each file's suite with its test cases from `body`.
    pub(super) fn finish<B: Read + Seek>(
        &self,
        body: &mut B,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        write!(
            out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"assay\" tests=\"{}\" failures=\"{}\">\n",
            self.tests, self.failures
        )?;
        for suite in &self.suites {
            writeln!(
                out,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\">",
                xml_attr(&suite.file),
                suite.tests,
                suite.failures
            )?;
            for &(start, len) in &suite.parts {
                body.seek(SeekFrom::Start(start))?;
                io::copy(&mut body.by_ref().take(len), out)?;
            }
            out.write_all(b"  </testsuite>\n")?;
        }
        out.write_all(b"</testsuites>\n")
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
