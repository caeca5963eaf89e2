//! The fast path's scanning of one line: scalars (plain, single- and
//! double-quoted, with saphyr's escapes) and the spots around them.

use super::builder::surrogate_pair;
use saphyr_parser::ScalarStyle;
use std::borrow::Cow;

pub(super) struct Scalar<'a> {
    pub(super) text: Cow<'a, str>,
    pub(super) style: ScalarStyle,
    /// Offset after the scalar (after a closing quote, before trailing spaces).
    pub(super) end: usize,
}

pub(super) fn skip_spaces(text: &str, from: usize) -> usize {
    from + text.as_bytes()[from.min(text.len())..]
        .iter()
        .take_while(|&&b| b == b' ')
        .count()
}

/// Whether only spaces, and maybe a comment after a space, follow `from`.
pub(super) fn rest_is_blank(text: &str, from: usize) -> bool {
    let at = skip_spaces(text, from);
    let bytes = text.as_bytes();
    match bytes.get(at) {
        None => true,
        Some(b'#') => at > 0 && bytes[at - 1] == b' ',
        Some(_) => false,
    }
}

/// The `:` of a mapping entry after a key that ends at `end`.
pub(super) fn colon_after(text: &str, end: usize) -> Option<usize> {
    let at = skip_spaces(text, end);
    let bytes = text.as_bytes();
    (bytes.get(at) == Some(&b':') && matches!(bytes.get(at + 1), None | Some(b' '))).then_some(at)
}

/// Whether a block sequence entry (`-` then a space or the line end) is at `at`.
pub(super) fn is_entry(text: &str, at: usize) -> bool {
    let bytes = text.as_bytes();
    bytes.get(at) == Some(&b'-') && matches!(bytes.get(at + 1), None | Some(b' '))
}

/// Where saphyr's scanner stands after the `-` at `dash`: past spaces and a
/// comment.
pub(super) fn entry_content(text: &str, dash: usize) -> usize {
    let at = skip_spaces(text, dash + 1);
    match text.as_bytes().get(at) {
        None | Some(b'#') => text.len(),
        Some(_) => at,
    }
}

fn is_flow_indicator(b: u8) -> bool {
    matches!(b, b',' | b'[' | b']' | b'{' | b'}')
}

/// A one-line plain or quoted scalar at `start`.
pub(super) fn scan_scalar(text: &str, start: usize, in_flow: bool) -> Option<Scalar<'_>> {
    match text.as_bytes().get(start)? {
        b'\'' => single_quoted(text, start),
        b'"' => double_quoted(text, start),
        _ => plain(text, start, in_flow),
    }
}

pub(super) fn can_start_plain(bytes: &[u8], start: usize, in_flow: bool) -> bool {
    match bytes.get(start) {
        None | Some(b' ') => false,
        Some(b'-') => match bytes.get(start + 1) {
            None | Some(b' ') => false,
            Some(&next) => !(in_flow && is_flow_indicator(next)),
        },
        Some(
            b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|'
            | b'>' | b'\'' | b'"' | b'%' | b'@' | b'`',
        ) => false,
        Some(_) => true,
    }
}

/// Bytes that end a run of plain scalar text (in block, or flow context).
pub(super) const fn plain_stops(in_flow: bool) -> [bool; 256] {
    let mut stops = [false; 256];
    stops[b' ' as usize] = true;
    stops[b':' as usize] = true;
    if in_flow {
        stops[b',' as usize] = true;
        stops[b'[' as usize] = true;
        stops[b']' as usize] = true;
        stops[b'{' as usize] = true;
        stops[b'}' as usize] = true;
    }
    stops
}

static BLOCK_PLAIN_STOPS: [bool; 256] = plain_stops(false);
static FLOW_PLAIN_STOPS: [bool; 256] = plain_stops(true);

/// A plain scalar ends at `: `, ` #`, the line end, and in flow context at
/// a flow indicator.
pub(super) fn plain(text: &str, start: usize, in_flow: bool) -> Option<Scalar<'_>> {
    let bytes = text.as_bytes();
    if !can_start_plain(bytes, start, in_flow) {
        return None;
    }
    let stops = if in_flow {
        &FLOW_PLAIN_STOPS
    } else {
        &BLOCK_PLAIN_STOPS
    };
    // `end` follows the last byte that is not a space.
    let (mut at, mut end) = (start + 1, start + 1);
    loop {
        let run = bytes[at..]
            .iter()
            .position(|&b| stops[usize::from(b)])
            .unwrap_or(bytes.len() - at);
        if run > 0 {
            at += run;
            end = at;
        }
        match bytes.get(at) {
            Some(b' ') => {
                let word = skip_spaces(text, at);
                match bytes.get(word) {
                    None => break,
                    // A comment inside a flow collection is left to saphyr.
                    Some(b'#') if in_flow => return None,
                    Some(b'#') => break,
                    // saphyr rejects `- ` or `-,` inside a flow collection.
                    Some(b'-') if in_flow && !can_start_plain(bytes, word, true) => return None,
                    Some(_) => at = word,
                }
            }
            Some(b':') => match bytes.get(at + 1) {
                None | Some(b' ') => break,
                Some(&next) if in_flow && is_flow_indicator(next) => break,
                Some(_) => {
                    at += 1;
                    end = at;
                }
            },
            // The line end, or a flow indicator.
            _ => break,
        }
    }
    Some(Scalar {
        text: Cow::Borrowed(&text[start..end]),
        style: ScalarStyle::Plain,
        end,
    })
}

pub(super) fn single_quoted(text: &str, start: usize) -> Option<Scalar<'_>> {
    let bytes = text.as_bytes();
    let mut owned: Option<String> = None;
    let mut run = start + 1;
    let mut at = run;
    loop {
        at += bytes.get(at..)?.iter().position(|&b| b == b'\'')?;
        match bytes.get(at)? {
            b'\'' if bytes.get(at + 1) == Some(&b'\'') => {
                // `''` is one quote.
                owned
                    .get_or_insert_with(String::new)
                    .push_str(&text[run..=at]);
                at += 2;
                run = at;
            }
            _ => break,
        }
    }
    let value = match owned {
        Some(mut s) => {
            s.push_str(&text[run..at]);
            Cow::Owned(s)
        }
        None => Cow::Borrowed(&text[run..at]),
    };
    Some(Scalar {
        text: value,
        style: ScalarStyle::SingleQuoted,
        end: at + 1,
    })
}

pub(super) fn double_quoted(text: &str, start: usize) -> Option<Scalar<'_>> {
    let bytes = text.as_bytes();
    let mut owned: Option<String> = None;
    let mut run = start + 1;
    let mut at = run;
    loop {
        at += bytes
            .get(at..)?
            .iter()
            .position(|&b| b == b'"' || b == b'\\')?;
        match bytes.get(at)? {
            b'\\' => {
                let (c, len) = escape(text, at)?;
                let s = owned.get_or_insert_with(String::new);
                s.push_str(&text[run..at]);
                s.push(c);
                at += len;
                run = at;
            }
            _ => break,
        }
    }
    let value = match owned {
        Some(mut s) => {
            s.push_str(&text[run..at]);
            Cow::Owned(s)
        }
        None => Cow::Borrowed(&text[run..at]),
    };
    Some(Scalar {
        text: value,
        style: ScalarStyle::DoubleQuoted,
        end: at + 1,
    })
}

/// The character a `\` escape at `at` stands for, and the escape's length
/// (saphyr's `resolve_flow_scalar_escape_sequence`).
pub(super) fn escape(text: &str, at: usize) -> Option<(char, usize)> {
    let c = match text.as_bytes().get(at + 1)? {
        b'0' => '\0',
        b'a' => '\x07',
        b'b' => '\x08',
        b't' => '\t',
        b'n' => '\n',
        b'v' => '\x0b',
        b'f' => '\x0c',
        b'r' => '\r',
        b'e' => '\x1b',
        b' ' => ' ',
        b'"' => '"',
        b'/' => '/',
        b'\\' => '\\',
        b'N' => '\u{85}',
        b'_' => '\u{a0}',
        b'L' => '\u{2028}',
        b'P' => '\u{2029}',
        b'x' => return hex_escape(text, at, 2),
        b'u' => {
            // JSON writes characters outside the BMP as a surrogate pair.
            if let Some(c) = surrogate_pair(&text[at + 1..]) {
                return Some((c, 12));
            }
            return hex_escape(text, at, 4);
        }
        b'U' => return hex_escape(text, at, 8),
        _ => return None,
    };
    Some((c, 2))
}

pub(super) fn hex_escape(text: &str, at: usize, digits: usize) -> Option<(char, usize)> {
    let hex = text.get(at + 2..at + 2 + digits)?;
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let code = u32::from_str_radix(hex, 16).ok()?;
    Some((char::from_u32(code)?, 2 + digits))
}
