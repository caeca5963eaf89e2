//! Which files on disk are inputs and policies, and reading policies from
//! them: shared by the native hosts (the CLI and the Python package), so
//! they read the same files and report the same problems.

use crate::error::LoadError;
use crate::FileSystem;
use assay_core::eval::schema_files::SchemaFiles;
use assay_core::policy::PolicyErrorKind;
use assay_core::{PolicyError, PolicySet};
use std::path::{Path, PathBuf};

/// A compiled policy module (`assay build`'s output), by its extension.
pub fn is_module(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "wasm")
}

/// YAML, JSON and `.env` files.
pub fn is_config_file(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    ) || p
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n == ".env" || n.ends_with(".env"))
}

/// Every config file under `root` (or `root` itself), sorted for stable
/// output; hidden directories are skipped, and so are `tests/` directories
/// when `skip_tests_dirs` (beside policies they hold test cases).
///
/// Links to directories inside `root` are not followed (as `find` does
/// not), so a link back up the tree cannot loop. A directory inside `root`
/// that cannot be listed is given as a path, for reading it to fail and be
/// reported with the other inputs' results.
pub fn walk(root: &Path, skip_tests_dirs: bool) -> std::io::Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(root)?;
    if !meta.is_dir() {
        return Ok(vec![root.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if dir == root => return Err(e),
            Err(_) => {
                out.push(dir);
                continue;
            }
        };
        for entry in entries {
            let entry = entry?;
            let path = entry.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let linked = entry.file_type().is_ok_and(|t| t.is_symlink());
            if path.is_dir() {
                if linked || name.starts_with('.') || (skip_tests_dirs && name == "tests") {
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

/// A path as the user wrote it, without a leading `./`.
pub fn display(p: &Path) -> String {
    p.strip_prefix("./").unwrap_or(p).display().to_string()
}

/// Paths as one name for messages: `a.yaml, policies`.
pub fn display_all(paths: &[PathBuf]) -> String {
    let names: Vec<String> = paths.iter().map(|p| display(p)).collect();
    names.join(", ")
}

/// The text of every policy file under `paths` (files, or directories
/// without their `tests/`), named as the user sees them. A compiled module
/// among them is refused: this is where policy YAML is needed.
pub fn read_policy_files(paths: &[PathBuf]) -> Result<Vec<(String, String)>, LoadError> {
    let mut files = Vec::new();
    for p in paths {
        let listed = walk(p, true).map_err(|error| LoadError::UnreadablePath {
            path: display(p),
            error,
        })?;
        for f in listed {
            let name = display(&f);
            if is_module(&f) {
                return Err(LoadError::NotYaml { path: name });
            }
            let bytes = std::fs::read(&f).map_err(|error| LoadError::UnreadableFile {
                path: name.clone(),
                error,
            })?;
            let text = assay_core::check::decode(&bytes).map_err(|e| {
                let at = assay_core::Pos {
                    line: e.line,
                    column: e.column,
                };
                LoadError::Policies(vec![PolicyError::at(
                    PolicyErrorKind::Syntax,
                    &name,
                    at,
                    e.message,
                )])
            })?;
            files.push((name, text.to_owned()));
        }
    }
    Ok(files)
}

/// Compiles policy files (name, text); `$ref`s to other files are read
/// through `schema_files`. Finding no policy at all is an error too, about
/// `source` (the paths, as [`display_all`] names them).
pub fn compile_policy_files(
    files: &[(String, String)],
    schema_files: &dyn SchemaFiles,
    source: &str,
) -> Result<PolicySet, LoadError> {
    let set = PolicySet::load_with(files, schema_files).map_err(LoadError::Policies)?;
    if set.policies.is_empty() && set.rollouts.is_empty() {
        return Err(LoadError::NoPolicies {
            paths: source.to_owned(),
        });
    }
    Ok(set)
}

/// The YAML policies under `paths` (files or directories) as one set, their
/// schemas' `$ref`s read from disk; no paths: the built-in library.
pub fn load_policy_set(paths: &[PathBuf]) -> Result<PolicySet, LoadError> {
    if paths.is_empty() {
        return assay_core::library::defaults().map_err(LoadError::Policies);
    }
    let files = read_policy_files(paths)?;
    compile_policy_files(&files, &FileSystem, &display_all(paths))
}
