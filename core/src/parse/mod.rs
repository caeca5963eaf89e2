//! YAML/JSON documents parsed in one pass into a `serde_json::Value` and a
//! map from JSON pointers to the line and column where each value starts.
//!
//! `fast` scans the common subset of YAML quickly; `saphyr` parses the rest.
//! Both drive one `builder`, so values, limits and positions agree.

mod builder;
mod document;
mod env;
mod fast;
mod limits;
mod pointer;
mod saphyr;
mod scan;

pub use document::{BlockText, Document, Pos, SourceMap, SyntaxError};
pub use env::{is_env_file, parse_env, FROM_ENV_FILE};
pub use limits::{
    raise_note, size_text, ParseLimits, MAX_DEPTH, MAX_DEPTH_CEILING, MAX_NODES, MAX_POINTER_BYTES,
    MAX_TEXT_BYTES,
};
pub use pointer::{lookup, push_segment, segments};

use env::env_document;
use saphyr::parse_part_saphyr;

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
    Documents::new(text.as_bytes()).collect()
}

/// Like `parse_stream` for raw bytes: a document with invalid UTF-8 is a
/// syntax error at the first bad byte, and the other documents still parse.
pub fn parse_bytes(bytes: &[u8]) -> Vec<Result<Document, SyntaxError>> {
    Documents::new(bytes).collect()
}

/// `parse_stream` with `limits` rather than the defaults.
pub fn parse_stream_with(text: &str, limits: ParseLimits) -> Vec<Result<Document, SyntaxError>> {
    Documents::with_limits(text.as_bytes(), limits).collect()
}

/// An input's documents: a YAML/JSON stream, or a dotenv file as one
/// ConfigMap. Parsed one at a time, as they are asked for.
pub fn parse_input<'a>(file: Option<&str>, bytes: &'a [u8]) -> Documents<'a> {
    parse_input_with(file, bytes, ParseLimits::DEFAULT)
}

/// `parse_input` with `limits` rather than the defaults.
pub fn parse_input_with<'a>(
    file: Option<&str>,
    bytes: &'a [u8],
    limits: ParseLimits,
) -> Documents<'a> {
    match file.filter(|f| is_env_file(f)) {
        Some(f) => Documents::one(
            std::str::from_utf8(bytes)
                .map_err(|e| utf8_error(bytes, &e))
                .and_then(|text| env_document(f, text)),
        ),
        None => Documents::with_limits(bytes, limits),
    }
}

/// `parse_input` for text.
pub fn parse_input_text<'a>(file: Option<&str>, text: &'a str) -> Documents<'a> {
    parse_input(file, text.as_bytes())
}

/// The documents of a stream, each parsed when it is asked for: a large
/// stream is checked a document at a time, in the memory of one document.
/// Empty and null documents (`---` at the end, comments only) are not
/// documents, as for kubectl; the others are numbered from 0.
pub struct Documents<'a> {
    bytes: &'a [u8],
    parts: std::vec::IntoIter<(u32, std::ops::Range<usize>)>,
    /// The documents of the part parsed last (a part may hold several).
    parsed: std::vec::IntoIter<Result<Document, SyntaxError>>,
    /// Documents the parsers have numbered, null ones included.
    parser_index: usize,
    returned: usize,
    fast_path: bool,
    limits: ParseLimits,
}

impl<'a> Documents<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Self::with_limits(bytes, ParseLimits::DEFAULT)
    }

    /// The documents of `bytes`, each parsed with `limits`.
    pub fn with_limits(bytes: &'a [u8], limits: ParseLimits) -> Self {
        // Most texts hold one document; a substring search tells quickly.
        let parts = if !bytes.starts_with(b"---") && !has_document_start(bytes) {
            vec![(0, 0..bytes.len())]
        } else {
            split_documents(bytes)
        };
        Documents {
            bytes,
            parts: parts.into_iter(),
            parsed: Vec::new().into_iter(),
            parser_index: 0,
            returned: 0,
            fast_path: true,
            limits,
        }
    }

    fn one(document: Result<Document, SyntaxError>) -> Self {
        Documents {
            bytes: &[],
            parts: Vec::new().into_iter(),
            parsed: vec![document].into_iter(),
            parser_index: 1,
            returned: 0,
            fast_path: true,
            limits: ParseLimits::DEFAULT,
        }
    }

    fn parse_next_part(&mut self) -> Option<()> {
        let (line_offset, range) = self.parts.next()?;
        let mut out = Vec::new();
        let part = &self.bytes[range];
        match std::str::from_utf8(part) {
            Ok(text) if self.fast_path => parse_part(
                text,
                line_offset,
                &mut self.parser_index,
                &mut out,
                self.limits,
            ),
            Ok(text) => parse_part_saphyr(
                text,
                line_offset,
                &mut self.parser_index,
                &mut out,
                self.limits,
            ),
            Err(e) => {
                let mut err = utf8_error(part, &e);
                err.index = self.parser_index;
                err.line += line_offset;
                out.push(Err(err));
                self.parser_index += 1;
            }
        }
        self.parsed = out.into_iter();
        Some(())
    }

    /// How many documents have been given so far: all of the stream's once
    /// the iterator is done (a host that checks a stream in chunks numbers
    /// the next chunk's documents after them).
    pub fn returned(&self) -> usize {
        self.returned
    }
}

impl Iterator for Documents<'_> {
    type Item = Result<Document, SyntaxError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.parsed.next() {
                Some(Ok(doc)) if doc.value.is_null() => {}
                Some(mut d) => {
                    match &mut d {
                        Ok(doc) => doc.index = self.returned,
                        Err(e) => e.index = self.returned,
                    }
                    self.returned += 1;
                    return Some(d);
                }
                None => self.parse_next_part()?,
            }
        }
    }
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
        limit: None,
    }
}

/// Parses one part of a stream (see `split_documents`): with the fast
/// scanner when the part is within its subset, else with saphyr.
fn parse_part(
    text: &str,
    line_offset: u32,
    index: &mut usize,
    out: &mut Vec<Result<Document, SyntaxError>>,
    limits: ParseLimits,
) {
    match fast::parse_part(text, line_offset, *index, limits) {
        Some(Some(doc)) => {
            out.push(Ok(doc));
            *index += 1;
        }
        Some(None) => {}
        None => parse_part_saphyr(text, line_offset, index, out, limits),
    }
}

/// `parse_stream` with the fast path turned off: every part goes to saphyr,
/// split the same way. Only for the differential fuzz target and tests
/// (`assay_tests::fuzz::parse`), which hold the fast path to giving exactly
/// saphyr's documents, values and positions.
#[doc(hidden)]
pub fn parse_stream_without_fast_path(text: &str) -> Vec<Result<Document, SyntaxError>> {
    Documents {
        fast_path: false,
        ..Documents::new(text.as_bytes())
    }
    .collect()
}

/// A source map's entries as [`source_map_entries`] lists them.
#[doc(hidden)]
pub type SourceMapEntries = (Vec<(String, Pos)>, Vec<(String, BlockText)>);

/// Every entry of a source map, in the order recorded: (pointer, position),
/// then (pointer, block text). For the differential fuzz target.
#[doc(hidden)]
pub fn source_map_entries(map: &SourceMap) -> SourceMapEntries {
    let entries = map
        .entries
        .iter()
        .map(|&(start, end, pos)| {
            let pointer = map.pointers.get(start as usize..end as usize);
            (pointer.unwrap_or_default().to_owned(), pos)
        })
        .collect();
    let blocks = map
        .blocks
        .iter()
        .map(|(k, b)| (k.to_string(), *b))
        .collect();
    (entries, blocks)
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
    fn parse_limits_are_configurable_and_their_errors_name_them() {
        let text = "a:\n  b:\n    c: [1, 2, 3]\n---\nd: 1\n";
        let with = |limits| parse_stream_with(text, limits);
        assert!(with(ParseLimits::DEFAULT).iter().all(Result::is_ok));
        for (limits, name, says) in [
            (
                ParseLimits {
                    depth: 2,
                    ..ParseLimits::DEFAULT
                },
                "depth",
                "nesting deeper than 2 levels",
            ),
            (
                ParseLimits {
                    values: 5,
                    ..ParseLimits::DEFAULT
                },
                "values",
                "more than 5 values",
            ),
            (
                ParseLimits {
                    document_bytes: 3,
                    ..ParseLimits::DEFAULT
                },
                "document-bytes",
                "more than 3 bytes of text",
            ),
        ] {
            let docs = with(limits);
            let Err(e) = &docs[0] else {
                unreachable!("{name}: {docs:?}")
            };
            assert_eq!(e.limit, Some(name));
            assert!(e.message.contains(says), "{e:?}");
            assert!(
                e.message.contains(&format!(
                    "(limit `{name}`; raise it with `--limit {name}=…`"
                )),
                "{e:?}"
            );
            // The next document is parsed with the same limits, on its own.
            assert!(docs[1].is_ok(), "{name}: {:?}", docs[1]);
        }
        // The fast path and saphyr stop alike: a flow document goes to saphyr.
        let flow = "{a: {b: {c: 1}}}\n";
        let shallow = ParseLimits {
            depth: 2,
            ..ParseLimits::DEFAULT
        };
        assert_eq!(
            parse_stream_with(flow, shallow)[0]
                .as_ref()
                .err()
                .and_then(|e| e.limit),
            Some("depth")
        );
        // Raised: deeper block nesting than the default parses.
        let deep: String = (0..300)
            .map(|i| format!("{}a:\n", "  ".repeat(i)))
            .collect();
        assert_eq!(
            parse_stream(&deep)[0].as_ref().err().and_then(|e| e.limit),
            Some("depth")
        );
        let raised = ParseLimits {
            depth: MAX_DEPTH_CEILING,
            ..ParseLimits::DEFAULT
        };
        assert!(parse_stream_with(&deep, raised)[0].is_ok());
        // Other syntax errors are no limit's.
        assert_eq!(
            parse_stream("a: [\n")[0]
                .as_ref()
                .err()
                .and_then(|e| e.limit),
            None
        );
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
    fn alias_bomb_of_long_scalars_is_an_error() {
        // Few values, many bytes: 100 x 100 aliases of a 10 KB string
        // expand to 100 MB of text.
        let mut t = format!("a: &a \"{}\"\n", "x".repeat(10_000));
        let row = vec!["*a"; 100].join(", ");
        t.push_str(&format!("b: &b [{row}]\n"));
        let rows = vec!["*b"; 100].join(", ");
        t.push_str(&format!("c: [{rows}]\n"));
        assert!(parse_stream(&t)[0]
            .as_ref()
            .is_err_and(|e| e.message.contains("MiB of text")));
    }

    #[test]
    fn merge_keys_are_expanded() {
        let d = one(
            "base: &base\n  name: TOKEN\n  value: v1\nenv:\n  - <<: *base\n    name: OVERRIDE\n",
        );
        assert_eq!(
            d.value["env"][0],
            serde_json::json!({"name": "OVERRIDE", "value": "v1"})
        );
        // A list of mappings: the first one that has a key wins.
        let d = one("a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  <<: [*a, *b]\n");
        assert_eq!(d.value["c"], serde_json::json!({"x": 1, "y": 1, "z": 2}));
        // An inline mapping merges too, and a quoted `<<` is an ordinary key.
        let d = one("c:\n  <<: {x: 1}\n  \"<<\": 2\n");
        assert_eq!(d.value["c"], serde_json::json!({"x": 1, "<<": 2}));
        // Found at the place of the `<<`.
        assert_eq!(d.map.locate("/c/x"), Some(Pos { line: 2, column: 7 }));
    }

    #[test]
    fn merge_of_a_scalar_is_an_error() {
        let docs = parse_stream("a: &a 1\nc:\n  <<: *a\n");
        assert!(docs[0]
            .as_ref()
            .is_err_and(|e| e.message.contains("merge key") && e.line == 3));
    }

    #[test]
    fn documents_are_parsed_as_they_are_asked_for() {
        let text = "---\n# only a comment\n---\na: 1\n---\nb: [\n---\n\n---\nc: 3\n";
        let mut docs = Documents::new(text.as_bytes());
        let first = docs.next();
        assert!(matches!(&first, Some(Ok(d)) if d.index == 0 && d.value["a"] == 1));
        // The parts after the first document are not parsed yet.
        assert_eq!(docs.parts.len(), 3);
        let rest: Vec<_> = docs.collect();
        assert!(matches!(&rest[0], Err(e) if e.index == 1), "{:?}", rest[0]);
        assert!(matches!(&rest[1], Ok(d) if d.index == 2 && d.value["c"] == 3));
        assert_eq!(rest.len(), 2);
        assert_eq!(parse_stream(text).len(), 3);
    }

    #[test]
    fn json_is_yaml() {
        let d = one("{\"a\": [1, 2.5, \"s\", null]}");
        assert_eq!(d.value, serde_json::json!({"a": [1, 2.5, "s", null]}));
    }
}
