//! Integration tests of the `assay` binary: real inputs, real outputs, real
//! exit codes (docs/report.md, docs/cli.md). Helpers and fixtures: `common/mod.rs`.
//!
//! `assay build` and `assay inspect`, and compiled modules run by `check`,
//! `decide`, `review` and Node: they answer exactly as the YAML policies do.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{
    assay, split_location, workspace_root, TempDir, ADMISSION_ALLOWED, ADMISSION_DENIED, FIX,
    ROLLOUT_EXAMPLE,
};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// The built-in library built into a module in `tmp`.
fn library_module(tmp: &TempDir) -> String {
    let out = format!("{}/library.wasm", tmp.path());
    let run = assay(&["build", "policies/", "-o", &out]);
    run.assert_code(0);
    out
}

#[test]
fn build_writes_a_deterministic_module_that_inspect_describes() {
    let tmp = TempDir::new("build");
    let first = library_module(&tmp);
    let second = format!("{}/again.wasm", tmp.path());
    assay(&["build", "policies/", "-o", &second]).assert_code(0);
    let (a, b) = (
        std::fs::read(&first).unwrap(),
        std::fs::read(&second).unwrap(),
    );
    assert_eq!(a, b, "same policies, same bytes");
    // A guard against size regressions, not the < 3 MB aim (met gzipped):
    // the guest's inlining threshold (host/build.rs) made it 11.3 MiB
    // raw for the last 7% of speed.
    assert!(a.len() < 12 << 20, "module is {} bytes", a.len());
    let run = assay(&["inspect", &first, "-o", "json"]);
    run.assert_code(0);
    let meta = run.json();
    assert_eq!(meta["abiVersion"], 1);
    assert!(meta["sourceHash"].as_str().unwrap().starts_with("sha256:"));
    let names: Vec<&str> = meta["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"ml-pipeline-config") && names.contains(&"fraud-v2-canary"),
        "{names:?}"
    );
    let canary = meta["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "fraud-v2-canary")
        .unwrap();
    assert_eq!(
        canary["environments"],
        serde_json::json!(["production", "staging"])
    );
    let human = assay(&["inspect", &first]);
    human.assert_code(0);
    assert!(
        human
            .stdout
            .contains("fraud-v2-canary (RolloutPolicy, from policies/fraud-v2-canary.yaml; environments: production, staging)"),
        "{}",
        human.stdout
    );
    let run = assay(&["inspect", "README.md"]);
    run.assert_code(2);
}

#[test]
fn build_reports_policy_errors_with_locations() {
    let tmp = TempDir::new("build-bad");
    let out = format!("{}/bad.wasm", tmp.path());
    let run = assay(&["build", &format!("{FIX}/bad-policy-one"), "-o", &out]);
    run.assert_code(2);
    assert!(
        split_location(run.stderr_lines()[0]).is_some(),
        "{}",
        run.stderr
    );
    assert!(!Path::new(&out).exists());
}

#[test]
fn build_and_test_say_a_module_is_not_policy_yaml() {
    let tmp = TempDir::new("module-as-yaml");
    let module = library_module(&tmp);
    let out = format!("{}/again.wasm", tmp.path());
    for run in [
        assay(&["build", &module, "-o", &out]),
        assay(&["test", &module]),
    ] {
        run.assert_code(2);
        assert!(run.stderr.contains("a compiled module"), "{}", run.stderr);
        assert!(!run.stderr.contains("UTF-8"), "{}", run.stderr);
    }
}

#[test]
fn a_module_checks_exactly_as_the_yaml_policies_do() {
    let tmp = TempDir::new("module-check");
    let module = library_module(&tmp);
    let upgrade = format!("{FIX}/upgrade");
    let runs: Vec<Vec<String>> = vec![
        vec!["examples/k8s/".into()],
        vec!["--env".into(), "production".into(), "examples/k8s/".into()],
        vec![
            "--old".into(),
            format!("{upgrade}/old.yaml"),
            format!("{upgrade}/new-env-removed.yaml"),
        ],
        vec![
            "--base".into(),
            "examples/k8s/ml-pipeline-config.yaml".into(),
            "--patch".into(),
            format!("{FIX}/ml-pipeline-interval-10.yaml"),
        ],
        vec![format!("{FIX}/dotenv")],
    ];
    for args in runs {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let native = assay(&[&["check", "-o", "json"][..], &args].concat());
        let through_module = assay(&[&["check", "-p", &module, "-o", "json"][..], &args].concat());
        assert_eq!(native.code, through_module.code, "{args:?}");
        assert_eq!(native.stdout, through_module.stdout, "{args:?}");
    }
}

#[test]
fn a_module_decides_exactly_as_the_yaml_policies_do() {
    let tmp = TempDir::new("module-decide");
    let module = library_module(&tmp);
    for extra in [&[][..], &["--env", "staging"][..]] {
        let base = ["decide", "--policy-name", "fraud-v2-canary", "-o", "json"];
        let native = assay(&[&base[..], extra, &[ROLLOUT_EXAMPLE]].concat());
        let through_module =
            assay(&[&base[..], &["-p", &module], extra, &[ROLLOUT_EXAMPLE]].concat());
        assert_eq!(native.code, through_module.code);
        assert_eq!(native.stdout, through_module.stdout);
        // An input error (weight 10 is no staging step) reads the same too.
        assert_eq!(native.stderr, through_module.stderr);
    }
}

#[test]
fn decide_with_a_module_names_the_missing_choice_as_yaml_policies_do() {
    // The module's answer used to be reported as a problem of the input file.
    let tmp = TempDir::new("decide-module");
    let module = library_module(&tmp);
    for args in [&[][..], &["--policy-name", "nope"][..]] {
        let yaml = assay(&[&["decide"][..], args, &[ROLLOUT_EXAMPLE]].concat());
        let built = assay(&[&["decide", "-p", &module][..], args, &[ROLLOUT_EXAMPLE]].concat());
        yaml.assert_code(2);
        built.assert_code(2);
        assert_eq!(built.stderr, yaml.stderr);
        assert!(
            !built.stderr.starts_with(ROLLOUT_EXAMPLE),
            "{}",
            built.stderr
        );
    }
}

#[test]
fn a_module_reviews_exactly_as_the_yaml_policies_do() {
    let tmp = TempDir::new("module-review");
    let module = library_module(&tmp);
    for input in [ADMISSION_ALLOWED, ADMISSION_DENIED] {
        let native = assay(&["review", "--env", "production", input]);
        let through_module = assay(&["review", "-p", &module, "--env", "production", input]);
        assert_eq!(native.code, through_module.code, "{input}");
        assert_eq!(native.stdout, through_module.stdout, "{input}");
    }
}

#[test]
fn node_runs_a_module_with_plain_webassembly_and_gets_the_cli_report() {
    let tmp = TempDir::new("module-node");
    let module = library_module(&tmp);
    let input = "examples/k8s/ml-pipeline-config-bad-patch.yaml";
    let node = Command::new("node")
        .current_dir(workspace_root())
        .args([
            "examples/module/run-module.mjs",
            &module,
            input,
            "production",
        ])
        .output()
        .expect("node runs (it is part of the test setup)");
    assert!(
        node.status.success(),
        "{}",
        String::from_utf8_lossy(&node.stderr)
    );
    let answer: Value = serde_json::from_slice(&node.stdout).unwrap();
    let cli = assay(&["check", "--env", "production", "-o", "json", input]);
    cli.assert_code(1);
    assert_eq!(answer["report"], cli.json());
}

#[test]
fn a_module_is_refused_when_it_is_not_one() {
    let tmp = TempDir::new("module-bad");
    let fake = tmp.write("fake.wasm", "not a module");
    let run = assay(&["check", "-p", &fake, "examples/k8s/"]);
    run.assert_code(2);
    assert!(run.stderr.contains("not a policy module"), "{}", run.stderr);
}

#[test]
fn a_policy_given_both_as_yaml_and_in_a_module_is_refused() {
    let tmp = TempDir::new("dup");
    let module = library_module(&tmp);
    let run = assay(&[
        "check",
        "-p",
        &module,
        "-p",
        "policies/app-config.yaml",
        "examples/k8s/",
    ]);
    run.assert_code(2);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(
        run.stderr
            .contains("policy `app-config` is also loaded from"),
        "{}",
        run.stderr
    );
}
