//! Which files on disk are inputs and policies, and reading policies from
//! them: shared by the native hosts (the CLI and the Python package), so
//! they read the same files and report the same problems.

use crate::error::LoadError;
use assay_core::eval::schema_files::{ReadError, SchemaFiles};
use assay_core::policy::PolicyErrorKind;
use assay_core::{PolicyError, PolicySet};
use std::cell::RefCell;
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The most bytes read from one input, policy file or schema file (and
/// from stdin): a file that grows while it is read cannot fill memory.
/// Inputs may be given another bound (the `file-bytes` limit,
/// [`read_input`]); policy and schema files are read within this one.
pub const MAX_FILE_BYTES: u64 = assay_core::Limits::DEFAULT.file_bytes;

/// The most bytes read from one compiled module (`-p OUT.wasm`).
pub const MAX_MODULE_BYTES: u64 = 1 << 30;

/// Reads the regular file at `path` (a link to one is followed), at most
/// `limit` bytes. A FIFO, a device, a socket or a directory is refused
/// without reading it: each can block forever or never end. The file is
/// opened non-blocking and its type checked again on the open handle, so a
/// FIFO put in its place in between is refused too.
pub fn read_file(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    let (file, len) = open_regular(path)?;
    let capacity = usize::try_from(len.min(limit)).unwrap_or(0);
    read_bounded(file, limit, capacity)
}

/// Opens the regular file at `path` as [`read_file`] does, to read it in
/// pieces: its handle, and its size when opened.
pub fn open_regular(path: &Path) -> std::io::Result<(std::fs::File, u64)> {
    regular(path, &std::fs::metadata(path)?)?;
    let file = open(path)?;
    let meta = file.metadata()?;
    regular(path, &meta)?;
    Ok((file, meta.len()))
}

/// Everything `reader` gives, up to `limit` bytes; more is an error.
pub fn read_bounded(reader: impl Read, limit: u64, capacity: usize) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(capacity);
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            TooLarge(limit),
        ));
    }
    Ok(bytes)
}

/// A file larger than the most that is read of it.
#[derive(Debug)]
struct TooLarge(u64);

impl std::fmt::Display for TooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "larger than {} MiB, the most assay reads from one file",
            self.0 >> 20
        )
    }
}

impl std::error::Error for TooLarge {}

/// Reads an input file (not a policy, schema or module) of at most `limit`
/// bytes, the `file-bytes` limit: a larger one is an error naming it.
pub fn read_input(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    read_file(path, limit).map_err(over_file_bytes)
}

/// [`read_input`] for a reader (stdin).
pub fn read_input_from(reader: impl Read, limit: u64) -> std::io::Result<Vec<u8>> {
    read_bounded(reader, limit, 0).map_err(over_file_bytes)
}

/// A [`TooLarge`] error as the `file-bytes` limit's; others as they are.
fn over_file_bytes(e: std::io::Error) -> std::io::Error {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<TooLarge>())
    {
        Some(TooLarge(limit)) => std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "larger than {}, the most assay reads from one input ({})",
                assay_core::parse::size_text(*limit),
                assay_core::parse::raise_note("file-bytes")
            ),
        ),
        None => e,
    }
}

#[cfg(unix)]
fn open(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
}

#[cfg(not(unix))]
fn open(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

/// An error unless `meta` is a regular file's. A directory gives the error
/// of listing it when it cannot be listed (that is what is wrong with it).
fn regular(path: &Path, meta: &std::fs::Metadata) -> std::io::Result<()> {
    if meta.is_file() {
        return Ok(());
    }
    if meta.is_dir() {
        std::fs::read_dir(path)?;
    }
    let what = file_kind(meta);
    Err(std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!("not a regular file ({what})"),
    ))
}

#[cfg(unix)]
fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    if meta.is_dir() {
        "a directory"
    } else {
        "a special file"
    }
}

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
    Ok(read_policies(paths, RefScope::Root)?.0)
}

/// The text of every policy file under `paths`, as [`read_policy_files`],
/// and the reader of the files their schemas `$ref`, which keeps each
/// policy's references under its root (`scope`).
pub fn read_policies(
    paths: &[PathBuf],
    scope: RefScope,
) -> Result<(Vec<(String, String)>, PolicyFiles), LoadError> {
    let mut files = Vec::new();
    let mut roots = HashMap::new();
    for p in paths {
        let listed = walk(p, true).map_err(|error| LoadError::UnreadablePath {
            path: display(p),
            error,
        })?;
        let root = Root::of(p);
        for f in listed {
            let name = display(&f);
            if is_module(&f) {
                return Err(LoadError::NotYaml { path: name });
            }
            roots.entry(name.clone()).or_insert_with(|| root.clone());
            let bytes =
                read_file(&f, MAX_FILE_BYTES).map_err(|error| LoadError::UnreadableFile {
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
    let reader = PolicyFiles {
        scope,
        roots,
        current: RefCell::new(None),
    };
    Ok((files, reader))
}

/// Where a schema's `$ref` may read: only under the policy's root (the
/// `-p` directory it was found in, or its own directory when the file was
/// given), or anywhere (`--allow-ref-outside`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RefScope {
    #[default]
    Root,
    Anywhere,
}

/// A policy's root: as the user named it, and where it really is.
#[derive(Clone)]
struct Root {
    shown: String,
    real: Option<PathBuf>,
}

impl Root {
    /// The root of the policies found under `path`: the directory itself,
    /// or a file's directory.
    fn of(path: &Path) -> Root {
        let dir = if path.is_dir() {
            path
        } else {
            match path.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            }
        };
        Root {
            shown: display(dir),
            real: std::fs::canonicalize(dir).ok(),
        }
    }
}

/// Schema `$ref`s to other files, read from disk relative to the file they
/// are written in: only regular files, at most [`MAX_FILE_BYTES`], and with
/// [`RefScope::Root`] only under the referring policy's root, links
/// resolved (a link in the root to a file outside is refused).
///
/// Core asks for a policy file's base URI before it reads the files that
/// policy's schemas refer to; the root of that policy is kept until the
/// next one.
pub struct PolicyFiles {
    scope: RefScope,
    /// Each policy file's root, by the name it is loaded under.
    roots: HashMap<String, Root>,
    current: RefCell<Option<Root>>,
}

impl PolicyFiles {
    /// A reader for policy files not read by [`read_policies`]: each
    /// policy's root is its own directory.
    pub fn new(scope: RefScope) -> PolicyFiles {
        PolicyFiles {
            scope,
            roots: HashMap::new(),
            current: RefCell::new(None),
        }
    }
}

impl SchemaFiles for PolicyFiles {
    fn base_uri(&self, policy_file: &str) -> Option<String> {
        let root = match self.roots.get(policy_file) {
            Some(root) => root.clone(),
            None => Root::of(Path::new(policy_file)),
        };
        *self.current.borrow_mut() = Some(root);
        file_uri(policy_file)
    }

    fn read(&self, uri: &str) -> Result<(String, String), ReadError> {
        let (path, name) = ref_target(uri)?;
        let io = |source| ReadError::Io {
            name: name.clone(),
            source,
        };
        if self.scope == RefScope::Root {
            let root = self.current.borrow().clone();
            let real = std::fs::canonicalize(&path).map_err(io)?;
            let inside = root
                .as_ref()
                .and_then(|r| r.real.as_ref())
                .is_some_and(|r| real.starts_with(r));
            if !inside {
                return Err(ReadError::OutsideRoot {
                    name,
                    root: root.map(|r| r.shown).unwrap_or_default(),
                });
            }
        }
        read_ref_text(&path, name)
    }
}

/// The absolute URI that a policy file's `$ref`s resolve against.
pub(crate) fn file_uri(policy_file: &str) -> Option<String> {
    let path = std::fs::canonicalize(policy_file).ok()?;
    url::Url::from_file_path(path).ok().map(String::from)
}

/// The file a `$ref` URI names, and its name in errors (relative to the
/// working directory when it is under it).
pub(crate) fn ref_target(uri: &str) -> Result<(PathBuf, String), ReadError> {
    let path = url::Url::parse(uri)
        .ok()
        .and_then(|u| u.to_file_path().ok())
        .ok_or_else(|| ReadError::NotAFile(uri.to_owned()))?;
    let name = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.clone());
    let name = name.display().to_string();
    Ok((path, name))
}

/// A referenced file's text: a regular file, at most [`MAX_FILE_BYTES`], UTF-8.
pub(crate) fn read_ref_text(path: &Path, name: String) -> Result<(String, String), ReadError> {
    let bytes = read_file(path, MAX_FILE_BYTES).map_err(|source| ReadError::Io {
        name: name.clone(),
        source,
    })?;
    let text = assay_core::check::decode(&bytes).map_err(|error| ReadError::NotText {
        name: name.clone(),
        error,
    })?;
    Ok((text.to_owned(), name))
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
    load_policy_set_with(paths, RefScope::Root)
}

/// [`load_policy_set`], with `$ref`s read in `scope`.
pub fn load_policy_set_with(paths: &[PathBuf], scope: RefScope) -> Result<PolicySet, LoadError> {
    if paths.is_empty() {
        return assay_core::library::defaults().map_err(LoadError::Policies);
    }
    let (files, reader) = read_policies(paths, scope)?;
    compile_policy_files(&files, &reader, &display_all(paths))
}
