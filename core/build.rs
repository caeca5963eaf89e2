//! Embeds the built-in policy library (`policies/*.yaml`) and its test cases.

use std::fmt::Write;
use std::path::Path;

fn list(dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    files.sort();
    files
}

fn main() {
    // Read when the script runs, not baked in when it was compiled: cargo
    // may reuse a build script compiled in another checkout of this
    // workspace (a git worktree sharing the target directory), which once
    // embedded an empty library from a deleted worktree.
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let root = Path::new(&manifest_dir).join("../policies");
    if list(&root).is_empty() {
        println!(
            "cargo:warning=no policies in {}: the built-in library would be empty",
            root.display()
        );
        std::process::exit(1);
    }
    println!("cargo:rerun-if-changed={}", root.display());
    println!("cargo:rerun-if-changed={}", root.join("tests").display());
    let mut out = String::new();
    for (name, sub) in [("POLICIES", ""), ("CASES", "tests/")] {
        let _ = writeln!(out, "pub const {name}: &[(&str, &str)] = &[");
        for file in list(&root.join(sub)) {
            let path = root.join(sub).join(&file);
            println!("cargo:rerun-if-changed={}", path.display());
            let _ = writeln!(
                out,
                "    (\"policies/{sub}{file}\", include_str!({:?})),",
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
