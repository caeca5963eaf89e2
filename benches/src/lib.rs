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
