//! `shop:platform/documents` as components call it: each call's WIT types checked and
//! converted (collection names, field paths, JSON values) before the store sees them, its
//! reads and writes noted for the response cache, its failures counted and logged.

use super::{Clause, Collection, FieldPath, IndexKind, IndexSpec, Key, Op, Query, StoreError};
use crate::bindings::shop::platform::documents;
use crate::runtime::Runtime;
use crate::runtime::state::HostState;
use std::time::Instant;

impl From<StoreError> for documents::Error {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict(m) => Self::Conflict(m),
            StoreError::Duplicate(m) => Self::Duplicate(m),
            StoreError::Invalid(m) => Self::Invalid(m),
            StoreError::Unavailable(m) => Self::Unavailable(m),
            StoreError::Full(m) => Self::Full(m),
            StoreError::Internal(m) => Self::Internal(m),
        }
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
        StoreError::Full(_) => "full",
        StoreError::Internal(_) => "internal",
    };
    runtime.metrics.store_error(runtime.documents.backend(), operation, kind);
    match &error {
        StoreError::Internal(_) | StoreError::Unavailable(_) | StoreError::Full(_) => {
            tracing::error!(component, operation, error = %error, "document store failure")
        }
        StoreError::Invalid(_) => tracing::warn!(component, operation, error = %error, "invalid document store call"),
        _ => {}
    }
    error.into()
}

impl From<documents::Op> for Op {
    fn from(op: documents::Op) -> Self {
        use documents::Op as W;
        match op {
            W::Eq => Op::Eq,
            W::Ne => Op::Ne,
            W::Gt => Op::Gt,
            W::Gte => Op::Gte,
            W::Lt => Op::Lt,
            W::Lte => Op::Lte,
            W::InList => Op::In,
            W::Exists => Op::Exists,
        }
    }
}

impl From<documents::IndexKind> for IndexKind {
    fn from(kind: documents::IndexKind) -> Self {
        match kind {
            documents::IndexKind::Regular => IndexKind::Regular,
            documents::IndexKind::Unique => IndexKind::Unique,
            documents::IndexKind::Text => IndexKind::Text,
        }
    }
}

fn keys(keys: Vec<documents::Key>) -> Result<Vec<Key>, StoreError> {
    keys.into_iter().map(|k| Ok(Key { field: FieldPath::parse(&k.field)?, descending: k.descending })).collect()
}

fn query(q: documents::Query) -> Result<Query, StoreError> {
    let filter = q.filter.into_iter().map(|c| Clause::parse(&c.field, c.op.into(), &c.value)).collect::<Result<_, _>>()?;
    Ok(Query { filter, text: q.text.map(|t| super::text::words(&t)), sort: keys(q.sort)?, skip: q.skip, limit: q.limit })
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
            let filter = filter.into_iter().map(|c| Clause::parse(&c.field, c.op.into(), &c.value)).collect::<Result<Vec<_>, _>>()?;
            let counts = self.runtime.documents.count_by(&c, filter, &FieldPath::parse(&field)?).await?;
            Ok(counts.into_iter().map(|(value, n)| (value.to_string(), n)).collect())
        }
        .await;
        Ok(result.map_err(|e| report(&self.runtime, &self.component, "count-by", e)))
    }

    #[tracing::instrument(name = "documents.insert", target = "capability", level = "debug", skip_all, fields(component = %self.component, collection = %collection))]
    async fn insert(&mut self, collection: String, doc: String) -> wasmtime::Result<Result<String, documents::Error>> {
        let result = async { self.runtime.documents.insert(&Collection::parse(&collection)?, super::parse_document(&doc)?).await }.await;
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
            self.runtime.documents.replace(&c, &id, expected_version, super::parse_document(&doc)?).await
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
            Ok((c, IndexSpec::parse(&spec.name, keys(spec.keys)?, spec.kind.into())?))
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
