//! What can be known wrong in an expression before it runs: unknown
//! variables and functions, constant regexes that do not compile.

use super::env::VARIABLES;
use super::values::cached_regex;

/// Functions rules may call, for catching typos when a policy loads (the
/// `cel` crate does not expose its declarations). Operators and the
/// internal names macros expand to start with a non-letter or hold `@`.
pub(super) const KNOWN_FUNCTIONS: &[&str] = &[
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

fn is_known_function(name: &str) -> bool {
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
