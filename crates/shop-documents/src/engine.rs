//! The document store over a connection that can only run one statement at a time.
//!
//! Spin's `spin:sqlite` offers `execute(statement, parameters)` on a connection that Spin may
//! share between concurrent requests, so a `BEGIN … COMMIT` spanning calls is not safe there.
//! Every write here is therefore a single statement:
//! - a replace or delete is one `UPDATE`/`DELETE … RETURNING` that checks the version in its
//!   `WHERE` clause;
//! - a collection with a text index keeps each document's folded words in a `search` column of
//!   its own row, and triggers copy that column into the FTS5 table (an external-content
//!   table), so the document and its search entry change in the same statement.
//!
//! Reads and filters use the shared dialect ([`crate::sql`]). This is the only store logic
//! for SQLite: the Spin adapter runs it over `spin:sqlite`, the host over rusqlite (with a
//! pool of connections, cached statements and its own transactions around the calls).
//!
//! The schema (collections, indexes) is read when first needed and kept in a
//! [`SchemaCell`]: under Spin an engine and its cell live for one request; the host shares
//! one cell between all its connections and empties it when another process changed the
//! schema.

use crate::sql::{self, SqlValue, searchable};
use crate::{Clause, Collection, FieldPath, IndexKind, IndexSpec, Query, StoreError, document_id};
use serde_json::{Map, Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

/// Why a statement failed, as the connection reports it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SqlError {
    /// The database cannot be reached or opened now.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The database or its disk is full (SQLITE_FULL).
    #[error("database full: {0}")]
    Full(String),
    /// The statement failed; SQLite's message.
    #[error("{0}")]
    Failed(String),
}

/// What the engine needs of a SQLite connection (with JSON1 and FTS5).
pub trait Sql {
    /// Runs one statement with positional parameters and returns its rows.
    fn run(&self, statement: &str, params: &[SqlValue]) -> Result<Vec<Vec<SqlValue>>, SqlError>;

    /// Runs a statement whose rows are one text column (documents' bodies) and returns the
    /// texts. By default through [`Sql::run`]; a connection may skip the row values.
    fn run_texts(&self, statement: &str, params: &[SqlValue]) -> Result<Vec<String>, SqlError> {
        self.run(statement, params)?
            .into_iter()
            .map(|row| {
                row.into_iter().next().and_then(SqlValue::into_text).ok_or_else(|| SqlError::Failed("expected a text column".into()))
            })
            .collect()
    }

    /// A count (a find's total, a count-by's groups) known by `key`: two counts with the
    /// same key are equal in the same state of the store, so a connection may remember it
    /// until anything in the store changes (the host does, by SQLite's data version). By
    /// default, `count` runs.
    fn remember<T: Clone + Send + 'static>(&self, key: String, count: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
        let _ = key;
        count()
    }
}

/// The store's view of a failed statement: unique violations name their index.
fn store_error(error: SqlError) -> StoreError {
    match error {
        SqlError::Unavailable(message) => StoreError::Unavailable(message),
        SqlError::Full(message) => StoreError::Full(message),
        SqlError::Failed(message) => {
            if let Some(index) = sql::duplicate_in(&message) {
                StoreError::Duplicate(index)
            } else if message.contains("database is locked") || message.contains("database is busy") {
                StoreError::Unavailable(message)
            } else {
                StoreError::Internal(message)
            }
        }
    }
}

/// What a store's schema holds.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    /// The collections that have a table.
    pub collections: HashSet<String>,
    /// Whether the `_indexes` table exists.
    pub has_registry: bool,
    /// Every declared index, by collection and name.
    pub indexes: HashMap<(String, String), IndexSpec>,
    /// The fields of each collection's text index.
    pub text_fields: HashMap<String, Vec<String>>,
}

/// The schema as last read, shared by the engines of one store (one per connection).
#[derive(Debug, Default)]
pub struct SchemaCell(RwLock<Option<Arc<Schema>>>);

impl SchemaCell {
    /// The schema, if it has been read (and not forgotten since).
    pub fn get(&self) -> Option<Arc<Schema>> {
        self.0.read().ok().and_then(|schema| schema.clone())
    }

    fn set(&self, schema: Arc<Schema>) {
        if let Ok(mut cell) = self.0.write() {
            *cell = Some(schema);
        }
    }

    /// Forgets the schema: the next call reads it again (another process changed it, or a
    /// transaction that changed it was rolled back).
    pub fn forget(&self) {
        if let Ok(mut cell) = self.0.write() {
            *cell = None;
        }
    }
}

/// The document store on one connection.
pub struct Engine<C> {
    conn: C,
    schema: Arc<SchemaCell>,
}

fn text_of(row: Vec<SqlValue>) -> Result<String, StoreError> {
    row.into_iter().next().and_then(SqlValue::into_text).ok_or_else(|| StoreError::Internal("expected a text column".into()))
}

fn integer_of(row: &[SqlValue]) -> Result<i64, StoreError> {
    row.first().and_then(SqlValue::as_i64).ok_or_else(|| StoreError::Internal("expected an integer column".into()))
}

impl<C: Sql> Engine<C> {
    /// A store on this connection; nothing is read until the first call.
    pub fn new(conn: C) -> Self {
        Self::with_schema(conn, Arc::default())
    }

    /// A store on this connection that shares what it knows of the schema with others.
    pub fn with_schema(conn: C, schema: Arc<SchemaCell>) -> Self {
        Self { conn, schema }
    }

    fn run(&self, statement: &str, params: &[SqlValue]) -> Result<Vec<Vec<SqlValue>>, StoreError> {
        self.conn.run(statement, params).map_err(store_error)
    }

    /// The schema, read unless the cell has it.
    pub fn schema(&self) -> Result<Arc<Schema>, StoreError> {
        if let Some(schema) = self.schema.get() {
            return Ok(schema);
        }
        let mut schema = Schema::default();
        for row in
            self.run("SELECT name FROM sqlite_master WHERE type = 'table' AND (name LIKE 'c\\_%' ESCAPE '\\' OR name = '_indexes')", &[])?
        {
            let name = text_of(row)?;
            match sql::collection_of_table(&name) {
                Some(collection) => {
                    schema.collections.insert(collection.to_owned());
                }
                None => schema.has_registry = true,
            }
        }
        if schema.has_registry {
            for row in self.run(sql::LIST_INDEXES, &[])? {
                let mut values = row.into_iter().map(SqlValue::into_text);
                let (Some(Some(collection)), Some(Some(name)), Some(Some(spec))) = (values.next(), values.next(), values.next()) else {
                    return Err(StoreError::Internal("malformed _indexes row".into()));
                };
                let spec = sql::decode_spec(&name, &spec)?;
                if spec.kind == IndexKind::Text {
                    schema.text_fields.insert(collection.clone(), spec.fields());
                }
                schema.indexes.insert((collection, name), spec);
            }
        }
        let schema = Arc::new(schema);
        self.schema.set(schema.clone());
        Ok(schema)
    }

    /// Changes the known schema (after this connection changed the database's).
    fn update_schema(&self, change: impl FnOnce(&mut Schema)) -> Result<(), StoreError> {
        let mut schema = Schema::clone(&*self.schema()?);
        change(&mut schema);
        self.schema.set(Arc::new(schema));
        Ok(())
    }

    fn has_collection(&self, c: &Collection) -> Result<bool, StoreError> {
        Ok(self.schema()?.collections.contains(c.as_str()))
    }

    /// A document's words for its collection's text index, if the collection has one.
    fn search_words(&self, c: &Collection, body: &Value) -> Result<Option<String>, StoreError> {
        Ok(self.schema()?.text_fields.get(c.as_str()).map(|fields| searchable(body, fields)))
    }

    fn create_collection(&self, c: &Collection) -> Result<(), StoreError> {
        if self.has_collection(c)? {
            return Ok(());
        }
        self.run(&sql::create_table(c), &[])?;
        self.update_schema(|schema| {
            schema.collections.insert(c.as_str().to_owned());
        })
    }

    /// Checks that the database answers.
    pub fn ping(&self) -> Result<(), StoreError> {
        self.run("SELECT 1", &[]).map(drop)
    }

    /// The document with this id.
    pub fn get(&self, c: &Collection, id: &str) -> Result<Option<String>, StoreError> {
        if !self.has_collection(c)? {
            return Ok(None);
        }
        let rows = self.run(&sql::select_document(c), &[SqlValue::Text(id.to_owned())])?;
        rows.into_iter().next().map(text_of).transpose()
    }

    /// The documents matching a query, and their total.
    pub fn find(&self, c: &Collection, q: &Query) -> Result<(Vec<String>, u64), StoreError> {
        let schema = self.schema()?;
        if !schema.collections.contains(c.as_str()) {
            return Ok((Vec::new(), 0));
        }
        let statements = sql::find_sql(c, q, schema.text_fields.contains_key(c.as_str()))?;
        let count = || -> Result<u64, StoreError> {
            self.conn.remember(statements.count_key(), || {
                Ok(self.run(&statements.count, &statements.args)?.first().map(|row| integer_of(row)).transpose()?.unwrap_or(0) as u64)
            })
        };
        let Some(page) = &statements.page else { return Ok((Vec::new(), count()?)) };
        let items = self.conn.run_texts(page, &statements.args).map_err(store_error)?;
        let total = match sql::total_from_page(q.skip, q.limit, items.len()) {
            Some(total) => total,
            None => count()?,
        };
        Ok((items, total))
    }

    /// How many documents match `filter`, per value of `field`.
    pub fn count_by(&self, c: &Collection, filter: &[Clause], field: &FieldPath) -> Result<Vec<(Value, u64)>, StoreError> {
        if !self.has_collection(c)? {
            return Ok(Vec::new());
        }
        let statements = sql::count_by_sql(c, filter, field);
        self.conn.remember(statements.key(), || {
            let groups = |rows: Vec<Vec<SqlValue>>| -> Vec<(Value, u64)> {
                rows.into_iter()
                    .map(|row| {
                        let count = row.get(1).and_then(SqlValue::as_i64).unwrap_or(0) as u64;
                        let json = row.into_iter().next().and_then(SqlValue::into_text);
                        (sql::count_by_value(json.as_deref()), count)
                    })
                    .collect()
            };
            if let Some(fast) = &statements.fast {
                let rows = self.run(fast, &statements.args)?;
                if !rows.iter().any(|row| row.get(2).and_then(SqlValue::as_i64) == Some(1)) {
                    return Ok(groups(rows));
                }
            }
            Ok(groups(self.run(&statements.exact, &statements.args)?))
        })
    }

    /// Stores a new document at version 1 and returns it as stored.
    pub fn insert(&self, c: &Collection, mut doc: Map<String, Value>) -> Result<String, StoreError> {
        let id = document_id(&doc)?;
        doc.insert("_id".into(), json!(id));
        doc.insert("_version".into(), json!(1));
        let body = Value::Object(doc);
        self.create_collection(c)?;
        let json = body.to_string();
        let mut args = vec![SqlValue::Text(id), SqlValue::Text(json.clone())];
        let words = self.search_words(c, &body)?;
        let with_search = words.is_some();
        args.extend(words.map(SqlValue::Text));
        self.run(&sql::insert_document(c, with_search), &args)?;
        Ok(json)
    }

    /// The current version of a document, if it exists.
    fn version(&self, c: &Collection, id: &str) -> Result<Option<i64>, StoreError> {
        let rows = self.run(&sql::select_version(c), &[SqlValue::Text(id.to_owned())])?;
        rows.first().map(|row| integer_of(row)).transpose()
    }

    /// Replaces a document at the expected version; none when it does not exist.
    pub fn replace(&self, c: &Collection, id: &str, expected: u64, mut doc: Map<String, Value>) -> Result<Option<String>, StoreError> {
        let next = expected.checked_add(1).ok_or_else(|| StoreError::Invalid("version overflow".into()))?;
        if !self.has_collection(c)? {
            return Ok(None);
        }
        doc.insert("_id".into(), json!(id));
        doc.insert("_version".into(), json!(next));
        let body = Value::Object(doc);
        let json = body.to_string();
        let mut args = vec![
            SqlValue::Integer(next as i64),
            SqlValue::Text(json.clone()),
            SqlValue::Text(id.to_owned()),
            SqlValue::Integer(expected as i64),
        ];
        let words = self.search_words(c, &body)?;
        let with_search = words.is_some();
        args.extend(words.map(SqlValue::Text));
        let updated = self.run(&sql::replace_document(c, with_search), &args)?;
        if !updated.is_empty() {
            return Ok(Some(json));
        }
        match self.version(c, id)? {
            None => Ok(None),
            Some(current) => Err(StoreError::Conflict(format!("expected version {expected}, current is {current}"))),
        }
    }

    /// Deletes a document (only at `expected`, when given); whether one was deleted.
    pub fn delete(&self, c: &Collection, id: &str, expected: Option<u64>) -> Result<bool, StoreError> {
        if !self.has_collection(c)? {
            return Ok(false);
        }
        let mut args = vec![SqlValue::Text(id.to_owned())];
        if let Some(version) = expected {
            args.push(SqlValue::Integer(version as i64));
        }
        let deleted = self.run(&sql::delete_document(c, expected.is_some()), &args)?;
        if !deleted.is_empty() {
            return Ok(true);
        }
        match (expected, self.version(c, id)?) {
            (Some(expected), Some(current)) => Err(StoreError::Conflict(format!("expected version {expected}, current is {current}"))),
            _ => Ok(false),
        }
    }

    /// Creates an index unless it exists with the same definition.
    pub fn ensure_index(&self, c: &Collection, spec: IndexSpec) -> Result<(), StoreError> {
        let schema = self.schema()?;
        let key = (c.as_str().to_owned(), spec.name.clone());
        if let Some(existing) = schema.indexes.get(&key) {
            return if *existing == spec {
                Ok(())
            } else {
                Err(StoreError::Invalid(format!("index {} exists with another definition", spec.name)))
            };
        }
        if spec.kind == IndexKind::Text && schema.text_fields.contains_key(c.as_str()) {
            return Err(StoreError::Invalid(format!("collection {} already has a text index", c.as_str())));
        }
        if !schema.has_registry {
            self.run(sql::CREATE_INDEX_REGISTRY, &[])?;
        }
        self.create_collection(c)?;
        match spec.kind {
            IndexKind::Regular | IndexKind::Unique => {
                self.run(&sql::create_index(c, &spec), &[])?;
            }
            IndexKind::Text => self.create_text_index(c, &spec)?,
        }
        // Recorded last: a crash before this leaves an index that the next call completes.
        self.run(
            sql::RECORD_INDEX,
            &[SqlValue::Text(c.as_str().to_owned()), SqlValue::Text(spec.name.clone()), SqlValue::Text(sql::encode_spec(&spec))],
        )?;
        self.update_schema(|schema| {
            schema.has_registry = true;
            if spec.kind == IndexKind::Text {
                schema.text_fields.insert(c.as_str().to_owned(), spec.fields());
            }
            schema.indexes.insert(key, spec);
        })
    }

    /// The `search` column, the external-content FTS5 table over it, the triggers that keep
    /// the two in step, and the words of the documents already stored ([`sql`]'s layout).
    /// Every step is idempotent, so an interrupted call is finished by the next. Public for
    /// the host's move of older stores to this layout; components reach it through
    /// [`Engine::ensure_index`].
    pub fn create_text_index(&self, c: &Collection, spec: &IndexSpec) -> Result<(), StoreError> {
        let has_column = self.run(&sql::has_search_column(c), &[])?.first().map(|row| integer_of(row)).transpose()? == Some(1);
        if !has_column {
            self.run(&sql::add_search_column(c), &[])?;
        }
        for statement in sql::text_index_statements(c) {
            self.run(&statement, &[])?;
        }
        let fields = spec.fields();
        for row in self.run(&sql::rows_without_search(c), &[])? {
            let rowid = integer_of(&row)?;
            let body = row.into_iter().nth(1).and_then(SqlValue::into_text).unwrap_or_default();
            let doc: Value = serde_json::from_str(&body).map_err(|e| StoreError::Internal(e.to_string()))?;
            self.run(&sql::set_search(c), &[SqlValue::Text(searchable(&doc, &fields)), SqlValue::Integer(rowid)])?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! The behaviour every backend shares is the conformance suite's (`crate::conformance`,
    //! run on this engine too); here, what is the engine's own.
    use super::*;
    use crate::testing::Sqlite;

    fn engine(path: &std::path::Path) -> Engine<Sqlite> {
        Engine::new(Sqlite(rusqlite::Connection::open(path).unwrap()))
    }

    fn doc(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn versions_guard_writes_across_engines_on_one_file() {
        let dir = std::env::temp_dir().join(format!("shop-documents-{}", crate::new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let store = engine(&dir.join("db"));
        let c = Collection::parse("users").unwrap();
        assert_eq!(store.get(&c, "nobody").unwrap(), None, "a missing collection reads as empty");
        let stored: Value = serde_json::from_str(&store.insert(&c, doc(json!({"email": "a@example.com"}))).unwrap()).unwrap();
        let id = stored["_id"].as_str().unwrap().to_owned();
        assert_eq!(stored["_version"], 1);
        let replaced: Value =
            serde_json::from_str(&store.replace(&c, &id, 1, doc(json!({"email": "b@example.com"}))).unwrap().unwrap()).unwrap();
        assert_eq!(replaced["_version"], 2);
        assert!(matches!(store.replace(&c, &id, 1, doc(json!({}))), Err(StoreError::Conflict(_))), "a stale version is refused");
        assert_eq!(store.replace(&c, "missing", 1, doc(json!({}))).unwrap(), None);
        assert!(matches!(store.delete(&c, &id, Some(1)), Err(StoreError::Conflict(_))));
        // Another engine (another request) sees what this one wrote.
        let other = engine(&dir.join("db"));
        assert_eq!(serde_json::from_str::<Value>(&other.get(&c, &id).unwrap().unwrap()).unwrap()["email"], "b@example.com");
        assert!(other.delete(&c, &id, Some(2)).unwrap());
        assert!(!other.delete(&c, &id, None).unwrap());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
