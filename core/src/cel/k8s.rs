//! Kubernetes CEL library functions (as in ValidatingAdmissionPolicy) and the
//! few helpers config rules need that CEL lacks. Documented in docs/cel.md.

use super::values::{arg_value, cached_regex, ret, DYN_TYPE, LIST_TYPE, STRING_TYPE};
use cel::common::types::CelString;
use cel::common::value::CowVal;
use cel::{DeclarationError, Env, ExecutionError, Value};
use std::cmp::Ordering;
use std::collections::HashMap;
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

/// A Kubernetes resource quantity (`250m`, `1Gi`, `2.5e3`), held exactly in
/// units of 10⁻⁹ (Kubernetes' finest scale); finer values round up, as
/// Kubernetes rounds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quantity {
    nanos: i128,
}

const NANO: i128 = 1_000_000_000;
pub const QUANTITY_TYPE_NAME: &str = "kubernetes.Quantity";

impl cel::objects::Opaque for Quantity {
    fn runtime_type_name(&self) -> &str {
        QUANTITY_TYPE_NAME
    }
}

/// Why a string is not a Kubernetes quantity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    #[error("`{0}` is not a quantity (like `250m`, `1Gi`, `2`)")]
    NotAQuantity(String),
    #[error("`{0}` is too large a quantity")]
    TooLarge(String),
}

impl Quantity {
    pub fn parse(s: &str) -> Result<Quantity, QuantityError> {
        let bad = || QuantityError::NotAQuantity(s.to_owned());
        let s_trim = s.trim();
        if s_trim.is_empty() || s_trim != s {
            return Err(bad());
        }
        let (neg, body) = match s.as_bytes()[0] {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        let num_end = body
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(body.len());
        let (number, suffix) = body.split_at(num_end);
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return Err(bad());
        }
        let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
        // value = digits × 10^exp10 × 2^exp2
        let digits = format!("{int_part}{frac_part}");
        let mut exp10: i32 = -(frac_part.len() as i32);
        let mut exp2: u32 = 0;
        match suffix {
            "" => {}
            "n" => exp10 -= 9,
            "u" => exp10 -= 6,
            "m" => exp10 -= 3,
            "k" => exp10 += 3,
            "M" => exp10 += 6,
            "G" => exp10 += 9,
            "T" => exp10 += 12,
            "P" => exp10 += 15,
            "E" => exp10 += 18,
            "Ki" => exp2 = 10,
            "Mi" => exp2 = 20,
            "Gi" => exp2 = 30,
            "Ti" => exp2 = 40,
            "Pi" => exp2 = 50,
            "Ei" => exp2 = 60,
            other => {
                let e = other
                    .strip_prefix(['e', 'E'])
                    .and_then(|e| e.parse::<i32>().ok())
                    .filter(|e| e.abs() <= 18)
                    .ok_or_else(bad)?;
                exp10 += e;
            }
        }
        let digits = digits.trim_start_matches('0');
        if digits.len() > 30 {
            return Err(QuantityError::TooLarge(s.to_owned()));
        }
        let mantissa: i128 = if digits.is_empty() {
            0
        } else {
            digits.parse().map_err(|_| bad())?
        };
        let scaled = mantissa
            .checked_mul(1i128 << exp2)
            .ok_or_else(|| QuantityError::TooLarge(s.to_owned()))?;
        let exp = exp10 + 9;
        let nanos = if exp >= 0 {
            10i128
                .checked_pow(exp as u32)
                .and_then(|p| scaled.checked_mul(p))
                .ok_or_else(|| QuantityError::TooLarge(s.to_owned()))?
        } else {
            let div = 10i128.checked_pow((-exp) as u32).unwrap_or(i128::MAX);
            (scaled + div - 1) / div
        };
        Ok(Quantity {
            nanos: if neg { -nanos } else { nanos },
        })
    }

    fn from_value(v: &Value, function: &str) -> Result<Quantity, ExecutionError> {
        match v {
            Value::Opaque(o) => o
                .downcast_ref::<Quantity>()
                .copied()
                .ok_or_else(|| ExecutionError::function_error(function, "expected a quantity")),
            Value::Int(i) => Ok(Quantity {
                nanos: *i as i128 * NANO,
            }),
            _ => Err(ExecutionError::function_error(
                function,
                "expected a quantity",
            )),
        }
    }

    fn value(self) -> Value {
        Value::Opaque(Arc::new(self))
    }
}

fn quantity_args(
    args: &Args<'_, '_>,
    function: &str,
) -> Result<(Quantity, Option<Quantity>), ExecutionError> {
    let first = Quantity::from_value(
        &args
            .first()
            .map(arg_value)
            .transpose()?
            .unwrap_or(Value::Null),
        function,
    )?;
    let second = match args.get(1) {
        Some(a) => Some(Quantity::from_value(&arg_value(a)?, function)?),
        None => None,
    };
    Ok((first, second))
}

fn quantity<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let s = string_arg(&args, 0, "quantity")?;
    Quantity::parse(&s)
        .map(|q| q.value())
        .map_err(|e| ExecutionError::function_error("quantity", e.to_string()))
        .and_then(ret)
}

fn is_quantity<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let s = string_arg(&args, 0, "isQuantity")?;
    ret(Value::Bool(Quantity::parse(&s).is_ok()))
}

fn q_compare<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let (a, b) = quantity_args(&args, "compareTo")?;
    let b = b.ok_or_else(|| ExecutionError::function_error("compareTo", "missing argument"))?;
    ret(Value::Int(match a.cmp(&b) {
        Ordering::Less => -1,
        Ordering::Equal => 0,
        Ordering::Greater => 1,
    }))
}

fn q_less<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let (a, b) = quantity_args(&args, "isLessThan")?;
    ret(Value::Bool(Some(a) < b))
}

fn q_greater<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let (a, b) = quantity_args(&args, "isGreaterThan")?;
    ret(Value::Bool(b.is_some_and(|b| a > b)))
}

fn q_add<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let (a, b) = quantity_args(&args, "add")?;
    let nanos = a
        .nanos
        .checked_add(b.map_or(0, |b| b.nanos))
        .ok_or_else(|| ExecutionError::function_error("add", "overflow"))?;
    ret(Quantity { nanos }.value())
}

fn q_sub<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let (a, b) = quantity_args(&args, "sub")?;
    let nanos = a
        .nanos
        .checked_sub(b.map_or(0, |b| b.nanos))
        .ok_or_else(|| ExecutionError::function_error("sub", "overflow"))?;
    ret(Quantity { nanos }.value())
}

fn q_is_integer<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let (a, _) = quantity_args(&args, "isInteger")?;
    ret(Value::Bool(
        a.nanos % NANO == 0 && i64::try_from(a.nanos / NANO).is_ok(),
    ))
}

fn q_as_integer<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let (a, _) = quantity_args(&args, "asInteger")?;
    if a.nanos % NANO != 0 {
        return Err(ExecutionError::function_error(
            "asInteger",
            "quantity is not an integer",
        ));
    }
    i64::try_from(a.nanos / NANO)
        .map(Value::Int)
        .map_err(|_| ExecutionError::function_error("asInteger", "quantity overflows int"))
        .and_then(ret)
}

fn q_as_float<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let (a, _) = quantity_args(&args, "asApproximateFloat")?;
    ret(Value::Float(a.nanos as f64 / NANO as f64))
}

fn q_sign<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let (a, _) = quantity_args(&args, "sign")?;
    ret(Value::Int(a.nanos.signum() as i64))
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

#[cfg(test)]
mod tests {
    use super::Quantity;

    #[test]
    fn quantities() {
        let q = |s: &str| Quantity::parse(s).map(|q| q.nanos);
        assert_eq!(q("250m"), Ok(250_000_000));
        assert_eq!(q("1Gi"), Ok((1i128 << 30) * 1_000_000_000));
        assert_eq!(q("1.5"), Ok(1_500_000_000));
        assert_eq!(q("2e3"), Ok(2_000_000_000_000));
        assert_eq!(q("-1k"), Ok(-1_000_000_000_000));
        assert_eq!(q("1n"), Ok(1));
        assert!(q("abc").is_err());
        assert!(q("1Xi").is_err());
        assert!(q("").is_err());
        assert!(q("1.2.3").is_err());
        assert!(Quantity::parse("500m") < Quantity::parse("1"));
    }
}
