//! Files carried inside a document's strings (a ConfigMap's `config.yaml`):
//! parsed, validated, and located at their lines in the outer file.

use super::schema::Schema;
use crate::diag::{Finding, Locate, Pos, Severity};
use crate::parse::{
    lookup, parse_env, parse_stream_with, BlockText, Document, ParseLimits, SourceMap,
};
use crate::policy::{EmbeddedFormat, EmbeddedSpec};
use serde_json::Value;

pub(super) struct CompiledEmbedded {
    pub(super) spec: EmbeddedSpec,
    pub(super) schema: Option<Schema>,
}

impl CompiledEmbedded {
    /// Reads the file at the spec's path in `doc` and validates it; gives
    /// its value and positions for the rules, or `None` when it is missing
    /// or does not parse (a finding says which). It is parsed with the
    /// limits of the document that holds it.
    pub(super) fn check(
        &self,
        doc: &Document,
        limits: ParseLimits,
        findings: &mut Vec<Finding>,
    ) -> Option<(Value, EmbeddedPositions)> {
        let path = &self.spec.path;
        let text = match lookup(&doc.value, path) {
            None | Some(Value::Null) => {
                if self.spec.required {
                    findings.push(Finding::new(
                        "embedded",
                        Severity::Error,
                        format!("embedded file `{path}` is missing"),
                        path,
                        &doc.map,
                    ));
                }
                return None;
            }
            Some(Value::String(s)) => s,
            Some(_) => {
                findings.push(Finding::new(
                    "embedded",
                    Severity::Error,
                    format!(
                        "`{path}` must be a string holding a {:?} file",
                        self.spec.format
                    )
                    .to_lowercase(),
                    path,
                    &doc.map,
                ));
                return None;
            }
        };
        let origin = match doc.map.block_text(path) {
            Some(b) => Origin::Block(b),
            None => Origin::Value(doc.map.locate(path)),
        };
        let parsed: Result<(Value, SourceMap), (Pos, String)> = match self.spec.format {
            EmbeddedFormat::Yaml | EmbeddedFormat::Json => {
                let mut documents = parse_stream_with(text, limits).into_iter();
                match documents.next() {
                    // The rest would go unchecked, and a config loader
                    // reads one document (PyYAML refuses more).
                    Some(Ok(_)) if documents.len() > 0 => {
                        let second = match documents.next() {
                            Some(Ok(d)) => d.map.locate(""),
                            Some(Err(err)) => Some(err.pos()),
                            None => None,
                        };
                        Err((
                            second.unwrap_or(Pos { line: 1, column: 1 }),
                            "it holds more than one YAML document; an embedded file is one"
                                .to_owned(),
                        ))
                    }
                    Some(Ok(d)) => {
                        if self.spec.format == EmbeddedFormat::Json && !looks_like_json(text) {
                            let start = d.map.locate("").unwrap_or(Pos { line: 1, column: 1 });
                            Err((start, "is not JSON".to_owned()))
                        } else {
                            Ok((d.value, d.map))
                        }
                    }
                    Some(Err(err)) => Err((err.pos(), err.message)),
                    None => Ok((Value::Null, SourceMap::default())),
                }
            }
            EmbeddedFormat::Env => parse_env(text).map_err(|e| (e.pos(), e.message)),
        };
        let (value, map) = match parsed {
            Ok(v) => v,
            Err((pos, msg)) => {
                let mut f = Finding::new(
                    "embedded",
                    Severity::Error,
                    format!("embedded file `{path}` does not parse: {msg}"),
                    path,
                    &doc.map,
                );
                if let Some(at) = origin.place(Some(pos)) {
                    f.line = Some(at.line);
                    f.column = Some(at.column);
                }
                findings.push(f);
                return None;
            }
        };
        let positions = EmbeddedPositions {
            prefix: path.clone(),
            inner: map,
            origin,
        };
        if let Some(schema) = &self.schema {
            schema.validate(&value, path, "embedded", &positions, findings);
        }
        Some((value, positions))
    }
}

/// Where an embedded file's text is in the outer file.
enum Origin {
    /// A block scalar: its lines are the outer file's, indented.
    Block(BlockText),
    /// A quoted or plain string: everything in it is placed at the string.
    Value(Option<Pos>),
}

impl Origin {
    fn place(&self, inner: Option<Pos>) -> Option<Pos> {
        match self {
            Origin::Block(b) => inner.map(|p| Pos {
                line: p.line + b.first_line - 1,
                column: p.column + b.indent,
            }),
            Origin::Value(pos) => *pos,
        }
    }
}

/// The positions of an embedded file's values, found by their pointers in
/// the outer document (`{prefix}/...`).
pub(super) struct EmbeddedPositions {
    prefix: String,
    inner: SourceMap,
    origin: Origin,
}

impl Locate for EmbeddedPositions {
    fn locate(&self, pointer: &str) -> Option<Pos> {
        let rest = pointer
            .strip_prefix(self.prefix.as_str())
            .filter(|rest| rest.is_empty() || rest.starts_with('/'))?;
        self.origin.place(self.inner.locate(rest))
    }
}

/// A document's positions, with those of its embedded files.
pub(super) struct DocPositions<'d> {
    pub(super) outer: &'d SourceMap,
    pub(super) embedded: Vec<EmbeddedPositions>,
}

impl Locate for DocPositions<'_> {
    fn locate(&self, pointer: &str) -> Option<Pos> {
        self.embedded
            .iter()
            .find_map(|e| e.locate(pointer))
            .or_else(|| self.outer.locate(pointer))
    }
}

fn looks_like_json(text: &str) -> bool {
    serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
}
