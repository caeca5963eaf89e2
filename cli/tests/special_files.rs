//! Integration tests of the `assay` binary: what it reads from disk.
//! Only regular files are read (a FIFO, a device or a socket would hang a
//! run or fill memory), each with a size bound, and a schema's `$ref` stays
//! under the policy's root unless `--allow-ref-outside` (docs/limits.md,
//! "Files").

#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{json_findings, workspace_root, TempDir, BIN};
use serde_json::Value;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A run that must end well before this: reading a FIFO used to block forever.
const DEADLINE: Duration = Duration::from_secs(20);

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn report(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

/// Runs `assay` with a deadline and at most 4 GiB of address space, so a
/// run that reads `/dev/zero` ends in a failure rather than taking the
/// machine's memory.
fn assay(args: &[&str]) -> Run {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .current_dir(workspace_root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe, and only touches the child.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 4 << 30,
                rlim_max: 4 << 30,
            };
            libc::setrlimit(libc::RLIMIT_AS, &limit);
            Ok(())
        });
    }
    let mut child = command.spawn().expect("spawn assay");
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("assay {args:?} did not finish within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let run = Run {
        code: status.code().unwrap_or(-1),
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    };
    assert!(
        status.code().is_some(),
        "assay {args:?} was killed by a signal\n{}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(status.success());
}

fn symlink(target: &str, link: &Path) {
    std::os::unix::fs::symlink(target, link).unwrap();
}

const CONFIG_MAP: &str =
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\ndata: {LOG_LEVEL: TRACE}\n";

/// A policy whose schema is `$ref: TARGET`; it requires `data.MODE`.
fn ref_policy(target: &str) -> String {
    format!(
        "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {{name: refs}}\nspec:\n  match: {{kinds: [ConfigMap]}}\n  schema:\n    jsonSchema: {{$ref: \"{target}\"}}\n"
    )
}

const SCHEMA: &str =
    r#"{"type": "object", "required": ["data"], "properties": {"data": {"required": ["MODE"]}}}"#;

/// The `read` findings of a report, by file.
fn read_findings(report: &Value) -> Vec<(String, String)> {
    json_findings(report)
        .into_iter()
        .filter(|f| f["rule"] == "read")
        .map(|f| {
            let file = f["_file"].as_str().unwrap_or("").to_owned();
            (file, f["message"].as_str().unwrap_or("").to_owned())
        })
        .collect()
}

#[test]
fn a_fifo_in_a_checked_directory_is_a_read_finding_and_the_others_are_checked() {
    let dir = TempDir::new("fifo-dir");
    dir.write("a.yaml", CONFIG_MAP);
    dir.write("c.yaml", CONFIG_MAP);
    mkfifo(&dir.0.join("b.yaml"));
    let run = assay(&["check", "-o", "json", dir.path()]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    let report = run.report();
    assert_eq!(report["summary"]["documents"], 3, "{}", run.stdout);
    assert_eq!(report["summary"]["checked"], 2, "{}", run.stdout);
    let reads = read_findings(&report);
    assert_eq!(reads.len(), 1, "{reads:?}");
    assert!(reads[0].0.ends_with("b.yaml"), "{reads:?}");
    assert!(reads[0].1.contains("not a regular file"), "{reads:?}");
    assert!(
        run.stderr.contains("b.yaml: cannot read: "),
        "{}",
        run.stderr
    );
}

#[test]
fn a_fifo_named_on_the_command_line_is_a_read_finding() {
    let dir = TempDir::new("fifo-arg");
    let good = dir.write("a.yaml", CONFIG_MAP);
    let fifo = dir.0.join("pipe.yaml");
    mkfifo(&fifo);
    let run = assay(&["check", "-o", "json", fifo.to_str().unwrap(), &good]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    let report = run.report();
    assert_eq!(report["summary"]["checked"], 1, "{}", run.stdout);
    let reads = read_findings(&report);
    assert_eq!(reads.len(), 1, "{reads:?}");
    assert!(reads[0].1.contains("a FIFO"), "{reads:?}");
}

#[test]
fn a_yaml_link_to_dev_zero_is_a_read_finding() {
    let dir = TempDir::new("dev-zero");
    dir.write("a.yaml", CONFIG_MAP);
    symlink("/dev/zero", &dir.0.join("x.yaml"));
    let run = assay(&["check", "-o", "json", dir.path()]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    let report = run.report();
    assert_eq!(report["summary"]["checked"], 1, "{}", run.stdout);
    let reads = read_findings(&report);
    assert_eq!(reads.len(), 1, "{reads:?}");
    assert!(reads[0].0.ends_with("x.yaml"), "{reads:?}");
    assert!(reads[0].1.contains("a device"), "{reads:?}");
}

#[test]
fn a_link_to_a_regular_file_is_read() {
    let dir = TempDir::new("link-ok");
    dir.write("real.txt", CONFIG_MAP);
    symlink("real.txt", &dir.0.join("x.yaml"));
    let run = assay(&["check", "-o", "json", dir.path()]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.report()["summary"]["checked"], 1, "{}", run.stdout);
}

#[test]
fn an_input_over_the_size_limit_is_a_read_finding() {
    let dir = TempDir::new("big");
    dir.write("a.yaml", CONFIG_MAP);
    let big = std::fs::File::create(dir.0.join("big.yaml")).unwrap();
    // Sparse: 64 MiB and one byte of zeros cost no disk.
    big.set_len((64 << 20) + 1).unwrap();
    let run = assay(&["check", "-o", "json", dir.path()]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    let report = run.report();
    let reads = read_findings(&report);
    assert_eq!(reads.len(), 1, "{reads:?}");
    assert!(reads[0].0.ends_with("big.yaml"), "{reads:?}");
    assert!(reads[0].1.contains("larger than 64 MiB"), "{reads:?}");
    assert_eq!(report["summary"]["checked"], 1, "{}", run.stdout);
}

#[test]
fn a_policy_path_that_is_a_fifo_is_a_policy_error() {
    let dir = TempDir::new("fifo-policy");
    let input = dir.write("in/cm.yaml", CONFIG_MAP);
    dir.write(
        "p/a.yaml",
        ref_policy("s.json").replace("$ref: \"s.json\"", "type: object"),
    );
    mkfifo(&dir.0.join("p/b.yaml"));
    let policies = format!("{}/p", dir.path());
    let run = assay(&["check", "-p", &policies, &input]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(
        run.stderr
            .contains("b.yaml: cannot read: not a regular file (a FIFO)"),
        "{}",
        run.stderr
    );
    let fifo = format!("{policies}/b.yaml");
    let run = assay(&["check", "-p", &fifo, &input]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("not a regular file"), "{}", run.stderr);
}

/// A policy directory `p/` beside `outside.json`; the input misses `MODE`.
fn outside_setup(tag: &str, target: &str) -> (TempDir, String, String) {
    let dir = TempDir::new(tag);
    dir.write("outside.json", SCHEMA);
    dir.write("p/policy.yaml", ref_policy(target));
    let input = dir.write("cm.yaml", CONFIG_MAP);
    let policies = format!("{}/p", dir.path());
    (dir, policies, input)
}

fn assert_refused_outside(run: &Run, target: &str) {
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    let line = run.stderr.lines().next().unwrap_or("");
    assert!(line.contains("p/policy.yaml:7:24: "), "{}", run.stderr);
    assert!(
        line.contains(&format!("`$ref` `{target}`")) && line.contains("outside the policy root"),
        "{}",
        run.stderr
    );
    assert!(line.contains("--allow-ref-outside"), "{}", run.stderr);
}

fn assert_schema_applied(run: &Run) {
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("MODE"), "{}", run.stdout);
}

#[test]
fn a_relative_ref_out_of_the_policy_root_is_refused_unless_allowed() {
    let (_dir, policies, input) = outside_setup("ref-up", "../outside.json");
    assert_refused_outside(
        &assay(&["check", "-p", &policies, &input]),
        "../outside.json",
    );
    let allowed = assay(&["check", "--allow-ref-outside", "-p", &policies, &input]);
    assert_schema_applied(&allowed);
}

#[test]
fn an_absolute_ref_is_refused_unless_allowed() {
    let dir = TempDir::new("ref-abs-target");
    let target = dir.write("schema.json", SCHEMA);
    let (_dir, policies, input) = outside_setup("ref-abs", &target);
    assert_refused_outside(&assay(&["check", "-p", &policies, &input]), &target);
    assert_schema_applied(&assay(&[
        "check",
        "-p",
        &policies,
        "--allow-ref-outside",
        &input,
    ]));
}

#[test]
fn a_policy_file_given_alone_has_its_directory_as_root() {
    let (_dir, policies, input) = outside_setup("ref-file", "../outside.json");
    let file = format!("{policies}/policy.yaml");
    assert_refused_outside(&assay(&["check", "-p", &file, &input]), "../outside.json");
    // Inside the root, as before.
    let (dir, policies, input) = outside_setup("ref-inside", "schemas/s.json");
    dir.write("p/schemas/s.json", SCHEMA);
    assert_schema_applied(&assay(&["check", "-p", &policies, &input]));
    let file = format!("{policies}/policy.yaml");
    assert_schema_applied(&assay(&["check", "-p", &file, &input]));
}

#[test]
fn a_link_in_the_policy_root_to_a_file_outside_is_refused_unless_allowed() {
    let (dir, policies, input) = outside_setup("ref-link", "schemas/s.json");
    std::fs::create_dir_all(dir.0.join("p/schemas")).unwrap();
    symlink("../../outside.json", &dir.0.join("p/schemas/s.json"));
    assert_refused_outside(
        &assay(&["check", "-p", &policies, &input]),
        "schemas/s.json",
    );
    assert_schema_applied(&assay(&[
        "check",
        "--allow-ref-outside",
        "-p",
        &policies,
        &input,
    ]));
    // A link to a directory outside is followed by a path, and refused too.
    let (dir, policies, input) = outside_setup("ref-dir-link", "up/outside.json");
    symlink("..", &dir.0.join("p/up"));
    assert_refused_outside(
        &assay(&["check", "-p", &policies, &input]),
        "up/outside.json",
    );
}

#[test]
fn a_ref_to_dev_zero_is_refused_with_or_without_the_flag() {
    let (_dir, policies, input) = outside_setup("ref-zero", "/dev/zero");
    assert_refused_outside(&assay(&["check", "-p", &policies, &input]), "/dev/zero");
    let run = assay(&["check", "--allow-ref-outside", "-p", &policies, &input]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("not a regular file (a device)"),
        "{}",
        run.stderr
    );
    // A FIFO inside the root is no better.
    let (dir, policies, input) = outside_setup("ref-fifo", "pipe.json");
    mkfifo(&dir.0.join("p/pipe.json"));
    let run = assay(&["check", "-p", &policies, &input]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("not a regular file (a FIFO)"),
        "{}",
        run.stderr
    );
}

/// Lines of /etc/passwd, which no error may show.
fn passwd_content() -> Vec<String> {
    let text = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    text.lines()
        .filter(|l| l.len() > 8)
        .map(|l| l.split(':').take(3).collect::<Vec<_>>().join(":"))
        .collect()
}

#[test]
fn a_ref_to_etc_passwd_never_shows_its_content() {
    let (_dir, policies, input) = outside_setup("ref-passwd", "/etc/passwd");
    let refused = assay(&["check", "-p", &policies, &input]);
    assert_refused_outside(&refused, "/etc/passwd");
    let allowed = assay(&["check", "--allow-ref-outside", "-p", &policies, &input]);
    assert_eq!(allowed.code, 2, "{}{}", allowed.stdout, allowed.stderr);
    for run in [&refused, &allowed] {
        let all = format!("{}{}", run.stdout, run.stderr);
        for line in passwd_content() {
            assert!(!all.contains(&line), "shows `{line}`:\n{all}");
        }
    }
    assert!(
        allowed
            .stderr
            .contains("/etc/passwd:1:1: invalid schema file"),
        "{}",
        allowed.stderr
    );
}

#[test]
fn a_schema_file_that_is_not_valid_json_schema_is_located_without_its_values() {
    let (dir, policies, input) = outside_setup("ref-invalid", "s.yaml");
    dir.write(
        "p/s.yaml",
        "type: object\nproperties:\n  token:\n    type: hunter2-secret-value\n",
    );
    let run = assay(&["check", "-p", &policies, &input]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(!run.stderr.contains("hunter2"), "{}", run.stderr);
    assert!(
        run.stderr.contains("p/s.yaml:4:11: invalid schema file"),
        "{}",
        run.stderr
    );
    // A syntax error: its place and the parser's message, not the line.
    dir.write("p/s.yaml", "type: object\nsecret: [hunter2-secret-value\n");
    let run = assay(&["check", "-p", &policies, &input]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(!run.stderr.contains("hunter2"), "{}", run.stderr);
    assert!(
        run.stderr.contains("p/s.yaml:3:1: invalid schema file"),
        "{}",
        run.stderr
    );
    // A fragment that points at a value that is no schema.
    dir.write("p/s.yaml", "secret: hunter2-secret-value\n");
    dir.write("p/policy.yaml", ref_policy("s.yaml#/secret"));
    let run = assay(&["check", "-p", &policies, &input]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(!run.stderr.contains("hunter2"), "{}", run.stderr);
}

#[test]
fn the_other_commands_that_load_policies_take_the_flag() {
    let (dir, policies, _input) = outside_setup("ref-commands", "../outside.json");
    let out = format!("{}/m.wasm", dir.path());
    let refused = assay(&["build", &policies, "-o", &out]);
    assert_refused_outside(&refused, "../outside.json");
    let review = "{\"apiVersion\": \"admission.k8s.io/v1\", \"kind\": \"AdmissionReview\", \"request\": {\"uid\": \"1\", \"operation\": \"CREATE\", \"object\": {\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"a\"}, \"data\": {}}}}";
    let review = dir.write("review.json", review);
    assert_refused_outside(
        &assay(&["review", "-p", &policies, &review]),
        "../outside.json",
    );
    let allowed = assay(&["review", "--allow-ref-outside", "-p", &policies, &review]);
    assert_eq!(allowed.code, 1, "{}{}", allowed.stdout, allowed.stderr);
    assert_refused_outside(&assay(&["test", &policies]), "../outside.json");
    let allowed = assay(&["test", "--allow-ref-outside", &policies]);
    assert_eq!(allowed.code, 0, "{}{}", allowed.stdout, allowed.stderr);
    let rollout = dir.write("state.json", "{}");
    assert_refused_outside(
        &assay(&["decide", "-p", &policies, &rollout]),
        "../outside.json",
    );
    let built = assay(&["build", "--allow-ref-outside", &policies, "-o", &out]);
    assert_eq!(built.code, 0, "{}{}", built.stdout, built.stderr);
}
