//! Policy files: the typed model of docs/policies.md and loading with `file:line:col` errors.

use crate::diag::{Pos, Severity};
use crate::parse::{parse_stream, Document};

mod error;
mod secrets;

pub use error::{PolicyError, PolicyErrorKind};
pub use secrets::{AllowlistSpec, PatternSpec, SecretsSpec};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PolicyDocument {
    pub api_version: String,
    pub kind: String,
    pub metadata: Metadata,
    pub spec: Value,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metadata {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ValidationSpec {
    #[serde(default, rename = "match")]
    pub matcher: Option<MatchSpec>,
    #[serde(default)]
    pub params: Map<String, Value>,
    #[serde(default)]
    pub environments: BTreeMap<String, EnvironmentSpec>,
    #[serde(default)]
    pub schema: Option<SchemaSpec>,
    #[serde(default)]
    pub embedded: Vec<EmbeddedSpec>,
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
    #[serde(default)]
    pub secrets: Option<SecretsSpec>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchSpec {
    #[serde(default)]
    pub kinds: Vec<String>,
    #[serde(default)]
    pub names: Vec<String>,
    #[serde(default)]
    pub namespaces: Vec<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentSpec {
    #[serde(default)]
    pub params: Map<String, Value>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Coerce {
    #[default]
    None,
    /// Strings read as the number, integer or boolean the schema wants,
    /// spaces around them ignored.
    Strings,
    /// As `Strings`, without spaces; a value that is not a string at all
    /// where the schema would read one is a finding.
    Strict,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SchemaSpec {
    #[serde(default)]
    pub path: String,
    #[serde(default)]
    pub coerce: Coerce,
    pub json_schema: Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EmbeddedFormat {
    Yaml,
    Json,
    Env,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EmbeddedSpec {
    pub path: String,
    pub format: EmbeddedFormat,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub coerce: Coerce,
    #[serde(default)]
    pub json_schema: Option<Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RuleSpec {
    pub name: String,
    pub expr: String,
    #[serde(default)]
    pub when: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub message_expr: Option<String>,
    /// What the rule checks and why, for `--list-rules` and `describe`.
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub severity: Severity,
    #[serde(default)]
    pub environments: Option<Vec<String>>,
}

/// One policy as written, with where it came from.
#[derive(Debug, Clone)]
pub struct PolicySource {
    pub file: String,
    pub document: Document,
    pub header: PolicyDocument,
}

pub const API_VERSION: &str = "assay.dev/v1";

/// Converts a serde_path_to_error path into a JSON pointer.
fn pointer_of(path: &serde_path_to_error::Path) -> String {
    let mut out = String::new();
    for seg in path.iter() {
        match seg {
            serde_path_to_error::Segment::Seq { index } => {
                crate::parse::push_segment(&mut out, &index.to_string())
            }
            serde_path_to_error::Segment::Map { key } => crate::parse::push_segment(&mut out, key),
            serde_path_to_error::Segment::Enum { .. } | serde_path_to_error::Segment::Unknown => {}
        }
    }
    out
}

/// Deserializes `value` (found at `base` in `doc`), turning a shape error into a located one.
pub fn typed<T: serde::de::DeserializeOwned>(
    file: &str,
    doc: &Document,
    base: &str,
    value: &Value,
) -> Result<T, PolicyError> {
    match typed_all(file, doc, base, value) {
        (Some(t), errors) if errors.is_empty() => Ok(t),
        (_, errors) => Err(errors.into_iter().next().unwrap_or_else(|| {
            PolicyError::at(
                PolicyErrorKind::Shape,
                file,
                Pos::default(),
                "cannot be read".to_owned(),
            )
        })),
    }
}

/// Like `typed`, but an unknown field does not hide the value's other
/// problems: each one is reported and dropped, and reading goes on. Gives the
/// value when only unknown fields were wrong, with their errors.
pub fn typed_all<T: serde::de::DeserializeOwned>(
    file: &str,
    doc: &Document,
    base: &str,
    value: &Value,
) -> (Option<T>, Vec<PolicyError>) {
    const MAX_UNKNOWN_FIELDS: usize = 64;
    let mut errors = Vec::new();
    let mut value = std::borrow::Cow::Borrowed(value);
    // Fields dropped for holding the wrong type: their absence is not
    // another error.
    let mut wrong = Vec::new();
    for _ in 0..MAX_UNKNOWN_FIELDS {
        let e = match serde_path_to_error::deserialize(&*value) {
            Ok(t) if wrong.is_empty() => return (Some(t), errors),
            Ok(_) => return (None, errors),
            Err(e) => e,
        };
        let relative = pointer_of(e.path());
        let pointer = format!("{base}{relative}");
        // serde quotes the offending value: `PolicyError::at` redacts it.
        let inner = e.into_inner().to_string();
        let missing = inner
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split_once('`'))
            .map(|(name, _)| format!("{relative}/{name}"));
        if missing.is_some_and(|m| wrong.contains(&m)) {
            return (None, errors);
        }
        let pos = doc.map.locate(&pointer).unwrap_or_default();
        let field = if pointer.is_empty() {
            String::from("the policy")
        } else {
            format!("`{}`", pointer.trim_start_matches('/').replace('/', "."))
        };
        let unknown = inner
            .strip_prefix("unknown field `")
            .and_then(|rest| rest.split_once('`'))
            .map(|(name, _)| name.to_owned());
        let hint = if unknown.is_some() {
            "check the spelling; the fields are listed in docs/policies.md"
        } else {
            "see docs/policies.md for the shape of a policy"
        };
        errors.push(
            PolicyError::at(
                PolicyErrorKind::Shape,
                file,
                pos,
                format!("{field}: {inner}"),
            )
            .with_hint(hint),
        );
        let dropped = match unknown {
            Some(name) => drop_field(value.to_mut(), &relative, &name),
            // A value of the wrong type in a mapping is dropped too, to read
            // on; one in a list is not, as the items after it would move.
            None => match relative.rsplit_once('/') {
                Some((_, name)) if value.pointer(&relative).is_some() => {
                    let in_mapping = drop_field(value.to_mut(), &relative, &unescape(name));
                    if in_mapping {
                        wrong.push(relative.clone());
                    }
                    in_mapping
                }
                _ => false,
            },
        };
        if !dropped {
            return (None, errors);
        }
    }
    (None, errors)
}

/// A JSON pointer segment as the key it names.
fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

/// Removes `name` from the mapping at `pointer`, or the field `pointer` names.
fn drop_field(value: &mut Value, pointer: &str, name: &str) -> bool {
    let parent = match pointer.rsplit_once('/') {
        Some((parent, last)) if last == name => parent,
        _ => pointer,
    };
    value
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .is_some_and(|m| m.remove(name).is_some())
}

/// Splits policy files into their documents and checks each document's header.
/// Documents that are not policies (neither `apiVersion: assay.dev/…` nor a
/// `…Policy` kind) are skipped: a policy directory may hold other YAML.
pub fn read_policy_sources(files: &[(String, String)]) -> (Vec<PolicySource>, Vec<PolicyError>) {
    let mut sources = Vec::new();
    let mut errors = Vec::new();
    for (file, text) in files {
        for doc in parse_stream(text) {
            let doc = match doc {
                Ok(d) => d,
                Err(e) => {
                    errors.push(
                        PolicyError::at(
                            PolicyErrorKind::Syntax,
                            file,
                            e.pos(),
                            format!("invalid YAML: {}", e.message),
                        )
                        .with_hint("fix the YAML syntax at this spot"),
                    );
                    continue;
                }
            };
            let field = |k: &str| doc.value.get(k).and_then(Value::as_str).unwrap_or("");
            let is_policy =
                field("apiVersion").starts_with("assay.dev/") || field("kind").ends_with("Policy");
            if !is_policy {
                continue;
            }
            match typed::<PolicyDocument>(file, &doc, "", &doc.value) {
                Ok(header) => {
                    if header.api_version != API_VERSION {
                        let pos = doc.map.locate("/apiVersion").unwrap_or_default();
                        errors.push(
                            PolicyError::at(
                                PolicyErrorKind::Shape,
                                file,
                                pos,
                                format!("`apiVersion`: unsupported `{}`", header.api_version),
                            )
                            .with_hint(format!("use `{API_VERSION}`")),
                        );
                        continue;
                    }
                    sources.push(PolicySource {
                        file: file.clone(),
                        document: doc,
                        header,
                    })
                }
                Err(e) => errors.push(e),
            }
        }
    }
    (sources, errors)
}

/// Whether `name` may name a policy, a rule id or a detector id: lowercase
/// letters, digits and `-`, as Kubernetes names are.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A `path` that is not a JSON pointer (`data` where `/data` was meant),
/// which would find nothing in any document.
pub fn pointer_error(file: &str, pos: Pos, field: &str, path: &str) -> Option<PolicyError> {
    if path.is_empty() || path.starts_with('/') {
        return None;
    }
    let hint = format!("write it like `/{}`", path.replace('.', "/"));
    Some(
        PolicyError::at(
            PolicyErrorKind::Pointer,
            file,
            pos,
            format!("{field}: `{path}` is not a JSON pointer"),
        )
        .with_hint(hint),
    )
}
