//! `shop:platform/documents` over Spin's SQLite (`spin:sqlite`), for the same service
//! components under `spin up`.
//!
//! The store is [`shop_documents::engine`]: the embedded store's SQL dialect, with every write
//! one statement (Spin may share one connection between concurrent requests, so a
//! transaction spanning calls is not safe). The connection to the database "default" opens
//! on the first call; an engine lives as long as the component instance (one request).

wit_bindgen::generate!({
    path: "../../../wit",
    world: "spin-documents",
    generate_all,
});

use exports::shop::platform::documents::{self as wit, Guest};
use shop_documents::engine::{Engine, Sql, SqlError};
use shop_documents::sql::SqlValue;
use shop_documents::{Clause, Collection, FieldPath, IndexKind, IndexSpec, Key, Op, Query, StoreError, parse_document, text};
use spin::sqlite::sqlite as spin_sqlite;
use std::cell::RefCell;

/// The database every component of the application shares (`sqlite_databases` in `spin.toml`).
const DATABASE: &str = "default";

struct SpinSqlite(spin_sqlite::Connection);

impl Sql for SpinSqlite {
    fn run(&self, statement: &str, params: &[SqlValue]) -> Result<Vec<Vec<SqlValue>>, SqlError> {
        let params: Vec<spin_sqlite::Value> = params
            .iter()
            .map(|p| match p {
                SqlValue::Null => spin_sqlite::Value::Null,
                SqlValue::Integer(i) => spin_sqlite::Value::Integer(*i),
                SqlValue::Real(r) => spin_sqlite::Value::Real(*r),
                SqlValue::Text(t) => spin_sqlite::Value::Text(t.clone()),
            })
            .collect();
        let result = self.0.execute(statement, &params).map_err(sql_error)?;
        Ok(result
            .rows
            .into_iter()
            .map(|row| {
                row.values
                    .into_iter()
                    .map(|v| match v {
                        spin_sqlite::Value::Integer(i) => SqlValue::Integer(i),
                        spin_sqlite::Value::Real(r) => SqlValue::Real(r),
                        spin_sqlite::Value::Text(t) => SqlValue::Text(t),
                        spin_sqlite::Value::Blob(_) | spin_sqlite::Value::Null => SqlValue::Null,
                    })
                    .collect()
            })
            .collect())
    }
}

fn sql_error(error: spin_sqlite::Error) -> SqlError {
    match error {
        spin_sqlite::Error::Io(message) => SqlError::Failed(message),
        spin_sqlite::Error::DatabaseFull => SqlError::Full("database or disk is full".into()),
        other => SqlError::Unavailable(format!("{other:?}")),
    }
}

thread_local! {
    static ENGINE: RefCell<Option<Engine<SpinSqlite>>> = const { RefCell::new(None) };
}

/// Runs `f` on this instance's engine, opening the database first if needed (a failed open
/// is retried on the next call).
fn with_engine<T>(f: impl FnOnce(&Engine<SpinSqlite>) -> Result<T, StoreError>) -> Result<T, wit::Error> {
    ENGINE
        .with(|cell| {
            let mut slot = cell.borrow_mut();
            if slot.is_none() {
                let conn = spin_sqlite::Connection::open(DATABASE)
                    .map_err(|e| StoreError::Unavailable(format!("opening the {DATABASE} database: {e:?}")))?;
                *slot = Some(Engine::new(SpinSqlite(conn)));
            }
            f(slot.as_ref().expect("opened above"))
        })
        .map_err(to_wit)
}

fn to_wit(error: StoreError) -> wit::Error {
    match error {
        StoreError::Conflict(m) => wit::Error::Conflict(m),
        StoreError::Duplicate(m) => wit::Error::Duplicate(m),
        StoreError::Invalid(m) => wit::Error::Invalid(m),
        StoreError::Unavailable(m) => wit::Error::Unavailable(m),
        StoreError::Full(m) => wit::Error::Full(m),
        StoreError::Internal(m) => wit::Error::Internal(m),
    }
}

fn op(op: wit::Op) -> Op {
    match op {
        wit::Op::Eq => Op::Eq,
        wit::Op::Ne => Op::Ne,
        wit::Op::Gt => Op::Gt,
        wit::Op::Gte => Op::Gte,
        wit::Op::Lt => Op::Lt,
        wit::Op::Lte => Op::Lte,
        wit::Op::InList => Op::In,
        wit::Op::Exists => Op::Exists,
    }
}

fn clauses(filter: Vec<wit::Clause>) -> Result<Vec<Clause>, StoreError> {
    filter.into_iter().map(|c| Clause::parse(&c.field, op(c.op), &c.value)).collect()
}

fn keys(keys: Vec<wit::Key>) -> Result<Vec<Key>, StoreError> {
    keys.into_iter().map(|k| Ok(Key { field: FieldPath::parse(&k.field)?, descending: k.descending })).collect()
}

struct SpinDocuments;

impl Guest for SpinDocuments {
    fn get(collection: String, id: String) -> Result<Option<String>, wit::Error> {
        with_engine(|e| e.get(&Collection::parse(&collection)?, &id))
    }

    fn find(collection: String, q: wit::Query) -> Result<wit::Page, wit::Error> {
        with_engine(|e| {
            let query = Query {
                filter: clauses(q.filter)?,
                text: q.text.map(|t| text::words(&t)),
                sort: keys(q.sort)?,
                skip: q.skip,
                limit: q.limit,
            };
            let (items, total) = e.find(&Collection::parse(&collection)?, &query)?;
            Ok(wit::Page { items, total })
        })
    }

    fn count_by(collection: String, filter: Vec<wit::Clause>, field: String) -> Result<Vec<(String, u64)>, wit::Error> {
        with_engine(|e| {
            let counts = e.count_by(&Collection::parse(&collection)?, &clauses(filter)?, &FieldPath::parse(&field)?)?;
            Ok(counts.into_iter().map(|(value, n)| (value.to_string(), n)).collect())
        })
    }

    fn insert(collection: String, doc: String) -> Result<String, wit::Error> {
        with_engine(|e| e.insert(&Collection::parse(&collection)?, parse_document(&doc)?))
    }

    fn replace(collection: String, id: String, expected_version: u64, doc: String) -> Result<Option<String>, wit::Error> {
        with_engine(|e| e.replace(&Collection::parse(&collection)?, &id, expected_version, parse_document(&doc)?))
    }

    fn delete(collection: String, id: String, expected_version: Option<u64>) -> Result<bool, wit::Error> {
        with_engine(|e| e.delete(&Collection::parse(&collection)?, &id, expected_version))
    }

    fn ensure_index(collection: String, spec: wit::IndexSpec) -> Result<(), wit::Error> {
        with_engine(|e| e.ensure_index(&Collection::parse(&collection)?, index_spec(spec)?))
    }

    fn ensure_indexes(collection: String, specs: Vec<wit::IndexSpec>) -> Result<(), wit::Error> {
        with_engine(|e| {
            let c = Collection::parse(&collection)?;
            specs.into_iter().try_for_each(|spec| e.ensure_index(&c, index_spec(spec)?))
        })
    }
}

fn index_spec(spec: wit::IndexSpec) -> Result<IndexSpec, StoreError> {
    let kind = match spec.kind {
        wit::IndexKind::Regular => IndexKind::Regular,
        wit::IndexKind::Unique => IndexKind::Unique,
        wit::IndexKind::Text => IndexKind::Text,
    };
    IndexSpec::parse(&spec.name, keys(spec.keys)?, kind)
}

export!(SpinDocuments);
