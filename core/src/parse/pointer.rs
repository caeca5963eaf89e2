//! JSON pointers (RFC 6901): looking values up, splitting and building pointers.

use serde_json::Value;
use std::borrow::Cow;

/// The value at a JSON pointer, like `Value::pointer`, without allocating
/// for segments that need no unescaping.
pub fn lookup<'v>(value: &'v Value, pointer: &str) -> Option<&'v Value> {
    if pointer.is_empty() {
        return Some(value);
    }
    let rest = pointer.strip_prefix('/')?;
    rest.split('/').try_fold(value, |target, segment| {
        let segment: Cow<str> = if segment.contains('~') {
            Cow::Owned(segment.replace("~1", "/").replace("~0", "~"))
        } else {
            Cow::Borrowed(segment)
        };
        match target {
            Value::Object(map) => map.get(&*segment),
            Value::Array(list) => {
                let index = segment.parse::<usize>().ok()?;
                // RFC 6901: no leading zeros or signs.
                if segment.starts_with('+') || (segment.starts_with('0') && segment.len() > 1) {
                    return None;
                }
                list.get(index)
            }
            _ => None,
        }
    })
}

/// The unescaped segments of a JSON pointer; `None` when it is not one.
pub fn segments(pointer: &str) -> Option<Vec<String>> {
    if pointer.is_empty() {
        return Some(Vec::new());
    }
    let rest = pointer.strip_prefix('/')?;
    Some(
        rest.split('/')
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect(),
    )
}

/// Appends a JSON pointer segment (RFC 6901 escaping).
pub fn push_segment(pointer: &mut String, segment: &str) {
    pointer.push('/');
    if !segment.bytes().any(|b| b == b'~' || b == b'/') {
        pointer.push_str(segment);
        return;
    }
    for c in segment.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}
