//! Builds the guest runtime (`runtime/`) for wasm32-unknown-unknown once,
//! when assay itself is built, so `assay build` needs no Rust toolchain.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let root = manifest.join("..");
    for dir in [
        "core/src",
        "core/Cargo.toml",
        "runtime/src",
        "runtime/Cargo.toml",
        "Cargo.lock",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(dir).display());
    }
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    let target_dir = out.join("runtime-target");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .current_dir(&root)
        .args(["build", "--quiet", "--locked", "-p", "assay-runtime"])
        .args(["--target", "wasm32-unknown-unknown", "--profile", "runtime"])
        .arg("--target-dir")
        .arg(&target_dir);
    // The outer build's wrappers and flags (clippy, coverage) are for the host.
    for var in [
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
    ] {
        build.env_remove(var);
    }
    // No JS glue: getrandom's seeds come from the runtime (see runtime/Cargo.toml).
    // SIMD128 (every current browser, Node and wasmtime run it) speeds up
    // memchr and the regex prefilters that secret detection leans on. A
    // higher inlining threshold: every call in a module pays wasmtime's epoch
    // check. 500 took a document from 2.2x to 2.0x native, 1250 to 1.93x;
    // past it the module's gzipped size passes 3 MB (benches/README.md).
    build.env(
        "CARGO_ENCODED_RUSTFLAGS",
        "--cfg\x1fgetrandom_backend=\"custom\"\x1f-Ctarget-feature=+simd128\x1f-Cllvm-args=-inline-threshold=1250",
    );
    let status = build.status();
    let built = target_dir.join("wasm32-unknown-unknown/runtime/assay_runtime.wasm");
    match status {
        Ok(s) if s.success() && built.exists() => {}
        other => {
            println!(
                "cargo:warning=building the guest runtime failed ({other:?}); is the target installed? `rustup target add wasm32-unknown-unknown`"
            );
            std::process::exit(1);
        }
    }
    if let Err(e) = std::fs::copy(&built, out.join("runtime.wasm")) {
        println!("cargo:warning=cannot copy the guest runtime: {e}");
        std::process::exit(1);
    }
}
