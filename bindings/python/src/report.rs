//! Reports and decisions as Python objects: attributes for code, `to_dict()`
//! for the same fields as the CLI's JSON (built from core's serializer).

use crate::convert::to_py;
use crate::errors::raise;
use assay_core::report::DocResult;
use assay_core::Report as CoreReport;
use assay_core::{Finding as CoreFinding, Verdict};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use serde_json::Value;

/// What `Policy.validate` returns: the verdict, every finding, `to_dict()`.
#[pyclass(module = "assay", frozen)]
pub struct Report {
    pub(crate) report: CoreReport,
}

#[pyclass(module = "assay", frozen, get_all)]
pub struct Summary {
    documents: usize,
    checked: usize,
    errors: usize,
    warnings: usize,
}

/// The findings of one policy on one document (or a document that does not parse).
#[pyclass(module = "assay", frozen, get_all)]
pub struct DocumentResult {
    file: Option<String>,
    document: usize,
    kind: Option<String>,
    name: Option<String>,
    namespace: Option<String>,
    policy: Option<String>,
    verdict: &'static str,
    findings: Vec<Py<Finding>>,
    changed: Vec<String>,
}

/// One finding, with the policy, file and document it belongs to.
#[pyclass(module = "assay", frozen, get_all)]
pub struct Finding {
    rule: String,
    severity: &'static str,
    message: String,
    path: String,
    line: Option<u32>,
    column: Option<u32>,
    policy: Option<String>,
    file: Option<String>,
    document: usize,
}

fn finding(r: &DocResult, f: &CoreFinding) -> Finding {
    Finding {
        rule: f.rule.clone(),
        severity: f.severity.as_str(),
        message: f.message.clone(),
        path: f.path.clone(),
        line: f.line,
        column: f.column,
        policy: r.policy.clone(),
        file: r.file.clone(),
        document: r.document,
    }
}

fn value_to_py<'py>(
    py: Python<'py>,
    v: Result<Value, serde_json::Error>,
) -> PyResult<Bound<'py, PyAny>> {
    match v {
        Ok(v) => to_py(py, &v),
        Err(e) => Err(crate::errors::assay_error(py, &e.to_string(), None)),
    }
}

#[pymethods]
impl Report {
    /// `"pass"`, `"warn"` or `"fail"`.
    #[getter]
    fn verdict(&self) -> &'static str {
        self.report.verdict.as_str()
    }

    /// No finding of severity error (warnings allowed), as the CLI's exit code 0.
    #[getter]
    fn ok(&self) -> bool {
        self.report.verdict != Verdict::Fail
    }

    #[getter]
    fn summary(&self) -> Summary {
        let s = &self.report.summary;
        Summary {
            documents: s.documents,
            checked: s.checked,
            errors: s.errors,
            warnings: s.warnings,
        }
    }

    /// Every finding of every result, in report order.
    #[getter]
    fn findings(&self, py: Python<'_>) -> PyResult<Vec<Py<Finding>>> {
        let mut out = Vec::new();
        for r in &self.report.results {
            for f in &r.findings {
                out.push(Py::new(py, finding(r, f))?);
            }
        }
        Ok(out)
    }

    #[getter]
    fn results(&self, py: Python<'_>) -> PyResult<Vec<Py<DocumentResult>>> {
        let mut out = Vec::new();
        for r in &self.report.results {
            let findings = r
                .findings
                .iter()
                .map(|f| Py::new(py, finding(r, f)))
                .collect::<PyResult<_>>()?;
            out.push(Py::new(
                py,
                DocumentResult {
                    file: r.file.clone(),
                    document: r.document,
                    kind: r.kind.clone(),
                    name: r.name.clone(),
                    namespace: r.namespace.clone(),
                    policy: r.policy.clone(),
                    verdict: r.verdict.as_str(),
                    findings,
                    changed: r.changed.clone(),
                },
            )?);
        }
        Ok(out)
    }

    /// The CLI's `-o json` report as Python objects.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        value_to_py(py, serde_json::to_value(&self.report))
    }

    /// The CLI's `-o json` report as text.
    fn to_json(&self) -> String {
        self.report.to_json()
    }

    /// The CLI's human output: `file:line:col: severity[policy/rule] message (path)` lines and a summary.
    fn to_text(&self) -> String {
        self.report.to_human(false)
    }

    /// Raises `assay.ValidationError` when the verdict is `fail`.
    fn raise_for_errors(slf: Bound<'_, Self>) -> PyResult<()> {
        let py = slf.py();
        let report = slf.get();
        if report.report.verdict != Verdict::Fail {
            return Ok(());
        }
        let errors: Vec<String> = report
            .report
            .results
            .iter()
            .flat_map(|r| {
                r.findings
                    .iter()
                    .filter(|f| f.severity == assay_core::Severity::Error)
                    .map(move |f| {
                        let at = match (&r.file, f.line, f.column) {
                            (Some(file), Some(l), Some(c)) => format!("{file}:{l}:{c}: "),
                            (Some(file), _, _) => format!("{file}: "),
                            (None, Some(l), Some(c)) => format!("{l}:{c}: "),
                            _ => String::new(),
                        };
                        let policy = r.policy.as_deref().unwrap_or("-");
                        format!("{at}{policy}/{}: {}", f.rule, f.message)
                    })
            })
            .collect();
        let message = format!(
            "{} error(s): {}",
            report.report.summary.errors,
            errors.join("; ")
        );
        let kwargs = PyDict::new(py);
        kwargs.set_item("report", &slf)?;
        Err(raise(py, "ValidationError", &message, &kwargs))
    }

    fn __bool__(&self) -> bool {
        self.ok()
    }

    /// Pickled as its JSON, so a report (and the `ValidationError` holding
    /// it) crosses a process pool.
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        let rebuild = py.import("assay._assay")?.getattr("_report_from_json")?;
        let json = serde_json::to_string(&self.report)
            .map_err(|e| crate::errors::assay_error(py, &e.to_string(), None))?;
        Ok((rebuild, (json,)))
    }

    fn __repr__(&self) -> String {
        let s = &self.report.summary;
        format!(
            "<assay.Report verdict={} documents={} checked={} errors={} warnings={}>",
            self.verdict(),
            s.documents,
            s.checked,
            s.errors,
            s.warnings
        )
    }
}

#[pymethods]
impl Summary {
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("documents", self.documents)?;
        d.set_item("checked", self.checked)?;
        d.set_item("errors", self.errors)?;
        d.set_item("warnings", self.warnings)?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!(
            "<assay.Summary documents={} checked={} errors={} warnings={}>",
            self.documents, self.checked, self.errors, self.warnings
        )
    }
}

#[pymethods]
impl DocumentResult {
    /// The result as in the JSON report.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        if let Some(f) = &self.file {
            d.set_item("file", f)?;
        }
        d.set_item("document", self.document)?;
        for (k, v) in [
            ("kind", &self.kind),
            ("name", &self.name),
            ("namespace", &self.namespace),
            ("policy", &self.policy),
        ] {
            if let Some(v) = v {
                d.set_item(k, v)?;
            }
        }
        d.set_item("verdict", self.verdict)?;
        let findings = PyList::empty(py);
        for f in &self.findings {
            findings.append(f.get().to_dict(py)?)?;
        }
        d.set_item("findings", findings)?;
        if !self.changed.is_empty() {
            d.set_item("changed", &self.changed)?;
        }
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!(
            "<assay.DocumentResult {}#{} policy={} verdict={} findings={}>",
            self.file.as_deref().unwrap_or("<input>"),
            self.document,
            self.policy.as_deref().unwrap_or("-"),
            self.verdict,
            self.findings.len()
        )
    }
}

#[pymethods]
impl Finding {
    /// The finding as in the JSON report (without its result's policy, file and document).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("rule", &self.rule)?;
        d.set_item("severity", self.severity)?;
        d.set_item("message", &self.message)?;
        d.set_item("path", &self.path)?;
        if let Some(l) = self.line {
            d.set_item("line", l)?;
        }
        if let Some(c) = self.column {
            d.set_item("column", c)?;
        }
        Ok(d)
    }

    fn __str__(&self) -> String {
        let at = match (&self.file, self.line, self.column) {
            (Some(f), Some(l), Some(c)) => format!("{f}:{l}:{c}"),
            (None, Some(l), Some(c)) => format!("{l}:{c}"),
            (f, _, _) => format!("{}#{}", f.as_deref().unwrap_or("<input>"), self.document),
        };
        let path = if self.path.is_empty() {
            "/"
        } else {
            &self.path
        };
        format!(
            "{at}: {}[{}/{}] {} ({path})",
            self.severity,
            self.policy.as_deref().unwrap_or("-"),
            self.rule,
            self.message
        )
    }

    fn __repr__(&self) -> String {
        format!(
            "<assay.Finding {}/{} {} at {:?}>",
            self.policy.as_deref().unwrap_or("-"),
            self.rule,
            self.severity,
            if self.path.is_empty() {
                "/"
            } else {
                &self.path
            }
        )
    }
}

/// A rollout decision (docs/rollout.md): `decision` is promote, advance, hold or rollback.
#[pyclass(module = "assay", frozen)]
pub struct Decision {
    pub(crate) value: Value,
}

impl Decision {
    fn field(&self, key: &str) -> &Value {
        self.value.get(key).unwrap_or(&Value::Null)
    }
}

#[pymethods]
impl Decision {
    #[getter]
    fn decision(&self) -> &str {
        self.field("decision").as_str().unwrap_or_default()
    }

    /// The canary's traffic weight after this decision, in percent.
    #[getter]
    fn weight(&self) -> f64 {
        self.field("weight").as_f64().unwrap_or_default()
    }

    /// The state to pass to the next call (`weight`, `failedChecks`).
    #[getter]
    fn state<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, self.field("state"))
    }

    #[getter]
    fn checks<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, self.field("checks"))
    }

    #[getter]
    fn reason(&self) -> &str {
        self.field("reason").as_str().unwrap_or_default()
    }

    #[getter]
    fn policy(&self) -> &str {
        self.field("policy").as_str().unwrap_or_default()
    }

    #[getter]
    fn env(&self) -> &str {
        self.field("env").as_str().unwrap_or_default()
    }

    /// The decision as `assay decide -o json` prints it.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.value)
    }

    fn to_json(&self) -> String {
        self.value.to_string()
    }

    fn __repr__(&self) -> String {
        format!(
            "<assay.Decision {} weight={} policy={}>",
            self.decision(),
            self.weight(),
            self.policy()
        )
    }
}

/// The `Report` that `Report.__reduce__` wrote as JSON.
#[pyfunction]
pub fn _report_from_json(py: Python<'_>, json: &str) -> PyResult<Report> {
    serde_json::from_str(json)
        .map(|report| Report { report })
        .map_err(|e| crate::errors::assay_error(py, &format!("not a pickled report: {e}"), None))
}
