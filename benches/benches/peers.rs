//! assay against a Rego engine on the same checks: `regorus` (Microsoft's
//! Rego interpreter, the language of OPA and conftest) evaluating
//! `fixtures/ml-policy.rego`, the checks of `fixtures/ml-policy.yaml` written
//! as a conftest policy, on the same 2 KB ML ConfigMap. OPA and conftest
//! themselves are Go binaries, which this environment cannot install.

use assay_benches::{ml_policy, ML_CONFIGMAP};
use assay_core::check::check_text;
use assay_core::parse::parse_stream;
use assay_core::EvalInput;
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

const ML_REGO: &str = include_str!("../fixtures/ml-policy.rego");
const DENY: &str = "data.main.deny";

/// The Rego engine with the policy parsed once, as conftest keeps it.
fn rego_engine() -> Result<regorus::Engine, String> {
    let mut engine = regorus::Engine::new();
    engine
        .add_policy("ml-policy.rego".to_owned(), ML_REGO.to_owned())
        .map_err(|e| e.to_string())?;
    Ok(engine)
}

/// What the Rego policy denies in `doc` (YAML text).
fn rego_denials(engine: &mut regorus::Engine, doc: &str) -> Result<usize, String> {
    let input = regorus::Value::from_yaml_str(doc).map_err(|e| e.to_string())?;
    engine.set_input(input);
    let denied = engine
        .eval_rule(DENY.to_owned())
        .map_err(|e| e.to_string())?;
    Ok(denied.as_set().map_or(0, |s| s.len()))
}

/// Both engines pass the fixture and fail the same broken variants, so they
/// are timed on equivalent work.
fn same_verdicts(set: &assay_core::PolicySet, engine: &mut regorus::Engine) -> Result<(), String> {
    let broken = [
        ("LOG_LEVEL: \"INFO\"", "LOG_LEVEL: \"TRACE\""),
        ("API_WORKERS: \"4\"", "API_WORKERS: \"65\""),
        ("pool_size: 20", "pool_size: 500"),
        ("ranker:v12\"", "ranker:v12,absent:v1\""),
        ("workers: 4", "workers: 8"),
    ];
    let cases = std::iter::once(ML_CONFIGMAP.to_owned()).chain(
        broken
            .iter()
            .map(|(from, to)| ML_CONFIGMAP.replacen(from, to, 1)),
    );
    for (i, doc) in cases.enumerate() {
        let assay_fails = check_text(set, None, &doc, "production", &[])
            .results
            .iter()
            .any(|r| !r.findings.is_empty());
        let rego_fails = rego_denials(engine, &doc)? > 0;
        if assay_fails != rego_fails || assay_fails != (i > 0) {
            return Err(format!(
                "case {i}: assay fails {assay_fails}, Rego fails {rego_fails}"
            ));
        }
    }
    Ok(())
}

fn benches(c: &mut Criterion) {
    let (set, mut engine) = match (ml_policy(), rego_engine()) {
        (Ok(set), Ok(engine)) => (set, engine),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("a benchmark policy does not load: {e}");
            return;
        }
    };
    if let Err(e) = same_verdicts(&set, &mut engine) {
        eprintln!("the two policies disagree: {e}");
        return;
    }

    // From the text: parse the YAML, evaluate, collect the verdict.
    c.bench_function("peers/assay_check_text", |b| {
        b.iter(|| check_text(&set, None, black_box(ML_CONFIGMAP), "production", &[]))
    });
    c.bench_function("peers/regorus_yaml_and_eval", |b| {
        b.iter(|| rego_denials(&mut engine, black_box(ML_CONFIGMAP)))
    });

    // From a parsed document: evaluation alone.
    let Some(Ok(doc)) = parse_stream(ML_CONFIGMAP).into_iter().next() else {
        return;
    };
    let input = EvalInput {
        env: "production",
        ..EvalInput::default()
    };
    c.bench_function("peers/assay_evaluate_parsed", |b| {
        b.iter(|| set.evaluate(black_box(&doc), &input))
    });
    let Ok(parsed) = regorus::Value::from_yaml_str(ML_CONFIGMAP) else {
        return;
    };
    c.bench_function("peers/regorus_eval_parsed", |b| {
        b.iter(|| {
            engine.set_input(black_box(parsed.clone()));
            engine.eval_rule(DENY.to_owned())
        })
    });
}

criterion_group!(group, benches);
criterion_main!(group);
