//! `str` and path arguments. A `str` with a lone surrogate (from
//! `surrogateescape`, or an escape such as `"\ud800"`) has no UTF-8 form:
//! pyo3's `&str` extraction raises `UnicodeEncodeError`; these raise the
//! package's `InputError` naming the argument and where the surrogate is.

use crate::errors::input_error;
use pyo3::exceptions::PyUnicodeEncodeError;
use pyo3::prelude::*;
use pyo3::types::PyString;
use std::path::PathBuf;

/// A `str` with no UTF-8 form.
pub struct NotUnicode {
    /// The surrogate's position, 1-based in characters, when Python said.
    at: Option<usize>,
}

impl NotUnicode {
    /// Where the surrogate is, `"a lone surrogate at character N"`.
    pub fn what(&self) -> String {
        match self.at {
            Some(n) => format!("a lone surrogate at character {n}"),
            None => "a lone surrogate".to_owned(),
        }
    }
}

/// A `UnicodeEncodeError` as `NotUnicode`, with its position (its 0-based
/// `start`, made 1-based); `None` for any other error.
fn not_unicode(py: Python<'_>, e: &PyErr) -> Option<NotUnicode> {
    if !e.is_instance_of::<PyUnicodeEncodeError>(py) {
        return None;
    }
    let start = e.value(py).getattr("start").ok();
    Some(NotUnicode {
        at: start.and_then(|s| s.extract::<usize>().ok()).map(|s| s + 1),
    })
}

/// A `str`'s text.
pub fn utf8<'a>(s: &'a Bound<'_, PyString>) -> Result<&'a str, NotUnicode> {
    s.to_str()
        .map_err(|e| not_unicode(s.py(), &e).unwrap_or(NotUnicode { at: None }))
}

/// The text of the `str` argument `name`, or an `InputError` naming it.
pub fn str_arg<'a>(name: &str, s: &'a Bound<'_, PyString>) -> PyResult<&'a str> {
    utf8(s).map_err(|e| {
        input_error(
            s.py(),
            &format!("`{name}` is not valid Unicode ({})", e.what()),
            None,
        )
    })
}

/// `str_arg` for an argument that may be `None` (not given).
pub fn opt_str_arg<'a>(
    name: &str,
    s: Option<&'a Bound<'_, PyString>>,
) -> PyResult<Option<&'a str>> {
    s.map(|s| str_arg(name, s)).transpose()
}

/// A `str` or `os.PathLike` as a path, as `os.fsencode` makes it: a byte of
/// a file name that is not UTF-8 (`surrogateescape`d, `"\udcff"`) is that
/// byte. Another lone surrogate names no file: an `InputError` naming the
/// argument. Anything else that does not convert keeps pyo3's error (a
/// `TypeError` for a wrong type).
pub fn path_arg(name: &str, obj: &Bound<'_, PyAny>) -> PyResult<PathBuf> {
    let py = obj.py();
    obj.extract::<PathBuf>()
        .map_err(|e| match not_unicode(py, &e) {
            Some(bad) => input_error(
                py,
                &format!(
                    "`{name}` is not a file name ({} that is not an escaped byte)",
                    bad.what()
                ),
                None,
            ),
            None => e,
        })
}
