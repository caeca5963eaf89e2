//! `module_abi`: arbitrary bytes as the request of a compiled module's
//! `assay_evaluate`. The built-in library is built (once, lazily) into a
//! module with the host's `build`, the way `assay build` does, and loaded
//! with the host (wasmtime); the data goes through `LoadedModule::call`,
//! which writes it into the guest with `assay_alloc` and calls
//! `assay_evaluate` on it. The module must answer (a trap is a panic in the
//! guest or a bug of the ABI) and its answer must be the text the native
//! `assay_core::api::call` answers: hosts rely on modules deciding exactly
//! as native evaluation. Hitting the time or memory limit is not a failure
//! by itself (libFuzzer's own timeout catches slow inputs natively).

use assay_core::PolicySet;
use assay_host::{build, bundle, FileSystem, Host, Limits, LoadedModule, ModuleError};
use std::cell::RefCell;

struct Both {
    native: PolicySet,
    module: LoadedModule,
}

thread_local! {
    static BOTH: RefCell<Option<Both>> = const { RefCell::new(None) };
}

fn make() -> Both {
    let files = assay_core::library::files();
    let (bundle, set) = match bundle(files.clone(), &FileSystem) {
        Ok(b) => b,
        Err(e) => panic!("the library does not bundle: {e:?}"),
    };
    let native = match PolicySet::load_with(&files, &FileSystem) {
        Ok(set) => set,
        Err(e) => panic!("the library does not load: {e:?}"),
    };
    let bytes = match build(&bundle, &set) {
        Ok(bytes) => bytes,
        Err(e) => panic!("the library does not build into a module: {e}"),
    };
    // Compiled once and kept in a cache: the replay test and every fuzzing
    // run after the first start in seconds. The replay test shares
    // module_differential's cache (`ASSAY_FUZZ_MODULE_CACHE`).
    let cache = std::env::var_os("ASSAY_FUZZ_MODULE_CACHE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("assay-fuzz-modules"));
    let host = match Host::new(Some(cache), Limits::default()) {
        Ok(host) => host.on_warning(|_| {}),
        Err(e) => panic!("no wasmtime host: {e}"),
    };
    let module = match host.load(&bytes) {
        Ok(module) => module,
        Err(e) => panic!("the library module does not load: {e}"),
    };
    Both { native, module }
}

/// Builds and loads the module now: the fuzz target calls this before
/// the first input, so that compiling the module (a minute in an
/// instrumented build) does not count against libFuzzer's timeout.
pub fn module_abi_init() {
    BOTH.with(|cell| {
        cell.borrow_mut().get_or_insert_with(make);
    });
}

pub fn module_abi(data: &[u8]) {
    BOTH.with(|cell| {
        let mut cell = cell.borrow_mut();
        let both = cell.get_or_insert_with(make);
        let native = assay_core::api::call(&both.native, data);
        match both.module.call(data) {
            Ok(module) => assert!(
                module == native,
                "module and native answers differ on {:?}:\nnative: {native}\nmodule: {module}",
                String::from_utf8_lossy(data)
            ),
            Err(ModuleError::Time(_) | ModuleError::Memory(_)) => {}
            Err(e) => panic!(
                "the module failed on {:?}: {e}\nnative answer: {native}",
                String::from_utf8_lossy(data)
            ),
        }
    });
}
