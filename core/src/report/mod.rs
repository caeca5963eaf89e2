//! The report every host returns (docs/report.md): per-document results
//! and a summary (`model.rs`), with one renderer per file, and the
//! [`Writer`] that writes a report as its results come. `Report::to_*` are
//! that writer too, given every result at once.

mod github;
mod human;
mod json;
mod junit;
mod model;
mod sarif;
mod text;
mod writer;

pub use model::{DocResult, Report, Summary};
pub use writer::{Format, Writer};

impl Report {
    /// One line per finding (`file:line:col: severity[policy/rule] message`), then a summary.
    pub fn to_human(&self, color: bool) -> String {
        self.render(Format::Human { color })
    }

    /// The report as `assay check -o json` writes it: pretty-printed JSON.
    pub fn to_json(&self) -> String {
        self.render(Format::Json)
    }

    /// SARIF 2.1.0, for code-scanning uploads.
    pub fn to_sarif(&self) -> String {
        self.render(Format::Sarif)
    }

    /// GitHub Actions workflow commands: one annotation per finding.
    pub fn to_github(&self) -> String {
        self.render(Format::Github)
    }

    /// JUnit XML, for CI systems that show test reports (GitLab, Jenkins,
    /// Azure Pipelines): a test suite per file, a test case per document and
    /// policy. Findings at `failing` severities are the case's failure; the
    /// others are its `system-out`.
    pub fn to_junit(&self, fail_on_warning: bool) -> String {
        self.render(Format::Junit { fail_on_warning })
    }

    /// The whole report in `format`, through the same [`Writer`] as a
    /// report written as it goes.
    fn render(&self, format: Format) -> String {
        let mut w = Writer::new(format, Vec::new(), std::io::Cursor::new(Vec::new()));
        // Writing to memory cannot fail.
        let _ = w.write_results(&self.results);
        w.set_totals(self.version, self.summary.clone(), self.verdict);
        let out = w.finish().unwrap_or_default();
        String::from_utf8(out).unwrap_or_default()
    }
}
