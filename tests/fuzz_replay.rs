//! Replays every fuzz target's seed corpus (`fuzz/corpus/<target>/`) and
//! crash regressions (`fuzz/regressions/<target>/`) through the target's
//! body on stable Rust, one test per target and directory: a target that
//! stops building or a crash that comes back fails `make test` without a
//! nightly toolchain. `make fuzz` runs the targets themselves.

use libtest_mimic::{Arguments, Failed, Trial};
use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.is_file()
                        && !p
                            .file_name()
                            .is_some_and(|n| n == ".gitkeep" || n == "README.md")
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Runs `body` on every input of `dir`, each caught on its own, and names
/// the inputs that panic.
fn replay(body: fn(&[u8]), dir: &Path, must_exist: bool) -> Result<(), Failed> {
    let files = inputs(dir);
    if must_exist && files.is_empty() {
        return Err(format!("{} holds no inputs", dir.display()).into());
    }
    let mut failed = Vec::new();
    for file in &files {
        let data = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
        if std::panic::catch_unwind(|| body(&data)).is_err() {
            failed.push(file.display().to_string());
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} of {} inputs fail:\n  {}",
            failed.len(),
            files.len(),
            failed.join("\n  ")
        )
        .into())
    }
}

fn main() {
    let args = Arguments::from_args();
    // The library's module, compiled once: module_differential's cache.
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("modules");
    std::env::set_var("ASSAY_FUZZ_MODULE_CACHE", cache);
    let mut trials = Vec::new();
    for &(name, body) in assay_tests::fuzz::TARGETS {
        let corpus = fuzz_dir().join("corpus").join(name);
        let regressions = fuzz_dir().join("regressions").join(name);
        trials.push(Trial::test(format!("{name}::corpus"), move || {
            replay(body, &corpus, true)
        }));
        trials.push(Trial::test(format!("{name}::regressions"), move || {
            replay(body, &regressions, false)
        }));
    }
    // A target directory with no body is a target the replay misses.
    let known: Vec<&str> = assay_tests::fuzz::TARGETS.iter().map(|t| t.0).collect();
    let targets = fuzz_dir().join("fuzz_targets");
    trials.push(Trial::test("every fuzz target is replayed", move || {
        let mut missing = Vec::new();
        for file in inputs(&targets) {
            let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned());
            if let Some(stem) = stem.filter(|s| !known.contains(&s.as_str())) {
                missing.push(stem);
            }
        }
        if missing.is_empty() {
            Ok(())
        } else {
            Err(format!("fuzz targets without a replay: {missing:?}").into())
        }
    }));
    libtest_mimic::run(&args, trials).exit();
}
