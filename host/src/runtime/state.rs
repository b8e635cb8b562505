//! The per-instance state of a store, and the host side of the capability imports.

use super::Runtime;
use crate::bindings::shop::platform::{blobs, config, documents};
use crate::capabilities::blobs::BlobError;
use crate::capabilities::documents::{self as docs, Clause, Collection, FieldPath, IndexSpec, Key, Query, StoreError};
use response_cache::Trace;
use std::sync::Arc;
use std::time::Instant;
use wasmtime::component::ResourceTable;
use wasmtime::{StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks};

/// The component that decodes images, which gets its own memory limit.
const MEDIA: &str = "media";

/// What a store holds for one component instance.
pub struct HostState {
    /// The component's manifest id.
    pub component: Arc<str>,
    /// Shared capability providers and the other components.
    pub runtime: Arc<Runtime>,
    /// When the call must be over (moved later by the time spent in calls to other
    /// components, which have deadlines of their own).
    pub deadline: Instant,
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
        let deadline = Instant::now() + runtime.settings.cpu_deadline;
        let wasi = WasiCtx::builder().inherit_stderr().build();
        Self {
            component,
            runtime,
            deadline,
            limits,
            ticks_since_yield: 0,
            trace: None,
            wasi,
            http: WasiHttpCtx::new(),
            hooks: DenyOutbound,
            table: ResourceTable::new(),
        }
    }

    /// Notes a read of `collection` for the response cache.
    fn traced_read(&self, collection: &str) {
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
    fn traced_write(&self, collection: &str) {
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

fn to_wit(error: StoreError) -> documents::Error {
    match error {
        StoreError::Conflict(m) => documents::Error::Conflict(m),
        StoreError::Duplicate(m) => documents::Error::Duplicate(m),
        StoreError::Invalid(m) => documents::Error::Invalid(m),
        StoreError::Unavailable(m) => documents::Error::Unavailable(m),
        StoreError::Internal(m) => documents::Error::Internal(m),
    }
}

/// Counts a failed store call, logs failures a component cannot fix, and hands it the WIT
/// error.
fn report(runtime: &Runtime, component: &str, operation: &str, error: StoreError) -> documents::Error {
    let kind = match &error {
        StoreError::Conflict(_) => "conflict",
        StoreError::Duplicate(_) => "duplicate",
        StoreError::Invalid(_) => "invalid",
        StoreError::Unavailable(_) => "unavailable",
        StoreError::Internal(_) => "internal",
    };
    runtime.metrics.store_error(runtime.documents.backend(), operation, kind);
    match &error {
        StoreError::Internal(_) | StoreError::Unavailable(_) => {
            tracing::error!(component, operation, error = %error, "document store failure")
        }
        StoreError::Invalid(_) => tracing::warn!(component, operation, error = %error, "invalid document store call"),
        _ => {}
    }
    to_wit(error)
}

fn op(op: documents::Op) -> docs::Op {
    use documents::Op as W;
    match op {
        W::Eq => docs::Op::Eq,
        W::Ne => docs::Op::Ne,
        W::Gt => docs::Op::Gt,
        W::Gte => docs::Op::Gte,
        W::Lt => docs::Op::Lt,
        W::Lte => docs::Op::Lte,
        W::InList => docs::Op::In,
        W::Exists => docs::Op::Exists,
    }
}

fn keys(keys: Vec<documents::Key>) -> Result<Vec<Key>, StoreError> {
    keys.into_iter().map(|k| Ok(Key { field: docs::FieldPath::parse(&k.field)?, descending: k.descending })).collect()
}

fn query(q: documents::Query) -> Result<Query, StoreError> {
    let filter = q.filter.into_iter().map(|c| Clause::parse(&c.field, op(c.op), &c.value)).collect::<Result<_, _>>()?;
    Ok(Query { filter, text: q.text.map(|t| docs::text::words(&t)), sort: keys(q.sort)?, skip: q.skip, limit: q.limit })
}

impl documents::Host for HostState {
    #[tracing::instrument(name = "documents.get", target = "capability", level = "debug", skip_all, fields(component = %self.component, collection = %collection))]
    async fn get(&mut self, collection: String, id: String) -> wasmtime::Result<Result<Option<String>, documents::Error>> {
        self.traced_read(&collection);
        let result = async { self.runtime.documents.get(&Collection::parse(&collection)?, &id).await }.await;
        Ok(result.map_err(|e| report(&self.runtime, &self.component, "get", e)))
    }

    #[tracing::instrument(name = "documents.find", target = "capability", level = "debug", skip_all, fields(component = %self.component, collection = %collection))]
    async fn find(&mut self, collection: String, q: documents::Query) -> wasmtime::Result<Result<documents::Page, documents::Error>> {
        self.traced_read(&collection);
        let result = async {
            let c = Collection::parse(&collection)?;
            let (items, total) = self.runtime.documents.find(&c, query(q)?).await?;
            Ok(documents::Page { items, total })
        }
        .await;
        Ok(result.map_err(|e| report(&self.runtime, &self.component, "find", e)))
    }

    #[tracing::instrument(name = "documents.count-by", target = "capability", level = "debug", skip_all, fields(component = %self.component, collection = %collection))]
    async fn count_by(
        &mut self,
        collection: String,
        filter: Vec<documents::Clause>,
        field: String,
    ) -> wasmtime::Result<Result<Vec<(String, u64)>, documents::Error>> {
        self.traced_read(&collection);
        let result = async {
            let c = Collection::parse(&collection)?;
            let filter = filter.into_iter().map(|c| Clause::parse(&c.field, op(c.op), &c.value)).collect::<Result<Vec<_>, _>>()?;
            let counts = self.runtime.documents.count_by(&c, filter, &FieldPath::parse(&field)?).await?;
            Ok(counts.into_iter().map(|(value, n)| (value.to_string(), n)).collect())
        }
        .await;
        Ok(result.map_err(|e| report(&self.runtime, &self.component, "count-by", e)))
    }

    #[tracing::instrument(name = "documents.insert", target = "capability", level = "debug", skip_all, fields(component = %self.component, collection = %collection))]
    async fn insert(&mut self, collection: String, doc: String) -> wasmtime::Result<Result<String, documents::Error>> {
        let result = async { self.runtime.documents.insert(&Collection::parse(&collection)?, docs::parse_document(&doc)?).await }.await;
        self.traced_write(&collection);
        Ok(result.map_err(|e| report(&self.runtime, &self.component, "insert", e)))
    }

    #[tracing::instrument(name = "documents.replace", target = "capability", level = "debug", skip_all, fields(component = %self.component, collection = %collection))]
    async fn replace(
        &mut self,
        collection: String,
        id: String,
        expected_version: u64,
        doc: String,
    ) -> wasmtime::Result<Result<Option<String>, documents::Error>> {
        let result = async {
            let c = Collection::parse(&collection)?;
            self.runtime.documents.replace(&c, &id, expected_version, docs::parse_document(&doc)?).await
        }
        .await;
        self.traced_write(&collection);
        Ok(result.map_err(|e| report(&self.runtime, &self.component, "replace", e)))
    }

    #[tracing::instrument(name = "documents.delete", target = "capability", level = "debug", skip_all, fields(component = %self.component, collection = %collection))]
    async fn delete(
        &mut self,
        collection: String,
        id: String,
        expected_version: Option<u64>,
    ) -> wasmtime::Result<Result<bool, documents::Error>> {
        let result = async { self.runtime.documents.delete(&Collection::parse(&collection)?, &id, expected_version).await }.await;
        self.traced_write(&collection);
        Ok(result.map_err(|e| report(&self.runtime, &self.component, "delete", e)))
    }

    async fn ensure_index(&mut self, collection: String, spec: documents::IndexSpec) -> wasmtime::Result<Result<(), documents::Error>> {
        Ok(self.declare_index(&collection, spec, "ensure-index").await)
    }

    async fn ensure_indexes(
        &mut self,
        collection: String,
        specs: Vec<documents::IndexSpec>,
    ) -> wasmtime::Result<Result<(), documents::Error>> {
        for spec in specs {
            if let Err(error) = self.declare_index(&collection, spec, "ensure-indexes").await {
                return Ok(Err(error));
            }
        }
        Ok(Ok(()))
    }
}

impl HostState {
    /// One index declaration: a set lookup once this runtime has made the index, else the
    /// store's (idempotent) creation.
    #[tracing::instrument(name = "documents.ensure-index", target = "capability", level = "debug", skip_all, fields(component = %self.component, collection = %collection))]
    async fn declare_index(&mut self, collection: &str, spec: documents::IndexSpec, operation: &str) -> Result<(), documents::Error> {
        let parsed = (|| {
            let c = Collection::parse(collection)?;
            let kind = match spec.kind {
                documents::IndexKind::Regular => docs::IndexKind::Regular,
                documents::IndexKind::Unique => docs::IndexKind::Unique,
                documents::IndexKind::Text => docs::IndexKind::Text,
            };
            Ok((c, IndexSpec::parse(&spec.name, keys(spec.keys)?, kind)?))
        })();
        let declaration = match parsed {
            Ok(declaration) => declaration,
            Err(error) => return Err(report(&self.runtime, &self.component, operation, error)),
        };
        if self.runtime.declared_indexes.lock().is_ok_and(|declared| declared.contains(&declaration)) {
            return Ok(());
        }
        // Building an index is the store's work, not the component's: its time (seconds on
        // some MongoDB servers) does not count against the request's deadline.
        let started = Instant::now();
        let result = self.runtime.documents.ensure_index(&declaration.0, declaration.1.clone()).await;
        self.deadline += started.elapsed();
        // A new text index fills in search text for documents already stored.
        self.traced_write(collection);
        if result.is_ok()
            && let Ok(mut declared) = self.runtime.declared_indexes.lock()
        {
            declared.insert(declaration);
        }
        result.map_err(|e| report(&self.runtime, &self.component, operation, e))
    }
}

fn blob_error(component: &str, error: BlobError) -> blobs::Error {
    match error {
        BlobError::InvalidKey(key) => blobs::Error::InvalidKey(key),
        BlobError::Io(e) => {
            tracing::error!(component, error = %e, "blob storage failure");
            blobs::Error::Io(e.to_string())
        }
    }
}

impl blobs::Host for HostState {
    #[tracing::instrument(name = "blobs.put", target = "capability", level = "debug", skip_all, fields(component = %self.component, key = %key))]
    async fn put(&mut self, key: String, bytes: Vec<u8>) -> wasmtime::Result<Result<(), blobs::Error>> {
        self.untraceable();
        Ok(self.runtime.blobs.put(&key, bytes).await.map_err(|e| blob_error(&self.component, e)))
    }

    #[tracing::instrument(name = "blobs.get", target = "capability", level = "debug", skip_all, fields(component = %self.component, key = %key))]
    async fn get(&mut self, key: String) -> wasmtime::Result<Result<Option<Vec<u8>>, blobs::Error>> {
        self.untraceable();
        Ok(self.runtime.blobs.get(&key).await.map_err(|e| blob_error(&self.component, e)))
    }

    #[tracing::instrument(name = "blobs.delete", target = "capability", level = "debug", skip_all, fields(component = %self.component, key = %key))]
    async fn delete(&mut self, key: String) -> wasmtime::Result<Result<bool, blobs::Error>> {
        self.untraceable();
        Ok(self.runtime.blobs.delete(&key).await.map_err(|e| blob_error(&self.component, e)))
    }
}

impl config::Host for HostState {
    async fn get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        Ok(self.runtime.variables.get(&self.component, &key))
    }
}
