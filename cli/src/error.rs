//! The CLI's errors. A command returns them; `main` prints each one in one
//! place and exits 2 (usage error, unreadable path or invalid policy).

use assay_core::check::review::ReviewError;
use assay_host::evaluator::LoadError;
use std::fmt;
use std::path::Path;

/// Exit code for usage errors, unreadable paths and invalid policies.
pub const EXIT_USAGE: u8 = 2;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A file, directory or stdin that cannot be read, or an output that
    /// cannot be written.
    #[error("{label}: cannot {action}: {source}")]
    Io {
        label: String,
        action: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// Policies that do not load.
    #[error("{}", load_message(.0))]
    Load(#[from] LoadError),
    /// An input that is not what the command reads, at a place in it.
    #[error("{label}:{line}:{column}: {message}")]
    Located {
        label: String,
        line: u32,
        column: u32,
        message: String,
    },
    /// A problem with a named file or input, in the words of the part that
    /// found it (a module that does not link, an input `decide` refuses).
    #[error("{label}: {message}")]
    Input { label: String, message: String },
    /// An AdmissionReview `review` cannot read.
    #[error("{label}:{error} (hint: {})", ReviewError::HINT)]
    Review { label: String, error: ReviewError },
    /// A problem with the command line's policies as a whole.
    #[error("{0}")]
    Usage(String),
}

impl CliError {
    pub fn io(label: impl Into<String>, action: &'static str, source: std::io::Error) -> Self {
        CliError::Io {
            label: label.into(),
            action,
            source,
        }
    }

    pub fn read(path: &Path, source: std::io::Error) -> Self {
        Self::io(assay_host::files::display(path), "read", source)
    }

    pub fn input(label: impl Into<String>, message: impl fmt::Display) -> Self {
        CliError::Input {
            label: label.into(),
            message: message.to_string(),
        }
    }

    pub fn exit_code(&self) -> u8 {
        EXIT_USAGE
    }
}

fn load_message(e: &LoadError) -> String {
    match e {
        LoadError::NotYaml { .. } => format!(
            "{e} (hint: `assay check -p` and `decide -p` run modules; `build` and `test` take the YAML they came from)"
        ),
        e => e.to_string(),
    }
}

/// Prints an error that the command goes on after (one file of several);
/// `main` prints the others the same way. Errors quote what they reject (an
/// AdmissionReview's `apiVersion`, a path): no token-shaped secret passes.
pub fn report(e: &CliError) {
    eprintln!("{}", assay_core::redact::redact_text(&e.to_string()));
}
