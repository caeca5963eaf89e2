//! The module-to-native ratio of `benches/module.rs`, measured in rounds
//! that alternate the two in one process, so that a slow spell of a shared
//! machine slows both sides of a round rather than one benchmark.
//!
//! Run: `cargo run --release -p assay-benches --example module_ratio [ROUNDS] [CALLS]`.
//!
//! `module_ratio native|module CALLS` makes only that side's calls, once
//! set up, for `benches/scripts/module_instructions.sh` to count their
//! instructions, which a noisy machine does not change.

use assay_benches::{ML_CONFIGMAP, ML_POLICY};
use assay_host::{build, bundle, FileSystem, Host, Limits};
use serde_json::json;
use std::hint::black_box;
use std::time::Instant;

fn main() -> Result<(), String> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let only = match args.first().map(String::as_str) {
        Some(side @ ("native" | "module")) => Some(side.to_owned()),
        _ => None,
    };
    if only.is_some() {
        args.remove(0);
    }
    let mut args = args.iter().map(|a| a.parse::<usize>());
    let rounds = match only {
        Some(_) => Ok(0),
        None => args.next().unwrap_or(Ok(30)),
    }
    .map_err(|e| e.to_string())?;
    let calls = args.next().unwrap_or(Ok(2000)).map_err(|e| e.to_string())?;

    let files = vec![("ml-policy.yaml".to_owned(), ML_POLICY.to_owned())];
    let (bundle, set) = bundle(files, &FileSystem).map_err(|e| format!("{e:?}"))?;
    let bytes = build(&bundle, &set).map_err(|e| e.to_string())?;
    let cache = std::env::temp_dir().join("assay-bench-modules");
    let host = Host::new(Some(cache), Limits::default()).map_err(|e| e.to_string())?;
    let mut module = host.load(&bytes).map_err(|e| e.to_string())?;
    let check = json!({"call": "check", "input": ML_CONFIGMAP, "file": "cm.yaml",
                       "env": "production"})
    .to_string();
    let native_answer = assay_core::api::call(&set, check.as_bytes());
    if module.call(check.as_bytes()).ok().as_ref() != Some(&native_answer) {
        return Err("the module and native answers differ".to_owned());
    }

    let native = || {
        let start = Instant::now();
        for _ in 0..calls {
            black_box(assay_core::api::call(&set, black_box(check.as_bytes())));
        }
        start.elapsed().as_secs_f64() * 1e6 / calls as f64
    };
    let mut in_module = || {
        let start = Instant::now();
        for _ in 0..calls {
            let _ = black_box(module.call(black_box(check.as_bytes())));
        }
        start.elapsed().as_secs_f64() * 1e6 / calls as f64
    };
    if let Some(side) = &only {
        // Counting: the set-up above is the same for 0 calls and for N, so it cancels out.
        black_box(if side == "native" {
            native()
        } else {
            in_module()
        });
        return Ok(());
    }
    // Warm-up: caches, the allocator, the guest's compiled policy.
    native();
    in_module();

    let mut pairs = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let (n, m) = if round % 2 == 0 {
            let n = native();
            (n, in_module())
        } else {
            let m = in_module();
            (native(), m)
        };
        pairs.push((n, m));
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let native_times: Vec<f64> = pairs.iter().map(|p| p.0).collect();
    let module_times: Vec<f64> = pairs.iter().map(|p| p.1).collect();
    let ratios: Vec<f64> = pairs.iter().map(|(n, m)| m / n).collect();
    let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    println!(
        "{rounds} rounds of {calls} calls each\n\
         native: median {:.2} µs, min {:.2} µs\n\
         module: median {:.2} µs, min {:.2} µs\n\
         ratio:  median of rounds {:.3}x, of the minimums {:.3}x",
        median(native_times.clone()),
        min(&native_times),
        median(module_times.clone()),
        min(&module_times),
        median(ratios),
        min(&module_times) / min(&native_times),
    );
    Ok(())
}
