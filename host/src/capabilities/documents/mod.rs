//! The `documents` capability: JSON documents in collections, over a chosen backend.
//!
//! This module owns the backend-neutral part: parsing what a component sent (collection
//! names, field paths, JSON values) into checked types, so each backend receives only valid
//! requests. `sqlite` is the embedded default; `wit` is the interface components call.

#[cfg(test)]
mod conformance;
pub mod mongo;
pub mod sqlite;
mod wit;

use serde_json::{Map, Value};

pub use shop_documents::{
    Clause, Collection, FieldPath, IndexKind, IndexSpec, Key, MAX_LIMIT, Op, Query, StoreError, check_id, document_id, new_id,
    parse_document, text,
};

/// The document store the host was configured with.
pub enum DocumentStore {
    /// The embedded SQLite store.
    Sqlite(sqlite::SqliteStore),
    /// MongoDB.
    Mongo(mongo::MongoStore),
}

/// Calls the same method on whichever backend is configured.
macro_rules! dispatch {
    ($self:ident, $store:ident => $call:expr) => {
        match $self {
            Self::Sqlite($store) => $call,
            Self::Mongo($store) => $call,
        }
    };
}

impl DocumentStore {
    /// The backend's name, for logs and `/readyz`.
    pub fn backend(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "embedded",
            Self::Mongo(_) => "mongodb",
        }
    }

    /// Whether the store answers now.
    pub async fn ping(&self) -> Result<(), StoreError> {
        dispatch!(self, s => s.ping().await)
    }

    /// See `documents.get`.
    pub async fn get(&self, c: &Collection, id: &str) -> Result<Option<String>, StoreError> {
        dispatch!(self, s => s.get(c, id).await)
    }

    /// See `documents.find`; returns the documents' JSON and the total.
    pub async fn find(&self, c: &Collection, q: Query) -> Result<(Vec<String>, u64), StoreError> {
        dispatch!(self, s => s.find(c, q).await)
    }

    /// See `documents.insert`.
    pub async fn count_by(&self, c: &Collection, filter: Vec<Clause>, field: &FieldPath) -> Result<Vec<(Value, u64)>, StoreError> {
        dispatch!(self, s => s.count_by(c, filter, field).await)
    }

    /// Stores a new document at version 1.
    pub async fn insert(&self, c: &Collection, doc: Map<String, Value>) -> Result<String, StoreError> {
        dispatch!(self, s => s.insert(c, doc).await)
    }

    /// See `documents.replace`.
    pub async fn replace(&self, c: &Collection, id: &str, expected: u64, doc: Map<String, Value>) -> Result<Option<String>, StoreError> {
        dispatch!(self, s => s.replace(c, id, expected, doc).await)
    }

    /// See `documents.delete`.
    pub async fn delete(&self, c: &Collection, id: &str, expected: Option<u64>) -> Result<bool, StoreError> {
        dispatch!(self, s => s.delete(c, id, expected).await)
    }

    /// See `documents.ensure-index`.
    pub async fn ensure_index(&self, c: &Collection, spec: IndexSpec) -> Result<(), StoreError> {
        dispatch!(self, s => s.ensure_index(c, spec).await)
    }
}
