//! The full YAML parser (saphyr), for what the fast scanner does not take.

use super::builder::{surrogate_pair, Builder};
use super::document::{Document, Pos, SyntaxError};
use super::limits::ParseLimits;
use saphyr_parser::{Event, Parser, Span};
use std::borrow::Cow;
use std::fmt::Write as _;

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
    limits: ParseLimits,
) {
    let (start_index, start_len) = (*index, out.len());
    let mut text = Cow::Borrowed(text);
    let mut joins = Joins::default();
    // Each round re-parses the part: bounded so that a huge document full
    // of such strings cannot take quadratic time.
    let mut rounds = (MAX_JOIN_BYTES / text.len().max(1)).clamp(8, 4096);
    loop {
        match parse_saphyr(&text, line_offset, index, out, &joins, limits) {
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
    limits: ParseLimits,
) -> Option<saphyr_parser::Marker> {
    let mut parser = Parser::new_from_str(text);
    let mut builder: Option<Builder> = None;
    let mut failed = false;
    while let Some(event) = parser.next_event() {
        let (event, span) = match event {
            Ok(e) => e,
            Err(e) => {
                let (line, col) = (e.marker().line(), e.marker().col());
                let col = at_first_tab(text, line, col, e.info());
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
                    limit: None,
                }));
                *index += 1;
                return not_a_character.then(|| *e.marker());
            }
        };
        let pos = span_pos(&span, line_offset, joins);
        let step = match (event, builder.as_mut()) {
            (Event::DocumentStart(_), _) => {
                builder = Some(Builder::new(*index, limits));
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
            (Event::MappingEnd | Event::SequenceEnd, Some(b)) => b.end(),
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

/// saphyr places these errors about a tab after the blanks the tab is in,
/// at the next token; they are placed at the first tab of those blanks
/// instead, where a reader who counts a tab as one character looks for it.
const AFTER_TABS: [&str; 3] = [
    "tabs disallowed within this context (block indentation)",
    "':' must be followed by a valid YAML whitespace",
    "'-' must be followed by a valid YAML whitespace",
];

/// The 0-based column of an error saphyr placed at `col` of `line` (1-based).
fn at_first_tab(text: &str, line: usize, col: usize, info: &str) -> usize {
    if !AFTER_TABS.contains(&info) {
        return col;
    }
    // Lines end as saphyr ends them: at LF, CRLF or CR.
    let mut lines = text
        .split('\n')
        .flat_map(|l| l.strip_suffix('\r').unwrap_or(l).split('\r'));
    let Some(text_line) = lines.nth(line.saturating_sub(1)) else {
        return col;
    };
    let before: Vec<char> = text_line.chars().take(col).collect();
    let blanks = before
        .iter()
        .rev()
        .take_while(|c| matches!(c, ' ' | '\t'))
        .count();
    let run = &before[before.len() - blanks..];
    match run.iter().position(|&c| c == '\t') {
        Some(tab) if before.len() == col => col - blanks + tab,
        _ => col,
    }
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
