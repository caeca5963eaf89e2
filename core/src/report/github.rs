//! GitHub Actions workflow commands: an annotation per finding.

use super::model::DocResult;
use super::text::{is_hidden, push_escaped};
use crate::diag::Severity;
use std::io::{self, Write};

/// The annotations of one result's findings.
pub(super) fn result(r: &DocResult, out: &mut dyn Write) -> io::Result<()> {
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
        writeln!(
            out,
            "::{level} {}::{}",
            props.join(","),
            escape_data(&format!("{} ({})", f.message, f.path_or_root()))
        )?;
    }
    Ok(())
}

/// A command's message: `%`, CR and LF as GitHub's runner reads them back
/// (it shows CR and LF as line breaks inside the annotation); the other
/// characters a log would act on, escaped visibly.
fn escape_data(s: &str) -> String {
    escape(s, false)
}

/// A command's property value: as its message, and `:` and `,` too.
fn escape_property(s: &str) -> String {
    escape(s, true)
}

fn escape(s: &str, property: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            ':' if property => out.push_str("%3A"),
            ',' if property => out.push_str("%2C"),
            c if is_hidden(c) => push_escaped(&mut out, c),
            c => out.push(c),
        }
    }
    out
}
