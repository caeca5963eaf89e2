//! `assay check --list-rules`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::assay;

#[test]
fn lists_every_rule_of_the_built_in_library() {
    let run = assay(&["check", "--list-rules"]);
    run.assert_code(0);
    let out = &run.stdout;
    assert!(
        out.contains(
            "traffic/virtualservice-weights (error)\n    Istio VirtualService routes with two"
        ),
        "{out}"
    );
    assert!(
        out.contains("    docs: policies/traffic/README.md#virtualservice-weights\n"),
        "{out}"
    );
    assert!(
        out.contains("upgrade-guard/readiness-probe (warning)"),
        "{out}"
    );
    assert!(
        out.contains("secret-hygiene/secret-in-configmap (error)"),
        "{out}"
    );
    assert!(out.contains("    docs: docs/secrets.md#rules\n"), "{out}");
    assert!(out.contains("ml-pipeline-config/schema (error)"), "{out}");
    assert!(out.ends_with(" rule(s)\n"), "{out}");
}

#[test]
fn json_lists_ids_severities_and_docs() {
    let run = assay(&["check", "--list-rules", "-o", "json"]);
    run.assert_code(0);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_default();
    let rules = v["rules"].as_array().cloned().unwrap_or_default();
    let by_id = |id: &str| rules.iter().find(|r| r["id"] == id).cloned();
    let weights = by_id("traffic/rollout-step-weights-increase").unwrap_or_default();
    assert_eq!(weights["policy"], "traffic");
    assert_eq!(weights["rule"], "rollout-step-weights-increase");
    assert_eq!(weights["severity"], "warning");
    assert_eq!(weights["file"], "policies/traffic/traffic.yaml");
    assert_eq!(
        weights["docs"],
        "policies/traffic/README.md#rollout-step-weights-increase"
    );
    // Every listed rule of a pack has a description and a docs link.
    for r in rules.iter().filter(|r| {
        r["file"]
            .as_str()
            .is_some_and(|f| f.matches('/').count() == 2)
    }) {
        assert!(r["description"].is_string(), "{r}");
        assert!(r["docs"].is_string(), "{r}");
    }
    let ids: std::collections::BTreeSet<&str> =
        rules.iter().filter_map(|r| r["id"].as_str()).collect();
    assert_eq!(ids.len(), rules.len(), "ids are unique");
}

#[test]
fn a_policy_of_ones_own_points_at_its_file() {
    let policy = "policies/ml-pipeline-config.yaml";
    let run = assay(&["check", "-p", policy, "--list-rules", "-o", "json"]);
    run.assert_code(0);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_default();
    let first = &v["rules"][0];
    assert!(first["docs"].is_null(), "{v}");
    assert!(
        first["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("ml-pipeline-config.yaml")),
        "{v}"
    );
    assert!(!run.stdout.contains("secret-hygiene"), "{v}");
}

#[test]
fn needs_no_inputs_and_refuses_them_and_other_formats() {
    assay(&["check", "--list-rules", "-o", "sarif"]).assert_code(2);
    assay(&["check", "--list-rules", "examples/k8s/"]).assert_code(2);
}
