//! Python objects to `serde_json::Value` and back, directly: no JSON text
//! in between, since that would double the cost of `validate(dict)`.

use crate::errors::input_error;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Number, Value};

/// Deeper than any manifest; stops cycles (`d["self"] = d`) too.
const MAX_DEPTH: usize = 256;

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

/// A Python document (dict, list, str, int, float, bool, None; tuples as
/// lists) as a JSON value. Anything else is an `InputError` naming where.
pub fn to_value(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    convert(obj, 0).map_err(|e| {
        let mut path = String::new();
        for segment in e.at.iter().rev() {
            assay_core::source::push_segment(&mut path, segment);
        }
        let at = if path.is_empty() { "/" } else { path.as_str() };
        input_error(obj.py(), &format!("`{at}`: {}", e.message), None)
    })
}

fn convert(obj: &Bound<'_, PyAny>, depth: usize) -> Result<Value, Bad> {
    if depth > MAX_DEPTH {
        return Err(bad(format!(
            "nested more than {MAX_DEPTH} levels deep (is the document cyclic?)"
        )));
    }
    // Most values of a manifest are strings and mappings: test those first.
    if let Ok(s) = obj.cast::<PyString>() {
        return s
            .to_str()
            .map(|s| Value::String(s.to_owned()))
            .map_err(|_| bad("a string that is not valid Unicode".to_owned()));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut map = Map::new();
        for (k, v) in d.iter() {
            let Ok(k) = k.cast::<PyString>() else {
                return Err(bad(format!(
                    "a key of type `{}`; keys must be strings",
                    type_name(&k)
                )));
            };
            let key = k
                .to_str()
                .map_err(|_| bad("a key that is not valid Unicode".to_owned()))?;
            match convert(&v, depth + 1) {
                Ok(value) => map.insert(key.to_owned(), value),
                Err(mut e) => {
                    e.at.push(key.to_owned());
                    return Err(e);
                }
            };
        }
        return Ok(Value::Object(map));
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
        return Number::from_f64(f.value())
            .map(Value::Number)
            .ok_or_else(|| bad("NaN or infinity, which JSON cannot hold".to_owned()));
    }
    if let Ok(l) = obj.cast::<PyList>() {
        return sequence(l.iter(), depth);
    }
    if let Ok(t) = obj.cast::<PyTuple>() {
        return sequence(t.iter(), depth);
    }
    Err(bad(format!(
        "a value of type `{}`; documents hold dicts, lists, strings, numbers, booleans and None",
        type_name(obj)
    )))
}

fn sequence<'py>(
    items: impl Iterator<Item = Bound<'py, PyAny>>,
    depth: usize,
) -> Result<Value, Bad> {
    let mut out = Vec::new();
    for (i, item) in items.enumerate() {
        match convert(&item, depth + 1) {
            Ok(v) => out.push(v),
            Err(mut e) => {
                e.at.push(i.to_string());
                return Err(e);
            }
        }
    }
    Ok(Value::Array(out))
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
