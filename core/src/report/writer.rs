//! Writing a report as its results are made: a stream's results are written
//! and dropped a file (or a chunk of documents) at a time, so a report of
//! any size is written in bounded memory (docs/report.md, "Writing as it
//! goes").
//!
//! `human` and `github` are written as they come. `json` and `junit` start
//! with totals (the verdict and summary, the count of tests and failures),
//! so their results are rendered into a body (`B`, any `Read + Write +
//! Seek`: a `Cursor` in memory, or a host's spooled temporary file) and
//! copied out after the totals when the writer is finished. `sarif` starts
//! with nothing that depends on its results, and is written as it comes
//! (unless serde_json keeps map keys in insertion order, which puts the
//! rules first: then it too goes through the body). The output is the
//! whole report's `Report::to_*` byte for byte: those are this writer too.

use super::human::Human;
use super::json::{self, MARKER};
use super::junit::Junit;
use super::model::{DocResult, Summary};
use super::sarif::Sarif;
use crate::diag::{Severity, Verdict};
use std::io::{self, Read, Seek, SeekFrom, Write};

/// A report format, as `assay check -o` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One line per finding and a summary; `color` paints severities and
    /// the verdict with ANSI escapes.
    Human {
        color: bool,
    },
    Json,
    Sarif,
    Github,
    /// `fail_on_warning`: warnings are failures too (`--fail-on warning`).
    Junit {
        fail_on_warning: bool,
    },
}

/// Writes a report to `out` as results are given to it, keeping the
/// running summary and verdict. Give it every input's document counts
/// ([`Writer::count`]) and results ([`Writer::write_result`]) in report
/// order, then [`Writer::finish`] it.
pub struct Writer<W: Write, B: Read + Write + Seek = io::Cursor<Vec<u8>>> {
    out: W,
    body: B,
    state: State,
    /// JSON array items written (`json`, `sarif`).
    items: usize,
    version: u32,
    summary: Summary,
    verdict: Verdict,
}

enum State {
    Human(Human),
    Github,
    Json {
        indent: String,
    },
    Sarif {
        sarif: Sarif,
        indent: String,
        /// Written to `out` as it comes; else to the body.
        direct: bool,
        /// What comes before the results, to write before the first one.
        head: String,
    },
    Junit(Junit),
}

impl<W: Write, B: Read + Write + Seek> Writer<W, B> {
    /// A writer of `format` to `out`; `body` (empty) holds what has to
    /// wait for the totals.
    pub fn new(format: Format, out: W, body: B) -> Self {
        let state = match format {
            Format::Human { color } => State::Human(Human::new(color)),
            Format::Github => State::Github,
            Format::Json => State::Json {
                indent: splice(json::skeleton(1, Verdict::Pass, &Summary::default(), true))
                    .map(|s| s.indent)
                    .unwrap_or_default(),
            },
            Format::Sarif => {
                let sarif = Sarif::default();
                let spliced = splice(sarif.skeleton(true)).unwrap_or_default();
                // Whether the text before the results depends on the rules.
                let mut other = Sarif::default();
                other.add_rule("p/r");
                let direct = splice(other.skeleton(true)).is_some_and(|o| o.head == spliced.head);
                State::Sarif {
                    sarif,
                    indent: spliced.indent,
                    direct,
                    head: spliced.head,
                }
            }
            Format::Junit { fail_on_warning } => State::Junit(Junit::new(fail_on_warning)),
        };
        Writer {
            out,
            body,
            state,
            items: 0,
            version: 1,
            summary: Summary::default(),
            verdict: Verdict::Pass,
        }
    }

    /// Counts an input's documents: `documents` read, parse failures
    /// included; `checked`, those at least one policy applied to.
    pub fn count(&mut self, documents: usize, checked: usize) {
        self.summary.documents += documents;
        self.summary.checked += checked;
    }

    /// Writes one result (or keeps it in the body until the totals are known).
    pub fn write_result(&mut self, r: &DocResult) -> io::Result<()> {
        self.verdict = self.verdict.max(r.verdict);
        for f in &r.findings {
            match f.severity {
                Severity::Error => self.summary.errors += 1,
                Severity::Warning => self.summary.warnings += 1,
            }
        }
        let Writer {
            out,
            body,
            state,
            items,
            ..
        } = self;
        match state {
            State::Human(human) => human.result(r, out),
            State::Github => super::github::result(r, out),
            State::Json { indent } => {
                write_item(body, *items == 0, indent, &json::item(r))?;
                *items += 1;
                Ok(())
            }
            State::Sarif {
                sarif,
                indent,
                direct,
                head,
            } => {
                let to: &mut dyn Write = if *direct { out } else { body };
                for result in sarif.results(r) {
                    if *items == 0 && *direct {
                        to.write_all(head.as_bytes())?;
                    }
                    write_item(to, *items == 0, indent, &result)?;
                    *items += 1;
                }
                Ok(())
            }
            State::Junit(junit) => junit.result(r, body),
        }
    }

    /// [`Writer::write_result`] for each of `results`, in order.
    pub fn write_results(&mut self, results: &[DocResult]) -> io::Result<()> {
        results.iter().try_for_each(|r| self.write_result(r))
    }

    /// The summary of what has been written so far.
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// The worst verdict of the results written so far (`pass` for none).
    pub fn verdict(&self) -> Verdict {
        self.verdict
    }

    /// A whole report's own totals, which its results may not add up to
    /// (a report read back from JSON).
    pub(super) fn set_totals(&mut self, version: u32, summary: Summary, verdict: Verdict) {
        self.version = version;
        self.summary = summary;
        self.verdict = verdict;
    }

    /// Writes what comes after the results (and the totals and body before
    /// them, for `json` and `junit`), flushes, and gives `out` back.
    pub fn finish(self) -> io::Result<W> {
        let Writer {
            mut out,
            mut body,
            state,
            items,
            version,
            summary,
            verdict,
        } = self;
        match state {
            State::Human(human) => human.end(&summary, verdict, &mut out)?,
            State::Github => {}
            State::Json { .. } => {
                let text = json::skeleton(version, verdict, &summary, items > 0);
                write_spliced(&mut out, &mut body, text, items > 0, false)?;
            }
            State::Sarif { sarif, direct, .. } => {
                let text = sarif.skeleton(items > 0);
                write_spliced(&mut out, &mut body, text, items > 0, direct)?;
            }
            State::Junit(junit) => junit.finish(&mut body, &mut out)?,
        }
        out.flush()?;
        Ok(out)
    }
}

/// A rendered skeleton whose array of items is [`MARKER`]: the text before
/// the items (up to the `[`), the indentation of each, and the text after
/// them (from the line break before the `]`).
#[derive(Default)]
struct Spliced {
    head: String,
    indent: String,
    tail: String,
}

fn splice(text: String) -> Option<Spliced> {
    let quoted = format!("\"{MARKER}\"");
    let at = text.find(&quoted)?;
    let line_start = text[..at].rfind('\n')?;
    Some(Spliced {
        head: text[..line_start].to_owned(),
        indent: text[line_start + 1..at].to_owned(),
        tail: text[at + quoted.len()..].to_owned(),
    })
}

/// Writes the skeleton `text`: whole when there are no items, else its
/// head (unless it was written before the first item), the body, and its
/// tail.
fn write_spliced<B: Read + Seek>(
    out: &mut dyn Write,
    body: &mut B,
    text: String,
    items: bool,
    head_written: bool,
) -> io::Result<()> {
    if !items {
        return out.write_all(text.as_bytes());
    }
    let spliced = splice(text).ok_or_else(|| io::Error::other("report skeleton without items"))?;
    if !head_written {
        out.write_all(spliced.head.as_bytes())?;
        body.seek(SeekFrom::Start(0))?;
        io::copy(body, out)?;
    }
    out.write_all(spliced.tail.as_bytes())
}

/// One item of a pretty-printed JSON array, `pretty` as serde_json writes it
/// alone: after a line break (and a comma but for the first), each of its
/// lines indented to its place. A line break in pretty JSON is always
/// between tokens (strings escape theirs), so this is the array's own text.
fn write_item(out: &mut dyn Write, first: bool, indent: &str, pretty: &str) -> io::Result<()> {
    out.write_all(if first { b"\n" } else { b",\n" })?;
    for (i, line) in pretty.split('\n').enumerate() {
        if i > 0 {
            out.write_all(b"\n")?;
        }
        out.write_all(indent.as_bytes())?;
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}
