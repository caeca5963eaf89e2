//! Hostile modules and inputs hit a limit and get an error naming it; the
//! host neither hangs nor crashes, and the next call works again.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use assay_host::{build, bundle, FileSystem, Host, Limits, ModuleError};
use std::time::{Duration, Instant};

/// A hand-written module with the metadata `assay build` would add and
/// the given exports (WAT).
fn module_with(exports: &str) -> Vec<u8> {
    let mut bytes = wat::parse_str(format!(
        r#"(module (memory (export "memory") 1) {exports})"#
    ))
    .expect("valid WAT");
    let metadata = format!(
        r#"{{"abiVersion": {}, "assayVersion": "test", "sourceHash": "sha256:0", "policies": []}}"#,
        assay_runtime::ABI_VERSION
    );
    let name = assay_host::link::METADATA_SECTION;
    let mut content = leb128(name.len());
    content.extend_from_slice(name.as_bytes());
    content.extend_from_slice(metadata.as_bytes());
    bytes.push(0); // custom section
    bytes.extend(leb128(content.len()));
    bytes.extend(content);
    bytes
}

/// The ABI's exports, with `assay_abi_version` answering `abi`, and the
/// bodies of `assay_alloc` and `assay_evaluate`.
fn abi_module(abi: u32, alloc: &str, evaluate: &str) -> Vec<u8> {
    module_with(&format!(
        r#"(func (export "assay_abi_version") (result i32) (i32.const {abi}))
           (func (export "assay_alloc") (param i32) (result i32) {alloc})
           (func (export "assay_free") (param i32 i32))
           (func (export "assay_evaluate") (param i32 i32) (result i64) {evaluate})"#
    ))
}

fn looping_module() -> Vec<u8> {
    abi_module(
        assay_runtime::ABI_VERSION,
        "(i32.const 1024)",
        "(loop $forever (br $forever)) (i64.const 0)",
    )
}

fn leb128(mut n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

fn library_module() -> Vec<u8> {
    let (bundle, set) = bundle(assay_core::library::files(), &FileSystem).expect("library loads");
    build(&bundle, &set).expect("library links")
}

fn cache() -> Option<std::path::PathBuf> {
    Some(std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("modules"))
}

#[test]
fn a_module_that_loops_forever_stops_at_the_time_limit() {
    let limits = Limits {
        time: Duration::from_millis(200),
        ..Limits::default()
    };
    let host = Host::new(None, limits).unwrap();
    let mut module = host.load(&looping_module()).unwrap();
    let started = Instant::now();
    let err = module.call(b"{}").unwrap_err();
    assert!(matches!(err, ModuleError::Time(_)), "{err}");
    assert!(err.to_string().contains("time limit (200ms)"), "{err}");
    assert!(started.elapsed() >= Duration::from_millis(195));
    assert!(started.elapsed() < Duration::from_secs(30));
    // The next call gets a fresh instance, and stops again.
    assert!(matches!(module.call(b"{}"), Err(ModuleError::Time(_))));
}

#[test]
fn a_huge_input_stops_at_the_memory_limit_and_the_module_recovers() {
    let limits = Limits {
        memory: 64 << 20,
        ..Limits::default()
    };
    let host = Host::new(cache(), limits).unwrap();
    let mut module = host.load(&library_module()).unwrap();
    let huge = format!(
        r#"{{"call": "check", "input": "data: {}"}}"#,
        "x".repeat(80 << 20)
    );
    let err = module.call(huge.as_bytes()).unwrap_err();
    assert!(matches!(err, ModuleError::Memory(64)), "{err}");
    assert!(err.to_string().contains("memory limit (64 MiB)"), "{err}");
    let answer = module
        .call(br#"{"call": "check", "input": "a: 1\n"}"#)
        .unwrap();
    assert!(answer.contains(r#""verdict":"pass""#), "{answer}");
}

#[test]
fn much_work_stops_at_the_time_limit_with_the_real_runtime() {
    let limits = Limits {
        time: Duration::from_millis(20),
        ..Limits::default()
    };
    let host = Host::new(cache(), limits).unwrap();
    let mut module = host.load(&library_module()).unwrap();
    let many: String = (0..2000)
        .map(|i| format!("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: ml-pipeline-config-{i}}}\ndata: {{LOG_LEVEL: INFO}}\n"))
        .collect();
    let request = serde_json::json!({"call": "check", "input": many}).to_string();
    let err = module.call(request.as_bytes()).unwrap_err();
    assert!(matches!(err, ModuleError::Time(_)), "{err}");
}

#[test]
fn a_file_that_is_not_a_module_is_refused() {
    let host = Host::new(None, Limits::default()).unwrap();
    for bytes in [&b""[..], b"not wasm", &wat::parse_str("(module)").unwrap()] {
        let err = host.load(bytes).err().expect("refused");
        assert!(matches!(err, ModuleError::Invalid(_)), "{err}");
    }
}

#[test]
fn a_module_without_the_abi_or_of_another_version_is_refused_when_loaded() {
    let host = Host::new(None, Limits::default()).unwrap();
    let no_evaluate = module_with(
        r#"(func (export "assay_abi_version") (result i32) (i32.const 1))
           (func (export "assay_alloc") (param i32) (result i32) (i32.const 0))"#,
    );
    let err = host.load(&no_evaluate).err().expect("refused");
    assert!(matches!(err, ModuleError::Invalid(_)), "{err}");
    assert!(err.to_string().contains("assay_free"), "{err}");
    let other_abi = abi_module(
        assay_runtime::ABI_VERSION + 1,
        "(i32.const 1024)",
        "(i64.const 0)",
    );
    let err = host.load(&other_abi).err().expect("refused");
    assert!(
        matches!(err, ModuleError::Abi { found } if found == assay_runtime::ABI_VERSION + 1),
        "{err}"
    );
}

#[test]
fn a_trap_is_one_line_without_a_backtrace() {
    let host = Host::new(None, Limits::default()).unwrap();
    let trapping = abi_module(
        assay_runtime::ABI_VERSION,
        "(i32.const 1024)",
        "(unreachable)",
    );
    let err = host.load(&trapping).unwrap().call(b"{}").unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, ModuleError::Trap(_)), "{text}");
    assert!(
        text.contains("unreachable") && !text.contains('\n') && !text.contains("backtrace"),
        "{text}"
    );
}

#[test]
fn an_allocation_the_module_cannot_make_is_the_memory_limit() {
    let host = Host::new(None, Limits::default()).unwrap();
    let full = abi_module(assay_runtime::ABI_VERSION, "(i32.const 0)", "(i64.const 0)");
    let err = host.load(&full).unwrap().call(b"{}").unwrap_err();
    assert!(matches!(err, ModuleError::Memory(_)), "{err}");
}

#[test]
fn past_the_pool_of_instances_a_load_names_the_limit() {
    let host = Host::new(None, Limits::default()).unwrap();
    let bytes = abi_module(
        assay_runtime::ABI_VERSION,
        "(i32.const 1024)",
        "(i64.const 0)",
    );
    let mut loaded = Vec::new();
    let err = loop {
        match host.load(&bytes) {
            Ok(module) => loaded.push(module),
            Err(e) => break e,
        }
        assert!(loaded.len() <= 1024, "no limit reached");
    };
    // The pooling allocator's limit; without pooling (no address space for
    // it) there is none to reach, and the loop above would have failed.
    assert!(matches!(err, ModuleError::TooMany(64)), "{err}");
    assert_eq!(loaded.len(), 64);
    drop(loaded.pop());
    assert!(host.load(&bytes).is_ok(), "a slot freed is used again");
}

/// A module whose `assay_evaluate` grows its memory by `pages` (64 KiB
/// each) and traps when it cannot.
fn growing_module(pages: u32) -> Vec<u8> {
    abi_module(
        assay_runtime::ABI_VERSION,
        "(i32.const 1024)",
        &format!(
            "(if (i32.eq (memory.grow (i32.const {pages})) (i32.const -1)) (then unreachable)) (i64.const 0)"
        ),
    )
}

#[test]
fn a_module_s_limits_are_changed_after_it_loads_and_name_themselves() {
    // 600 MiB: more than the default 512 MiB, which it stops at.
    let host = Host::new(None, Limits::default()).unwrap();
    let mut module = host.load(&growing_module(9600)).unwrap();
    let err = module.call(b"{}").unwrap_err();
    assert!(matches!(err, ModuleError::Memory(512)), "{err}");
    assert!(
        err.to_string()
            .contains("(limit `module-memory`; raise it with `--limit module-memory=…`"),
        "{err}"
    );
    // Raised past the default (up to wasm32's 4 GiB), the growth fits.
    let core = assay_core::Limits {
        module_memory: 1 << 30,
        ..assay_core::Limits::DEFAULT
    };
    module.set_limits(Limits::from(&core));
    assert_eq!(module.limits().memory, 1 << 30);
    assert_eq!(module.call(b"{}").unwrap(), "");
    // The time limit is the module's too: lowered, a loop stops sooner.
    let mut looping = host.load(&looping_module()).unwrap();
    looping.set_limits(Limits {
        time: Duration::from_millis(100),
        ..Limits::default()
    });
    let started = Instant::now();
    let err = looping.call(b"{}").unwrap_err();
    assert!(
        matches!(err, ModuleError::Time(t) if t == Duration::from_millis(100)),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(err.to_string().contains("limit `module-time`"), "{err}");
}
