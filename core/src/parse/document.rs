//! A parsed document: its value, and where each of its values is in the source.

use super::limits::MAX_POINTER_BYTES;
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
}
