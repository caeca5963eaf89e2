//! The built-in policy library, embedded at build time from `policies/`.

use crate::policy::PolicyError;
use crate::set::PolicySet;

include!(concat!(env!("OUT_DIR"), "/library.rs"));

fn owned(files: &[(&str, &str)]) -> Vec<(String, String)> {
    files
        .iter()
        .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
        .collect()
}

/// The default policy set, used when no policy is given.
pub fn defaults() -> Result<PolicySet, Vec<PolicyError>> {
    PolicySet::load(&owned(POLICIES))
}

/// The library's policy files (name, text).
pub fn files() -> Vec<(String, String)> {
    owned(POLICIES)
}

/// The library's test case files.
pub fn case_files() -> Vec<(String, String)> {
    owned(CASES)
}
