//! What checking finds: a `Finding` with its `Severity` and position, and
//! the `Verdict` a set of findings comes to. Every layer above `parse`
//! reports through these types.

pub use crate::parse::Pos;
use crate::parse::SourceMap;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    #[default]
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

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

impl Finding {
    /// The finding's JSON pointer, with `/` for the document's root.
    pub fn path_or_root(&self) -> &str {
        if self.path.is_empty() {
            "/"
        } else {
            &self.path
        }
    }
}
