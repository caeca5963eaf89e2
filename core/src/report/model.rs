//! The report's types: a result per document and policy, the summary, and
//! the report that holds them.

use crate::diag::{Finding, Severity, Verdict};
use serde::{Deserialize, Serialize};

/// The findings of one policy on one document (or a parse failure).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocResult {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    pub document: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    pub verdict: Verdict,
    pub findings: Vec<Finding>,
    /// Keys a patch changed (`check --base --patch`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changed: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub documents: usize,
    pub checked: usize,
    pub errors: usize,
    pub warnings: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub version: u32,
    pub verdict: Verdict,
    pub summary: Summary,
    pub results: Vec<DocResult>,
}

impl Report {
    /// `documents` counts every input document; `checked`, those at least one policy applied to.
    pub fn new(documents: usize, checked: usize, results: Vec<DocResult>) -> Report {
        let mut summary = Summary {
            documents,
            checked,
            ..Summary::default()
        };
        for f in results.iter().flat_map(|r| &r.findings) {
            match f.severity {
                Severity::Error => summary.errors += 1,
                Severity::Warning => summary.warnings += 1,
            }
        }
        let verdict = results
            .iter()
            .map(|r| r.verdict)
            .max()
            .unwrap_or(Verdict::Pass);
        Report {
            version: 1,
            verdict,
            summary,
            results,
        }
    }
}

pub(super) fn location(r: &DocResult, f: &Finding) -> String {
    let file = r.file.as_deref().unwrap_or("<input>");
    match (f.line, f.column) {
        (Some(l), Some(c)) => format!("{file}:{l}:{c}"),
        _ => format!("{file}#{}", r.document),
    }
}
