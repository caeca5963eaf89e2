//! Reading inputs from disk, and loading policies through the host crate.

use crate::error::CliError;
use assay_host::evaluator::{self, Evaluator};
use assay_host::files::read_policy_files;
use std::io::Read;
use std::path::{Path, PathBuf};

pub use assay_host::files::{display, walk};

pub fn read_stdin() -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    std::io::stdin().read_to_end(&mut buf)?;
    Ok(buf)
}

/// The one input of `review` and `decide`: a file, or stdin for `-` or
/// none; its label for messages, and its bytes.
pub fn read_one_input(path: Option<&Path>) -> Result<(String, Vec<u8>), CliError> {
    let (label, bytes) = match path {
        Some(p) if p.as_os_str() != "-" => (display(p), std::fs::read(p)),
        _ => ("<stdin>".to_owned(), read_stdin()),
    };
    match bytes {
        Ok(bytes) => Ok((label, bytes)),
        Err(e) => Err(CliError::io(label, "read", e)),
    }
}

/// The policies of `-p` paths (YAML and modules), or the built-in library.
pub fn load_policies(paths: &[PathBuf]) -> Result<Vec<Evaluator>, CliError> {
    Ok(evaluator::load(paths)?)
}

/// The text of every policy file under `paths`, for `build`.
pub fn read_policy_yaml(paths: &[PathBuf]) -> Result<Vec<(String, String)>, CliError> {
    Ok(read_policy_files(paths)?)
}
