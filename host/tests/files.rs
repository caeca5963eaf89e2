//! Reading files from disk (`host/src/files.rs`): only regular files, with
//! a size bound, and schema `$ref`s kept under the policy's root
//! (docs/limits.md, "Files"). The CLI's view of the same: cli/tests/special_files.rs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use assay_core::PolicySet;
use assay_host::files::{read_bounded, read_file, read_policies, RefScope, MAX_FILE_BYTES};
use std::path::{Path, PathBuf};

struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str) -> Dir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!(
            "assay-host-files-{tag}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn a_regular_file_is_read_and_a_larger_one_refused() {
    let dir = Dir::new("regular");
    let path = dir.write("a.yaml", "a: 1\n");
    assert_eq!(read_file(&path, MAX_FILE_BYTES).unwrap(), b"a: 1\n");
    assert_eq!(read_file(&path, 5).unwrap(), b"a: 1\n");
    let e = read_file(&path, 4).unwrap_err();
    assert!(e.to_string().starts_with("larger than"), "{e}");
    // A stream that never ends stops at the bound.
    let e = read_bounded(std::io::repeat(b'a'), 1 << 20, 0).unwrap_err();
    assert!(e.to_string().contains("larger than 1 MiB"), "{e}");
}

#[test]
fn a_directory_is_not_read() {
    let dir = Dir::new("dir");
    let e = read_file(&dir.0, MAX_FILE_BYTES).unwrap_err();
    assert!(e.to_string().contains("a directory"), "{e}");
}

#[cfg(unix)]
#[test]
fn special_files_are_refused_without_blocking() {
    let dir = Dir::new("special");
    let fifo = dir.0.join("pipe.yaml");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    // On a thread, so a regression fails the test instead of hanging it.
    let (tx, rx) = std::sync::mpsc::channel();
    let path = fifo.clone();
    std::thread::spawn(move || {
        let _ = tx.send(read_file(&path, MAX_FILE_BYTES).map_err(|e| e.to_string()));
    });
    let got = rx
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("reading a FIFO blocked");
    assert_eq!(got.unwrap_err(), "not a regular file (a FIFO)");
    let zero = dir.0.join("zero.yaml");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    let e = read_file(&zero, MAX_FILE_BYTES).unwrap_err();
    assert_eq!(e.to_string(), "not a regular file (a device)");
    // A link to a regular file is followed.
    let real = dir.write("real.txt", "x: 1\n");
    let link = dir.0.join("link.yaml");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    assert_eq!(read_file(&link, MAX_FILE_BYTES).unwrap(), b"x: 1\n");
}

fn policy(target: &str) -> String {
    format!(
        "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {{name: r}}\nspec:\n  schema:\n    jsonSchema: {{$ref: \"{target}\"}}\n"
    )
}

fn load(paths: &[&Path], scope: RefScope) -> Result<PolicySet, String> {
    let paths: Vec<PathBuf> = paths.iter().map(|p| p.to_path_buf()).collect();
    let (files, schema_files) = read_policies(&paths, scope).map_err(|e| e.to_string())?;
    PolicySet::load_with(&files, &schema_files).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        lines.join("\n")
    })
}

#[test]
fn refs_stay_under_each_policys_root() {
    let dir = Dir::new("roots");
    dir.write("outside.json", "{\"type\": \"object\"}");
    dir.write("a/in.json", "{\"type\": \"object\"}");
    dir.write("a/p.yaml", &policy("in.json"));
    dir.write(
        "b/p.yaml",
        &policy("../a/in.json").replace("name: r", "name: b"),
    );
    let (a, b) = (dir.0.join("a"), dir.0.join("b"));
    load(&[&a], RefScope::Root).unwrap();
    // `b`'s policy refers into `a`: outside its own root, even when `a`
    // is loaded too.
    let e = load(&[&a, &b], RefScope::Root).err().unwrap();
    assert!(e.contains("is outside the policy root"), "{e}");
    assert!(e.contains("b/p.yaml"), "{e}");
    load(&[&a, &b], RefScope::Anywhere).unwrap();
    // A policy file given alone: its directory is the root.
    load(&[&a.join("p.yaml")], RefScope::Root).unwrap();
    dir.write(
        "a/up.yaml",
        &policy("../outside.json").replace("name: r", "name: up"),
    );
    let e = load(&[&a.join("up.yaml")], RefScope::Root).err().unwrap();
    assert!(e.contains("`../outside.json`"), "{e}");
    load(&[&a.join("up.yaml")], RefScope::Anywhere).unwrap();
}
