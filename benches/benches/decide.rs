//! Cost of one rollout decision: 6 checks, one of them a Mann-Whitney U test
//! on 2 × 1,000 samples (target ≤ 200 µs).

use assay_benches::{rollout_input, rollout_policy};
use assay_core::rollout::stats::{mann_whitney_u, Alternative};
use assay_core::rollout::{Action, DecisionInput};
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

fn benches(c: &mut Criterion) {
    let policy = match rollout_policy() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("benchmark policy does not load: {e}");
            return;
        }
    };
    let text = rollout_input(1000);
    let input = match DecisionInput::from_json(&text) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("benchmark input does not parse: {e}");
            return;
        }
    };
    // The input is healthy: every check runs to a pass and the canary advances.
    let decision = policy.decide(&input, None);
    assert!(
        matches!(&decision, Ok(d) if d.decision == Action::Advance && d.checks.len() == 6
            && d.checks.iter().any(|c| c.p_value.is_some())),
        "{decision:?}"
    );

    c.bench_function("decide_parsed_6_checks_mwu_2x1000", |b| {
        b.iter(|| policy.decide(black_box(&input), None))
    });
    c.bench_function("decide_from_json_6_checks_mwu_2x1000", |b| {
        b.iter(|| DecisionInput::from_json(black_box(&text)).and_then(|i| policy.decide(&i, None)))
    });
    let x: Vec<f64> = input.candidate["samples"]["latency_ms"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_f64()).collect())
        .unwrap_or_default();
    let y: Vec<f64> = input.baseline["samples"]["latency_ms"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_f64()).collect())
        .unwrap_or_default();
    c.bench_function("mann_whitney_u_2x1000", |b| {
        b.iter(|| mann_whitney_u(black_box(&x), black_box(&y), Alternative::Greater))
    });
}

criterion_group!(group, benches);
criterion_main!(group);
