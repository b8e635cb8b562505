//! The embedded backend of `documents`: one SQLite file under the data directory, run by
//! the same store logic as the Spin adapter (`shop_documents::engine`, ADR 0016), over
//! rusqlite.
//!
//! - Durability: WAL journal with `synchronous = FULL`, so a write is on disk when it is
//!   acknowledged.
//! - Layout: `shop_documents::sql`'s, shared with Spin: one table per collection
//!   (`c_<name>`: rowid, `id`, `version`, `body` JSON), expression indexes over
//!   `json_extract(body, '$.path')`, and a text index as a `search` column plus an
//!   external-content FTS5 table (`f_<name>`) kept by triggers. Stores in an older layout
//!   are moved to it when opened.
//! - What the host adds around the engine: one writer connection and a few readers (WAL lets
//!   readers run beside the writer), cached statements, the schema known once for all of
//!   them, a read snapshot per find (its page and total agree), totals remembered until the
//!   next commit, and a transaction around an index's creation. Writes run on tokio's
//!   blocking pool (they wait for the disk); a read runs where it is asked when a reader is
//!   free.

use super::{Clause, Collection, FieldPath, IndexKind, IndexSpec, Query, StoreError};
use rusqlite::types::{ToSql, ToSqlOutput, ValueRef};
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, params_from_iter};
use serde_json::{Map, Value};
use shop_documents::engine::{Engine, Schema, SchemaCell, Sql, SqlError};
use shop_documents::sql::{self, SqlValue, fts_table};
use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// The number of read connections.
const READERS: usize = 4;

/// The embedded document store.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    /// Held for the store's lifetime: an exclusive lock on `<data dir>/LOCK`.
    _lock: std::fs::File,
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Reader>>,
    next_reader: AtomicUsize,
    /// What the schema holds (collections, indexes, text fields), known once for every
    /// connection, so hot paths skip DDL.
    schema: Arc<SchemaCell>,
    /// SQLite's `schema_version` when `schema` was last checked against it (shared stores).
    schema_version: AtomicI64,
    /// Whether other processes may open the store (then the schema is read again when
    /// SQLite's schema version moves, and connections use the default VFS).
    sharing: Sharing,
}

/// A read connection and what it remembers between reads.
struct Reader {
    conn: Connection,
    counts: CountCache,
}

/// The most counts (finds' totals and count-bys' groups) one reader remembers; past it, it
/// forgets them all and starts again.
const CACHED_COUNTS: usize = 256;

/// Counts a reader made, valid for one state of the database: SQLite's data version of the
/// snapshot they were counted in. A full page's `count(*)` reads every match and a
/// count-by groups every match, so both grow with the catalogue. The data version moves
/// with every commit, this host's or another's sharing the file, so a count is only reused
/// while nothing in the store changed. Pages themselves are always read.
#[derive(Default)]
struct CountCache {
    data_version: u32,
    /// Totals (`u64`) and groups (`Vec<(Value, u64)>`), by the engine's key.
    counts: HashMap<String, Box<dyn Any + Send>>,
    /// Counts answered from here (for the tests).
    hits: u64,
}

impl CountCache {
    /// The count of `key` made in a snapshot whose data version is `data_version`.
    fn get<T: Clone + 'static>(&mut self, data_version: u32, key: &str) -> Option<T> {
        if self.data_version != data_version {
            self.data_version = data_version;
            self.counts.clear();
        }
        let count = self.counts.get(key).and_then(|count| count.downcast_ref::<T>()).cloned();
        self.hits += u64::from(count.is_some());
        count
    }

    /// Keeps a count made at `data_version`.
    fn put<T: Send + 'static>(&mut self, data_version: u32, key: String, count: T) {
        if self.data_version == data_version {
            if self.counts.len() >= CACHED_COUNTS {
                self.counts.clear();
            }
            self.counts.insert(key, Box::new(count));
        }
    }
}

/// The data version of the snapshot `conn` reads in (inside a read transaction that has
/// read something): it changes whenever anyone commits to the file.
fn data_version(conn: &Connection) -> Result<u32, rusqlite::Error> {
    let mut version: std::ffi::c_uint = 0;
    conn.file_control(Some(rusqlite::MAIN_DB), rusqlite::FileControl::DataVersion(&mut version))?;
    Ok(version)
}

/// The engine's connection on the host: a rusqlite connection with its cached statements
/// and, for a reader inside a snapshot, the counts it remembers.
struct Driver<'c> {
    conn: &'c Connection,
    counts: Option<RefCell<&'c mut CountCache>>,
    /// Whether a statement has read the snapshot yet (its data version is fixed only then).
    started: Cell<bool>,
}

impl<'c> Driver<'c> {
    fn new(conn: &'c Connection) -> Self {
        Self { conn, counts: None, started: Cell::new(false) }
    }

    /// A reader inside a snapshot ([`snapshot`]), reusing its counts.
    fn counting(conn: &'c Connection, counts: &'c mut CountCache) -> Self {
        Self { conn, counts: Some(RefCell::new(counts)), started: Cell::new(false) }
    }
}

/// A parameter bound without a copy.
struct Bound<'a>(&'a SqlValue);

impl ToSql for Bound<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self.0 {
            SqlValue::Null => ValueRef::Null,
            SqlValue::Integer(i) => ValueRef::Integer(*i),
            SqlValue::Real(r) => ValueRef::Real(*r),
            SqlValue::Text(t) => ValueRef::Text(t.as_bytes()),
        }))
    }
}

/// A column's value. Text is what was written (serde_json's output, so UTF-8); it is still
/// checked, with a SIMD validator since a listing hands over tens of kilobytes.
fn value_of(value: ValueRef<'_>) -> Result<SqlValue, SqlError> {
    Ok(match value {
        ValueRef::Null | ValueRef::Blob(_) => SqlValue::Null,
        ValueRef::Integer(i) => SqlValue::Integer(i),
        ValueRef::Real(r) => SqlValue::Real(r),
        ValueRef::Text(bytes) => SqlValue::Text(
            simdutf8::basic::from_utf8(bytes).map(str::to_owned).map_err(|_| SqlError::Failed("a stored text is not UTF-8".into()))?,
        ),
    })
}

/// What a failed statement means to the engine: a full disk can surface from any statement
/// (a table, an index or a page of the log being written); a busy or unopenable database is
/// unavailable for now; the rest carries SQLite's message (a unique violation names its
/// index there).
fn sql_error(error: rusqlite::Error) -> SqlError {
    match error.sqlite_error_code() {
        Some(ErrorCode::DiskFull) => SqlError::Full(error.to_string()),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked | ErrorCode::CannotOpen) => SqlError::Unavailable(error.to_string()),
        _ => SqlError::Failed(error.to_string()),
    }
}

impl Sql for Driver<'_> {
    fn run(&self, statement: &str, params: &[SqlValue]) -> Result<Vec<Vec<SqlValue>>, SqlError> {
        let mut stmt = self.conn.prepare_cached(statement).map_err(sql_error)?;
        let columns = stmt.column_count();
        let mut rows = stmt.query(params_from_iter(params.iter().map(Bound))).map_err(sql_error)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(sql_error)? {
            out.push((0..columns).map(|i| row.get_ref(i).map_err(sql_error).and_then(value_of)).collect::<Result<_, _>>()?);
        }
        self.started.set(true);
        Ok(out)
    }

    fn run_texts(&self, statement: &str, params: &[SqlValue]) -> Result<Vec<String>, SqlError> {
        let mut stmt = self.conn.prepare_cached(statement).map_err(sql_error)?;
        let mut rows = stmt.query(params_from_iter(params.iter().map(Bound))).map_err(sql_error)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(sql_error)? {
            match value_of(row.get_ref(0).map_err(sql_error)?)? {
                SqlValue::Text(text) => out.push(text),
                _ => return Err(SqlError::Failed("a stored document is not text".into())),
            }
        }
        self.started.set(true);
        Ok(out)
    }

    fn remember<T: Clone + Send + 'static>(&self, key: String, count: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
        let Some(counts) = &self.counts else { return count() };
        if !self.started.get() {
            // Reading the header starts the snapshot, which fixes its data version.
            self.run("PRAGMA schema_version", &[]).map_err(|e| StoreError::Internal(e.to_string()))?;
        }
        let version = data_version(self.conn).map_err(internal)?;
        if let Some(known) = counts.borrow_mut().get::<T>(version, &key) {
            return Ok(known);
        }
        let counted = count()?;
        counts.borrow_mut().put(version, key, counted.clone());
        Ok(counted)
    }
}

/// A failure outside the engine's statements (opening, upgrading): a full disk is `Full`.
fn internal<E: std::fmt::Display + 'static>(error: E) -> StoreError {
    let disk_full = (&error as &dyn std::any::Any)
        .downcast_ref::<rusqlite::Error>()
        .is_some_and(|e| e.sqlite_error_code() == Some(ErrorCode::DiskFull));
    if disk_full { StoreError::Full(error.to_string()) } else { StoreError::Internal(error.to_string()) }
}

/// SQLite's VFS for a store this process alone opens: one process-wide lock on the file,
/// taken once, and the WAL index in this process's memory. The default VFS instead takes
/// and drops a POSIX lock on the `-shm` file (an `fcntl` each way) at every read
/// transaction: a few percent of a short request's time. The data directory's own lock
/// already keeps other hosts out.
pub const PROCESS_ALONE_VFS: &str = "unix-excl";

/// Opens a connection. A reader is read-only; where this process alone opens the store it
/// is opened for writing and refuses writes by `query_only`, because SQLite's one-process VFS
/// leaves a read-only file's locking to the kernel, out of step with the other connections.
fn open(path: &Path, read_only: bool, sharing: Sharing) -> Result<Connection, StoreError> {
    let unavailable = |e: rusqlite::Error| StoreError::Unavailable(format!("{}: {e}", path.display()));
    let (flags, vfs) = match (sharing, read_only) {
        (Sharing::Shared, true) => (OpenFlags::SQLITE_OPEN_READ_ONLY, None),
        (Sharing::Shared, false) => (OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE, None),
        (Sharing::Exclusive, _) => (OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE, Some(PROCESS_ALONE_VFS)),
    };
    let flags = flags | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = match vfs {
        Some(vfs) => Connection::open_with_flags_and_vfs(path, flags, vfs),
        None => Connection::open_with_flags(path, flags),
    }
    .map_err(unavailable)?;
    conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(internal)?;
    if !read_only {
        conn.pragma_update(None, "journal_mode", "WAL").map_err(internal)?;
    } else if sharing == Sharing::Exclusive {
        conn.pragma_update(None, "query_only", true).map_err(internal)?;
    }
    conn.pragma_update(None, "synchronous", "FULL").map_err(internal)?;
    conn.pragma_update(None, "foreign_keys", "OFF").map_err(internal)?;
    // The query planner's stability guarantee: a cached statement keeps its plan whatever
    // values are bound to it. Without it SQLite (built with STAT4) marks a statement whose
    // plan looked at a bound value as expired, and prepares it again at its next run: a
    // third of every listing's time in the store.
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true).map_err(internal)?;
    Ok(conn)
}

/// Maps a SQLite failure outside the engine (upgrades) as the engine would.
fn write_error(error: rusqlite::Error) -> StoreError {
    match sql_error(error) {
        SqlError::Full(message) => StoreError::Full(message),
        SqlError::Unavailable(message) => StoreError::Unavailable(message),
        SqlError::Failed(message) => StoreError::Internal(message),
    }
}

/// Rebuilds the regular and unique indexes whose SQLite definition is not the one this
/// version makes (a store made before regular indexes ended with `id`), and makes any that
/// was recorded but is missing. Each rebuild is one transaction, so a crash leaves the old
/// index or the new one.
fn upgrade_indexes(conn: &Connection, schema: &Schema) -> Result<(), StoreError> {
    for ((collection, name), spec) in &schema.indexes {
        if spec.kind == IndexKind::Text {
            continue;
        }
        let c = Collection::parse(collection)?;
        let index = sql::index_name(&c, name);
        let recorded: Option<String> = conn.query_row(sql::INDEX_SQL, [&index], |row| row.get(0)).optional().map_err(internal)?;
        if recorded.as_deref() == Some(sql::index_definition(&c, spec).as_str()) {
            continue;
        }
        tracing::info!(collection = %collection, index = %name, "rebuilding an index in this version's layout");
        let tx = conn.unchecked_transaction().map_err(write_error)?;
        tx.execute_batch(&format!("DROP INDEX IF EXISTS {index}; {}", sql::create_index(&c, spec))).map_err(write_error)?;
        tx.commit().map_err(write_error)?;
    }
    Ok(())
}

/// Moves the text indexes of a store made before the layout was shared (a self-contained
/// FTS5 table `f_<name>(content)` the host wrote beside each row) to the shared one: the
/// `search` column and an external-content FTS5 table kept by triggers, made by the engine.
/// One transaction per collection, so a crash leaves the old layout or the new one; a store
/// already in the shared layout is left as it is (a dropped transaction rolls back).
fn upgrade_text_indexes(conn: &Connection, schema: &Schema) -> Result<(), StoreError> {
    for ((collection, _), spec) in schema.indexes.iter().filter(|(_, spec)| spec.kind == IndexKind::Text) {
        if !schema.collections.contains(collection) {
            continue;
        }
        let c = Collection::parse(collection)?;
        // Checked inside a write transaction: hosts sharing the store may open it together.
        let tx = rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate).map_err(write_error)?;
        let has_column: i64 = tx.query_row(&sql::has_search_column(&c), [], |row| row.get(0)).map_err(internal)?;
        if has_column == 1 {
            continue;
        }
        tracing::info!(collection = %collection, "moving a text index to the shared layout");
        tx.execute_batch(&format!("DROP TABLE IF EXISTS {}", fts_table(&c))).map_err(write_error)?;
        Engine::new(Driver::new(&tx)).create_text_index(&c, spec)?;
        tx.commit().map_err(write_error)?;
    }
    Ok(())
}

/// For a shared store: forgets the known schema when another host changed it (every
/// collection or index made moves SQLite's `schema_version`), so a text index another host
/// made is kept up to date here too.
fn refresh_schema(conn: &Connection, inner: &Inner) -> Result<(), StoreError> {
    if inner.sharing == Sharing::Exclusive {
        return Ok(());
    }
    let version: i64 =
        conn.prepare_cached("PRAGMA schema_version").and_then(|mut stmt| stmt.query_row([], |row| row.get(0))).map_err(write_error)?;
    if inner.schema_version.swap(version, Ordering::AcqRel) != version {
        inner.schema.forget();
    }
    Ok(())
}

/// Runs `f`'s statements in one read transaction: they see one snapshot (a page and its
/// total agree even while a writer commits), and the connection takes and releases its
/// share of the WAL lock once rather than once per statement.
fn snapshot<T>(conn: &Connection, f: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
    // A transaction left open by an earlier failure would make BEGIN fail on this reader
    // for good: end it first.
    if !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    conn.prepare_cached("BEGIN").and_then(|mut begin| begin.execute([])).map_err(internal)?;
    let result = f();
    // `f`'s statements are reset by now (cached statements reset when dropped), so the end
    // of a read transaction cannot fail on statements still running.
    let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
    let ended = conn.prepare_cached(end).and_then(|mut end| end.execute([]));
    match (result, ended) {
        (Ok(value), Ok(_)) => Ok(value),
        (Ok(_), Err(error)) => Err(internal(error)),
        (Err(error), _) => Err(error),
    }
}

/// Whether other hosts may open the same store at the same time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sharing {
    /// One host only: a second one is refused (the default; it catches a host started twice).
    Exclusive,
    /// Several hosts on this machine, each opening it `Shared` (`SHOP_STORE_SHARED=true`):
    /// SQLite's WAL serialises their writes and each sees the others' commits. Hosts on
    /// several machines share MongoDB instead.
    Shared,
}

/// Tells when anyone committed a change to the store: SQLite's `data_version`, read on a
/// connection of its own that never writes (so every commit, this host's or another's,
/// moves it).
pub struct ChangeProbe {
    conn: Connection,
    last: i64,
}

impl ChangeProbe {
    /// Whether a commit happened since the last call.
    pub fn changed(&mut self) -> Result<bool, StoreError> {
        let now: i64 = self.conn.query_row("PRAGMA data_version", [], |row| row.get(0)).map_err(internal)?;
        let changed = now != self.last;
        self.last = now;
        Ok(changed)
    }
}

impl SqliteStore {
    /// A probe of commits to this store (for hosts sharing it: see `response_cache`).
    pub fn change_probe(&self) -> Result<ChangeProbe, StoreError> {
        let conn = open(&self.inner.path, true, self.inner.sharing)?;
        let last = conn.query_row("PRAGMA data_version", [], |row| row.get(0)).map_err(internal)?;
        Ok(ChangeProbe { conn, last })
    }

    /// Whether other hosts may use this store at the same time.
    pub fn is_shared(&self) -> bool {
        self.inner.sharing == Sharing::Shared
    }

    /// Opens (creating if needed) the store at `<data_dir>/shop.db`, for this host alone.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        Self::open_with(data_dir, Sharing::Exclusive)
    }

    /// Opens (creating if needed) the store at `<data_dir>/shop.db`, shared or not.
    pub fn open_with(data_dir: &Path, sharing: Sharing) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|e| StoreError::Unavailable(format!("{}: {e}", data_dir.display())))?;
        let lock = lock_data_dir(data_dir, sharing)?;
        let path = data_dir.join("shop.db");
        let writer = open(&path, false, sharing)?;
        writer.execute_batch(sql::CREATE_INDEX_REGISTRY).map_err(internal)?;
        let schema = Engine::new(Driver::new(&writer)).schema()?;
        upgrade_indexes(&writer, &schema)?;
        upgrade_text_indexes(&writer, &schema)?;
        let schema_version = writer.query_row("PRAGMA schema_version", [], |row| row.get(0)).map_err(internal)?;
        let readers = (0..READERS)
            .map(|_| open(&path, true, sharing).map(|conn| Mutex::new(Reader { conn, counts: CountCache::default() })))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            inner: Arc::new(Inner {
                _lock: lock,
                path,
                writer: Mutex::new(writer),
                readers,
                next_reader: AtomicUsize::new(0),
                schema: Arc::default(),
                schema_version: AtomicI64::new(schema_version),
                sharing,
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `f` on a free reader, with the engine over it. A free reader runs the query
    /// right here: a read takes microseconds under WAL (it never waits for the writer), less
    /// than handing it to another thread and back. Only when every reader is busy does the
    /// query wait for one on the blocking pool.
    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Reader, &Inner) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let start = self.inner.next_reader.fetch_add(1, Ordering::Relaxed);
        for n in 0..self.inner.readers.len() {
            if let Ok(mut reader) = self.inner.readers[(start + n) % self.inner.readers.len()].try_lock() {
                refresh_schema(&reader.conn, &self.inner)?;
                return f(&mut reader, &self.inner);
            }
        }
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let i = inner.next_reader.fetch_add(1, Ordering::Relaxed) % inner.readers.len();
            let mut reader = inner.readers[i].lock().map_err(|_| StoreError::Internal("reader lock poisoned".into()))?;
            refresh_schema(&reader.conn, &inner)?;
            f(&mut reader, &inner)
        })
        .await
        .map_err(internal)?
    }

    /// Runs `f` on a reader inside one read snapshot, with the engine over it and the
    /// reader's remembered counts.
    async fn read_snapshot<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Engine<Driver<'_>>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.read(move |reader, inner| {
            let Reader { conn, counts } = reader;
            snapshot(conn, || f(&Engine::with_schema(Driver::counting(conn, counts), inner.schema.clone())))
        })
        .await
    }

    /// Runs `f` on the writer, on the blocking pool, with the engine over it.
    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection, &Inner) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let conn = inner.writer.lock().map_err(|_| StoreError::Internal("writer lock poisoned".into()))?;
            refresh_schema(&conn, &inner)?;
            f(&conn, &inner)
        })
        .await
        .map_err(internal)?
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.read(|reader, _| reader.conn.query_row("SELECT 1", [], |_| Ok(())).map_err(|e| StoreError::Unavailable(e.to_string()))).await
    }

    /// The document with this id.
    pub async fn get(&self, c: &Collection, id: &str) -> Result<Option<String>, StoreError> {
        let (c, id) = (c.clone(), id.to_owned());
        self.read(move |reader, inner| Engine::with_schema(Driver::new(&reader.conn), inner.schema.clone()).get(&c, &id)).await
    }

    /// The documents matching a query, and their total (one snapshot).
    pub async fn find(&self, c: &Collection, q: Query) -> Result<(Vec<String>, u64), StoreError> {
        let c = c.clone();
        self.read_snapshot(move |engine| engine.find(&c, &q)).await
    }

    /// How many documents match `filter`, per value of `field`.
    pub async fn count_by(&self, c: &Collection, filter: Vec<Clause>, field: &FieldPath) -> Result<Vec<(Value, u64)>, StoreError> {
        let (c, field) = (c.clone(), field.clone());
        self.read_snapshot(move |engine| engine.count_by(&c, &filter, &field)).await
    }

    /// Stores a new document at version 1.
    pub async fn insert(&self, c: &Collection, doc: Map<String, Value>) -> Result<String, StoreError> {
        let c = c.clone();
        self.write(move |conn, inner| Engine::with_schema(Driver::new(conn), inner.schema.clone()).insert(&c, doc)).await
    }

    /// Replaces a document at the expected version.
    pub async fn replace(&self, c: &Collection, id: &str, expected: u64, doc: Map<String, Value>) -> Result<Option<String>, StoreError> {
        let (c, id) = (c.clone(), id.to_owned());
        self.write(move |conn, inner| Engine::with_schema(Driver::new(conn), inner.schema.clone()).replace(&c, &id, expected, doc)).await
    }

    /// Deletes a document (at a version, when given).
    pub async fn delete(&self, c: &Collection, id: &str, expected: Option<u64>) -> Result<bool, StoreError> {
        let (c, id) = (c.clone(), id.to_owned());
        self.write(move |conn, inner| Engine::with_schema(Driver::new(conn), inner.schema.clone()).delete(&c, &id, expected)).await
    }

    /// Creates an index unless it exists with the same definition: in one transaction, so a
    /// text index's words for every stored document reach the disk once.
    pub async fn ensure_index(&self, c: &Collection, spec: IndexSpec) -> Result<(), StoreError> {
        // Declared already (the usual case: components declare on every write): no writer.
        if let Some(schema) = self.inner.schema.get() {
            match schema.indexes.get(&(c.as_str().to_owned(), spec.name.clone())) {
                Some(existing) if *existing == spec => return Ok(()),
                Some(_) => return Err(StoreError::Invalid(format!("index {} exists with another definition", spec.name))),
                None => {}
            }
        }
        let c = c.clone();
        self.write(move |conn, inner| {
            let tx = conn.unchecked_transaction().map_err(write_error)?;
            let made = Engine::with_schema(Driver::new(&tx), inner.schema.clone()).ensure_index(&c, spec);
            let committed = made.and_then(|()| tx.commit().map_err(write_error));
            if committed.is_err() {
                // The engine noted what the rolled-back transaction made.
                inner.schema.forget();
            }
            committed
        })
        .await
    }
}

/// Takes the data directory's lock, so two hosts never write one store unless both share
/// it. An exclusive holder writes its process id in the lock file, for the message the
/// second one prints.
fn lock_data_dir(data_dir: &Path, sharing: Sharing) -> Result<std::fs::File, StoreError> {
    use std::io::{Read, Seek, Write};
    let path = data_dir.join("LOCK");
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| StoreError::Unavailable(format!("{}: {e}", path.display())))?;
    let locked = match sharing {
        Sharing::Exclusive => file.try_lock(),
        Sharing::Shared => file.try_lock_shared(),
    };
    match locked {
        Ok(()) => {
            // An exclusive holder names itself; shared holders leave the file empty, so a
            // refused exclusive host never names a process that has gone.
            let _ = file.set_len(0);
            if sharing == Sharing::Exclusive {
                let _ = file.seek(std::io::SeekFrom::Start(0));
                let _ = write!(file, "{}", std::process::id());
            }
            Ok(file)
        }
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = match holder.trim() {
                "" => "another shop-host, shared (SHOP_STORE_SHARED)".to_owned(),
                pid => format!("another shop-host (process {pid})"),
            };
            let advice = match sharing {
                Sharing::Exclusive => "stop it, give this one its own SHOP_DATA_DIR, or start every host on it with SHOP_STORE_SHARED=true",
                Sharing::Shared => "it does not share it: start every host on it with SHOP_STORE_SHARED=true",
            };
            Err(StoreError::Unavailable(format!("the data directory {} is in use by {holder}; {advice}", data_dir.display())))
        }
        Err(std::fs::TryLockError::Error(e)) => Err(StoreError::Unavailable(format!("{}: {e}", path.display()))),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{FieldPath, Key, text};
    use super::*;
    use rusqlite::params;
    use serde_json::json;
    use shop_documents::sql::{encode_spec, searchable};

    #[test]
    fn a_full_disk_is_full_whichever_statement_met_it() {
        let full = || rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL), None);
        assert!(matches!(internal(full()), StoreError::Full(_)));
        assert!(matches!(write_error(full()), StoreError::Full(_)));
        assert!(matches!(sql_error(full()), SqlError::Full(_)), "the engine maps SqlError::Full to StoreError::Full");
        let io = rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_IOERR), None);
        assert!(matches!(internal(io), StoreError::Internal(_)));
        assert!(matches!(internal("reader lock poisoned"), StoreError::Internal(_)));
    }

    fn key(field: &str, descending: bool) -> Key {
        Key { field: FieldPath::parse(field).unwrap(), descending }
    }

    fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        (dir, store)
    }

    fn doc(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn a_second_store_on_the_same_directory_is_refused() {
        let (dir, first) = store();
        let error = SqliteStore::open(dir.path()).err().unwrap();
        assert!(error.to_string().contains("in use by another shop-host"), "{error}");
        assert!(error.to_string().contains(&std::process::id().to_string()), "{error}");
        drop(first);
        assert!(SqliteStore::open(dir.path()).is_ok(), "the lock goes with the store");
    }

    #[tokio::test]
    async fn shared_stores_see_each_others_writes_and_exclude_an_exclusive_one() {
        let dir = tempfile::tempdir().unwrap();
        let a = SqliteStore::open_with(dir.path(), Sharing::Shared).unwrap();
        let b = SqliteStore::open_with(dir.path(), Sharing::Shared).unwrap();
        let error = SqliteStore::open(dir.path()).err().unwrap();
        assert!(error.to_string().contains("in use by another shop-host"), "{error}");
        let products = Collection::parse("products").unwrap();
        let text =
            IndexSpec::parse("search", vec![Key { field: FieldPath::parse("name").unwrap(), descending: false }], IndexKind::Text).unwrap();
        // `b` opened before the collection and its text index existed: it must notice both.
        a.ensure_index(&products, text).await.unwrap();
        let stored: Value = serde_json::from_str(&b.insert(&products, doc(json!({"name": "Ajwa dates"}))).await.unwrap()).unwrap();
        let id = stored["_id"].as_str().unwrap().to_owned();
        let found =
            a.find(&products, Query { filter: vec![], text: Some(vec!["ajwa".into()]), sort: vec![], skip: 0, limit: 10 }).await.unwrap();
        assert_eq!(found.1, 1, "a text search in one store finds what the other wrote");
        assert!(a.replace(&products, &id, 1, doc(json!({"name": "Ajwa dates, 1 kg"}))).await.unwrap().is_some());
        assert!(
            matches!(b.replace(&products, &id, 1, doc(json!({"name": "stale"}))).await, Err(StoreError::Conflict(_))),
            "versions hold across hosts"
        );
        drop((a, b));
        let exclusive = SqliteStore::open(dir.path()).unwrap();
        let refused = SqliteStore::open_with(dir.path(), Sharing::Shared).err().unwrap();
        assert!(refused.to_string().contains("does not share it"), "{refused}");
        drop(exclusive);
    }

    fn count_hits(store: &SqliteStore) -> u64 {
        store.inner.readers.iter().map(|reader| reader.lock().unwrap().counts.hits).sum()
    }

    #[tokio::test]
    async fn a_page_s_total_is_counted_again_only_after_a_commit_by_any_host() {
        let dir = tempfile::tempdir().unwrap();
        let a = SqliteStore::open_with(dir.path(), Sharing::Shared).unwrap();
        let b = SqliteStore::open_with(dir.path(), Sharing::Shared).unwrap();
        let c = Collection::parse("products").unwrap();
        let mut ids = Vec::new();
        for n in 0..30 {
            let stored: Value = serde_json::from_str(&a.insert(&c, doc(json!({"n": n, "even": n % 2 == 0}))).await.unwrap()).unwrap();
            ids.push(stored["_id"].as_str().unwrap().to_owned());
        }
        let page = |filter: Vec<Clause>| Query { filter, text: None, sort: vec![key("n", false)], skip: 0, limit: 5 };
        let even = || vec![Clause::parse("even", super::super::Op::Eq, "true").unwrap()];
        // Every reader counts once, then answers from what it counted.
        for _ in 0..READERS * 3 {
            assert_eq!(a.find(&c, page(vec![])).await.unwrap().1, 30);
            assert_eq!(a.find(&c, page(even())).await.unwrap().1, 15);
        }
        assert!(count_hits(&a) >= (READERS * 4) as u64, "totals are reused while nothing changes: {} hits", count_hits(&a));
        // A commit by this host, then by another host sharing the file, is seen at once.
        a.insert(&c, doc(json!({"n": 30, "even": true}))).await.unwrap();
        for _ in 0..READERS {
            assert_eq!(a.find(&c, page(vec![])).await.unwrap().1, 31);
            assert_eq!(a.find(&c, page(even())).await.unwrap().1, 16);
        }
        assert!(b.delete(&c, &ids[0], None).await.unwrap());
        assert!(b.delete(&c, &ids[1], None).await.unwrap());
        for _ in 0..READERS {
            assert_eq!(a.find(&c, page(vec![])).await.unwrap().1, 29);
            assert_eq!(a.find(&c, page(even())).await.unwrap().1, 15);
        }
        assert!(b.replace(&c, &ids[3], 1, doc(json!({"n": 3, "even": true}))).await.unwrap().is_some());
        for _ in 0..READERS {
            assert_eq!(a.find(&c, page(even())).await.unwrap().1, 16, "a replace that moves a document into the filter");
        }
        // Per-value counts the same way.
        let by_parity = || async {
            let mut groups = a.count_by(&c, vec![], &FieldPath::parse("even").unwrap()).await.unwrap();
            groups.sort_by_key(|(value, _)| value.to_string());
            groups
        };
        let hits = count_hits(&a);
        for _ in 0..READERS * 2 {
            assert_eq!(by_parity().await, vec![(json!(false), 13), (json!(true), 16)]);
        }
        assert!(count_hits(&a) >= hits + READERS as u64, "per-value counts are reused too");
        assert!(b.replace(&c, &ids[5], 1, doc(json!({"n": 5, "even": true}))).await.unwrap().is_some());
        for _ in 0..READERS {
            assert_eq!(by_parity().await, vec![(json!(false), 12), (json!(true), 17)], "another host's commit");
        }
    }

    /// The plan SQLite makes for the page of a `find`.
    fn page_plan(store: &SqliteStore, c: &Collection, q: &Query) -> String {
        let statements = sql::find_sql(c, q, false).unwrap();
        let conn = open(store.path(), true, Sharing::Exclusive).unwrap();
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {}", statements.page.unwrap())).unwrap();
        let rows = stmt.query_map(params_from_iter(statements.args.iter().map(Bound)), |row| row.get::<_, String>(3)).unwrap();
        rows.collect::<Result<Vec<_>, _>>().unwrap().join("; ")
    }

    #[tokio::test]
    async fn sorted_pages_come_in_index_order_also_from_an_index_made_before_the_tie_break() {
        let dir = tempfile::tempdir().unwrap();
        let c = Collection::parse("products").unwrap();
        let newest = IndexSpec::parse("newest", vec![key("status", false), key("created_at", true)], IndexKind::Regular).unwrap();
        let q = Query {
            filter: vec![Clause::parse("status", super::super::Op::Eq, "\"published\"").unwrap()],
            text: None,
            sort: vec![key("created_at", true)],
            skip: 0,
            limit: 24,
        };
        {
            let store = SqliteStore::open(dir.path()).unwrap();
            for n in 0..30 {
                store.insert(&c, doc(json!({"status": "published", "created_at": format!("2026-01-{:02}", n % 7)}))).await.unwrap();
            }
            store.ensure_index(&c, newest.clone()).await.unwrap();
            let plan = page_plan(&store, &c, &q);
            assert!(plan.contains("i_products__newest") && !plan.contains("TEMP B-TREE"), "{plan}");
            // The layout of an earlier version: the same keys without `id`.
            let conn = open(store.path(), false, Sharing::Exclusive).unwrap();
            conn.execute_batch("DROP INDEX i_products__newest; CREATE INDEX i_products__newest ON c_products (json_extract(body, '$.status') ASC, json_extract(body, '$.created_at') DESC)")
            .unwrap();
            assert!(page_plan(&store, &c, &q).contains("TEMP B-TREE"), "the old layout sorts");
        }
        let store = SqliteStore::open(dir.path()).unwrap();
        let plan = page_plan(&store, &c, &q);
        assert!(plan.contains("i_products__newest") && !plan.contains("TEMP B-TREE"), "reopening rebuilt it: {plan}");
        let (items, total) = store.find(&c, q).await.unwrap();
        assert_eq!((items.len(), total), (24, 30));
        let dates: Vec<String> =
            items.iter().map(|j| serde_json::from_str::<Value>(j).unwrap()["created_at"].as_str().unwrap().to_owned()).collect();
        assert!(dates.windows(2).all(|w| w[0] >= w[1]), "newest first: {dates:?}");
    }

    #[tokio::test]
    async fn readers_of_a_store_this_host_alone_opens_refuse_writes() {
        let (_dir, store) = store();
        let c = Collection::parse("products").unwrap();
        store.insert(&c, doc(json!({"n": 1}))).await.unwrap();
        // Opened for writing (one locking regime for every connection), kept to reading.
        for reader in &store.inner.readers {
            let conn = &reader.lock().unwrap().conn;
            let refused = conn.execute("DELETE FROM c_products", []).unwrap_err();
            assert!(refused.to_string().contains("readonly"), "{refused}");
        }
        assert_eq!(store.find(&c, Query { filter: vec![], text: None, sort: vec![], skip: 0, limit: 10 }).await.unwrap().1, 1);
    }

    #[tokio::test]
    async fn a_reader_left_inside_a_transaction_still_serves_finds() {
        let (_dir, store) = store();
        let c = Collection::parse("products").unwrap();
        for n in 0..3 {
            store.insert(&c, doc(json!({"n": n}))).await.unwrap();
        }
        for reader in &store.inner.readers {
            reader.lock().unwrap().conn.execute_batch("BEGIN").unwrap();
        }
        let q = Query { filter: vec![], text: None, sort: vec![key("n", false)], skip: 0, limit: 2 };
        for _ in 0..store.inner.readers.len() {
            assert_eq!(store.find(&c, q.clone()).await.unwrap().1, 3);
        }
    }

    #[tokio::test]
    async fn text_search_is_bilingual_and_survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let c = Collection::parse("products").unwrap();
        {
            let store = SqliteStore::open(dir.path()).unwrap();
            store.insert(&c, doc(json!({"name": {"en": "Arabic coffee", "ar": "قهوة عربية"}}))).await.unwrap();
            let spec = IndexSpec::parse("search", vec![key("name.en", false), key("name.ar", false)], IndexKind::Text).unwrap();
            store.ensure_index(&c, spec).await.unwrap();
            store.insert(&c, doc(json!({"name": {"en": "Café crème", "ar": "قهوة بالحليب"}}))).await.unwrap();
        }
        let store = SqliteStore::open(dir.path()).unwrap();
        let search = |text: &str| Query { filter: vec![], text: Some(text::words(text)), sort: vec![], skip: 0, limit: 10 };
        assert_eq!(store.find(&c, search("قَهْوَة")).await.unwrap().1, 2);
        assert_eq!(store.find(&c, search("عربيه")).await.unwrap().1, 1);
        assert_eq!(store.find(&c, search("cafe")).await.unwrap().1, 1);
        assert_eq!(store.find(&c, search("arab")).await.unwrap().1, 1);
    }

    /// Runs FTS5's own check of a text index against the rows it indexes (an external-content
    /// index out of step with its `search` column fails it).
    fn text_index_is_consistent(path: &Path, c: &Collection) {
        let conn = Connection::open(path).unwrap();
        let f = fts_table(c);
        conn.execute(&format!("INSERT INTO {f} ({f}, rank) VALUES ('integrity-check', 1)"), []).unwrap();
    }

    #[tokio::test]
    async fn a_store_in_the_older_text_layout_moves_to_the_shared_one_when_opened() {
        let dir = tempfile::tempdir().unwrap();
        let c = Collection::parse("products").unwrap();
        let spec = IndexSpec::parse("search", vec![key("name.en", false), key("name.ar", false)], IndexKind::Text).unwrap();
        // The layout hosts wrote before the text index was shared with the Spin engine: a
        // self-contained FTS5 table with a `content` column, written beside each row.
        {
            let old = Connection::open(dir.path().join("shop.db")).unwrap();
            old.execute_batch(
                "PRAGMA journal_mode = WAL;
                 CREATE TABLE _indexes (collection TEXT NOT NULL, name TEXT NOT NULL, spec TEXT NOT NULL, PRIMARY KEY (collection, name)) WITHOUT ROWID;
                 CREATE TABLE c_products (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, version INTEGER NOT NULL, body TEXT NOT NULL);
                 CREATE VIRTUAL TABLE f_products USING fts5(content, tokenize = 'unicode61 remove_diacritics 2');",
            )
            .unwrap();
            old.execute("INSERT INTO _indexes VALUES ('products', 'search', ?1)", [encode_spec(&spec)]).unwrap();
            for (rowid, id, en, ar) in [(1, "p1", "Ajwa dates", "تمر عجوة"), (2, "p2", "Arabic coffee", "قهوة عربية")] {
                let body = json!({"_id": id, "_version": 1, "name": {"en": en, "ar": ar}});
                old.execute("INSERT INTO c_products VALUES (?1, ?2, 1, ?3)", params![rowid, id, body.to_string()]).unwrap();
                let words = searchable(&body, &["name.en".into(), "name.ar".into()]);
                old.execute("INSERT INTO f_products (rowid, content) VALUES (?1, ?2)", params![rowid, words]).unwrap();
            }
        }
        let search = |text: &str| Query { filter: vec![], text: Some(text::words(text)), sort: vec![], skip: 0, limit: 10 };
        let store = SqliteStore::open(dir.path()).unwrap();
        assert_eq!(store.find(&c, search("ajwa")).await.unwrap().1, 1, "what the old index held is found");
        assert_eq!(store.find(&c, search("قهوه")).await.unwrap().1, 1);
        {
            let conn = store.inner.writer.lock().unwrap();
            let has_column: i64 = conn.query_row(&sql::has_search_column(&c), [], |row| row.get(0)).unwrap();
            assert_eq!(has_column, 1, "the rows carry their words");
            let fts: String = conn.query_row("SELECT sql FROM sqlite_master WHERE name = 'f_products'", [], |row| row.get(0)).unwrap();
            assert!(fts.contains("content = 'c_products'"), "{fts}");
        }
        // Writes keep the moved index in step with the rows.
        assert!(store.replace(&c, "p1", 1, doc(json!({"name": {"en": "Sukkari dates", "ar": "تمر سكري"}}))).await.unwrap().is_some());
        assert_eq!(store.find(&c, search("ajwa")).await.unwrap().1, 0);
        assert_eq!(store.find(&c, search("sukkari")).await.unwrap().1, 1);
        assert!(store.delete(&c, "p2", Some(1)).await.unwrap());
        assert_eq!(store.find(&c, search("coffee")).await.unwrap().1, 0);
        store.insert(&c, doc(json!({"name": {"en": "Cardamom coffee", "ar": "قهوة بالهيل"}}))).await.unwrap();
        assert_eq!(store.find(&c, search("coffee")).await.unwrap().1, 1);
        drop(store);
        text_index_is_consistent(&dir.path().join("shop.db"), &c);
        // Opening it again moves nothing.
        let store = SqliteStore::open(dir.path()).unwrap();
        assert_eq!(store.find(&c, search("تمر")).await.unwrap().1, 1);
        assert_eq!(store.find(&c, search("coffee")).await.unwrap().1, 1);
    }

    #[tokio::test]
    async fn a_data_directory_moves_between_the_host_and_the_spin_engine() {
        use shop_documents::engine::Engine;
        use shop_documents::testing::Sqlite;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shop.db");
        let c = Collection::parse("products").unwrap();
        let search = |text: &str| Query { filter: vec![], text: Some(text::words(text)), sort: vec![], skip: 0, limit: 10 };
        let ids = |found: (Vec<String>, u64)| -> Vec<String> {
            found.0.iter().map(|d| serde_json::from_str::<Value>(d).unwrap()["_id"].as_str().unwrap().to_owned()).collect()
        };
        // Written by the host…
        let host = SqliteStore::open(dir.path()).unwrap();
        let spec = IndexSpec::parse("search", vec![key("name.en", false), key("name.ar", false)], IndexKind::Text).unwrap();
        host.ensure_index(&c, spec.clone()).await.unwrap();
        let by_price = IndexSpec::parse("by_price", vec![key("price", false)], IndexKind::Regular).unwrap();
        host.ensure_index(&c, by_price.clone()).await.unwrap();
        let lamp: Value = serde_json::from_str(
            &host.insert(&c, doc(json!({"name": {"en": "Brass lamp", "ar": "مصباح نحاسي"}, "price": 50}))).await.unwrap(),
        )
        .unwrap();
        let lamp = lamp["_id"].as_str().unwrap().to_owned();
        drop(host);
        // …read, searched and written by the engine Spin runs…
        let engine = Engine::new(Sqlite(Connection::open(&path).unwrap()));
        engine.ensure_index(&c, spec).unwrap();
        engine.ensure_index(&c, by_price).unwrap();
        assert_eq!(ids(engine.find(&c, &search("مصباح")).unwrap()), vec![lamp.clone()]);
        let rug: Value =
            serde_json::from_str(&engine.insert(&c, doc(json!({"name": {"en": "Wool rug", "ar": "سجادة صوف"}, "price": 20}))).unwrap())
                .unwrap();
        let rug = rug["_id"].as_str().unwrap().to_owned();
        engine.replace(&c, &lamp, 1, doc(json!({"name": {"en": "Copper lamp", "ar": "مصباح نحاسي"}, "price": 60}))).unwrap().unwrap();
        drop(engine);
        // …and read and searched by the host again.
        let host = SqliteStore::open(dir.path()).unwrap();
        assert_eq!(ids(host.find(&c, search("rug")).await.unwrap()), vec![rug.clone()]);
        assert_eq!(ids(host.find(&c, search("brass")).await.unwrap()), Vec::<String>::new());
        assert_eq!(ids(host.find(&c, search("copper")).await.unwrap()), vec![lamp.clone()]);
        let by_price = Query { filter: vec![], text: None, sort: vec![key("price", false)], skip: 0, limit: 10 };
        assert_eq!(ids(host.find(&c, by_price).await.unwrap()), vec![rug.clone(), lamp.clone()]);
        assert!(host.delete(&c, &rug, Some(1)).await.unwrap());
        drop(host);
        assert_eq!(Engine::new(Sqlite(Connection::open(&path).unwrap())).find(&c, &search("wool")).unwrap().1, 0);
        text_index_is_consistent(&path, &c);
    }
}
