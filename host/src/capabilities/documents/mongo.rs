//! The MongoDB backend of `documents`, through the official `mongodb` driver.
//!
//! Selected when `MONGODB_URI` is set. The same semantics as the embedded store (the
//! conformance suite in `conformance.rs` runs against both):
//!
//! - documents keep `_id` (a string) and `_version`; replace and delete filter on both, so a
//!   stale version changes nothing and becomes `conflict`;
//! - indexes are MongoDB indexes named as declared; a duplicate-key error names its index;
//! - text search: a collection with a text index stores the normalised text of its text
//!   fields in a hidden `_search` field (never returned). Each query word must match a word
//!   there, the last one as a prefix (anchored regexes: no stemming, no stop words, same as
//!   the embedded store). This scans, like FTS without an index would, and needs no
//!   server-side text configuration;
//! - the client connects lazily: the host starts with MongoDB down, calls fail with
//!   `unavailable` (HTTP 503) after the server-selection timeout, and work again when it is back.

use super::text;
use super::{Clause, Collection, FieldPath, IndexKind, IndexSpec, Key, MAX_LIMIT, Op, Query, StoreError};
use mongodb::bson::{Bson, Document, doc};
use mongodb::error::{Error as MongoError, ErrorKind, WriteFailure};
use mongodb::options::{ClientOptions, IndexOptions};
use mongodb::{Client, Database, IndexModel};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::RwLock;
use std::time::Duration;

/// The hidden field holding a document's normalised searchable text.
const SEARCH_FIELD: &str = "_search";
/// Where declared indexes are recorded (so text fields are known after a restart).
const INDEXES_COLLECTION: &str = "_indexes";

/// The MongoDB document store.
pub struct MongoStore {
    db: Database,
    /// Declared indexes, by (collection, name).
    indexes: RwLock<HashMap<(String, String), IndexSpec>>,
    /// Each collection's text fields, once looked up (`None`: it has no text index).
    text_fields: RwLock<HashMap<String, Option<Vec<String>>>>,
}

/// MongoDB's error code for a write refused because the server's disk is full.
const OUT_OF_DISK_SPACE: i32 = 14031;

/// Maps a driver error to a store error: servers out of reach are `unavailable` (retry
/// later), a full disk is `full`, a duplicate key names its index.
pub fn map_error(error: &MongoError) -> StoreError {
    match error.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(e)) if e.code == 11000 => StoreError::Duplicate(duplicate_index_name(&e.message)),
        ErrorKind::Command(e) if e.code == 11000 => StoreError::Duplicate(duplicate_index_name(&e.message)),
        ErrorKind::Write(WriteFailure::WriteError(e)) if e.code == OUT_OF_DISK_SPACE => StoreError::Full(e.message.clone()),
        ErrorKind::Command(e) if e.code == OUT_OF_DISK_SPACE => StoreError::Full(e.message.clone()),
        ErrorKind::ServerSelection { .. } | ErrorKind::Io(_) | ErrorKind::ConnectionPoolCleared { .. } | ErrorKind::Shutdown => {
            StoreError::Unavailable(error.to_string())
        }
        _ => StoreError::Internal(error.to_string()),
    }
}

/// The index a duplicate-key message names: MongoDB's `E11000 duplicate key error
/// collection: db.c index: NAME dup key: …`, or DocumentDB's `Duplicate key violation on
/// the requested collection: Index 'NAME'`; the `_id` index when none is named.
pub fn duplicate_index_name(message: &str) -> String {
    let mongodb = message.split(" index: ").nth(1).and_then(|rest| rest.split_whitespace().next());
    let documentdb = || message.split("Index '").nth(1).and_then(|rest| rest.split('\'').next());
    match mongodb.or_else(documentdb).filter(|name| !name.is_empty()) {
        Some("_id_") | None => "_id".to_owned(),
        Some(name) => name.to_owned(),
    }
}

/// The key pattern a duplicate-key write error carries in its details (`keyPattern`, as
/// `{field: 1, …}`), when the server sent one.
pub fn duplicate_key_pattern(error: &MongoError) -> Option<Vec<String>> {
    let ErrorKind::Write(WriteFailure::WriteError(e)) = error.kind.as_ref() else { return None };
    if e.code != 11000 {
        return None;
    }
    let details = e.details.as_ref()?;
    let pattern = details.get_document("keyPattern").ok().or_else(|| details.get_document("keyValue").ok())?;
    Some(pattern.keys().cloned().collect())
}

/// The declared unique index over exactly `fields` (in order), among `declared`.
pub fn unique_index_over<'a>(declared: impl IntoIterator<Item = &'a IndexSpec>, fields: &[String]) -> Option<String> {
    if fields == ["_id"] {
        return Some("_id".to_owned());
    }
    declared
        .into_iter()
        .find(|spec| spec.kind == IndexKind::Unique && spec.keys.iter().map(|k| k.field.as_str()).eq(fields.iter().map(String::as_str)))
        .map(|spec| spec.name.clone())
}

/// A JSON value as BSON (integers as Int64, other numbers as Double).
pub fn to_bson(value: &Value) -> Bson {
    match value {
        Value::Null => Bson::Null,
        Value::Bool(b) => Bson::Boolean(*b),
        Value::Number(n) => n.as_i64().map(Bson::Int64).unwrap_or_else(|| Bson::Double(n.as_f64().unwrap_or(0.0))),
        Value::String(s) => Bson::String(s.clone()),
        Value::Array(items) => Bson::Array(items.iter().map(to_bson).collect()),
        Value::Object(map) => Bson::Document(map.iter().map(|(k, v)| (k.clone(), to_bson(v))).collect()),
    }
}

/// A BSON value as JSON (the store only ever writes the types `to_bson` produces).
pub fn to_json(value: &Bson) -> Value {
    match value {
        Bson::Null | Bson::Undefined => Value::Null,
        Bson::Boolean(b) => json!(b),
        Bson::Int32(n) => json!(n),
        Bson::Int64(n) => json!(n),
        Bson::Double(n) => json!(n),
        Bson::String(s) => json!(s),
        Bson::Array(items) => Value::Array(items.iter().map(to_json).collect()),
        Bson::Document(doc) => {
            Value::Object(doc.iter().filter(|(k, _)| *k != SEARCH_FIELD).map(|(k, v)| (k.clone(), to_json(v))).collect())
        }
        other => Value::String(other.to_string()),
    }
}

/// The MongoDB filter of a query's clauses and search words.
pub fn filter_document(filter: &[Clause], words: Option<&[String]>) -> Document {
    let mut clauses: Vec<Document> = filter.iter().map(clause_document).collect();
    if let Some(words) = words.filter(|w| !w.is_empty()) {
        // Words are letters and digits only (see `text::words`); escaping is belt and braces.
        for (i, word) in words.iter().enumerate() {
            clauses.push(doc! { SEARCH_FIELD: { "$regex": word_pattern(word, i, words.len()) } });
        }
    }
    match clauses.len() {
        0 => Document::new(),
        1 => clauses.remove(0),
        _ => doc! { "$and": clauses },
    }
}

fn clause_document(clause: &Clause) -> Document {
    let field = clause.field.as_str();
    let value = to_bson(&clause.value);
    let condition = match clause.op {
        Op::Eq => return doc! { field: value },
        Op::Ne => doc! { "$ne": value },
        Op::Gt => doc! { "$gt": value },
        Op::Gte => doc! { "$gte": value },
        Op::Lt => doc! { "$lt": value },
        Op::Lte => doc! { "$lte": value },
        Op::In => doc! { "$in": value },
        Op::Exists => doc! { "$exists": clause.value.as_bool().unwrap_or(true) },
    };
    doc! { field: condition }
}

/// The sort document: the keys, then `_id` for stable pages.
pub fn sort_document(keys: &[Key]) -> Document {
    let mut sort = Document::new();
    for key in keys {
        sort.insert(key.field.as_str(), if key.descending { -1 } else { 1 });
    }
    if !sort.contains_key("_id") {
        sort.insert("_id", 1);
    }
    sort
}

/// The MongoDB index for a declaration (text indexes need none: see the module docs).
pub fn index_model(spec: &IndexSpec) -> Option<IndexModel> {
    if spec.kind == IndexKind::Text {
        return None;
    }
    let mut keys = Document::new();
    for key in &spec.keys {
        keys.insert(key.field.as_str(), if key.descending { -1 } else { 1 });
    }
    let options = IndexOptions::builder().name(spec.name.clone()).unique(spec.kind == IndexKind::Unique).build();
    Some(IndexModel::builder().keys(keys).options(options).build())
}

fn searchable(doc: &Map<String, Value>, fields: &[String]) -> String {
    let root = Value::Object(doc.clone());
    let mut out = String::new();
    for field in fields {
        if let Some(Value::String(s)) = field.split('.').try_fold(&root, |v, s| v.get(s)) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&text::words(s).join(" "));
        }
    }
    out
}

fn spec_document(collection: &Collection, spec: &IndexSpec) -> Document {
    let kind = match spec.kind {
        IndexKind::Regular => "regular",
        IndexKind::Unique => "unique",
        IndexKind::Text => "text",
    };
    let keys: Vec<Document> = spec.keys.iter().map(|k| doc! { "field": k.field.as_str(), "descending": k.descending }).collect();
    doc! { "_id": format!("{}/{}", collection.as_str(), spec.name), "collection": collection.as_str(), "name": &spec.name, "kind": kind, "keys": keys }
}

fn spec_from_document(doc: &Document) -> Option<IndexSpec> {
    let kind = match doc.get_str("kind").ok()? {
        "unique" => IndexKind::Unique,
        "text" => IndexKind::Text,
        _ => IndexKind::Regular,
    };
    let keys = doc
        .get_array("keys")
        .ok()?
        .iter()
        .filter_map(|k| {
            let k = k.as_document()?;
            Some(Key {
                field: super::FieldPath::parse(k.get_str("field").ok()?).ok()?,
                descending: k.get_bool("descending").unwrap_or(false),
            })
        })
        .collect();
    IndexSpec::parse(doc.get_str("name").ok()?, keys, kind).ok()
}

/// What relevance ranking needs of a collection: its searchable documents, their words in
/// all, and how many documents match each query word.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchStats {
    /// Documents with searchable text (FTS5's row count).
    pub rows: u64,
    /// Words in all of them (FTS5's total column size).
    pub tokens: u64,
    /// Per query word, the documents holding it (the last word as a prefix).
    pub hits: Vec<u64>,
}

/// Whether `token` matches query word `i` of `n` (the last one as a prefix).
fn word_matches(token: &str, word: &str, i: usize, n: usize) -> bool {
    if i + 1 == n { token.starts_with(word) } else { token == word }
}

/// The relevance of a document whose searchable text is `text`: FTS5's `bm25()` (k1 = 1.2,
/// b = 0.75, IDF floored at 1e-6, negated so that better is smaller), computed the same way
/// so that both backends rank a search alike.
pub fn bm25(stats: &SearchStats, words: &[String], text: &str) -> f64 {
    const K1: f64 = 1.2;
    const B: f64 = 0.75;
    let tokens: Vec<&str> = text.split(' ').filter(|t| !t.is_empty()).collect();
    let length = tokens.len() as f64;
    let average = stats.tokens as f64 / stats.rows as f64;
    let mut score = 0.0;
    for (i, word) in words.iter().enumerate() {
        let hits = stats.hits.get(i).copied().unwrap_or(0) as f64;
        let mut idf = ((stats.rows as f64 - hits + 0.5) / (hits + 0.5)).ln();
        if idf <= 0.0 {
            idf = 1e-6;
        }
        let freq = tokens.iter().filter(|t| word_matches(t, word, i, words.len())).count() as f64;
        score += idf * ((freq * (K1 + 1.0)) / (freq + K1 * (1.0 - B + B * length / average)));
    }
    -score
}

/// The regex matching query word `i` of `n` in the search field (see `filter_document`).
fn word_pattern(word: &str, i: usize, n: usize) -> String {
    let escaped: String = word.chars().flat_map(|c| if c.is_alphanumeric() { vec![c] } else { vec!['\\', c] }).collect();
    if i + 1 == n { format!("(^| ){escaped}") } else { format!("(^| ){escaped}( |$)") }
}

/// The aggregation giving a collection's [`SearchStats`] for `words`, in one pass.
pub fn search_stats_pipeline(words: &[String]) -> Vec<Document> {
    let mut project = doc! {
        "tokens": { "$size": { "$filter": { "input": { "$split": [format!("${SEARCH_FIELD}"), " "] }, "cond": { "$ne": ["$$this", ""] } } } },
    };
    let mut group = doc! { "_id": Bson::Null, "rows": { "$sum": 1 }, "tokens": { "$sum": "$tokens" } };
    for (i, word) in words.iter().enumerate() {
        let pattern = word_pattern(word, i, words.len());
        project.insert(
            format!("h{i}"),
            doc! { "$cond": [{ "$regexMatch": { "input": format!("${SEARCH_FIELD}"), "regex": pattern } }, 1, 0] },
        );
        group.insert(format!("h{i}"), doc! { "$sum": format!("$h{i}") });
    }
    vec![doc! { "$match": { SEARCH_FIELD: { "$exists": true } } }, doc! { "$project": project }, doc! { "$group": group }]
}

fn count_of(doc: &Document, key: &str) -> u64 {
    match doc.get(key) {
        Some(Bson::Int32(n)) => *n as u64,
        Some(Bson::Int64(n)) => *n as u64,
        Some(Bson::Double(n)) => *n as u64,
        _ => 0,
    }
}

impl MongoStore {
    /// A store on the database of `uri` (or `database` when given). Does not connect yet.
    pub async fn connect(uri: &str, database: Option<&str>) -> Result<Self, StoreError> {
        let mut options = ClientOptions::parse(uri).await.map_err(|e| StoreError::Invalid(format!("MONGODB_URI: {e}")))?;
        options.app_name = Some("shop-host".into());
        // Fail fast while MongoDB is down (503 to the client) rather than hold requests for
        // the driver's 30 s default; a timeout given in the URI wins.
        options.server_selection_timeout.get_or_insert(Duration::from_secs(3));
        options.connect_timeout.get_or_insert(Duration::from_secs(3));
        let name = database.map(str::to_owned).or_else(|| options.default_database.clone()).unwrap_or_else(|| "shop".to_owned());
        let client = Client::with_options(options).map_err(|e| map_error(&e))?;
        Ok(Self { db: client.database(&name), indexes: RwLock::default(), text_fields: RwLock::default() })
    }

    /// The database name.
    pub fn database(&self) -> &str {
        self.db.name()
    }

    fn collection(&self, c: &Collection) -> mongodb::Collection<Document> {
        self.db.collection(c.as_str())
    }

    /// Whether the server answers now.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.run_command(doc! { "ping": 1 }).await.map(drop).map_err(|e| map_error(&e))
    }

    /// A failed write as a store error. A duplicate key names its index from the error's
    /// structured details when the server gives them (its key pattern, matched against the
    /// declared unique indexes), else from the message.
    fn write_error(&self, c: &Collection, error: &MongoError) -> StoreError {
        if let Some(fields) = duplicate_key_pattern(error) {
            let declared = self.indexes.read().ok().map(|m| {
                m.iter().filter(|((collection, _), _)| collection == c.as_str()).map(|(_, spec)| spec.clone()).collect::<Vec<_>>()
            });
            if let Some(name) = unique_index_over(declared.iter().flatten(), &fields) {
                return StoreError::Duplicate(name);
            }
        }
        map_error(error)
    }

    /// The collection's text fields, from memory or from the recorded index declarations.
    async fn text_fields(&self, c: &Collection) -> Result<Option<Vec<String>>, StoreError> {
        if let Some(known) = self.text_fields.read().ok().and_then(|m| m.get(c.as_str()).cloned()) {
            return Ok(known);
        }
        self.recorded_text_fields(c).await
    }

    /// The collection's text fields as recorded now (another host may have declared them
    /// since this one last looked), remembered.
    async fn recorded_text_fields(&self, c: &Collection) -> Result<Option<Vec<String>>, StoreError> {
        let recorded = self
            .db
            .collection::<Document>(INDEXES_COLLECTION)
            .find_one(doc! { "collection": c.as_str(), "kind": "text" })
            .await
            .map_err(|e| map_error(&e))?;
        let fields = recorded.as_ref().and_then(spec_from_document).map(|spec| spec.fields());
        if let Ok(mut map) = self.text_fields.write() {
            map.insert(c.as_str().to_owned(), fields.clone());
        }
        Ok(fields)
    }

    /// Builds the stored form: the JSON fields, the store's own, and the search text.
    async fn stored(&self, c: &Collection, mut doc: Map<String, Value>, id: &str, version: u64) -> Result<(Document, String), StoreError> {
        doc.insert("_id".into(), json!(id));
        doc.insert("_version".into(), json!(version));
        let json = Value::Object(doc.clone()).to_string();
        let mut bson: Document = doc.iter().map(|(k, v)| (k.clone(), to_bson(v))).collect();
        if let Some(fields) = self.text_fields(c).await? {
            bson.insert(SEARCH_FIELD, searchable(&doc, &fields));
        }
        Ok((bson, json))
    }

    /// The document with this id.
    pub async fn get(&self, c: &Collection, id: &str) -> Result<Option<String>, StoreError> {
        let found = self.collection(c).find_one(doc! { "_id": id }).await.map_err(|e| map_error(&e))?;
        Ok(found.map(|d| to_json(&Bson::Document(d)).to_string()))
    }

    /// The documents matching a query, and their total.
    pub async fn find(&self, c: &Collection, q: Query) -> Result<(Vec<String>, u64), StoreError> {
        // A search is refused only if the text index is still missing from the declarations
        // (not just from what this host remembers), as the SQLite store re-reads its schema.
        if q.text.as_ref().is_some_and(|w| !w.is_empty())
            && self.text_fields(c).await?.is_none()
            && self.recorded_text_fields(c).await?.is_none()
        {
            return Err(StoreError::Invalid(format!("collection {} has no text index", c.as_str())));
        }
        let filter = filter_document(&q.filter, q.text.as_deref());
        let collection = self.collection(c);
        if let Some(words) = q.text.as_ref().filter(|w| !w.is_empty() && q.sort.is_empty()) {
            return self.find_by_relevance(c, filter, words, q.skip, q.limit.min(MAX_LIMIT)).await;
        }
        let total = collection.count_documents(filter.clone()).await.map_err(|e| map_error(&e))?;
        let limit = q.limit.min(MAX_LIMIT);
        if limit == 0 {
            return Ok((Vec::new(), total));
        }
        let mut cursor = collection
            .find(filter)
            .sort(sort_document(&q.sort))
            .skip(u64::from(q.skip))
            .limit(i64::from(limit))
            .projection(doc! { SEARCH_FIELD: 0 })
            .await
            .map_err(|e| map_error(&e))?;
        let mut items = Vec::new();
        while cursor.advance().await.map_err(|e| map_error(&e))? {
            let doc = cursor.deserialize_current().map_err(|e| map_error(&e))?;
            items.push(to_json(&Bson::Document(doc)).to_string());
        }
        Ok((items, total))
    }

    /// A text search without a sort, by relevance as the embedded store ranks it (FTS5's
    /// bm25, ties by `_id`): the matches' words are scored here, then the page is read.
    async fn find_by_relevance(
        &self,
        c: &Collection,
        filter: Document,
        words: &[String],
        skip: u32,
        limit: u32,
    ) -> Result<(Vec<String>, u64), StoreError> {
        let collection = self.collection(c);
        let mut stats_cursor = collection.aggregate(search_stats_pipeline(words)).await.map_err(|e| map_error(&e))?;
        let stats = match stats_cursor.advance().await.map_err(|e| map_error(&e))? {
            true => {
                let totals = stats_cursor.deserialize_current().map_err(|e| map_error(&e))?;
                SearchStats {
                    rows: count_of(&totals, "rows"),
                    tokens: count_of(&totals, "tokens"),
                    hits: (0..words.len()).map(|i| count_of(&totals, &format!("h{i}"))).collect(),
                }
            }
            false => return Ok((Vec::new(), 0)),
        };
        let mut matches = collection.find(filter).projection(doc! { "_id": 1, SEARCH_FIELD: 1 }).await.map_err(|e| map_error(&e))?;
        let mut scored: Vec<(f64, String)> = Vec::new();
        while matches.advance().await.map_err(|e| map_error(&e))? {
            let found = matches.deserialize_current().map_err(|e| map_error(&e))?;
            let Ok(id) = found.get_str("_id") else { continue };
            scored.push((bm25(&stats, words, found.get_str(SEARCH_FIELD).unwrap_or("")), id.to_owned()));
        }
        let total = scored.len() as u64;
        scored.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
        let page: Vec<String> = scored.into_iter().skip(skip as usize).take(limit as usize).map(|(_, id)| id).collect();
        if page.is_empty() {
            return Ok((Vec::new(), total));
        }
        let mut cursor =
            collection.find(doc! { "_id": { "$in": &page } }).projection(doc! { SEARCH_FIELD: 0 }).await.map_err(|e| map_error(&e))?;
        let mut by_id = HashMap::new();
        while cursor.advance().await.map_err(|e| map_error(&e))? {
            let found = cursor.deserialize_current().map_err(|e| map_error(&e))?;
            if let Ok(id) = found.get_str("_id") {
                by_id.insert(id.to_owned(), to_json(&Bson::Document(found.clone())).to_string());
            }
        }
        // A document deleted between the two reads drops out of the page.
        Ok((page.iter().filter_map(|id| by_id.remove(id)).collect(), total))
    }

    /// How many documents match `filter`, per value of `field`.
    pub async fn count_by(&self, c: &Collection, filter: Vec<Clause>, field: &FieldPath) -> Result<Vec<(Value, u64)>, StoreError> {
        let pipeline = vec![
            doc! { "$match": filter_document(&filter, None) },
            doc! { "$group": { "_id": format!("${}", field.as_str()), "n": { "$sum": 1 } } },
        ];
        let mut cursor = self.collection(c).aggregate(pipeline).await.map_err(|e| map_error(&e))?;
        let mut out = Vec::new();
        while cursor.advance().await.map_err(|e| map_error(&e))? {
            let group = cursor.deserialize_current().map_err(|e| map_error(&e))?;
            let value = group.get("_id").map(to_json).unwrap_or(Value::Null);
            let n = match group.get("n") {
                Some(Bson::Int32(n)) => *n as u64,
                Some(Bson::Int64(n)) => *n as u64,
                _ => 0,
            };
            out.push((value, n));
        }
        Ok(out)
    }

    /// Stores a new document at version 1.
    pub async fn insert(&self, c: &Collection, doc: Map<String, Value>) -> Result<String, StoreError> {
        let id = super::document_id(&doc)?;
        let (bson, json) = self.stored(c, doc, &id, 1).await?;
        self.collection(c).insert_one(bson).await.map_err(|e| self.write_error(c, &e))?;
        Ok(json)
    }

    /// Replaces a document at the expected version.
    pub async fn replace(&self, c: &Collection, id: &str, expected: u64, doc: Map<String, Value>) -> Result<Option<String>, StoreError> {
        let next = expected.checked_add(1).ok_or_else(|| StoreError::Invalid("version overflow".into()))?;
        let (bson, json) = self.stored(c, doc, id, next).await?;
        let collection = self.collection(c);
        let result =
            collection.replace_one(doc! { "_id": id, "_version": expected as i64 }, bson).await.map_err(|e| self.write_error(c, &e))?;
        if result.matched_count == 1 {
            return Ok(Some(json));
        }
        match collection.find_one(doc! { "_id": id }).projection(doc! { "_version": 1 }).await.map_err(|e| map_error(&e))? {
            None => Ok(None),
            Some(current) => Err(StoreError::Conflict(format!(
                "expected version {expected}, current is {}",
                current.get("_version").map(|v| to_json(v).to_string()).unwrap_or_default()
            ))),
        }
    }

    /// Deletes a document (at a version, when given).
    pub async fn delete(&self, c: &Collection, id: &str, expected: Option<u64>) -> Result<bool, StoreError> {
        let collection = self.collection(c);
        let mut filter = doc! { "_id": id };
        if let Some(expected) = expected {
            filter.insert("_version", expected as i64);
        }
        let result = collection.delete_one(filter).await.map_err(|e| map_error(&e))?;
        if result.deleted_count == 1 {
            return Ok(true);
        }
        if let Some(expected) = expected
            && let Some(current) = collection.find_one(doc! { "_id": id }).await.map_err(|e| map_error(&e))?
        {
            return Err(StoreError::Conflict(format!(
                "expected version {expected}, current is {}",
                current.get("_version").map(|v| to_json(v).to_string()).unwrap_or_default()
            )));
        }
        Ok(false)
    }

    /// Creates an index unless it exists with the same definition.
    pub async fn ensure_index(&self, c: &Collection, spec: IndexSpec) -> Result<(), StoreError> {
        let key = (c.as_str().to_owned(), spec.name.clone());
        if let Some(existing) = self.indexes.read().ok().and_then(|m| m.get(&key).cloned()) {
            return if existing == spec {
                Ok(())
            } else {
                Err(StoreError::Invalid(format!("index {} exists with another definition", spec.name)))
            };
        }
        let registry = self.db.collection::<Document>(INDEXES_COLLECTION);
        let id = format!("{}/{}", c.as_str(), spec.name);
        if let Some(recorded) = registry.find_one(doc! { "_id": &id }).await.map_err(|e| map_error(&e))? {
            if spec_from_document(&recorded).as_ref() != Some(&spec) {
                return Err(StoreError::Invalid(format!("index {} exists with another definition", spec.name)));
            }
        } else {
            if spec.kind == IndexKind::Text {
                let wanted = spec.fields();
                // The same text index declared by a concurrent request is not a second one.
                if self.text_fields(c).await?.is_some_and(|existing| existing != wanted) {
                    return Err(StoreError::Invalid(format!("collection {} already has a text index", c.as_str())));
                }
            }
            if let Some(model) = index_model(&spec) {
                self.collection(c).create_index(model).await.map_err(|e| map_error(&e))?;
            }
            if let Err(error) = registry.insert_one(spec_document(c, &spec)).await {
                // A concurrent declaration of the same index won the race: that is success.
                let recorded = registry.find_one(doc! { "_id": &id }).await.map_err(|e| map_error(&e))?;
                if recorded.as_ref().and_then(spec_from_document).as_ref() != Some(&spec) {
                    return Err(map_error(&error));
                }
            }
            if spec.kind == IndexKind::Text {
                self.backfill_search(c, &spec).await?;
            }
        }
        if let Ok(mut map) = self.indexes.write() {
            map.insert(key, spec);
        }
        Ok(())
    }

    /// Fills `_search` on the documents stored before the text index was declared.
    async fn backfill_search(&self, c: &Collection, spec: &IndexSpec) -> Result<(), StoreError> {
        let fields = spec.fields();
        if let Ok(mut map) = self.text_fields.write() {
            map.insert(c.as_str().to_owned(), Some(fields.clone()));
        }
        let collection = self.collection(c);
        let mut cursor = collection.find(doc! {}).await.map_err(|e| map_error(&e))?;
        while cursor.advance().await.map_err(|e| map_error(&e))? {
            let doc = cursor.deserialize_current().map_err(|e| map_error(&e))?;
            let Value::Object(json) = to_json(&Bson::Document(doc.clone())) else { continue };
            let Some(id) = doc.get("_id").cloned() else { continue };
            collection
                .update_one(doc! { "_id": id }, doc! { "$set": { SEARCH_FIELD: searchable(&json, &fields) } })
                .await
                .map_err(|e| map_error(&e))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::FieldPath;
    use super::*;

    fn clause(field: &str, op: Op, value: &str) -> Clause {
        Clause::parse(field, op, value).unwrap()
    }

    #[test]
    fn filters_translate_to_mongodb_operators() {
        let filter = filter_document(
            &[
                clause("status", Op::Eq, "\"published\""),
                clause("price.amount", Op::Gte, "100"),
                clause("price.amount", Op::Lt, "250.5"),
                clause("category", Op::In, "[\"a\", \"b\"]"),
                clause("deleted_at", Op::Exists, "false"),
                clause("slug", Op::Ne, "null"),
            ],
            None,
        );
        let expected = doc! { "$and": [
            { "status": "published" },
            { "price.amount": { "$gte": 100_i64 } },
            { "price.amount": { "$lt": 250.5 } },
            { "category": { "$in": ["a", "b"] } },
            { "deleted_at": { "$exists": false } },
            { "slug": { "$ne": Bson::Null } },
        ] };
        assert_eq!(filter, expected);
        assert_eq!(filter_document(&[clause("a", Op::Eq, "true")], None), doc! { "a": true });
        assert_eq!(filter_document(&[], None), doc! {});
    }

    #[test]
    fn search_words_become_anchored_regexes() {
        let words = text::words("قَهْوَة عربيه");
        let filter = filter_document(&[], Some(&words));
        assert_eq!(
            filter,
            doc! { "$and": [
                { "_search": { "$regex": "(^| )قهوه( |$)" } },
                { "_search": { "$regex": "(^| )عربيه" } },
            ] }
        );
    }

    #[test]
    fn sorts_end_with_the_id() {
        let keys = [Key { field: FieldPath::parse("price.amount").unwrap(), descending: true }];
        assert_eq!(sort_document(&keys), doc! { "price.amount": -1, "_id": 1 });
    }

    #[test]
    fn index_specs_translate() {
        let spec =
            IndexSpec::parse("slug_unique", vec![Key { field: FieldPath::parse("slug").unwrap(), descending: false }], IndexKind::Unique)
                .unwrap();
        let model = index_model(&spec).unwrap();
        assert_eq!(model.keys, doc! { "slug": 1 });
        let options = model.options.unwrap();
        assert_eq!((options.name.as_deref(), options.unique), (Some("slug_unique"), Some(true)));
        let text = IndexSpec::parse("search", spec.keys.clone(), IndexKind::Text).unwrap();
        assert!(index_model(&text).is_none());
        let recorded = spec_document(&Collection::parse("categories").unwrap(), &spec);
        assert_eq!(spec_from_document(&recorded), Some(spec));
    }

    #[test]
    fn duplicate_key_messages_name_the_index() {
        let message = "E11000 duplicate key error collection: shop.categories index: slug_unique dup key: { slug: \"books\" }";
        assert_eq!(duplicate_index_name(message), "slug_unique");
        assert_eq!(duplicate_index_name("E11000 duplicate key error collection: shop.c index: _id_ dup key: { _id: \"x\" }"), "_id");
        // DocumentDB's wording.
        assert_eq!(duplicate_index_name("Duplicate key violation on the requested collection: Index 'email_unique'"), "email_unique");
        assert_eq!(duplicate_index_name("Duplicate key violation on the requested collection: Index '_id_'"), "_id");
        assert_eq!(duplicate_index_name("duplicate key"), "_id");
    }

    #[test]
    fn relevance_is_the_embedded_stores_bm25() {
        let texts = ["coffee coffee beans", "coffee beans and many more words here", "tea", "arabic coffee", "coffeepot and tea", "milk"];
        let db = rusqlite::Connection::open_in_memory().unwrap();
        db.execute_batch(&format!("CREATE VIRTUAL TABLE f USING fts5(content, {})", shop_documents::sql::FTS_TOKENIZE)).unwrap();
        for (i, text) in texts.iter().enumerate() {
            db.execute("INSERT INTO f (rowid, content) VALUES (?1, ?2)", rusqlite::params![i as i64 + 1, text]).unwrap();
        }
        for query in ["coffee", "coffee bea", "tea", "coff", "and t"] {
            let words = text::words(query);
            let tokens = texts.iter().map(|t| t.split(' ').count() as u64).sum();
            let hits = (0..words.len())
                .map(|i| texts.iter().filter(|t| t.split(' ').any(|tok| word_matches(tok, &words[i], i, words.len()))).count() as u64)
                .collect();
            let stats = SearchStats { rows: texts.len() as u64, tokens, hits };
            let mut statement = db.prepare("SELECT rowid, rank FROM f WHERE f MATCH ?1 ORDER BY rank").unwrap();
            let ranks: Vec<(i64, f64)> = statement
                .query_map([shop_documents::sql::fts_query(&words)], |row| Ok((row.get(0)?, row.get(1)?)))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            assert!(!ranks.is_empty(), "{query}");
            for (rowid, rank) in ranks {
                let ours = bm25(&stats, &words, texts[rowid as usize - 1]);
                assert!((ours - rank).abs() < 1e-9, "{query:?} on {:?}: SQLite {rank}, ours {ours}", texts[rowid as usize - 1]);
            }
        }
    }

    #[test]
    fn a_key_pattern_names_the_unique_index_over_its_fields() {
        let key = |f: &str| Key { field: FieldPath::parse(f).unwrap(), descending: false };
        let declared = [
            IndexSpec::parse("by_email", vec![key("email")], IndexKind::Regular).unwrap(),
            IndexSpec::parse("email_unique", vec![key("email")], IndexKind::Unique).unwrap(),
            IndexSpec::parse("pair", vec![key("a"), key("b")], IndexKind::Unique).unwrap(),
        ];
        assert_eq!(unique_index_over(&declared, &["email".to_owned()]).as_deref(), Some("email_unique"));
        assert_eq!(unique_index_over(&declared, &["a".to_owned(), "b".to_owned()]).as_deref(), Some("pair"));
        assert_eq!(unique_index_over(&declared, &["b".to_owned(), "a".to_owned()]), None);
        assert_eq!(unique_index_over(&declared, &["_id".to_owned()]).as_deref(), Some("_id"));
    }

    #[test]
    fn json_round_trips_through_bson_without_the_search_field() {
        let value = json!({"a": 1, "b": 2.5, "c": [true, null, "x"], "d": {"e": -7}});
        assert_eq!(to_json(&to_bson(&value)), value);
        let Bson::Document(mut doc) = to_bson(&value) else { unreachable!() };
        doc.insert(SEARCH_FIELD, "hidden");
        assert_eq!(to_json(&Bson::Document(doc)), value);
    }

    #[tokio::test]
    async fn unreachable_servers_are_unavailable() {
        // Nothing listens on port 1: the store is configured, and every call is `unavailable`.
        let store = MongoStore::connect("mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300", None).await.unwrap();
        assert_eq!(store.database(), "shop");
        assert!(matches!(store.ping().await, Err(StoreError::Unavailable(_))));
        let c = Collection::parse("items").unwrap();
        assert!(matches!(store.get(&c, "x").await, Err(StoreError::Unavailable(_))));
    }
}
