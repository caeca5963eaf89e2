//! Columns on lines that hold tabs: 1-based, a tab counting as one
//! character (docs/report.md), and the same from the fast path
//! (`parse_stream`) and from saphyr (`parse_stream_without_fast_path`).
//! The fast path leaves lines with tabs outside block scalars to saphyr,
//! and every error too; these cases hold both to the columns a reader
//! counts.

#![allow(clippy::unwrap_used, clippy::panic)]

use assay_core::api::call;
use assay_core::parse::{
    parse_input_text, parse_stream, parse_stream_without_fast_path, source_map_entries, Document,
    Pos, SyntaxError,
};
use assay_core::PolicySet;
use serde_json::Value;

type Parsed = Vec<Result<Document, SyntaxError>>;
/// A document's positions, or its error's line, column and message.
type Shown = Result<Vec<(String, Pos)>, (u32, u32, String)>;
/// (pointer, line, column) of values in a text.
type Placed<'a> = &'a [(&'a str, u32, u32)];

/// What a parse gives, comparable: each document's positions, or its error.
fn shown(docs: &Parsed) -> Vec<Shown> {
    docs.iter()
        .map(|d| match d {
            Ok(d) => Ok(source_map_entries(&d.map).0),
            Err(e) => Err((e.line, e.column, e.message.clone())),
        })
        .collect()
}

/// Both parsers' documents, which must agree.
fn parsed(text: &str) -> Parsed {
    let fast = parse_stream(text);
    let slow = parse_stream_without_fast_path(text);
    assert_eq!(
        shown(&fast),
        shown(&slow),
        "fast path and saphyr differ on {text:?}"
    );
    fast
}

fn at(line: u32, column: u32) -> Option<Pos> {
    Some(Pos { line, column })
}

#[test]
fn values_after_tabs_are_placed_at_their_character() {
    // (text, pointer, line, column): count a tab as one character.
    let cases: &[(&str, Placed)] = &[
        // After a key, before the value: the fast path's own subset has no
        // tab there, but the same columns come from either parser.
        ("a: \t1\n", &[("/a", 1, 5)]),
        ("a:  \tx\nb: 2\n", &[("/a", 1, 6), ("/b", 2, 4)]),
        ("a\t: 1\n", &[("/a", 1, 5)]),
        ("\"a\"\t: 1\nb: 2\n", &[("/a", 1, 7), ("/b", 2, 4)]),
        ("a: 1\t\nb: 2\n", &[("/a", 1, 4), ("/b", 2, 4)]),
        ("-\tx\n", &[("/0", 1, 3)]),
        (
            "- \tx\n- \t[a,\tb]\n",
            &[("/0", 1, 4), ("/1", 2, 4), ("/1/0", 2, 5), ("/1/1", 2, 8)],
        ),
        ("a:\n  - 1\n  -\t2\n", &[("/a/0", 2, 5), ("/a/1", 3, 5)]),
        ("a: &x\tv\nb: *x\n", &[("/a", 1, 4), ("/b", 2, 4)]),
        ("a: !!str\t1\nb: 2\n", &[("/a", 1, 4), ("/b", 2, 4)]),
        ("\ta: 1\n", &[("", 1, 2), ("/a", 1, 5)]),
        // Inside flow collections, also on a line of their own.
        (
            "a: [x,\ty]\n",
            &[("/a", 1, 4), ("/a/0", 1, 5), ("/a/1", 1, 8)],
        ),
        ("k: [a,\n\tb]\n", &[("/k/0", 1, 5), ("/k/1", 2, 2)]),
        ("k:\n  [a,\n\tb]\n", &[("/k", 2, 3), ("/k/1", 3, 2)]),
        ("k: {a: 1,\n\tb: 2}\n", &[("/k/a", 1, 8), ("/k/b", 2, 5)]),
        ("a: [\t]\nb: {\t}\n", &[("/a", 1, 4), ("/b", 2, 4)]),
        (
            "{\"a\":\t[1,\t2],\n\t\"b\":\t\"x\"}\n",
            &[("/a", 1, 7), ("/a/1", 1, 11), ("/b", 2, 7)],
        ),
        // Inside quoted scalars (one character each, as written).
        ("{a: \"x\ty\", b: 2}\n", &[("/a", 1, 5), ("/b", 1, 15)]),
        ("a: \"x\ty\"\nb: 2\n", &[("/a", 1, 4), ("/b", 2, 4)]),
        (
            "a: 'x\ty'\nb: 'p\t\tq'   \t# c\nc: 3\n",
            &[("/b", 2, 4), ("/c", 3, 4)],
        ),
        (
            "a: \"é\tü\"\nb: [é,\tx]\n",
            &[("/b/0", 2, 5), ("/b/1", 2, 8)],
        ),
        ("{a: \"x\\ud83d\\ude00\ty\", b: 1}\n", &[("/b", 1, 27)]),
        // In comments before values.
        ("# a\tcomment\nb: 1\n", &[("", 2, 1), ("/b", 2, 4)]),
        ("a:\t# c\t\n  b: 1\n", &[("/a", 2, 3), ("/a/b", 2, 6)]),
        (
            "a: 1 # x\tz\nb: [1,\t2]\n",
            &[("/b/0", 2, 5), ("/b/1", 2, 8)],
        ),
        ("x: 'a\tb' # c\n\t# d\ny: 3\n", &[("/y", 3, 4)]),
        ("--- \t\na: 1\n", &[("/a", 2, 4)]),
        // In block scalars, which the fast path reads itself.
        ("a: |\n  x\ty\nb: 1\n", &[("/a", 2, 3), ("/b", 3, 4)]),
        ("a: \t|\n  x\nb: 1\n", &[("/a", 2, 3), ("/b", 3, 4)]),
        (
            "data:\n  f: |\n    \tx: 1\n  g: 2\n",
            &[("/data/f", 3, 5), ("/data/g", 4, 6)],
        ),
    ];
    for (text, expected) in cases {
        let docs = parsed(text);
        let Some(Ok(doc)) = docs.first() else {
            panic!("{text:?} does not parse: {docs:?}");
        };
        for &(pointer, line, column) in *expected {
            assert_eq!(
                doc.map.locate(pointer),
                at(line, column),
                "{pointer} in {text:?}"
            );
        }
    }
}

#[test]
fn errors_about_tabs_are_placed_at_the_tab() {
    // (text, line, column, part of the message).
    let cases = [
        // A tab-indented line: the first tab of its indentation.
        ("a:\n\tb: 1\n", 2, 1, "tabs disallowed"),
        ("a:\n\t\tb: 1\n", 2, 1, "tabs disallowed"),
        ("é:\n\tb: 1\n", 2, 1, "tabs disallowed"),
        ("a:\n  b:\n  \t c: 2\n", 3, 3, "tabs disallowed"),
        ("a: [\n\t1, 2]\n", 2, 1, "tabs disallowed"),
        ("? \tk\n", 1, 3, "tabs disallowed"),
        (
            "a: \"x\n\ty\"\nb: 1\n",
            2,
            1,
            "tab cannot be used as indentation",
        ),
        ("a: 'x\n\ty'\n", 2, 1, "tab cannot be used as indentation"),
        // A tab where `:` or `-` needs a space: the tab.
        (
            "a:\t1\n",
            1,
            3,
            "':' must be followed by a valid YAML whitespace",
        ),
        (
            "a:\t\tvalue\n",
            1,
            3,
            "':' must be followed by a valid YAML whitespace",
        ),
        (
            "a: {k:\tv}\n",
            1,
            7,
            "':' must be followed by a valid YAML whitespace",
        ),
        (
            "a: \tb:\tc\n",
            1,
            7,
            "':' must be followed by a valid YAML whitespace",
        ),
        (
            "- \t- x\n",
            1,
            3,
            "'-' must be followed by a valid YAML whitespace",
        ),
        (
            "- a\n-\t-\tb\n",
            2,
            2,
            "'-' must be followed by a valid YAML whitespace",
        ),
        // Errors that are not about the tab stay at their token.
        (
            "a: 1\n\tb: 2\n",
            1,
            4,
            "while scanning a plain scalar, found a tab",
        ),
        ("k: v\t\t: w\n", 1, 7, "mapping values are not allowed"),
        ("é: x\t: y\n", 1, 6, "mapping values are not allowed"),
        (
            "a: [1,\t2\nb: 1\n",
            2,
            2,
            "illegal placement of ':' indicator",
        ),
        ("a: {\tk: \"v\t\n", 1, 9, "while scanning a quoted scalar"),
        (
            "a:\t\"unterminated\n",
            1,
            4,
            "while scanning a quoted scalar",
        ),
        ("a: [x,\t*nope]\n", 1, 8, "unknown anchor"),
        (
            "{\"a\":\t[1,\t2],\n\t\"b\":\t\"x\" \"c\"}\n",
            2,
            11,
            "invalid trailing content",
        ),
        ("a: |\n  x\n\ty\n", 3, 2, "did not find expected key"),
        (
            "a: |\n\tx\n",
            1,
            4,
            "a block scalar content cannot start with a tab",
        ),
        // In a later document: lines count from the stream's start.
        ("a: 1\n---\nb:\n\tc: 1\n", 4, 1, "tabs disallowed"),
    ];
    for (text, line, column, message) in cases {
        let docs = parsed(text);
        let Some(e) = docs.iter().find_map(|d| d.as_ref().err()) else {
            panic!("{text:?} parses: {docs:?}");
        };
        assert!(e.message.contains(message), "{text:?}: {}", e.message);
        assert_eq!(
            (e.line, e.column),
            (line, column),
            "{text:?}: {}",
            e.message
        );
    }
}

#[test]
fn dotenv_columns_count_characters_a_tab_as_one() {
    let text = "\tA=1\nB=\tx\n# c\td\nC=3\nÉ=4\n\u{a0}D=5\n";
    let docs: Parsed = parse_input_text(Some("app.env"), text).collect();
    let Some(Ok(doc)) = docs.first() else {
        panic!("{docs:?}");
    };
    assert_eq!(doc.map.locate("/data/A"), at(1, 4));
    assert_eq!(doc.map.locate("/data/B"), at(2, 3));
    assert_eq!(doc.map.locate("/data/C"), at(4, 3));
    assert_eq!(doc.map.locate("/data/É"), at(5, 3));
    assert_eq!(doc.map.locate("/data/D"), at(6, 4));
}

#[test]
fn findings_inside_an_embedded_file_with_tabs_are_placed_at_their_character() {
    let policy = "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {name: p}\nspec:\n  embedded:\n    - path: /data/config.yaml\n      format: yaml\n      jsonSchema:\n        properties:\n          b: {items: {type: integer}}\n          c: {type: integer}\n";
    let set = PolicySet::load(&[("p.yaml".to_owned(), policy.to_owned())]).unwrap();
    // Outer line 6 is `    b: [1,\tx]`: `x` is character 12; line 7's
    // value follows `c:`, a space and a tab.
    let input = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\ndata:\n  config.yaml: |\n    b: [1,\tx]\n    c: \tnope\n";
    for text in [input.to_owned(), input.replace("\t", "\t ")] {
        // The JSON call API, as hosts send it.
        let request = serde_json::json!({"call": "check", "input": text});
        let answer: Value =
            serde_json::from_str(&call(&set, request.to_string().as_bytes())).unwrap();
        let findings = answer["report"]["results"][0]["findings"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let place = |path: &str| {
            let f = findings.iter().find(|f| f["path"] == path);
            f.map(|f| (f["line"].as_u64(), f["column"].as_u64()))
        };
        let shift = u64::from(text != input);
        assert_eq!(
            place("/data/config.yaml/b/1"),
            Some((Some(6), Some(12 + shift))),
            "{findings:?}"
        );
        assert_eq!(
            place("/data/config.yaml/c"),
            Some((Some(7), Some(9 + shift))),
            "{findings:?}"
        );
    }
}
