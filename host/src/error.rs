//! Why policies did not load, shared by the evaluator and the file readers.

use crate::host::ModuleError;
use assay_core::PolicyError;
use std::fmt;

/// Why policies did not load. Each message is what the CLI prints: one
/// line, or one line per problem for [`LoadError::Policies`] and
/// [`LoadError::Duplicates`].
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A policy path (file or directory) that cannot be listed.
    #[error("{path}: cannot read policy path: {error}")]
    UnreadablePath { path: String, error: std::io::Error },
    /// A policy file or module that cannot be read.
    #[error("{path}: cannot read: {error}")]
    UnreadableFile { path: String, error: std::io::Error },
    /// A compiled module where policy YAML is needed (building, testing).
    #[error("{path}: a compiled module, where policy YAML is needed")]
    NotYaml { path: String },
    /// Policies that do not compile (or a file that is not UTF-8), every
    /// problem located in its file.
    #[error("{}", PolicyError::printed_lines(.0))]
    Policies(Vec<PolicyError>),
    /// Paths that hold no policy.
    #[error("{paths}: no policies found (hint: {NO_POLICIES_HINT})")]
    NoPolicies { paths: String },
    /// The module host (wasmtime) did not start.
    #[error("{0}")]
    Host(ModuleError),
    /// A file that is not a module this assay runs.
    #[error("{path}: {error}")]
    Module { path: String, error: ModuleError },
    /// Policies loaded twice, from YAML and modules together.
    #[error("{}", lines(.0))]
    Duplicates(Vec<Duplicate>),
}

const NO_POLICIES_HINT: &str = "a policy has `apiVersion: assay.dev/v1`";

impl LoadError {
    /// The file a problem is about, the problem, and a hint, for hosts
    /// that keep them apart (Python's `PolicyError`); the first duplicate
    /// for [`LoadError::Duplicates`]. `None` for [`LoadError::Policies`],
    /// whose errors are located each, and for [`LoadError::Host`], which
    /// is about no file.
    pub fn located(&self) -> Option<(&str, String, Option<&'static str>)> {
        match self {
            LoadError::UnreadablePath { path, error } => {
                Some((path, format!("cannot read policy path: {error}"), None))
            }
            LoadError::UnreadableFile { path, error } => {
                Some((path, format!("cannot read: {error}"), None))
            }
            LoadError::NotYaml { path } => Some((
                path,
                "a compiled module, where policy YAML is needed".to_owned(),
                None,
            )),
            LoadError::NoPolicies { paths } => Some((
                paths,
                "no policies found".to_owned(),
                Some(NO_POLICIES_HINT),
            )),
            LoadError::Module { path, error } => Some((path, error.to_string(), None)),
            LoadError::Duplicates(duplicates) => duplicates
                .first()
                .map(|d| (d.file.as_str(), d.message(), Some(Duplicate::HINT))),
            LoadError::Policies(_) | LoadError::Host(_) => None,
        }
    }
}

fn lines<T: fmt::Display>(items: &[T]) -> String {
    let lines: Vec<String> = items.iter().map(ToString::to_string).collect();
    lines.join("\n")
}

/// A policy name loaded a second time: policy names are unique in a set
/// (docs/policies.md), across YAML and modules too, or every finding would be
/// reported twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    pub name: String,
    /// Where it is loaded from again.
    pub file: String,
    /// Where it was loaded from first.
    pub earlier: String,
}

impl Duplicate {
    const HINT: &'static str = "pass each policy once, as YAML or in a module";

    fn message(&self) -> String {
        format!(
            "policy `{}` is also loaded from {}; names must be unique in a set",
            self.name, self.earlier
        )
    }
}

impl fmt::Display for Duplicate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} (hint: {})",
            self.file,
            self.message(),
            Self::HINT
        )
    }
}
