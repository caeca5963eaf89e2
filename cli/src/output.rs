//! `assay check`'s report on stdout, written as inputs are checked: each
//! input's results are written (or spooled, for formats whose totals come
//! first) and dropped before the next input is read.

use assay_core::check::FileOutcome;
use assay_core::report::{Format, Writer};
use assay_core::Verdict;
use std::io::{self, BufWriter, StdoutLock, Write};

/// The body of `json` and `junit` reports is kept in memory up to this,
/// then in a temporary file.
const SPOOL_IN_MEMORY: usize = 8 << 20;

pub struct Output {
    writer: Writer<BufWriter<StdoutLock<'static>>, tempfile::SpooledTempFile>,
    /// `json` and `sarif` end with a line break that `Report::to_*` has not.
    final_newline: bool,
}

impl Output {
    pub fn new(format: Format) -> Output {
        let stdout = BufWriter::with_capacity(64 << 10, io::stdout().lock());
        let body = tempfile::SpooledTempFile::new(SPOOL_IN_MEMORY);
        Output {
            writer: Writer::new(format, stdout, body),
            final_newline: matches!(format, Format::Json | Format::Sarif),
        }
    }

    /// An input's outcome: its documents counted, its results written.
    pub fn add(&mut self, outcome: FileOutcome) -> io::Result<()> {
        self.writer.count(outcome.documents, outcome.checked);
        self.writer.write_results(&outcome.results)
    }

    /// Writes the rest of the report: its verdict.
    pub fn finish(self) -> io::Result<Verdict> {
        let verdict = self.writer.verdict();
        let mut out = self.writer.finish()?;
        if self.final_newline {
            out.write_all(b"\n")?;
        }
        out.flush()?;
        Ok(verdict)
    }
}
