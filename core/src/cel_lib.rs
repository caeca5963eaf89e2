//! The CEL environment rules run in: the standard library, cel-go's string,
//! list and math extensions, and the Kubernetes library functions.
//! Built once per process; the `cel` crate's `Context::default()` would
//! rebuild it on every call.

use cel::common::types::{self, CelBool, CelString};
use cel::common::value::CowVal;
use cel::{Env, ExecutionError, Value};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// Variables a rule can read.
pub const VARIABLES: [&str; 6] = [
    "object",
    "oldObject",
    "params",
    "env",
    "request",
    "embedded",
];

static ENV: OnceLock<Arc<Env>> = OnceLock::new();

pub fn env() -> Arc<Env> {
    ENV.get_or_init(|| Arc::new(build_env())).clone()
}

fn build_env() -> Env {
    let mut env = Env::stdlib();
    // Each registration below is of a name the stdlib (built without its
    // `regex` feature) does not declare, so none of them can fail.
    let results = [
        env.add_extension(cel::extensions::strings),
        env.add_extension(cel::extensions::lists),
        env.add_extension(cel::extensions::math),
        env.add_extension(cel::extensions::encoders),
        cel::add_member_overload!(env, fn matches: (CelString, CelString) -> Result<CelBool>),
        cel::add_overload!(env, fn matches: (CelString, CelString) -> Result<CelBool>, id = "matches"),
        crate::k8s_cel::register(&mut env),
    ];
    debug_assert!(results.iter().all(Result::is_ok), "{results:?}");
    env
}

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

fn matches(this: &CelString<'_>, re: &CelString<'_>) -> Result<CelBool, ExecutionError> {
    let compiled =
        cached_regex(re.inner()).map_err(|m| ExecutionError::function_error("matches", m))?;
    Ok(CelBool::from(compiled.is_match(this.inner())))
}

/// Converts a JSON value into a CEL value.
pub fn to_cel(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::Int(i)
            } else if let Some(u) = n.as_u64() {
                Value::UInt(u)
            } else {
                Value::Float(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        serde_json::Value::String(s) => Value::String(Arc::new(s.clone())),
        serde_json::Value::Array(a) => Value::List(Arc::new(a.iter().map(to_cel).collect())),
        serde_json::Value::Object(m) => {
            let map: HashMap<cel::objects::Key, Value> = m
                .iter()
                .map(|(k, v)| (cel::objects::Key::String(Arc::new(k.clone())), to_cel(v)))
                .collect();
            Value::Map(cel::objects::Map { map: Arc::new(map) })
        }
    }
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

/// Functions rules may call, for catching typos when a policy loads (the
/// `cel` crate does not expose its declarations). Operators and the
/// internal names macros expand to start with a non-letter or hold `@`.
const KNOWN_FUNCTIONS: &[&str] = &[
    // standard library
    "size",
    "contains",
    "startsWith",
    "endsWith",
    "matches",
    "int",
    "uint",
    "double",
    "string",
    "bytes",
    "bool",
    "type",
    "dyn",
    "duration",
    "timestamp",
    "getDate",
    "getDayOfMonth",
    "getDayOfWeek",
    "getDayOfYear",
    "getFullYear",
    "getHours",
    "getMilliseconds",
    "getMinutes",
    "getMonth",
    "getSeconds",
    "hasValue",
    "value",
    "or",
    "orValue",
    "optional.of",
    "optional.none",
    "optional.ofNonZeroValue",
    "base64.decode",
    "base64.encode",
    // strings, lists and math extensions
    "charAt",
    "indexOf",
    "lastIndexOf",
    "lowerAscii",
    "upperAscii",
    "trim",
    "replace",
    "split",
    "substring",
    "join",
    "strings.quote",
    "reverse",
    "slice",
    "flatten",
    "distinct",
    "sort",
    "lists.range",
    "math.abs",
    "math.bitAnd",
    "math.bitNot",
    "math.bitOr",
    "math.bitShiftLeft",
    "math.bitShiftRight",
    "math.bitXor",
    "math.ceil",
    "math.floor",
    "math.isFinite",
    "math.isInf",
    "math.isNaN",
    "math.round",
    "math.sign",
    "math.sqrt",
    "math.trunc",
    "math.greatest",
    "math.least",
    // Kubernetes library and Assay helpers (k8s_cel.rs)
    "sum",
    "min",
    "max",
    "isSorted",
    "find",
    "findAll",
    "parseModelList",
    "imageRepository",
    "quantity",
    "isQuantity",
    "compareTo",
    "isLessThan",
    "isGreaterThan",
    "add",
    "sub",
    "isInteger",
    "asInteger",
    "asApproximateFloat",
    "sign",
    "url",
    "isURL",
    "getScheme",
    "getHost",
    "getHostname",
    "getPort",
    "getEscapedPath",
    "getQuery",
];

pub fn is_known_function(name: &str) -> bool {
    !name.starts_with(|c: char| c.is_ascii_alphabetic())
        || name.contains('@')
        || KNOWN_FUNCTIONS.contains(&name)
}

/// Functions whose regex argument is compiled when called.
const REGEX_FUNCTIONS: [&str; 3] = ["matches", "find", "findAll"];

/// Why the regex of a `matches`/`find`/`findAll` call does not compile,
/// when it is a string literal: `x.matches(re)` or `matches(x, re)`.
fn constant_regex_error(call: &cel::common::ast::CallExpr) -> Option<String> {
    use cel::common::ast::{Expr, LiteralValue};
    if !REGEX_FUNCTIONS.contains(&call.func_name.as_str()) {
        return None;
    }
    let regex = call.args.get(usize::from(call.target.is_none()))?;
    let Expr::Literal(LiteralValue::String(pattern)) = &regex.expr else {
        return None;
    };
    let pattern = pattern.inner();
    let error = cached_regex(pattern).err()?;
    // regex's own message draws a caret under the pattern; its last line says why.
    let last = error.lines().last().unwrap_or_default().trim();
    let why = last.strip_prefix("error: ").unwrap_or(last);
    Some(format!(
        "`{}`: the regex `{pattern}` does not compile: {why}",
        call.func_name
    ))
}

/// Type identifiers an expression may name, as in `type(x) == int`.
const TYPE_NAMES: [&str; 10] = [
    "int",
    "uint",
    "double",
    "bool",
    "string",
    "bytes",
    "list",
    "map",
    "null_type",
    "type",
];

const NAMESPACES: [&str; 5] = ["math", "strings", "lists", "base64", "optional"];

/// The first error in `expr` that is known before running it, as a
/// message: an unknown variable or function, or a constant regex that does
/// not compile (it would fail every document). Variables bound by macros
/// (`all`, `map`, ...) are known inside their macro only.
pub fn static_error(expr: &cel::IdedExpr) -> Option<String> {
    use cel::common::ast::{EntryExpr, Expr};
    let mut bound: Vec<&str> = Vec::new();
    // (expression, number of bound names to drop after it)
    let mut stack: Vec<(&cel::IdedExpr, usize)> = vec![(expr, 0)];
    while let Some((e, unbind)) = stack.pop() {
        for _ in 0..unbind {
            bound.pop();
        }
        match &e.expr {
            Expr::Ident(name) => {
                if !name.starts_with('@')
                    && !VARIABLES.contains(&name.as_str())
                    && !TYPE_NAMES.contains(&name.as_str())
                    && !bound.contains(&name.as_str())
                {
                    return Some(format!(
                        "unknown variable `{name}`; rules can use {}",
                        VARIABLES.join(", ")
                    ));
                }
            }
            Expr::Call(call) => {
                let namespace = match call.target.as_deref().map(|t| &t.expr) {
                    Some(Expr::Ident(ns)) if NAMESPACES.contains(&ns.as_str()) => Some(ns.as_str()),
                    _ => None,
                };
                let full = match namespace {
                    Some(ns) => format!("{ns}.{}", call.func_name),
                    None => call.func_name.clone(),
                };
                if !is_known_function(&full) {
                    return Some(format!("unknown function `{full}`"));
                }
                if let Some(message) = constant_regex_error(call) {
                    return Some(message);
                }
                if namespace.is_none() {
                    if let Some(t) = &call.target {
                        stack.push((t, 0));
                    }
                }
                stack.extend(call.args.iter().map(|a| (a, 0)));
            }
            Expr::Comprehension(c) => {
                // Range and init see the outer scope; the loop sees its variables.
                let mut names = vec![c.iter_var.as_str(), c.accu_var.as_str()];
                names.extend(c.iter_var2.as_deref());
                let n = names.len();
                stack.push((&c.iter_range, 0));
                stack.push((&c.accu_init, 0));
                // The sentinel after the loop body drops the names again.
                stack.push((&SENTINEL, n));
                stack.push((&c.result, 0));
                stack.push((&c.loop_step, 0));
                stack.push((&c.loop_cond, 0));
                bound.extend(names);
            }
            Expr::Select(s) => stack.push((&s.operand, 0)),
            Expr::List(l) => stack.extend(l.elements.iter().map(|x| (x, 0))),
            Expr::Map(m) => {
                for entry in &m.entries {
                    match &entry.expr {
                        EntryExpr::MapEntry(me) => {
                            stack.push((&me.key, 0));
                            stack.push((&me.value, 0));
                        }
                        EntryExpr::StructField(f) => stack.push((&f.value, 0)),
                    }
                }
            }
            Expr::Struct(s) => {
                for entry in &s.entries {
                    if let EntryExpr::StructField(f) = &entry.expr {
                        stack.push((&f.value, 0));
                    }
                }
            }
            Expr::Literal(_) | Expr::Unspecified => {}
        }
    }
    None
}

static SENTINEL: cel::IdedExpr = cel::IdedExpr {
    id: 0,
    expr: cel::common::ast::Expr::Unspecified,
};

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

pub fn json_val_str(s: &str) -> Box<dyn cel::common::value::Val + '_> {
    Box::new(CelString::from(s))
}
