//! Reading inputs from disk, and loading policies through the host crate.

use crate::error::CliError;
use assay_core::Limits;
use assay_host::evaluator::{self, Evaluator};
use assay_host::files::{read_input_from, read_policies, PolicyFiles, RefScope};
use std::path::{Path, PathBuf};

pub use assay_host::files::{display, read_file, walk};

/// Stdin, at most `limit` bytes (the `file-bytes` limit).
pub fn read_stdin_within(limit: u64) -> std::io::Result<Vec<u8>> {
    read_input_from(std::io::stdin().lock(), limit)
}

/// A regular input file, at most `limit` bytes (the `file-bytes` limit,
/// docs/limits.md "Files").
pub fn read_input_within(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    assay_host::files::read_input(path, limit)
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
/// none, at most `limit` bytes; its label for messages, and its bytes.
pub fn read_one_input(path: Option<&Path>, limit: u64) -> Result<(String, Vec<u8>), CliError> {
    let (label, bytes) = match path {
        Some(p) if p.as_os_str() != "-" => (display(p), read_input_within(p, limit)),
        _ => ("<stdin>".to_owned(), read_stdin_within(limit)),
    };
    match bytes {
        Ok(bytes) => Ok((label, bytes)),
        Err(e) => Err(CliError::io(label, "read", e)),
    }
}

/// The policies of `-p` paths (YAML and modules), or the built-in library,
/// checking within `limits`; `$ref`s outside a policy's root only with
/// `allow_ref_outside`.
pub fn load_policies(
    paths: &[PathBuf],
    allow_ref_outside: bool,
    limits: &Limits,
) -> Result<Vec<Evaluator>, CliError> {
    let scope = ref_scope(allow_ref_outside);
    Ok(evaluator::load_within(paths, scope, limits)?)
}

/// The text of every policy file under `paths`, for `build`, and the
/// reader of the files their schemas refer to.
pub fn read_policy_yaml(
    paths: &[PathBuf],
    allow_ref_outside: bool,
) -> Result<(Vec<(String, String)>, PolicyFiles), CliError> {
    Ok(read_policies(paths, ref_scope(allow_ref_outside))?)
}
