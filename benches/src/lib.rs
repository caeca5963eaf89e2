//! Fixtures shared by the benchmarks and the throughput script.

/// Benchmarks run with the allocator the `assay` binary ships.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub const ML_CONFIGMAP: &str = include_str!("../fixtures/ml-configmap.yaml");
pub const ML_POLICY: &str = include_str!("../fixtures/ml-policy.yaml");

/// The benchmark policy, compiled once.
pub fn ml_policy() -> Result<assay_core::PolicySet, String> {
    assay_core::PolicySet::load(&[("ml-policy.yaml".to_owned(), ML_POLICY.to_owned())]).map_err(
        |e| {
            e.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        },
    )
}

pub const ROLLOUT_POLICY: &str = include_str!("../fixtures/rollout-policy.yaml");

/// The rollout benchmark policy, loaded once.
pub fn rollout_policy() -> Result<assay_core::rollout::RolloutPolicy, String> {
    let set = assay_core::PolicySet::load(&[(
        "rollout-policy.yaml".to_owned(),
        ROLLOUT_POLICY.to_owned(),
    )])
    .map_err(|e| {
        e.iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    set.rollouts
        .into_iter()
        .next()
        .ok_or_else(|| "no rollout policy in the fixture".to_owned())
}

/// Deterministic latencies (ms) around `center`: a small LCG, so the input
/// is the same on every run without a fixture file.
fn latencies(n: usize, center: f64, seed: u64) -> Vec<f64> {
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let u = (state >> 11) as f64 / (1u64 << 53) as f64;
            // Rounded to 0.1 ms, as exported latencies are: ties, as in real data.
            ((center * (0.6 + 0.8 * u)) * 10.0).round() / 10.0
        })
        .collect()
}

/// The rollout benchmark input as JSON: 1,000 latency samples per variant.
pub fn rollout_input(samples: usize) -> String {
    serde_json::json!({
        "state": {"weight": 25, "failedChecks": 0},
        "metrics": {
            "baseline": {"requests": 40000, "counts": {"errors": 200}, "latency_p99_ms": 420,
                         "availability": 0.999, "cpu_seconds": 1200.0,
                         "samples": {"latency_ms": latencies(samples, 120.0, 1)}},
            "candidate": {"requests": 4000, "counts": {"errors": 22}, "latency_p99_ms": 440,
                          "availability": 0.998, "cpu_seconds": 1250.0,
                          "samples": {"latency_ms": latencies(samples, 122.0, 2)}}
        }
    })
    .to_string()
}
