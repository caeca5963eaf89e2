//! `parse`: the fast YAML path against saphyr, differentially. Every part
//! of a stream is parsed by the fast scanner when it is in its subset and
//! by saphyr otherwise; with the fast path turned off, saphyr parses them
//! all. Both must give the same documents: the same values (key order
//! included), the same source map (every entry, in order, and every block
//! scalar), the same indexes, or the same error. The fast path never
//! reports errors itself (it gives up and saphyr reports them), so errors
//! agree to the message. Also: raw bytes (invalid UTF-8 located) and the
//! same text read as a `.env` file parse without panicking, and every
//! position is inside the text.

use super::common::line_count;
use assay_core::parse::{
    parse_bytes, parse_input, parse_stream, parse_stream_without_fast_path, source_map_entries,
    Document, Pos, SyntaxError,
};

pub fn parse(data: &[u8]) {
    let lines = line_count(data);
    // Raw bytes: a document with invalid UTF-8 is an error at its place.
    for d in parse_bytes(data) {
        check_positions(&d, lines);
    }
    // The same text as a dotenv file: one ConfigMap or one error.
    let env: Vec<_> = parse_input(Some("app.env"), data).collect();
    assert_eq!(env.len(), 1, "a .env file is one document or one error");
    for d in &env {
        check_positions(d, lines);
    }
    let Ok(text) = std::str::from_utf8(data) else {
        // The differential needs text; the fuzzer mostly gives valid UTF-8.
        let text = String::from_utf8_lossy(data);
        differential(&text);
        return;
    };
    differential(text);
}

fn differential(text: &str) {
    let fast = parse_stream(text);
    let slow = parse_stream_without_fast_path(text);
    assert_eq!(
        fast.len(),
        slow.len(),
        "fast path gives {} documents, saphyr {}, on:\n{text:?}",
        fast.len(),
        slow.len()
    );
    let lines = line_count(text.as_bytes());
    for (i, (f, s)) in fast.iter().zip(&slow).enumerate() {
        check_positions(f, lines);
        match (f, s) {
            (Ok(f), Ok(s)) => same_document(i, f, s, text),
            (Err(f), Err(s)) => assert_eq!(f, s, "document {i}: errors differ on:\n{text:?}"),
            (f, s) => panic!(
                "document {i}: fast path {}, saphyr {} on:\n{text:?}\nfast: {f:?}\nsaphyr: {s:?}",
                if f.is_ok() { "parses" } else { "refuses" },
                if s.is_ok() { "parses" } else { "refuses" },
            ),
        }
    }
}

fn same_document(i: usize, f: &Document, s: &Document, text: &str) {
    assert_eq!(
        f.index, s.index,
        "document {i}: index differs on:\n{text:?}"
    );
    assert!(
        f.value == s.value,
        "document {i}: values differ on:\n{text:?}\nfast: {}\nsaphyr: {}",
        f.value,
        s.value
    );
    // `==` on objects ignores key order; the text does not.
    assert_eq!(
        f.value.to_string(),
        s.value.to_string(),
        "document {i}: key order differs on:\n{text:?}"
    );
    let (fe, fb) = source_map_entries(&f.map);
    let (se, sb) = source_map_entries(&s.map);
    if fe != se {
        let at = fe.iter().zip(&se).position(|(a, b)| a != b);
        let at = at.unwrap_or(fe.len().min(se.len()));
        panic!(
            "document {i}: source maps differ at entry {at} (fast {} entries, saphyr {}) on:\n{text:?}\nfast: {:?}\nsaphyr: {:?}",
            fe.len(),
            se.len(),
            fe.get(at),
            se.get(at)
        );
    }
    assert_eq!(fb, sb, "document {i}: block scalars differ on:\n{text:?}");
}

/// Positions are 1-based and inside the text, or at its end: saphyr
/// places an empty value or an error at the end of a text without a final
/// line break on the line after the last (`? key` gives `/key` at 2:1).
fn check_positions(d: &Result<Document, SyntaxError>, lines: u32) {
    let ok = |p: Pos| p.line >= 1 && p.column >= 1 && p.line <= lines + 1;
    match d {
        Ok(doc) => {
            let (entries, blocks) = source_map_entries(&doc.map);
            for (pointer, pos) in entries {
                assert!(ok(pos), "{pointer} at {pos:?}, outside {lines} lines");
            }
            for (pointer, b) in blocks {
                assert!(
                    b.first_line >= 1 && b.first_line <= lines + 1,
                    "block {pointer} at line {}, outside {lines} lines",
                    b.first_line
                );
            }
        }
        Err(e) => assert!(
            ok(e.pos()),
            "error located outside the text ({lines} lines): {e:?}"
        ),
    }
}
