//! AdmissionReview: a Kubernetes validating webhook's request in, its
//! response out (`assay review`, the call API's `review`, Python's and JS's
//! `review`). The request's `object` is checked like any document, with
//! `oldObject` as the previous version and the rest of the request as the
//! CEL variable `request`. Any error finding denies; warnings become the
//! response's `warnings`, which `kubectl` prints.

use crate::check::{check_one, FileOutcome};
use crate::diag::Pos;
use crate::diag::Severity;
use crate::eval::limits::Limits;
use crate::eval::EvalInput;
use crate::parse::{Document, SourceMap};
use crate::report::{DocResult, Report};
use crate::set::PolicySet;
use serde::Serialize;
use serde_json::Value;
use std::fmt;

/// The API versions a webhook may be sent; the response echoes the request's.
const API_VERSIONS: [&str; 2] = ["admission.k8s.io/v1", "admission.k8s.io/v1beta1"];

/// Kubernetes rejects warnings longer than this.
const MAX_WARNING_BYTES: usize = 256;

const HINT: &str = "send an AdmissionReview v1 as the API server does: {\"apiVersion\": \"admission.k8s.io/v1\", \"kind\": \"AdmissionReview\", \"request\": {\"uid\", \"object\", ...}}";

/// An AdmissionReview that cannot be answered, located when it came as text.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewError {
    pub message: String,
    pub at: Option<Pos>,
}

impl ReviewError {
    pub const HINT: &'static str = HINT;
}

impl fmt::Display for ReviewError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.at {
            Some(p) => write!(f, "{}:{}: {}", p.line, p.column, self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// The parts of an AdmissionReview request that a review needs.
#[derive(Debug)]
pub struct Admission {
    api_version: String,
    uid: String,
    /// `None` for DELETE and CONNECT, which carry no new object.
    object: Option<Document>,
    old_object: Option<Value>,
    /// The request without `object` and `oldObject` (they have their own variables).
    request: Value,
}

impl Admission {
    /// Reads an AdmissionReview document; problems are located in `doc`'s source.
    pub fn read(doc: Document) -> Result<Admission, ReviewError> {
        let map = doc.map;
        let fail = |pointer: &str, message: String| ReviewError {
            message,
            at: map.locate(pointer),
        };
        let Value::Object(mut review) = doc.value else {
            return Err(fail("", "an AdmissionReview is a JSON object".to_owned()));
        };
        let api_version = match review.get("apiVersion").and_then(Value::as_str) {
            Some(v) if API_VERSIONS.contains(&v) => v.to_owned(),
            Some(v) => {
                return Err(fail(
                    "/apiVersion",
                    format!("`apiVersion` is `{v}`, expected admission.k8s.io/v1"),
                ))
            }
            None => return Err(fail("", "`apiVersion` is missing".to_owned())),
        };
        if review.get("kind").and_then(Value::as_str) != Some("AdmissionReview") {
            return Err(fail("/kind", "`kind` must be AdmissionReview".to_owned()));
        }
        let mut request = match review.remove("request") {
            Some(Value::Object(r)) => r,
            Some(_) => return Err(fail("/request", "`request` must be an object".to_owned())),
            None => {
                return Err(fail(
                    "",
                    "`request` is missing (is this a response?)".to_owned(),
                ))
            }
        };
        let uid = match request.get("uid").and_then(Value::as_str) {
            Some(uid) if !uid.is_empty() => uid.to_owned(),
            _ => {
                return Err(fail(
                    "/request",
                    "`request.uid` is missing or empty; the response must echo it".to_owned(),
                ))
            }
        };
        let mut take = |key: &str| -> Result<Option<Value>, ReviewError> {
            match request.remove(key) {
                None | Some(Value::Null) => Ok(None),
                Some(o @ Value::Object(_)) => Ok(Some(o)),
                Some(_) => Err(fail(
                    &format!("/request/{key}"),
                    format!("`request.{key}` must be an object or null"),
                )),
            }
        };
        let object = take("object")?.map(|value| Document {
            index: 0,
            value,
            map: SourceMap::default(),
        });
        let old_object = take("oldObject")?;
        Ok(Admission {
            api_version,
            uid,
            object,
            old_object,
            request: Value::Object(request),
        })
    }

    /// Checks the request's object against every applicable policy, its
    /// rules within `limits.cel_cost`.
    pub fn check(
        &self,
        set: &PolicySet,
        file: Option<&str>,
        env: &str,
        limits: &Limits,
    ) -> FileOutcome {
        let mut out = FileOutcome::default();
        let Some(doc) = &self.object else {
            return out;
        };
        out.documents = 1;
        let input = EvalInput {
            env,
            old: self.old_object.as_ref(),
            request: Some(&self.request),
            cel_cost: limits.cel_cost,
            parse: limits.parse(),
        };
        check_one(set, file, doc, &input, &[], &mut out);
        out
    }

    /// The AdmissionReview response to the results of checking this request.
    pub fn response(&self, results: &[DocResult]) -> Value {
        let described = |severity: Severity| {
            results.iter().flat_map(move |r| {
                r.findings
                    .iter()
                    .filter(move |f| f.severity == severity)
                    .map(move |f| {
                        let policy = r.policy.as_deref().unwrap_or("assay");
                        let at = if f.path.is_empty() {
                            String::new()
                        } else {
                            format!(" at {}", f.path)
                        };
                        format!("{policy}/{}{at}: {}", f.rule, f.message)
                    })
            })
        };
        let errors: Vec<String> = described(Severity::Error).collect();
        let warnings: Vec<String> = described(Severity::Warning)
            .map(|w| truncate(w, MAX_WARNING_BYTES))
            .collect();
        let allowed = errors.is_empty();
        let review = AdmissionReviewOut {
            api_version: &self.api_version,
            kind: "AdmissionReview",
            response: AdmissionResponse {
                uid: &self.uid,
                allowed,
                status: (!allowed).then(|| Status {
                    status: "Failure",
                    code: 403,
                    reason: "Forbidden",
                    message: format!("denied by assay: {}", errors.join("; ")),
                }),
                warnings,
            },
        };
        serde_json::to_value(review).unwrap_or(Value::Null)
    }
}

/// The AdmissionReview sent back to the API server.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AdmissionReviewOut<'a> {
    api_version: &'a str,
    kind: &'static str,
    response: AdmissionResponse<'a>,
}

#[derive(Serialize)]
struct AdmissionResponse<'a> {
    uid: &'a str,
    allowed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<Status>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<String>,
}

/// A denial's `metav1.Status`.
#[derive(Serialize)]
struct Status {
    status: &'static str,
    code: u16,
    reason: &'static str,
    message: String,
}

/// Reviews one AdmissionReview: the response, and the report it was made from.
pub fn review(
    set: &PolicySet,
    doc: Document,
    file: Option<&str>,
    env: &str,
    limits: &Limits,
) -> Result<(Value, Report), ReviewError> {
    let admission = Admission::read(doc)?;
    let outcome = admission.check(set, file, env, limits);
    let response = admission.response(&outcome.results);
    Ok((
        response,
        Report::new(outcome.documents, outcome.checked, outcome.results),
    ))
}

/// At most `max` bytes, cut at a character boundary, with `…` when cut.
fn truncate(mut s: String, max: usize) -> String {
    if s.len() <= max {
        return s;
    }
    let mut end = max - '…'.len_utf8();
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    s.push('…');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_stream;

    fn set() -> PolicySet {
        let policy = "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {name: p}\nspec:\n  match: {kinds: [ConfigMap]}\n  rules:\n    - {name: small, expr: 'int(object.data.n) < 10', path: /data/n}\n    - {name: no-grow, expr: 'oldObject == null || int(object.data.n) <= int(oldObject.data.n)', severity: warning}\n    - {name: not-by-bots, expr: 'request.userInfo.username != \"bot\"'}\n";
        match PolicySet::load(&[("p.yaml".to_owned(), policy.to_owned())]) {
            Ok(s) => s,
            Err(e) => unreachable!("{e:?}"),
        }
    }

    fn review_text(text: &str) -> Result<Value, ReviewError> {
        let doc = match parse_stream(text).into_iter().next() {
            Some(Ok(d)) => d,
            other => unreachable!("{other:?}"),
        };
        review(&set(), doc, None, "", &Limits::DEFAULT).map(|(response, _)| response)
    }

    fn request(operation: &str, n: &str, old: Option<&str>, user: &str) -> String {
        let object = |n: &str| {
            format!(
                r#"{{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {{"name": "c"}}, "data": {{"n": "{n}"}}}}"#
            )
        };
        let old = old.map_or("null".to_owned(), object);
        let new = if operation == "DELETE" {
            "null".to_owned()
        } else {
            object(n)
        };
        format!(
            r#"{{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
  "request": {{"uid": "705ab4f5-6393-11e8-b7cc-42010a800002", "operation": "{operation}",
    "userInfo": {{"username": "{user}"}}, "object": {new}, "oldObject": {old}}}}}"#
        )
    }

    #[test]
    fn a_passing_object_is_allowed_with_the_uid_echoed() {
        let r = review_text(&request("CREATE", "3", None, "alice")).unwrap_or_default();
        assert_eq!(r["apiVersion"], "admission.k8s.io/v1");
        assert_eq!(r["kind"], "AdmissionReview");
        assert_eq!(r["response"]["uid"], "705ab4f5-6393-11e8-b7cc-42010a800002");
        assert_eq!(r["response"]["allowed"], true);
        assert!(r["response"].get("status").is_none(), "{r}");
        assert!(r["response"].get("warnings").is_none(), "{r}");
    }

    #[test]
    fn an_error_finding_denies_with_a_403_naming_the_rule() {
        let r = review_text(&request("CREATE", "12", None, "alice")).unwrap_or_default();
        assert_eq!(r["response"]["allowed"], false);
        assert_eq!(r["response"]["status"]["code"], 403);
        let message = r["response"]["status"]["message"].as_str().unwrap_or("");
        assert!(message.contains("p/small at /data/n"), "{message}");
    }

    #[test]
    fn old_object_and_request_reach_the_rules() {
        let r = review_text(&request("UPDATE", "5", Some("4"), "alice")).unwrap_or_default();
        assert_eq!(r["response"]["allowed"], true);
        let warnings = r["response"]["warnings"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(warnings.len(), 1, "{r}");
        assert!(warnings[0].as_str().unwrap_or("").starts_with("p/no-grow"));
        let r = review_text(&request("CREATE", "5", None, "bot")).unwrap_or_default();
        assert_eq!(r["response"]["allowed"], false, "{r}");
    }

    #[test]
    fn delete_has_no_object_and_is_allowed() {
        let r = review_text(&request("DELETE", "", Some("4"), "alice")).unwrap_or_default();
        assert_eq!(r["response"]["allowed"], true, "{r}");
    }

    #[test]
    fn malformed_reviews_are_located_errors() {
        let e = review_text(
            "apiVersion: admission.k8s.io/v1\nkind: AdmissionReview\nrequest:\n  object: {}\n",
        )
        .err();
        assert_eq!(e.as_ref().map(|e| e.at.map(|p| p.line)), Some(Some(4)));
        assert!(e.is_some_and(|e| e.message.contains("request.uid")));
        let e = review_text("apiVersion: v1\nkind: AdmissionReview\n").err();
        assert_eq!(
            e.and_then(|e| e.at).map(|p| (p.line, p.column)),
            Some((1, 13))
        );
        assert!(review_text("[1]").is_err());
    }

    #[test]
    fn long_warnings_are_cut_at_a_character_boundary() {
        let cut = truncate("é".repeat(200), MAX_WARNING_BYTES);
        assert!(cut.len() <= MAX_WARNING_BYTES && cut.ends_with('…'));
    }
}
