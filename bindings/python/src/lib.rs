//! The Python package `assay` (SPEC §7): a thin mirror of assay-core.
//! Policies are compiled once and shared by threads; evaluation runs with
//! the interpreter released. YAML policies are evaluated natively, `.wasm`
//! modules through `assay-module-host`, both answering the same calls.

// Converting documents and evaluating them allocate many small strings;
// mimalloc makes `validate(dict)` faster, as it does the CLI's `check`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod convert;
mod errors;
mod in_place;
mod report;

use assay_core::api::OLD_FILE;
use assay_core::check::{check_bytes, check_documents, check_text, old_versions, FileOutcome};
use assay_core::report::DocResult;
use assay_core::parse::Document;
use assay_core::PolicySet;
use assay_module_host::files::{display, walk};
use assay_module_host::{FileSystem, Host, Limits, LoadedModule};
use errors::{input_error, input_error_at, policy_error, policy_errors};
use in_place::InPlace;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyList, PyMemoryView, PyString, PyTuple};
use report::{Decision, DocumentResult, Finding, Report, Summary};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// What evaluates: a compiled policy set, or a `.wasm` module (one call at a time).
enum Engine {
    Native(PolicySet),
    Module {
        path: String,
        module: Box<Mutex<LoadedModule>>,
    },
}

// Policies are shared between Python threads and evaluated with the
// interpreter released, so the compiled set must be both.
const _: fn() = || {
    fn shared<T: Send + Sync>() {}
    shared::<Engine>();
};

/// A loaded policy set (YAML policies or a compiled module). Immutable and
/// safe to share across threads.
#[pyclass(module = "assay", frozen)]
struct Policy {
    engine: Arc<Engine>,
    source: String,
    /// Built on the first `validate(dict)` of a native set. `PyOnceLock`:
    /// a thread waiting for it lets go of the interpreter, so the builder,
    /// which holds it, cannot deadlock with the waiter.
    in_place: PyOnceLock<Option<InPlace>>,
}

impl Policy {
    fn new(engine: Engine, source: String) -> Policy {
        Policy {
            engine: Arc::new(engine),
            source,
            in_place: PyOnceLock::new(),
        }
    }

    /// The result of a document that passes schema-only policies, read
    /// where it is (`in_place`); `None` when the full path must answer.
    fn passed_in_place(&self, doc: &Bound<'_, PyAny>, file: Option<&str>) -> Option<Report> {
        let Engine::Native(set) = &*self.engine else {
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

fn path_of(obj: &Bound<'_, PyAny>) -> PyResult<Option<PathBuf>> {
    // `os.PathLike`: anything with `__fspath__` (pathlib paths among them).
    if obj.cast::<PyString>().is_ok() || !obj.hasattr("__fspath__")? {
        return Ok(None);
    }
    // As `os.fsencode`: a name that is not UTF-8 (surrogate-escaped) stays itself.
    obj.extract::<PathBuf>().map(Some)
}

fn read_input_files(py: Python<'_>, path: &Path) -> PyResult<Vec<(String, Vec<u8>)>> {
    let label = display(path);
    let unreadable =
        |e: std::io::Error| input_error_at(py, Some(&label), None, &format!("cannot read: {e}"));
    let files = walk(path, false).map_err(unreadable)?;
    files
        .iter()
        .map(|f| {
            let name = display(f);
            std::fs::read(f)
                .map(|bytes| (name.clone(), bytes))
                .map_err(|e| input_error_at(py, Some(&name), None, &format!("cannot read: {e}")))
        })
        .collect()
}

fn input_of(py: Python<'_>, doc: &Bound<'_, PyAny>) -> PyResult<Input> {
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
    if let Some(path) = path_of(doc)? {
        return read_input_files(py, &path).map(Input::Files);
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

fn old_of(py: Python<'_>, old: Option<&Bound<'_, PyAny>>) -> PyResult<Old> {
    let Some(old) = old.filter(|o| !o.is_none()) else {
        return Ok(Old::default());
    };
    let from_bytes = |label: &str, bytes: &[u8], out: &mut Old| {
        let (values, mut failures) = old_versions(label, bytes);
        out.values.extend(values);
        out.failures.append(&mut failures);
    };
    let mut out = Old::default();
    match input_of(py, old)? {
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

fn check_native(
    set: &PolicySet,
    input: Input,
    file: Option<&str>,
    env: &str,
    old: &[Value],
) -> Vec<FileOutcome> {
    match input {
        Input::Documents(values) => {
            let docs = values
                .into_iter()
                .enumerate()
                .map(|(index, value)| {
                    let mut d = assay_core::parse::Document::from_value(value);
                    d.index = index;
                    Ok::<Document, _>(d)
                })
                .collect();
            vec![check_documents(set, file, docs, env, old, &[])]
        }
        Input::Text(text) => vec![check_text(set, file, &text, env, old)],
        Input::Bytes(bytes) => vec![check_bytes(set, file, &bytes, env, old)],
        Input::Files(files) => files
            .iter()
            .map(|(label, bytes)| check_bytes(set, Some(label), bytes, env, old))
            .collect(),
    }
}

/// One call into a module; an error answer or a failed call is an `Err(message)`.
fn call_module(path: &str, module: &Mutex<LoadedModule>, request: &Value) -> Result<Value, String> {
    let mut module = module
        .lock()
        .map_err(|_| format!("{path}: a previous call panicked"))?;
    let answer = module
        .call(request.to_string().as_bytes())
        .map_err(|e| format!("{path}: {e}"))?;
    serde_json::from_str(&answer).map_err(|e| format!("{path}: its answer is not JSON: {e}"))
}

fn check_module(
    path: &str,
    module: &Mutex<LoadedModule>,
    input: Input,
    file: Option<&str>,
    env: &str,
    old: &[Value],
) -> Vec<FileOutcome> {
    let request = |input: Value, file: Option<&str>| json!({"call": "check", "input": input, "file": file, "env": env, "old": old});
    let text_outcome = |label: Option<&str>, bytes: &[u8]| match assay_core::check::decode(bytes) {
        Ok(text) => FileOutcome::of_answer(
            call_module(path, module, &request(Value::from(text), label)),
            label,
        ),
        Err(e) => FileOutcome {
            documents: 1,
            checked: 0,
            results: vec![assay_core::check::parse_failure(label, &e)],
        },
    };
    match input {
        // The call API reads a value as one document: one call each.
        Input::Documents(values) => values
            .into_iter()
            .enumerate()
            .map(|(index, value)| {
                let mut o =
                    FileOutcome::of_answer(call_module(path, module, &request(value, file)), file);
                o.results.iter_mut().for_each(|r| r.document = index);
                o
            })
            .collect(),
        Input::Text(text) => vec![text_outcome(file, text.as_bytes())],
        Input::Bytes(bytes) => vec![text_outcome(file, &bytes)],
        Input::Files(files) => files
            .iter()
            .map(|(label, bytes)| text_outcome(Some(label), bytes))
            .collect(),
    }
}

impl Engine {
    /// A call-API request answered natively or by the module.
    fn call(&self, request: &Value) -> Result<Value, String> {
        match self {
            Engine::Native(set) => {
                let answer = assay_core::api::call(set, request.to_string().as_bytes());
                serde_json::from_str(&answer).map_err(|e| e.to_string())
            }
            Engine::Module { path, module } => call_module(path, module, request),
        }
    }
}

/// An error answer of the call API (`{"message", "hint", "file"?, "line"?,
/// "column"?}`) as an `InputError`.
fn answer_error(py: Python<'_>, e: &Value) -> PyErr {
    let text = |k: &str| e.get(k).and_then(Value::as_str);
    let number = |k: &str| e.get(k).and_then(Value::as_u64).map(|n| n as u32);
    let message = text("message").unwrap_or_default();
    let at = number("line").zip(number("column"));
    let err = input_error_at(py, text("file"), at, message);
    if let Some(hint) = text("hint") {
        let _ = err.value(py).setattr("hint", hint);
    }
    err
}

/// The module host: one wasmtime engine for the process, machine code cached on disk.
fn host(py: Python<'_>) -> PyResult<&'static Host> {
    static HOST: OnceLock<Result<Host, String>> = OnceLock::new();
    HOST.get_or_init(|| {
        Host::new(Host::default_cache_dir(), Limits::default()).map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| errors::assay_error(py, e, None))
}

fn is_module(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "wasm")
}

fn load_module(py: Python<'_>, path: &Path) -> PyResult<Policy> {
    let label = display(path);
    let bytes = std::fs::read(path)
        .map_err(|e| policy_error(py, &label, &format!("cannot read: {e}"), None))?;
    let host = host(py)?;
    let module = py
        .detach(|| host.load(&bytes))
        .map_err(|e| policy_error(py, &label, &e.to_string(), None))?;
    let engine = Engine::Module {
        path: label.clone(),
        module: Box::new(Mutex::new(module)),
    };
    Ok(Policy::new(engine, label))
}

fn load_files(py: Python<'_>, paths: &[PathBuf]) -> PyResult<Policy> {
    let mut files = Vec::new();
    for p in paths {
        let label = display(p);
        let listed = walk(p, true).map_err(|e| {
            policy_error(py, &label, &format!("cannot read policy path: {e}"), None)
        })?;
        for f in listed {
            let name = display(&f);
            let bytes = std::fs::read(&f)
                .map_err(|e| policy_error(py, &name, &format!("cannot read: {e}"), None))?;
            let text = assay_core::check::decode(&bytes).map_err(|e| {
                policy_errors(
                    py,
                    &[assay_core::PolicyError::at(
                        &name,
                        assay_core::parse::Pos {
                            line: e.line,
                            column: e.column,
                        },
                        e.message,
                    )],
                )
            })?;
            files.push((name, text.to_owned()));
        }
    }
    let names: Vec<String> = paths.iter().map(|p| display(p)).collect();
    let source = names.join(", ");
    let set = py
        .detach(|| PolicySet::load_with(&files, &FileSystem))
        .map_err(|errors| policy_errors(py, &errors))?;
    if set.policies.is_empty() && set.rollouts.is_empty() {
        return Err(policy_error(
            py,
            &source,
            "no policies found",
            Some("a policy has `apiVersion: assay.dev/v1`"),
        ));
    }
    Ok(Policy::new(Engine::Native(set), source))
}

/// Loads policies: YAML/JSON files, directories (every policy file below,
/// `tests/` folders excepted), or one compiled `.wasm` module.
#[pyfunction]
#[pyo3(signature = (path, *paths))]
fn load(py: Python<'_>, path: &Bound<'_, PyAny>, paths: &Bound<'_, PyTuple>) -> PyResult<Policy> {
    let to_path = |obj: &Bound<'_, PyAny>| -> PyResult<PathBuf> {
        match path_of(obj)? {
            Some(p) => Ok(p),
            None => obj
                .extract::<PathBuf>()
                .map_err(|_| PyTypeError::new_err("a policy path is a str or an os.PathLike")),
        }
    };
    let mut all = vec![to_path(path)?];
    for p in paths.iter() {
        all.push(to_path(&p)?);
    }
    match all.iter().filter(|p| is_module(p)).count() {
        0 => load_files(py, &all),
        1 if all.len() == 1 => load_module(py, &all[0]),
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
    file: Option<&str>,
) -> PyResult<Bound<'py, PyList>> {
    let text = text_of(text).map_err(|m| input_error_at(py, file, None, &m))?;
    let docs = py.detach(|| assay_core::parse::parse_input_text(file, text));
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
fn text_of<'a>(s: &'a Bound<'_, PyString>) -> Result<&'a str, String> {
    s.to_str().map_err(|_| {
        "the text holds a lone surrogate, which is not Unicode: pass the file's bytes instead"
            .to_owned()
    })
}

#[pymethods]
impl Policy {
    /// Policies from YAML (or JSON) text; `file` names it in errors. Schema
    /// `$ref`s to other files need `assay.load`.
    #[staticmethod]
    #[pyo3(signature = (text, file = "<policy>"))]
    fn from_yaml(py: Python<'_>, text: &Bound<'_, PyString>, file: &str) -> PyResult<Policy> {
        let text = text_of(text).map_err(|m| policy_error(py, file, &m, None))?;
        let files = [(file.to_owned(), text.to_owned())];
        let set = py
            .detach(|| PolicySet::load(&files))
            .map_err(|errors| policy_errors(py, &errors))?;
        if set.policies.is_empty() && set.rollouts.is_empty() {
            return Err(policy_error(
                py,
                file,
                "no policies found",
                Some("a policy has `apiVersion: assay.dev/v1`"),
            ));
        }
        Ok(Policy::new(Engine::Native(set), file.to_owned()))
    }

    /// The built-in policy library (what `assay check` uses without `-p`).
    #[staticmethod]
    fn defaults(py: Python<'_>) -> PyResult<Policy> {
        let set = py
            .detach(assay_core::library::defaults)
            .map_err(|errors| policy_errors(py, &errors))?;
        Ok(Policy::new(
            Engine::Native(set),
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
        env: Option<&str>,
        old: Option<&Bound<'_, PyAny>>,
        file: Option<&str>,
    ) -> PyResult<Report> {
        if old.is_none_or(|o| o.is_none()) {
            if let Some(report) = self.passed_in_place(doc, file) {
                return Ok(report);
            }
        }
        let input = input_of(py, doc)?;
        let old = old_of(py, old)?;
        let env = env.unwrap_or("");
        let engine = &*self.engine;
        let Old { values, failures } = old;
        let report = py.detach(|| {
            let outcomes = match engine {
                Engine::Native(set) => check_native(set, input, file, env, &values),
                Engine::Module { path, module } => {
                    check_module(path, module, input, file, env, &values)
                }
            };
            report_of(outcomes, failures)
        });
        Ok(Report { report })
    }

    /// A rollout decision from the canary's state and metrics (ROLLOUT.md).
    /// `policy` names the rollout policy when several are loaded. A metric
    /// that is NaN or infinite (Prometheus' 0/0) is no data, as `None` is.
    #[pyo3(signature = (state, metrics, *, env = None, policy = None))]
    fn decide(
        &self,
        py: Python<'_>,
        state: &Bound<'_, PyAny>,
        metrics: &Bound<'_, PyAny>,
        env: Option<&str>,
        policy: Option<&str>,
    ) -> PyResult<Decision> {
        // None is "not given": core then says which one is missing.
        let mut input = serde_json::Map::new();
        for (key, value) in [("state", state), ("metrics", metrics)] {
            if !value.is_none() {
                input.insert(key.to_owned(), convert::metrics_value(value)?);
            }
        }
        let request = json!({"call": "decide", "input": input, "env": env, "policy": policy});
        let engine = &*self.engine;
        let answer = py
            .detach(|| engine.call(&request))
            .map_err(|m| errors::assay_error(py, &m, None))?;
        match (answer.get("decision"), answer.get("error")) {
            (Some(d), _) => Ok(Decision { value: d.clone() }),
            (None, Some(e)) => Err(answer_error(py, e)),
            (None, None) => Err(errors::assay_error(py, "no decision in the answer", None)),
        }
    }

    /// Answers an AdmissionReview v1 request (a dict, or its JSON/YAML
    /// text) with the AdmissionReview response a validating webhook returns.
    /// A review that cannot be answered is an `InputError`.
    #[pyo3(signature = (admission_review, *, env = None, file = None))]
    fn review<'py>(
        &self,
        py: Python<'py>,
        admission_review: &Bound<'py, PyAny>,
        env: Option<&str>,
        file: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let review = if let Ok(s) = admission_review.cast::<PyString>() {
            Value::from(text_of(s).map_err(|m| input_error(py, &m, None))?)
        } else if let Some(bytes) = bytes_like(admission_review)? {
            let text = assay_core::check::decode(&bytes)
                .map_err(|e| input_error_at(py, file, Some((e.line, e.column)), &e.message))?;
            Value::from(text)
        } else {
            convert::to_value(admission_review)?
        };
        let request =
            json!({"call": "review", "review": review, "file": file, "env": env.unwrap_or("")});
        let engine = &*self.engine;
        let answer = py
            .detach(|| engine.call(&request))
            .map_err(|m| errors::assay_error(py, &m, None))?;
        match (answer.get("review"), answer.get("error")) {
            (Some(r), _) => convert::to_py(py, r),
            (None, Some(e)) => Err(answer_error(py, e)),
            (None, None) => Err(errors::assay_error(py, "no review in the answer", None)),
        }
    }

    /// Answers one request of core's JSON call API (docs/module-abi.md) as
    /// JSON text: the same answer natively and from a module.
    fn call(&self, py: Python<'_>, request: &str) -> PyResult<String> {
        let engine = &*self.engine;
        match engine {
            Engine::Native(set) => Ok(py.detach(|| assay_core::api::call(set, request.as_bytes()))),
            Engine::Module { path, module } => {
                let answer = py.detach(|| -> Result<String, String> {
                    let mut m = module
                        .lock()
                        .map_err(|_| format!("{path}: a previous call panicked"))?;
                    m.call(request.as_bytes())
                        .map_err(|e| format!("{path}: {e}"))
                });
                answer.map_err(|m| errors::assay_error(py, &m, None))
            }
        }
    }

    /// The policies: `[{"name", "kind", "file"}]`.
    fn describe<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let answer = match &*self.engine {
            Engine::Native(set) => json!(assay_core::api::describe(set)),
            Engine::Module { module, path } => {
                let m = module.lock().map_err(|_| {
                    errors::assay_error(py, &format!("{path}: a previous call panicked"), None)
                })?;
                json!(m.metadata.policies)
            }
        };
        convert::to_py(py, &answer)
    }

    /// Whether this is a compiled `.wasm` module run by wasmtime.
    #[getter]
    fn is_module(&self) -> bool {
        matches!(&*self.engine, Engine::Module { .. })
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
