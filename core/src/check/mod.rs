//! `check`: inputs (text) in, results out. Shared by every host.

pub mod patch;
pub mod review;

use crate::diag::Severity;
use crate::diag::{Finding, Verdict};
use crate::eval::limits::Limits;
use crate::eval::{CompiledPolicy, EvalInput, Identity};
use crate::parse::{
    parse_input_with, parse_stream_with, raise_note, utf8_error, Document, SyntaxError,
};
use crate::report::DocResult;
use crate::set::PolicySet;
use serde_json::Value;

/// The results of one input file (or stdin).
#[derive(Debug, Default)]
pub struct FileOutcome {
    pub documents: usize,
    pub checked: usize,
    pub results: Vec<DocResult>,
}

impl FileOutcome {
    pub fn append(&mut self, mut other: FileOutcome) {
        self.documents += other.documents;
        self.checked += other.checked;
        self.results.append(&mut other.results);
    }

    /// A `check` answer of the call API (`{"report": ...}` or `{"error":
    /// ...}`), as hosts that run modules get it. An error, or a call that
    /// failed (`Err`), is a finding on the input labelled `label`, so the
    /// other inputs are still reported.
    pub fn of_answer(answer: Result<Value, String>, label: Option<&str>) -> FileOutcome {
        use serde::Deserialize;
        let report = answer.and_then(|a| match (a.get("report"), a.pointer("/error/message")) {
            (Some(r), _) => crate::report::Report::deserialize(r).map_err(|e| e.to_string()),
            (None, Some(m)) => Err(m.as_str().unwrap_or_default().to_owned()),
            (None, None) => Err("the module gave no report".to_owned()),
        });
        match report {
            Ok(r) => FileOutcome {
                documents: r.summary.documents,
                checked: r.summary.checked,
                results: r.results,
            },
            Err(message) => FileOutcome {
                documents: 1,
                checked: 0,
                results: vec![failure(label, 0, "module", message, None)],
            },
        }
    }
}

/// Identity used to pair a document with its previous version.
pub fn identity(v: &Value) -> Option<(String, String, String, String)> {
    let s = |p: &str| {
        crate::parse::lookup(v, p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let name = s("/metadata/name");
    if name.is_empty() {
        return None;
    }
    Some((s("/apiVersion"), s("/kind"), s("/metadata/namespace"), name))
}

/// Decodes input bytes; invalid UTF-8 is a syntax error at its position.
pub fn decode(bytes: &[u8]) -> Result<&str, SyntaxError> {
    std::str::from_utf8(bytes).map_err(|e| utf8_error(bytes, &e))
}

/// A document that does not parse: rule `parse`, or `limit` when it went
/// over one of the parse limits.
pub fn parse_failure(file: Option<&str>, e: &SyntaxError) -> DocResult {
    failure(
        file,
        e.index,
        if e.limit.is_some() { "limit" } else { "parse" },
        format!("does not parse: {}", e.message),
        // Line 0: a document given as a value, which has no position.
        (e.line > 0).then_some((e.line, e.column)),
    )
}

/// A document that could not be checked at all: one error finding, at
/// `at` (line, column) when it is known.
pub fn failure(
    file: Option<&str>,
    document: usize,
    rule: &str,
    message: String,
    at: Option<(u32, u32)>,
) -> DocResult {
    DocResult {
        file: file.map(str::to_owned),
        document,
        kind: None,
        name: None,
        namespace: None,
        policy: None,
        verdict: Verdict::Fail,
        findings: vec![Finding {
            rule: rule.to_owned(),
            severity: Severity::Error,
            // Parser and patch errors may quote input; no token-shaped secret passes.
            message: crate::redact::redact_text(&message),
            path: String::new(),
            line: at.map(|(line, _)| line),
            column: at.map(|(_, column)| column),
        }],
        changed: Vec::new(),
    }
}

/// Checks every document of one input against the policy set, within its
/// limits. `old` holds previous versions, paired by
/// apiVersion/kind/namespace/name.
pub fn check_documents(
    set: &PolicySet,
    file: Option<&str>,
    docs: impl IntoIterator<Item = Result<Document, SyntaxError>>,
    env: &str,
    old: &[Value],
    changed: &[String],
) -> FileOutcome {
    check_documents_with(set, file, docs, env, old, changed, &set.limits)
}

/// `check_documents` within `limits` rather than the set's: at most
/// `limits.documents` documents are checked; the first one after them is a
/// `limit` finding, and the rest are not read.
pub fn check_documents_with(
    set: &PolicySet,
    file: Option<&str>,
    docs: impl IntoIterator<Item = Result<Document, SyntaxError>>,
    env: &str,
    old: &[Value],
    changed: &[String],
    limits: &Limits,
) -> FileOutcome {
    let mut out = FileOutcome::default();
    let mut secrets = Vec::new();
    for doc in docs.into_iter().flat_map(list_items) {
        out.documents += 1;
        if out.documents > limits.documents {
            out.results
                .push(too_many_documents(file, &doc, limits.documents));
            break;
        }
        let doc = match doc {
            Ok(d) => d,
            Err(e) => {
                out.results.push(parse_failure(file, &e));
                continue;
            }
        };
        crate::redact::secret_values(&doc.value, &mut secrets);
        // Pairing builds four strings per document: only when there are old versions.
        let old_doc = match old {
            [] => None,
            _ => identity(&doc.value)
                .and_then(|id| old.iter().find(|o| identity(o).as_ref() == Some(&id))),
        };
        let input = EvalInput {
            env,
            old: old_doc,
            request: None,
            cel_cost: limits.cel_cost,
            parse: limits.parse(),
        };
        check_one(set, file, &doc, &input, changed, &mut out);
    }
    // Each document's findings were redacted of its own values; a Secret's
    // values may also be quoted by another document's (a password pasted
    // into a ConfigMap too).
    if !secrets.is_empty() {
        let withheld = crate::redact::Withheld {
            found: secrets,
            ..Default::default()
        };
        let findings = out.results.iter_mut().flat_map(|r| &mut r.findings);
        crate::redact::redact_findings(findings, &Value::Null, None, &withheld);
    }
    out
}

/// The finding on the first document past the `documents` limit, `limit`.
pub fn too_many_documents(
    file: Option<&str>,
    doc: &Result<Document, SyntaxError>,
    limit: usize,
) -> DocResult {
    let (index, at) = match doc {
        Ok(d) => (d.index, d.map.locate("")),
        Err(e) => (e.index, Some(e.pos())),
    };
    let message = format!(
        "more than {limit} documents in this stream; this one and the rest are not checked ({})",
        raise_note("documents")
    );
    failure(
        file,
        index,
        "limit",
        message,
        at.map(|p| (p.line, p.column)),
    )
}

/// Checks one parsed document, adding its results to `out`.
pub fn check_one(
    set: &PolicySet,
    file: Option<&str>,
    doc: &Document,
    input: &EvalInput,
    changed: &[String],
    out: &mut FileOutcome,
) {
    let evaluated = set.evaluate(doc, input);
    if !evaluated.is_empty() {
        out.checked += 1;
    }
    let id = Identity::of(&doc.value);
    for (policy, findings) in evaluated {
        out.results
            .push(doc_result(file, doc.index, &id, policy, findings, changed));
    }
}

/// The outcome of one document that every policy of `passed` applied to
/// and found nothing in: what `check_documents` gives, for hosts that ran
/// schema-only policies themselves (`CompiledPolicy::schema_only`).
pub fn passed(file: Option<&str>, id: &Identity, passed: &[&CompiledPolicy]) -> FileOutcome {
    FileOutcome {
        documents: 1,
        checked: usize::from(!passed.is_empty()),
        results: passed
            .iter()
            .map(|policy| doc_result(file, 0, id, policy, Vec::new(), &[]))
            .collect(),
    }
}

fn doc_result(
    file: Option<&str>,
    index: usize,
    id: &Identity,
    policy: &CompiledPolicy,
    findings: Vec<Finding>,
    changed: &[String],
) -> DocResult {
    DocResult {
        file: file.map(str::to_owned),
        document: index,
        kind: id.kind.map(str::to_owned),
        name: id.name.map(str::to_owned),
        namespace: id.namespace.map(str::to_owned),
        policy: Some(policy.name.clone()),
        verdict: Verdict::of(&findings),
        findings,
        changed: changed.to_vec(),
    }
}

/// Parses and checks one input's text.
pub fn check_text(
    set: &PolicySet,
    file: Option<&str>,
    text: &str,
    env: &str,
    old: &[Value],
) -> FileOutcome {
    check_bytes_with(set, file, text.as_bytes(), env, old, &set.limits)
}

/// Parses and checks one input's bytes; a document with invalid UTF-8 is a
/// parse finding and the others are still checked.
pub fn check_bytes(
    set: &PolicySet,
    file: Option<&str>,
    bytes: &[u8],
    env: &str,
    old: &[Value],
) -> FileOutcome {
    check_bytes_with(set, file, bytes, env, old, &set.limits)
}

/// `check_bytes` within `limits`.
pub fn check_bytes_with(
    set: &PolicySet,
    file: Option<&str>,
    bytes: &[u8],
    env: &str,
    old: &[Value],
    limits: &Limits,
) -> FileOutcome {
    let docs = parse_input_with(file, bytes, limits.parse());
    check_documents_with(set, file, docs, env, old, &[], limits)
}

/// The documents of a previous version (`--old`): their values, and a parse
/// finding for each one that does not parse, since a lost old version would
/// silently switch off every rule that compares with `oldObject`.
pub fn old_versions(file: &str, bytes: &[u8]) -> (Vec<Value>, Vec<DocResult>) {
    old_versions_with(file, bytes, &Limits::DEFAULT)
}

/// `old_versions`, each document parsed within `limits`.
pub fn old_versions_with(
    file: &str,
    bytes: &[u8],
    limits: &Limits,
) -> (Vec<Value>, Vec<DocResult>) {
    let mut values = Vec::new();
    let mut failures = Vec::new();
    let docs = crate::parse::Documents::with_limits(bytes, limits.parse());
    for doc in docs.flat_map(list_items) {
        match doc {
            Ok(d) => values.push(d.value),
            Err(e) => failures.push(parse_failure(Some(file), &e)),
        }
    }
    (values, failures)
}

/// A `kind: List` (or `ConfigMapList`, ...), as `kubectl get -o yaml`
/// writes several objects, stands for its items: each is checked as a
/// document of its own, located at its place in the file. Anything else is
/// itself.
fn list_items(doc: Result<Document, SyntaxError>) -> Vec<Result<Document, SyntaxError>> {
    let is_list = |d: &Document| {
        let kind = d.value.get("kind").and_then(Value::as_str).unwrap_or("");
        kind.ends_with("List")
            && d.value.get("apiVersion").is_some()
            && d.value.get("items").is_some_and(Value::is_array)
    };
    let mut d = match doc {
        Ok(d) if is_list(&d) => d,
        other => return vec![other],
    };
    let Some(Value::Array(items)) = d.value.get_mut("items").map(Value::take) else {
        return Vec::new();
    };
    let maps = d.map.split_items(items.len());
    items
        .into_iter()
        .zip(maps)
        .map(|(value, map)| {
            Ok(Document {
                index: d.index,
                value,
                map,
            })
        })
        .collect()
}

fn first_document(file: &str, text: &str, limits: &Limits) -> Result<Document, Box<DocResult>> {
    match parse_stream_with(text, limits.parse()).into_iter().next() {
        Some(Ok(d)) => Ok(d),
        Some(Err(e)) => Err(Box::new(parse_failure(Some(file), &e))),
        None => Err(Box::new(failure(
            Some(file),
            0,
            "parse",
            "holds no document".to_owned(),
            Some((1, 1)),
        ))),
    }
}

/// `check --base --patch`: applies the patch as `kubectl patch` would and
/// checks the result with the base as `oldObject`. Findings are located in
/// the patch file, and the result lists the keys the patch changed.
pub fn check_patch(
    set: &PolicySet,
    base: (&str, &str),
    patch: (&str, &str),
    kind: crate::check::patch::PatchType,
    env: &str,
) -> FileOutcome {
    check_patch_with(set, base, patch, kind, env, &set.limits)
}

/// `check_patch` within `limits`.
pub fn check_patch_with(
    set: &PolicySet,
    base: (&str, &str),
    patch: (&str, &str),
    kind: crate::check::patch::PatchType,
    env: &str,
    limits: &Limits,
) -> FileOutcome {
    let fail = |r: Box<DocResult>| FileOutcome {
        documents: 1,
        checked: 0,
        results: vec![*r],
    };
    let base_doc = match first_document(base.0, base.1, limits) {
        Ok(d) => d,
        Err(r) => return fail(r),
    };
    let patch_doc = match first_document(patch.0, patch.1, limits) {
        Ok(d) => d,
        Err(r) => return fail(r),
    };
    let patched = match crate::check::patch::apply(&base_doc.value, &patch_doc.value, kind) {
        Ok(v) => v,
        Err(message) => {
            return fail(Box::new(failure(
                Some(patch.0),
                0,
                "patch",
                format!("patch does not apply: {message}"),
                Some((1, 1)),
            )))
        }
    };
    let changed = crate::check::patch::changed_paths(&base_doc.value, &patched);
    let doc = Document {
        index: 0,
        value: patched,
        map: crate::check::patch::positions(&patch_doc, kind),
    };
    check_documents_with(
        set,
        Some(patch.0),
        vec![Ok(doc)],
        env,
        std::slice::from_ref(&base_doc.value),
        &changed,
        limits,
    )
}

#[cfg(test)]
mod tests {
    use super::FileOutcome;
    use serde_json::json;

    fn first_message(o: &FileOutcome) -> &str {
        o.results
            .first()
            .and_then(|r| r.findings.first())
            .map_or("", |f| f.message.as_str())
    }

    #[test]
    fn a_report_answer_is_its_results() {
        let answer = json!({"report": {"version": 1, "verdict": "pass",
            "summary": {"documents": 2, "checked": 1, "errors": 0, "warnings": 0},
            "results": [{"file": "a.yaml", "document": 1, "policy": "p",
                         "verdict": "pass", "findings": []}]}});
        let o = FileOutcome::of_answer(Ok(answer), Some("a.yaml"));
        assert_eq!((o.documents, o.checked, o.results.len()), (2, 1, 1));
        assert_eq!(o.results[0].document, 1);
    }

    #[test]
    fn an_error_or_a_failed_call_is_a_finding_on_the_input() {
        let error = json!({"error": {"message": "input too deep", "hint": "h"}});
        for (answer, message) in [
            (Ok(error), "input too deep"),
            (Err("m.wasm: time limit".to_owned()), "m.wasm: time limit"),
            (Ok(json!({"policies": []})), "the module gave no report"),
        ] {
            let o = FileOutcome::of_answer(answer, Some("in.yaml"));
            assert_eq!((o.documents, o.checked), (1, 0));
            assert_eq!(o.results[0].file.as_deref(), Some("in.yaml"));
            assert_eq!(o.results[0].findings[0].rule, "module");
            assert_eq!(first_message(&o), message);
        }
    }
}
