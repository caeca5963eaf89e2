//! Reading inputs and policies from disk.

use assay_core::schema_files::SchemaFiles;
use assay_core::{PolicyError, PolicySet};
use assay_module_host::FileSystem;
use std::io::Read;
use std::path::{Path, PathBuf};

pub fn is_config_file(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    ) || p
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n == ".env" || n.ends_with(".env"))
}

/// Every config file under `root` (or `root` itself), sorted for stable output.
pub fn walk(root: &Path, skip_tests_dirs: bool) -> std::io::Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(root)?;
    if !meta.is_dir() {
        return Ok(vec![root.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if path.is_dir() {
                if name.starts_with('.') || (skip_tests_dirs && name == "tests") {
                    continue;
                }
                stack.push(path);
            } else if is_config_file(&path) {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

pub fn display(p: &Path) -> String {
    p.strip_prefix("./").unwrap_or(p).display().to_string()
}

pub fn read_stdin() -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    std::io::stdin().read_to_end(&mut buf)?;
    Ok(buf)
}

/// Prints policy errors, one line each with its hint.
pub fn report_policy_errors(errors: &[PolicyError]) {
    for e in errors {
        match &e.hint {
            Some(h) => eprintln!("{e} (hint: {h})"),
            None => eprintln!("{e}"),
        }
    }
}

/// The text of every policy file under `paths`, named as the user sees them.
pub fn read_policy_files(paths: &[PathBuf]) -> Result<Vec<(String, String)>, u8> {
    let mut files = Vec::new();
    for p in paths {
        let listed = walk(p, true).map_err(|e| {
            eprintln!("{}: cannot read policy path: {e}", display(p));
            crate::EXIT_USAGE
        })?;
        for f in listed {
            let bytes = std::fs::read(&f).map_err(|e| {
                eprintln!("{}: cannot read: {e}", display(&f));
                crate::EXIT_USAGE
            })?;
            let text = assay_core::check::decode(&bytes).map_err(|e| {
                eprintln!("{}:{}:{}: {}", display(&f), e.line, e.column, e.message);
                crate::EXIT_USAGE
            })?;
            files.push((display(&f), text.to_owned()));
        }
    }
    Ok(files)
}

/// Compiles policy files; every problem is printed (exit 2), and so is
/// finding no policies at all.
pub fn compile_policy_files(
    paths: &[PathBuf],
    files: &[(String, String)],
    schema_files: &dyn SchemaFiles,
) -> Result<PolicySet, u8> {
    let set = PolicySet::load_with(files, schema_files).map_err(|errors| {
        report_policy_errors(&errors);
        crate::EXIT_USAGE
    })?;
    if set.policies.is_empty() && set.rollouts.is_empty() {
        return Err(no_policies(paths));
    }
    Ok(set)
}

/// Says that `paths` hold no policies; the exit code for it.
pub fn no_policies(paths: &[PathBuf]) -> u8 {
    let names: Vec<String> = paths.iter().map(|p| display(p)).collect();
    eprintln!(
        "{}: no policies found (hint: a policy has `apiVersion: assay.dev/v1`)",
        names.join(", ")
    );
    crate::EXIT_USAGE
}

/// Loads the YAML policies named by `-p` (files or directories), or the built-in library.
pub fn load_policy_set(paths: &[PathBuf]) -> Result<PolicySet, u8> {
    if paths.is_empty() {
        return assay_core::library::defaults().map_err(|errors| {
            report_policy_errors(&errors);
            crate::EXIT_USAGE
        });
    }
    let files = read_policy_files(paths)?;
    compile_policy_files(paths, &files, &FileSystem)
}
