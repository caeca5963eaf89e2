//! What `assay build` links into a module: the policy files, compiled once
//! here so a module never holds a policy that does not load, and the files
//! their schemas refer to, read from disk.

use crate::files::{file_uri, read_ref_text, ref_target};
use assay_core::eval::schema_files::{ReadError, SchemaFiles};
use assay_core::{PolicyError, PolicySet};
use assay_runtime::Bundle;
use std::cell::RefCell;

/// Schema `$ref`s to other files, read from disk relative to the policy
/// file, anywhere on the machine (the CLI and Python read through
/// `files::PolicyFiles`, which keeps them under the policy's root).
pub struct FileSystem;

impl SchemaFiles for FileSystem {
    fn base_uri(&self, policy_file: &str) -> Option<String> {
        file_uri(policy_file)
    }

    fn read(&self, uri: &str) -> Result<(String, String), ReadError> {
        let (path, name) = ref_target(uri)?;
        read_ref_text(&path, name)
    }
}

/// Reads through another host and keeps what it read.
struct Recording<'h> {
    inner: &'h dyn SchemaFiles,
    bundle: RefCell<Bundle>,
}

impl SchemaFiles for Recording<'_> {
    fn base_uri(&self, policy_file: &str) -> Option<String> {
        let uri = self.inner.base_uri(policy_file)?;
        let mut bundle = self.bundle.borrow_mut();
        bundle.base_uris.insert(policy_file.to_owned(), uri.clone());
        Some(uri)
    }

    fn read(&self, uri: &str) -> Result<(String, String), ReadError> {
        let read = self.inner.read(uri)?;
        let mut bundle = self.bundle.borrow_mut();
        bundle.referenced.insert(uri.to_owned(), read.clone());
        Ok(read)
    }
}

/// Compiles `files` (name, text) and bundles the ones that hold policies
/// with the files their schemas refer to.
pub fn bundle(
    files: Vec<(String, String)>,
    schema_files: &dyn SchemaFiles,
) -> Result<(Bundle, PolicySet), Vec<PolicyError>> {
    let recording = Recording {
        inner: schema_files,
        bundle: RefCell::default(),
    };
    let set = PolicySet::load_with(&files, &recording)?;
    let mut bundle = recording.bundle.into_inner();
    // A policy directory may hold other YAML: only policy files go in.
    let policy_files: std::collections::BTreeSet<&str> = set
        .policies
        .iter()
        .map(|p| p.file.as_str())
        .chain(set.rollouts.iter().map(|p| p.file.as_str()))
        .collect();
    bundle.files = files
        .into_iter()
        .filter(|(name, _)| policy_files.contains(name.as_str()))
        .collect();
    Ok((rerooted(bundle), set))
}

/// The bundle's file URIs re-rooted at the working directory, so the same
/// policies built anywhere give the same module.
fn rerooted(mut bundle: Bundle) -> Bundle {
    let Some(cwd) = std::env::current_dir()
        .ok()
        .and_then(|d| url::Url::from_directory_path(d).ok())
        .map(String::from)
    else {
        return bundle;
    };
    let reroot = |uri: &str| match uri.strip_prefix(&cwd) {
        Some(rest) => format!("file:///{rest}"),
        None => uri.to_owned(),
    };
    for uri in bundle.base_uris.values_mut() {
        *uri = reroot(uri);
    }
    bundle.referenced = std::mem::take(&mut bundle.referenced)
        .into_iter()
        .map(|(uri, file)| (reroot(&uri), file))
        .collect();
    bundle
}

/// The module for a bundle of `set`.
pub fn build(bundle: &Bundle, set: &PolicySet) -> Result<Vec<u8>, crate::link::LinkError> {
    crate::link::link(crate::RUNTIME, bundle, assay_core::api::describe(set))
}
