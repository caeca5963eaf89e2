//! Python objects to `serde_json::Value` and back, directly: no JSON text
//! in between, since that would double the cost of `validate(dict)`.

use crate::errors::input_error;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Number, Value};

/// As deep as the `depth` limit may be raised (a deeper value is an
/// `InputError`); it stops cycles (`d["self"] = d`) too.
const MAX_DEPTH: usize = assay_core::parse::MAX_DEPTH_CEILING;

/// Where a value that JSON cannot hold is, collected on the way out so
/// that converting a good document builds no paths.
struct Bad {
    /// Segments, innermost first.
    at: Vec<String>,
    message: String,
}

fn bad(message: String) -> Bad {
    Bad {
        at: Vec::new(),
        message,
    }
}

/// What a float that JSON cannot hold (NaN, an infinity) becomes.
#[derive(Clone, Copy)]
enum NonFinite {
    /// An `InputError`: a document cannot hold one.
    Refuse,
    /// `null`: a rollout metric that is not a number is no data
    /// (docs/rollout.md), as `JSON.stringify` makes it for JS callers.
    Null,
}

fn float(f: f64, nf: NonFinite) -> Result<Value, Bad> {
    match (Number::from_f64(f), nf) {
        (Some(n), _) => Ok(Value::Number(n)),
        (None, NonFinite::Null) => Ok(Value::Null),
        (None, NonFinite::Refuse) => Err(bad("NaN or infinity, which JSON cannot hold".to_owned())),
    }
}

/// A Python document (dict, list, str, int, float, bool, None; tuples as
/// lists) as a JSON value. Anything else is an `InputError` naming where.
pub fn to_value(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    walk(obj, NonFinite::Refuse)
}

/// Rollout input as a JSON value: as `to_value`, but NaN and infinities
/// are `null`, no data.
pub fn metrics_value(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    walk(obj, NonFinite::Null)
}

fn walk(obj: &Bound<'_, PyAny>, nf: NonFinite) -> PyResult<Value> {
    // `obj` is borrowed for this whole call, so the root stays alive.
    convert(obj.py(), obj.as_ptr(), 0, nf).map_err(|e| {
        let mut path = String::new();
        for segment in e.at.iter().rev() {
            assay_core::parse::push_segment(&mut path, segment);
        }
        // A key can be a token: the path is redacted as messages are.
        let at = assay_core::redact::redact_text(if path.is_empty() { "/" } else { &path });
        input_error(obj.py(), &format!("`{at}`: {}", e.message), None)
    })
}

// The fast path below walks exact `dict`, `list`, `tuple`, `str`, `int`,
// `float`, `bool` and `None` through the C API, as `jsonschema-rs` does:
// type pointers compared, items borrowed from their container without
// touching reference counts, strings read from CPython's cached UTF-8.
// Everything else (subclasses, other types) goes through `slow`, the
// pyo3 path, with a strong reference, so error messages are unchanged;
// dict subclasses come back to `dict`, whose walk is the same for them.
//
// Why borrowing is sound: the GIL is held throughout (`Python<'py>` is
// threaded through), and each container is kept alive by a strong
// reference (`_keep`) while it is walked, and the root by the caller. A
// borrowed item can only be freed if Python code runs and removes it from
// its container. On the success path the fast path runs no Python code and
// allocates no Python object (so the garbage collector, which could run
// finalizers, is not triggered): only an error (an exception being set)
// allocates, and after an error no borrowed pointer is used again, since
// keys are copied into owned `String`s before their value is converted.
// `slow` may allocate (an `OverflowError` for a large `int` subclass), so it
// takes its own strong reference to the item first; containers above it
// are alive through their `_keep`, and `PyDict_Next`/`PyList_GetItem`/
// `PyTuple_GetItem` stay memory-safe on a container that was changed
// meanwhile (bounds-checked; a shortened list ends the walk).

/// Exact built-in types, compared by address.
#[inline]
fn is_type(ty: *mut ffi::PyTypeObject, exact: *mut ffi::PyTypeObject) -> bool {
    std::ptr::eq(ty, exact)
}

fn convert(
    py: Python<'_>,
    obj: *mut ffi::PyObject,
    depth: usize,
    nf: NonFinite,
) -> Result<Value, Bad> {
    if depth > MAX_DEPTH {
        return Err(bad(format!(
            "nested more than {MAX_DEPTH} levels deep (is the document cyclic?)"
        )));
    }
    // SAFETY: `obj` is a valid, live object (see above); reading its type
    // and the addresses of the interpreter's static type objects and
    // singletons reads no Python state that can change.
    let ty = unsafe { ffi::Py_TYPE(obj) };
    // Most values of a manifest are strings and mappings: test those first.
    if is_type(ty, &raw mut ffi::PyUnicode_Type) {
        // SAFETY: `obj` is exactly a `str`.
        return unsafe { utf8(obj) }
            .map(|s| Value::String(s.to_owned()))
            .ok_or_else(|| bad("a string that is not valid Unicode".to_owned()));
    }
    if is_type(ty, &raw mut ffi::PyDict_Type) {
        return dict(py, obj, depth, nf);
    }
    if is_type(ty, &raw mut ffi::PyList_Type) {
        return list(py, obj, depth, nf);
    }
    // SAFETY: the singletons' addresses, with the GIL held.
    if std::ptr::eq(obj, unsafe { ffi::Py_None() }) {
        return Ok(Value::Null);
    }
    if is_type(ty, &raw mut ffi::PyBool_Type) {
        // SAFETY: as above.
        return Ok(Value::Bool(std::ptr::eq(obj, unsafe { ffi::Py_True() })));
    }
    // SAFETY: `obj` is live, `ty` its type.
    if let Some(number) = unsafe { exact_number(obj, ty, nf) } {
        return number;
    }
    if is_type(ty, &raw mut ffi::PyTuple_Type) {
        return tuple(py, obj, depth, nf);
    }
    // SAFETY: `obj` is live; `from_borrowed_ptr` takes a strong reference,
    // so it stays alive whatever `slow` runs.
    let owned = unsafe { Bound::from_borrowed_ptr(py, obj) };
    slow(&owned, depth, nf)
}

/// An exact `int` or `float` as a JSON number; `None` for other types.
///
/// # Safety
/// `obj` must be live, `ty` its type, and the GIL held.
unsafe fn exact_number(
    obj: *mut ffi::PyObject,
    ty: *mut ffi::PyTypeObject,
    nf: NonFinite,
) -> Option<Result<Value, Bad>> {
    if is_type(ty, &raw mut ffi::PyLong_Type) {
        let mut overflow: std::ffi::c_int = 0;
        // SAFETY: `obj` is exactly an `int`: this reads its digits, calls
        // no `__index__` and reports overflow in `overflow`, not by raising.
        let i = unsafe { ffi::PyLong_AsLongLongAndOverflow(obj, &mut overflow) };
        if overflow == 0 && (i != -1 || unsafe { ffi::PyErr_Occurred() }.is_null()) {
            return Some(Ok(Value::from(i)));
        }
        if overflow > 0 {
            // SAFETY: as above; an integer above 2**64 - 1 raises
            // `OverflowError`, which is cleared here, and the walk ends.
            let u = unsafe { ffi::PyLong_AsUnsignedLongLong(obj) };
            if u != u64::MAX || unsafe { ffi::PyErr_Occurred() }.is_null() {
                return Some(Ok(Value::from(u)));
            }
        }
        // SAFETY: clearing an error (if any) with the GIL held.
        unsafe { ffi::PyErr_Clear() };
        return Some(Err(bad(
            "an integer too large for JSON (64 bits)".to_owned()
        )));
    }
    if is_type(ty, &raw mut ffi::PyFloat_Type) {
        // SAFETY: `obj` is exactly a `float`: this reads its value.
        let f = unsafe { ffi::PyFloat_AsDouble(obj) };
        return Some(float(f, nf));
    }
    None
}

/// Whether `obj` is made of exact `dict`, `list`, `tuple`, `str`, `int`,
/// `float`, `bool` and `None` only, and `to_value` would convert it: the
/// same checks as the fast path above, without building anything, and
/// nested no deeper than `depth_limit` containers (the `depth` limit, which
/// the full path reports as a finding).
pub fn is_plain(obj: &Bound<'_, PyAny>, depth_limit: usize) -> bool {
    // `obj` is borrowed for this whole call, so the root stays alive.
    plain(obj.py(), obj.as_ptr(), 0, depth_limit.min(MAX_DEPTH))
}

fn plain(py: Python<'_>, obj: *mut ffi::PyObject, depth: usize, limit: usize) -> bool {
    if depth > limit {
        return false;
    }
    // SAFETY: as in `convert`.
    let ty = unsafe { ffi::Py_TYPE(obj) };
    if is_type(ty, &raw mut ffi::PyUnicode_Type) {
        // SAFETY: `obj` is exactly a `str`.
        return unsafe { utf8(obj) }.is_some();
    }
    if is_type(ty, &raw mut ffi::PyDict_Type) {
        if depth == limit {
            return false;
        }
        // SAFETY: as in `dict`: a strong reference, items borrowed.
        let _keep = unsafe { Bound::from_borrowed_ptr(py, obj) };
        let mut pos: ffi::Py_ssize_t = 0;
        let mut key: *mut ffi::PyObject = std::ptr::null_mut();
        let mut value: *mut ffi::PyObject = std::ptr::null_mut();
        while unsafe { ffi::PyDict_Next(obj, &mut pos, &mut key, &mut value) } != 0 {
            // SAFETY: `key` is a live key of the dict.
            let exact_str = is_type(unsafe { ffi::Py_TYPE(key) }, &raw mut ffi::PyUnicode_Type);
            if !exact_str || unsafe { utf8(key) }.is_none() || !plain(py, value, depth + 1, limit) {
                return false;
            }
        }
        return true;
    }
    let api: SequenceApi = if is_type(ty, &raw mut ffi::PyList_Type) {
        (ffi::PyList_Size, ffi::PyList_GetItem)
    } else if is_type(ty, &raw mut ffi::PyTuple_Type) {
        (ffi::PyTuple_Size, ffi::PyTuple_GetItem)
    } else {
        // SAFETY: the singletons' addresses, with the GIL held.
        return std::ptr::eq(obj, unsafe { ffi::Py_None() })
            || is_type(ty, &raw mut ffi::PyBool_Type)
            // SAFETY: `obj` is live, `ty` its type.
            || matches!(unsafe { exact_number(obj, ty, NonFinite::Refuse) }, Some(Ok(_)));
    };
    if depth == limit {
        return false;
    }
    // SAFETY: as in `array`.
    let _keep = unsafe { Bound::from_borrowed_ptr(py, obj) };
    let len = unsafe { (api.0)(obj) }.max(0);
    (0..len).all(|i| {
        // SAFETY: as in `array`; null if the sequence was shortened.
        let item = unsafe { (api.1)(obj, i) };
        if item.is_null() {
            unsafe { ffi::PyErr_Clear() };
            return false;
        }
        plain(py, item, depth + 1, limit)
    })
}

/// The UTF-8 text of a `str` (or a subclass): `None` when it holds lone
/// surrogates (the error CPython raises is cleared).
///
/// # Safety
/// `obj` must be a live `str`, and the GIL held. The text borrows CPython's
/// UTF-8 cache of the object: the caller copies it before anything can free
/// the object.
unsafe fn utf8<'a>(obj: *mut ffi::PyObject) -> Option<&'a str> {
    let mut len: ffi::Py_ssize_t = 0;
    // SAFETY: per the contract; it runs no Python code.
    let ptr = unsafe { ffi::PyUnicode_AsUTF8AndSize(obj, &mut len) };
    if ptr.is_null() {
        // SAFETY: GIL held; the `UnicodeEncodeError` is not ours to keep.
        unsafe { ffi::PyErr_Clear() };
        return None;
    }
    // SAFETY: CPython returns `len` bytes of valid UTF-8 (it refuses
    // surrogates), kept in the object.
    let bytes = unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len as usize) };
    Some(unsafe { std::str::from_utf8_unchecked(bytes) })
}

/// A `dict` (or a subclass: its stored items) as a JSON object.
fn dict(
    py: Python<'_>,
    obj: *mut ffi::PyObject,
    depth: usize,
    nf: NonFinite,
) -> Result<Value, Bad> {
    // SAFETY: `obj` is live; a strong reference keeps it so while its items are walked.
    let _keep = unsafe { Bound::from_borrowed_ptr(py, obj) };
    // Entries are gathered, then the map is built in one pass:
    // `BTreeMap::from_iter` sorts them (a stable sort) and builds the nodes
    // bottom-up, where inserting one by one searches the tree for each key
    // (half of the conversion's time on a ConfigMap). Of equal keys (a `str`
    // subclass can make two), the last one stays, as with inserting.
    // SAFETY: `obj` is a live dict, the GIL held.
    let len = unsafe { ffi::PyDict_Size(obj) }.max(0);
    let mut entries: Vec<(String, Value)> = Vec::with_capacity(len as usize);
    let mut pos: ffi::Py_ssize_t = 0;
    let mut key: *mut ffi::PyObject = std::ptr::null_mut();
    let mut value: *mut ffi::PyObject = std::ptr::null_mut();
    // SAFETY: `obj` is a live dict (or subclass) and the GIL is held; `PyDict_Next`
    // returns borrowed, non-null key and value while it returns non-zero.
    while unsafe { ffi::PyDict_Next(obj, &mut pos, &mut key, &mut value) } != 0 {
        // SAFETY: `key` is a live key of the dict.
        let key = if is_type(unsafe { ffi::Py_TYPE(key) }, &raw mut ffi::PyUnicode_Type) {
            // SAFETY: an exact `str`, copied at once.
            unsafe { utf8(key) }
                .map(str::to_owned)
                .ok_or_else(|| bad("a key that is not valid Unicode".to_owned()))?
        } else {
            // SAFETY: as above; a strong reference for the pyo3 path.
            slow_key(&unsafe { Bound::from_borrowed_ptr(py, key) })?
        };
        match convert(py, value, depth + 1, nf) {
            Ok(value) => entries.push((key, value)),
            Err(mut e) => {
                e.at.push(key);
                return Err(e);
            }
        };
    }
    Ok(Value::Object(Map::from_iter(entries)))
}

/// The `size` and `get_item` functions of the C API for one sequence type.
type SequenceApi = (
    unsafe extern "C" fn(*mut ffi::PyObject) -> ffi::Py_ssize_t,
    unsafe extern "C" fn(*mut ffi::PyObject, ffi::Py_ssize_t) -> *mut ffi::PyObject,
);

/// A `list` (exact type) as a JSON array.
fn list(
    py: Python<'_>,
    obj: *mut ffi::PyObject,
    depth: usize,
    nf: NonFinite,
) -> Result<Value, Bad> {
    array(py, obj, depth, nf, (ffi::PyList_Size, ffi::PyList_GetItem))
}

/// A `tuple` (exact type) as a JSON array.
fn tuple(
    py: Python<'_>,
    obj: *mut ffi::PyObject,
    depth: usize,
    nf: NonFinite,
) -> Result<Value, Bad> {
    array(
        py,
        obj,
        depth,
        nf,
        (ffi::PyTuple_Size, ffi::PyTuple_GetItem),
    )
}

/// `obj`, a list or tuple, read through its type's C API functions.
fn array(
    py: Python<'_>,
    obj: *mut ffi::PyObject,
    depth: usize,
    nf: NonFinite,
    (size, get_item): SequenceApi,
) -> Result<Value, Bad> {
    // SAFETY: `obj` is live; a strong reference keeps it so while its items are walked.
    let _keep = unsafe { Bound::from_borrowed_ptr(py, obj) };
    // SAFETY: `obj` is a live object of the type those functions are for, the GIL held.
    let len = unsafe { size(obj) }.max(0);
    let mut out = Vec::with_capacity(len as usize);
    for i in 0..len {
        // SAFETY: as above; a borrowed item, or null (an `IndexError`,
        // cleared) should a list have been shortened meanwhile.
        let item = unsafe { get_item(obj, i) };
        if item.is_null() {
            // SAFETY: GIL held; the `IndexError` is dropped and the walk ends.
            unsafe { ffi::PyErr_Clear() };
            break;
        }
        match convert(py, item, depth + 1, nf) {
            Ok(v) => out.push(v),
            Err(mut e) => {
                e.at.push(i.to_string());
                return Err(e);
            }
        }
    }
    Ok(Value::Array(out))
}

/// A key that is not exactly a `str`: a subclass is read as its text.
fn slow_key(k: &Bound<'_, PyAny>) -> Result<String, Bad> {
    let Ok(k) = k.cast::<PyString>() else {
        return Err(bad(format!(
            "a key of type `{}`; keys must be strings",
            type_name(k)
        )));
    };
    k.to_str()
        .map(str::to_owned)
        .map_err(|_| bad("a key that is not valid Unicode".to_owned()))
}

/// Subclasses of the built-in types, and everything else, through pyo3.
fn slow(obj: &Bound<'_, PyAny>, depth: usize, nf: NonFinite) -> Result<Value, Bad> {
    let py = obj.py();
    if let Ok(s) = obj.cast::<PyString>() {
        return s
            .to_str()
            .map(|s| Value::String(s.to_owned()))
            .map_err(|_| bad("a string that is not valid Unicode".to_owned()));
    }
    // A dict subclass is read as pyo3 would iterate it (`PyDict_Next`, not
    // an overridden `items`), but without pyo3's panic should it change.
    if obj.cast::<PyDict>().is_ok() {
        return dict(py, obj.as_ptr(), depth, nf);
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    // `bool` is a subclass of `int`: ask first.
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if let Ok(i) = obj.cast::<PyInt>() {
        if let Ok(i) = i.extract::<i64>() {
            return Ok(Value::from(i));
        }
        return i
            .extract::<u64>()
            .map(Value::from)
            .map_err(|_| bad("an integer too large for JSON (64 bits)".to_owned()));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return float(f.value(), nf);
    }
    if let Ok(l) = obj.cast::<PyList>() {
        return sequence(l.iter(), depth, nf);
    }
    if let Ok(t) = obj.cast::<PyTuple>() {
        return sequence(t.iter(), depth, nf);
    }
    // numpy scalars and arrays, where ML code keeps metrics and samples:
    // as `tolist()` gives them (Python ints, floats, bools and lists).
    if is_numpy(obj) {
        if let Ok(native) = obj.call_method0("tolist") {
            // `native` is a strong reference, alive for the call.
            return convert(py, native.as_ptr(), depth + 1, nf);
        }
    }
    let type_name = type_name(obj);
    // yaml.safe_load turns unquoted `2024-01-01` into a `date`; Kubernetes and
    // assay's own parser read it as text.
    let hint = if matches!(type_name.as_str(), "date" | "datetime") {
        "; PyYAML reads unquoted dates and times as objects: quote the value, \
         or read the YAML with `assay.parse`, which keeps the text as Kubernetes does"
    } else {
        "; documents hold dicts, lists, strings, numbers, booleans and None"
    };
    Err(bad(format!("a value of type `{type_name}`{hint}")))
}

fn sequence<'py>(
    items: impl Iterator<Item = Bound<'py, PyAny>>,
    depth: usize,
    nf: NonFinite,
) -> Result<Value, Bad> {
    let mut out = Vec::new();
    for (i, item) in items.enumerate() {
        // `item` is a strong reference, alive for the call.
        match convert(item.py(), item.as_ptr(), depth + 1, nf) {
            Ok(v) => out.push(v),
            Err(mut e) => {
                e.at.push(i.to_string());
                return Err(e);
            }
        }
    }
    Ok(Value::Array(out))
}

fn is_numpy(obj: &Bound<'_, PyAny>) -> bool {
    obj.get_type().module().is_ok_and(|m| {
        m.to_str()
            .is_ok_and(|m| m == "numpy" || m.starts_with("numpy."))
    })
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".to_owned())
}

/// A JSON value as Python objects (dict, list, str, int, float, bool, None).
pub fn to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, v) in map {
                dict.set_item(k, to_py(py, v)?)?;
            }
            dict.into_any()
        }
    })
}
