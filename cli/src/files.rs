//! Reading inputs from disk, and loading policies through the host crate.

use crate::error::CliError;
use assay_host::evaluator::{self, Evaluator};
use assay_host::files::{read_bounded, read_policies, PolicyFiles, RefScope, MAX_FILE_BYTES};
use std::path::{Path, PathBuf};

pub use assay_host::files::{display, read_file, walk};

/// Stdin, at most [`MAX_FILE_BYTES`] as any input file.
pub fn read_stdin() -> std::io::Result<Vec<u8>> {
    read_bounded(std::io::stdin().lock(), MAX_FILE_BYTES, 0)
}

/// A regular input file, at most [`MAX_FILE_BYTES`] (docs/limits.md, "Files").
pub fn read_input(path: &Path) -> std::io::Result<Vec<u8>> {
    read_file(path, MAX_FILE_BYTES)
}

/// Where schemas' `$ref`s may read: `--allow-ref-outside` or not.
pub fn ref_scope(allow_ref_outside: bool) -> RefScope {
    if allow_ref_outside {
        RefScope::Anywhere
    } else {
        RefScope::Root
    }
}

/// The one input of `review` and `decide`: a file, or stdin for `-` or
/// none; its label for messages, and its bytes.
pub fn read_one_input(path: Option<&Path>) -> Result<(String, Vec<u8>), CliError> {
    let (label, bytes) = match path {
        Some(p) if p.as_os_str() != "-" => (display(p), read_input(p)),
        _ => ("<stdin>".to_owned(), read_stdin()),
    };
    match bytes {
        Ok(bytes) => Ok((label, bytes)),
        Err(e) => Err(CliError::io(label, "read", e)),
    }
}

/// The policies of `-p` paths (YAML and modules), or the built-in library;
/// `$ref`s outside a policy's root only with `allow_ref_outside`.
pub fn load_policies(
    paths: &[PathBuf],
    allow_ref_outside: bool,
) -> Result<Vec<Evaluator>, CliError> {
    Ok(evaluator::load_with(paths, ref_scope(allow_ref_outside))?)
}

/// The text of every policy file under `paths`, for `build`, and the
/// reader of the files their schemas refer to.
pub fn read_policy_yaml(
    paths: &[PathBuf],
    allow_ref_outside: bool,
) -> Result<(Vec<(String, String)>, PolicyFiles), CliError> {
    Ok(read_policies(paths, ref_scope(allow_ref_outside))?)
}
