//! The `Evaluator` answers alike with YAML policies and with the module
//! built from them: every question the CLI and Python ask.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use assay_core::check::patch::PatchType;
use assay_core::check::review::Admission;
use assay_core::check::FileOutcome;
use assay_core::Report;
use assay_host::{build, bundle, Evaluator, EvaluatorError, FileSystem, Host, Limits, LoadError};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(path: &str) -> Vec<u8> {
    std::fs::read(root().join(path)).expect("the example is there")
}

/// The built-in library, natively and as a module.
fn both() -> [Evaluator; 2] {
    let native = Evaluator::Native(assay_core::library::defaults().expect("library loads"));
    let (bundle, set) = bundle(assay_core::library::files(), &FileSystem).expect("library loads");
    let bytes = build(&bundle, &set).expect("library links");
    let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("modules");
    let host = Host::new(Some(cache), Limits::default()).expect("wasmtime starts");
    let module = Evaluator::Module {
        path: "library.wasm".to_owned(),
        module: Box::new(host.load(&bytes).expect("the module loads")),
        limits: assay_core::Limits::DEFAULT,
    };
    [native, module]
}

fn report(o: FileOutcome) -> String {
    Report::new(o.documents, o.checked, o.results).to_json()
}

/// The answers of both evaluators to `ask`, asserted equal.
fn same<T: PartialEq + std::fmt::Debug>(evaluators: &[Evaluator], ask: impl Fn(&Evaluator) -> T) {
    let native = ask(&evaluators[0]);
    let module = ask(&evaluators[1]);
    assert_eq!(native, module);
}

#[test]
fn a_module_answers_every_question_as_the_yaml_policies_do() {
    let evaluators = both();
    assert!(!evaluators[0].is_module() && evaluators[1].is_module());
    same(&evaluators, Evaluator::describe);

    // Checks of bytes, text and parsed documents, with and without `old`.
    let bad = "examples/k8s/ml-pipeline-config-bad-patch.yaml";
    let bytes = read(bad);
    let text = String::from_utf8(bytes.clone()).unwrap();
    let docs: Vec<Value> = assay_core::parse::parse_stream(&text)
        .into_iter()
        .map(|d| d.unwrap().value)
        .collect();
    for env in ["", "production"] {
        same(&evaluators, |e| {
            report(e.check(Some(bad), &bytes, env, &[]))
        });
        same(&evaluators, |e| {
            report(e.check_text(Some(bad), &text, env, &[]))
        });
        same(&evaluators, |e| {
            report(e.check_values(None, docs.clone(), env, &docs))
        });
    }

    // A patch, as `check --base --patch`.
    let base = String::from_utf8(read("examples/k8s/ml-pipeline-config.yaml")).unwrap();
    let patch = "data:\n  LOG_LEVEL: TRACE\n";
    for kind in PatchType::ALL {
        same(&evaluators, |e| {
            report(e.check_patch(("base.yaml", &base), ("patch.yaml", patch), kind, ""))
        });
    }

    // An AdmissionReview, as the CLI reviews it and as Python does.
    let review = String::from_utf8(read("examples/admission/configmap-denied.json")).unwrap();
    let doc = assay_core::parse::parse_stream(&review)
        .into_iter()
        .next()
        .unwrap()
        .unwrap();
    let admission = Admission::read(doc).unwrap();
    same(&evaluators, |e| {
        report(e.review(&admission, &review, Some("r.json"), "production"))
    });
    same(&evaluators, |e| {
        e.review_response(Value::from(review.as_str()), None, "production")
            .unwrap()
    });
    same(&evaluators, |e| {
        match e.review_response(Value::from("kind: [\n"), Some("r.yaml"), "") {
            Err(EvaluatorError::Input(error)) => (error.file, error.line.is_some()),
            other => panic!("{other:?}"),
        }
    });

    // Decisions, and the two ways they fail.
    let input: Value =
        serde_json::from_slice(&read("examples/rollout/fraud-v2-production.json")).unwrap();
    for env in [None, Some("production")] {
        same(&evaluators, |e| {
            e.decide(input.clone(), env, Some("fraud-v2-canary"))
                .map_err(|e| e.to_string())
        });
    }
    same(&evaluators, |e| match e.decide(input.clone(), None, None) {
        Err(EvaluatorError::NoRollout { message, rollouts }) => (message, rollouts),
        other => panic!("{other:?}"),
    });
    same(&evaluators, |e| {
        match e.decide(Value::from("{\"state\": 1}"), None, Some("fraud-v2-canary")) {
            Err(EvaluatorError::Input(error)) => (error.message, error.hint),
            other => panic!("{other:?}"),
        }
    });

    // The call API, as JSON text.
    same(&evaluators, |e| e.call(br#"{"call": "describe"}"#).unwrap());
}

#[test]
fn limits_given_to_either_evaluator_are_checked_within_alike() {
    let limits = assay_core::Limits {
        documents: 1,
        depth: 3,
        cel_cost: 1,
        ..assay_core::Limits::DEFAULT
    };
    let evaluators = both().map(|e| e.with_limits(limits));
    assert_eq!(evaluators[1].limits(), &limits);
    let rules = |o: FileOutcome| -> Vec<(usize, String)> {
        let found = o
            .results
            .iter()
            .flat_map(|r| r.findings.iter().map(move |f| (r.document, f.rule.clone())));
        found.collect()
    };
    // Past one document: one `limit` finding on the second, none after.
    let stream = "a: 1\n---\nb: 2\n---\nc: 3\n";
    for e in &evaluators {
        assert_eq!(
            rules(e.check(Some("s.yaml"), stream.as_bytes(), "", &[])),
            [(1, "limit".to_owned())]
        );
    }
    same(&evaluators, |e| {
        report(e.check(Some("s.yaml"), stream.as_bytes(), "", &[]))
    });
    let values = vec![serde_json::json!({"a": 1}), serde_json::json!({"b": 2})];
    same(&evaluators, |e| {
        report(e.check_values(None, values.clone(), "", &[]))
    });
    // Too deep for `depth: 3`.
    same(&evaluators, |e| {
        report(e.check_text(Some("d.yaml"), "a: {b: {c: {d: 1}}}\n", "", &[]))
    });
    // The built-in library's rules within a cost of 1.
    let config = String::from_utf8(read("examples/k8s/ml-pipeline-config-bad-patch.yaml")).unwrap();
    let first = config.split("\n---").next().unwrap().to_owned();
    same(&evaluators, |e| {
        report(e.check_text(Some("c.yaml"), &first, "production", &[]))
    });
    let o = evaluators[1].check_text(Some("c.yaml"), &first, "production", &[]);
    let messages: Vec<&str> = o
        .results
        .iter()
        .flat_map(|r| &r.findings)
        .map(|f| f.message.as_str())
        .collect();
    assert!(
        messages.iter().any(|m| m.contains("limit `cel-cost`")),
        "{messages:?}"
    );
}

#[test]
fn loading_paths_refuses_what_does_not_load() {
    let missing = root().join("no/such/policy.yaml");
    assert!(matches!(
        assay_host::load(&[missing]),
        Err(LoadError::UnreadablePath { .. })
    ));
    let not_a_module = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fake.wasm");
    std::fs::write(&not_a_module, "not a module").unwrap();
    let e = assay_host::load(&[not_a_module]).err().unwrap();
    assert!(
        matches!(&e, LoadError::Module { .. }) && e.to_string().contains("not a policy module"),
        "{e}"
    );
    let no_policies = root().join("examples/k8s/ml-pipeline-config.yaml");
    let e = assay_host::load(&[no_policies]).err().unwrap();
    assert!(
        e.to_string()
            .ends_with("ml-pipeline-config.yaml: no policies found (hint: a policy has `apiVersion: assay.dev/v1`)"),
        "{e}"
    );
    let (file, message, hint) = e.located().unwrap();
    assert!(file.ends_with("ml-pipeline-config.yaml"));
    assert_eq!(
        (message.as_str(), hint.is_some()),
        ("no policies found", true)
    );
}
