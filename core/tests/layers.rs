//! The layers of core (docs/architecture.md), held as a test: every
//! `crate::`/`super::` path in a module's code (its tests aside) must point
//! to a layer it may import, and no two files may import each other, even
//! through others.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The top-level modules each top-level module may import. `lib.rs` is the
/// facade and may name every module.
const ALLOWED: &[(&str, &[&str])] = &[
    ("parse", &[]),
    ("diag", &["parse"]),
    ("redact", &["diag"]),
    ("cel", &[]),
    ("policy", &["parse", "diag", "redact"]),
    ("eval", &["parse", "diag", "redact", "policy", "cel"]),
    ("rollout", &["parse", "diag", "policy"]),
    ("report", &["diag"]),
    (
        "set",
        &["parse", "diag", "redact", "policy", "eval", "rollout"],
    ),
    (
        "check",
        &["parse", "diag", "redact", "policy", "eval", "set", "report"],
    ),
    (
        "api",
        &[
            "parse", "diag", "redact", "policy", "eval", "rollout", "set", "check", "report",
        ],
    ),
    ("library", &["policy", "set"]),
    ("wasm_alloc", &[]),
];

/// Top-level modules allowed to write JSON with `json!`: the call API and
/// the report's renderers; every other layer returns typed values.
const MAY_BUILD_JSON: &[&str] = &["api", "report"];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file: `src/eval/mod.rs` -> `eval`,
/// `src/eval/rules.rs` -> `eval::rules`, `src/lib.rs` -> ``.
fn module_of(file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src()).unwrap();
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// The file's code without its `#[cfg(test)]` module (always last here)
/// and without comments.
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every module path the code names through `crate::` or `super::`,
/// resolved to an absolute path of identifiers. `use a::{b, c::d}` groups
/// are expanded one level, which is how this crate writes them.
fn referenced(module: &[String], code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    // A file names its own child modules (`mod rules;`) by `rules::`.
    let children: Vec<String> = code
        .lines()
        .filter_map(|l| {
            let l = l.trim_start();
            let l = l
                .strip_prefix("pub(crate) ")
                .or_else(|| l.strip_prefix("pub "))
                .unwrap_or(l);
            l.strip_prefix("mod ")?.strip_suffix(';').map(str::to_owned)
        })
        .collect();
    let child_prefixes: Vec<String> = children.iter().map(|c| format!("{c}::")).collect();
    let prefixes = ["crate::", "super::"]
        .into_iter()
        .map(str::to_owned)
        .chain(child_prefixes);
    for prefix in prefixes {
        let prefix = prefix.as_str();
        let mut from = 0;
        while let Some(found) = code[from..].find(prefix) {
            let at = from + found;
            from = at + prefix.len();
            // Not part of a longer identifier (`my_crate::`).
            if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_') {
                continue;
            }
            // Not a path inside another (`cel::common::`, `self.rules::`).
            if at > 1 && &code[at - 2..at] == "::" && prefix != "super::" {
                continue;
            }
            let mut base: Vec<String> = match prefix {
                "crate::" => Vec::new(),
                // `super` of `a/b.rs` (module a::b) is `a`; of `a/b/mod.rs` (a::b), also `a`.
                "super::" => module[..module.len().saturating_sub(1)].to_vec(),
                child => {
                    let mut m = module.to_vec();
                    m.push(child.trim_end_matches("::").to_owned());
                    m
                }
            };
            let mut rest = &code[at + prefix.len()..];
            while let Some(stripped) = rest.strip_prefix("super::") {
                base.pop();
                rest = stripped;
            }
            let path: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let mut segments: Vec<String> = base;
            segments.extend(
                path.split("::")
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
            );
            // A group: `crate::a::{b, c::d}`.
            let after = &rest[path.len()..];
            if path.ends_with("::") && after.starts_with('{') {
                let group: String = after[1..].chars().take_while(|c| *c != '}').collect();
                for item in group.split(',') {
                    let item = item.trim();
                    if item.is_empty() || item == "self" {
                        out.push(segments.clone());
                        continue;
                    }
                    let mut s = segments.clone();
                    s.extend(
                        item.split("::")
                            .map(|p| p.split_whitespace().next().unwrap_or("").to_owned()),
                    );
                    out.push(s);
                }
            } else {
                out.push(segments);
            }
        }
    }
    out
}

/// The file a path names: the longest module prefix that is a file.
fn resolve(path: &[String], files: &BTreeMap<Vec<String>, PathBuf>) -> Option<Vec<String>> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|prefix| files.contains_key(prefix))
}

struct Graph {
    /// module path -> file
    files: BTreeMap<Vec<String>, PathBuf>,
    /// module -> modules it imports
    edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
    /// module -> its code
    code: BTreeMap<Vec<String>, String>,
}

fn graph() -> Graph {
    let mut paths = Vec::new();
    rust_files(&src(), &mut paths);
    let files: BTreeMap<Vec<String>, PathBuf> =
        paths.into_iter().map(|p| (module_of(&p), p)).collect();
    let mut edges = BTreeMap::new();
    let mut code = BTreeMap::new();
    for (module, file) in &files {
        // Test modules kept in their own files (`mod tests;`) are tests.
        if module.last().is_some_and(|m| m == "tests") {
            continue;
        }
        let text = code_of(&std::fs::read_to_string(file).unwrap());
        let mut to = BTreeSet::new();
        for path in referenced(module, &text) {
            if let Some(target) = resolve(&path, &files) {
                if &target != module {
                    to.insert(target);
                }
            }
        }
        edges.insert(module.clone(), to);
        code.insert(module.clone(), text);
    }
    Graph { files, edges, code }
}

fn name(module: &[String]) -> String {
    if module.is_empty() {
        "lib".to_owned()
    } else {
        module.join("::")
    }
}

#[test]
fn imports_run_down_the_layers() {
    let g = graph();
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut wrong = Vec::new();
    for (from, targets) in &g.edges {
        let Some(top) = from.first() else { continue };
        let Some(may) = allowed.get(top.as_str()) else {
            wrong.push(format!(
                "{}: a new top-level module; add it to ALLOWED and docs/architecture.md",
                name(from)
            ));
            continue;
        };
        for to in targets {
            let to_top = to.first().map(String::as_str).unwrap_or("lib");
            if to_top != top && !may.contains(&to_top) {
                wrong.push(format!("{} imports {}", name(from), name(to)));
            }
        }
    }
    assert!(wrong.is_empty(), "wrong-way imports:\n{}", wrong.join("\n"));
}

#[test]
fn no_file_imports_itself_through_others() {
    let g = graph();
    // Depth-first search for a back edge, reporting the cycle it closes.
    fn visit(
        node: &Vec<String>,
        g: &Graph,
        state: &mut BTreeMap<Vec<String>, u8>,
        stack: &mut Vec<Vec<String>>,
        cycles: &mut Vec<String>,
    ) {
        state.insert(node.clone(), 1);
        stack.push(node.clone());
        for next in g.edges.get(node).into_iter().flatten() {
            match state.get(next).copied().unwrap_or(0) {
                0 => visit(next, g, state, stack, cycles),
                1 => {
                    let start = stack.iter().position(|n| n == next).unwrap_or(0);
                    let mut names: Vec<String> = stack[start..].iter().map(|n| name(n)).collect();
                    names.push(name(next));
                    cycles.push(names.join(" -> "));
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(node.clone(), 2);
    }
    let mut state = BTreeMap::new();
    let mut cycles = Vec::new();
    for node in g.edges.keys() {
        if !state.contains_key(node) {
            visit(node, &g, &mut state, &mut Vec::new(), &mut cycles);
        }
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn only_the_api_and_the_report_write_json_by_hand() {
    let g = graph();
    let writers: Vec<String> = g
        .code
        .iter()
        .filter(|(module, code)| {
            let top = module.first().map(String::as_str).unwrap_or("lib");
            code.contains("json!(") && !MAY_BUILD_JSON.contains(&top)
        })
        .map(|(module, _)| name(module))
        .collect();
    assert!(
        writers.is_empty(),
        "`json!` outside api/ and report/: {writers:?}"
    );
}

#[test]
fn no_file_is_a_god_file() {
    const MAX_LINES: usize = 650;
    let g = graph();
    let long: Vec<String> = g
        .files
        .values()
        .filter_map(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            let code = text
                .find("#[cfg(test)]\nmod tests")
                .map_or(&*text, |at| &text[..at]);
            let lines = code.lines().count();
            (lines > MAX_LINES).then(|| format!("{}: {lines} lines", f.display()))
        })
        .collect();
    assert!(
        long.is_empty(),
        "files over {MAX_LINES} lines of code: {long:?}"
    );
}

/// The checker itself: it must see a `super::` import and a group.
#[test]
fn the_checker_sees_imports() {
    let g = graph();
    let rules = vec!["eval".to_owned(), "rules".to_owned()];
    let targets = &g.edges[&rules];
    assert!(targets.contains(&vec!["diag".to_owned()]), "{targets:?}");
    assert!(targets.contains(&vec!["policy".to_owned()]), "{targets:?}");
    let set = &g.edges[&vec!["set".to_owned()]];
    assert!(set.contains(&vec!["eval".to_owned()]), "{set:?}");
    assert!(set.contains(&vec!["rollout".to_owned()]), "{set:?}");
}

/// The path reader on the shapes of import this crate writes.
#[test]
fn the_checker_reads_paths() {
    let module = vec!["eval".to_owned(), "rules".to_owned()];
    let code = "mod inner;\nuse super::input::EvalInput;\nuse crate::diag::{Finding, Severity};\nuse crate::parse::{lookup, Document as Doc};\nuse inner::Thing;\nlet v = cel::common::Value; let w = crate::cel::env();";
    let got: BTreeSet<String> = referenced(&module, code)
        .iter()
        .map(|p| p.join("::"))
        .collect();
    let want: BTreeSet<String> = [
        "eval::input::EvalInput",
        "diag::Finding",
        "diag::Severity",
        "parse::lookup",
        "parse::Document",
        "eval::rules::inner::Thing",
        "cel::env",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(got, want);
}
