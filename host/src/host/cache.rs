//! The machine-code cache: modules precompiled by wasmtime, one file each,
//! named by the BLAKE3 digest of the module and a hash of the engine's
//! settings. Deserialising machine code runs it as it is, so nothing is
//! deserialised before it is checked: each file starts with the module's
//! digest, the engine hash and a keyed BLAKE3 MAC over them and the code,
//! under a random key of this user kept outside the cache (0600, in a 0700
//! directory). A file that fails the check is compiled again and rewritten.
//! A directory or key file that others can write (or read, for the key) is
//! not used at all.
//!
//! The threat this answers is a cache written by someone else: a CI cache
//! restored from a pull request's run, a shared or copied home directory,
//! corruption on disk. Whoever runs as this user can read the key and so
//! forge entries; nothing in a user's files is safe from that user.

use std::fs::{File, Metadata};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The first bytes of an entry: what it is, and the version of this layout.
const MAGIC: &[u8; 16] = b"assay-cwasm-v2\0\0";
/// Magic, module digest, engine hash, MAC.
const HEADER: usize = 16 + 32 + 32 + 32;
const KEY_LEN: usize = 32;

/// A cache directory fit to use, and the key its entries are made with.
pub(crate) struct Cache {
    dir: PathBuf,
    key: [u8; KEY_LEN],
}

/// What the cache has for a module.
pub(crate) enum Lookup {
    /// Checked machine code, after the header.
    Hit(Entry),
    /// Nothing.
    Miss,
    /// An entry that failed its check: the warning to give.
    Bad(String),
}

/// An entry read and checked.
pub(crate) struct Entry(Vec<u8>);

impl Entry {
    /// The machine code, as `Module::serialize` wrote it.
    pub(crate) fn code(&self) -> &[u8] {
        self.0.get(HEADER..).unwrap_or_default()
    }
}

impl Cache {
    /// The cache in `dir`, made 0700 if it does not exist, with the key
    /// in `key_file`, made if it does not exist. `Ok(None)`: no cache,
    /// without a word (a directory that cannot be made, no key file).
    /// `Err`: no cache, and the warning that says why.
    pub(crate) fn open(dir: &Path, key_file: Option<&Path>) -> Result<Option<Cache>, String> {
        let Some(key_file) = key_file else {
            return Ok(None);
        };
        if private_dir(dir).is_err() {
            return Ok(None);
        }
        let meta = std::fs::metadata(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        if let Some(why) = unsafe_to_trust(&meta, 0o022) {
            return Err(format!(
                "{}: the module cache directory is {why}; not using it (modules are compiled on every run)",
                dir.display()
            ));
        }
        let Some(key) = read_or_make_key(key_file)? else {
            return Ok(None);
        };
        Ok(Some(Cache {
            dir: dir.to_owned(),
            key,
        }))
    }

    fn path(&self, digest: &blake3::Hash, engine: &blake3::Hash) -> PathBuf {
        let engine = engine.to_hex();
        let engine = engine.get(..16).unwrap_or_default();
        self.dir.join(format!("{digest}-{engine}.cwasm"))
    }

    fn mac(&self, digest: &blake3::Hash, engine: &blake3::Hash, code: &[u8]) -> blake3::Hash {
        let mut mac = blake3::Hasher::new_keyed(&self.key);
        mac.update(MAGIC)
            .update(digest.as_bytes())
            .update(engine.as_bytes())
            .update(code);
        mac.finalize()
    }

    /// The entry of the module with `digest` for the engine with `engine`
    /// hash, checked.
    pub(crate) fn read(&self, digest: &blake3::Hash, engine: &blake3::Hash) -> Lookup {
        let path = self.path(digest, engine);
        let bad = |why: &str| {
            Lookup::Bad(format!(
                "{}: cached machine code failed its integrity check ({why}); compiling the module again",
                path.display()
            ))
        };
        let mut file = match open_no_follow(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Lookup::Miss,
            Err(e) => return bad(&e.to_string()),
        };
        match file.metadata() {
            Ok(meta) if !meta.is_file() => return bad("not a file"),
            Ok(meta) => {
                if let Some(why) = unsafe_to_trust(&meta, 0o022) {
                    return bad(why);
                }
            }
            Err(e) => return bad(&e.to_string()),
        }
        let mut bytes = Vec::new();
        if let Err(e) = file.read_to_end(&mut bytes) {
            return bad(&e.to_string());
        }
        let Some(header) = bytes.get(..HEADER) else {
            return bad("truncated");
        };
        let field = |at: usize| {
            let mut b = [0u8; 32];
            b.copy_from_slice(&header[at..at + 32]);
            blake3::Hash::from_bytes(b)
        };
        if &header[..16] != MAGIC {
            return bad("not an entry of this assay");
        }
        if field(16) != *digest {
            return bad("made for another module");
        }
        if field(48) != *engine {
            return bad("made for other engine settings");
        }
        // `blake3::Hash` compares in constant time.
        if field(80) != self.mac(digest, engine, &bytes[HEADER..]) {
            return bad("edited, corrupted or written under another key");
        }
        Lookup::Hit(Entry(bytes))
    }

    /// Writes the entry of a module; a cache that cannot be written is
    /// not an error (the cache is an optimisation).
    pub(crate) fn write(&self, digest: &blake3::Hash, engine: &blake3::Hash, code: &[u8]) {
        let path = self.path(digest, engine);
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        let mac = self.mac(digest, engine, code);
        let written = create_private(&tmp)
            .and_then(|mut f| {
                f.write_all(MAGIC)?;
                f.write_all(digest.as_bytes())?;
                f.write_all(engine.as_bytes())?;
                f.write_all(mac.as_bytes())?;
                f.write_all(code)
            })
            .and_then(|()| std::fs::rename(&tmp, &path));
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
    }
}

/// The key in `path`, made (32 random bytes, 0600, in a 0700 directory)
/// when there is none. `Ok(None)`: it can neither be read nor made.
fn read_or_make_key(path: &Path) -> Result<Option<[u8; KEY_LEN]>, String> {
    let shown = path.display();
    let Some(parent) = path.parent() else {
        return Ok(None);
    };
    if private_dir(parent).is_err() {
        return Ok(None);
    }
    let meta = std::fs::metadata(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    if let Some(why) = unsafe_to_trust(&meta, 0o022) {
        return Err(format!(
            "{}: the directory of the module cache's key is {why}; not using the cache",
            parent.display()
        ));
    }
    let mut file = match open_no_follow(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => match make_key(path) {
            Ok(file) => file,
            Err(_) => return Ok(None),
        },
        Err(e) => return Err(format!("{shown}: cannot read the module cache's key: {e}")),
    };
    let refuse = |why: &str| {
        format!("{shown}: the module cache's key is {why}; not using the cache (delete the file to make a new key)")
    };
    let meta = file.metadata().map_err(|e| refuse(&e.to_string()))?;
    if !meta.is_file() {
        return Err(refuse("not a file"));
    }
    if let Some(why) = unsafe_to_trust(&meta, 0o077) {
        return Err(refuse(why));
    }
    let mut key = [0u8; KEY_LEN];
    let mut rest = Vec::new();
    file.read_exact(&mut key)
        .and_then(|()| file.read_to_end(&mut rest))
        .map_err(|_| refuse("not 32 bytes long"))?;
    if !rest.is_empty() {
        return Err(refuse("not 32 bytes long"));
    }
    Ok(Some(key))
}

/// Makes the key file, whole or not at all: written beside it, then
/// linked in place unless another process got there first.
fn make_key(path: &Path) -> std::io::Result<File> {
    let mut key = [0u8; KEY_LEN];
    getrandom::fill(&mut key).map_err(|e| std::io::Error::other(e.to_string()))?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let made = create_private(&tmp)
        .and_then(|mut f| f.write_all(&key).and_then(|()| f.sync_all()))
        .and_then(|()| match std::fs::hard_link(&tmp, path) {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            linked => linked,
        });
    let _ = std::fs::remove_file(&tmp);
    made?;
    open_no_follow(path)
}

/// Makes `dir` and the directories above it that are missing, 0700.
fn private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// A new file only this user can read and write.
fn create_private(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Opens a file for reading, refusing a symbolic link in its place.
fn open_no_follow(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NOFOLLOW);
    options.open(path)
}

/// Why a file or directory is not to be trusted: not this user's, or
/// open to others through a bit of `forbidden` (of the mode's last nine).
#[cfg(unix)]
fn unsafe_to_trust(meta: &Metadata, forbidden: u32) -> Option<&'static str> {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let uid = unsafe { libc::geteuid() };
    if meta.uid() != uid {
        Some("not owned by the current user")
    } else if meta.mode() & forbidden & 0o022 != 0 {
        Some("writable by others")
    } else if meta.mode() & forbidden != 0 {
        Some("readable by others")
    } else {
        None
    }
}

/// Elsewhere the permissions are not checked.
#[cfg(not(unix))]
fn unsafe_to_trust(_meta: &Metadata, _forbidden: u32) -> Option<&'static str> {
    None
}
