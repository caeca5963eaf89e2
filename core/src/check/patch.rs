//! `kubectl patch` semantics: RFC 7386 merge patches and RFC 6902 JSON
//! patches, and the list of keys a patch changed.

use crate::parse::{push_segment, Document, SourceMap};
use serde_json::Value;

/// How a patch applies, as `kubectl patch --type`; `merge` or `json` in
/// the call API's `patchType` and on the command line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PatchType {
    /// RFC 7386 JSON merge patch.
    #[default]
    Merge,
    /// RFC 6902 JSON patch.
    Json,
}

impl PatchType {
    /// Every patch type, in the order they are listed to users.
    pub const ALL: [PatchType; 2] = [PatchType::Merge, PatchType::Json];

    /// The name users give: `merge` or `json`.
    pub fn as_str(self) -> &'static str {
        match self {
            PatchType::Merge => "merge",
            PatchType::Json => "json",
        }
    }
}

impl std::fmt::Display for PatchType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not a patch type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a patch type (merge or json)")]
pub struct UnknownPatchType(pub String);

impl std::str::FromStr for PatchType {
    type Err = UnknownPatchType;

    fn from_str(s: &str) -> Result<PatchType, UnknownPatchType> {
        PatchType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| UnknownPatchType(s.to_owned()))
    }
}

/// Why a patch does not apply.
#[derive(Debug, thiserror::Error)]
pub enum PatchError {
    #[error("a merge patch must be a mapping (like `{{data: {{KEY: value}}}}`)")]
    MergeNotAMapping,
    /// `bad` is the first element that is not an operation, when there is one.
    #[error("not an RFC 6902 JSON patch (a list of {{op, path, value}}){}", element(.bad))]
    NotAJsonPatch { bad: Option<usize> },
    #[error(transparent)]
    Failed(#[from] json_patch::PatchError),
}

fn element(bad: &Option<usize>) -> String {
    bad.map(|i| format!(": element {i} is not a valid operation"))
        .unwrap_or_default()
}

/// Applies `patch` to `base`. A JSON patch that does not apply is an error
/// naming the failing operation.
pub fn apply(base: &Value, patch: &Value, kind: PatchType) -> Result<Value, PatchError> {
    let mut out = base.clone();
    match kind {
        PatchType::Merge => {
            if !patch.is_object() {
                return Err(PatchError::MergeNotAMapping);
            }
            json_patch::merge(&mut out, patch);
        }
        PatchType::Json => {
            // serde's message quotes the value it met, which may be a secret
            // the patch sets: the element is named by its index instead.
            let ops: json_patch::Patch = serde_json::from_value(patch.clone()).map_err(|_| {
                let bad = patch.as_array().and_then(|ops| {
                    ops.iter().position(|op| {
                        serde_json::from_value::<json_patch::PatchOperation>(op.clone()).is_err()
                    })
                });
                PatchError::NotAJsonPatch { bad }
            })?;
            json_patch::patch(&mut out, &ops.0)?;
        }
    }
    Ok(out)
}

/// JSON pointers of the values that differ between `before` and `after`:
/// added, removed or changed leaves (a replaced list counts as one change).
pub fn changed_paths(before: &Value, after: &Value) -> Vec<String> {
    let mut out = Vec::new();
    diff(before, after, &mut String::new(), &mut out);
    out
}

fn diff(a: &Value, b: &Value, pointer: &mut String, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x
                .keys()
                .chain(y.keys().filter(|k| !x.contains_key(*k)))
                .collect();
            keys.sort();
            for k in keys {
                let len = pointer.len();
                push_segment(pointer, k);
                match (x.get(k), y.get(k)) {
                    (Some(va), Some(vb)) => diff(va, vb, pointer, out),
                    _ => out.push(pointer.clone()),
                }
                pointer.truncate(len);
            }
        }
        _ if a != b => out.push(pointer.clone()),
        _ => {}
    }
}

/// Positions of the patched document's values in the patch file: a merge
/// patch mirrors the document; a JSON patch places each operation's value at
/// its `path`.
pub fn positions(patch: &Document, kind: PatchType) -> SourceMap {
    match kind {
        PatchType::Merge => patch.map.clone(),
        PatchType::Json => {
            let mut map = SourceMap::default();
            let ops = patch.value.as_array().map_or(&[][..], Vec::as_slice);
            for (i, op) in ops.iter().enumerate() {
                let Some(path) = op.get("path").and_then(Value::as_str) else {
                    continue;
                };
                let from = format!("/{i}/value");
                let rebased = patch.map.rebase(&from, path);
                map.extend(rebased);
                if let Some(pos) = patch.map.locate(&format!("/{i}")) {
                    map.insert(path, pos);
                }
            }
            map
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn patch_types_are_named_in_lowercase() {
        for kind in PatchType::ALL {
            assert_eq!(kind.as_str().parse::<PatchType>(), Ok(kind));
            assert_eq!(json!(kind), json!(kind.as_str()));
            assert_eq!(
                serde_json::from_value::<PatchType>(json!(kind.as_str())).ok(),
                Some(kind)
            );
        }
        assert!("Merge".parse::<PatchType>().is_err());
        assert_eq!(PatchType::default(), PatchType::Merge);
    }

    /// A stray element is named by its index: serde's message quoted it.
    #[test]
    fn a_bad_json_patch_element_is_not_quoted() {
        let patch = json!([{"op": "replace", "path": "/a", "value": 1}, "NewPassw0rd-Audit-555"]);
        let e = apply(&json!({"a": 0}), &patch, PatchType::Json)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(!e.contains("NewPassw0rd"), "{e}");
        assert!(e.ends_with("element 1 is not a valid operation"), "{e}");
    }

    #[test]
    fn merge_patch_like_kubectl() {
        let base = json!({"data": {"A": "1", "B": "2"}, "metadata": {"name": "x"}});
        let patch = json!({"data": {"A": "10", "B": null, "C": "3"}});
        let out = apply(&base, &patch, PatchType::Merge).unwrap_or_default();
        assert_eq!(
            out,
            json!({"data": {"A": "10", "C": "3"}, "metadata": {"name": "x"}})
        );
        assert_eq!(
            changed_paths(&base, &out),
            vec!["/data/A", "/data/B", "/data/C"]
        );
    }

    #[test]
    fn json_patch_errors_name_the_operation() {
        let base = json!({"data": {}});
        let bad = json!([{"op": "replace", "path": "/data/missing", "value": 1}]);
        assert!(apply(&base, &bad, PatchType::Json).is_err());
        let good = json!([{"op": "add", "path": "/data/A", "value": "1"}]);
        assert_eq!(
            apply(&base, &good, PatchType::Json).unwrap_or_default(),
            json!({"data": {"A": "1"}})
        );
        assert!(apply(&base, &json!({"op": "add"}), PatchType::Json).is_err());
    }
}
