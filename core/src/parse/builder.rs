//! Building a document's value and source map from parse events.

use super::document::{BlockText, Document, Pos, SourceMap, SyntaxError};
use super::limits::{size_text, ParseLimits};
use super::pointer::push_segment;
use saphyr_parser::ScalarStyle;
use serde_json::{Map, Number, Value};
use std::borrow::Cow;
use std::fmt::Write as _;

enum Frame {
    Map {
        map: Map<String, Value>,
        key: Option<String>,
        anchor: usize,
        pointer_len: usize,
        /// The key just read is a YAML merge key (a plain `<<`).
        merging: bool,
        /// The values of its merge keys, merged in when the map ends.
        merges: Vec<Value>,
    },
    Seq {
        items: Vec<Value>,
        anchor: usize,
        pointer_len: usize,
    },
}

/// Builds a document's value and source map from parse events. Both the
/// saphyr parser and the fast scanner (`fast`) drive it, so
/// scalar resolution, keys, limits and pointers are the same for both.
pub(crate) struct Builder {
    index: usize,
    pointer: String,
    stack: Vec<Frame>,
    map: SourceMap,
    anchors: Vec<(usize, Value)>,
    nodes: usize,
    /// Bytes of keys and scalars, aliases expanded.
    text_bytes: usize,
    root: Option<Value>,
    limits: ParseLimits,
}

impl Builder {
    pub(crate) fn new(index: usize, limits: ParseLimits) -> Self {
        Builder {
            index,
            // Room for most pointers and depths, to grow them less often.
            pointer: String::with_capacity(64),
            stack: Vec::with_capacity(4),
            map: SourceMap::default(),
            anchors: Vec::new(),
            nodes: 0,
            text_bytes: 0,
            root: None,
            limits,
        }
    }

    fn error(&self, pos: Pos, message: impl Into<String>) -> SyntaxError {
        SyntaxError {
            index: self.index,
            line: pos.line,
            column: pos.column,
            message: message.into(),
            limit: None,
        }
    }

    /// An error for going over the limit `name`.
    fn over(&self, pos: Pos, name: &'static str, what: String, advice: &str) -> SyntaxError {
        SyntaxError::over(self.index, pos, name, &what, advice)
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

    fn count(&mut self, pos: Pos, size: Size) -> Result<(), SyntaxError> {
        const FAN_OUT: &str = "split it or remove alias fan-out";
        self.nodes += size.nodes;
        if self.nodes > self.limits.values {
            let what = format!(
                "document has more than {} values (aliases expanded)",
                self.limits.values
            );
            return Err(self.over(pos, "values", what, FAN_OUT));
        }
        self.text_bytes = self.text_bytes.saturating_add(size.bytes);
        if self.text_bytes > self.limits.document_bytes {
            let what = format!(
                "document has more than {} of text (aliases expanded)",
                size_text(self.limits.document_bytes as u64)
            );
            return Err(self.over(pos, "document-bytes", what, FAN_OUT));
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
            Some(Frame::Map {
                map,
                key,
                merging,
                merges,
                ..
            }) => {
                if std::mem::take(merging) {
                    key.take();
                    merges.push(value);
                } else if let Some(k) = key.take() {
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
        self.count(
            pos,
            Size {
                nodes: 1,
                bytes: text.len(),
            },
        )?;
        let is_value = self.enter();
        // kubectl's YAML reader expands merge keys, so a value brought in by
        // one reaches the cluster and must be checked.
        let is_merge = !is_value && style == ScalarStyle::Plain && tag.is_none() && text == "<<";
        let value = resolve_scalar(text, style, tag);
        if is_merge {
            if let Some(Frame::Map { merging, key, .. }) = self.stack.last_mut() {
                *merging = true;
                *key = Some("<<".to_owned());
            }
            return Ok(());
        }
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
        self.count(pos, Size { nodes: 1, bytes: 0 })?;
        if self.stack.len() >= self.limits.depth {
            let what = format!("nesting deeper than {} levels", self.limits.depth);
            return Err(self.over(pos, "depth", what, "flatten the document"));
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
                merging: false,
                merges: Vec::new(),
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

    pub(crate) fn end(&mut self) -> Result<(), SyntaxError> {
        let (value, anchor) = match self.stack.pop() {
            Some(Frame::Map {
                mut map,
                anchor,
                merges,
                ..
            }) => {
                if !merges.is_empty() {
                    self.merge(&mut map, merges)?;
                }
                (Value::Object(map), anchor)
            }
            Some(Frame::Seq { items, anchor, .. }) => (Value::Array(items), anchor),
            None => return Ok(()),
        };
        self.leave_pointer();
        self.finish(value, anchor);
        Ok(())
    }

    /// Merges the values of a map's `<<` keys into it, as YAML 1.1 says:
    /// the map's own keys win, then the first merged mapping that has a key.
    /// The pointer names the map; merged values are placed at the `<<` value.
    fn merge(
        &mut self,
        map: &mut Map<String, Value>,
        merges: Vec<Value>,
    ) -> Result<(), SyntaxError> {
        let base_len = self.pointer.len();
        push_segment(&mut self.pointer, "<<");
        let at = self.map.locate(&self.pointer).unwrap_or_default();
        self.pointer.truncate(base_len);
        for merged in merges {
            let sources = match merged {
                Value::Object(m) => vec![m],
                Value::Array(items) if items.iter().all(Value::is_object) => items
                    .into_iter()
                    .filter_map(|v| match v {
                        Value::Object(m) => Some(m),
                        _ => None,
                    })
                    .collect(),
                _ => {
                    return Err(self.error(
                        at,
                        "a merge key `<<` must name a mapping or a list of mappings; quote it (`\"<<\"`) for a key named `<<`",
                    ))
                }
            };
            for source in sources {
                for (k, v) in source {
                    if !map.contains_key(&k) {
                        push_segment(&mut self.pointer, &k);
                        self.map.insert(&self.pointer, at);
                        self.pointer.truncate(base_len);
                        map.insert(k, v);
                    }
                }
            }
        }
        Ok(())
    }

    pub(crate) fn alias(&mut self, id: usize, pos: Pos) -> Result<(), SyntaxError> {
        let Some(at) = self.anchors.iter().rposition(|(a, _)| *a == id) else {
            return Err(self.error(pos, "alias to an unknown anchor"));
        };
        // Counted before the copy, so that a bomb fails before it is built.
        self.count(pos, size_of(&self.anchors[at].1))?;
        let value = self.anchors[at].1.clone();
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

/// What a value costs: its values and the bytes of its keys and scalars.
#[derive(Clone, Copy)]
struct Size {
    nodes: usize,
    bytes: usize,
}

fn size_of(v: &Value) -> Size {
    let mut size = Size { nodes: 1, bytes: 0 };
    match v {
        Value::Array(a) => {
            for item in a {
                size = size.plus(size_of(item));
            }
        }
        Value::Object(m) => {
            for (k, item) in m {
                size = size.plus(size_of(item));
                size.bytes = size.bytes.saturating_add(k.len());
            }
        }
        Value::String(s) => size.bytes = s.len(),
        // About the length of the text a number or a literal is written as.
        _ => size.bytes = 8,
    }
    size
}

impl Size {
    fn plus(self, other: Size) -> Size {
        Size {
            nodes: self.nodes.saturating_add(other.nodes),
            bytes: self.bytes.saturating_add(other.bytes),
        }
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
