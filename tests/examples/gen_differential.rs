//! Writes the generated differential corpus: cases drawn with a fixed seed
//! from the strategies of `src/generated/` (a policy file, an input, an
//! environment, previous versions), each with native evaluation's answer.
//! The Python (`bindings/python/tests/test_generated.py`), JS
//! (`bindings/wasm/test/generated.test.mjs`) and CLI tests evaluate every
//! case with their host and compare.
//!
//! `cargo run -p assay-tests --example gen_differential -- OUT.json`
//! (`make test-python` and `make test-js` do). `ASSAY_DIFF_CASES` (default
//! 200) and `ASSAY_DIFF_SEED` change how many cases and which.

#[allow(dead_code)]
#[path = "../src/generated/mod.rs"]
mod generated;

use generated::corpus;
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

/// The seed of the corpus `make test` checks.
const SEED: u64 = 28;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> ExitCode {
    let Some(out) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: gen_differential OUT.json");
        return ExitCode::from(2);
    };
    let n = env_number("ASSAY_DIFF_CASES", 200) as usize;
    let seed = env_number("ASSAY_DIFF_SEED", SEED);
    let cases: Vec<_> = corpus::draw(&corpus::case(), seed, n)
        .iter()
        .enumerate()
        .map(|(i, case)| corpus::entry(&format!("case-{i:03}"), case))
        .collect();
    let refused = cases
        .iter()
        .filter(|c| c["expected"].get("error").is_some())
        .count();
    let values = cases.iter().filter(|c| c.get("value").is_some()).count();
    let corpus = json!({"seed": seed, "cases": cases});
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Err(e) = std::fs::create_dir_all(dir) {
            eprintln!("{}: {e}", dir.display());
            return ExitCode::from(2);
        }
    }
    if let Err(e) = std::fs::write(&out, corpus.to_string()) {
        eprintln!("{}: {e}", out.display());
        return ExitCode::from(2);
    }
    eprintln!(
        "{}: {} cases (seed {seed}): {} policies refused, {} inputs also as a value",
        out.display(),
        cases.len(),
        refused,
        values
    );
    ExitCode::SUCCESS
}
