//! The Python package `assay` (docs/python.md): a thin mirror of assay-core.
//! Policies are compiled once and shared by threads; evaluation runs with
//! the interpreter released. YAML policies and `.wasm` modules are loaded
//! and evaluated by `assay-host`'s `Evaluator`, as the CLI's are; this
//! converts Python objects, and raises its errors as the package's.

// Converting documents and evaluating them allocate many small strings;
// mimalloc makes `validate(dict)` faster, as it does the CLI's `check`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod args;
mod convert;
mod errors;
mod in_place;
mod report;

use assay_core::api::{ErrorAnswer, DECIDE_HINT, OLD_FILE};
use assay_core::check::{old_versions_with, FileOutcome};
use assay_core::eval::schema_files::NoFiles;
use assay_core::redact::redact_text;
use assay_core::report::DocResult;
use assay_core::Limits;
use assay_host::files::{
    compile_policy_files, display, display_all, is_module, load_policy_set, read_input,
    read_policies, walk, RefScope,
};
use assay_host::{Evaluator, EvaluatorError};
use errors::{input_error, input_error_at, limit_error, load_error, policy_error};
use in_place::InPlace;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyList, PyMemoryView, PyString, PyTuple};
use report::{Decision, DocumentResult, Finding, Report, Summary};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A loaded policy set (YAML policies or a compiled module). Immutable and
/// safe to share across threads: the `Evaluator` is evaluated with the
/// interpreter released.
#[pyclass(module = "assay", frozen)]
struct Policy {
    evaluator: Evaluator,
    source: String,
    /// Built on the first `validate(dict)` of a native set. `PyOnceLock`:
    /// a thread waiting for it lets go of the interpreter, so the builder,
    /// which holds it, cannot deadlock with the waiter.
    in_place: PyOnceLock<Option<InPlace>>,
}

impl Policy {
    fn new(evaluator: Evaluator, source: String) -> Policy {
        Policy {
            evaluator,
            source,
            in_place: PyOnceLock::new(),
        }
    }

    /// The result of a document that passes schema-only policies, read
    /// where it is (`in_place`); `None` when the full path must answer.
    fn passed_in_place(&self, doc: &Bound<'_, PyAny>, file: Option<&str>) -> Option<Report> {
        let Evaluator::Native(set) = &self.evaluator else {
            return None;
        };
        let doc = doc.cast_exact::<PyDict>().ok()?;
        let in_place = self
            .in_place
            .get_or_init(doc.py(), || InPlace::of(set))
            .as_ref()?;
        let outcome = in_place.check(set, doc, file)?;
        Some(Report {
            report: report_of(vec![outcome], Vec::new()),
        })
    }
}

/// What `validate` was given, read into Rust while the interpreter is held.
enum Input {
    Documents(Vec<Value>),
    Text(String),
    Bytes(Vec<u8>),
    Files(Vec<(String, Vec<u8>)>),
}

/// Previous versions (`old=`) and findings for the ones that do not parse.
#[derive(Default)]
struct Old {
    values: Vec<Value>,
    failures: Vec<DocResult>,
}

/// The path of the argument `name` when it is an `os.PathLike`.
fn path_of(name: &str, obj: &Bound<'_, PyAny>) -> PyResult<Option<PathBuf>> {
    // `os.PathLike`: anything with `__fspath__` (pathlib paths among them).
    if obj.cast::<PyString>().is_ok() || !obj.hasattr("__fspath__")? {
        return Ok(None);
    }
    // As `os.fsencode`: a name that is not UTF-8 (surrogate-escaped) stays itself.
    args::path_arg(name, obj).map(Some)
}

/// The input files at `path` (a file, or those in a directory), each at
/// most `limit` bytes (the `file-bytes` limit).
fn read_input_files(py: Python<'_>, path: &Path, limit: u64) -> PyResult<Vec<(String, Vec<u8>)>> {
    let label = display(path);
    let unreadable =
        |e: std::io::Error| input_error_at(py, Some(&label), None, &format!("cannot read: {e}"));
    let files = walk(path, false).map_err(unreadable)?;
    files
        .iter()
        .map(|f| {
            let name = display(f);
            read_input(f, limit)
                .map(|bytes| (name.clone(), bytes))
                .map_err(|e| input_error_at(py, Some(&name), None, &format!("cannot read: {e}")))
        })
        .collect()
}

/// What the argument `name` (`doc` or `old`) holds; files are read
/// within the `file-bytes` limit of `limits`.
fn input_of(
    py: Python<'_>,
    name: &str,
    doc: &Bound<'_, PyAny>,
    limits: &Limits,
) -> PyResult<Input> {
    // A dict first: it is the common case, and asking it for `__fspath__`
    // raises and clears an AttributeError, which costs more than the call.
    if doc.cast::<PyDict>().is_ok() {
        return convert::to_value(doc).map(|v| Input::Documents(vec![v]));
    }
    // Nor are exact lists and bytes asked (they have no `__fspath__`);
    // subclasses, which could, take the path below.
    if let Ok(list) = doc.cast_exact::<PyList>() {
        return documents(list.iter());
    }
    if let Ok(b) = doc.cast_exact::<PyBytes>() {
        return Ok(Input::Bytes(b.as_bytes().to_vec()));
    }
    if let Some(path) = path_of(name, doc)? {
        return read_input_files(py, &path, limits.file_bytes).map(Input::Files);
    }
    if let Ok(s) = doc.cast::<PyString>() {
        let text = text_of(s).map_err(|m| input_error(py, &m, None))?;
        // A str is YAML text; a file's path given as one would be checked as
        // a one-line string and pass. No manifest is one line naming a file.
        if let Some(what) = names_a_path(text) {
            return Err(input_error(
                py,
                &format!("`{}` {what}, but a str is read as YAML text", text.trim()),
                Some("pass pathlib.Path(...) to check a file or directory"),
            ));
        }
        return Ok(Input::Text(text.to_owned()));
    }
    if let Some(bytes) = bytes_like(doc)? {
        return Ok(Input::Bytes(bytes));
    }
    // A list or tuple is a list of documents, as a YAML stream would be.
    if let Ok(list) = doc.cast::<PyList>() {
        return documents(list.iter());
    }
    if let Ok(tuple) = doc.cast::<PyTuple>() {
        return documents(tuple.iter());
    }
    convert::to_value(doc).map(|v| Input::Documents(vec![v]))
}

/// What a one-line str names when it is a path rather than YAML text: an
/// existing file or directory, or an input file by its extension. As text
/// it would be one string document, and pass.
fn names_a_path(text: &str) -> Option<&'static str> {
    let text = text.trim();
    if text.contains('\n') || text.contains(": ") || text.len() >= 4096 {
        return None;
    }
    let path = std::path::Path::new(text);
    if path.is_file() {
        Some("names a file")
    } else if path.is_dir() {
        Some("names a directory")
    } else if [".yaml", ".yml", ".json", ".env"]
        .iter()
        .any(|ext| text.ends_with(ext))
        && !text.contains(char::is_whitespace)
    {
        Some("looks like the path of a file that does not exist")
    } else {
        None
    }
}

/// The bytes of a `bytes`, `bytearray` or `memoryview`, to be read as a
/// file's are.
fn bytes_like(obj: &Bound<'_, PyAny>) -> PyResult<Option<Vec<u8>>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Some(b.as_bytes().to_vec()));
    }
    if obj.is_instance_of::<PyByteArray>() || obj.is_instance_of::<PyMemoryView>() {
        // `bytes(obj)`: the limited API has no buffer protocol before 3.11.
        let bytes = obj.py().get_type::<PyBytes>().call1((obj,))?;
        return Ok(Some(bytes.cast::<PyBytes>()?.as_bytes().to_vec()));
    }
    Ok(None)
}

fn documents<'py>(items: impl Iterator<Item = Bound<'py, PyAny>>) -> PyResult<Input> {
    items
        .map(|d| convert::to_value(&d))
        .collect::<PyResult<_>>()
        .map(Input::Documents)
}

fn old_of(py: Python<'_>, old: Option<&Bound<'_, PyAny>>, limits: &Limits) -> PyResult<Old> {
    let Some(old) = old.filter(|o| !o.is_none()) else {
        return Ok(Old::default());
    };
    let from_bytes = |label: &str, bytes: &[u8], out: &mut Old| {
        let (values, mut failures) = old_versions_with(label, bytes, limits);
        out.values.extend(values);
        out.failures.append(&mut failures);
    };
    let mut out = Old::default();
    match input_of(py, "old", old, limits)? {
        Input::Documents(values) => out.values = values,
        Input::Text(text) => from_bytes(OLD_FILE, text.as_bytes(), &mut out),
        Input::Bytes(bytes) => from_bytes(OLD_FILE, &bytes, &mut out),
        Input::Files(files) => {
            for (label, bytes) in files {
                from_bytes(&label, &bytes, &mut out);
            }
        }
    }
    Ok(out)
}

/// The results of several inputs as one report, as the CLI adds them up.
fn report_of(outcomes: Vec<FileOutcome>, old_failures: Vec<DocResult>) -> assay_core::Report {
    let mut total = FileOutcome {
        results: old_failures,
        ..FileOutcome::default()
    };
    for o in outcomes {
        total.append(o);
    }
    assay_core::Report::new(total.documents, total.checked, total.results)
}

/// The outcomes of checking what `validate` was given.
fn check_input(
    evaluator: &Evaluator,
    input: Input,
    file: Option<&str>,
    env: &str,
    old: &[Value],
) -> Vec<FileOutcome> {
    match input {
        Input::Documents(values) => vec![evaluator.check_values(file, values, env, old)],
        Input::Text(text) => vec![evaluator.check_text(file, &text, env, old)],
        Input::Bytes(bytes) => vec![evaluator.check(file, &bytes, env, old)],
        Input::Files(files) => files
            .iter()
            .map(|(label, bytes)| evaluator.check(Some(label), bytes, env, old))
            .collect(),
    }
}

/// An error answer of the call API (`{"message", "hint", "file"?, "line"?,
/// "column"?}`) as an `InputError`.
fn answer_error(py: Python<'_>, e: &ErrorAnswer) -> PyErr {
    let at = e.line.zip(e.column);
    let err = input_error_at(py, e.file.as_deref(), at, &e.message);
    if let Some(hint) = &e.hint {
        let _ = err.value(py).setattr("hint", hint);
    }
    err
}

/// A failed `decide` or `review`: the policies' refusal of the input as an
/// `InputError`, redacted as the call API answers it; anything else (a
/// module that failed) as an `AssayError`.
fn evaluation_error(py: Python<'_>, e: EvaluatorError) -> PyErr {
    match e {
        EvaluatorError::Input(error) => answer_error(
            py,
            &ErrorAnswer {
                message: redact_text(&error.message),
                ..error
            },
        ),
        EvaluatorError::NoRollout { message, .. } => answer_error(
            py,
            &ErrorAnswer {
                message: redact_text(&message),
                hint: Some(DECIDE_HINT.to_owned()),
                ..ErrorAnswer::default()
            },
        ),
        e => errors::assay_error(py, &e.to_string(), None),
    }
}

fn load_module(py: Python<'_>, path: &Path, limits: Limits) -> PyResult<Policy> {
    let evaluator = py
        .detach(|| Evaluator::load_module(path).map(|e| e.with_limits(limits)))
        .map_err(|e| load_error(py, &e))?;
    Ok(Policy::new(evaluator, display(path)))
}

fn load_files(
    py: Python<'_>,
    paths: &[PathBuf],
    scope: RefScope,
    limits: Limits,
) -> PyResult<Policy> {
    let source = display_all(paths);
    let set = py
        .detach(|| {
            let (files, schema_files) = read_policies(paths, scope)?;
            compile_policy_files(&files, &schema_files, &source)
        })
        .map_err(|e| load_error(py, &e))?;
    Ok(Policy::new(
        Evaluator::Native(set.with_limits(limits)),
        source,
    ))
}

/// The `limits` argument: a dict of limit names (`cel-cost`, `cel_cost`)
/// to values (numbers, or text such as `"64MiB"` and `"30s"`), over the
/// defaults (docs/limits.md); a name or value that sets no limit raises
/// `LimitError`.
fn limits_arg(py: Python<'_>, limits: Option<&Bound<'_, PyAny>>) -> PyResult<Limits> {
    let Some(limits) = limits.filter(|l| !l.is_none()) else {
        return Ok(Limits::DEFAULT);
    };
    let dict = limits.cast::<PyDict>().map_err(|_| {
        PyTypeError::new_err(
            "`limits` is a dict of limit names to values, e.g. {\"documents\": 500000}",
        )
    })?;
    let mut out = Limits::DEFAULT;
    for (name, value) in dict.iter() {
        let name = name
            .cast::<PyString>()
            .map_err(|_| PyTypeError::new_err("the names in `limits` are str"))?;
        let name = args::str_arg("limits", name)?;
        // `bool` is an `int` to Python: not a limit's value.
        let value = if value.is_instance_of::<pyo3::types::PyBool>() {
            Value::Bool(value.extract()?)
        } else {
            convert::to_value(&value)?
        };
        out.set_value(name, &value)
            .map_err(|e| limit_error(py, &e))?;
    }
    Ok(out)
}

/// Every limit a policy checks within, by name (docs/limits.md).
fn limits_dict<'py>(py: Python<'py>, limits: &Limits) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    for (name, value) in limits.entries() {
        out.set_item(name, convert::to_py(py, &value)?)?;
    }
    Ok(out)
}

/// Loads policies: YAML/JSON files, directories (every policy file below,
/// `tests/` folders excepted), or one compiled `.wasm` module. Schemas'
/// `$ref`s read files under each policy's directory only, unless
/// `allow_ref_outside`.
#[pyfunction]
#[pyo3(signature = (path, *paths, allow_ref_outside = false, limits = None))]
fn load(
    py: Python<'_>,
    path: &Bound<'_, PyAny>,
    paths: &Bound<'_, PyTuple>,
    allow_ref_outside: bool,
    limits: Option<&Bound<'_, PyAny>>,
) -> PyResult<Policy> {
    let limits = limits_arg(py, limits)?;
    let to_path = |name: &str, obj: &Bound<'_, PyAny>| -> PyResult<PathBuf> {
        match path_of(name, obj)? {
            Some(p) => Ok(p),
            None if obj.cast::<PyString>().is_ok() => args::path_arg(name, obj),
            None => Err(PyTypeError::new_err(
                "a policy path is a str or an os.PathLike",
            )),
        }
    };
    let mut all = vec![to_path("path", path)?];
    for p in paths.iter() {
        all.push(to_path("paths", &p)?);
    }
    match all.iter().filter(|p| is_module(p)).count() {
        0 => {
            let scope = if allow_ref_outside {
                RefScope::Anywhere
            } else {
                RefScope::Root
            };
            load_files(py, &all, scope, limits)
        }
        1 if all.len() == 1 => load_module(py, &all[0], limits),
        _ => Err(policy_error(
            py,
            &all.iter()
                .map(|p| display(p))
                .collect::<Vec<_>>()
                .join(", "),
            "a `.wasm` module is loaded on its own",
            Some("call `assay.load` once per module"),
        )),
    }
}

/// Parses YAML or JSON text (a stream of documents) with assay's parser;
/// a syntax error is an `InputError` with its line and column. A `file`
/// named `.env` or `*.env` is read as `validate` reads it: as one ConfigMap.
#[pyfunction]
#[pyo3(signature = (text, file = None))]
fn parse<'py>(
    py: Python<'py>,
    text: &Bound<'py, PyString>,
    file: Option<&Bound<'py, PyString>>,
) -> PyResult<Bound<'py, PyList>> {
    let file = args::opt_str_arg("file", file)?;
    let text = text_of(text).map_err(|m| input_error_at(py, file, None, &m))?;
    let docs: Vec<_> = py.detach(|| assay_core::parse::parse_input_text(file, text).collect());
    let out = PyList::empty(py);
    for d in docs {
        match d {
            Ok(d) => out.append(convert::to_py(py, &d.value)?)?,
            Err(e) => {
                let message = assay_core::redact::redact_text(&e.message);
                return Err(input_error_at(py, file, Some((e.line, e.column)), &message));
            }
        }
    }
    Ok(out)
}

/// A `str`'s text. One with a lone surrogate (from `surrogateescape`, say)
/// has no UTF-8 form: say so rather than raise `UnicodeEncodeError`.
/// (Other `str` arguments: `args::str_arg`.)
fn text_of<'a>(s: &'a Bound<'_, PyString>) -> Result<&'a str, String> {
    args::utf8(s).map_err(|e| {
        format!(
            "the text holds {}, which is not Unicode: pass the file's bytes instead",
            e.what()
        )
    })
}

#[pymethods]
impl Policy {
    /// Policies from YAML (or JSON) text; `file` names it in errors. Schema
    /// `$ref`s to other files need `assay.load`.
    #[staticmethod]
    #[pyo3(
        signature = (text, file = None, *, limits = None),
        text_signature = "(text, file='<policy>', *, limits=None)"
    )]
    fn from_yaml(
        py: Python<'_>,
        text: &Bound<'_, PyString>,
        file: Option<&Bound<'_, PyString>>,
        limits: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Policy> {
        let limits = limits_arg(py, limits)?;
        let file = args::opt_str_arg("file", file)?.unwrap_or("<policy>");
        let text = text_of(text).map_err(|m| policy_error(py, file, &m, None))?;
        let files = [(file.to_owned(), text.to_owned())];
        let set = py
            .detach(|| compile_policy_files(&files, &NoFiles, file))
            .map_err(|e| load_error(py, &e))?;
        Ok(Policy::new(
            Evaluator::Native(set.with_limits(limits)),
            file.to_owned(),
        ))
    }

    /// The built-in policy library (what `assay check` uses without `-p`).
    #[staticmethod]
    #[pyo3(signature = (*, limits = None))]
    fn defaults(py: Python<'_>, limits: Option<&Bound<'_, PyAny>>) -> PyResult<Policy> {
        let limits = limits_arg(py, limits)?;
        let set = py
            .detach(|| load_policy_set(&[]))
            .map_err(|e| load_error(py, &e))?;
        Ok(Policy::new(
            Evaluator::Native(set.with_limits(limits)),
            "<built-in library>".to_owned(),
        ))
    }

    /// Validates documents: a dict (one document), a list of dicts, YAML or
    /// JSON text (str, bytes, bytearray or memoryview; a stream of
    /// documents), or a path to a file or directory. Findings of text and
    /// files have line and column.
    #[pyo3(signature = (doc, *, env = None, old = None, file = None))]
    fn validate(
        &self,
        py: Python<'_>,
        doc: &Bound<'_, PyAny>,
        env: Option<&Bound<'_, PyString>>,
        old: Option<&Bound<'_, PyAny>>,
        file: Option<&Bound<'_, PyString>>,
    ) -> PyResult<Report> {
        let file = args::opt_str_arg("file", file)?;
        let env = args::opt_str_arg("env", env)?;
        if old.is_none_or(|o| o.is_none()) {
            if let Some(report) = self.passed_in_place(doc, file) {
                return Ok(report);
            }
        }
        let limits = self.evaluator.limits();
        let input = input_of(py, "doc", doc, limits)?;
        let old = old_of(py, old, limits)?;
        let env = env.unwrap_or("");
        let evaluator = &self.evaluator;
        let Old { values, failures } = old;
        let report =
            py.detach(|| report_of(check_input(evaluator, input, file, env, &values), failures));
        Ok(Report { report })
    }

    /// A rollout decision from the canary's state and metrics (docs/rollout.md).
    /// `policy` names the rollout policy when several are loaded. A metric
    /// that is NaN or infinite (Prometheus' 0/0) is no data, as `None` is.
    #[pyo3(signature = (state, metrics, *, env = None, policy = None))]
    fn decide(
        &self,
        py: Python<'_>,
        state: &Bound<'_, PyAny>,
        metrics: &Bound<'_, PyAny>,
        env: Option<&Bound<'_, PyString>>,
        policy: Option<&Bound<'_, PyString>>,
    ) -> PyResult<Decision> {
        let env = args::opt_str_arg("env", env)?;
        let policy = args::opt_str_arg("policy", policy)?;
        // None is "not given": core then says which one is missing.
        let mut input = serde_json::Map::new();
        for (key, value) in [("state", state), ("metrics", metrics)] {
            if !value.is_none() {
                input.insert(key.to_owned(), convert::metrics_value(value)?);
            }
        }
        let evaluator = &self.evaluator;
        let decision = py
            .detach(|| evaluator.decide(Value::Object(input), env, policy))
            .map_err(|e| evaluation_error(py, e))?;
        let value = serde_json::to_value(&decision)
            .map_err(|e| errors::assay_error(py, &e.to_string(), None))?;
        Ok(Decision { value })
    }

    /// Answers an AdmissionReview v1 request (a dict, or its JSON/YAML
    /// text) with the AdmissionReview response a validating webhook returns.
    /// A review that cannot be answered is an `InputError`.
    #[pyo3(signature = (admission_review, *, env = None, file = None))]
    fn review<'py>(
        &self,
        py: Python<'py>,
        admission_review: &Bound<'py, PyAny>,
        env: Option<&Bound<'py, PyString>>,
        file: Option<&Bound<'py, PyString>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let file = args::opt_str_arg("file", file)?;
        let env = args::opt_str_arg("env", env)?;
        let review = if let Ok(s) = admission_review.cast::<PyString>() {
            Value::from(text_of(s).map_err(|m| input_error_at(py, file, None, &m))?)
        } else if let Some(bytes) = bytes_like(admission_review)? {
            let text = assay_core::check::decode(&bytes)
                .map_err(|e| input_error_at(py, file, Some((e.line, e.column)), &e.message))?;
            Value::from(text)
        } else {
            convert::to_value(admission_review)?
        };
        let evaluator = &self.evaluator;
        let response = py
            .detach(|| evaluator.review_response(review, file, env.unwrap_or("")))
            .map_err(|e| evaluation_error(py, e))?;
        convert::to_py(py, &response)
    }

    /// Answers one request of core's JSON call API (docs/module-abi.md) as
    /// JSON text: the same answer natively and from a module.
    fn call(&self, py: Python<'_>, request: &Bound<'_, PyString>) -> PyResult<String> {
        let request = args::str_arg("request", request)?;
        let evaluator = &self.evaluator;
        py.detach(|| evaluator.call(request.as_bytes()))
            .map_err(|e| errors::assay_error(py, &e.to_string(), None))
    }

    /// The policies: `[{"name", "kind", "file"}]`.
    fn describe<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let policies = serde_json::to_value(self.evaluator.describe())
            .map_err(|e| errors::assay_error(py, &e.to_string(), None))?;
        convert::to_py(py, &policies)
    }

    /// Every limit it checks within, by name: counts and bytes, and
    /// `module-time` in seconds (docs/limits.md).
    #[getter]
    fn limits<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        limits_dict(py, self.evaluator.limits())
    }

    /// Whether this is a compiled `.wasm` module run by wasmtime.
    #[getter]
    fn is_module(&self) -> bool {
        self.evaluator.is_module()
    }

    fn __repr__(&self) -> String {
        let kind = if self.is_module() {
            "module"
        } else {
            "policies"
        };
        format!("<assay.Policy {kind} from {}>", self.source)
    }
}

/// How many documents `validate` has answered in place (`in_place.rs`);
/// for the tests.
#[pyfunction]
fn _passed_in_place() -> u64 {
    in_place::PASSED.load(std::sync::atomic::Ordering::Relaxed)
}

#[pymodule]
fn _assay(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Policy>()?;
    m.add_class::<Report>()?;
    m.add_class::<Summary>()?;
    m.add_class::<DocumentResult>()?;
    m.add_class::<Finding>()?;
    m.add_class::<Decision>()?;
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(parse, m)?)?;
    m.add_function(wrap_pyfunction!(report::_report_from_json, m)?)?;
    m.add_function(wrap_pyfunction!(_passed_in_place, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
