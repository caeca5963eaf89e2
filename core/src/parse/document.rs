//! A parsed document: its value, and where each of its values is in the source.

use super::limits::{raise_note, size_text, ParseLimits, MAX_POINTER_BYTES};
use serde_json::Value;

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
    pub(super) pointers: String,
    /// `(start, end)` of a pointer in `pointers`, and its position.
    pub(super) entries: Vec<(u32, u32, Pos)>,
    pub(super) blocks: Vec<(Box<str>, BlockText)>,
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
    /// The limit the document went over (`depth`, `values`,
    /// `document-bytes`), when that is why it does not parse.
    pub limit: Option<&'static str>,
}

impl SyntaxError {
    /// Going over the limit `name`: what went over, which limit it was and
    /// how to raise it, then what to do about the document.
    pub(super) fn over(
        index: usize,
        pos: Pos,
        name: &'static str,
        what: &str,
        advice: &str,
    ) -> Self {
        SyntaxError {
            index,
            line: pos.line,
            column: pos.column,
            message: format!("{what} ({}); {advice}", raise_note(name)),
            limit: Some(name),
        }
    }

    /// Where the error is.
    pub fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            column: self.column,
        }
    }
}

impl Document {
    /// A document evaluated without a source file: no line/column.
    pub fn from_value(value: Value) -> Document {
        Document {
            index: 0,
            value,
            map: SourceMap::default(),
        }
    }

    /// The `index`th document of an input given as values, held to the
    /// limits its text would be parsed within, so that a host that passes a
    /// parsed object answers as one that passes its text. A refusal has no
    /// position (line 0).
    pub fn within(
        index: usize,
        value: Value,
        limits: ParseLimits,
    ) -> Result<Document, SyntaxError> {
        const FAN_OUT: &str = "split it";
        let over = |name, what: String, advice| {
            Err(SyntaxError::over(
                index,
                Pos::default(),
                name,
                &what,
                advice,
            ))
        };
        // Iterative: the value may be deeper than the stack allows recursion.
        let (mut values, mut bytes) = (0usize, 0usize);
        let mut pending = vec![(&value, 0usize)];
        while let Some((v, depth)) = pending.pop() {
            values += 1;
            if (v.is_object() || v.is_array()) && depth >= limits.depth {
                let what = format!("nesting deeper than {} levels", limits.depth);
                return over("depth", what, "flatten the document");
            }
            match v {
                Value::Object(m) => {
                    bytes += m.keys().map(String::len).sum::<usize>();
                    pending.extend(m.values().map(|item| (item, depth + 1)));
                }
                Value::Array(items) => pending.extend(items.iter().map(|item| (item, depth + 1))),
                Value::String(s) => bytes += s.len(),
                _ => {}
            }
            if values > limits.values {
                let what = format!("document has more than {} values", limits.values);
                return over("values", what, FAN_OUT);
            }
            if bytes > limits.document_bytes {
                let size = size_text(limits.document_bytes as u64);
                return over(
                    "document-bytes",
                    format!("document has more than {size} of text"),
                    FAN_OUT,
                );
            }
        }
        let mut doc = Document::from_value(value);
        doc.index = index;
        Ok(doc)
    }
}
