//! Runtime errors of CEL as Assay words them. The interpreter's own
//! messages print operands with Rust's `Debug`: a map's entries come in hash
//! order, so one document gave different messages from run to run and from
//! host to host, and a string operand (a secret, say) was printed whole.
//! Operands are named by type here; numbers, bools and null by value.

use cel::{ExecutionError, Value};

/// The message of a runtime error, the same text in every host.
pub fn describe(e: &ExecutionError) -> String {
    #[allow(deprecated)] // the crate still raises some deprecated variants
    match e {
        ExecutionError::UnsupportedBinaryOperator(op, a, b) => format!(
            "no operator '{}' for {} and {}",
            symbol(op),
            operand(a),
            operand(b)
        ),
        ExecutionError::Overflow(op, a, b) => format!(
            "overflow in '{}' of {} and {}",
            symbol(op),
            operand(a),
            operand(b)
        ),
        ExecutionError::UnsupportedUnaryOperator(op, v) => {
            format!("no operator '{}' for {}", symbol(op), operand(v))
        }
        ExecutionError::ValuesNotComparable(a, b) => {
            format!("{} cannot be compared to {}", operand(a), operand(b))
        }
        ExecutionError::UnsupportedIndex(index, target) => {
            format!("cannot index {} with {}", operand(target), operand(index))
        }
        ExecutionError::UnsupportedMapIndex(index) => {
            format!("cannot index a map with {}", operand(index))
        }
        ExecutionError::UnsupportedListIndex(index) => {
            format!("cannot index a list with {}", operand(index))
        }
        ExecutionError::UnsupportedKeyType(key) => {
            format!("{} cannot be a map key", operand(key))
        }
        ExecutionError::UnsupportedTargetType { target } => {
            format!("invalid argument: {}", operand(target))
        }
        ExecutionError::NotSupportedAsMethod { method, target } => {
            format!("no method '{method}' on {}", operand(target))
        }
        ExecutionError::DivisionByZero(v) => format!("division of {} by zero", operand(v)),
        ExecutionError::RemainderByZero(v) => format!("remainder of {} by zero", operand(v)),
        ExecutionError::IndexOutOfBounds(v) => format!("index {} out of bounds", operand(v)),
        ExecutionError::DuplicateKey(v) => format!("map literal repeats key {}", operand(v)),
        other => other.to_string(),
    }
}

fn symbol(op: &str) -> &str {
    match op {
        "add" => "+",
        "sub" => "-",
        "mul" => "*",
        "div" => "/",
        "rem" => "%",
        "negate" => "-",
        other => other,
    }
}

/// Numbers, bools and null by value (they are short and carry no secret
/// of their own); strings, bytes and containers by type only.
fn operand(v: &Value) -> String {
    match v {
        Value::Int(i) => format!("int {i}"),
        Value::UInt(u) => format!("uint {u}"),
        Value::Float(f) => format!("double {f}"),
        Value::Bool(b) => format!("bool {b}"),
        Value::Null => "null".to_owned(),
        Value::String(_) => "string".to_owned(),
        Value::Bytes(_) => "bytes".to_owned(),
        Value::List(_) => "list".to_owned(),
        Value::Map(_) => "map".to_owned(),
        Value::Duration(_) => "duration".to_owned(),
        Value::Timestamp(_) => "timestamp".to_owned(),
        Value::Function(..) => "function".to_owned(),
        Value::Opaque(_) | Value::Struct(_) => "object".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operands_are_named_by_type_not_printed() {
        let secret: Value = "ghp_abcdefghijklmnopqrstuvwxyz0123456789".into();
        let e = ExecutionError::UnsupportedBinaryOperator("sub", secret, Value::Int(10));
        assert_eq!(describe(&e), "no operator '-' for string and int 10");
        let e = ExecutionError::ValuesNotComparable(Value::Bool(true), Value::Null);
        assert_eq!(describe(&e), "bool true cannot be compared to null");
        let e = ExecutionError::DivisionByZero(Value::Int(7));
        assert_eq!(describe(&e), "division of int 7 by zero");
    }

    #[test]
    fn other_errors_keep_the_interpreters_text() {
        let e = ExecutionError::NoSuchKey(std::sync::Arc::new("replicas".to_owned()));
        assert_eq!(describe(&e), "No such key: replicas");
    }
}
