//! Running compiled policy modules with wasmtime: one engine, modules
//! precompiled once and cached on disk by digest, instances made from an
//! `InstancePre` and reused across calls, and a time and memory limit on
//! every call. Hitting a limit is an error that names it; the instance is
//! then dropped and the next call gets a fresh one.

use crate::link::{metadata, Metadata};
use assay_runtime::ABI_VERSION;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, InstancePre, Linker, Memory, Module,
    PoolConcurrencyLimitError, PoolingAllocationConfig, ResourceLimiter, Store, Trap, TypedFunc,
};

/// Limits on one call into a module.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Longest a call may run (to within one `EPOCH_TICK`).
    pub time: Duration,
    /// Most linear memory an instance may have, in bytes.
    pub memory: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // Two orders of magnitude above a large manifest set's needs.
            time: Duration::from_secs(10),
            memory: 512 << 20,
        }
    }
}

/// Modules one host runs at once: each reserves a slot of address space
/// in the pooling allocator.
const MAX_INSTANCES: u32 = 64;

/// How often the engine's epoch advances; a call's deadline is a number of ticks.
const EPOCH_TICK: Duration = Duration::from_millis(5);

impl Limits {
    fn deadline_ticks(&self) -> u64 {
        let ticks = self.time.as_nanos().div_ceil(EPOCH_TICK.as_nanos());
        u64::try_from(ticks).unwrap_or(u64::MAX).max(1)
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum ModuleError {
    #[error("not a policy module: {0}")]
    Invalid(String),
    #[error("module ABI version {found}, but this assay speaks version {ABI_VERSION}; rebuild it with this assay")]
    Abi { found: u32 },
    #[error(
        "evaluation stopped at the time limit ({0:?}): the input or policy does too much work"
    )]
    Time(Duration),
    #[error("evaluation stopped at the memory limit ({0} MiB)")]
    Memory(usize),
    #[error("the module failed: {0}")]
    Trap(String),
    #[error("more than {0} modules are loaded at once, the most one assay runs")]
    TooMany(u32),
}

/// One wasmtime engine for all modules, with a directory of precompiled ones.
pub struct Host {
    engine: Engine,
    cache: Option<PathBuf>,
    limits: Limits,
}

impl Host {
    /// An engine with epoch interruption and, where the system allows its
    /// address space reservations, the pooling allocator. A thread advances
    /// the epoch until the engine is dropped.
    pub fn new(cache: Option<PathBuf>, limits: Limits) -> Result<Host, ModuleError> {
        let engine = Engine::new(&config(limits, true))
            .or_else(|_| Engine::new(&config(limits, false)))
            .map_err(|e| ModuleError::Invalid(format!("cannot start wasmtime: {e}")))?;
        let weak = engine.weak();
        std::thread::Builder::new()
            .name("assay-epoch".to_owned())
            .spawn(move || {
                while let Some(engine) = weak.upgrade() {
                    engine.increment_epoch();
                    drop(engine);
                    std::thread::sleep(EPOCH_TICK);
                }
            })
            .map_err(|e| ModuleError::Invalid(format!("cannot start the epoch thread: {e}")))?;
        Ok(Host {
            engine,
            cache,
            limits,
        })
    }

    /// The host of this process, made on first use: one engine for every
    /// module (each reserves address space), with the default cache and
    /// limits. An engine that cannot start is an error every time.
    pub fn shared() -> Result<&'static Host, ModuleError> {
        static HOST: OnceLock<Result<Host, ModuleError>> = OnceLock::new();
        HOST.get_or_init(|| Host::new(Host::default_cache_dir(), Limits::default()))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The default cache: `$ASSAY_CACHE_DIR`, else `$XDG_CACHE_HOME/assay`,
    /// else `~/.cache/assay`; `modules/` in it.
    pub fn default_cache_dir() -> Option<PathBuf> {
        let base = std::env::var_os("ASSAY_CACHE_DIR")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("assay")))
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/assay")))?;
        Some(base.join("modules"))
    }

    /// Loads a module built by `assay build`, compiling it only when the
    /// cache has no precompiled copy for this module and engine.
    pub fn load(&self, bytes: &[u8]) -> Result<LoadedModule, ModuleError> {
        let metadata = metadata(bytes).map_err(ModuleError::Invalid)?;
        if metadata.abi_version != ABI_VERSION {
            return Err(ModuleError::Abi {
                found: metadata.abi_version,
            });
        }
        let module = self.compile_cached(bytes)?;
        let has_imports = module.imports().len() > 0;
        if has_imports {
            return Err(ModuleError::Invalid("it has imports".to_owned()));
        }
        let linker = Linker::<State>::new(&self.engine);
        let pre = linker
            .instantiate_pre(&module)
            .map_err(|e| ModuleError::Invalid(one_line(&e)))?;
        let mut loaded = LoadedModule {
            metadata,
            engine: self.engine.clone(),
            pre,
            limits: self.limits,
            instance: Mutex::new(None),
        };
        // Now rather than on the first call: a module without the ABI's
        // exports is a bad policy (exit 2), not a failure of every input.
        loaded.instance = Mutex::new(Some(loaded.instantiate()?));
        Ok(loaded)
    }

    fn compile_cached(&self, bytes: &[u8]) -> Result<Module, ModuleError> {
        let invalid = |e: wasmtime::Error| ModuleError::Invalid(one_line(&e));
        let Some(dir) = &self.cache else {
            return Module::new(&self.engine, bytes).map_err(invalid);
        };
        let mut engine_hash = std::collections::hash_map::DefaultHasher::new();
        self.engine
            .precompile_compatibility_hash()
            .hash(&mut engine_hash);
        // BLAKE3: hashing a 5 MB module with SHA-256 took most of a cached load.
        let digest = blake3::hash(bytes);
        let path = dir.join(format!("{digest}-{:016x}.cwasm", engine_hash.finish()));
        // Mapped rather than read: copying 17 MB of machine code was most of a load.
        // SAFETY: the file is one this host wrote (named by the digest of the
        // module and of the engine's settings), in the user's cache.
        if let Ok(module) = unsafe { Module::deserialize_file(&self.engine, &path) } {
            return Ok(module);
        }
        let module = Module::new(&self.engine, bytes).map_err(invalid)?;
        // The cache is an optimisation: failing to write it is not an error.
        if let Ok(serialized) = module.serialize() {
            let tmp = path.with_extension(format!("tmp{}", std::process::id()));
            let written = std::fs::create_dir_all(dir)
                .and_then(|()| std::fs::write(&tmp, serialized))
                .and_then(|()| std::fs::rename(&tmp, &path));
            if written.is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
        }
        Ok(module)
    }
}

fn config(limits: Limits, pooling: bool) -> Config {
    let mut config = Config::new();
    // Epochs, not fuel: fuel metering made every call ~45% slower.
    config.epoch_interruption(true);
    config.table_lazy_init(false);
    if pooling {
        let mut pool = PoolingAllocationConfig::default();
        pool.total_memories(MAX_INSTANCES)
            .total_tables(MAX_INSTANCES)
            .total_core_instances(MAX_INSTANCES)
            .max_memory_size(limits.memory);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    config
}

/// What a store keeps: the memory limit and whether a call hit it.
struct State {
    max_memory: usize,
    hit_memory_limit: bool,
}

impl ResourceLimiter for State {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = desired <= self.max_memory;
        self.hit_memory_limit |= !allowed;
        Ok(allowed)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

/// A live instance and its exports.
struct Live {
    store: Store<State>,
    memory: Memory,
    alloc: TypedFunc<u32, u32>,
    free: TypedFunc<(u32, u32), ()>,
    evaluate: TypedFunc<(u32, u32), u64>,
}

/// A module ready to answer calls; the instance (and the policy compiled
/// in it) is kept between calls. Threads may share it: their calls take
/// turns with the one instance.
pub struct LoadedModule {
    pub metadata: Metadata,
    engine: Engine,
    pre: InstancePre<State>,
    limits: Limits,
    instance: Mutex<Option<Live>>,
}

impl LoadedModule {
    /// Answers one JSON request (docs/module-abi.md).
    pub fn call(&mut self, request: &[u8]) -> Result<String, ModuleError> {
        self.call_shared(request)
    }

    /// [`call`](Self::call) through a shared reference: a call waits for
    /// another thread's call to the same module to end.
    pub fn call_shared(&self, request: &[u8]) -> Result<String, ModuleError> {
        let mut slot = self.instance.lock().unwrap_or_else(|poisoned| {
            // A thread panicked during a call: its instance may be in any
            // state, so the next call starts afresh, as after a trap.
            self.instance.clear_poison();
            let mut slot = poisoned.into_inner();
            *slot = None;
            slot
        });
        let mut live = match slot.take() {
            Some(live) => live,
            None => self.instantiate()?,
        };
        let answer = Self::call_live(&mut live, request, self.limits);
        match &answer {
            Ok(_) => *slot = Some(live),
            // A trapped instance may be in any state: the next call starts afresh.
            Err(_) => drop(live),
        }
        answer
    }

    fn instantiate(&self) -> Result<Live, ModuleError> {
        let state = State {
            max_memory: self.limits.memory,
            hit_memory_limit: false,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| s as &mut dyn ResourceLimiter);
        store.set_epoch_deadline(self.limits.deadline_ticks());
        let instance = self.pre.instantiate(&mut store).map_err(|e| {
            if e.is::<PoolConcurrencyLimitError>() {
                ModuleError::TooMany(MAX_INSTANCES)
            } else {
                trap_error(e, &store, self.limits)
            }
        })?;
        let missing = |name: &str| ModuleError::Invalid(format!("it does not export `{name}`"));
        let memory = instance
            .get_memory(&mut store, "memory")
            .ok_or_else(|| missing("memory"))?;
        let alloc = instance
            .get_typed_func(&mut store, "assay_alloc")
            .map_err(|_| missing("assay_alloc"))?;
        let free = instance
            .get_typed_func(&mut store, "assay_free")
            .map_err(|_| missing("assay_free"))?;
        let evaluate = instance
            .get_typed_func(&mut store, "assay_evaluate")
            .map_err(|_| missing("assay_evaluate"))?;
        let abi_version: TypedFunc<(), u32> = instance
            .get_typed_func(&mut store, "assay_abi_version")
            .map_err(|_| missing("assay_abi_version"))?;
        let found = abi_version
            .call(&mut store, ())
            .map_err(|e| trap_error(e, &store, self.limits))?;
        if found != ABI_VERSION {
            return Err(ModuleError::Abi { found });
        }
        Ok(Live {
            store,
            memory,
            alloc,
            free,
            evaluate,
        })
    }

    fn call_live(live: &mut Live, request: &[u8], limits: Limits) -> Result<String, ModuleError> {
        let Live {
            store,
            memory,
            alloc,
            free,
            evaluate,
        } = live;
        store.set_epoch_deadline(limits.deadline_ticks());
        let len =
            u32::try_from(request.len()).map_err(|_| ModuleError::Memory(limits.memory >> 20))?;
        let fail = |e: wasmtime::Error, store: &Store<State>| trap_error(e, store, limits);
        let ptr = alloc.call(&mut *store, len).map_err(|e| fail(e, store))?;
        if ptr == 0 && len > 0 {
            return Err(ModuleError::Memory(limits.memory >> 20));
        }
        memory
            .write(&mut *store, ptr as usize, request)
            .map_err(|e| ModuleError::Trap(e.to_string()))?;
        let packed = evaluate
            .call(&mut *store, (ptr, len))
            .map_err(|e| fail(e, store))?;
        free.call(&mut *store, (ptr, len))
            .map_err(|e| fail(e, store))?;
        let (answer_ptr, answer_len) = ((packed >> 32) as u32, packed as u32);
        let mut answer = vec![0u8; answer_len as usize];
        memory
            .read(&*store, answer_ptr as usize, &mut answer)
            .map_err(|e| ModuleError::Trap(format!("its answer is out of bounds: {e}")))?;
        free.call(&mut *store, (answer_ptr, answer_len))
            .map_err(|e| fail(e, store))?;
        String::from_utf8(answer)
            .map_err(|e| ModuleError::Trap(format!("its answer is not UTF-8: {e}")))
    }
}

/// Names the limit a failed call hit, if it hit one.
fn trap_error(e: wasmtime::Error, store: &Store<State>, limits: Limits) -> ModuleError {
    if store.data().hit_memory_limit {
        return ModuleError::Memory(limits.memory >> 20);
    }
    match e.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => ModuleError::Time(limits.time),
        _ => ModuleError::Trap(one_line(&e)),
    }
}

/// The cause of a wasmtime error on one line: a trap's kind without its
/// backtrace, a validation error without its byte dump.
fn one_line(e: &wasmtime::Error) -> String {
    let text = match e.downcast_ref::<Trap>() {
        Some(trap) => trap.to_string(),
        None => e.root_cause().to_string(),
    };
    text.lines().next().unwrap_or_default().trim().to_owned()
}
