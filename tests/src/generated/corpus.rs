//! Whole cases (a policy file, an input, an environment, previous
//! versions) and what native evaluation answers for them: the reference
//! every other host is held to. Cases are drawn with a fixed seed, so the
//! corpus the Python, JS and CLI tests read is the same on every run.

use super::documents::{self, Input};
use super::node::{self, Node, Style};
use super::policies;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngSeed, TestRunner};
use serde_json::{json, Value};

/// The environments cases are checked in (`""`: none given).
pub const ENVS: &[&str] = &["", "", "production", "staging"];

/// `n` values of `strategy` drawn from `seed`: the same on every run.
pub fn draw<S: Strategy>(strategy: &S, seed: u64, n: usize) -> Vec<S::Value> {
    let mut runner = TestRunner::new(Config {
        rng_seed: RngSeed::Fixed(seed),
        ..Config::default()
    });
    (0..n)
        .filter_map(|_| strategy.new_tree(&mut runner).ok().map(|t| t.current()))
        .collect()
}

/// Previous versions of `docs`: other documents under the same apiVersion,
/// kind, namespace and name, so that they pair up; some documents have
/// none.
pub fn old_versions(docs: &[Node]) -> BoxedStrategy<Vec<Node>> {
    let docs = docs.to_vec();
    let n = docs.len();
    (vec(documents::document(), n), vec(any::<bool>(), n))
        .prop_map(move |(others, keep)| {
            docs.iter()
                .zip(others)
                .zip(keep)
                .filter(|(_, keep)| *keep)
                .map(|((doc, other), _)| {
                    let mut other = other;
                    for key in ["apiVersion", "kind"] {
                        if let Some(v) = doc.get(key) {
                            other = policies::set(other, key, v.clone());
                        }
                    }
                    let meta = doc.get("metadata").cloned().unwrap_or(Node::Null);
                    policies::update(other, &["metadata"], &|m| {
                        let mut m = m;
                        for key in ["name", "namespace"] {
                            if let Some(v) = meta.get(key) {
                                m = policies::set(m, key, v.clone());
                            }
                        }
                        m
                    })
                })
                .collect()
        })
        .boxed()
}

#[derive(Clone, Debug)]
pub struct Case {
    /// The policy file's name and text.
    pub policy_file: &'static str,
    pub policy_text: String,
    pub input: Input,
    pub env: &'static str,
    /// Previous versions, as YAML text (always parses).
    pub old: Option<String>,
    /// The previous versions as documents.
    pub old_docs: Vec<Node>,
    /// The operation of the case's AdmissionReview (see [`Case::review`]).
    pub operation: &'static str,
}

/// A case: one or two policies (schemas only, one time in four; spoiled
/// now and then), an input of one to three documents, an environment, and
/// sometimes previous versions.
pub fn case() -> BoxedStrategy<Case> {
    (
        prop_oneof![
            3 => vec(policies::policy(), 1..3),
            1 => vec(policies::schema_only(), 1..3),
        ],
        prop::option::weighted(0.15, policies::spoil()),
        any::<bool>(),
        vec(any::<u8>(), 0..32),
        documents::input(),
        select(ENVS),
        prop::bool::weighted(0.3),
    )
        .prop_flat_map(
            |(policies, spoil, policy_json, style, input, env, with_old)| {
                let old = if with_old {
                    old_versions(&input.docs).prop_map(Some).boxed()
                } else {
                    Just(None).boxed()
                };
                let policy_file = if policy_json {
                    "policy.json"
                } else {
                    "policy.yaml"
                };
                let policy_text = policies::file(&policies, spoil.as_ref(), policy_json, &style);
                (
                    Just((policy_file, policy_text, input, env)),
                    old,
                    vec(any::<u8>(), 0..16),
                    select(&["CREATE", "UPDATE", "DELETE", "CONNECT"][..]),
                )
            },
        )
        .prop_map(
            |((policy_file, policy_text, input, env), old, style, operation)| Case {
                policy_file,
                policy_text,
                input,
                env,
                old: old
                    .as_ref()
                    .map(|docs| node::stream(docs, false, &mut Style::new(&style))),
                old_docs: old.unwrap_or_default(),
                operation,
            },
        )
        .boxed()
}

/// An AdmissionReview of `object` (with `old` as its previous version),
/// as the API server sends it.
pub fn admission_review(uid: &str, operation: &str, object: &Node, old: Option<&Node>) -> Node {
    let text = |key: &str| match object.get(key) {
        Some(Node::Str(s)) => s.clone(),
        _ => String::new(),
    };
    let (group, version) = match text("apiVersion").split_once('/') {
        Some((g, v)) => (g.to_owned(), v.to_owned()),
        None => (String::new(), text("apiVersion")),
    };
    let meta = |key: &str| match object.get("metadata").and_then(|m| m.get(key)) {
        Some(Node::Str(s)) => Node::Str(s.clone()),
        _ => Node::Str(String::new()),
    };
    let (object, old) = match operation {
        "DELETE" => (Node::Null, Some(object.clone())),
        _ => (object.clone(), old.cloned()),
    };
    Node::map([
        ("apiVersion", Node::str("admission.k8s.io/v1")),
        ("kind", Node::str("AdmissionReview")),
        (
            "request",
            Node::map([
                ("uid", Node::str(uid)),
                (
                    "kind",
                    Node::map([
                        ("group", Node::Str(group)),
                        ("version", Node::Str(version)),
                        ("kind", Node::Str(text("kind"))),
                    ]),
                ),
                ("name", meta("name")),
                ("namespace", meta("namespace")),
                ("operation", Node::str(operation)),
                (
                    "userInfo",
                    Node::map([
                        ("username", Node::str("dev@example.com")),
                        (
                            "groups",
                            Node::List(vec![Node::str("system:authenticated")]),
                        ),
                    ]),
                ),
                ("object", object),
                ("oldObject", old.unwrap_or(Node::Null)),
                ("dryRun", Node::Bool(false)),
            ]),
        ),
    ])
}

/// The name an AdmissionReview's text is reported under.
pub const REVIEW_FILE: &str = "review.json";

/// The name old text is reported under.
pub const OLD_FILE: &str = "old.yaml";

impl Case {
    /// The call-API request for the case's input as text.
    pub fn request(&self) -> Value {
        let mut r = json!({
            "call": "check",
            "input": self.input.text,
            "file": self.input.file,
            "env": self.env,
        });
        if let Some(old) = &self.old {
            r["old"] = json!(old);
            r["oldFile"] = json!(OLD_FILE);
        }
        r
    }

    /// The input as one document value, when it is one document of a
    /// YAML/JSON text without awkward parts. However deep: every host holds
    /// a value to the limits its text is parsed within.
    pub fn value(&self) -> Option<&Node> {
        match self.input.docs.as_slice() {
            [doc] if !self.input.awkward => Some(doc),
            _ => None,
        }
    }

    /// The call-API request for the input as a value (no positions).
    pub fn value_request(&self) -> Option<Value> {
        let doc = self.value()?;
        let mut r = json!({"call": "check", "input": doc.to_value(), "env": self.env});
        if let Some(old) = &self.old {
            r["old"] = json!(old);
            r["oldFile"] = json!(OLD_FILE);
        }
        Some(r)
    }

    /// The previous versions as a list of values, when there are some.
    pub fn old_values(&self) -> Option<Value> {
        if self.old_docs.is_empty() {
            return None;
        }
        Some(Value::Array(
            self.old_docs.iter().map(Node::to_value).collect(),
        ))
    }

    /// The request for the input text with the previous versions as values.
    pub fn old_values_request(&self) -> Option<Value> {
        let mut r = self.request();
        r["old"] = self.old_values()?;
        Some(r)
    }

    /// The AdmissionReview of the input's first document (when it is a
    /// mapping), as JSON text.
    pub fn review(&self) -> Option<String> {
        let doc = self
            .input
            .docs
            .first()
            .filter(|d| matches!(d, Node::Map(_)))?;
        if self.input.awkward {
            return None;
        }
        let old = self
            .old_docs
            .first()
            .filter(|o| o.get("kind") == doc.get("kind"));
        let review = admission_review("7c0a9f3e-review", self.operation, doc, old);
        Some(node::json(&review, true))
    }

    /// The call-API request for the review.
    pub fn review_request(&self) -> Option<Value> {
        Some(
            json!({"call": "review", "review": self.review()?, "file": REVIEW_FILE, "env": self.env}),
        )
    }

    pub fn files(&self) -> Vec<(String, String)> {
        vec![(self.policy_file.to_owned(), self.policy_text.clone())]
    }
}

/// What native evaluation answers: the error of loading the policies, or
/// the answer to each request.
pub fn native(files: &[(String, String)], requests: &[Value]) -> Vec<Value> {
    match assay_core::api::load(files) {
        Ok(set) => requests
            .iter()
            .map(|r| {
                let answer = assay_core::api::call(&set, r.to_string().as_bytes());
                serde_json::from_str(&answer).unwrap_or(Value::String(answer))
            })
            .collect(),
        Err(error) => {
            let error: Value = serde_json::from_str(&error).unwrap_or(Value::String(error));
            requests.iter().map(|_| error.clone()).collect()
        }
    }
}

/// The case as the Python, JS and CLI tests read it, with the native
/// answers they are compared with.
pub fn entry(name: &str, case: &Case) -> Value {
    // Each request with the key its answer goes under.
    let mut requests = vec![("expected", case.request())];
    if let Some(r) = case.value_request() {
        requests.push(("expectedValue", r));
    }
    if let Some(r) = case.old_values_request() {
        requests.push(("expectedOldValues", r));
    }
    if let Some(r) = case.review_request() {
        requests.push(("expectedReview", r));
    }
    let calls: Vec<Value> = requests.iter().map(|(_, r)| r.clone()).collect();
    let answers = native(&case.files(), &calls);
    let mut out = json!({
        "name": name,
        "policy": {"file": case.policy_file, "text": case.policy_text},
        "input": {"file": case.input.file, "text": case.input.text},
        "env": case.env,
        "old": case.old,
        "oldFile": OLD_FILE,
    });
    for ((key, _), answer) in requests.iter().zip(answers) {
        out[*key] = answer;
    }
    if let Some(doc) = case.value() {
        out["value"] = doc.to_value();
        out["valueExactInJs"] = json!(doc.exact_in_js());
    }
    if let Some(old) = case.old_values() {
        out["oldValues"] = old;
        out["oldValuesExactInJs"] = json!(case.old_docs.iter().all(Node::exact_in_js));
    }
    if let Some(review) = case.review() {
        out["review"] = json!({"file": REVIEW_FILE, "text": review});
    }
    out
}
