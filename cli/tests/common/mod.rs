//! Helpers shared by the integration tests of the `assay` binary: every run
//! goes through `run_assay`, which also checks that the process neither
//! hangs, nor dies from a signal, nor panics.
//!
//! Fixtures live in `cli/tests/fixtures/`; paths are given relative to the
//! workspace root, which is the working directory of every run, so reported
//! locations read `examples/k8s/…:line:col` as users see them.
//!
//! Each file in `cli/tests/` is its own test crate that uses only some of
//! these helpers; the rest would be dead code there.

#![allow(dead_code)]

use serde_json::Value;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_assay");
/// Fixtures, relative to the workspace root.
pub const FIX: &str = "cli/tests/fixtures";
/// Generous: the slowest input here (an alias bomb) takes well under a second.
const TIMEOUT: Duration = Duration::from_secs(60);

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn stdout_lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }

    pub fn stderr_lines(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect()
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }

    /// The summary line of the human report (its last line).
    pub fn summary_line(&self) -> &str {
        self.stdout.lines().last().unwrap_or("")
    }

    pub fn assert_code(&self, code: i32) {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
    }

    pub fn assert_stdout_has_line_starting(&self, prefix: &str) {
        assert!(
            self.stdout.lines().any(|l| l.starts_with(prefix)),
            "no stdout line starts with {prefix:?}\n--- stdout\n{}",
            self.stdout
        );
    }
}

/// Runs `assay` from the workspace root, optionally feeding `stdin`.
pub fn run_assay(args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(workspace_root())
        .env_remove("NO_COLOR")
        .env("RUST_BACKTRACE", "1")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn assay");
    let writer = stdin.map(|bytes| {
        let bytes = bytes.to_vec();
        let mut pipe = child.stdin.take().expect("stdin pipe");
        // The binary may stop reading early; a broken pipe is not our failure.
        std::thread::spawn(move || {
            let _ = pipe.write_all(&bytes);
        })
    });
    let mut out_pipe = child.stdout.take().expect("stdout pipe");
    let mut err_pipe = child.stderr.take().expect("stderr pipe");
    let out_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out_pipe.read_to_end(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err_pipe.read_to_end(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for assay") {
            break status;
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("assay {args:?} did not finish within {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    if let Some(w) = writer {
        let _ = w.join();
    }
    let run = Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out_reader.join().unwrap_or_default()).into_owned(),
        stderr: String::from_utf8_lossy(&err_reader.join().unwrap_or_default()).into_owned(),
    };
    assert!(
        status.code().is_some(),
        "assay {args:?} was killed by a signal (stack overflow?)\n--- stderr\n{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("panicked") && !run.stderr.contains("RUST_BACKTRACE"),
        "assay {args:?} panicked:\n{}",
        run.stderr
    );
    assert!(
        !run.stdout.contains('\x1b') && !run.stderr.contains('\x1b'),
        "colour escapes when stdout is not a TTY:\n{}",
        run.stdout
    );
    run
}

pub fn assay(args: &[&str]) -> Run {
    run_assay(args, None)
}

pub fn assay_stdin(args: &[&str], input: impl AsRef<[u8]>) -> Run {
    run_assay(args, Some(input.as_ref()))
}

pub fn fixture(rel: &str) -> String {
    format!("{FIX}/{rel}")
}

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!(
            "assay-cli-test-{tag}-{}-{}-{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    /// Writes `name` in the directory and returns its path as a string.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> String {
        let path = self.0.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent");
        }
        std::fs::write(&path, contents).expect("write temp file");
        path.to_str().expect("utf-8 temp path").to_owned()
    }

    pub fn path(&self) -> &str {
        self.0.to_str().expect("utf-8 temp path")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every finding of a JSON report, each with its result's file, document and policy.
pub fn json_findings(report: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    for r in report["results"].as_array().expect("results array") {
        for f in r["findings"].as_array().expect("findings array") {
            let mut f = f.clone();
            f["_file"] = r["file"].clone();
            f["_document"] = r["document"].clone();
            f["_policy"] = r["policy"].clone();
            out.push(f);
        }
    }
    out
}

/// `file:line:col: message` → (file, line, col, message).
pub fn split_location(line: &str) -> Option<(&str, u32, u32, &str)> {
    let mut parts = line.splitn(4, ':');
    let file = parts.next()?;
    let l = parts.next()?.parse().ok()?;
    let c = parts.next()?.parse().ok()?;
    let rest = parts.next()?.trim_start();
    Some((file, l, c, rest))
}

pub const BAD_PATCH: &str = "examples/k8s/ml-pipeline-config-bad-patch.yaml";

pub const ROLLOUT_EXAMPLE: &str = "examples/rollout/fraud-v2-production.json";

pub const ADMISSION_ALLOWED: &str = "examples/admission/configmap-allowed.json";
pub const ADMISSION_DENIED: &str = "examples/admission/configmap-denied.json";
