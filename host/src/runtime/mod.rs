//! The component runtime: one wasmtime engine with the pooling allocator, a slot per
//! component holding its current pre-instantiated version, and a fresh instance per call.

pub mod engine;
pub mod links;
pub mod serve;
pub mod slot;
pub mod state;
pub mod world;

pub use slot::{Slot, SlotStatus};
pub use world::World;

use crate::capabilities::blobs::FsBlobs;
use crate::capabilities::config::Variables;
use crate::capabilities::documents::{Collection, DocumentStore, IndexSpec};
use crate::manifest::Manifest;
use crate::settings::Settings;
use engine::CompileCache;
use std::collections::BTreeMap;
use std::sync::Arc;
use wasmtime::Engine;
use wasmtime::component::Linker;

/// Everything a component call needs: the engine, the linkers, the slots and the
/// capability providers. Shared by every request.
pub struct Runtime {
    /// The wasmtime engine.
    pub engine: Engine,
    /// The settings the host started with.
    pub settings: Settings,
    /// The document store.
    pub documents: DocumentStore,
    /// The blob store.
    pub blobs: FsBlobs,
    /// The variables granted to each component.
    pub variables: Variables,
    /// Turns for HTTP requests (`max_concurrent_requests`): a request waits for one before its
    /// instance is made, so a burst queues instead of exhausting the instance pool.
    pub admission: Arc<tokio::sync::Semaphore>,
    /// The host's metrics (served at `/metrics`).
    pub metrics: Arc<crate::metrics::HostMetrics>,
    /// The components, by id.
    pub slots: BTreeMap<String, Arc<Slot>>,
    /// The index declarations this host has seen succeed: components declare their indexes
    /// on their first requests, and only the first declaration of each reaches the store.
    /// What changed in the store: write marks per collection (for the response cache and
    /// `/api/changes`).
    pub changes: crate::changes::Changes,
    /// The cache of components' answers to anonymous reads (none when turned off).
    pub responses: Option<Arc<response_cache::ResponseCache>>,
    pub(crate) declared_indexes: std::sync::Mutex<std::collections::HashSet<(Collection, IndexSpec)>>,
    pub(crate) cache: CompileCache,
    linkers: BTreeMap<World, Linker<state::HostState>>,
}

/// Why the runtime could not start.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// wasmtime refused the configuration.
    #[error("the WebAssembly engine could not be configured: {0:#}")]
    Engine(anyhow::Error),
    /// A component could not be loaded.
    #[error("component {id} could not be loaded from {path}: {reason:#}")]
    Component {
        /// The component id.
        id: String,
        /// Its file.
        path: String,
        /// What went wrong.
        reason: anyhow::Error,
    },
}

impl Runtime {
    /// Builds the engine and linkers and loads every component of the manifest.
    pub async fn start(
        settings: Settings,
        manifest: &Manifest,
        documents: DocumentStore,
        blobs: FsBlobs,
        variables: Variables,
    ) -> Result<Arc<Self>, RuntimeError> {
        let engine = engine::build(&settings).map_err(RuntimeError::Engine)?;
        engine::start_epoch_ticker(&engine);
        let mut linkers = BTreeMap::new();
        for world in World::ALL {
            linkers.insert(world, world.linker(&engine).map_err(|e| RuntimeError::Engine(e.into()))?);
        }
        let cache = CompileCache::new(&settings.cache_dir, &engine);
        let metrics = Arc::new(crate::metrics::HostMetrics::new());
        let admission = Arc::new(tokio::sync::Semaphore::new(settings.max_concurrent_requests as usize));
        let changes = crate::changes::Changes::default();
        let responses = settings.response_cache.map(|limits| {
            Arc::new(response_cache::ResponseCache::new(
                limits.budget_bytes,
                limits.max_entry_bytes,
                metrics.cache.clone(),
                changes.versions().clone(),
            ))
        });
        let mut runtime = Self {
            engine,
            settings,
            documents,
            blobs,
            variables,
            admission,
            metrics,
            slots: BTreeMap::new(),
            changes,
            responses,
            declared_indexes: Default::default(),
            cache,
            linkers,
        };
        for id in manifest.components.keys() {
            let world = World::for_component(id);
            let path = runtime.settings.components_dir.join(format!("{id}.wasm"));
            let loaded = slot::load(&runtime, world, &path).await.map_err(|reason| RuntimeError::Component {
                id: id.clone(),
                path: path.display().to_string(),
                reason,
            })?;
            tracing::info!(component = %id, world = world.name(), version = %loaded.version, "component loaded");
            runtime.slots.insert(id.clone(), Arc::new(Slot::new(id.clone(), world, path, loaded)));
        }
        Ok(Arc::new(runtime))
    }

    pub(crate) fn linker(&self, world: World) -> &Linker<state::HostState> {
        // Every world got a linker in `start`.
        &self.linkers[&world]
    }
}
