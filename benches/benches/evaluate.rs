//! Per-document cost of `check`: YAML parsing with positions, then schema,
//! embedded file and CEL rules, on a 2 KB ML ConfigMap.

use assay_benches::{ml_policy, ML_CONFIGMAP};
use assay_core::check::check_text;
use assay_core::parse::parse_stream;
use assay_core::parse::Document;
use assay_core::EvalInput;
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

fn benches(c: &mut Criterion) {
    let Ok(set) = ml_policy() else {
        eprintln!("benchmark policy does not load");
        return;
    };
    let outcome = check_text(&set, None, ML_CONFIGMAP, "production", &[]);
    assert_eq!(outcome.checked, 1);
    assert!(
        outcome.results.iter().all(|r| r.findings.is_empty()),
        "fixture must pass: {:?}",
        outcome.results
    );

    c.bench_function("parse_yaml_with_positions", |b| {
        b.iter(|| parse_stream(black_box(ML_CONFIGMAP)))
    });
    c.bench_function("baseline_serde_yaml_without_positions", |b| {
        b.iter(|| serde_yaml::from_str::<serde_json::Value>(black_box(ML_CONFIGMAP)).is_ok())
    });
    c.bench_function("baseline_serde_yaml_with_embedded_file", |b| {
        b.iter(|| {
            let outer: serde_json::Value =
                serde_yaml::from_str(black_box(ML_CONFIGMAP)).unwrap_or_default();
            let inner = outer
                .pointer("/data/config.yaml")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("");
            serde_yaml::from_str::<serde_json::Value>(inner).is_ok()
        })
    });
    let doc = match parse_stream(ML_CONFIGMAP).into_iter().next() {
        Some(Ok(d)) => d,
        _ => return,
    };
    let input = EvalInput {
        env: "production",
        ..EvalInput::default()
    };
    c.bench_function("evaluate_parsed", |b| {
        b.iter(|| set.evaluate(black_box(&doc), &input))
    });
    c.bench_function("check_end_to_end", |b| {
        b.iter(|| {
            check_text(
                &set,
                Some("cm.yaml"),
                black_box(ML_CONFIGMAP),
                "production",
                &[],
            )
        })
    });
    let value = doc.value.clone();
    c.bench_function("evaluate_value_without_positions", |b| {
        b.iter(|| set.evaluate(&Document::from_value(black_box(value.clone())), &input))
    });
}

criterion_group!(group, benches);
criterion_main!(group);
