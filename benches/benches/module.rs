//! Compiled modules through wasmtime against native evaluation, on the same
//! 2 KB ML ConfigMap and policy as `evaluate.rs`: per document, per call,
//! and loading a module whose machine code is cached.

use assay_benches::{ML_CONFIGMAP, ML_POLICY};
use assay_host::{build, bundle, FileSystem, Host, Limits};
use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::json;
use std::hint::black_box;

fn benches(c: &mut Criterion) {
    let files = vec![("ml-policy.yaml".to_owned(), ML_POLICY.to_owned())];
    let Ok((bundle, set)) = bundle(files, &FileSystem) else {
        eprintln!("benchmark policy does not load");
        return;
    };
    let Ok(bytes) = build(&bundle, &set) else {
        eprintln!("benchmark module does not link");
        return;
    };
    let cache = std::env::temp_dir().join("assay-bench-modules");
    let Ok(host) = Host::new(Some(cache), Limits::default()) else {
        eprintln!("wasmtime does not start");
        return;
    };
    let Ok(mut module) = host.load(&bytes) else {
        eprintln!("module does not load");
        return;
    };
    let check = json!({"call": "check", "input": ML_CONFIGMAP, "file": "cm.yaml",
                       "env": "production"})
    .to_string();
    let native_answer = assay_core::api::call(&set, check.as_bytes());
    assert_eq!(
        module.call(check.as_bytes()).ok().as_ref(),
        Some(&native_answer)
    );
    assert!(
        native_answer.contains(r#""verdict":"pass""#),
        "{native_answer}"
    );

    c.bench_function("native_check_via_json_api", |b| {
        b.iter(|| assay_core::api::call(&set, black_box(check.as_bytes())))
    });
    c.bench_function("module_check", |b| {
        b.iter(|| module.call(black_box(check.as_bytes())))
    });
    let describe = br#"{"call": "describe"}"#;
    c.bench_function("native_describe", |b| {
        b.iter(|| assay_core::api::call(&set, black_box(describe)))
    });
    c.bench_function("module_call_overhead_describe", |b| {
        b.iter(|| module.call(black_box(describe)))
    });
    c.bench_function("module_load_cached_and_first_call", |b| {
        b.iter(|| {
            host.load(black_box(&bytes))
                .ok()
                .and_then(|mut m| m.call(describe).ok())
        })
    });
    c.bench_function("module_load_cached", |b| {
        b.iter(|| host.load(black_box(&bytes)).is_ok())
    });
}

criterion_group! {
    name = group;
    config = Criterion::default().sample_size(20);
    targets = benches
}
criterion_main!(group);
