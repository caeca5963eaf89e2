//! Running compiled policy modules with wasmtime: one engine, modules
//! precompiled once and cached on disk by digest (`cache`: each entry is
//! checked before it is deserialised), instances made from an
//! `InstancePre` and reused across calls, and a time and memory limit on
//! every call. Hitting a limit is an error that names it; the instance is
//! then dropped and the next call gets a fresh one.

mod cache;

use crate::link::{contents, metadata, source_hash_mismatch, ContentsError, Metadata};
use assay_core::parse::raise_note;
use assay_runtime::ABI_VERSION;
use cache::{Cache, Lookup};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, InstancePre, Linker, Memory, Module,
    PoolConcurrencyLimitError, PoolingAllocationConfig, ResourceLimiter, Store, Trap, TypedFunc,
};

/// Limits on one call into a module: the `module-time` and `module-memory`
/// limits of a run (docs/limits.md).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Longest a call may run (to within one `EPOCH_TICK`).
    pub time: Duration,
    /// Most linear memory an instance may have, in bytes.
    pub memory: usize,
}

impl Default for Limits {
    fn default() -> Self {
        // Two orders of magnitude above a large manifest set's needs.
        Limits::from(&assay_core::Limits::DEFAULT)
    }
}

impl From<&assay_core::Limits> for Limits {
    fn from(limits: &assay_core::Limits) -> Self {
        Limits {
            time: limits.module_time,
            memory: usize::try_from(limits.module_memory).unwrap_or(usize::MAX),
        }
    }
}

/// The most linear memory any instance may be given: what wasm32 can
/// address. Engines reserve this much per slot, so that each module's own
/// limit can be anything up to it.
const MAX_MEMORY: u64 = assay_core::eval::limits::MAX_MODULE_MEMORY;

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
        "evaluation stopped at the time limit ({0:?}): the input or policy does too much work ({note})",
        note = raise_note("module-time")
    )]
    Time(Duration),
    #[error(
        "evaluation stopped at the memory limit ({0} MiB) ({note})",
        note = raise_note("module-memory")
    )]
    Memory(usize),
    #[error("the module failed: {0}")]
    Trap(String),
    #[error("more than {0} modules are loaded at once, the most one assay runs")]
    TooMany(u32),
    /// The policy text linked in is not what the metadata's `sourceHash` names.
    #[error("{}", source_hash_mismatch(.expected, .found))]
    SourceHash { expected: String, found: String },
}

impl From<ContentsError> for ModuleError {
    fn from(e: ContentsError) -> Self {
        match e {
            ContentsError::Invalid(e) => ModuleError::Invalid(e),
            ContentsError::SourceHash { expected, found } => {
                ModuleError::SourceHash { expected, found }
            }
        }
    }
}

/// What a host does with a warning: a problem it worked around.
type Warn = Box<dyn Fn(&str) + Send + Sync>;

/// One wasmtime engine for all modules, with a directory of precompiled ones.
pub struct Host {
    engine: Engine,
    /// A hash of the engine's settings that machine code depends on.
    engine_hash: blake3::Hash,
    cache_dir: Option<PathBuf>,
    key_file: Option<PathBuf>,
    /// The cache, opened on first use.
    cache: OnceLock<Option<Cache>>,
    warn: Warn,
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
        let mut engine_hash = Blake3Hasher(blake3::Hasher::new());
        engine
            .precompile_compatibility_hash()
            .hash(&mut engine_hash);
        Ok(Host {
            engine_hash: engine_hash.0.finalize(),
            engine,
            cache_dir: cache,
            key_file: Host::default_key_file(),
            cache: OnceLock::new(),
            warn: Box::new(|warning| eprintln!("warning: {warning}")),
            limits,
        })
    }

    /// This host with the key of its cache's checksums in `key_file`
    /// (default: [`Host::default_key_file`]); `None`: no cache.
    pub fn with_key_file(mut self, key_file: Option<PathBuf>) -> Host {
        self.key_file = key_file;
        self.cache = OnceLock::new();
        self
    }

    /// This host giving its warnings (a cache entry that failed its check,
    /// a cache directory not used) to `warn`, rather than printing them
    /// on stderr as `warning: …`.
    pub fn on_warning(mut self, warn: impl Fn(&str) + Send + Sync + 'static) -> Host {
        self.warn = Box::new(warn);
        self
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

    /// The key of the cache's checksums: `$XDG_STATE_HOME/assay/cache-key`,
    /// else `~/.local/state/assay/cache-key`. Not in the cache directory:
    /// whoever can write the cache (a CI cache restored from another run)
    /// must not be able to supply the key too.
    pub fn default_key_file() -> Option<PathBuf> {
        let absolute = |var: &str| {
            std::env::var_os(var)
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
        };
        let state = absolute("XDG_STATE_HOME")
            .or_else(|| absolute("HOME").map(|h| h.join(".local/state")))?;
        Some(state.join("assay").join("cache-key"))
    }

    /// The cache, opened (and checked) on first use; `None` when there is
    /// none or it is not fit to use, which is warned about once.
    fn cache(&self) -> Option<&Cache> {
        self.cache
            .get_or_init(|| {
                let dir = self.cache_dir.as_deref()?;
                Cache::open(dir, self.key_file.as_deref().map(Path::new)).unwrap_or_else(
                    |warning| {
                        (self.warn)(&warning);
                        None
                    },
                )
            })
            .as_ref()
    }

    /// Loads a module built by `assay build`, compiling it only when the
    /// cache has no precompiled copy for this module and engine. Its policy
    /// text must be what its `sourceHash` names.
    pub fn load(&self, bytes: &[u8]) -> Result<LoadedModule, ModuleError> {
        // Another ABI version is said as such, whatever else is wrong.
        let abi_version = metadata(bytes).map_err(ModuleError::Invalid)?.abi_version;
        if abi_version != ABI_VERSION {
            return Err(ModuleError::Abi { found: abi_version });
        }
        let metadata = contents(bytes)?.metadata;
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
        let Some(cache) = self.cache() else {
            return Module::new(&self.engine, bytes).map_err(invalid);
        };
        // BLAKE3: hashing a 5 MB module with SHA-256 took most of a cached load.
        let digest = blake3::hash(bytes);
        match cache.read(&digest, &self.engine_hash) {
            Lookup::Hit(entry) => {
                // SAFETY: the code is what this user's cache key vouches
                // this host wrote for this module and engine (cache.rs).
                match unsafe { Module::deserialize(&self.engine, entry.code()) } {
                    Ok(module) => return Ok(module),
                    Err(e) => (self.warn)(&format!(
                        "cached machine code of a module does not load ({}); compiling it again",
                        one_line(&e)
                    )),
                }
            }
            Lookup::Miss => {}
            Lookup::Bad(warning) => (self.warn)(&warning),
        }
        let module = Module::new(&self.engine, bytes).map_err(invalid)?;
        if let Ok(serialized) = module.serialize() {
            cache.write(&digest, &self.engine_hash, &serialized);
        }
        Ok(module)
    }
}

/// Feeds what `Hash` writes into BLAKE3.
struct Blake3Hasher(blake3::Hasher);

impl Hasher for Blake3Hasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        let hash = self.0.finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&hash.as_bytes()[..8]);
        u64::from_le_bytes(first)
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
            .max_memory_size(usize::try_from(MAX_MEMORY).unwrap_or(limits.memory));
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
    /// Calls from now on run within `limits` (its host's, unless set).
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
        let slot = self.instance.get_mut().unwrap_or_else(|p| p.into_inner());
        if let Some(live) = slot {
            live.store.data_mut().max_memory = limits.memory;
        }
    }

    /// The limits its calls run within.
    pub fn limits(&self) -> Limits {
        self.limits
    }

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
