//! Policy test cases as data: YAML files of inputs and expected outcomes,
//! run by `assay test` and by the workspace's test suite, one test per case.
//! A case has an `input` document (validation: expected verdict and
//! findings), a `rollout` input (state + metrics: expected decision) or a
//! `review` (an AdmissionReview: expected `allowed`, verdict and findings).
//! A validation or review case may set `limits` (docs/limits.md), over the
//! run's.

use super::{check_with_old_within, documents_with, OLD_FILE};
use crate::diag::Severity;
use crate::diag::{Finding, Verdict};
use crate::eval::limits::Limits;
use crate::parse::parse_stream;
use crate::policy::{typed, PolicyError, PolicyErrorKind};
use crate::report::DocResult;
use crate::rollout::{Action, DecisionInput, Outcome};
use crate::set::PolicySet;
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
    #[serde(default)]
    pub input: Option<Value>,
    #[serde(default)]
    pub old: Option<Value>,
    /// A rollout decision's input (`state`, `metrics`, optional `env`), as
    /// `assay decide` reads it; the case's `env` wins, like `--env`.
    #[serde(default)]
    pub rollout: Option<Value>,
    /// An AdmissionReview request, as `assay review` reads it.
    #[serde(default)]
    pub review: Option<Value>,
    /// Limits for this case, over the run's (`{documents: 2, cel-cost: 100}`).
    #[serde(default)]
    pub limits: Option<serde_json::Map<String, Value>>,
    pub expect: Expect,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Expect {
    #[serde(default)]
    pub verdict: Option<Verdict>,
    /// A review's answer: whether the API server is told to admit the object.
    #[serde(default)]
    pub allowed: Option<bool>,
    /// When given, the findings must be exactly these, in any order.
    #[serde(default)]
    pub findings: Option<Vec<ExpectedFinding>>,
    #[serde(default)]
    pub decision: Option<Action>,
    #[serde(default)]
    pub weight: Option<f64>,
    #[serde(default)]
    pub failed_checks: Option<u64>,
    /// Check name → result; the checks not named are not compared, and `{}`
    /// means that no check was judged (too few samples).
    #[serde(default)]
    pub checks: Option<std::collections::BTreeMap<String, Outcome>>,
    /// A substring of the decision's reason.
    #[serde(default)]
    pub reason: Option<String>,
    /// The rollout input or the review is rejected with a message containing this.
    #[serde(default)]
    pub error: Option<String>,
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
                PolicyErrorKind::Syntax,
                file,
                e.pos(),
                format!("invalid YAML: {}", e.message),
            ))
        }
        None => return Ok(Vec::new()),
    };
    let parsed: CaseFile = typed(file, &doc, "", &doc.value)?;
    for (i, case) in parsed.cases.iter().enumerate() {
        if let Some(Err(e)) = case.limits.as_ref().map(|l| Limits::DEFAULT.with_object(l)) {
            let pos = doc
                .map
                .locate(&format!("/cases/{i}/limits"))
                .unwrap_or_default();
            let message = format!("case `{}`: {e}", case.name);
            return Err(PolicyError::at(PolicyErrorKind::Case, file, pos, message)
                .with_hint("see docs/limits.md for the limits and their values"));
        }
        if let Some(problem) = shape_problem(case) {
            let pos = doc.map.locate(&format!("/cases/{i}")).unwrap_or_default();
            return Err(
                PolicyError::at(PolicyErrorKind::Case, file, pos, format!("case `{}`: {problem}", case.name)).with_hint(
                    "a case has `input` and `expect.verdict`, `rollout` and `expect.decision`, or `review` and `expect.allowed`",
                ),
            );
        }
    }
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

/// What is wrong with the shape of a case, if anything.
fn shape_problem(case: &Case) -> Option<&'static str> {
    let e = &case.expect;
    let rollout_expected = e.decision.is_some()
        || e.weight.is_some()
        || e.failed_checks.is_some()
        || e.checks.is_some()
        || e.reason.is_some();
    let inputs = [&case.input, &case.rollout, &case.review]
        .iter()
        .filter(|i| i.is_some())
        .count();
    if inputs != 1 {
        return Some("needs exactly one of `input`, `rollout` and `review`");
    }
    if case.limits.is_some() && case.rollout.is_some() {
        return Some("`limits` applies to validation and review cases");
    }
    if case.old.is_some() && case.input.is_none() {
        return Some("`old` applies to validation inputs only (a review has `oldObject`)");
    }
    if case.review.is_none() && e.allowed.is_some() {
        return Some("expects `allowed` but has no `review`");
    }
    if case.rollout.is_none() && rollout_expected {
        return Some("expects a rollout decision but has no `rollout` input");
    }
    if case.input.is_some() {
        if e.verdict.is_none() {
            return Some("`expect.verdict` is missing");
        }
        if e.error.is_some() {
            return Some("`expect.error` applies to rollout and review cases");
        }
    }
    if case.rollout.is_some() {
        if e.verdict.is_some() || e.findings.is_some() {
            return Some("expects a verdict but has a `rollout` input");
        }
        if e.decision.is_none() && e.error.is_none() {
            return Some("`expect.decision` (or `expect.error`) is missing");
        }
    }
    if case.review.is_some() && e.allowed.is_none() && e.error.is_none() {
        return Some("`expect.allowed` (or `expect.error`) is missing");
    }
    None
}

/// The call-API request (`crate::api`) a case stands for, so every host can
/// be checked against native evaluation on the same cases.
pub fn request_of(c: &LocatedCase) -> Value {
    let env = &c.case.env;
    let mut request = match (&c.case.input, &c.case.rollout, &c.case.review) {
        (Some(input), _, _) => {
            serde_json::json!({"call": "check", "input": input, "env": env, "old": c.case.old})
        }
        (None, None, Some(review)) => {
            serde_json::json!({"call": "review", "review": review, "env": env})
        }
        (None, rollout, _) => serde_json::json!({"call": "decide", "input": rollout,
            "env": Some(env).filter(|e| !e.is_empty()), "policy": c.policy}),
    };
    if let Some(limits) = &c.case.limits {
        request["limits"] = Value::Object(limits.clone());
    }
    request
}

/// Runs one case; `Err` lists every way the outcome differs from the
/// expectation. A case may quote a secret (the message a finding should
/// have, a value): the list is redacted like findings.
pub fn run_case(set: &PolicySet, c: &LocatedCase) -> Result<(), Vec<String>> {
    run_case_within(set, c, &set.limits)
}

/// `run_case` with the run's `limits` (`assay test --limit`) rather than
/// the set's; the case's own `limits` override them.
pub fn run_case_within(
    set: &PolicySet,
    c: &LocatedCase,
    limits: &Limits,
) -> Result<(), Vec<String>> {
    let limits = match &c.case.limits {
        Some(own) => limits.with_object(own).map_err(|e| vec![e.to_string()])?,
        None => *limits,
    };
    outcome_of_case(set, c, &limits).map_err(|mut problems| {
        redact_problems(c, &mut problems);
        problems
    })
}

/// A failing case's problems may quote a secret of its input (the message a
/// finding should have had): they are redacted of token-shaped values and
/// of what each of the case's documents holds that a finding's message
/// would not show (`redact::redact_findings`).
fn redact_problems(c: &LocatedCase, problems: &mut [String]) {
    let none = crate::redact::Withheld::default();
    let mut docs = vec![Value::Null];
    let case = &c.case;
    for v in [&case.input, &case.old, &case.rollout, &case.review] {
        match v {
            Some(Value::String(text)) => {
                let parsed = parse_stream(text).into_iter().filter_map(Result::ok);
                docs.extend(parsed.map(|d| d.value));
            }
            Some(Value::Array(items)) => docs.extend(items.iter().cloned()),
            Some(other) => docs.push(other.clone()),
            None => {}
        }
    }
    // A review's objects, and a List's items, are documents of their own
    // (a Secret is known by its `kind`).
    for i in 0..docs.len() {
        let doc = &docs[i];
        let mut inner: Vec<Value> = ["/request/object", "/request/oldObject"]
            .iter()
            .filter_map(|p| doc.pointer(p).cloned())
            .collect();
        if let Some(Value::Array(items)) = doc.get("items") {
            inner.extend(items.iter().cloned());
        }
        docs.extend(inner);
    }
    for doc in &docs {
        crate::redact::redact_messages(problems.iter_mut(), doc, None, &none);
    }
}

fn outcome_of_case(set: &PolicySet, c: &LocatedCase, limits: &Limits) -> Result<(), Vec<String>> {
    // A misspelt name filtered every result away, and an expected pass passed.
    if let Some(p) = &c.policy {
        let loaded = set.policies.iter().map(|x| &x.name);
        if !loaded
            .chain(set.rollouts.iter().map(|x| &x.name))
            .any(|n| n == p)
        {
            return Err(vec![format!("no policy named `{p}` is loaded")]);
        }
    }
    match (&c.case.input, &c.case.rollout, &c.case.review) {
        (Some(input), _, _) => {
            let old = c.case.old.clone();
            let docs = documents_with(input, limits);
            let env = &c.case.env;
            let outcome = check_with_old_within(set, docs, None, env, old, OLD_FILE, limits);
            compare_results(c, &outcome.results)
        }
        (None, Some(rollout), _) => run_rollout_case(set, c, rollout),
        (None, None, Some(review)) => run_review_case(set, c, review, limits),
        (None, None, None) => Err(vec![
            "the case has no `input`, `rollout` or `review`".to_owned()
        ]),
    }
}

fn run_review_case(
    set: &PolicySet,
    c: &LocatedCase,
    review: &Value,
    limits: &Limits,
) -> Result<(), Vec<String>> {
    let e = &c.case.expect;
    let reviewed = match documents_with(review, limits).into_iter().next() {
        Some(Ok(doc)) => crate::check::review::review(set, doc, None, &c.case.env, limits)
            .map_err(|e| e.to_string()),
        Some(Err(e)) => Err(format!(
            "{}:{}: does not parse: {}",
            e.line, e.column, e.message
        )),
        None => Err("holds no document".to_owned()),
    };
    let (response, report) = match (reviewed, &e.error) {
        (Err(err), Some(want)) if err.contains(want.as_str()) => return Ok(()),
        (Err(err), _) => return Err(vec![format!("review error: {err}")]),
        (Ok(_), Some(want)) => {
            return Err(vec![format!("expected a review error containing `{want}`")])
        }
        (Ok(reviewed), None) => reviewed,
    };
    let mut problems = compare_results(c, &report.results)
        .err()
        .unwrap_or_default();
    let allowed = response
        .pointer("/response/allowed")
        .and_then(Value::as_bool);
    if e.allowed.is_some() && allowed != e.allowed {
        problems.push(format!(
            "allowed: expected {:?}, got {allowed:?}; response was {response}",
            e.allowed
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

fn run_rollout_case(set: &PolicySet, c: &LocatedCase, rollout: &Value) -> Result<(), Vec<String>> {
    let policy = set
        .rollout(c.policy.as_deref())
        .map_err(|e| vec![e.to_string()])?;
    let e = &c.case.expect;
    let env = Some(c.case.env.as_str()).filter(|e| !e.is_empty());
    let decided =
        DecisionInput::from_value(rollout.clone()).and_then(|input| policy.decide(&input, env));
    let d = match (decided, &e.error) {
        (Err(err), Some(want)) if err.0.contains(want.as_str()) => return Ok(()),
        (Err(err), _) => return Err(vec![format!("input error: {err}")]),
        (Ok(d), Some(want)) => {
            return Err(vec![format!(
                "expected an input error containing `{want}`, got decision {}",
                d.decision.as_str()
            )])
        }
        (Ok(d), None) => d,
    };
    let mut problems = Vec::new();
    if let Some(want) = e.decision {
        if want != d.decision {
            problems.push(format!(
                "decision: expected {}, got {}",
                want.as_str(),
                d.decision.as_str()
            ));
        }
    }
    if let Some(want) = e.weight {
        if want != d.weight {
            problems.push(format!("weight: expected {want}, got {}", d.weight));
        }
    }
    if let Some(want) = e.failed_checks {
        if want != d.state.failed_checks {
            problems.push(format!(
                "failedChecks: expected {want}, got {}",
                d.state.failed_checks
            ));
        }
    }
    if let Some(want) = &e.reason {
        if !d.reason.contains(want.as_str()) {
            problems.push(format!("reason: expected to contain `{want}`"));
        }
    }
    if e.checks.as_ref().is_some_and(|c| c.is_empty()) && !d.checks.is_empty() {
        problems.push(format!(
            "checks: expected none judged, got {}",
            d.checks.len()
        ));
    }
    for (name, want) in e.checks.iter().flatten() {
        match d.checks.iter().find(|r| &r.name == name) {
            Some(r) if r.result == *want => {}
            Some(r) => problems.push(format!(
                "check `{name}`: expected {}, got {} ({})",
                want.as_str(),
                r.result.as_str(),
                r.message
            )),
            None => problems.push(format!(
                "check `{name}`: expected {}, but it was not judged",
                want.as_str()
            )),
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        problems.push(format!("reason was: {}", d.reason));
        Err(problems)
    }
}

/// Compares a validation's or a review's results with the expected verdict and findings.
fn compare_results(c: &LocatedCase, results: &[DocResult]) -> Result<(), Vec<String>> {
    let results: Vec<&DocResult> = results
        .iter()
        .filter(|r| c.policy.is_none() || r.policy.is_none() || r.policy == c.policy)
        .collect();
    let mut problems = Vec::new();
    if let Some(p) = &c.policy {
        // A clean pass may mean "not applied" (that is how a case says a
        // document is out of a policy's scope); anything else needs the policy.
        // Policies without `match` (secret-hygiene) apply to every document,
        // so whether another policy checked it tells nothing.
        let expects_findings = c.case.expect.verdict.is_some_and(|v| v != Verdict::Pass)
            || c.case
                .expect
                .findings
                .as_ref()
                .is_some_and(|f| !f.is_empty());
        if expects_findings && !results.iter().any(|r| r.policy.as_ref() == Some(p)) {
            problems.push(format!("policy `{p}` did not apply to the input"));
        }
    }
    let verdict = results
        .iter()
        .map(|r| r.verdict)
        .max()
        .unwrap_or(Verdict::Pass);
    let findings: Vec<&Finding> = results.iter().flat_map(|r| &r.findings).collect();
    if let Some(want) = c.case.expect.verdict {
        if verdict != want {
            problems.push(format!(
                "verdict: expected {}, got {}",
                want.as_str(),
                verdict.as_str()
            ));
        }
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
