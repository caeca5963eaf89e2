//! dotenv files (`KEY=VALUE` lines), read as kustomize's `configMapGenerator` reads them.

use super::document::{Document, Pos, SourceMap, SyntaxError};
use super::pointer::push_segment;
use serde_json::{Map, Value};

/// `KEY=VALUE` lines; `#` comments, blank lines and `export ` are allowed.
pub fn parse_env(text: &str) -> Result<(Value, SourceMap), SyntaxError> {
    let mut map = Map::new();
    let mut positions = SourceMap::default();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        // Columns count characters, as the YAML parsers' do.
        let chars = |s: &str| s.chars().count() as u32;
        let pos = Pos {
            line: i as u32 + 1,
            column: chars(&line[..line.len() - trimmed.len()]) + 1,
        };
        let body = trimmed.strip_prefix("export ").unwrap_or(trimmed);
        let Some((k, v)) = body.split_once('=') else {
            return Err(SyntaxError {
                index: 0,
                line: pos.line,
                column: pos.column,
                message: format!("line {} is not KEY=VALUE", i + 1),
                limit: None,
            });
        };
        let v = v.trim();
        let v = v
            .strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .or_else(|| v.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
            .unwrap_or(v);
        let key = k.trim().to_owned();
        let mut pointer = String::new();
        push_segment(&mut pointer, &key);
        let value_pos = Pos {
            line: pos.line,
            column: pos.column
                + body.find('=').map_or(0, |i| chars(&body[..i]) + 1)
                + (trimmed.len() - body.len()) as u32,
        };
        positions.insert(&pointer, value_pos);
        map.insert(key, Value::String(v.to_owned()));
    }
    positions.insert("", Pos { line: 1, column: 1 });
    Ok((Value::Object(map), positions))
}

/// Whether an input file is a dotenv file (`.env`, `app.env`). It is read
/// as the ConfigMap kustomize's `configMapGenerator` (`envs:`) makes of it.
pub fn is_env_file(file: &str) -> bool {
    let name = file.rsplit(['/', '\\']).next().unwrap_or(file);
    name == ".env" || name.ends_with(".env")
}

/// The annotation, and its value, on a ConfigMap made from a dotenv file.
pub const FROM_ENV_FILE: (&str, &str) = ("assay.dev/source", "env-file");

/// A dotenv file as a ConfigMap named after it, its variables the data,
/// each at its line; marked with `FROM_ENV_FILE`.
pub(super) fn env_document(file: &str, text: &str) -> Result<Document, SyntaxError> {
    let (data, positions) = parse_env(text).map_err(|e| SyntaxError {
        message: format!("{} (a dotenv file)", e.message),
        ..e
    })?;
    let base = file.rsplit(['/', '\\']).next().unwrap_or(file);
    let name = match base.strip_suffix(".env").unwrap_or(base) {
        "" => "env",
        stem => stem,
    };
    let (annotation, source) = FROM_ENV_FILE;
    let text = |s: &str| Value::String(s.to_owned());
    let annotations = Map::from_iter([(annotation.to_owned(), text(source))]);
    let metadata = Map::from_iter([
        ("name".to_owned(), text(name)),
        ("annotations".to_owned(), Value::Object(annotations)),
    ]);
    let value = Value::Object(Map::from_iter([
        ("apiVersion".to_owned(), text("v1")),
        ("kind".to_owned(), text("ConfigMap")),
        ("metadata".to_owned(), Value::Object(metadata)),
        ("data".to_owned(), data),
    ]));
    let mut map = positions.rebase("", "/data");
    map.insert("", Pos { line: 1, column: 1 });
    Ok(Document {
        index: 0,
        value,
        map,
    })
}
