//! Reading inputs from disk, and loading policies through the host crate:
//! its errors printed, as exit code 2.

use assay_host::evaluator::{self, Evaluator, LoadError};
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
/// none; its label for messages, and its bytes or a usage exit after
/// saying why it cannot be read.
pub fn read_one_input(path: Option<&Path>) -> Result<(String, Vec<u8>), u8> {
    let (label, bytes) = match path {
        Some(p) if p.as_os_str() != "-" => (display(p), std::fs::read(p)),
        _ => ("<stdin>".to_owned(), read_stdin()),
    };
    match bytes {
        Ok(bytes) => Ok((label, bytes)),
        Err(e) => {
            eprintln!("{label}: cannot read: {e}");
            Err(crate::EXIT_USAGE)
        }
    }
}

/// Prints why policies did not load; the exit code for it.
pub fn load_failed(e: LoadError) -> u8 {
    match e {
        LoadError::NotYaml { .. } => eprintln!(
            "{e} (hint: `assay check -p` and `decide -p` run modules; `build` and `test` take the YAML they came from)"
        ),
        e => eprintln!("{e}"),
    }
    crate::EXIT_USAGE
}

/// The policies of `-p` paths (YAML and modules), or the built-in library.
pub fn load_policies(paths: &[PathBuf]) -> Result<Vec<Evaluator>, u8> {
    evaluator::load(paths).map_err(load_failed)
}

/// The text of every policy file under `paths`, for `build`.
pub fn read_policy_yaml(paths: &[PathBuf]) -> Result<Vec<(String, String)>, u8> {
    read_policy_files(paths).map_err(load_failed)
}
