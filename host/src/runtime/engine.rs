//! The wasmtime engine and the on-disk cache of compiled components.

use crate::settings::Settings;
use sha2::{Digest, Sha256};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::Duration;
use wasmtime::component::Component;
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// Decommits gathered before one batch is returned to the kernel.
const DECOMMIT_BATCH: usize = 32;

/// How often the epoch advances: the granularity of the CPU deadline.
pub const EPOCH_TICK: Duration = Duration::from_millis(5);

/// A running instance yields to the executor at this tick since it last did, so it holds a
/// worker for 5 to 10 ms at most.
pub const TICKS_BETWEEN_YIELDS: u32 = 2;

/// Builds the engine: component model, async, epoch interruption, pooling allocator sized
/// from the settings (each instance's memory capped at `memory_limit_bytes`).
pub fn build(settings: &Settings) -> anyhow::Result<Engine> {
    widen_compile_pool();
    let mut pool = PoolingAllocationConfig::default();
    let instances = settings.max_instances;
    pool.total_component_instances(instances)
        .total_core_instances(instances.saturating_mul(8))
        .total_memories(instances.saturating_mul(2))
        .total_tables(instances.saturating_mul(4))
        .total_stacks(instances)
        .max_core_instances_per_component(32)
        .max_memories_per_component(4)
        .max_tables_per_component(8)
        // Each store's own limit is lower for every component but `media`.
        .max_memory_size(settings.memory_limit_bytes.max(settings.media_memory_limit_bytes))
        // Returning an instance's pages to the kernel (madvise) after every request costs a
        // TLB shootdown on every core, and the next instance a page fault per page it
        // touches: the largest costs per request in profiles. Linux's PAGEMAP_SCAN finds the
        // pages an instance wrote, wherever they are (the guest's stack sits at the top of
        // its first MiB, its heap above its data), so those are reset in place, up to the
        // budget; only the rest is decommitted, in batches. Without it (Linux before 6.7)
        // the lowest bytes are reset whether written or not, so only a little is kept.
        .pagemap_scan(wasmtime::Enabled::Auto)
        .linear_memory_keep_resident(keep_resident(settings.keep_resident_bytes))
        .table_keep_resident(64 << 10)
        .async_stack_keep_resident(64 << 10)
        .decommit_batch_size(DECOMMIT_BATCH);
    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .epoch_interruption(true)
        .parallel_compilation(true)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    if settings.wasm_perf_map {
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    Ok(Engine::new(&config)?)
}

/// What is kept resident when the kernel cannot say which pages were written: that much
/// is reset after every instance, written or not.
const KEEP_RESIDENT_WITHOUT_PAGEMAP: usize = 128 << 10;

/// The memory a pool slot keeps resident: the setting where PAGEMAP_SCAN finds the written
/// pages, else at most [`KEEP_RESIDENT_WITHOUT_PAGEMAP`].
fn keep_resident(setting: usize) -> usize {
    if PoolingAllocationConfig::is_pagemap_scan_available() {
        setting
    } else {
        tracing::info!("PAGEMAP_SCAN is not available: instance memory is reset without knowing which pages were written");
        setting.min(KEEP_RESIDENT_WITHOUT_PAGEMAP)
    }
}

/// Threads of the pool cranelift compiles on, per core.
const COMPILE_THREADS_PER_CORE: usize = 4;

/// A hot swap must compile while every core serves requests. The kernel shares a core
/// between runnable threads, so a pool of one thread per core gets a small share and the
/// swap waits. More compile threads than cores keep its share (and cost nothing when the
/// host is idle). The pool is process-wide and set once; later calls change nothing.
fn widen_compile_pool() {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(cores * COMPILE_THREADS_PER_CORE)
        .thread_name(|i| format!("compile-{i}"))
        .build_global();
}

/// Advances the engine's epoch every [`EPOCH_TICK`] until the engine is dropped.
pub fn start_epoch_ticker(engine: &Engine) {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("epoch-ticker".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .map(drop)
        .unwrap_or_else(|e| tracing::error!(error = %e, "the epoch ticker could not start: CPU deadlines will not fire"));
}

/// Compiled components on disk, keyed by the component's hash and the engine's settings, so
/// a restart (or swapping back to a known build) deserialises instead of compiling.
pub struct CompileCache {
    dir: PathBuf,
    engine_key: String,
}

/// The hex SHA-256 of bytes: a component's version.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl CompileCache {
    /// A cache under `dir` for components compiled by `engine`.
    pub fn new(dir: &Path, engine: &Engine) -> Self {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        Self { dir: dir.to_owned(), engine_key: format!("{:016x}", hasher.finish()) }
    }

    /// The compiled component for these bytes (whose hash is `version`), from the cache or
    /// freshly compiled (then stored). Runs on the blocking pool.
    pub async fn component(&self, engine: &Engine, version: &str, wasm: Vec<u8>) -> anyhow::Result<(Component, bool)> {
        let path = self.dir.join(format!("{version}-{}.cwasm", self.engine_key));
        let dir = self.dir.clone();
        let engine = engine.clone();
        tokio::task::spawn_blocking(move || {
            if path.exists() {
                // SAFETY: the file was written by `Component::serialize` of an engine with the
                // same compatibility hash, into the host's own cache directory.
                match unsafe { Component::deserialize_file(&engine, &path) } {
                    Ok(component) => return Ok((component, true)),
                    Err(e) => tracing::warn!(path = %path.display(), error = %e, "ignoring an unusable cached component"),
                }
            }
            let component = Component::new(&engine, &wasm).map_err(anyhow::Error::from)?;
            // Cache it off the swap's path: the new version need not wait for the disk.
            let cached = component.clone();
            tokio::task::spawn_blocking(move || {
                if let Err(e) = store(&dir, &path, &cached) {
                    tracing::warn!(path = %path.display(), error = %e, "could not cache a compiled component");
                }
            });
            Ok((component, false))
        })
        .await?
    }
}

fn store(dir: &Path, path: &Path, component: &Component) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let tmp = path.with_extension(format!("tmp-{}", uuid::Uuid::now_v7().simple()));
    std::fs::write(&tmp, component.serialize().map_err(anyhow::Error::from)?)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}
