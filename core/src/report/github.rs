//! GitHub Actions workflow commands: an annotation per finding.

use super::Report;
use crate::diag::Severity;

impl Report {
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
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}
