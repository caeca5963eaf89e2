//! Embeds the built-in policy library and its test cases: `policies/*.yaml`,
//! the packs' `policies/<pack>/*.yaml`, and every `tests/*.yaml` among them.

use std::fmt::Write;
use std::path::{Path, PathBuf};

/// Every `*.yaml` below `dir`, as paths relative to `root`, sorted.
fn list(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    println!("cargo:rerun-if-changed={}", dir.display());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for path in entries.flatten().map(|e| e.path()) {
        if path.is_dir() {
            list(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "yaml") {
            if let Ok(relative) = path.strip_prefix(root) {
                out.push(relative.to_path_buf());
            }
        }
    }
}

fn main() {
    // Read when the script runs, not baked in when it was compiled: cargo
    // may reuse a build script compiled in another checkout of this
    // workspace (a git worktree sharing the target directory), which once
    // embedded an empty library from a deleted worktree.
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let root = Path::new(&manifest_dir).join("../policies");
    let mut files = Vec::new();
    list(&root, &root, &mut files);
    files.sort();
    let (cases, policies): (Vec<PathBuf>, Vec<PathBuf>) = files
        .into_iter()
        .partition(|p| p.components().any(|c| c.as_os_str() == "tests"));
    if policies.is_empty() {
        println!(
            "cargo:warning=no policies in {}: the built-in library would be empty",
            root.display()
        );
        std::process::exit(1);
    }
    let mut out = String::new();
    for (name, files) in [("POLICIES", &policies), ("CASES", &cases)] {
        let _ = writeln!(out, "pub const {name}: &[(&str, &str)] = &[");
        for file in files {
            let path = root.join(file);
            println!("cargo:rerun-if-changed={}", path.display());
            let name = file.to_string_lossy().replace('\\', "/");
            let _ = writeln!(
                out,
                "    (\"policies/{name}\", include_str!({:?})),",
                path.display().to_string()
            );
        }
        let _ = writeln!(out, "];");
    }
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap_or_default()).join("library.rs");
    if let Err(e) = std::fs::write(&dest, out) {
        println!("cargo:warning=cannot write {}: {e}", dest.display());
    }
}
