//! Policy test cases as data: YAML files of inputs and expected outcomes,
//! run by `assay test` and by the workspace's test suite, one test per case.

use crate::api::documents_of;
use crate::check::check_documents;
use crate::engine::PolicySet;
use crate::policy::{typed, PolicyError, Severity};
use crate::report::{DocResult, Finding, Verdict};
use crate::source::{parse_stream, Pos};
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseFile {
    /// Only these policies' results count; default: every policy in the set.
    #[serde(default)]
    pub policy: Option<String>,
    pub cases: Vec<Case>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub name: String,
    #[serde(default)]
    pub env: String,
    /// The document: YAML text (lines then count from its first line) or a mapping.
    pub input: Value,
    #[serde(default)]
    pub old: Option<Value>,
    pub expect: Expect,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub verdict: Verdict,
    /// When given, the findings must be exactly these, in any order.
    #[serde(default)]
    pub findings: Option<Vec<ExpectedFinding>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedFinding {
    pub rule: String,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub severity: Option<Severity>,
    /// A substring of the message.
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub line: Option<u32>,
    #[serde(default)]
    pub column: Option<u32>,
}

impl<'de> Deserialize<'de> for Verdict {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match String::deserialize(d)?.as_str() {
            "pass" => Ok(Verdict::Pass),
            "warn" => Ok(Verdict::Warn),
            "fail" => Ok(Verdict::Fail),
            other => Err(serde::de::Error::custom(format!(
                "unknown verdict `{other}`, expected pass, warn or fail"
            ))),
        }
    }
}

/// A case ready to run, with where it is written.
#[derive(Debug, Clone)]
pub struct LocatedCase {
    pub file: String,
    pub line: u32,
    pub policy: Option<String>,
    pub case: Case,
}

/// Reads a case file; its problems are located like a policy's.
pub fn read_case_file(file: &str, text: &str) -> Result<Vec<LocatedCase>, PolicyError> {
    let doc = match parse_stream(text).into_iter().next() {
        Some(Ok(d)) => d,
        Some(Err(e)) => {
            return Err(PolicyError::at(
                file,
                Pos {
                    line: e.line,
                    column: e.column,
                },
                format!("invalid YAML: {}", e.message),
            ))
        }
        None => return Ok(Vec::new()),
    };
    let parsed: CaseFile = typed(file, &doc, "", &doc.value)?;
    Ok(parsed
        .cases
        .into_iter()
        .enumerate()
        .map(|(i, case)| LocatedCase {
            file: file.to_owned(),
            line: doc.map.locate(&format!("/cases/{i}")).map_or(0, |p| p.line),
            policy: parsed.policy.clone(),
            case,
        })
        .collect())
}

/// Runs one case; `Err` lists every way the outcome differs from the expectation.
pub fn run_case(set: &PolicySet, c: &LocatedCase) -> Result<(), Vec<String>> {
    let old: Vec<Value> = match &c.case.old {
        Some(o) => documents_of(o)
            .into_iter()
            .filter_map(Result::ok)
            .map(|d| d.value)
            .collect(),
        None => Vec::new(),
    };
    let outcome = check_documents(
        set,
        None,
        documents_of(&c.case.input),
        &c.case.env,
        &old,
        &[],
    );
    let results: Vec<&DocResult> = outcome
        .results
        .iter()
        .filter(|r| c.policy.is_none() || r.policy.is_none() || r.policy == c.policy)
        .collect();
    let mut problems = Vec::new();
    if let Some(p) = &c.policy {
        if outcome.checked > 0 && !results.iter().any(|r| r.policy.as_ref() == Some(p)) {
            problems.push(format!("policy `{p}` did not apply to the input"));
        }
    }
    let verdict = results
        .iter()
        .map(|r| r.verdict)
        .max()
        .unwrap_or(Verdict::Pass);
    let findings: Vec<&Finding> = results.iter().flat_map(|r| &r.findings).collect();
    if verdict != c.case.expect.verdict {
        problems.push(format!(
            "verdict: expected {}, got {}",
            c.case.expect.verdict.as_str(),
            verdict.as_str()
        ));
    }
    if let Some(expected) = &c.case.expect.findings {
        let mut unmatched: Vec<&Finding> = findings.clone();
        for e in expected {
            match unmatched.iter().position(|f| finding_matches(e, f)) {
                Some(i) => {
                    unmatched.remove(i);
                }
                None => problems.push(format!("missing finding: {}", describe_expected(e))),
            }
        }
        for f in unmatched {
            problems.push(format!("unexpected finding: {}", describe(f)));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        if c.case.expect.findings.is_none() && !findings.is_empty() {
            problems.push(format!(
                "findings were: {}",
                findings
                    .iter()
                    .map(|f| describe(f))
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
        }
        Err(problems)
    }
}

fn finding_matches(e: &ExpectedFinding, f: &Finding) -> bool {
    e.rule == f.rule
        && e.path.as_ref().is_none_or(|p| *p == f.path)
        && e.severity.is_none_or(|s| s == f.severity)
        && e.message
            .as_ref()
            .is_none_or(|m| f.message.contains(m.as_str()))
        && e.line.is_none_or(|l| Some(l) == f.line)
        && e.column.is_none_or(|c| Some(c) == f.column)
}

fn describe(f: &Finding) -> String {
    let at = match (f.line, f.column) {
        (Some(l), Some(c)) => format!(" at {l}:{c}"),
        _ => String::new(),
    };
    format!(
        "{} {} `{}`{at}: {}",
        f.severity.as_str(),
        f.rule,
        f.path,
        f.message
    )
}

fn describe_expected(e: &ExpectedFinding) -> String {
    let mut s = format!("rule `{}`", e.rule);
    if let Some(p) = &e.path {
        s.push_str(&format!(" path `{p}`"));
    }
    if let Some(m) = &e.message {
        s.push_str(&format!(" message containing `{m}`"));
    }
    if let (Some(l), c) = (e.line, e.column) {
        s.push_str(&format!(
            " at line {l}{}",
            c.map(|c| format!(":{c}")).unwrap_or_default()
        ));
    }
    s
}
