//! A fast path for the block-style YAML that Kubernetes manifests and
//! config files are written in. It reads the text line by line and drives
//! the same `Builder` as the saphyr path, so values, keys, limits and
//! positions come out the same. Anything outside its subset makes it give up
//! (`None`), and saphyr parses the part instead: the fast path either gives
//! exactly saphyr's result or none at all. The differential tests below hold
//! it to that.
//!
//! The subset:
//! - block mappings with plain or one-line quoted keys, and block sequences,
//!   also at their key's indentation (`key:` then `- a`), and `- key: value`
//!   entries; empty values;
//! - one-line plain, single-quoted and double-quoted scalars;
//! - `|` and `>` block scalars with any chomping, without an indentation
//!   indicator, whose first line has content;
//! - one-line flow collections of scalars and flow collections, without
//!   empty values or a trailing comma;
//! - comments, blank lines, and a `---` line first.
//!
//! Left to saphyr: anchors, aliases, tags, `?` keys, directives, `...`,
//! multi-line plain or quoted scalars, documents that are a scalar, tabs
//! outside block scalars, CR, BOM and other control characters, errors of
//! any kind (syntax, duplicate keys, limits).

use super::builder::Builder;
use super::document::{Document, Pos};
use super::scan::{colon_after, entry_content, is_entry, rest_is_blank, scan_scalar, skip_spaces};
use saphyr_parser::ScalarStyle;
use std::borrow::Cow;

/// Parses one part of a stream (as `source::parse_part` does): `None` when
/// the part is outside the subset, `Some(None)` when it holds no document.
pub(crate) fn parse_part(text: &str, line_offset: u32, index: usize) -> Option<Option<Document>> {
    let flags = check_bytes(text)?;
    let parser = FastParser {
        text,
        is_ascii: flags.is_ascii,
        lines: split_lines(text, &flags)?,
        builder: Builder::new(index),
        line_offset,
    };
    parser.document()
}

/// The lines of `text`; `None` if it is too long to index with `u32`.
fn split_lines(text: &str, flags: &TextFlags) -> Option<Vec<LineInfo>> {
    u32::try_from(text.len()).ok()?;
    let mut lines = Vec::with_capacity(flags.newlines + 1);
    // Line ends are found 8 bytes at a time, the last word padded with zeros.
    let words = text.as_bytes().chunks_exact(8);
    let mut last = [0; 8];
    last[..words.remainder().len()].copy_from_slice(words.remainder());
    let words = words
        .map(|word| u64::from_le_bytes(word.try_into().unwrap_or_default()))
        .chain([u64::from_le_bytes(last)]);
    let mut start = 0;
    for (i, word) in words.enumerate() {
        let mut newlines = newline_bits(word);
        while newlines != 0 {
            let newline = i * 8 + newlines.trailing_zeros() as usize / 8;
            lines.push(LineInfo::new(text, start, newline + 1, flags.has_tabs)?);
            start = newline + 1;
            newlines &= newlines - 1;
        }
    }
    if start < text.len() {
        lines.push(LineInfo::new(text, start, text.len(), flags.has_tabs)?);
    }
    Some(lines)
}

/// The high bit of each byte of `word` that is `\n`.
fn newline_bits(word: u64) -> u64 {
    const LOW_BITS: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let x = word ^ 0x0a0a_0a0a_0a0a_0a0a;
    // A byte of x is zero where word has `\n`; this sets its high bit.
    !(((x & LOW_BITS) + LOW_BITS) | x | LOW_BITS)
}

struct TextFlags {
    has_tabs: bool,
    is_ascii: bool,
    newlines: usize,
}

/// `None` for text with a byte order mark or control characters other than
/// tab and newline (saphyr treats CR, NUL and BOM specially).
fn check_bytes(text: &str) -> Option<TextFlags> {
    let bytes = text.as_bytes();
    let is_ascii = text.is_ascii();
    // Branch-free folds over chunks, so that they vectorize.
    let control = bytes.chunks(64).any(|chunk| {
        chunk
            .iter()
            .fold(false, |found, &b| found | ((b < 0x20) & (b != b'\n')))
    });
    let newlines = bytes
        .chunks(255)
        .map(|chunk| chunk.iter().fold(0u8, |n, &b| n + u8::from(b == b'\n')))
        .map(usize::from)
        .sum();
    if control && bytes.iter().any(|&b| b < 0x20 && b != b'\n' && b != b'\t')
        || !is_ascii && text.contains('\u{FEFF}')
    {
        return None;
    }
    Some(TextFlags {
        // The control characters are tabs.
        has_tabs: control,
        is_ascii,
        newlines,
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Only spaces.
    Blank,
    Comment,
    Content,
    /// `---` or `...` at the start of the line.
    Marker,
    /// Has a tab: left to saphyr unless it is inside a block scalar.
    Unsupported,
}

/// What the parser keeps of each line, in a few bytes: the table of lines
/// stays a small allocation (large ones slow glibc's malloc down).
#[derive(Clone, Copy)]
struct LineInfo {
    start: u32,
    /// Without the line break.
    len: u32,
    /// Leading spaces.
    indent: u16,
    kind: Kind,
    /// Starts with a block sequence entry (`- ` or `-` alone).
    is_entry: bool,
}

impl LineInfo {
    /// The line `text[start..end]`, with its line break if it has one;
    /// `None` for an indentation too deep to store.
    fn new(text: &str, start: usize, end: usize, has_tabs: bool) -> Option<Self> {
        let raw = &text[start..end];
        let line = raw.strip_suffix('\n').unwrap_or(raw);
        let bytes = line.as_bytes();
        let indent = bytes.iter().take_while(|&&b| b == b' ').count();
        let kind = match bytes.get(indent) {
            None => Kind::Blank,
            Some(b'#') => Kind::Comment,
            Some(b'-' | b'.') if indent == 0 && is_document_marker(bytes) => Kind::Marker,
            _ if has_tabs && bytes.contains(&b'\t') => Kind::Unsupported,
            _ => Kind::Content,
        };
        Some(LineInfo {
            start: start as u32,
            len: bytes.len() as u32,
            indent: u16::try_from(indent).ok()?,
            kind,
            is_entry: kind == Kind::Content && is_entry(line, indent),
        })
    }
}

#[derive(Clone, Copy)]
struct Line<'a> {
    /// Without its line break.
    text: &'a str,
    /// Leading spaces.
    indent: usize,
    kind: Kind,
    /// False only for a last line that does not end in `\n`.
    has_newline: bool,
}

fn is_document_marker(line: &[u8]) -> bool {
    (line.starts_with(b"---") || line.starts_with(b"..."))
        && matches!(line.get(3), None | Some(b' ' | b'\t'))
}

struct FastParser<'a> {
    text: &'a str,
    /// Then columns are byte offsets.
    is_ascii: bool,
    lines: Vec<LineInfo>,
    builder: Builder,
    line_offset: u32,
}

/// `None` means "not handled": the caller falls back to saphyr.
type Fast<T> = Option<T>;

impl<'a> FastParser<'a> {
    fn document(mut self) -> Fast<Option<Document>> {
        let mut first = (0..self.line_count())
            .find(|&i| {
                self.line(i)
                    .is_some_and(|l| !matches!(l.kind, Kind::Blank | Kind::Comment))
            })
            .unwrap_or(self.line_count());
        let explicit_start = self
            .line(first)
            .is_some_and(|l| l.kind == Kind::Marker && l.text.starts_with("---"));
        if explicit_start {
            if !rest_is_blank(self.line(first)?.text, 3) {
                return None;
            }
            first += 1;
        }
        let first = self.next_content(first)?;
        let Some(line) = self.line(first) else {
            if !explicit_start {
                return Some(None);
            }
            // saphyr gives `---` alone a null document, placed where the
            // stream ends (on a new line if the last one is unterminated).
            let pos = Pos {
                line: self.line_offset + self.line_count() as u32 + 1,
                column: 1,
            };
            self.builder
                .scalar(Cow::Borrowed(""), ScalarStyle::Plain, 0, None, pos)
                .ok()?;
            return Some(Some(self.builder.into_document()));
        };
        let end = self.block_node(first, line.indent)?;
        if self.next_content(end)? != self.line_count() {
            return None;
        }
        Some(Some(self.builder.into_document()))
    }

    fn line_count(&self) -> usize {
        self.lines.len()
    }

    fn line(&self, line: usize) -> Option<Line<'a>> {
        let info = self.lines.get(line)?;
        let (start, end) = (info.start as usize, (info.start + info.len) as usize);
        Some(Line {
            text: &self.text[start..end],
            indent: info.indent.into(),
            kind: info.kind,
            has_newline: end < self.text.len(),
        })
    }

    /// The first content line from `line` on (`line_count()` at the end).
    fn next_content(&self, mut line: usize) -> Fast<usize> {
        while let Some(l) = self.line(line) {
            match l.kind {
                Kind::Blank | Kind::Comment => line += 1,
                Kind::Content => return Some(line),
                Kind::Marker | Kind::Unsupported => return None,
            }
        }
        Some(line)
    }

    /// How many of the lines from `first` on, up to one less indented than
    /// `indent`, start a key (or a `-` entry for a `sequence`) at `indent`:
    /// the size of a collection, to allocate it at once.
    fn count_entries(&self, first: usize, indent: usize, sequence: bool) -> usize {
        let mut count = 0;
        for l in self.lines.iter().skip(first) {
            let l_indent = usize::from(l.indent);
            if l.kind != Kind::Content || l_indent > indent {
                continue;
            }
            if l_indent < indent || l.is_entry != sequence {
                // A key after a sequence at its indentation ends it.
                if l_indent < indent || sequence {
                    break;
                }
                continue;
            }
            count += 1;
        }
        count
    }

    fn pos(&self, line: usize, offset: usize) -> Pos {
        let column = if self.is_ascii {
            offset
        } else {
            let text = self.line(line).map_or("", |l| l.text);
            text.get(..offset).unwrap_or(text).chars().count()
        };
        Pos {
            line: self.line_offset + line as u32 + 1,
            column: column as u32 + 1,
        }
    }

    fn scalar(
        &mut self,
        line: usize,
        offset: usize,
        text: Cow<'_, str>,
        style: ScalarStyle,
    ) -> Fast<()> {
        let pos = self.pos(line, offset);
        self.builder.scalar(text, style, 0, None, pos).ok()
    }

    fn null(&mut self, line: usize, offset: usize) -> Fast<()> {
        self.scalar(line, offset, Cow::Borrowed(""), ScalarStyle::Plain)
    }

    /// A block mapping or sequence whose first line is `line`, starting at
    /// `offset` (its indentation). Returns the line after it.
    fn block_node(&mut self, line: usize, offset: usize) -> Fast<usize> {
        if is_entry(self.line(line)?.text, offset) {
            self.sequence(line, offset, false)
        } else {
            self.mapping(line, offset)
        }
    }

    /// A block mapping with its keys at column `indent`, the first on `first`.
    fn mapping(&mut self, first: usize, indent: usize) -> Fast<usize> {
        // saphyr places a block mapping at its first key.
        let pos = self.pos(first, indent);
        let keys = 1 + self.count_entries(first + 1, indent, false);
        self.builder.start(true, 0, pos, keys).ok()?;
        let mut line = first;
        loop {
            line = self.mapping_entry(line, indent)?;
            line = self.next_content(line)?;
            let Some(next) = self.line(line) else {
                break;
            };
            if next.indent < indent {
                break;
            }
            if next.indent > indent || is_entry(next.text, indent) {
                return None;
            }
        }
        self.builder.end();
        Some(line)
    }

    fn mapping_entry(&mut self, line: usize, indent: usize) -> Fast<usize> {
        let text = self.line(line)?.text;
        let key = scan_scalar(text, indent, false)?;
        let colon = colon_after(text, key.end)?;
        // saphyr's simple keys are at most 1024 characters long.
        if colon - indent > 1000 {
            return None;
        }
        self.scalar(line, indent, key.text, key.style)?;
        let start = skip_spaces(text, colon + 1);
        if !rest_is_blank(text, start) {
            return self.inline_value(line, start, indent);
        }
        // The value is on the following lines, or null.
        let next = self.next_content(line + 1)?;
        if let Some(l) = self.line(next) {
            if l.indent > indent {
                return self.block_node(next, l.indent);
            }
            if l.indent == indent && is_entry(l.text, indent) {
                return self.sequence(next, indent, true);
            }
        }
        // saphyr places an empty value at its `:`.
        self.null(line, colon)?;
        Some(line + 1)
    }

    /// A block sequence with its `-` at column `indent`, the first on
    /// `first`. `at_key_indent`: the sequence is a mapping value at the
    /// indentation of its key, and ends at the next key.
    fn sequence(&mut self, first: usize, indent: usize, at_key_indent: bool) -> Fast<usize> {
        // saphyr places a sequence at its first `-`, or if it is at its key's
        // indentation, where the first entry's content (or line end) is.
        let pos = if at_key_indent {
            self.pos(first, entry_content(self.line(first)?.text, indent))
        } else {
            self.pos(first, indent)
        };
        let entries = 1 + self.count_entries(first + 1, indent, true);
        self.builder.start(false, 0, pos, entries).ok()?;
        let mut line = first;
        loop {
            line = self.sequence_entry(line, indent)?;
            line = self.next_content(line)?;
            let Some(next) = self.line(line) else {
                break;
            };
            if next.indent < indent {
                break;
            }
            if next.indent > indent {
                return None;
            }
            if !is_entry(next.text, indent) {
                if at_key_indent {
                    break;
                }
                return None;
            }
        }
        self.builder.end();
        Some(line)
    }

    fn sequence_entry(&mut self, line: usize, indent: usize) -> Fast<usize> {
        let text = self.line(line)?.text;
        let start = skip_spaces(text, indent + 1);
        if rest_is_blank(text, start) {
            // The entry is on the following lines, or null.
            let next = self.next_content(line + 1)?;
            if let Some(l) = self.line(next) {
                if l.indent > indent {
                    return self.block_node(next, l.indent);
                }
            }
            self.null(line, entry_content(text, indent))?;
            return Some(line + 1);
        }
        match text.as_bytes()[start] {
            b'|' | b'>' | b'[' | b'{' => self.inline_value(line, start, indent),
            // `- - x` and the like.
            b'-' if is_entry(text, start) => None,
            _ => {
                let scalar = scan_scalar(text, start, false)?;
                if colon_after(text, scalar.end).is_some() {
                    // `- key: value` starts a mapping at `key`.
                    return self.mapping(line, start);
                }
                if !rest_is_blank(text, scalar.end) {
                    return None;
                }
                self.scalar(line, start, scalar.text, scalar.style)?;
                Some(line + 1)
            }
        }
    }

    /// A value that starts at `start` on `line`, after a key or `-` of a
    /// block collection indented by `indent`. Returns the line after it.
    fn inline_value(&mut self, line: usize, start: usize, indent: usize) -> Fast<usize> {
        let text = self.line(line)?.text;
        match text.as_bytes()[start] {
            b'|' | b'>' => self.block_scalar(line, start, indent),
            b'[' | b'{' => {
                let end = self.flow(line, start)?;
                rest_is_blank(text, end).then_some(line + 1)
            }
            _ => {
                let scalar = scan_scalar(text, start, false)?;
                if !rest_is_blank(text, scalar.end) {
                    return None;
                }
                self.scalar(line, start, scalar.text, scalar.style)?;
                Some(line + 1)
            }
        }
    }

    /// A `|` or `>` scalar whose header is at `start` on `line`, in a block
    /// collection indented by `parent`. This follows saphyr's
    /// `scan_block_scalar` line by line, for content indented by the first
    /// line's indentation.
    fn block_scalar(&mut self, line: usize, start: usize, parent: usize) -> Fast<usize> {
        let header = self.line(line)?.text;
        let literal = header.as_bytes()[start] == b'|';
        let (chomping, after) = match header.as_bytes().get(start + 1) {
            Some(b'-') => (Chomping::Strip, start + 2),
            Some(b'+') => (Chomping::Keep, start + 2),
            _ => (Chomping::Clip, start + 1),
        };
        // An indentation indicator or anything else after the header is left to saphyr.
        if !rest_is_blank(header, after) {
            return None;
        }
        let first = line + 1;
        let first_line = self.line(first)?;
        let indent = first_line.indent;
        // Empty scalars and leading blank lines are left to saphyr.
        if indent <= parent || indent == first_line.text.len() {
            return None;
        }
        // Sized up front: growing it line by line copies the text over and over.
        let mut capacity = 0;
        let mut probe = first;
        while let Some(l) = self.line(probe) {
            if l.indent < indent && l.indent != l.text.len() {
                break;
            }
            capacity += l.text.len().saturating_sub(indent) + 1;
            probe += 1;
        }
        let mut value = String::with_capacity(capacity);
        let mut leading_break = false;
        let mut trailing_breaks = 0;
        let mut leading_blank = false;
        let mut ends_without_break = false;
        let mut next = first;
        while let Some(l) = self.line(next) {
            // Spaces up to the indentation: an empty line. Longer ones are content.
            let is_empty = l.indent == l.text.len() && l.indent <= indent;
            if is_empty {
                // saphyr reads an unterminated last line of spaces unlike a terminated one.
                if !l.has_newline {
                    return None;
                }
                trailing_breaks += 1;
                next += 1;
                continue;
            }
            if l.indent < indent {
                break;
            }
            let content = &l.text[indent..];
            let trailing_blank = content.starts_with([' ', '\t']);
            if !literal && leading_break && !leading_blank && !trailing_blank {
                // Folding: a single line break becomes a space.
                if trailing_breaks == 0 {
                    value.push(' ');
                }
            } else if leading_break {
                value.push('\n');
            }
            push_breaks(&mut value, trailing_breaks);
            trailing_breaks = 0;
            leading_blank = trailing_blank;
            value.push_str(content);
            next += 1;
            leading_break = l.has_newline;
            if !l.has_newline {
                ends_without_break = true;
                break;
            }
        }
        if chomping != Chomping::Strip && (leading_break || ends_without_break) {
            value.push('\n');
        }
        if chomping == Chomping::Keep {
            push_breaks(&mut value, trailing_breaks);
        }
        let style = if literal {
            ScalarStyle::Literal
        } else {
            ScalarStyle::Folded
        };
        // saphyr places a block scalar at its first content character.
        self.scalar(first, indent, Cow::Owned(value), style)?;
        Some(next)
    }

    /// A flow collection that starts (`[` or `{`) at `start` and ends on the
    /// same line. Returns the offset after its closing bracket.
    fn flow(&mut self, line: usize, start: usize) -> Fast<usize> {
        let text = self.line(line)?.text;
        let bytes = text.as_bytes();
        let is_map = bytes[start] == b'{';
        let close = if is_map { b'}' } else { b']' };
        let pos = self.pos(line, start);
        self.builder.start(is_map, 0, pos, 0).ok()?;
        let mut at = skip_spaces(text, start + 1);
        if bytes.get(at) == Some(&close) {
            self.builder.end();
            return Some(at + 1);
        }
        loop {
            if is_map {
                let key = scan_scalar(text, at, true)?;
                let colon = skip_spaces(text, key.end);
                if bytes.get(colon) != Some(&b':') {
                    return None;
                }
                // Only a quoted key may have its value right after the `:`.
                let quoted = key.style != ScalarStyle::Plain;
                if !quoted && bytes.get(colon + 1) != Some(&b' ') {
                    return None;
                }
                self.scalar(line, at, key.text, key.style)?;
                at = skip_spaces(text, colon + 1);
            }
            at = match bytes.get(at) {
                Some(b'[' | b'{') => self.flow(line, at)?,
                _ => {
                    let scalar = scan_scalar(text, at, true)?;
                    self.scalar(line, at, scalar.text, scalar.style)?;
                    scalar.end
                }
            };
            at = skip_spaces(text, at);
            match bytes.get(at) {
                Some(b',') => {
                    at = skip_spaces(text, at + 1);
                    // A trailing comma is left to saphyr.
                    if bytes.get(at) == Some(&close) {
                        return None;
                    }
                }
                Some(&b) if b == close => {
                    self.builder.end();
                    return Some(at + 1);
                }
                _ => return None,
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Chomping {
    Strip,
    Clip,
    Keep,
}

fn push_breaks(value: &mut String, n: usize) {
    for _ in 0..n {
        value.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::saphyr::parse_part_saphyr;
    use crate::parse::{parse_stream, split_documents, SyntaxError};
    use std::path::{Path, PathBuf};

    /// Runs both paths on one part and asserts the fast one either bailed or
    /// agrees exactly (values and key order, positions, blocks, index).
    /// Returns whether the fast path handled the part.
    fn check_part(text: &str, line_offset: u32) -> bool {
        const INDEX: usize = 3;
        let mut index = INDEX;
        let mut expected = Vec::new();
        parse_part_saphyr(text, line_offset, &mut index, &mut expected);
        let Some(fast) = parse_part(text, line_offset, INDEX) else {
            return false;
        };
        let got: Vec<Result<Document, SyntaxError>> = fast.into_iter().map(Ok).collect();
        assert_eq!(
            format!("{got:#?}"),
            format!("{expected:#?}"),
            "fast path differs from saphyr on:\n{text}"
        );
        assert_eq!(index, INDEX + got.len(), "index differs on:\n{text}");
        true
    }

    /// Checks every part of a stream; returns the parts the fast path bailed on.
    fn check_stream(text: &str) -> Vec<(u32, &str)> {
        split_documents(text.as_bytes())
            .into_iter()
            .map(|(line_offset, range)| (line_offset, &text[range]))
            .filter(|(line_offset, part)| !check_part(part, *line_offset))
            .collect()
    }

    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for path in paths {
            if path.is_dir() {
                yaml_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                out.push(path);
            }
        }
    }

    /// Multi-line strings in a document: embedded YAML files and manifests.
    fn embedded_texts(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::String(s) if s.contains('\n') => out.push(s.clone()),
            serde_json::Value::Array(items) => items.iter().for_each(|v| embedded_texts(v, out)),
            serde_json::Value::Object(map) => map.values().for_each(|v| embedded_texts(v, out)),
            _ => {}
        }
    }

    /// Every YAML file of the repository, then the multi-line strings in them.
    fn corpus() -> Vec<(String, String)> {
        let mut files = Vec::new();
        for dir in [
            "policies",
            "examples",
            "tests",
            "benches/fixtures",
            "cli/tests/fixtures",
        ] {
            yaml_files(&root().join(dir), &mut files);
        }
        assert!(files.len() > 30, "found only {} YAML files", files.len());
        let mut texts = Vec::new();
        for path in files {
            let Ok(text) = std::fs::read_to_string(&path) else {
                unreachable!("cannot read {}", path.display())
            };
            let name = path
                .strip_prefix(root())
                .unwrap_or(&path)
                .display()
                .to_string();
            let mut embedded = Vec::new();
            for doc in parse_stream(&text).into_iter().flatten() {
                embedded_texts(&doc.value, &mut embedded);
            }
            texts.push((name.clone(), text));
            for (i, e) in embedded.into_iter().enumerate() {
                texts.push((format!("{name} (string {i})"), e));
            }
        }
        texts
    }

    #[test]
    fn handles_its_subset_like_saphyr() {
        for text in [
            "a: 1\nb:\n  - x\n  - 'y'\nc: 0400\nd: 1.5\ne: true\nf: ~\n",
            "key:\n- a\n- b: 1\n  c: 2\n-\n- # note\n  d: 3\nnext: x\n",
            "a: |\n  line1\n\n  line3\nb: >-\n  folded\n  text\n\n  para\nc: |+\n  kept\n\n",
            "k: >\n  a\n    more indented\n  b\n",
            "a: [1, 'two', \"th\\\"ree\", {b: c}, []]\nd: {}\ne: {\"f\":[g]}\n",
            "\"quoted key\": 'it''s'\n'other': \"tab\\tand \\u00e9\"\n",
            "---\n# comment\na: 1 # trailing\nb: x#y\n",
            "---\n",
            "# only a comment\n\n",
            "a:\n",
            "- \n- x\n-\n",
            "args: [--port=8080, -v]\nimage: nginx:1.14\nurl: http://x:80/y\n",
            "é: ü\nü: [é, 'ü']\n",
            "  indented: top\n  level: map\n",
            "a: x",
            "a: |\n  no final break",
            "j: {\"a\": \"x\\ud83d\\ude00y\\uD83D\\uDE01\", \"b\": [\"\\ud83d\\ude00\", 2]}\n",
            "a: \"\\ud83d\\ude00\"\nb: '\\ud83d\\ude00'\nc: [\"\\ud83d\\ude00\", 1]\n",
        ] {
            assert!(check_part(text, 0), "fast path bailed on:\n{text}");
        }
    }

    #[test]
    fn leaves_the_rest_to_saphyr() {
        for text in [
            // Outside the subset.
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a: multi\n  line\n",
            "? complex\n: key\n",
            "a:\tb\n",
            "a: 1\r\nb: 2\r\n",
            "\u{feff}a: 1\n",
            "just a scalar\n",
            "a: 1\n...\n",
            "%YAML 1.2\n---\na: 1\n",
            "a: [1,\n  2]\n",
            "a: |2\n   x\n",
            "- - nested\n",
            // Errors.
            "a: b: c\n",
            "a: 'open\n",
            "- a\nb: 1\n",
            "a:\n  - b\n c: 1\n",
            "a: 1\na: 2\n",
            "a: \"\\ud83d\"\n",
            // Pairs in a multi-line scalar, and after an escaped line break.
            "{\"a\": \"x\\ud83d\\ude00\n  y\\ud83d\\ude00\\\n  z\\ud83d\\ude00\", \"b\": 1}\n",
            "{\"a\": \"\\ud83d\\ude00\",\n \"b\": \"\\ud83d\\ude00\", \"c\": 1}\n",
        ] {
            assert!(!check_part(text, 0), "fast path handled:\n{text}");
        }
    }

    #[test]
    fn agrees_with_saphyr_on_repository_files() {
        let mut handled = 0;
        let mut bailed = Vec::new();
        for (name, text) in corpus() {
            let parts = split_documents(text.as_bytes()).len();
            let bails = check_stream(&text);
            handled += parts - bails.len();
            for (line, _) in bails {
                bailed.push(format!("{name} (part at line {})", line + 1));
            }
        }
        println!(
            "fast path handled {handled} parts; bailed on {}:",
            bailed.len()
        );
        for b in &bailed {
            println!("  {b}");
        }
        if std::env::var("FAST_YAML_SHOW_BAILS").is_ok() {
            for (name, text) in corpus() {
                for (line, part) in check_stream(&text) {
                    println!("===== {name} (line {})\n{part}", line + 1);
                }
            }
        }
    }

    #[test]
    fn handles_manifests() {
        let mut files = vec![root().join("benches/fixtures/ml-configmap.yaml")];
        yaml_files(&root().join("examples/k8s"), &mut files);
        assert!(files.len() > 3, "examples/k8s has no manifests");
        let mut texts = Vec::new();
        for path in files {
            let Ok(text) = std::fs::read_to_string(&path) else {
                unreachable!("cannot read {}", path.display())
            };
            texts.push((path.display().to_string(), text));
        }
        let Some(Ok(doc)) = parse_stream(&texts[0].1).into_iter().next() else {
            unreachable!("the fixture parses")
        };
        let Some(inner) = doc
            .value
            .pointer("/data/config.yaml")
            .and_then(|v| v.as_str())
        else {
            unreachable!("the fixture has an embedded config.yaml")
        };
        texts.push(("ml-configmap config.yaml".to_owned(), inner.to_owned()));
        for (name, text) in &texts {
            let bails = check_stream(text);
            assert!(
                bails.is_empty(),
                "fast path bailed on {name} at lines {:?}",
                bails.iter().map(|(l, _)| l + 1).collect::<Vec<_>>()
            );
        }
    }

    /// A small deterministic generator (xorshift), so failures reproduce.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    const INSERTS: &[&str] = &[
        ":", "-", "#", "'", "\"", "|", ">", "{", "[", "}", "]", ",", "\t", "\n", " ", ": ", "- ",
        " #", "&", "*", "!", "?", "\\", "\r", "...", "---\n", "|-", ">+", "\u{feff}", "é",
    ];

    /// One small edit of `text` at a position chosen by `rng`.
    fn mutate(text: &str, rng: &mut Rng) -> String {
        let mut at = rng.below(text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
        let (before, after) = (&text[..at], &text[at..]);
        match rng.below(8) {
            0 => {
                let mut rest = after.chars();
                rest.next();
                format!("{before}{}", rest.as_str())
            }
            1 | 2 => format!("{before}{}{after}", INSERTS[rng.below(INSERTS.len())]),
            3 => {
                let line = &text[line_start..line_end];
                format!("{}{line}{}", &text[..line_end], &text[line_end..])
            }
            4 => format!("{} {}", &text[..line_start], &text[line_start..]),
            5 if text[line_start..].starts_with(' ') => {
                format!("{}{}", &text[..line_start], &text[line_start + 1..])
            }
            6 => text.trim_end_matches('\n').to_owned(),
            _ => {
                // Swap this line with the next one.
                let next_end = text[line_end..]
                    .find('\n')
                    .map_or(text.len(), |i| line_end + i + 1);
                format!(
                    "{}{}{}{}",
                    &text[..line_start],
                    &text[line_end..next_end],
                    &text[line_start..line_end],
                    &text[next_end..]
                )
            }
        }
    }

    #[test]
    fn agrees_with_saphyr_on_mutated_files() {
        let corpus = corpus();
        // FAST_YAML_MUTATIONS=5000 (with --release) for a longer run.
        let per_text = std::env::var("FAST_YAML_MUTATIONS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(60);
        let seed = std::env::var("FAST_YAML_SEED")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0x9E37_79B9_7F4A_7C15);
        let mut rng = Rng(seed);
        let (mut cases, mut handled) = (0, 0);
        for (_, text) in &corpus {
            for _ in 0..per_text {
                let mut mutated = mutate(text, &mut rng);
                if rng.below(3) == 0 {
                    mutated = mutate(&mutated, &mut rng);
                }
                let parts = split_documents(mutated.as_bytes()).len();
                handled += parts - check_stream(&mutated).len();
                cases += 1;
            }
        }
        println!("{cases} mutated files, {handled} parts handled by the fast path");
        assert!(cases > 5000);
    }

    const KEYS: &[&str] = &[
        "a",
        "b",
        "key",
        "k y",
        "\"q\"",
        "'s'",
        "1",
        "null",
        "~",
        "true",
        "-x",
        "é",
        "a:b",
        "\"a\\\"b\"",
        "'it''s'",
        "x#y",
        "http://h",
        "\"\"",
        "''",
        "a ",
        "\"k\" ",
        "0x10",
        "日本",
    ];

    /// Values in the fast path's subset.
    const VALUES: &[&str] = &[
        "v",
        "1",
        "-1",
        "0x1F",
        "0400",
        "1.5",
        "1e3",
        ".inf",
        "true",
        "~",
        "null",
        "\"s p\"",
        "'q'",
        "\"esc\\n\\t\\u00e9\\x41\\U0001F600\"",
        "a #c",
        "a#b",
        "--flag",
        "[a, b]",
        "{a: 1, b: [x, 'y']}",
        "[]",
        "{}",
        "{\"a\":1}",
        "[a, [b, c], {d: e}]",
        "é",
        "\"\\\\\"",
        "'' ",
        "x  ",
        "x, y",
        "]",
        "}",
        "a  b",
        "[ a , 'b' ]",
        "{ \"a\" : b }",
        "\"a\" # c",
        "{a: [b]}",
        "{\"a\":[b]}",
        "[a, b] # c",
        "0o17",
        "+1",
        "-.5",
        "a:b",
        "http://x:80/y",
        "'it''s'",
        "\"\\\"q\\\"\"",
        "[a - b]",
        "[a-]",
        "x:y:z",
    ];

    /// Values that are invalid or outside the subset.
    const ODD_VALUES: &[&str] = &[
        "a: b",
        "- x",
        "%x",
        "@x",
        "`x",
        "&a x",
        "*a",
        "!t x",
        "? x",
        "[a,]",
        "{a: }",
        "[a: b]",
        "[a #c]",
        "[-a, - b]",
        "'a'#c",
        "\"\\q\"",
        "\"\\x4\"",
        "[\"a\":b]",
        "{a:b}",
        "- ",
        "[a]: b",
        "\"x\": y",
        "a:",
        "[a, b]#c",
        "[a, -]",
        "{a: 1",
        "\"open",
        "'open",
        "[a, {b: c]}",
        ": x",
        "|x",
        ">1",
        "[a\tb]",
        "\"\\\ttab\"",
    ];
    const BLOCK_HEADERS: &[&str] = &[
        "|", "|-", "|+", ">", ">-", ">+", "| # c", ">-  ", "|+ #x", "|", ">", "|2", "|#c", "|x",
    ];

    const BLOCK_LINES: &[&str] = &[
        "text",
        "more text",
        "  indented",
        "",
        " ",
        "    ",
        "# not a comment",
        "a: b",
        "\tx",
        "x\ty",
        "- item",
        "trailing  ",
    ];

    fn pick<'a>(rng: &mut Rng, from: &[&'a str]) -> &'a str {
        from[rng.below(from.len())]
    }

    fn push_line(out: &mut String, indent: usize, text: &str) {
        out.extend(std::iter::repeat_n(' ', indent));
        out.push_str(text);
        out.push('\n');
    }

    /// A random block scalar body at `indent`, after its header.
    fn gen_block_lines(rng: &mut Rng, indent: usize, out: &mut String) {
        for _ in 0..1 + rng.below(4) {
            let line = pick(rng, BLOCK_LINES);
            if line.is_empty() {
                out.push('\n');
            } else {
                push_line(out, indent, line);
            }
        }
    }

    /// A random value after `key:` or `-`, for a collection at `indent`.
    fn gen_value(rng: &mut Rng, indent: usize, depth: usize, out: &mut String) {
        match rng.below(if depth > 3 { 3 } else { 7 }) {
            0 | 1 => {
                out.push(' ');
                let values = if rng.below(8) == 0 {
                    ODD_VALUES
                } else {
                    VALUES
                };
                out.push_str(pick(rng, values));
                out.push('\n');
            }
            2 => {
                out.push(' ');
                out.push_str(pick(rng, BLOCK_HEADERS));
                out.push('\n');
                let body = indent + 1 + rng.below(3);
                gen_block_lines(rng, body, out);
            }
            3 => out.push('\n'),
            4 => {
                // An indentless sequence or a nested node.
                out.push('\n');
                let nested = if rng.below(3) == 0 {
                    indent
                } else {
                    indent + 1 + rng.below(3)
                };
                gen_node(rng, nested, depth + 1, out);
            }
            _ => {
                if rng.below(4) == 0 {
                    out.push_str("  # comment");
                }
                out.push('\n');
                let nested = indent + 1 + rng.below(3);
                gen_node(rng, nested, depth + 1, out);
            }
        }
    }

    /// A random block mapping or sequence at `indent`.
    fn gen_node(rng: &mut Rng, indent: usize, depth: usize, out: &mut String) {
        let is_map = rng.below(2) == 0;
        for _ in 0..1 + rng.below(4) {
            match rng.below(12) {
                0 => out.push('\n'),
                1 => push_line(out, rng.below(indent + 3), "# comment"),
                _ => {}
            }
            out.extend(std::iter::repeat_n(' ', indent));
            if is_map {
                out.push_str(pick(rng, KEYS));
                out.push(':');
                gen_value(rng, indent, depth, out);
            } else {
                out.push('-');
                if rng.below(3) == 0 {
                    // `- key: value`, its other keys aligned after the `-`.
                    let spaces = 1 + rng.below(2);
                    out.extend(std::iter::repeat_n(' ', spaces));
                    let inner = indent + 1 + spaces;
                    for i in 0..1 + rng.below(3) {
                        if i > 0 {
                            out.extend(std::iter::repeat_n(' ', inner));
                        }
                        out.push_str(pick(rng, KEYS));
                        out.push(':');
                        gen_value(rng, inner, depth + 1, out);
                    }
                } else {
                    gen_value(rng, indent, depth, out);
                }
            }
        }
    }

    #[test]
    fn agrees_with_saphyr_on_generated_documents() {
        let count = std::env::var("FAST_YAML_GENERATED")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(4000);
        let mut rng = Rng(0x2545_F491_4F6C_DD1D);
        let mut handled = 0;
        for _ in 0..count {
            let mut text = String::new();
            if rng.below(4) == 0 {
                text.push_str("---\n");
            }
            let indent = rng.below(3) / 2;
            gen_node(&mut rng, indent, 0, &mut text);
            for _ in 0..rng.below(4).saturating_sub(1) {
                text = mutate(&text, &mut rng);
            }
            if rng.below(5) == 0 {
                text.truncate(text.trim_end_matches(['\n', ' ']).len());
            }
            let parts = split_documents(text.as_bytes()).len();
            handled += parts - check_stream(&text).len();
        }
        println!("{count} generated documents, {handled} parts handled by the fast path");
        assert!(handled > count / 10);
    }
}
