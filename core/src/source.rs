//! YAML/JSON documents parsed in one pass into a `serde_json::Value` and a
//! map from JSON pointers to the line and column where each value starts.

use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use serde_json::{Map, Number, Value};
use std::borrow::Cow;
use std::fmt::Write as _;

/// Deeper nesting than this is rejected: it is never real config, and
/// recursive consumers (CEL, serde) would overflow their stacks on it.
pub const MAX_DEPTH: usize = 128;
/// Upper bound on nodes per document, aliases expanded (billion-laughs guard).
pub const MAX_NODES: usize = 1_000_000;
/// Upper bound on the bytes of JSON pointers one source map keeps.
pub const MAX_POINTER_BYTES: usize = 64 << 20;

/// 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

/// Where a string value that holds a block scalar (`|` or `>`) has its text:
/// its first content line and indentation in the outer file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockText {
    pub first_line: u32,
    pub indent: u32,
}

#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    /// Every recorded pointer back to back, so recording one rarely allocates.
    pointers: String,
    /// `(start, end)` of a pointer in `pointers`, and its position.
    entries: Vec<(u32, u32, Pos)>,
    blocks: Vec<(Box<str>, BlockText)>,
}

impl SourceMap {
    fn entries(&self) -> impl Iterator<Item = (&str, Pos)> {
        self.entries.iter().map(|&(start, end, pos)| {
            let pointer = self.pointers.get(start as usize..end as usize);
            (pointer.unwrap_or_default(), pos)
        })
    }

    /// Position of the value at `pointer`, or of its nearest ancestor that has one.
    pub fn locate(&self, pointer: &str) -> Option<Pos> {
        let mut p = pointer;
        loop {
            if let Some((_, pos)) = self.entries().find(|(k, _)| *k == p) {
                return Some(pos);
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return None,
            }
        }
    }

    pub fn block_text(&self, pointer: &str) -> Option<BlockText> {
        self.blocks
            .iter()
            .find(|(k, _)| &**k == pointer)
            .map(|(_, b)| *b)
    }

    /// The positions under `from`, moved under `to`.
    pub fn rebase(&self, from: &str, to: &str) -> SourceMap {
        let mut out = SourceMap::default();
        for (k, pos) in self.entries() {
            if let Some(rest) = k.strip_prefix(from) {
                if rest.is_empty() || rest.starts_with('/') {
                    out.insert(&format!("{to}{rest}"), pos);
                }
            }
        }
        out
    }

    /// The positions under `/items/0`, `/items/1`, ... up to `count`, each
    /// moved to the root of its own map (one pass, however many items).
    pub fn split_items(&self, count: usize) -> Vec<SourceMap> {
        let mut out = vec![SourceMap::default(); count];
        let item = |pointer: &str| -> Option<(usize, usize)> {
            let rest = pointer.strip_prefix("/items/")?;
            let digits = rest.find('/').unwrap_or(rest.len());
            Some((rest.get(..digits)?.parse().ok()?, "/items/".len() + digits))
        };
        for (pointer, pos) in self.entries() {
            if let Some((i, cut)) = item(pointer) {
                if let Some(map) = out.get_mut(i) {
                    map.insert(pointer.get(cut..).unwrap_or(""), pos);
                }
            }
        }
        for (pointer, block) in &self.blocks {
            if let Some((i, cut)) = item(pointer) {
                if let Some(map) = out.get_mut(i) {
                    map.blocks
                        .push((pointer.get(cut..).unwrap_or("").into(), *block));
                }
            }
        }
        out
    }

    /// Adds positions of another map; its pointers are looked up first.
    pub fn extend(&mut self, other: SourceMap) {
        let mut merged = other;
        for (k, pos) in self.entries() {
            merged.insert(k, pos);
        }
        merged.blocks.append(&mut self.blocks);
        *self = merged;
    }

    /// Records `pointer`'s position, unless the map is full: long keys over
    /// many children would otherwise cost memory quadratic in the input, and
    /// `locate` falls back to the nearest recorded ancestor.
    pub fn insert(&mut self, pointer: &str, pos: Pos) {
        if self.pointers.len() + pointer.len() > MAX_POINTER_BYTES {
            return;
        }
        let start = self.pointers.len() as u32;
        self.pointers.push_str(pointer);
        self.entries.push((start, self.pointers.len() as u32, pos));
    }
}

/// One document of a stream.
#[derive(Debug, Clone)]
pub struct Document {
    pub index: usize,
    pub value: Value,
    pub map: SourceMap,
}

/// A document that could not be parsed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{line}:{column}: {message}")]
pub struct SyntaxError {
    pub index: usize,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

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

enum Frame {
    Map {
        map: Map<String, Value>,
        key: Option<String>,
        anchor: usize,
        pointer_len: usize,
    },
    Seq {
        items: Vec<Value>,
        anchor: usize,
        pointer_len: usize,
    },
}

/// Builds a document's value and source map from parse events. Both the
/// saphyr parser and the fast scanner (`crate::fast_yaml`) drive it, so
/// scalar resolution, keys, limits and pointers are the same for both.
pub(crate) struct Builder {
    index: usize,
    pointer: String,
    stack: Vec<Frame>,
    map: SourceMap,
    anchors: Vec<(usize, Value)>,
    nodes: usize,
    root: Option<Value>,
}

impl Builder {
    pub(crate) fn new(index: usize) -> Self {
        Builder {
            index,
            // Room for most pointers and depths, to grow them less often.
            pointer: String::with_capacity(64),
            stack: Vec::with_capacity(4),
            map: SourceMap::default(),
            anchors: Vec::new(),
            nodes: 0,
            root: None,
        }
    }

    fn error(&self, pos: Pos, message: impl Into<String>) -> SyntaxError {
        SyntaxError {
            index: self.index,
            line: pos.line,
            column: pos.column,
            message: message.into(),
        }
    }

    /// Extends the pointer for the node about to start; false when the node is a map key.
    fn enter(&mut self) -> bool {
        match self.stack.last() {
            Some(Frame::Map { key: None, .. }) => false,
            Some(Frame::Map { key: Some(k), .. }) => {
                push_segment(&mut self.pointer, k);
                true
            }
            Some(Frame::Seq { items, .. }) => {
                // Writing to a String cannot fail.
                let _ = write!(self.pointer, "/{}", items.len());
                true
            }
            None => true,
        }
    }

    fn count(&mut self, pos: Pos, n: usize) -> Result<(), SyntaxError> {
        self.nodes += n;
        if self.nodes > MAX_NODES {
            return Err(self.error(
                pos,
                format!("document has more than {MAX_NODES} values (aliases expanded); split it or remove alias fan-out"),
            ));
        }
        Ok(())
    }

    /// Records the position of the node the pointer now names.
    fn locate_here(&mut self, pos: Pos) {
        self.map.insert(&self.pointer, pos);
    }

    /// Stores a finished value in its parent, or as the root.
    fn finish(&mut self, value: Value, anchor: usize) {
        if anchor != 0 {
            self.anchors.push((anchor, value.clone()));
        }
        match self.stack.last_mut() {
            Some(Frame::Map { map, key, .. }) => {
                if let Some(k) = key.take() {
                    map.insert(k, value);
                }
            }
            Some(Frame::Seq { items, .. }) => items.push(value),
            None => self.root = Some(value),
        }
    }

    fn leave_pointer(&mut self) {
        if let Some(Frame::Map { pointer_len, .. } | Frame::Seq { pointer_len, .. }) =
            self.stack.last()
        {
            self.pointer.truncate(*pointer_len);
        } else {
            self.pointer.clear();
        }
    }

    /// A scalar (a key or a value) starting at `pos`. A block scalar's
    /// position is that of its first content character.
    pub(crate) fn scalar(
        &mut self,
        text: Cow<'_, str>,
        style: ScalarStyle,
        anchor: usize,
        tag: Option<&saphyr_parser::Tag>,
        pos: Pos,
    ) -> Result<(), SyntaxError> {
        self.count(pos, 1)?;
        let is_value = self.enter();
        let value = resolve_scalar(text, style, tag);
        if !is_value {
            let key = match value {
                Value::String(s) => s,
                Value::Null => "null".to_owned(),
                other => other.to_string(),
            };
            if let Some(Frame::Map { key: k, map, .. }) = self.stack.last_mut() {
                // Comparing a few keys is cheaper than hashing one.
                let duplicate = if map.len() <= 8 {
                    map.keys().any(|k| *k == key)
                } else {
                    map.contains_key(&key)
                };
                if duplicate {
                    return Err(self.error(pos, format!("duplicate key `{key}`")));
                }
                *k = Some(key);
            }
            return Ok(());
        }
        self.locate_here(pos);
        if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
            let block = BlockText {
                first_line: pos.line,
                indent: pos.column - 1,
            };
            self.map.blocks.push((self.pointer.as_str().into(), block));
        }
        self.leave_pointer();
        self.finish(value, anchor);
        Ok(())
    }

    /// A mapping (`is_map`) or sequence starting at `pos`, with room for
    /// `capacity` entries.
    pub(crate) fn start(
        &mut self,
        is_map: bool,
        anchor: usize,
        pos: Pos,
        capacity: usize,
    ) -> Result<(), SyntaxError> {
        self.count(pos, 1)?;
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.error(
                pos,
                format!("nesting deeper than {MAX_DEPTH} levels; flatten the document"),
            ));
        }
        if !self.enter() {
            return Err(self.error(
                pos,
                "complex mapping keys (a map or list used as a key) are not supported",
            ));
        }
        self.locate_here(pos);
        let pointer_len = self.pointer.len();
        self.stack.push(if is_map {
            Frame::Map {
                map: Map::with_capacity(capacity),
                key: None,
                anchor,
                pointer_len,
            }
        } else {
            Frame::Seq {
                items: Vec::with_capacity(capacity),
                anchor,
                pointer_len,
            }
        });
        Ok(())
    }

    pub(crate) fn end(&mut self) {
        let (value, anchor) = match self.stack.pop() {
            Some(Frame::Map { map, anchor, .. }) => (Value::Object(map), anchor),
            Some(Frame::Seq { items, anchor, .. }) => (Value::Array(items), anchor),
            None => return,
        };
        self.leave_pointer();
        self.finish(value, anchor);
    }

    fn alias(&mut self, id: usize, pos: Pos) -> Result<(), SyntaxError> {
        let Some(value) = self
            .anchors
            .iter()
            .rev()
            .find(|(a, _)| *a == id)
            .map(|(_, v)| v.clone())
        else {
            return Err(self.error(pos, "alias to an unknown anchor"));
        };
        self.count(pos, count_nodes(&value))?;
        if self.enter() {
            self.locate_here(pos);
            self.leave_pointer();
            self.finish(value, 0);
            Ok(())
        } else {
            match value {
                Value::String(s) => {
                    if let Some(Frame::Map { key, .. }) = self.stack.last_mut() {
                        *key = Some(s);
                    }
                    Ok(())
                }
                _ => Err(self.error(pos, "an alias used as a key must name a string")),
            }
        }
    }

    /// The finished document (null when it had no content).
    pub(crate) fn into_document(self) -> Document {
        Document {
            index: self.index,
            value: self.root.unwrap_or(Value::Null),
            map: self.map,
        }
    }
}

fn count_nodes(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(count_nodes).sum::<usize>(),
        Value::Object(m) => 1 + m.values().map(count_nodes).sum::<usize>(),
        _ => 1,
    }
}

/// YAML 1.2 core schema, plus YAML 1.1 octal (`0400`) as Kubernetes reads file modes.
fn resolve_scalar(
    text: Cow<'_, str>,
    style: ScalarStyle,
    tag: Option<&saphyr_parser::Tag>,
) -> Value {
    if let Some(tag) = tag {
        if tag.handle == "tag:yaml.org,2002:" || tag.handle == "!!" {
            match tag.suffix.as_str() {
                "str" | "binary" => return Value::String(text.into_owned()),
                "int" | "float" | "bool" | "null" => {}
                _ => return Value::String(text.into_owned()),
            }
        }
    }
    if style != ScalarStyle::Plain {
        return Value::String(text.into_owned());
    }
    match &*text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::String(text.into_owned())
        }
        _ => {}
    }
    let first = text.as_bytes()[0];
    if !(first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.') {
        return Value::String(text.into_owned());
    }
    if let Some(n) = parse_int(&text) {
        return Value::Number(n);
    }
    if looks_like_float(&text) {
        if let Ok(f) = text.parse::<f64>() {
            if let Some(n) = Number::from_f64(f) {
                return Value::Number(n);
            }
        }
    }
    Value::String(text.into_owned())
}

fn parse_int(text: &str) -> Option<Number> {
    let (neg, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() {
        return None;
    }
    let (radix, body) = if let Some(h) = digits.strip_prefix("0x") {
        (16, h)
    } else if let Some(o) = digits.strip_prefix("0o") {
        (8, o)
    } else if digits.len() > 1
        && digits.starts_with('0')
        && digits.bytes().all(|b| (b'0'..=b'7').contains(&b))
    {
        (8, &digits[1..])
    } else {
        (10, digits)
    };
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    if radix == 10 && !body.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if neg {
        i64::from_str_radix(&format!("-{body}"), radix)
            .ok()
            .map(Number::from)
    } else {
        u64::from_str_radix(body, radix).ok().map(Number::from)
    }
}

fn looks_like_float(text: &str) -> bool {
    let t = text.trim_start_matches(['-', '+']);
    !t.is_empty()
        && t.bytes().any(|b| b.is_ascii_digit())
        && t.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
}

/// Splits a stream at its `---` lines, so that a document the parser gives
/// up on (it cannot resume after an error) does not take the rest with it.
/// Each part is a byte range (cut after a `\n`) with the number of lines
/// before it.
pub(crate) fn split_documents(bytes: &[u8]) -> Vec<(u32, std::ops::Range<usize>)> {
    let mut parts = Vec::new();
    let (mut start, mut start_line, mut line) = (0usize, 0u32, 0u32);
    let mut offset = 0usize;
    for l in bytes.split_inclusive(|b| *b == b'\n') {
        let is_marker = l.starts_with(b"---") && l.get(3).is_none_or(|c| c.is_ascii_whitespace());
        if is_marker && offset > start {
            parts.push((start_line, start..offset));
            start = offset;
            start_line = line;
        }
        offset += l.len();
        line += 1;
    }
    parts.push((start_line, start..bytes.len()));
    parts
}

/// Whether a line after the first starts with `---`. memchr rather than
/// `str::contains`, whose substring search has no SIMD path on wasm32.
fn has_document_start(text: &[u8]) -> bool {
    memchr::memchr_iter(b'\n', text).any(|at| text[at + 1..].starts_with(b"---"))
}

/// Parses a YAML (or JSON) stream. Every document is returned, parsed or not,
/// so that one broken document does not hide the others.
pub fn parse_stream(text: &str) -> Vec<Result<Document, SyntaxError>> {
    let mut out = Vec::new();
    let mut index = 0usize;
    // Most texts hold one document; a substring search tells quickly.
    if !text.starts_with("---") && !has_document_start(text.as_bytes()) {
        parse_part(text, 0, &mut index, &mut out);
        return finish_stream(out);
    }
    for (line_offset, range) in split_documents(text.as_bytes()) {
        parse_part(&text[range], line_offset, &mut index, &mut out);
    }
    finish_stream(out)
}

/// Like `parse_stream` for raw bytes: a document with invalid UTF-8 is a
/// syntax error at the first bad byte, and the other documents still parse.
pub fn parse_bytes(bytes: &[u8]) -> Vec<Result<Document, SyntaxError>> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return parse_stream(text);
    }
    let mut out = Vec::new();
    let mut index = 0usize;
    for (line_offset, range) in split_documents(bytes) {
        match std::str::from_utf8(&bytes[range.clone()]) {
            Ok(text) => parse_part(text, line_offset, &mut index, &mut out),
            Err(e) => {
                let mut err = utf8_error(&bytes[range], &e);
                err.index = index;
                err.line += line_offset;
                out.push(Err(err));
                index += 1;
            }
        }
    }
    finish_stream(out)
}

/// `KEY=VALUE` lines; `#` comments, blank lines and `export ` are allowed.
pub fn parse_env(text: &str) -> Result<(Value, SourceMap), (Pos, String)> {
    let mut map = Map::new();
    let mut positions = SourceMap::default();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let pos = Pos {
            line: i as u32 + 1,
            column: (line.len() - trimmed.len()) as u32 + 1,
        };
        let body = trimmed.strip_prefix("export ").unwrap_or(trimmed);
        let Some((k, v)) = body.split_once('=') else {
            return Err((pos, format!("line {} is not KEY=VALUE", i + 1)));
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
                + body.find('=').map_or(0, |i| i as u32 + 1)
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

/// An input's documents: a YAML/JSON stream, or a dotenv file as one ConfigMap.
pub fn parse_input(file: Option<&str>, bytes: &[u8]) -> Vec<Result<Document, SyntaxError>> {
    match file.filter(|f| is_env_file(f)) {
        Some(f) => vec![std::str::from_utf8(bytes)
            .map_err(|e| utf8_error(bytes, &e))
            .and_then(|text| env_document(f, text))],
        None => parse_bytes(bytes),
    }
}

/// `parse_input` for text.
pub fn parse_input_text(file: Option<&str>, text: &str) -> Vec<Result<Document, SyntaxError>> {
    match file.filter(|f| is_env_file(f)) {
        Some(f) => vec![env_document(f, text)],
        None => parse_stream(text),
    }
}

/// A dotenv file as a ConfigMap named after it, its variables the data,
/// each at its line; marked with `FROM_ENV_FILE`.
fn env_document(file: &str, text: &str) -> Result<Document, SyntaxError> {
    let (data, positions) = parse_env(text).map_err(|(pos, message)| SyntaxError {
        index: 0,
        line: pos.line,
        column: pos.column,
        message: format!("{message} (a dotenv file)"),
    })?;
    let base = file.rsplit(['/', '\\']).next().unwrap_or(file);
    let name = match base.strip_suffix(".env").unwrap_or(base) {
        "" => "env",
        stem => stem,
    };
    let (annotation, source) = FROM_ENV_FILE;
    let value = serde_json::json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "annotations": {annotation: source}},
        "data": data,
    });
    let mut map = positions.rebase("", "/data");
    map.insert("", Pos { line: 1, column: 1 });
    Ok(Document {
        index: 0,
        value,
        map,
    })
}

/// The location of invalid UTF-8 in `bytes`.
pub fn utf8_error(bytes: &[u8], e: &std::str::Utf8Error) -> SyntaxError {
    let good = &bytes[..e.valid_up_to()];
    let line = good.iter().filter(|b| **b == b'\n').count() as u32 + 1;
    let line_start = good.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&good[line_start..]).chars().count() as u32 + 1;
    SyntaxError {
        index: 0,
        line,
        column,
        message: "invalid UTF-8; save the file as UTF-8".to_owned(),
    }
}

fn finish_stream(
    mut out: Vec<Result<Document, SyntaxError>>,
) -> Vec<Result<Document, SyntaxError>> {
    // An empty or null document (`---` at the end, comments only) is not a
    // document, as for kubectl.
    out.retain(|d| !matches!(d, Ok(doc) if doc.value.is_null()));
    for (i, d) in out.iter_mut().enumerate() {
        match d {
            Ok(doc) => doc.index = i,
            Err(e) => e.index = i,
        }
    }
    out
}

/// Parses one part of a stream (see `split_documents`): with the fast
/// scanner when the part is within its subset, else with saphyr.
fn parse_part(
    text: &str,
    line_offset: u32,
    index: &mut usize,
    out: &mut Vec<Result<Document, SyntaxError>>,
) {
    match crate::fast_yaml::parse_part(text, line_offset, *index) {
        Some(Some(doc)) => {
            out.push(Ok(doc));
            *index += 1;
        }
        Some(None) => {}
        None => parse_part_saphyr(text, line_offset, index, out),
    }
}

/// The 1-based position where a saphyr event's span starts.
fn span_pos(span: &Span, line_offset: u32, joins: &Joins) -> Pos {
    let (line, col) = (span.start.line(), span.start.col());
    Pos {
        line: line as u32 + line_offset,
        column: joins.column(line, col) as u32 + 1,
    }
}

const ESCAPE_NOT_A_CHARACTER: &str = "found invalid Unicode character escape code";

pub(crate) fn parse_part_saphyr(
    text: &str,
    line_offset: u32,
    index: &mut usize,
    out: &mut Vec<Result<Document, SyntaxError>>,
) {
    let (start_index, start_len) = (*index, out.len());
    let mut text = Cow::Borrowed(text);
    let mut joins = Joins::default();
    // Each round re-parses the part: bounded so that a huge document full
    // of such strings cannot take quadratic time.
    let mut rounds = (MAX_JOIN_BYTES / text.len().max(1)).clamp(8, 4096);
    loop {
        match parse_saphyr(&text, line_offset, index, out, &joins) {
            None => return,
            Some(stop) if rounds > 0 => match joins.rewrite(&text, stop) {
                Some(joined) => {
                    rounds -= 1;
                    text = Cow::Owned(joined);
                    *index = start_index;
                    out.truncate(start_len);
                }
                None => return,
            },
            Some(_) => {
                if let Some(Err(e)) = out.last_mut() {
                    e.message = "too many strings with surrogate-pair escapes to join; \
                        write these characters as UTF-8"
                        .to_owned();
                }
                return;
            }
        }
    }
}

/// Re-parsing is bounded to about this many bytes per part.
const MAX_JOIN_BYTES: usize = 64 << 20;

/// Parses with saphyr; when it stops at a `\u` escape that is not a
/// character, returns where the quoted scalar holding it starts (the error
/// is in `out` too).
fn parse_saphyr(
    text: &str,
    line_offset: u32,
    index: &mut usize,
    out: &mut Vec<Result<Document, SyntaxError>>,
    joins: &Joins,
) -> Option<saphyr_parser::Marker> {
    let mut parser = Parser::new_from_str(text);
    let mut builder: Option<Builder> = None;
    let mut failed = false;
    while let Some(event) = parser.next_event() {
        let (event, span) = match event {
            Ok(e) => e,
            Err(e) => {
                let (line, col) = (e.marker().line(), e.marker().col());
                let not_a_character = e.info().contains(ESCAPE_NOT_A_CHARACTER);
                let message = if e.info().contains("recursion limit") {
                    "nesting deeper than the parser allows; flatten the document".to_owned()
                } else if not_a_character {
                    "a `\\u` escape that is not a character: half of a surrogate pair?".to_owned()
                } else {
                    e.info().to_owned()
                };
                out.push(Err(SyntaxError {
                    index: *index,
                    line: line as u32 + line_offset,
                    column: joins.column(line, col) as u32 + 1,
                    message,
                }));
                *index += 1;
                return not_a_character.then(|| *e.marker());
            }
        };
        let pos = span_pos(&span, line_offset, joins);
        let step = match (event, builder.as_mut()) {
            (Event::DocumentStart(_), _) => {
                builder = Some(Builder::new(*index));
                failed = false;
                Ok(())
            }
            (Event::DocumentEnd, Some(_)) => {
                if let Some(b) = builder.take() {
                    if !failed {
                        out.push(Ok(b.into_document()));
                    }
                }
                *index += 1;
                Ok(())
            }
            (_, Some(_)) if failed => Ok(()),
            (Event::Scalar(v, style, anchor, tag), Some(b)) => {
                b.scalar(v, style, anchor, tag.as_deref(), pos)
            }
            (Event::MappingStart(anchor, _), Some(b)) => b.start(true, anchor, pos, 0),
            (Event::SequenceStart(anchor, _), Some(b)) => b.start(false, anchor, pos, 0),
            (Event::MappingEnd | Event::SequenceEnd, Some(b)) => {
                b.end();
                Ok(())
            }
            (Event::Alias(id), Some(b)) => b.alias(id, pos),
            _ => Ok(()),
        };
        if let Err(e) = step {
            out.push(Err(e));
            failed = true;
        }
    }
    None
}

/// saphyr reads each `\u` escape alone, so it rejects the surrogate pairs
/// that JSON writes for characters outside the BMP (`json.dumps` does by
/// default). Each pair in the quoted scalar it stopped at is rewritten as
/// one `\U` escape, two characters shorter, and the part parsed again;
/// positions after a rewrite move back to where the user wrote them.
#[derive(Default)]
struct Joins {
    /// (line, column) in the rewritten text just after each rewrite.
    after: Vec<(usize, usize)>,
}

impl Joins {
    fn column(&self, line: usize, col: usize) -> usize {
        let before = self.after.iter().filter(|&&(l, c)| l == line && c <= col);
        col + 2 * before.count()
    }

    /// `text` with the pairs in the double-quoted scalar at `quote` joined;
    /// `None` when it has none (a lone surrogate is an error as it stands).
    fn rewrite(&mut self, text: &str, quote: saphyr_parser::Marker) -> Option<String> {
        let start = text.char_indices().nth(quote.index()).map(|(i, _)| i)?;
        if text.as_bytes().get(start) != Some(&b'"') {
            return None;
        }
        let (mut line, mut col) = (quote.line(), quote.col() + 1);
        let mut out = String::with_capacity(text.len());
        out.push_str(&text[..=start]);
        let mut rest = text[start + 1..].chars();
        let mut joined = false;
        while let Some(c) = rest.next() {
            match c {
                '"' => {
                    out.push(c);
                    break;
                }
                '\\' => {
                    if let Some(pair) = surrogate_pair(rest.as_str()) {
                        let _ = write!(out, "\\U{:08X}", u32::from(pair));
                        rest = rest.as_str()[11..].chars();
                        col += 10;
                        self.after.push((line, col));
                        joined = true;
                        continue;
                    }
                    // The escaped character is copied whole (`\"` ends nothing).
                    out.push(c);
                    col += 1;
                    let Some(escaped) = rest.next() else { break };
                    out.push(escaped);
                    (line, col) = if escaped == '\n' {
                        (line + 1, 0)
                    } else {
                        (line, col + 1)
                    };
                }
                '\n' => {
                    out.push(c);
                    (line, col) = (line + 1, 0);
                }
                _ => {
                    out.push(c);
                    col += 1;
                }
            }
        }
        out.push_str(rest.as_str());
        joined.then_some(out)
    }
}

/// The character of `uHHHH\uLLLL` (a surrogate pair, after its `\`) at the
/// start of `s`.
pub(crate) fn surrogate_pair(s: &str) -> Option<char> {
    if !s.starts_with('u') {
        return None;
    }
    let hex = |h: &str| {
        h.bytes()
            .all(|b| b.is_ascii_hexdigit())
            .then(|| u32::from_str_radix(h, 16).ok())
            .flatten()
    };
    let high = hex(s.get(1..5)?).filter(|c| (0xD800..0xDC00).contains(c))?;
    if s.get(5..7) != Some("\\u") {
        return None;
    }
    let low = hex(s.get(7..11)?).filter(|c| (0xDC00..0xE000).contains(c))?;
    char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Document {
        match parse_stream(text).into_iter().next() {
            Some(Ok(d)) => d,
            other => unreachable!("{other:?}"),
        }
    }

    #[test]
    fn values_and_positions() {
        let d = one("a: 1\nb:\n  - x\n  - 'y'\nc: 0400\nd: 1.5\ne: true\nf: ~\n");
        assert_eq!(
            d.value,
            serde_json::json!({"a": 1, "b": ["x", "y"], "c": 256, "d": 1.5, "e": true, "f": null})
        );
        assert_eq!(d.map.locate("/b/1"), Some(Pos { line: 4, column: 5 }));
        assert_eq!(d.map.locate("/a"), Some(Pos { line: 1, column: 4 }));
        assert_eq!(d.map.locate("/b/7/z"), Some(Pos { line: 3, column: 3 }));
    }

    #[test]
    fn joins_json_surrogate_pair_escapes() {
        // `json.dumps` writes characters outside the BMP as pairs.
        let one_line = r#"{"a": "x\ud83d\ude00y\uD83D\uDE01", "b": 1}"#;
        let indented = "{\n  \"a\": \"x\\ud83d\\ude00y\\uD83D\\uDE01\",\n  \"b\": [\"\\ud83d\\ude00\", 2]\n}\n";
        let d = one(one_line);
        assert_eq!(d.value, serde_json::json!({"a": "x😀y😁", "b": 1}));
        // Columns count the escapes as written.
        assert_eq!(
            d.map.locate("/b"),
            Some(Pos {
                line: 1,
                column: 42
            })
        );
        let d = one(indented);
        assert_eq!(d.value, serde_json::json!({"a": "x😀y😁", "b": ["😀", 2]}));
        assert_eq!(
            d.map.locate("/b/1"),
            Some(Pos {
                line: 3,
                column: 25
            })
        );
    }

    #[test]
    fn joins_pairs_in_multi_line_scalars() {
        let text =
            "{\"a\": \"x\\ud83d\\ude00\n  y\\ud83d\\ude00\\\n  z\\ud83d\\ude00\", \"b\": 1}\n";
        let d = one(text);
        assert_eq!(d.value, serde_json::json!({"a": "x😀 y😀z😀", "b": 1}));
        assert_eq!(
            d.map.locate("/b"),
            Some(Pos {
                line: 3,
                column: 24
            })
        );
    }

    #[test]
    fn a_lone_surrogate_escape_is_an_error() {
        for text in [
            r#"{"a": "\ud83d"}"#,
            r#"{"a": "\ude00\ud83d"}"#,
            "a: \"x\\ud83dy\"\n",
        ] {
            match parse_stream(text).as_slice() {
                [Err(e)] => assert!(e.message.contains("surrogate"), "{e:?}"),
                other => unreachable!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn surrogate_escapes_outside_double_quotes_stay_text() {
        let d = one("a: '\\ud83d\\ude00'\nb: |\n  \"\\ud83d\\ude00\"\nc: \"\\ud83d\\ude00\"\n");
        assert_eq!(
            d.value,
            serde_json::json!({"a": "\\ud83d\\ude00", "b": "\"\\ud83d\\ude00\"\n", "c": "😀"})
        );
    }

    #[test]
    fn lookup_agrees_with_serde_json_pointer() {
        let v = serde_json::json!({"a/b": {"c~d": [1, {"e": 2}]}, "": 3, "x": [7]});
        for p in [
            "",
            "/a~1b",
            "/a~1b/c~0d/1/e",
            "/a~1b/c~0d/0",
            "/",
            "/x/0",
            "/x/00",
            "/x/+0",
            "/x/1",
            "/nope",
            "a",
            "/a~1b/c~0d/-",
        ] {
            assert_eq!(lookup(&v, p), v.pointer(p), "{p}");
        }
    }

    #[test]
    fn long_keys_over_many_children_do_not_blow_up_positions() {
        let key = "k".repeat(1 << 20);
        let children: String = (0..100).map(|i| format!("  c{i}: {i}\n")).collect();
        // An explicit key: plain keys are limited to 1024 characters.
        let d = one(&format!("? {key}\n:\n{children}"));
        let first = format!("/{key}/c0");
        let last = format!("/{key}/c99");
        assert_eq!(d.map.locate(&first), Some(Pos { line: 3, column: 7 }));
        // Past the budget a child is placed at its nearest recorded ancestor.
        assert_eq!(d.map.locate(&last), Some(Pos { line: 3, column: 3 }));
        assert!(d.map.pointers.len() <= MAX_POINTER_BYTES);
    }

    #[test]
    fn block_scalar_position() {
        let d = one("data:\n  config.yaml: |\n    a: 1\n    b: 2\n");
        assert_eq!(
            d.map.block_text("/data/config.yaml"),
            Some(BlockText {
                first_line: 3,
                indent: 4
            })
        );
        let docs = parse_stream("a: 1\n---\ndata:\n  f: |\n    x\n");
        assert!(
            matches!(&docs[1], Ok(d) if d.map.block_text("/data/f").is_some_and(|b| b.first_line == 5))
        );
    }

    #[test]
    fn multi_document_keeps_going_after_semantic_error() {
        let docs = parse_stream("a: 1\n---\nb: *nope\n---\nc: 3\n");
        assert_eq!(docs.len(), 3);
        assert!(docs[1].is_err());
        assert!(matches!(&docs[2], Ok(d) if d.index == 2));
    }

    #[test]
    fn deep_nesting_is_an_error() {
        let text = "[".repeat(1000) + &"]".repeat(1000);
        assert!(parse_stream(&text)[0]
            .as_ref()
            .is_err_and(|e| e.message.contains("nesting deeper")));
    }

    #[test]
    fn alias_bomb_is_an_error() {
        let mut t = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let p = i - 1;
            t.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        assert!(parse_stream(&t)[0]
            .as_ref()
            .is_err_and(|e| e.message.contains("more than")));
    }

    #[test]
    fn json_is_yaml() {
        let d = one("{\"a\": [1, 2.5, \"s\", null]}");
        assert_eq!(d.value, serde_json::json!({"a": [1, 2.5, "s", null]}));
    }
}
