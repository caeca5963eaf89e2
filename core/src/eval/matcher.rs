//! Which documents a policy applies to: its `match` against the
//! document's identity and labels.

use crate::parse::lookup;
use crate::policy::MatchSpec;
use serde_json::Value;

/// What names a document and chooses the policies that apply to it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Identity<'a> {
    pub kind: Option<&'a str>,
    pub name: Option<&'a str>,
    pub namespace: Option<&'a str>,
}

impl<'a> Identity<'a> {
    pub fn of(doc: &'a Value) -> Identity<'a> {
        let text = |p: &str| lookup(doc, p).and_then(Value::as_str);
        Identity {
            kind: text("/kind"),
            name: text("/metadata/name"),
            namespace: text("/metadata/namespace"),
        }
    }
}

/// Whether `m` takes the document `id` names; `has_label(key, value)`
/// tells whether the document has that label.
pub(crate) fn matches(
    m: &MatchSpec,
    id: &Identity,
    has_label: impl Fn(&str, &str) -> bool,
) -> bool {
    let (kind, name, namespace) = (
        id.kind.unwrap_or(""),
        id.name.unwrap_or(""),
        id.namespace.unwrap_or(""),
    );
    (m.kinds.is_empty() || m.kinds.iter().any(|k| k == kind))
        && (m.names.is_empty() || m.names.iter().any(|p| glob(p, name)))
        && (m.namespaces.is_empty() || m.namespaces.iter().any(|p| glob(p, namespace)))
        && m.labels.iter().all(|(k, v)| has_label(k, v))
}

/// Whether `text` matches `pattern`, where `*` matches any run of
/// characters (`/` included) and everything else matches itself. Linear:
/// each literal part is found once, leftmost, and the last one anchored at
/// the end, which for `*`-only patterns is the same as backtracking.
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::glob;
    use proptest::prelude::*;

    #[test]
    fn globs() {
        assert!(glob("ml-*", "ml-pipeline-prod"));
        assert!(glob("*-prod", "ml-pipeline-prod"));
        assert!(glob("a*b*c", "aXXbYYc"));
        assert!(!glob("ml-*", "fraud"));
        assert!(glob("exact", "exact"));
        assert!(!glob("exact", "exactly"));
        assert!(glob("/data/TEST_*", "/data/TEST_TOKEN"));
        assert!(glob("/data/*/key", "/data/a/b/key"));
        assert!(!glob("a*a", "a"));
        assert!(glob("*", ""));
        assert!(glob("**", "x"));
        assert!(!glob("*ab*b", "ab"));
    }

    /// The same answers as a regex with `.*` for each `*`.
    fn reference(pattern: &str, text: &str) -> bool {
        let parts: Vec<String> = pattern.split('*').map(regex::escape).collect();
        regex::Regex::new(&format!("(?s)^{}$", parts.join(".*")))
            .map(|re| re.is_match(text))
            .unwrap_or(false)
    }

    proptest! {
        #[test]
        fn agrees_with_a_regex(pattern in "[ab*/é]{0,8}", text in "[ab/é]{0,12}") {
            prop_assert_eq!(glob(&pattern, &text), reference(&pattern, &text));
        }
    }
}
