//! Kubernetes CEL library functions (as in ValidatingAdmissionPolicy) and the
//! few helpers config rules need that CEL lacks. Documented in docs/cel.md.

use super::quantity::{
    is_quantity, q_add, q_as_float, q_as_integer, q_compare, q_greater, q_is_integer, q_less,
    q_sign, q_sub, quantity, QUANTITY_TYPE_NAME,
};
use super::values::{
    arg_value, cached_regex, ret, string_arg, Args, Out, DYN_TYPE, LIST_TYPE, STRING_TYPE,
};
use cel::common::types::CelString;
use cel::common::value::CowVal;
use cel::{DeclarationError, Env, ExecutionError, Value};
use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

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
    env.add_overload(
        "imageRepository",
        "imageRepository(string)",
        vec![STRING_TYPE],
        image_repository,
    )?;
    register_types(env)
}

/// `imageRepository("registry:5000/team/model:v2@sha256:…")` →
/// `"registry:5000/team/model"`: the image without its tag and digest.
fn image_repository<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let image: &str = args
        .first()
        .and_then(|a| <&str>::try_from(&**a).ok())
        .ok_or_else(|| ExecutionError::function_error("imageRepository", "expected a string"))?;
    let name = image.split('@').next().unwrap_or(image);
    // A `:` after the last `/` starts the tag; one before it is a registry port.
    let repository = match (name.rfind(':'), name.rfind('/')) {
        (Some(colon), slash) if slash.is_none_or(|s| colon > s) => &name[..colon],
        _ => name,
    };
    Ok(CowVal::Owned(Box::new(CelString::from(
        repository.to_owned(),
    ))))
}

fn list_of(args: &Args<'_, '_>) -> Result<Arc<Vec<Value>>, ExecutionError> {
    match args.first().map(arg_value).transpose()? {
        Some(Value::List(l)) => Ok(l),
        _ => Err(ExecutionError::function_error("list", "expected a list")),
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
    use cel::common::types::{CelList, CelMap, CelMapKey};
    use cel::common::value::Val;
    let text: &str = args
        .first()
        .and_then(|a| <&str>::try_from(&**a).ok())
        .ok_or_else(|| ExecutionError::function_error("parseModelList", "expected a string"))?;
    let mut out: Vec<Box<dyn Val + 'v>> = Vec::new();
    for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let Some((name, version)) = entry.split_once(':') else {
            return Err(ExecutionError::function_error(
                "parseModelList",
                format!("`{entry}` is not name:version"),
            ));
        };
        let field = |k: &'static str, v: &str| -> (CelMapKey<'v>, Box<dyn Val + 'v>) {
            (
                CelMapKey::from(k),
                Box::new(CelString::from(v.trim().to_owned())),
            )
        };
        let map: HashMap<_, _> = [field("name", name), field("version", version)].into();
        out.push(Box::new(CelMap::from(map)));
    }
    Ok(CowVal::Owned(Box::new(CelList::from(out))))
}

fn parse_url(args: &Args<'_, '_>, function: &str) -> Result<url::Url, ExecutionError> {
    let s = match args.first().map(arg_value).transpose()? {
        Some(Value::String(s)) => s,
        Some(Value::Opaque(o)) => match o.downcast_ref::<CelUrl>() {
            Some(u) => return Ok(u.0.clone()),
            None => return Err(ExecutionError::function_error(function, "expected a URL")),
        },
        _ => return Err(ExecutionError::function_error(function, "expected a URL")),
    };
    url::Url::parse(&s)
        .map_err(|e| ExecutionError::function_error(function, format!("`{s}` is not a URL: {e}")))
}

/// A parsed URL, as returned by `url()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CelUrl(url::Url);
pub const URL_TYPE_NAME: &str = "kubernetes.URL";

impl cel::objects::Opaque for CelUrl {
    fn runtime_type_name(&self) -> &str {
        URL_TYPE_NAME
    }
}

fn url_new<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let u = parse_url(&args, "url")?;
    ret(Value::Opaque(Arc::new(CelUrl(u))))
}

fn is_url<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let s = string_arg(&args, 0, "isURL")?;
    ret(Value::Bool(url::Url::parse(&s).is_ok()))
}

fn url_part<'b, 'v>(
    args: Args<'b, 'v>,
    function: &str,
    part: fn(&url::Url) -> String,
) -> Out<'b, 'v> {
    let u = parse_url(&args, function)?;
    ret(Value::String(Arc::new(part(&u))))
}

fn url_scheme<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    url_part(args, "getScheme", |u| u.scheme().to_owned())
}

fn url_host<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    url_part(args, "getHost", |u| {
        let host = u.host_str().unwrap_or("").to_owned();
        match u.port() {
            Some(p) => format!("{host}:{p}"),
            None => host,
        }
    })
}

fn url_hostname<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    url_part(args, "getHostname", |u| {
        u.host_str()
            .unwrap_or("")
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned()
    })
}

fn url_port<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    url_part(args, "getPort", |u| {
        u.port().map(|p| p.to_string()).unwrap_or_default()
    })
}

fn url_path<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    url_part(args, "getEscapedPath", |u| u.path().to_owned())
}

fn url_query<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let u = parse_url(&args, "getQuery")?;
    let mut map: std::collections::HashMap<cel::objects::Key, Vec<Value>> = Default::default();
    for (k, v) in u.query_pairs() {
        map.entry(cel::objects::Key::String(Arc::new(k.into_owned())))
            .or_default()
            .push(Value::String(Arc::new(v.into_owned())));
    }
    let map = map
        .into_iter()
        .map(|(k, v)| (k, Value::List(Arc::new(v))))
        .collect();
    ret(Value::Map(cel::objects::Map { map: Arc::new(map) }))
}

pub fn register_types(env: &mut Env) -> Result<(), DeclarationError> {
    use cel::common::types::Type;
    // `Type` is not `Clone`; each registration gets its own.
    let q = || Type::new_opaque_type(QUANTITY_TYPE_NAME);
    let u = || Type::new_opaque_type(URL_TYPE_NAME);
    env.add_overload("quantity", "quantity(string)", vec![STRING_TYPE], quantity)?;
    env.add_overload(
        "isQuantity",
        "isQuantity(string)",
        vec![STRING_TYPE],
        is_quantity,
    )?;
    for (name, f) in [
        ("compareTo", q_compare as cel::common::functions::Function),
        ("isLessThan", q_less),
        ("isGreaterThan", q_greater),
        ("add", q_add),
        ("sub", q_sub),
    ] {
        env.add_member_overload(
            name,
            &format!("quantity.{name}(quantity)"),
            q(),
            vec![q()],
            f,
        )?;
    }
    env.add_member_overload(
        "add",
        "quantity.add(int)",
        q(),
        vec![cel::common::types::INT_TYPE],
        q_add,
    )?;
    env.add_member_overload(
        "sub",
        "quantity.sub(int)",
        q(),
        vec![cel::common::types::INT_TYPE],
        q_sub,
    )?;
    for (name, f) in [
        (
            "isInteger",
            q_is_integer as cel::common::functions::Function,
        ),
        ("asInteger", q_as_integer),
        ("asApproximateFloat", q_as_float),
        ("sign", q_sign),
    ] {
        env.add_member_overload(name, &format!("quantity.{name}()"), q(), vec![], f)?;
    }
    env.add_overload("url", "url(string)", vec![STRING_TYPE], url_new)?;
    env.add_overload("isURL", "isURL(string)", vec![STRING_TYPE], is_url)?;
    for (name, f) in [
        ("getScheme", url_scheme as cel::common::functions::Function),
        ("getHost", url_host),
        ("getHostname", url_hostname),
        ("getPort", url_port),
        ("getEscapedPath", url_path),
        ("getQuery", url_query),
    ] {
        env.add_member_overload(name, &format!("url.{name}()"), u(), vec![], f)?;
    }
    env.add_type(q())?;
    env.add_type(u())?;
    Ok(())
}
