//! JSON Schema `$ref`s to other files (`$ref: schemas/app.json#/$defs/x`),
//! resolved against the policy file. Core does no I/O, so a host says how
//! a policy's references map to files; hosts without files use `NoFiles`.

use crate::parse::{parse_stream, push_segment, Document, Pos, SourceMap, SyntaxError};
use crate::policy::{PolicyError, PolicyErrorKind};
use jsonschema::{Retrieve, Uri};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// How a host reads the files that policies' schemas refer to.
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
        url.set_fragment(None);
        let key = url.to_string();
        // Each file is read once, and a second reference to a file that
        // failed is no new error.
        if !seen.insert(key.clone()) {
            continue;
        }
        if out.files.len() >= MAX_FILES {
            let message = format!("more than {MAX_FILES} referenced files");
            errors.push(ref_error(&sources, &at, message));
            break;
        }
        let (text, name) = match host.read(&key) {
            Ok(read) => read,
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
        out.files.insert(key, doc.value);
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
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

    #[test]
    fn refs_within_the_schema_need_no_files() {
        let inline = POLICY.replace("        b: {$ref: \"other.json\"}\n", "");
        assert!(PolicySet::load(&[("p.yaml".to_owned(), inline)]).is_ok());
    }
}
