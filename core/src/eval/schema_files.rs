//! JSON Schema `$ref`s to other files (`$ref: schemas/app.json#/$defs/x`),
//! resolved against the policy file. Core does no I/O, so a host says how
//! a policy's references map to files; hosts without files use `NoFiles`.

use crate::parse::{parse_stream, push_segment, Document, Pos, SourceMap, SyntaxError};
use crate::policy::{PolicyError, PolicyErrorKind};
use jsonschema::{Retrieve, Uri};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// How a host reads the files that policies' schemas refer to. For each
/// policy file, `base_uri` is asked first, then `read` for the files that
/// policy's schemas refer to (and those they refer to): a host that keeps
/// each policy's references under its own directory can note which policy
/// it reads for.
pub trait SchemaFiles {
    /// The absolute URI that `$ref`s in `policy_file` resolve against, or
    /// `None` when this host cannot read files.
    fn base_uri(&self, policy_file: &str) -> Option<String>;
    /// The text (JSON or YAML) of the file at `uri`, and its name for messages.
    fn read(&self, uri: &str) -> Result<(String, String), ReadError>;
}

/// Why a file a schema refers to cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The host has no files (the browser, a module): `$ref` stays in the policy.
    #[error("cannot read `{0}` in this host")]
    NoFiles(String),
    /// A module holds only the files bundled into it when it was built.
    #[error("`{0}` was not bundled into the module")]
    NotBundled(String),
    #[error("`{0}` is not a file")]
    NotAFile(String),
    /// A file outside the directory the policy was loaded from, which the
    /// host does not read unless told to.
    #[error("`{name}` is outside the policy root `{root}`")]
    OutsideRoot { name: String, root: String },
    #[error("{name}: {source}")]
    Io {
        name: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{name}:{}:{}: {}", .error.line, .error.column, .error.message)]
    NotText { name: String, error: SyntaxError },
}

/// A host without a file system: every `$ref` to another file is an error.
pub struct NoFiles;

impl SchemaFiles for NoFiles {
    fn base_uri(&self, _: &str) -> Option<String> {
        None
    }
    fn read(&self, uri: &str) -> Result<(String, String), ReadError> {
        Err(ReadError::NoFiles(uri.to_owned()))
    }
}

/// Referenced files read before the schema is compiled, so the validator
/// resolves them without I/O.
#[derive(Default)]
pub(crate) struct ReadFiles {
    pub base_uri: Option<String>,
    files: HashMap<String, Value>,
}

impl ReadFiles {
    /// Whether the schema refers to no other file.
    pub(crate) fn is_empty(&self) -> bool {
        self.base_uri.is_none() && self.files.is_empty()
    }
}

impl Retrieve for ReadFiles {
    fn retrieve(
        &self,
        uri: &Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        self.files
            .get(uri.as_str())
            .cloned()
            .ok_or_else(|| format!("`{}` was not read", uri.as_str()).into())
    }
}

/// Reads every file that `schema` (at `base` in the policy `file`, whose
/// positions are `map`) refers to, and the files those refer to.
pub(crate) fn read_referenced(
    schema: &Value,
    file: &str,
    map: &SourceMap,
    base: &str,
    host: &dyn SchemaFiles,
) -> Result<ReadFiles, Vec<PolicyError>> {
    const MAX_FILES: usize = 256;
    let mut out = ReadFiles {
        base_uri: host.base_uri(file),
        files: HashMap::new(),
    };
    let mut refs = Vec::new();
    file_refs(schema, &mut String::from(base), &mut refs);
    let Some((first_pointer, first_target)) = refs.first().cloned() else {
        return Ok(out);
    };
    // Files a `$ref` can be written in: the policy, then each file read.
    let mut sources: Vec<(String, SourceMap)> = vec![(file.to_owned(), map.clone())];
    let ref_error = |sources: &[(String, SourceMap)], at: &Referrer, message: String| {
        let (name, positions) = &sources[at.source];
        let pos = positions.locate(&at.pointer).unwrap_or_default();
        PolicyError::at(
            PolicyErrorKind::Reference,
            name,
            pos,
            format!("`$ref` `{}`: {message}", at.target),
        )
        .with_hint("a `$ref` to another file is relative to the file it is in")
    };
    let Some(base_uri) = out.base_uri.clone() else {
        let at = Referrer {
            source: 0,
            pointer: first_pointer,
            target: first_target,
        };
        let message = "refers to another file, which this host cannot read".to_owned();
        return Err(vec![ref_error(&sources, &at, message).with_hint(
            "inline the schema under `$defs`, or load the policy from files",
        )]);
    };
    let base_url = url::Url::parse(&base_uri).map_err(|e| {
        let message = format!("bad base URI `{base_uri}`: {e}");
        vec![PolicyError::at(
            PolicyErrorKind::Reference,
            file,
            Pos::default(),
            message,
        )]
    })?;
    let mut pending: Vec<(Referrer, url::Url)> = refs
        .into_iter()
        .map(|(pointer, target)| {
            let at = Referrer {
                source: 0,
                pointer,
                target,
            };
            (at, base_url.clone())
        })
        .collect();
    // In the order they are written, so errors come in that order.
    pending.reverse();
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    while let Some((at, from)) = pending.pop() {
        let mut url = match from.join(&at.target) {
            Ok(url) => url,
            Err(e) => {
                errors.push(ref_error(
                    &sources,
                    &at,
                    format!("not a valid reference: {e}"),
                ));
                continue;
            }
        };
        let fragment = url.fragment().map(str::to_owned);
        url.set_fragment(None);
        let key = url.to_string();
        // Each file is read once, and a second reference to a file that
        // failed is no new error.
        if !seen.insert(key.clone()) {
            if let Some(value) = out.files.get(&key) {
                if let Some(e) = fragment_error(value, fragment.as_deref()) {
                    errors.push(ref_error(&sources, &at, e).with_hint(FRAGMENT_HINT));
                }
            }
            continue;
        }
        if out.files.len() >= MAX_FILES {
            let message = format!("more than {MAX_FILES} referenced files");
            errors.push(ref_error(&sources, &at, message));
            break;
        }
        let (text, name) = match host.read(&key) {
            Ok(read) => read,
            Err(e @ ReadError::OutsideRoot { .. }) => {
                errors.push(ref_error(&sources, &at, e.to_string()).with_hint(OUTSIDE_HINT));
                continue;
            }
            Err(e) => {
                errors.push(ref_error(&sources, &at, format!("cannot read {e}")));
                continue;
            }
        };
        let doc = match parse_stream(&text).into_iter().next() {
            Some(Ok(doc)) => doc,
            Some(Err(e)) => {
                let pos = e.pos();
                let message = format!("invalid schema file: {}", e.message);
                let (from_name, _) = &sources[at.source];
                errors.push(
                    PolicyError::at(PolicyErrorKind::Reference, &name, pos, message)
                        .with_hint(format!("referred to by `{}` in {from_name}", at.target)),
                );
                continue;
            }
            None => Document::from_value(Value::Null),
        };
        // Checked here, where the error can name a place in the file: the
        // validator's own error would quote the file's values.
        if let Some((pointer, message)) = not_a_schema(&doc.value) {
            let pos = doc.map.locate(&pointer).unwrap_or_default();
            let message = format!("invalid schema file: {message}");
            let (from_name, _) = &sources[at.source];
            errors.push(
                PolicyError::at(PolicyErrorKind::Reference, &name, pos, message)
                    .with_hint(format!("referred to by `{}` in {from_name}", at.target)),
            );
            continue;
        }
        let mut nested = Vec::new();
        file_refs(&doc.value, &mut String::new(), &mut nested);
        let source = sources.len();
        sources.push((name, doc.map));
        pending.extend(nested.into_iter().rev().map(|(pointer, target)| {
            let at = Referrer {
                source,
                pointer,
                target,
            };
            (at, url.clone())
        }));
        if let Some(e) = fragment_error(&doc.value, fragment.as_deref()) {
            errors.push(ref_error(&sources, &at, e).with_hint(FRAGMENT_HINT));
        }
        out.files.insert(key, doc.value);
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

const OUTSIDE_HINT: &str = "a `$ref` reads files under the policy's root only (the directory given with `-p`, or the policy file's directory); move the file there, or allow it with `assay --allow-ref-outside` (Python: `allow_ref_outside=True`)";

const FRAGMENT_HINT: &str = "the part after `#` is a JSON pointer to a schema in that file";

/// Why a referenced file's document is not a JSON Schema, without its
/// values (the file may be anything on disk): the pointer of the first
/// offending value, and a message.
fn not_a_schema(value: &Value) -> Option<(String, String)> {
    if !value.is_object() && !value.is_boolean() {
        let message = "the file is not a JSON Schema (a mapping or a boolean)".to_owned();
        return Some((String::new(), message));
    }
    // Another draft's schema is left to the validator, which knows drafts.
    let draft = value.get("$schema").and_then(Value::as_str);
    if draft.is_some_and(|d| !d.contains("2020-12")) {
        return None;
    }
    let error = jsonschema::draft202012::meta::validate(value).err()?;
    let pointer = error.instance_path().to_string();
    let keyword = error.schema_path().to_string();
    let keyword = keyword.rsplit('/').next().unwrap_or("");
    let at = if pointer.is_empty() {
        "the document".to_owned()
    } else {
        format!("the value at `{pointer}`")
    };
    Some((
        pointer,
        format!("{at} is not valid JSON Schema 2020-12 (meta-schema keyword `{keyword}`)"),
    ))
}

/// Why a `$ref`'s fragment, a JSON pointer into `file`, names no schema:
/// it points at a value that is neither a mapping nor a boolean. Other
/// fragments (anchors, pointers to nothing) are left to the validator.
fn fragment_error(file: &Value, fragment: Option<&str>) -> Option<String> {
    let pointer = fragment.filter(|f| f.starts_with('/') && !f.contains('%'))?;
    let target = file.pointer(pointer)?;
    (!target.is_object() && !target.is_boolean())
        .then(|| "points at a value that is not a schema (a mapping or a boolean)".to_owned())
}

/// Where a `$ref` is written: which file, at which pointer, and what it says.
struct Referrer {
    source: usize,
    pointer: String,
    target: String,
}

/// The `$ref`s in `schema` that name another file (a relative reference
/// with a path), with their pointers.
fn file_refs(schema: &Value, pointer: &mut String, out: &mut Vec<(String, String)>) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                let path = r.split('#').next().unwrap_or("");
                let has_scheme = url::Url::parse(r).is_ok();
                if !path.is_empty() && !has_scheme {
                    let mut at = pointer.clone();
                    push_segment(&mut at, "$ref");
                    out.push((at, r.clone()));
                }
            }
            for (k, v) in map {
                let len = pointer.len();
                push_segment(pointer, k);
                file_refs(v, pointer, out);
                pointer.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let len = pointer.len();
                push_segment(pointer, &i.to_string());
                file_refs(v, pointer, out);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use crate::set::PolicySet;

    const POLICY: &str = "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {name: r}\nspec:\n  schema:\n    jsonSchema:\n      properties:\n        a: {$ref: \"#/$defs/x\"}\n        b: {$ref: \"other.json\"}\n      $defs: {x: {type: string}}\n";

    #[test]
    fn a_host_without_files_reports_a_file_ref_at_its_place() {
        let loaded = PolicySet::load(&[("p.yaml".to_owned(), POLICY.to_owned())]);
        let errors = match loaded {
            Ok(_) => Vec::new(),
            Err(e) => e,
        };
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!((errors[0].line, errors[0].column), (9, 19));
        assert!(errors[0].message.contains("`other.json`"), "{}", errors[0]);
    }

    /// Files in memory; `out/` is outside the policy's root.
    struct Files;

    impl super::SchemaFiles for Files {
        fn base_uri(&self, _: &str) -> Option<String> {
            Some("file:///p/p.yaml".to_owned())
        }
        fn read(&self, uri: &str) -> Result<(String, String), super::ReadError> {
            let name = uri.trim_start_matches("file:///").to_owned();
            let text = match name.as_str() {
                "p/secret.yaml" => "password: hunter2\n",
                "p/list.yaml" => "- hunter2\n",
                "p/bad.yaml" => "properties:\n  x: {type: hunter2}\n",
                _ => {
                    let root = "p".to_owned();
                    return Err(super::ReadError::OutsideRoot { name, root });
                }
            };
            Ok((text.to_owned(), name))
        }
    }

    #[test]
    fn referenced_files_that_are_no_schema_are_located_without_their_values() {
        let policy = POLICY.replace(
            "        b: {$ref: \"other.json\"}\n",
            "        b: {$ref: \"secret.yaml#/password\"}\n        c: {$ref: list.yaml}\n        d: {$ref: bad.yaml}\n        e: {$ref: ../out/x.json}\n",
        );
        let errors = match PolicySet::load_with(&[("p.yaml".to_owned(), policy)], &Files) {
            Ok(_) => Vec::new(),
            Err(e) => e,
        };
        let lines: Vec<String> = errors.iter().map(|e| format!("{e} {:?}", e.hint)).collect();
        assert_eq!(lines.len(), 4, "{lines:#?}");
        assert!(lines.iter().all(|l| !l.contains("hunter2")), "{lines:#?}");
        assert!(lines[0].starts_with("p.yaml:9:19: ") && lines[0].contains("not a schema"));
        assert!(lines[1].starts_with("p/list.yaml:1:1: invalid schema file"));
        assert!(
            lines[2].starts_with("p/bad.yaml:2:13: invalid schema file"),
            "{}",
            lines[2]
        );
        assert!(lines[2].contains("`/properties/x/type`"), "{}", lines[2]);
        assert!(
            lines[3].contains("outside the policy root `p`"),
            "{}",
            lines[3]
        );
        assert!(lines[3].contains("--allow-ref-outside"), "{}", lines[3]);
    }

    #[test]
    fn refs_within_the_schema_need_no_files() {
        let inline = POLICY.replace("        b: {$ref: \"other.json\"}\n", "");
        assert!(PolicySet::load(&[("p.yaml".to_owned(), inline)]).is_ok());
    }
}
