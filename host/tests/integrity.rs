//! What the host trusts is checked first: the machine code in its cache
//! (a keyed checksum, made with a key outside the cache) and the policy
//! text in a module (its `sourceHash`). A check that fails is a warning and
//! a fresh compile (the cache) or an error naming it (the module).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use assay_host::link::{contents, ContentsError};
use assay_host::{build, bundle, FileSystem, Host, Limits, ModuleError};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// A fresh directory under cargo's temp dir for tests, removed when the
/// test ends (each holds a compiled module's machine code, tens of MB).
fn temp_dir(tag: &str) -> TempDir {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "integrity-{tag}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = PathBuf;
    fn deref(&self) -> &PathBuf {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A host with its cache and key in `dir`, and the warnings it gave.
fn host(dir: &Path) -> (Host, Arc<Mutex<Vec<String>>>) {
    let warnings = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&warnings);
    let host = Host::new(Some(dir.join("cache/modules")), Limits::default())
        .unwrap()
        .with_key_file(Some(dir.join("state/assay/cache-key")))
        .on_warning(move |w| sink.lock().unwrap().push(w.to_owned()));
    (host, warnings)
}

fn module_of(files: Vec<(String, String)>) -> Vec<u8> {
    let (bundle, set) = bundle(files, &FileSystem).expect("policies load");
    build(&bundle, &set).expect("policies link")
}

fn policy(name: &str, max: u32) -> (String, String) {
    (
        format!("{name}.yaml"),
        format!(
            "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata:\n  name: {name}\n\
             spec:\n  match: {{kinds: [ConfigMap]}}\n  rules:\n    - name: size\n      \
             expr: \"int(object.data.size) <= {max}\"\n      message: too big\n"
        ),
    )
}

/// Two real modules whose verdicts would differ on the same input.
fn strict_and_lax() -> (Vec<u8>, Vec<u8>) {
    (
        module_of(vec![policy("limit", 10)]),
        module_of(vec![policy("limit", 99)]),
    )
}

/// A hand-written module of the ABI (no policy bundle) that answers
/// every call with `answer`: compiling the real runtime takes many
/// seconds of CPU, this a few milliseconds.
fn answering(answer: &str) -> Vec<u8> {
    let mut bytes = wat::parse_str(format!(
        r#"(module (memory (export "memory") 1)
             (data (i32.const 16) "{answer}")
             (func (export "assay_abi_version") (result i32) (i32.const {abi}))
             (func (export "assay_alloc") (param i32) (result i32) (i32.const 1024))
             (func (export "assay_free") (param i32 i32))
             (func (export "assay_evaluate") (param i32 i32) (result i64)
               (i64.const {packed})))"#,
        abi = assay_runtime::ABI_VERSION,
        packed = (16u64 << 32) | answer.len() as u64,
    ))
    .expect("valid WAT");
    let metadata = format!(
        r#"{{"abiVersion": {}, "assayVersion": "test", "sourceHash": "sha256:0", "policies": []}}"#,
        assay_runtime::ABI_VERSION
    );
    let name = assay_host::link::METADATA_SECTION;
    let mut content = vec![name.len() as u8];
    content.extend_from_slice(name.as_bytes());
    content.extend_from_slice(metadata.as_bytes());
    bytes.push(0); // custom section
    let mut n = content.len();
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        bytes.push(if n == 0 { byte } else { byte | 0x80 });
        if n == 0 {
            break;
        }
    }
    bytes.extend(content);
    bytes
}

/// Two modules that answer differently: which one's code ran shows.
fn a_and_b() -> (Vec<u8>, Vec<u8>) {
    (answering("answer A"), answering("answer B"))
}

/// What a module answers.
fn verdict(host: &Host, module: &[u8]) -> String {
    let mut loaded = host.load(module).unwrap();
    loaded.call(b"{}").unwrap()
}

fn cached(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("cache/modules"))
        .map(|entries| entries.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "cwasm"));
    files.sort();
    files
}

fn taken(warnings: &Mutex<Vec<String>>) -> Vec<String> {
    std::mem::take(&mut *warnings.lock().unwrap())
}

#[test]
fn a_cached_module_loads_again_without_a_warning() {
    let dir = temp_dir("hit");
    let (strict, _) = a_and_b();
    let (first, warnings) = host(&dir);
    assert_eq!(verdict(&first, &strict), "answer A");
    let files = cached(&dir);
    assert_eq!(files.len(), 1);
    let written = std::fs::read(&files[0]).unwrap();
    // A new host (a new process): reads the entry, does not rewrite it.
    let (second, second_warnings) = host(&dir);
    assert_eq!(verdict(&second, &strict), "answer A");
    assert_eq!(std::fs::read(&files[0]).unwrap(), written);
    assert!(taken(&warnings).is_empty());
    assert!(taken(&second_warnings).is_empty());
}

#[test]
fn another_modules_machine_code_under_its_name_is_refused() {
    let dir = temp_dir("swap");
    let (strict, lax) = a_and_b();
    let (host_one, _) = host(&dir);
    verdict(&host_one, &strict);
    let strict_code = cached(&dir);
    verdict(&host_one, &lax);
    let all = cached(&dir);
    let lax_code = all.iter().find(|p| !strict_code.contains(p)).unwrap();
    std::fs::copy(lax_code, &strict_code[0]).unwrap();
    let (host_two, warnings) = host(&dir);
    assert_eq!(
        verdict(&host_two, &strict),
        "answer A",
        "the lax module's code ran"
    );
    let warnings = taken(&warnings);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("integrity check") && warnings[0].contains("another module"),
        "{warnings:?}"
    );
    // Rewritten: a third host is silent.
    let (host_three, third) = host(&dir);
    assert_eq!(verdict(&host_three, &strict), "answer A");
    assert!(taken(&third).is_empty());
}

#[test]
fn edited_or_truncated_machine_code_is_recompiled_with_one_warning() {
    let dir = temp_dir("edited");
    let (strict, _) = a_and_b();
    let (first, _) = host(&dir);
    verdict(&first, &strict);
    let path = cached(&dir).remove(0);
    let good = std::fs::read(&path).unwrap();
    let mut flipped = good.clone();
    let at = good.len() / 2;
    flipped[at] ^= 1;
    let edits: Vec<Vec<u8>> = vec![
        flipped,
        good[..good.len() - 1].to_vec(),
        good[..good.len() / 3].to_vec(),
        good[..50].to_vec(),
        Vec::new(),
    ];
    for (i, edit) in edits.into_iter().enumerate() {
        std::fs::write(&path, &edit).unwrap();
        let (host, warnings) = host(&dir);
        assert_eq!(verdict(&host, &strict), "answer A", "edit {i}");
        let warnings = taken(&warnings);
        assert_eq!(warnings.len(), 1, "edit {i}: {warnings:?}");
        assert!(
            warnings[0].starts_with(&format!("{}: ", path.display()))
                && warnings[0].contains("integrity check"),
            "{warnings:?}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), good, "edit {i}: rewritten");
    }
}

#[test]
fn an_entry_made_under_another_key_is_refused() {
    let dir = temp_dir("key");
    let (strict, _) = a_and_b();
    let (first, _) = host(&dir);
    verdict(&first, &strict);
    let key = dir.join("state/assay/cache-key");
    assert_eq!(std::fs::read(&key).unwrap().len(), 32);
    // The same cache, restored where another key is (a new CI machine).
    std::fs::remove_file(&key).unwrap();
    let (second, warnings) = host(&dir);
    assert_eq!(verdict(&second, &strict), "answer A");
    let warnings = taken(&warnings);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("another key"), "{warnings:?}");
}

#[cfg(unix)]
#[test]
fn the_cache_and_its_key_are_private_and_refused_when_others_can_touch_them() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let chmod = |p: &Path, m: u32| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    };
    let dir = temp_dir("perms");
    let (strict, _) = a_and_b();
    let (first, _) = host(&dir);
    verdict(&first, &strict);
    let modules = dir.join("cache/modules");
    let key = dir.join("state/assay/cache-key");
    assert_eq!(mode(&modules), 0o700);
    assert_eq!(mode(&dir.join("cache")), 0o700);
    assert_eq!(mode(&key), 0o600);
    assert_eq!(mode(key.parent().unwrap()), 0o700);
    assert_eq!(mode(&cached(&dir)[0]), 0o600);

    let refused = |what: &Path, why: &str| {
        let (host, warnings) = host(&dir);
        let entry = cached(&dir).remove(0);
        std::fs::remove_file(&entry).unwrap();
        assert_eq!(verdict(&host, &strict), "answer A");
        // A second module: the cache is refused once, not per module.
        let (_, lax) = a_and_b();
        host.load(&lax).unwrap();
        let warnings = taken(&warnings);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].starts_with(&format!("{}: ", what.display())) && warnings[0].contains(why),
            "{warnings:?}"
        );
        assert!(!entry.exists(), "written to a cache that was refused");
        // Put back for the next case.
        std::fs::write(&entry, b"").unwrap();
    };
    chmod(&modules, 0o777);
    refused(&modules, "writable by others");
    chmod(&modules, 0o770);
    refused(&modules, "writable by others");
    chmod(&modules, 0o702);
    refused(&modules, "writable by others");
    chmod(&modules, 0o755);
    // Another user's directory: only root can make one here.
    let me = std::fs::metadata(&modules).unwrap();
    if std::os::unix::fs::chown(&modules, Some(4242), None).is_ok() {
        refused(&modules, "not owned by the current user");
        std::os::unix::fs::chown(
            &modules,
            Some(std::os::unix::fs::MetadataExt::uid(&me)),
            None,
        )
        .unwrap();
    }
    chmod(&key, 0o644);
    refused(&key, "readable by others");
    chmod(&key, 0o600);
    chmod(key.parent().unwrap(), 0o777);
    refused(key.parent().unwrap(), "writable by others");
    chmod(key.parent().unwrap(), 0o700);
    std::fs::write(&key, b"short").unwrap();
    refused(&key, "not 32 bytes long");
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_in_place_of_an_entry_or_the_key_is_refused() {
    let dir = temp_dir("symlink");
    let (strict, _) = a_and_b();
    let (first, _) = host(&dir);
    verdict(&first, &strict);
    let entry = cached(&dir).remove(0);
    let elsewhere = dir.join("elsewhere.cwasm");
    std::fs::rename(&entry, &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &entry).unwrap();
    let (second, warnings) = host(&dir);
    assert_eq!(verdict(&second, &strict), "answer A");
    let warnings = taken(&warnings);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("integrity check"), "{warnings:?}");
}

#[test]
fn no_key_file_means_no_cache() {
    let dir = temp_dir("nokey");
    let (strict, _) = a_and_b();
    let (host, warnings) = host(&dir);
    let host = host.with_key_file(None);
    assert_eq!(verdict(&host, &strict), "answer A");
    assert!(cached(&dir).is_empty());
    assert!(taken(&warnings).is_empty());
}

/// `module` with `from` (found once in it) replaced by `to`, of the same length.
fn edited(module: &[u8], from: &str, to: &str) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let found: Vec<usize> = (0..module.len() - from.len())
        .filter(|&i| &module[i..i + from.len()] == from.as_bytes())
        .collect();
    assert_eq!(found.len(), 1, "{from:?} at {found:?}");
    let mut bytes = module.to_vec();
    bytes[found[0]..found[0] + to.len()].copy_from_slice(to.as_bytes());
    bytes
}

#[test]
fn policy_text_edited_inside_a_module_is_refused() {
    let (strict, _) = strict_and_lax();
    let expected = contents(&strict).unwrap().metadata.source_hash;
    // The lax policy's text, in the strict module: it would pass the input.
    let bad = edited(&strict, "<= 10\\\"", "<= 99\\\"");
    match contents(&bad) {
        Err(ContentsError::SourceHash {
            expected: named,
            found,
        }) => {
            assert_eq!(named, expected);
            assert_ne!(found, expected);
        }
        other => panic!("{other:?}"),
    }
    for cache in [false, true] {
        let dir = temp_dir("edited-policy");
        let (host, _) = host(&dir);
        let host = if cache {
            host
        } else {
            host.with_key_file(None)
        };
        let err = host.load(&bad).err().unwrap();
        assert!(matches!(err, ModuleError::SourceHash { .. }), "{err}");
        let text = err.to_string();
        assert!(
            text.contains("does not match its sourceHash") && text.contains(&expected),
            "{text}"
        );
    }
}

#[test]
fn a_module_that_moves_or_doubles_its_policy_slot_is_refused() {
    let (strict, _) = strict_and_lax();
    let marker = std::str::from_utf8(&assay_runtime::SLOT_MARKER[..20]).unwrap();
    // The slot's marker destroyed: the guest still reads the slot, so the
    // bundle cannot be found and checked.
    let no_marker = edited(&strict, marker, &"x".repeat(marker.len()));
    let err = contents(&no_marker).unwrap_err();
    assert!(matches!(err, ContentsError::Invalid(_)), "{err}");
    assert!(err.to_string().contains("no policy slot"), "{err}");
}

#[test]
fn the_bundle_read_back_is_the_one_linked_in() {
    let files = vec![policy("limit", 10)];
    let (bundle, set) = bundle(files.clone(), &FileSystem).unwrap();
    let module = build(&bundle, &set).unwrap();
    let read = contents(&module).unwrap();
    let read_bundle = read.bundle.unwrap();
    assert_eq!(read_bundle.files, files);
    assert!(read.metadata.source_hash.starts_with("sha256:"));
    assert_eq!(read.metadata.policies[0].name, "limit");
}
