//! The JSON call/answer API every host mirrors: the compiled `.wasm` module,
//! the JS package and the host crate's `Evaluator` (the CLI's and Python's)
//! send a request and get an answer as JSON text, so they all decide through
//! this one function. [`Request`] and [`Answer`] are its typed form: a host
//! builds requests with them and reads a module's answers back into them.
//!
//! Request: `{"call": "check", "input": TEXT_OR_DOCUMENT, "file": NAME?,
//! "env": NAME?, "old": TEXT_OR_DOCUMENTS?, "oldFile": NAME?}`,
//! `{"call": "checkPatch", "base": {"file", "text"}, "patch": {"file",
//! "text"}, "patchType": "merge"|"json", "env"}`, `{"call": "decide",
//! "input": {"state", "metrics", "env"?}, "env"?, "policy"?}`, `{"call":
//! "review", "review": ADMISSION_REVIEW (text or object), "file"?, "env"?}`
//! or `{"call": "describe"}`. `check`, `checkPatch` and `review` take
//! `"limits": {NAME: VALUE, ...}` too (docs/limits.md, "Configuring
//! limits"): the call is checked within them (the others at their
//! defaults) rather than within the set's.
//! Answer: `{"report": REPORT}` (the CLI's `-o json`), `{"decision":
//! DECISION}` (`assay decide -o json`), `{"review": ADMISSION_RESPONSE,
//! "report": REPORT}`, `{"policies": [...]}`, or `{"error": {"message",
//! "hint"?, "file"?, "line"?, "column"?}}`.
//!
//! Hosts that hold policies as text compile them with [`load`]; its error
//! answer is located: `{"error": {"message", "hint"?, "file", "line",
//! "column", "rule"?, "errors": [POLICY_ERROR, ...]}}`.

pub mod cases;
mod describe;

use crate::check::patch::PatchType;
use crate::check::review::ReviewError;
use crate::check::{check_documents_with, check_patch_with, old_versions_with, FileOutcome};
use crate::diag::Pos;
use crate::eval::limits::Limits;
use crate::parse::{parse_input_with, parse_stream_with, Document, SyntaxError};
use crate::policy::{PolicyError, PolicyErrorKind};
use crate::report::{DocResult, Report};
use crate::rollout::{Decision, DecisionInput};
use crate::set::PolicySet;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub use describe::{describe, CostBound, EstimatedCost, PolicyInfo, RuleInfo, SecretRuleInfo};

/// One request of the call API, as hosts send it (JSON text) or build it
/// (typed, for [`answer`]). The serde attributes are the wire format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "call", rename_all = "camelCase", deny_unknown_fields)]
pub enum Request {
    #[serde(rename_all = "camelCase")]
    Check {
        /// YAML/JSON text (a stream of documents), or one document as a
        /// value; absent when the host passes the input as bytes
        /// ([`call_with_input`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        input: Option<Value>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        file: Option<String>,
        #[serde(default)]
        env: String,
        /// Previous versions: text, a list of documents, or one document;
        /// paired with the inputs by apiVersion/kind/namespace/name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        old: Option<Value>,
        /// The name that parse failures of `old` text are reported under.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        old_file: Option<String>,
        /// The limits to check within (docs/limits.md): those it names, the
        /// others at their defaults; absent, the set's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limits: Option<Limits>,
    },
    #[serde(rename_all = "camelCase")]
    CheckPatch {
        base: NamedText,
        patch: NamedText,
        #[serde(default)]
        patch_type: PatchType,
        #[serde(default)]
        env: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limits: Option<Limits>,
    },
    /// A rollout decision: `input` is the `{env?, state, metrics}` of docs/rollout.md,
    /// or that object as JSON text (what `assay decide` reads).
    Decide {
        input: Value,
        /// Wins over the input's `env`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        env: Option<String>,
        /// The rollout policy's name; needed when the set has several.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        policy: Option<String>,
    },
    /// An AdmissionReview v1 request: text or the object.
    Review {
        review: Value,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        file: Option<String>,
        #[serde(default)]
        env: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limits: Option<Limits>,
    },
    Describe,
}

/// A file's text and the name it is reported under.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedText {
    pub file: String,
    pub text: String,
}

/// The hint of an error answer to `decide`.
pub const DECIDE_HINT: &str = "see docs/rollout.md for the input";

/// The hint of an error answer to a request that is not one of the calls.
const REQUEST_HINT: &str = "see docs/module-abi.md for the calls";

/// An answer of the call API, written straight to JSON text (building a
/// `Value` tree of the report first cost an allocation per field), and
/// read back by hosts that get it as text from a module. Untagged: a
/// `review` answer also holds a `report`, so it is tried first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answer {
    Review { review: Value, report: Report },
    Report { report: Report },
    Decision { decision: Decision },
    Policies { policies: Vec<PolicyInfo> },
    Error { error: ErrorAnswer },
}

/// What an error answer says: its message (redacted), a hint, and where in
/// the request's input the problem is, when that is known. The fields are
/// in the order the answer has always listed them (alphabetical).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorAnswer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    pub message: String,
}

/// Answers one JSON request against `set`; never fails: problems with the
/// request come back as `{"error": ...}`.
pub fn call(set: &PolicySet, request: &[u8]) -> String {
    let answer = match read_request(request) {
        Ok(request) => answer(set, request),
        Err(e) => error(&format!("bad request: {e}"), REQUEST_HINT),
    };
    // Serializing derived types to a String cannot fail.
    serde_json::to_string(&answer).unwrap_or_default()
}

/// `call` for a check whose input is bytes, as a file holds them, instead
/// of the request's `input`: a document that is not UTF-8 is a parse
/// failure at its line and column and the others are still checked, as the
/// CLI reports a file.
pub fn call_with_input(set: &PolicySet, request: &[u8], input: &[u8]) -> String {
    let answer = match read_request(request) {
        Ok(Request::Check {
            input: None,
            file,
            env,
            old,
            old_file,
            limits,
        }) => {
            let limits = limits.unwrap_or(set.limits);
            check(
                set,
                parse_input_with(file.as_deref(), input, limits.parse()),
                file,
                &env,
                (old, old_file),
                &limits,
            )
        }
        Ok(_) => error(
            "bad request: only a check without `input` takes its input as bytes",
            REQUEST_HINT,
        ),
        Err(e) => error(&format!("bad request: {e}"), REQUEST_HINT),
    };
    serde_json::to_string(&answer).unwrap_or_default()
}

/// Levels a request may nest: a document as deep as the `depth` ceiling,
/// in the request's own few levels. serde_json's default of 128 would refuse
/// a value that the `depth` limit allows as text.
const REQUEST_DEPTH: usize = crate::parse::MAX_DEPTH_CEILING + 8;

/// The request, read without serde_json's recursion limit once a scan has
/// shown it nests no deeper than [`REQUEST_DEPTH`] (reading recurses once
/// per level).
fn read_request(request: &[u8]) -> Result<Request, String> {
    if json_depth(request) > REQUEST_DEPTH {
        return Err(format!(
            "the request nests deeper than {REQUEST_DEPTH} levels; a document may nest at most {} (limit `depth`)",
            crate::parse::MAX_DEPTH_CEILING
        ));
    }
    let mut reader = serde_json::Deserializer::from_slice(request);
    reader.disable_recursion_limit();
    let read = Request::deserialize(&mut reader).and_then(|r| reader.end().map(|()| r));
    read.map_err(|e| e.to_string())
}

/// The deepest nesting of `[` and `{` in JSON text, outside strings. Text
/// that is not JSON gets some number; the reader then says what is wrong.
fn json_depth(text: &[u8]) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for &b in text {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// Compiles policy files given as (name, text), for hosts that hold no
/// files; finding no policy at all is an error too, as in the CLI. The
/// error is the answer's JSON text (see [`policy_errors`]).
pub fn load(files: &[(String, String)]) -> Result<PolicySet, String> {
    let set = PolicySet::load(files).map_err(|errors| policy_errors(&errors).to_string())?;
    if set.policies.is_empty() && set.rollouts.is_empty() {
        let file = files.first().map(|(name, _)| name.as_str()).unwrap_or("");
        let none = PolicyError::at(
            PolicyErrorKind::Shape,
            file,
            Pos { line: 1, column: 1 },
            "no policies found",
        )
        .with_hint("a policy has `apiVersion: assay.dev/v1`");
        return Err(policy_errors(&[none]).to_string());
    }
    Ok(set)
}

/// The error answer for policy errors: every error in `errors`, the first
/// one's location, rule and hint on top, and a message of one
/// `file:line:col: message (hint: …)` line per error, as the CLI prints them.
pub fn policy_errors(errors: &[PolicyError]) -> Value {
    let mut error = json!({ "message": PolicyError::printed_lines(errors) });
    if let Some(first) = errors.first() {
        error["file"] = json!(first.file);
        error["line"] = json!(first.line);
        error["column"] = json!(first.column);
        if let Some(rule) = &first.rule {
            error["rule"] = json!(rule);
        }
        if let Some(hint) = &first.hint {
            error["hint"] = json!(hint);
        }
    }
    error["errors"] = json!(errors);
    json!({ "error": error })
}

/// Answers one typed request against `set`, as [`call`] answers its JSON
/// text; never fails: problems come back as [`Answer::Error`].
pub fn answer(set: &PolicySet, request: Request) -> Answer {
    match request {
        Request::Check {
            input,
            file,
            env,
            old,
            old_file,
            limits,
        } => match (input, limits.unwrap_or(set.limits)) {
            (Some(input), limits) => match &input {
                Value::String(text) => {
                    let docs = parse_input_with(file.as_deref(), text.as_bytes(), limits.parse());
                    check(set, docs, file, &env, (old, old_file), &limits)
                }
                other => {
                    let docs = documents_with(other, &limits);
                    check(set, docs, file, &env, (old, old_file), &limits)
                }
            },
            (None, _) => error(
                "bad request: a check needs `input`",
                "give the document text or value as `input`",
            ),
        },
        Request::CheckPatch {
            base,
            patch,
            patch_type,
            env,
            limits,
        } => {
            let limits = limits.unwrap_or(set.limits);
            let outcome = check_patch_with(
                set,
                (&base.file, &base.text),
                (&patch.file, &patch.text),
                patch_type,
                &env,
                &limits,
            );
            Answer::Report {
                report: Report::new(outcome.documents, outcome.checked, outcome.results),
            }
        }
        Request::Decide { input, env, policy } => {
            let decided = set
                .rollout(policy.as_deref())
                .map_err(|e| e.to_string())
                .and_then(|p| {
                    match input {
                        Value::String(text) => DecisionInput::from_json(&text),
                        other => DecisionInput::from_value(other),
                    }
                    .and_then(|input| p.decide(&input, env.as_deref()))
                    .map_err(|e| e.to_string())
                });
            match decided {
                Ok(decision) => Answer::Decision { decision },
                Err(message) => error(&message, DECIDE_HINT),
            }
        }
        Request::Review {
            review,
            file,
            env,
            limits,
        } => {
            let limits = limits.unwrap_or(set.limits);
            let file = file.as_deref();
            let reviewed = match documents_with(&review, &limits).into_iter().next() {
                Some(Ok(doc)) => crate::check::review::review(set, doc, file, &env, &limits),
                Some(Err(e)) => Err(ReviewError {
                    message: format!("does not parse: {}", e.message),
                    at: Some(Pos {
                        line: e.line,
                        column: e.column,
                    }),
                }),
                None => Err(ReviewError {
                    message: "holds no document".to_owned(),
                    at: None,
                }),
            };
            match reviewed {
                Ok((review, report)) => Answer::Review { review, report },
                Err(e) => error_at(&e.message, ReviewError::HINT, file, e.at),
            }
        }
        Request::Describe => Answer::Policies {
            policies: describe(set),
        },
    }
}

/// An error answer; serde's messages quote the values they reject, so the
/// message is redacted like a finding's.
fn error(message: &str, hint: &str) -> Answer {
    error_at(message, hint, None, None)
}

/// An error answer located in the request's input, when that is known.
fn error_at(message: &str, hint: &str, file: Option<&str>, at: Option<Pos>) -> Answer {
    Answer::Error {
        error: ErrorAnswer {
            file: file.map(str::to_owned),
            line: at.map(|at| at.line),
            column: at.map(|at| at.column),
            ..ErrorAnswer::redacted(message, hint)
        },
    }
}

impl ErrorAnswer {
    /// An error with a hint. Errors quote what they reject (a field name,
    /// a value), so the message is redacted like a finding's.
    pub fn redacted(message: &str, hint: &str) -> ErrorAnswer {
        ErrorAnswer {
            message: crate::redact::redact_text(message),
            hint: Some(hint.to_owned()),
            ..ErrorAnswer::default()
        }
    }
}

/// The report of checking `docs` against the previous versions `old`
/// (reported under their file name, if any).
fn check(
    set: &PolicySet,
    docs: impl IntoIterator<Item = Result<Document, SyntaxError>>,
    file: Option<String>,
    env: &str,
    (old, old_file): (Option<Value>, Option<String>),
    limits: &Limits,
) -> Answer {
    let old_file = old_file.as_deref().unwrap_or(OLD_FILE);
    let outcome = check_with_old_within(set, docs, file.as_deref(), env, old, old_file, limits);
    Answer::Report {
        report: Report::new(outcome.documents, outcome.checked, outcome.results),
    }
}

/// Checks `docs` against the previous versions a call's `old` holds; the
/// parse failures of `old` come first, under `old_file`, as the CLI lists
/// its `--old` file's.
pub fn check_with_old(
    set: &PolicySet,
    docs: impl IntoIterator<Item = Result<Document, SyntaxError>>,
    file: Option<&str>,
    env: &str,
    old: Option<Value>,
    old_file: &str,
) -> FileOutcome {
    check_with_old_within(set, docs, file, env, old, old_file, &set.limits)
}

/// `check_with_old` within `limits` rather than the set's.
pub fn check_with_old_within(
    set: &PolicySet,
    docs: impl IntoIterator<Item = Result<Document, SyntaxError>>,
    file: Option<&str>,
    env: &str,
    old: Option<Value>,
    old_file: &str,
    limits: &Limits,
) -> FileOutcome {
    let (old, failures) = old_documents_with(old, old_file, limits);
    let mut outcome = FileOutcome {
        results: failures,
        ..FileOutcome::default()
    };
    outcome.append(check_documents_with(
        set,
        file,
        docs,
        env,
        &old,
        &[],
        limits,
    ));
    outcome
}

/// What parse failures of `old` text are reported under when the host
/// gives no name for it.
pub const OLD_FILE: &str = "<old>";

/// The previous versions a call's `old` holds (YAML/JSON text, a list of
/// documents, or one document), and a parse failure, reported under `file`,
/// for each document of the text that does not parse: the CLI reports its
/// `--old` file's failures the same way (`check::old_versions`).
pub fn old_documents(old: Option<Value>, file: &str) -> (Vec<Value>, Vec<DocResult>) {
    old_documents_with(old, file, &Limits::DEFAULT)
}

/// `old_documents`, text parsed within `limits`.
pub fn old_documents_with(
    old: Option<Value>,
    file: &str,
    limits: &Limits,
) -> (Vec<Value>, Vec<DocResult>) {
    match old {
        // A list of documents, as hosts that parsed them pass them.
        Some(Value::Array(documents)) => (documents, Vec::new()),
        Some(Value::String(text)) => old_versions_with(file, text.as_bytes(), limits),
        Some(document) => (vec![document], Vec::new()),
        None => (Vec::new(), Vec::new()),
    }
}

/// Text is a stream of documents; any other value is one document.
pub fn documents_of(input: &Value) -> Vec<Result<Document, SyntaxError>> {
    documents_with(input, &Limits::DEFAULT)
}

/// `documents_of`, text parsed within `limits`.
pub fn documents_with(input: &Value, limits: &Limits) -> Vec<Result<Document, SyntaxError>> {
    match input {
        Value::String(text) => parse_stream_with(text, limits.parse()),
        other => vec![Document::within(0, other.clone(), limits.parse())],
    }
}

#[cfg(test)]
mod tests;
