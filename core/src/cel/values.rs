//! Converting between JSON and CEL values, and the helpers the library
//! functions share.

use cel::common::types::{self, CelBool, CelString};
use cel::common::value::CowVal;
use cel::{ExecutionError, Value};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

const REGEX_CACHE_LIMIT: usize = 512;

thread_local! {
    static REGEX_CACHE: RefCell<HashMap<String, Arc<regex::Regex>>> = RefCell::new(HashMap::new());
}

/// Compiles each distinct pattern once per thread: the `cel` crate's own
/// `matches()` compiles the regex on every call.
pub fn cached_regex(pattern: &str) -> Result<Arc<regex::Regex>, String> {
    if let Some(re) = REGEX_CACHE.with(|c| c.borrow().get(pattern).cloned()) {
        return Ok(re);
    }
    let re = regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .build()
        .map(Arc::new)
        .map_err(|e| format!("`{pattern}` is not a valid regex: {e}"))?;
    REGEX_CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= REGEX_CACHE_LIMIT {
            c.clear();
        }
        c.insert(pattern.to_owned(), re.clone());
    });
    Ok(re)
}

/// Renders a CEL value for a message.
pub fn display(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_string(),
        other => display_nested(other, 0),
    }
}

/// A value as JSON writes it, strings quoted and escaped, map keys sorted:
/// a message holds the same text in every host, and redaction finds the
/// JSON-escaped form of a secret in it (Rust's `Debug` escapes differ).
fn display_nested(v: &Value, depth: usize) -> String {
    const MAX_DEPTH: usize = 32;
    let quoted = |s: &str| serde_json::to_string(s).unwrap_or_default();
    match v {
        Value::String(s) => quoted(s),
        Value::Int(i) => i.to_string(),
        Value::UInt(u) => u.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".to_owned(),
        _ if depth >= MAX_DEPTH => "…".to_owned(),
        Value::List(items) => {
            let items: Vec<String> = items.iter().map(|i| display_nested(i, depth + 1)).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Map(m) => {
            let mut entries: Vec<(String, String)> = m
                .map
                .iter()
                .map(|(k, v)| {
                    let key = match k {
                        cel::objects::Key::String(s) => quoted(s),
                        cel::objects::Key::Int(i) => quoted(&i.to_string()),
                        cel::objects::Key::Uint(u) => quoted(&u.to_string()),
                        cel::objects::Key::Bool(b) => quoted(&b.to_string()),
                    };
                    (key, display_nested(v, depth + 1))
                })
                .collect();
            entries.sort();
            let entries: Vec<String> = entries
                .into_iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
        // An optional (`object.?spec`) shows its value like any other;
        // `Debug` would print a map in hash order, different on each run.
        Value::Opaque(_) => match <&cel::objects::OptionalValue>::try_from(v) {
            Ok(optional) => match optional.value() {
                Some(inner) => format!("optional.of({})", display_nested(inner, depth + 1)),
                None => "optional.none()".to_owned(),
            },
            Err(_) => "an opaque value".to_owned(),
        },
        other => format!("{other:?}"),
    }
}

/// Converts a call argument into a `Value` for the helper functions.
pub(crate) fn arg_value(arg: &CowVal<'_, '_>) -> Result<Value, ExecutionError> {
    Value::try_from(&**arg)
        .map_err(|_| ExecutionError::function_error("argument", "unsupported value"))
}

pub(crate) fn ret<'b, 'v>(v: Value) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let boxed: Box<dyn cel::common::value::Val> = v
        .try_into()
        .map_err(|_| ExecutionError::function_error("result", "unsupported value"))?;
    Ok(CowVal::Owned(boxed))
}

pub(crate) use types::{DYN_TYPE, LIST_TYPE, STRING_TYPE};

/// Borrows a JSON value as a CEL value: strings are not copied, so handing a
/// document to CEL costs one allocation per map, list and scalar node.
pub fn json_val<'v>(v: &'v serde_json::Value) -> Box<dyn cel::common::value::Val + 'v> {
    use cel::common::types::{CelDouble, CelInt, CelList, CelMap, CelMapKey, CelNull, CelUInt};
    match v {
        serde_json::Value::Null => Box::new(CelNull),
        serde_json::Value::Bool(b) => Box::new(CelBool::from(*b)),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Box::new(CelInt::from(i))
            } else if let Some(u) = n.as_u64() {
                Box::new(CelUInt::from(u))
            } else {
                Box::new(CelDouble::from(n.as_f64().unwrap_or(f64::NAN)))
            }
        }
        serde_json::Value::String(s) => Box::new(CelString::from(s.as_str())),
        serde_json::Value::Array(a) => {
            Box::new(CelList::from(a.iter().map(json_val).collect::<Vec<_>>()))
        }
        serde_json::Value::Object(m) => {
            let map: HashMap<CelMapKey<'v>, Box<dyn cel::common::value::Val + 'v>> = m
                .iter()
                .map(|(k, v)| (CelMapKey::from(k.as_str()), json_val(v)))
                .collect();
            Box::new(CelMap::from(map))
        }
    }
}

pub(super) type Args<'b, 'v> = Vec<CowVal<'b, 'v>>;
pub(super) type Out<'b, 'v> = Result<CowVal<'b, 'v>, ExecutionError>;

/// The `i`th argument, which must be a string.
pub(super) fn string_arg(
    args: &Args<'_, '_>,
    i: usize,
    function: &str,
) -> Result<Arc<String>, ExecutionError> {
    match args.get(i).map(arg_value).transpose()? {
        Some(Value::String(s)) => Ok(s),
        _ => Err(ExecutionError::function_error(
            function,
            "expected a string",
        )),
    }
}
