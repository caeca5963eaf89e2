//! Integration tests of the `assay` binary: real inputs, real outputs, real
//! exit codes (docs/report.md, docs/cli.md). Helpers and fixtures: `common/mod.rs`.
//!
//! `assay check`: the built-in library, stdin, `--env`, `--old`, and the
//! other kinds of input (dotenv files, patches).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{
    assay, assay_stdin, fixture, run_assay, split_location, workspace_root, Run, TempDir, BAD_PATCH,
};

// ---------------------------------------------------------------------------
// assay check with the built-in library
// ---------------------------------------------------------------------------

#[test]
fn check_examples_reports_known_findings_with_locations() {
    let run = assay(&["check", "examples/k8s/"]);
    run.assert_code(1);
    for prefix in [
        "examples/k8s/ml-pipeline-config-bad-patch.yaml:11:14: error[ml-pipeline-config/schema] \"TRACE\" is not one of [\"DEBUG\",\"INFO\",\"WARNING\",\"ERROR\"] (/data/LOG_LEVEL)",
        "examples/k8s/ml-pipeline-config-bad-patch.yaml:10:26: error[ml-pipeline-config/schema] \"ten\" is not of type \"integer\" (/data/MODEL_UPDATE_INTERVAL)",
        "examples/k8s/ml-pipeline-config-bad-patch.yaml:9:19: error[ml-pipeline-config/preload-models-format] ",
        "examples/k8s/app-config.yaml:15:18: error[app-config/embedded] 200 is greater than the maximum of 100 (/data/config.yaml/database/pool_size)",
        "examples/k8s/app-config.yaml:15:18: error[app-config/pool-size-for-environment] database.pool_size 200 exceeds 100",
        "examples/k8s/model-engine.yaml:20:9: warning[upgrade-guard/readiness-probe] container(s) model-engine declare ports but have no readinessProbe",
        "examples/k8s/ml-inference-secrets.yaml:14:13: error[secret-hygiene/secret-in-configmap] Hugging Face token (hf_A*** (37 chars, sha256:",
        "examples/k8s/ml-inference-secrets.yaml:20:12: error[secret-hygiene/secret-in-configmap] password in a connection string or URL (*** (18 chars, sha256:",
        "examples/k8s/ml-inference-secrets.yaml:45:31: warning[secret-hygiene/secret-env-var] env var `OPENAI_API_KEY`",
        "examples/k8s/ml-inference-secrets.yaml:56:13: error[secret-hygiene/secret-file-mode] secret volume `credentials` has no defaultMode",
    ] {
        run.assert_stdout_has_line_starting(prefix);
    }
    // The valid manifests produce no findings.
    for clean in [
        "examples/k8s/ml-pipeline-config.yaml:",
        "examples/k8s/fraud-detection.yaml:",
    ] {
        assert!(
            !run.stdout.contains(clean),
            "unexpected finding in {clean}\n{}",
            run.stdout
        );
    }
    assert!(
        run.summary_line()
            .starts_with("fail: 8 document(s), 8 checked, 8 error(s), 2 warning(s)"),
        "{}",
        run.stdout
    );
    assert!(run.stderr.is_empty(), "stderr: {}", run.stderr);
}

#[test]
fn passing_input_exits_0() {
    let run = assay(&["check", &fixture("ml-pipeline-good.yaml")]);
    run.assert_code(0);
    assert_eq!(
        run.stdout,
        "pass: 1 document(s), 1 checked, 0 error(s), 0 warning(s)\n"
    );
    let run = assay(&[
        "check",
        "--env",
        "production",
        &fixture("ml-pipeline-good.yaml"),
    ]);
    run.assert_code(0);
    // `--fail-on warning` does not change a pass.
    let run = assay(&[
        "check",
        "--fail-on",
        "warning",
        &fixture("ml-pipeline-good.yaml"),
    ]);
    run.assert_code(0);
}

#[test]
fn warnings_exit_0_unless_fail_on_warning() {
    let file = fixture("ml-pipeline-debug.yaml");
    let expected = format!("{file}:5:14: warning[ml-pipeline-config/no-debug-in-production] LOG_LEVEL DEBUG in production");

    let run = assay(&["check", "--env", "production", &file]);
    run.assert_code(0);
    run.assert_stdout_has_line_starting(&expected);
    assert!(
        run.summary_line()
            .starts_with("warn: 1 document(s), 1 checked, 0 error(s), 1 warning(s)"),
        "{}",
        run.stdout
    );

    let run = assay(&[
        "check",
        "--env",
        "production",
        "--fail-on",
        "warning",
        &file,
    ]);
    run.assert_code(1);
    run.assert_stdout_has_line_starting(&expected);

    let run = assay(&["check", "--env", "production", "--fail-on", "error", &file]);
    run.assert_code(0);

    // The rule is production-only: without --env there is nothing to warn about.
    let run = assay(&["check", "--fail-on", "warning", &file]);
    run.assert_code(0);
    assert!(run.summary_line().starts_with("pass:"), "{}", run.stdout);
}

#[test]
fn stdin_is_read_with_dash() {
    let text = std::fs::read(workspace_root().join(BAD_PATCH)).unwrap();
    let run = assay_stdin(&["check", "-"], &text);
    run.assert_code(1);
    run.assert_stdout_has_line_starting(
        "<stdin>:11:14: error[ml-pipeline-config/schema] \"TRACE\" is not one of",
    );
    run.assert_stdout_has_line_starting("<stdin>:10:26: error[ml-pipeline-config/schema]");
    run.assert_stdout_has_line_starting(
        "<stdin>:9:19: error[ml-pipeline-config/preload-models-format]",
    );

    // A passing stream on stdin.
    let good = std::fs::read(workspace_root().join(fixture("ml-pipeline-good.yaml"))).unwrap();
    let run = assay_stdin(&["check", "-"], &good);
    run.assert_code(0);

    // stdin together with files: every input is counted and reported.
    let run = assay_stdin(
        &[
            "check",
            "-o",
            "json",
            &fixture("ml-pipeline-good.yaml"),
            "-",
        ],
        &text,
    );
    run.assert_code(1);
    let report = run.json();
    assert_eq!(report["summary"]["documents"], 2);
    assert_eq!(report["summary"]["checked"], 2);
    let files: Vec<&str> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["file"].as_str())
        .collect();
    assert!(files.contains(&"<stdin>"), "{files:?}");
    assert!(
        files.contains(&fixture("ml-pipeline-good.yaml").as_str()),
        "{files:?}"
    );
}

#[test]
fn stdin_with_env_and_warnings() {
    let text = std::fs::read(workspace_root().join(fixture("ml-pipeline-debug.yaml"))).unwrap();
    let run = assay_stdin(&["check", "--env", "production", "-"], &text);
    run.assert_code(0);
    run.assert_stdout_has_line_starting(
        "<stdin>:5:14: warning[ml-pipeline-config/no-debug-in-production]",
    );
    let run = assay_stdin(
        &["check", "--env", "production", "--fail-on", "warning", "-"],
        &text,
    );
    run.assert_code(1);
}

#[test]
fn check_ignores_rollout_policies() {
    // A directory with a rollout policy beside the validation ones checks as before.
    let run = assay(&["check", "-p", "policies/", "-o", "json", "examples/k8s/"]);
    let with = run.json();
    let run2 = assay(&["check", "-o", "json", "examples/k8s/"]);
    assert_eq!(run.code, run2.code);
    assert_eq!(with["summary"], run2.json()["summary"]);
    // Only a rollout policy: nothing applies, nothing fails.
    let run = assay(&[
        "check",
        "-p",
        "policies/inference-canary.yaml",
        "-o",
        "json",
        "examples/k8s/",
    ]);
    run.assert_code(0);
    assert_eq!(run.json()["summary"]["checked"], 0);
}

#[test]
fn a_dotenv_file_is_checked_as_the_configmap_it_generates() {
    // docs/cli.md lists .env inputs; seed 002 writes credentials into one.
    let dir = fixture("dotenv");
    for output in ["human", "json"] {
        let run = assay(&["check", "-o", output, &dir]);
        run.assert_code(1);
        if output == "json" {
            let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_default();
            assert_eq!(report["summary"]["documents"], 2, "{}", run.stdout);
            assert!(!run.stdout.contains("P@ssw0rd"), "{}", run.stdout);
            continue;
        }
        let env = format!("{dir}/ml-pipeline-config.env");
        run.assert_stdout_has_line_starting(&format!(
            "{env}:2:11: error[ml-pipeline-config/schema] \"TRACE\" is not one of"
        ));
        run.assert_stdout_has_line_starting(&format!(
            "{env}:4:13: error[secret-hygiene/secret-in-configmap] high-entropy value under a credential-like key (*** (21 chars"
        ));
        assert!(run.stdout.contains("in a dotenv file"), "{}", run.stdout);
        run.assert_stdout_has_line_starting(&format!(
            "{dir}/broken.env:2:1: error[-/parse] does not parse: line 2 is not KEY=VALUE"
        ));
    }
}

#[test]
fn a_patch_says_what_it_changed_once() {
    let tmp = TempDir::new("patch-changed");
    let patch = tmp.write(
        "p.json",
        r#"[{"op":"replace","path":"/data/LOG_LEVEL","value":"TRACE"}]"#,
    );
    let run = assay(&[
        "check",
        "--base",
        "examples/k8s/ml-pipeline-config.yaml",
        "--patch",
        &patch,
        "--patch-type",
        "json",
    ]);
    run.assert_code(1);
    let changed: Vec<&str> = run
        .stdout_lines()
        .into_iter()
        .filter(|l| l.contains(": changed: "))
        .collect();
    assert_eq!(
        changed,
        [format!("{patch}: changed: /data/LOG_LEVEL")],
        "{}",
        run.stdout
    );
    run.assert_stdout_has_line_starting(&format!("{patch}:1:51: error[ml-pipeline-config/schema]"));
}

// ---------------------------------------------------------------------------
// --env and --old
// ---------------------------------------------------------------------------

#[test]
fn env_selects_environment_params() {
    let file = fixture("ml-pipeline-interval-10.yaml");
    let run = assay(&["check", &file]);
    run.assert_code(0);
    assert!(
        run.summary_line()
            .starts_with("pass: 1 document(s), 1 checked"),
        "{}",
        run.stdout
    );

    let run = assay(&["check", "--env", "production", &file]);
    run.assert_code(1);
    run.assert_stdout_has_line_starting(&format!(
        "{file}:5:26: error[ml-pipeline-config/update-interval-floor] MODEL_UPDATE_INTERVAL 10s is below the 30s floor"
    ));

    // An environment no policy defines is allowed; the defaults apply.
    let run = assay(&["check", "--env", "staging", &file]);
    run.assert_code(0);
}

fn upgrade(args: &[&str]) -> Run {
    let mut all = vec!["check", "-p", "policies/upgrade/upgrade-guard.yaml"];
    all.extend_from_slice(args);
    assay(&all)
}

#[test]
fn old_version_with_env_var_removed_is_not_image_only() {
    let new = fixture("upgrade/new-env-removed.yaml");
    let run = upgrade(&["--old", &fixture("upgrade/old.yaml"), &new]);
    run.assert_code(1);
    run.assert_stdout_has_line_starting(&format!(
        "{new}:14:9: error[upgrade-guard/image-only-upgrade] this upgrade changes more than image tags"
    ));
    // Without --old there is nothing to compare with.
    let run = upgrade(&[&new]);
    run.assert_code(0);
}

#[test]
fn old_version_with_image_only_change_passes() {
    let run = upgrade(&[
        "--old",
        &fixture("upgrade/old.yaml"),
        &fixture("upgrade/new-image-only.yaml"),
    ]);
    run.assert_code(0);
    assert!(
        run.summary_line()
            .starts_with("pass: 1 document(s), 1 checked, 0 error(s), 0 warning(s)"),
        "{}",
        run.stdout
    );
}

#[test]
fn old_versions_are_paired_by_api_version_kind_namespace_and_name() {
    // Other namespace, other apiVersion: not the previous version, so no comparison.
    for new in [
        "upgrade/new-env-removed-other-namespace.yaml",
        "upgrade/new-env-removed-other-api-version.yaml",
    ] {
        let run = upgrade(&["--old", &fixture("upgrade/old.yaml"), &fixture(new)]);
        run.assert_code(0);
        assert!(
            !run.stdout.contains("image-only-upgrade"),
            "{new}: {}",
            run.stdout
        );
    }
    // A directory of old documents: only the same apiVersion/kind/namespace/name is paired
    // (a ConfigMap and a Deployment in another namespace share the name).
    let old_dir = fixture("upgrade/old-dir");
    let run = upgrade(&["--old", &old_dir, &fixture("upgrade/new-image-only.yaml")]);
    run.assert_code(0);
    assert!(run.summary_line().starts_with("pass:"), "{}", run.stdout);
    let run = upgrade(&["--old", &old_dir, &fixture("upgrade/new-env-removed.yaml")]);
    run.assert_code(1);
    assert!(run.stdout.contains("image-only-upgrade"), "{}", run.stdout);
    // stdin as the new version.
    let text =
        std::fs::read(workspace_root().join(fixture("upgrade/new-env-removed.yaml"))).unwrap();
    let run = run_assay(
        &[
            "check",
            "-p",
            "policies/upgrade/upgrade-guard.yaml",
            "--old",
            &old_dir,
            "-",
        ],
        Some(&text),
    );
    run.assert_code(1);
    run.assert_stdout_has_line_starting("<stdin>:14:9: error[upgrade-guard/image-only-upgrade]");
}

#[test]
fn old_version_that_does_not_parse_is_reported() {
    let broken = fixture("upgrade/old-broken.yaml");
    let run = upgrade(&["--old", &broken, &fixture("upgrade/new-env-removed.yaml")]);
    assert_ne!(run.code, 0, "{run:?}");
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(
        all.lines()
            .any(|l| l.starts_with(&format!("{broken}:")) && split_location(l).is_some()),
        "the broken old file is not reported with a location:\n{all}"
    );
}
