//! Kubernetes CEL library functions (as in ValidatingAdmissionPolicy) and the
//! few helpers config rules need that CEL lacks. Documented in docs/cel.md.

use crate::cel_lib::{arg_value, cached_regex, ret, DYN_TYPE, LIST_TYPE, STRING_TYPE};
use cel::common::value::CowVal;
use cel::{DeclarationError, Env, ExecutionError, Value};
use std::cmp::Ordering;
use std::sync::Arc;

type Args<'b, 'v> = Vec<CowVal<'b, 'v>>;
type Out<'b, 'v> = Result<CowVal<'b, 'v>, ExecutionError>;

pub fn register(env: &mut Env) -> Result<(), DeclarationError> {
    env.add_member_overload("sum", "list.sum()", LIST_TYPE, vec![], list_sum)?;
    env.add_member_overload("min", "list.min()", LIST_TYPE, vec![], list_min)?;
    env.add_member_overload("max", "list.max()", LIST_TYPE, vec![], list_max)?;
    env.add_member_overload(
        "isSorted",
        "list.isSorted()",
        LIST_TYPE,
        vec![],
        list_is_sorted,
    )?;
    env.add_member_overload(
        "indexOf",
        "list.indexOf(dyn)",
        LIST_TYPE,
        vec![DYN_TYPE],
        list_index_of,
    )?;
    env.add_member_overload(
        "lastIndexOf",
        "list.lastIndexOf(dyn)",
        LIST_TYPE,
        vec![DYN_TYPE],
        list_last_index_of,
    )?;
    env.add_member_overload(
        "find",
        "string.find(string)",
        STRING_TYPE,
        vec![STRING_TYPE],
        find,
    )?;
    env.add_member_overload(
        "findAll",
        "string.findAll(string)",
        STRING_TYPE,
        vec![STRING_TYPE],
        find_all,
    )?;
    env.add_overload(
        "parseModelList",
        "parseModelList(string)",
        vec![STRING_TYPE],
        parse_model_list,
    )?;
    Ok(())
}

fn list_of(args: &Args<'_, '_>) -> Result<Arc<Vec<Value>>, ExecutionError> {
    match args.first().map(arg_value).transpose()? {
        Some(Value::List(l)) => Ok(l),
        _ => Err(ExecutionError::function_error("list", "expected a list")),
    }
}

fn string_arg(
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

fn compare(a: &Value, b: &Value) -> Result<Ordering, ExecutionError> {
    let num = |v: &Value| match v {
        Value::Int(i) => Some(*i as f64),
        Value::UInt(u) => Some(*u as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    };
    match (a, b) {
        (Value::String(x), Value::String(y)) => Ok(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Ok(x.cmp(y)),
        _ => match (num(a), num(b)) {
            (Some(x), Some(y)) => x
                .partial_cmp(&y)
                .ok_or_else(|| ExecutionError::function_error("compare", "NaN is not ordered")),
            _ => Err(ExecutionError::function_error(
                "compare",
                "list elements are not comparable",
            )),
        },
    }
}

fn list_sum<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let list = list_of(&args)?;
    let mut int_sum: i64 = 0;
    let mut float_sum = 0.0;
    let mut is_float = false;
    for v in list.iter() {
        match v {
            Value::Int(i) => {
                int_sum = int_sum
                    .checked_add(*i)
                    .ok_or_else(|| ExecutionError::function_error("sum", "integer overflow"))?
            }
            Value::UInt(u) => int_sum = int_sum.saturating_add(*u as i64),
            Value::Float(f) => {
                is_float = true;
                float_sum += f
            }
            _ => {
                return Err(ExecutionError::function_error(
                    "sum",
                    "list holds a non-number",
                ))
            }
        }
    }
    ret(if is_float {
        Value::Float(float_sum + int_sum as f64)
    } else {
        Value::Int(int_sum)
    })
}

fn extreme<'b, 'v>(args: Args<'b, 'v>, want: Ordering, name: &str) -> Out<'b, 'v> {
    let list = list_of(&args)?;
    let mut best: Option<&Value> = None;
    for v in list.iter() {
        best = match best {
            Some(b) if compare(v, b)? != want => Some(b),
            _ => Some(v),
        };
    }
    match best {
        Some(v) => ret(v.clone()),
        None => Err(ExecutionError::function_error(name, "empty list")),
    }
}

fn list_min<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    extreme(args, Ordering::Less, "min")
}

fn list_max<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    extreme(args, Ordering::Greater, "max")
}

fn list_is_sorted<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let list = list_of(&args)?;
    for w in list.windows(2) {
        if compare(&w[0], &w[1])? == Ordering::Greater {
            return ret(Value::Bool(false));
        }
    }
    ret(Value::Bool(true))
}

fn list_index_of<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let list = list_of(&args)?;
    let needle = args
        .get(1)
        .map(arg_value)
        .transpose()?
        .unwrap_or(Value::Null);
    ret(Value::Int(
        list.iter()
            .position(|v| *v == needle)
            .map_or(-1, |i| i as i64),
    ))
}

fn list_last_index_of<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let list = list_of(&args)?;
    let needle = args
        .get(1)
        .map(arg_value)
        .transpose()?
        .unwrap_or(Value::Null);
    ret(Value::Int(
        list.iter()
            .rposition(|v| *v == needle)
            .map_or(-1, |i| i as i64),
    ))
}

fn find<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let s = string_arg(&args, 0, "find")?;
    let re = cached_regex(&string_arg(&args, 1, "find")?)
        .map_err(|m| ExecutionError::function_error("find", m))?;
    let found = re
        .find(&s)
        .map(|m| m.as_str().to_owned())
        .unwrap_or_default();
    ret(Value::String(Arc::new(found)))
}

fn find_all<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let s = string_arg(&args, 0, "findAll")?;
    let re = cached_regex(&string_arg(&args, 1, "findAll")?)
        .map_err(|m| ExecutionError::function_error("findAll", m))?;
    let all = re
        .find_iter(&s)
        .map(|m| Value::String(Arc::new(m.as_str().to_owned())))
        .collect();
    ret(Value::List(Arc::new(all)))
}

/// `parseModelList("fraud:production,other:latest")` → list of `{name, version}`
/// maps, for `PRELOAD_MODELS`-style settings; an entry without `:` is an error.
fn parse_model_list<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let s = string_arg(&args, 0, "parseModelList")?;
    let mut out = Vec::new();
    for entry in s.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let Some((name, version)) = entry.split_once(':') else {
            return Err(ExecutionError::function_error(
                "parseModelList",
                format!("`{entry}` is not name:version"),
            ));
        };
        let map = serde_json::json!({"name": name.trim(), "version": version.trim()});
        out.push(crate::cel_lib::to_cel(&map));
    }
    ret(Value::List(Arc::new(out)))
}
