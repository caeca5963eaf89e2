//! Which files on disk are inputs and policies: shared by the native hosts
//! (the CLI and the Python package), so they read the same files.

use std::path::{Path, PathBuf};

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
