//! The conformance suite of the `documents` backends (`shop_documents::conformance`, shared
//! with the Spin adapter's engine) on the host's stores: every scenario runs against the
//! embedded store, and against MongoDB whenever `MONGODB_URI` is set (then it really runs:
//! a failure to connect fails the test, it is never skipped).

use super::mongo::MongoStore;
use super::sqlite::SqliteStore;
use super::{Clause, Collection, DocumentStore, FieldPath, IndexSpec, Query, StoreError};
use serde_json::{Map, Value};
use shop_documents::conformance::Backend;

impl Backend for DocumentStore {
    async fn get(&self, c: &Collection, id: &str) -> Result<Option<String>, StoreError> {
        DocumentStore::get(self, c, id).await
    }
    async fn find(&self, c: &Collection, q: Query) -> Result<(Vec<String>, u64), StoreError> {
        DocumentStore::find(self, c, q).await
    }
    async fn count_by(&self, c: &Collection, filter: Vec<Clause>, field: &FieldPath) -> Result<Vec<(Value, u64)>, StoreError> {
        DocumentStore::count_by(self, c, filter, field).await
    }
    async fn insert(&self, c: &Collection, doc: Map<String, Value>) -> Result<String, StoreError> {
        DocumentStore::insert(self, c, doc).await
    }
    async fn replace(&self, c: &Collection, id: &str, expected: u64, doc: Map<String, Value>) -> Result<Option<String>, StoreError> {
        DocumentStore::replace(self, c, id, expected, doc).await
    }
    async fn delete(&self, c: &Collection, id: &str, expected: Option<u64>) -> Result<bool, StoreError> {
        DocumentStore::delete(self, c, id, expected).await
    }
    async fn ensure_index(&self, c: &Collection, spec: IndexSpec) -> Result<(), StoreError> {
        DocumentStore::ensure_index(self, c, spec).await
    }
}

/// A fresh store of one backend, and what must live as long as it.
struct Fixture {
    store: DocumentStore,
    _dir: Option<tempfile::TempDir>,
}

fn embedded() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    Fixture { store: DocumentStore::Sqlite(SqliteStore::open(dir.path()).unwrap()), _dir: Some(dir) }
}

/// A MongoDB store on a database of its own, when `MONGODB_URI` is set.
async fn mongodb() -> Option<Fixture> {
    let uri = std::env::var("MONGODB_URI").ok().filter(|u| !u.is_empty())?;
    let database = format!("shop_conformance_{}", uuid::Uuid::now_v7().simple());
    let store = MongoStore::connect(&uri, Some(&database)).await.expect("MONGODB_URI is set: the conformance suite must reach it");
    store.ping().await.expect("MONGODB_URI is set: the conformance suite must reach it");
    Some(Fixture { store: DocumentStore::Mongo(store), _dir: None })
}

/// One test per scenario and backend.
macro_rules! on_the_host_stores {
    ($($scenario:ident),* $(,)?) => {
        mod embedded_store {
            $(#[tokio::test] async fn $scenario() { shop_documents::conformance::$scenario(&super::embedded().store).await; })*
        }
        mod mongodb_store {
            $(#[tokio::test] async fn $scenario() {
                match super::mongodb().await {
                    Some(fixture) => shop_documents::conformance::$scenario(&fixture.store).await,
                    None => eprintln!("MONGODB_URI is not set: the MongoDB run of this scenario needs a server"),
                }
            })*
        }
    };
}

shop_documents::conformance_scenarios!(on_the_host_stores);
