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
    let limits = ParseLimits::DEFAULT;
    parse_part_saphyr(text, line_offset, &mut index, &mut expected, limits);
    let Some(fast) = parse_part(text, line_offset, INDEX, limits) else {
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
    ":", "-", "#", "'", "\"", "|", ">", "{", "[", "}", "]", ",", "\t", "\n", " ", ": ", "- ", " #",
    "&", "*", "!", "?", "\\", "\r", "...", "---\n", "|-", ">+", "\u{feff}", "é",
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
