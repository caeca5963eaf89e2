//! Raising the package's exceptions. The classes are Python classes
//! (`assay/_errors.py`) with structured fields; Rust builds their keyword
//! arguments. Every message comes from core, which redacts secrets.

use assay_core::{LimitError, PolicyError};
use assay_host::LoadError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

/// An instance of `assay._errors.<class>(message, **kwargs)` as a `PyErr`.
/// Messages that quote the caller's input (a str that looks like a path, a
/// key) pass through the same redaction as core's: no token-shaped secret.
pub fn raise(py: Python<'_>, class: &str, message: &str, kwargs: &Bound<'_, PyDict>) -> PyErr {
    let message = assay_core::redact::redact_text(message);
    let made = py
        .import("assay._errors")
        .and_then(|m| m.getattr(class))
        .and_then(|c| c.call((message,), Some(kwargs)));
    match made {
        Ok(instance) => PyErr::from_value(instance),
        Err(e) => e,
    }
}

fn kwargs<'py>(py: Python<'py>, items: &[(&str, Option<&str>)]) -> Bound<'py, PyDict> {
    let d = PyDict::new(py);
    for (k, v) in items {
        if let Some(v) = v {
            let _ = d.set_item(*k, *v);
        }
    }
    d
}

/// `AssayError`: a failure that is neither the policy's nor the input's.
pub fn assay_error(py: Python<'_>, message: &str, hint: Option<&str>) -> PyErr {
    raise(py, "AssayError", message, &kwargs(py, &[("hint", hint)]))
}

/// `LimitError` for a `limits` entry that sets no limit.
pub fn limit_error(py: Python<'_>, e: &LimitError) -> PyErr {
    let name = match e {
        LimitError::Unknown(name) | LimitError::NotAPair(name) => name.as_str(),
        LimitError::Value { name, .. } => name,
    };
    let d = kwargs(py, &[("limit", Some(name)), ("hint", Some(LIMITS_HINT))]);
    raise(py, "LimitError", &e.to_string(), &d)
}

/// The hint of a `LimitError`.
const LIMITS_HINT: &str = "see docs/limits.md for the limits, their values and ceilings";

/// `InputError` for input that cannot be read or is not a document.
pub fn input_error(py: Python<'_>, message: &str, hint: Option<&str>) -> PyErr {
    raise(py, "InputError", message, &kwargs(py, &[("hint", hint)]))
}

/// `InputError` located in a file (`line`/`column` 1-based when known).
pub fn input_error_at(
    py: Python<'_>,
    file: Option<&str>,
    at: Option<(u32, u32)>,
    message: &str,
) -> PyErr {
    let d = kwargs(py, &[("file", file)]);
    if let Some((line, column)) = at {
        let _ = d.set_item("line", line);
        let _ = d.set_item("column", column);
    }
    let text = match (file, at) {
        (Some(f), Some((l, c))) => format!("{f}:{l}:{c}: {message}"),
        (Some(f), None) => format!("{f}: {message}"),
        (None, Some((l, c))) => format!("{l}:{c}: {message}"),
        (None, None) => message.to_owned(),
    };
    raise(py, "InputError", &text, &d)
}

/// `PolicyError` listing every problem core found, one line each as the CLI prints them.
pub fn policy_errors(py: Python<'_>, errors: &[PolicyError]) -> PyErr {
    let problems = PyList::empty(py);
    for e in errors {
        let d = PyDict::new(py);
        let _ = d.set_item("file", &e.file);
        let _ = d.set_item("line", e.line);
        let _ = d.set_item("column", e.column);
        let _ = d.set_item("message", &e.message);
        let _ = d.set_item("rule", e.rule.as_deref());
        let _ = d.set_item("hint", e.hint.as_deref());
        let _ = problems.append(d);
    }
    let d = PyDict::new(py);
    let _ = d.set_item("errors", problems);
    raise(py, "PolicyError", &PolicyError::printed_lines(errors), &d)
}

/// `PolicyError` about a policy path as a whole (unreadable, no policies, a bad module).
pub fn policy_error(py: Python<'_>, file: &str, message: &str, hint: Option<&str>) -> PyErr {
    let problem = PyDict::new(py);
    let _ = problem.set_item("file", file);
    let _ = problem.set_item("message", message);
    let _ = problem.set_item("hint", hint);
    let d = PyDict::new(py);
    let _ = d.set_item("errors", vec![problem]);
    let _ = d.set_item("hint", hint);
    let text = match hint {
        Some(h) => format!("{file}: {message} (hint: {h})"),
        None => format!("{file}: {message}"),
    };
    raise(py, "PolicyError", &text, &d)
}

/// Policies that did not load: a `PolicyError`, about each problem when
/// core found several, else about the path; an `AssayError` when the
/// module host did not start.
pub fn load_error(py: Python<'_>, e: &LoadError) -> PyErr {
    if let LoadError::Policies(errors) = e {
        return policy_errors(py, errors);
    }
    match e.located() {
        Some((file, message, hint)) => policy_error(py, file, &message, hint),
        None => assay_error(py, &e.to_string(), None),
    }
}
