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
use super::limits::ParseLimits;
use super::scan::{colon_after, entry_content, is_entry, rest_is_blank, scan_scalar, skip_spaces};
use saphyr_parser::ScalarStyle;
use std::borrow::Cow;

/// Parses one part of a stream (as `source::parse_part` does): `None` when
/// the part is outside the subset, `Some(None)` when it holds no document.
pub(crate) fn parse_part(
    text: &str,
    line_offset: u32,
    index: usize,
    limits: ParseLimits,
) -> Option<Option<Document>> {
    let flags = check_bytes(text)?;
    let parser = FastParser {
        text,
        is_ascii: flags.is_ascii,
        lines: split_lines(text, &flags)?,
        builder: Builder::new(index, limits),
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
        self.builder.end().ok()?;
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
        self.builder.end().ok()?;
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
            self.builder.end().ok()?;
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
                    self.builder.end().ok()?;
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
#[path = "fast/tests.rs"]
mod tests;
