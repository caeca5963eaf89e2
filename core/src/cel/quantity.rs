//! Kubernetes quantities in CEL (`quantity("250m")`), exact to 10⁻⁹.

use super::values::{arg_value, ret, string_arg, Args, Out};
use cel::{ExecutionError, Value};
use std::cmp::Ordering;
use std::sync::Arc;

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

pub(super) fn quantity<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let s = string_arg(&args, 0, "quantity")?;
    Quantity::parse(&s)
        .map(|q| q.value())
        .map_err(|e| ExecutionError::function_error("quantity", e.to_string()))
        .and_then(ret)
}

pub(super) fn is_quantity<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let s = string_arg(&args, 0, "isQuantity")?;
    ret(Value::Bool(Quantity::parse(&s).is_ok()))
}

pub(super) fn q_compare<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let (a, b) = quantity_args(&args, "compareTo")?;
    let b = b.ok_or_else(|| ExecutionError::function_error("compareTo", "missing argument"))?;
    ret(Value::Int(match a.cmp(&b) {
        Ordering::Less => -1,
        Ordering::Equal => 0,
        Ordering::Greater => 1,
    }))
}

pub(super) fn q_less<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let (a, b) = quantity_args(&args, "isLessThan")?;
    ret(Value::Bool(Some(a) < b))
}

pub(super) fn q_greater<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let (a, b) = quantity_args(&args, "isGreaterThan")?;
    ret(Value::Bool(b.is_some_and(|b| a > b)))
}

pub(super) fn q_add<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let (a, b) = quantity_args(&args, "add")?;
    let nanos = a
        .nanos
        .checked_add(b.map_or(0, |b| b.nanos))
        .ok_or_else(|| ExecutionError::function_error("add", "overflow"))?;
    ret(Quantity { nanos }.value())
}

pub(super) fn q_sub<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let (a, b) = quantity_args(&args, "sub")?;
    let nanos = a
        .nanos
        .checked_sub(b.map_or(0, |b| b.nanos))
        .ok_or_else(|| ExecutionError::function_error("sub", "overflow"))?;
    ret(Quantity { nanos }.value())
}

pub(super) fn q_is_integer<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let (a, _) = quantity_args(&args, "isInteger")?;
    ret(Value::Bool(
        a.nanos % NANO == 0 && i64::try_from(a.nanos / NANO).is_ok(),
    ))
}

pub(super) fn q_as_integer<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
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

pub(super) fn q_as_float<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let (a, _) = quantity_args(&args, "asApproximateFloat")?;
    ret(Value::Float(a.nanos as f64 / NANO as f64))
}

pub(super) fn q_sign<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let (a, _) = quantity_args(&args, "sign")?;
    ret(Value::Int(a.nanos.signum() as i64))
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
        let ordered =
            matches!((Quantity::parse("500m"), Quantity::parse("1")), (Ok(a), Ok(b)) if a < b);
        assert!(ordered);
    }
}
