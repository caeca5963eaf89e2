//! Text from documents and policies, made safe to show: the characters that
//! a terminal or a log viewer acts on instead of showing (docs/report.md).

/// Control characters (C0 but tab, DEL, C1), bidi embeddings, overrides,
/// isolates and marks, and the Unicode line and paragraph separators: they
/// can clear or recolour a terminal, reorder what a reader sees, or start a
/// line that looks like a finding of its own.
pub(super) fn is_hidden(c: char) -> bool {
    (c.is_control() && c != '\t')
        || matches!(
            c,
            '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}'
        )
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// Writes `c` as Rust writes it in a string literal: `\n`, `\r`, else
/// `\u{1b}` (lowercase hex, no leading zeros).
pub(super) fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        c => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
    }
}

/// `s` with every hidden character escaped (tabs stay): one line, shown as
/// it is.
pub(super) fn visible(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if is_hidden(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_a_terminal_would_act_on() {
        assert_eq!(
            visible("a\u{1b}[31mb\u{7f}\u{9b}\u{202e}\u{2069}\r\n\u{0}\tz"),
            r"a\u{1b}[31mb\u{7f}\u{9b}\u{202e}\u{2069}\r\n\u{0}	z"
        );
        assert_eq!(visible("ü ✓ 日本 % \\"), "ü ✓ 日本 % \\");
    }
}
