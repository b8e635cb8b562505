//! A component slot: the version currently serving, and how a new version replaces it.

use super::engine::sha256_hex;
use super::state::HostState;
use super::{Runtime, World};
use crate::bindings::exchange::HttpExchangeServicePre;
use anyhow::{Context, anyhow};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;
use wasmtime::component::{ComponentExportIndex, InstancePre};
use wasmtime_wasi_http::p2::bindings::ProxyPre;

/// One loaded, checked and pre-instantiated version of a component.
pub struct Loaded {
    /// The SHA-256 of the component file.
    pub version: String,
    /// Ready to instantiate.
    pub pre: InstancePre<HostState>,
    /// The HTTP handler, for worlds that serve HTTP.
    pub proxy: Option<ProxyPre<HostState>>,
    /// HTTP in one call (`shop:platform/http-exchange`), for components that export it; the
    /// host prefers it to `proxy` (see ADR 0015).
    pub exchange: Option<HttpExchangeServicePre<HostState>>,
    /// The function other components call, for worlds that have one.
    pub linked_export: Option<ComponentExportIndex>,
    /// When it started serving.
    pub loaded_at: SystemTime,
    /// Whether it came from the compile cache.
    pub from_cache: bool,
}

/// A component by id: its world, its file and its current version.
pub struct Slot {
    /// The manifest id.
    pub id: String,
    /// The world it must target.
    pub world: World,
    /// The file it is loaded from and watched at.
    pub path: PathBuf,
    current: RwLock<Arc<Loaded>>,
    /// The last refusal of a new version, if the latest attempt failed.
    last_error: Mutex<Option<String>>,
    /// Serialises swaps of this slot (the watcher and the admin endpoint).
    swapping: tokio::sync::Mutex<()>,
}

/// What the operator endpoint reports of a slot.
#[derive(Debug, Serialize)]
pub struct SlotStatus {
    /// The manifest id.
    pub id: String,
    /// The world.
    pub world: &'static str,
    /// The SHA-256 of the serving version.
    pub version: String,
    /// When it started serving (seconds since the Unix epoch).
    pub loaded_at: u64,
    /// Why the latest new version was refused, if it was.
    pub last_error: Option<String>,
}

/// What a swap did.
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum SwapOutcome {
    /// The file holds the version already serving.
    Unchanged {
        /// The serving version.
        version: String,
    },
    /// A new version serves from now on.
    Swapped {
        /// The version replaced.
        from: String,
        /// The version now serving.
        to: String,
    },
}

impl Slot {
    /// A slot serving `loaded`.
    pub fn new(id: String, world: World, path: PathBuf, loaded: Loaded) -> Self {
        Self {
            id,
            world,
            path,
            current: RwLock::new(Arc::new(loaded)),
            last_error: Mutex::new(None),
            swapping: tokio::sync::Mutex::new(()),
        }
    }

    /// The version serving now. Callers keep the `Arc` for the whole request, so a swap
    /// never disturbs a request in flight.
    pub fn current(&self) -> Arc<Loaded> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The slot's status for operators.
    pub fn status(&self) -> SlotStatus {
        let current = self.current();
        SlotStatus {
            id: self.id.clone(),
            world: self.world.name(),
            version: current.version.clone(),
            loaded_at: current.loaded_at.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0),
            last_error: self.last_error.lock().ok().and_then(|e| e.clone()),
        }
    }

    /// Loads the file again and, if it holds a new version that targets the slot's world,
    /// makes it the current one. A refused version leaves the current one serving.
    pub async fn reload(&self, runtime: &Runtime) -> anyhow::Result<SwapOutcome> {
        let _one_at_a_time = self.swapping.lock().await;
        let bytes = tokio::fs::read(&self.path).await.with_context(|| format!("reading {}", self.path.display()))?;
        let version = sha256_hex(&bytes);
        let old = self.current();
        if version == old.version {
            return Ok(SwapOutcome::Unchanged { version });
        }
        match prepare(runtime, self.world, bytes, version).await {
            Ok(loaded) => {
                let to = loaded.version.clone();
                match self.current.write() {
                    Ok(mut guard) => *guard = Arc::new(loaded),
                    Err(poisoned) => *poisoned.into_inner() = Arc::new(loaded),
                }
                if let Ok(mut e) = self.last_error.lock() {
                    *e = None;
                }
                tracing::info!(component = %self.id, from = %old.version, to = %to, "component swapped");
                if let Some(cache) = &runtime.responses {
                    cache.forget_component(&self.id);
                }
                runtime.metrics.swap(&self.id, crate::metrics::SwapResult::Swapped);
                Ok(SwapOutcome::Swapped { from: old.version.clone(), to })
            }
            Err(error) => {
                tracing::warn!(component = %self.id, error = format!("{error:#}"), "new component version refused; the old one keeps serving");
                runtime.metrics.swap(&self.id, crate::metrics::SwapResult::Refused);
                if let Ok(mut e) = self.last_error.lock() {
                    *e = Some(format!("{error:#}"));
                }
                Err(error)
            }
        }
    }
}

/// The index of `interface#function` among a component's exports.
pub fn export_index(component: &wasmtime::component::Component, interface: &str, function: &str) -> Option<ComponentExportIndex> {
    let instance = component.get_export_index(None, interface)?;
    component.get_export_index(Some(&instance), function)
}

/// Loads a component file for a world.
pub async fn load(runtime: &Runtime, world: World, path: &Path) -> anyhow::Result<Loaded> {
    let bytes = tokio::fs::read(path)
        .await
        .with_context(|| format!("reading {} (build the components with `cargo xtask build`)", path.display()))?;
    let version = sha256_hex(&bytes);
    prepare(runtime, world, bytes, version).await
}

/// Compiles (or takes from the cache) and checks a component against its world.
async fn prepare(runtime: &Runtime, world: World, bytes: Vec<u8>, version: String) -> anyhow::Result<Loaded> {
    let (component, from_cache) = runtime.cache.component(&runtime.engine, &version, bytes).await?;
    let pre = runtime
        .linker(world)
        .instantiate_pre(&component)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("the component imports something the {} world does not provide", world.name()))?;
    let proxy = if world.serves_http() {
        Some(
            ProxyPre::new(pre.clone())
                .map_err(anyhow::Error::from)
                .with_context(|| format!("the {} world must export wasi:http/incoming-handler", world.name()))?,
        )
    } else {
        None
    };
    // Optional: a component without it (or with another version of it) is served through
    // wasi:http alone.
    let exchange = if world.serves_http() { HttpExchangeServicePre::new(pre.clone()).ok() } else { None };
    let mut exports = Vec::new();
    for (interface, function) in world.required_exports() {
        exports.push(
            export_index(&component, interface, function)
                .ok_or_else(|| anyhow!("the {} world must export {interface}#{function}", world.name()))?,
        );
    }
    let linked_export = exports.first().copied();
    Ok(Loaded { version, pre, proxy, exchange, linked_export, loaded_at: SystemTime::now(), from_cache })
}
