//! The per-instance state of a store. The capability imports it serves are implemented
//! beside their providers in `capabilities/` (`documents::wit`, `blobs`, `config`), the calls
//! to other components in `links`.

use super::Runtime;
use response_cache::Trace;
use std::sync::Arc;
use std::time::Instant;
use wasmtime::component::ResourceTable;
use wasmtime::{StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks};

/// The component that decodes images, which gets its own memory limit.
const MEDIA: &str = "media";

/// How much longer than its deadline a request may last in all, waits for a thread included.
pub const WALL_LIMIT_FACTOR: u32 = 3;

/// What a store holds for one component instance.
pub struct HostState {
    /// The component's manifest id.
    pub component: Arc<str>,
    /// Shared capability providers and the other components.
    pub runtime: Arc<Runtime>,
    /// When the call must be over: `SHOP_CPU_DEADLINE_MS` of the instance's own time, so it
    /// moves later by the time spent in calls to other components (which have deadlines of
    /// their own) and by the time the instance waited for a thread after yielding one (other
    /// requests' time, however busy the host is).
    pub deadline: Instant,
    /// When the call must be over whatever the reason: [`WALL_LIMIT_FACTOR`] times the
    /// deadline, moved only by calls to other components. A host too busy to give a request
    /// its time still ends it.
    pub wall_limit: Instant,
    /// When this instance last yielded its thread (see `new_store`), until it runs again.
    pub(crate) yielded_at: Option<Instant>,
    pub(crate) limits: Limits,
    /// Epoch ticks seen since this instance last yielded to the executor (see `new_store`).
    pub(crate) ticks_since_yield: u32,
    /// What this instance read and did, for the response cache (only for the instance that
    /// answers an HTTP request).
    pub(crate) trace: Option<Arc<std::sync::Mutex<Trace>>>,
    wasi: WasiCtx,
    http: WasiHttpCtx,
    hooks: DenyOutbound,
    table: ResourceTable,
}

impl HostState {
    /// State for one instance of `component`: no preopens, no environment, no network;
    /// stderr is kept so a guest's panic message reaches the host's log.
    pub fn new(runtime: Arc<Runtime>, component: Arc<str>) -> Self {
        let memory = if &*component == MEDIA { runtime.settings.media_memory_limit_bytes } else { runtime.settings.memory_limit_bytes };
        let limits = Limits { store: StoreLimitsBuilder::new().memory_size(memory).trap_on_grow_failure(true).build(), grows: 0 };
        let now = Instant::now();
        let deadline = now + runtime.settings.cpu_deadline;
        let wall_limit = now + runtime.settings.cpu_deadline * WALL_LIMIT_FACTOR;
        let wasi = WasiCtx::builder().inherit_stderr().build();
        Self {
            component,
            runtime,
            deadline,
            wall_limit,
            yielded_at: None,
            limits,
            ticks_since_yield: 0,
            trace: None,
            wasi,
            http: WasiHttpCtx::new(),
            hooks: DenyOutbound,
            table: ResourceTable::new(),
        }
    }

    /// Moves the deadline and the wall limit later by `elapsed`: time spent in a call to
    /// another component, which ran under its own deadline.
    pub(crate) fn exclude(&mut self, elapsed: std::time::Duration) {
        self.deadline += elapsed;
        self.wall_limit += elapsed;
    }

    /// Notes a read of `collection` for the response cache.
    pub(crate) fn traced_read(&self, collection: &str) {
        if let Some(trace) = &self.trace
            && let Ok(mut trace) = trace.lock()
        {
            trace.read(collection);
        }
    }

    /// Notes something that makes this instance's answer unfit to keep.
    pub(crate) fn untraceable(&self) {
        if let Some(trace) = &self.trace
            && let Ok(mut trace) = trace.lock()
        {
            trace.uncacheable = true;
        }
    }

    /// Notes a write to `collection`: cached answers that read it are stale from now on.
    pub(crate) fn traced_write(&self, collection: &str) {
        self.untraceable();
        self.runtime.changes.wrote(collection);
    }

    /// The wasi:http view (for the linker).
    pub fn http_view(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView { ctx: &mut self.http, table: &mut self.table, hooks: &mut self.hooks }
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

/// The store's limits, counting how often the instance grew a memory past its initial size.
/// A component is built with enough initial memory for a request (see
/// `components/.cargo/config.toml`): each growth costs page-protection changes now and when
/// the pool slot is reused, which the `component_memory_grows` metric makes visible.
pub(crate) struct Limits {
    store: StoreLimits,
    grows: u64,
}

impl wasmtime::ResourceLimiter for Limits {
    fn memory_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        // `current` is 0 when an instance's memory is created at its initial size.
        if current > 0 {
            self.grows += 1;
        }
        self.store.memory_growing(current, desired, maximum)
    }

    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.store.memory_grow_failed(error)
    }

    fn table_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        self.store.table_growing(current, desired, maximum)
    }

    fn table_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.store.table_grow_failed(error)
    }

    fn instances(&self) -> usize {
        self.store.instances()
    }

    fn tables(&self) -> usize {
        self.store.tables()
    }

    fn memories(&self) -> usize {
        self.store.memories()
    }
}

impl Drop for HostState {
    fn drop(&mut self) {
        if self.limits.grows > 0 {
            self.runtime.metrics.memory_grown(&self.component, self.limits.grows);
        }
    }
}

/// wasi:http hooks that refuse every outgoing request. (The outgoing handler is not even
/// linked; this keeps the refusal if it ever is.)
#[derive(Debug, Default, Clone, Copy)]
pub struct DenyOutbound;

impl WasiHttpHooks for DenyOutbound {
    fn send_request(
        &mut self,
        _request: http::Request<wasmtime_wasi_http::WasiBody>,
        _options: Option<wasmtime_wasi_http::RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), wasmtime_wasi_http::Error>> + Send>,
    ) -> Box<
        dyn Future<
                Output = Result<
                    (http::Response<wasmtime_wasi_http::WasiBody>, Box<dyn Future<Output = Result<(), wasmtime_wasi_http::Error>> + Send>),
                    wasmtime_wasi_http::Error,
                >,
            > + Send,
    > {
        Box::new(async { Err(wasmtime_wasi_http::Error::HttpRequestDenied) })
    }
}
