//! `validate(dict)` for policy sets whose every policy is a JSON Schema and
//! nothing else: the schemas run on the Python objects where they are, as
//! `jsonschema-rs` does, instead of on a converted copy. Only a document
//! that passes is answered here, and only when converting it would have
//! succeeded; anything else takes the full path, so findings and errors
//! come from one place and stay the same.

use crate::convert;
use assay_core::check::{passed, FileOutcome};
use assay_core::eval::Identity;
use assay_core::PolicySet;
use jsonschema::json::{inspect, Pyo3};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use std::sync::atomic::{AtomicU64, Ordering};

/// Documents answered here, for the tests to see that this path runs.
pub static PASSED: AtomicU64 = AtomicU64::new(0);

pub struct InPlace {
    checks: Vec<Check>,
}

struct Check {
    /// Index into the set's policies.
    policy: usize,
    /// The schema's `path`, as unescaped JSON pointer segments.
    path: Vec<String>,
    validator: jsonschema::Validator<Pyo3>,
}

impl InPlace {
    /// `None` unless every policy of `set` is schema-only (see
    /// `CompiledPolicy::schema_only`).
    pub fn of(set: &PolicySet) -> Option<InPlace> {
        let checks = set
            .policies
            .iter()
            .enumerate()
            .map(|(policy, p)| {
                let only = p.schema_only()?;
                let validator = assay_core::eval::schema::options::<Pyo3>()
                    .build(only.schema)
                    .ok()?;
                Some(Check {
                    policy,
                    path: assay_core::parse::segments(only.path)?,
                    validator,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(InPlace { checks })
    }

    /// The outcome `check` gives `doc` when every applicable schema passes
    /// and `doc` converts; `None` otherwise, for the full path to answer.
    pub fn check(
        &self,
        set: &PolicySet,
        doc: &Bound<'_, PyDict>,
        file: Option<&str>,
    ) -> Option<FileOutcome> {
        if !convert::is_plain(doc.as_any(), set.limits.depth) {
            return None;
        }
        // What `Identity::of` and `applies` read, read from the objects.
        let py = doc.py();
        let meta =
            item(doc, intern!(py, "metadata")).and_then(|m| m.cast_into_exact::<PyDict>().ok());
        let meta_item = |key| meta.as_ref().and_then(|m| item(m, key));
        let (kind, name, namespace) = (
            item(doc, intern!(py, "kind")),
            meta_item(intern!(py, "name")),
            meta_item(intern!(py, "namespace")),
        );
        let labels =
            meta_item(intern!(py, "labels")).and_then(|l| l.cast_into_exact::<PyDict>().ok());
        // A `kind: List` stands for its items (`check::check_documents`).
        if text(&kind).is_some_and(|k| k.ends_with("List"))
            && item(doc, intern!(py, "items")).is_some()
        {
            return None;
        }
        let id = Identity {
            kind: text(&kind),
            name: text(&name),
            namespace: text(&namespace),
        };
        let has_label = |key: &str, value: &str| {
            let label = labels.as_ref().and_then(|l| l.get_item(key).ok().flatten());
            text(&label) == Some(value)
        };
        let mut applicable = Vec::new();
        for check in &self.checks {
            let policy = &set.policies[check.policy];
            if !policy.applies_to(&id, has_label) {
                continue;
            }
            let target = at_pointer(doc.as_any(), &check.path)?;
            let instance = target.as_borrowed();
            // An error reading the objects (none is expected of plain ones)
            // leaves the answer to the full path too.
            if !inspect(instance, false, || check.validator.is_valid(instance)).ok()? {
                return None;
            }
            applicable.push(policy);
        }
        PASSED.fetch_add(1, Ordering::Relaxed);
        Some(passed(file, &id, &applicable))
    }
}

fn item<'py>(dict: &Bound<'py, PyDict>, key: &Bound<'py, PyString>) -> Option<Bound<'py, PyAny>> {
    dict.get_item(key).ok().flatten()
}

/// The text of a `str`, as `Value::as_str` gives it of the converted value.
fn text<'a>(value: &'a Option<Bound<'_, PyAny>>) -> Option<&'a str> {
    value.as_ref()?.cast::<PyString>().ok()?.to_str().ok()
}

/// The object at `path` under `doc`, as `source::lookup` finds a value.
fn at_pointer<'py>(doc: &Bound<'py, PyAny>, path: &[String]) -> Option<Bound<'py, PyAny>> {
    let mut at = doc.clone();
    for segment in path {
        at = if let Ok(d) = at.cast_exact::<PyDict>() {
            d.get_item(segment).ok()??
        } else if let Ok(l) = at.cast_exact::<PyList>() {
            // RFC 6901 indices, as `source::lookup` reads them.
            let i: usize = segment.parse().ok()?;
            if i.to_string() != *segment {
                return None;
            }
            l.get_item(i).ok()?
        } else {
            return None;
        };
    }
    Some(at)
}
