//! The JSON report: the `Report` itself, pretty-printed, its results
//! written one by one between the rest.

use super::model::{DocResult, Summary};
use crate::diag::Verdict;
use serde::Serialize;

/// Stands for the items of a JSON array in a rendered skeleton (`json`,
/// `sarif`); never a value of a report: the writer splices it out before
/// anything is written.
pub(super) const MARKER: &str = "@@assay-report-items@@";

/// `Report` as serde writes it, field for field, with its results left to
/// the writer: one [`MARKER`] when there are any, else none.
#[derive(Serialize)]
struct Skeleton<'a> {
    version: u32,
    verdict: Verdict,
    summary: &'a Summary,
    results: &'a [&'a str],
}

pub(super) fn skeleton(version: u32, verdict: Verdict, summary: &Summary, items: bool) -> String {
    let marker = [MARKER];
    let skeleton = Skeleton {
        version,
        verdict,
        summary,
        results: if items { &marker } else { &[] },
    };
    // Serializing a derived type to a string cannot fail.
    serde_json::to_string_pretty(&skeleton).unwrap_or_default()
}

/// One result, pretty-printed as if alone.
pub(super) fn item(r: &DocResult) -> String {
    serde_json::to_string_pretty(r).unwrap_or_default()
}
