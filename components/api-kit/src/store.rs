//! A typed view of the `documents` capability: stored documents split into id, version and
//! body, and store failures mapped to the answers a client should get.
//!
//! A collection whose documents have a type is a [`Collection`]: its reads give
//! `Stored<B>`, its writes take a `B`. The free functions serve the collections still kept
//! as JSON maps (`Stored` with its default body).

use crate::documents::{self, Clause, Error as StoreError, IndexKind, IndexSpec, Key, Op, Query};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use shop_domain::Problem;
use std::marker::PhantomData;

/// A stored document: its id, version and body (without the store's own fields).
#[derive(Debug, Clone)]
pub struct Stored<B = Map<String, Value>> {
    /// `_id`.
    pub id: String,
    /// `_version`.
    pub version: u64,
    /// The other fields.
    pub body: B,
}

impl<B: Serialize> Stored<B> {
    /// The document as the store's JSON text again (`{_id, _version, …}`).
    pub fn to_json(&self) -> String {
        let mut whole = match serde_json::to_value(&self.body) {
            Ok(Value::Object(body)) => body,
            _ => Map::new(),
        };
        whole.insert("_id".into(), Value::String(self.id.clone()));
        whole.insert("_version".into(), Value::from(self.version));
        Value::Object(whole).to_string()
    }
}

impl<B: DeserializeOwned> Stored<B> {
    /// Reads a document's JSON text; one whose body is not a `B` is an internal error (the
    /// component wrote it, so it is).
    pub fn parse(json: &str) -> Result<Self, Problem> {
        let mut body = match serde_json::from_str::<Value>(json) {
            Ok(Value::Object(body)) => body,
            _ => return Err(Problem::internal()),
        };
        let id = match body.remove("_id") {
            Some(Value::String(id)) => id,
            _ => return Err(Problem::internal()),
        };
        let version = body.remove("_version").and_then(|v| v.as_u64()).ok_or_else(Problem::internal)?;
        let body = serde_json::from_value(Value::Object(body)).map_err(|_| Problem::internal())?;
        Ok(Self { id, version, body })
    }
}

/// A collection whose documents are `B`s (written with serde, read back the same way).
pub struct Collection<B> {
    /// The collection's name.
    pub name: &'static str,
    body: PhantomData<fn() -> B>,
}

impl<B> Collection<B> {
    /// The collection `name`.
    pub const fn new(name: &'static str) -> Self {
        Self { name, body: PhantomData }
    }
}

impl<B: Serialize + DeserializeOwned> Collection<B> {
    /// The document with this id.
    pub fn get(&self, id: &str) -> Result<Option<Stored<B>>, Problem> {
        get_as(self.name, id)
    }

    /// The document whose id, or else whose `slug`, is `key`.
    pub fn get_by_id_or_slug(&self, key: &str) -> Result<Option<Stored<B>>, Problem> {
        get_json_by_id_or_slug(self.name, key)?.map(|json| Stored::parse(&json)).transpose()
    }

    /// The first document matching the filter.
    pub fn find_one(&self, filter: Vec<Clause>) -> Result<Option<Stored<B>>, Problem> {
        find_one_as(self.name, filter)
    }

    /// A page of documents and the total matching.
    pub fn find(&self, query: &Query) -> Result<(Vec<Stored<B>>, u64), Problem> {
        find_as(self.name, query)
    }

    /// Inserts a document under a new id, or under `id` when given (a caller that names
    /// files after the document before it exists); the raw store error is returned so
    /// callers can name a duplicate.
    pub fn insert(&self, id: Option<&str>, body: &B) -> Result<Result<Stored<B>, StoreError>, Problem> {
        let text = match id {
            None => to_text(body)?,
            Some(id) => {
                let Ok(Value::Object(mut fields)) = serde_json::to_value(body) else { return Err(Problem::internal()) };
                fields.insert("_id".into(), Value::String(id.to_owned()));
                to_text(&fields)?
            }
        };
        insert_text(self.name, &text)
    }

    /// Replaces a document at a version (see [`replace`]).
    pub fn replace(&self, id: &str, version: u64, body: &B) -> Result<Result<Option<Stored<B>>, StoreError>, Problem> {
        replace_text(self.name, id, version, &to_text(body)?)
    }

    /// Deletes a document, at a version when one is given.
    pub fn delete(&self, id: &str, version: Option<u64>) -> Result<bool, Problem> {
        delete(self.name, id, version)
    }
}

/// A body as the JSON text the store takes.
fn to_text(body: &impl Serialize) -> Result<String, Problem> {
    serde_json::to_string(body).map_err(|_| Problem::internal())
}

// The reads and writes themselves, once for typed collections and for JSON maps alike.

fn get_as<B: DeserializeOwned>(collection: &str, id: &str) -> Result<Option<Stored<B>>, Problem> {
    documents::get(collection, id).map_err(problem)?.map(|json| Stored::parse(&json)).transpose()
}

fn find_one_as<B: DeserializeOwned>(collection: &str, filter: Vec<Clause>) -> Result<Option<Stored<B>>, Problem> {
    let query = Query { filter, text: None, sort: Vec::new(), skip: 0, limit: ONE_WITHOUT_TOTAL };
    let page = documents::find(collection, &query).map_err(problem)?;
    page.items.first().map(|json| Stored::parse(json)).transpose()
}

fn find_as<B: DeserializeOwned>(collection: &str, query: &Query) -> Result<(Vec<Stored<B>>, u64), Problem> {
    let page = documents::find(collection, query).map_err(problem)?;
    let items = page.items.iter().map(|json| Stored::parse(json)).collect::<Result<_, _>>()?;
    Ok((items, page.total))
}

fn insert_text<B: DeserializeOwned>(collection: &str, text: &str) -> Result<Result<Stored<B>, StoreError>, Problem> {
    match documents::insert(collection, text) {
        Ok(json) => Stored::parse(&json).map(Ok),
        Err(error @ StoreError::Duplicate(_)) => Ok(Err(error)),
        Err(error) => Err(problem(error)),
    }
}

fn replace_text<B: DeserializeOwned>(
    collection: &str,
    id: &str,
    version: u64,
    text: &str,
) -> Result<Result<Option<Stored<B>>, StoreError>, Problem> {
    match documents::replace(collection, id, version, text) {
        Ok(Some(json)) => Stored::parse(&json).map(|s| Ok(Some(s))),
        Ok(None) => Ok(Ok(None)),
        Err(error @ (StoreError::Duplicate(_) | StoreError::Conflict(_))) => Ok(Err(error)),
        Err(error) => Err(problem(error)),
    }
}

/// Maps a store failure to the answer a client should get.
fn problem(error: StoreError) -> Problem {
    match error {
        StoreError::Conflict(detail) => {
            Problem::conflict(format!("The resource was changed by someone else ({detail}). Fetch it again and retry."))
        }
        StoreError::Duplicate(index) => Problem::conflict(format!("Another resource already uses this value ({index}).")),
        StoreError::Unavailable(_) => Problem::unavailable("The store is unavailable. Try again shortly."),
        StoreError::Full(_) => Problem::insufficient_storage(
            "The change was not saved: the store has no room left. Reading still works; try again once room is made.",
        ),
        StoreError::Invalid(_) | StoreError::Internal(_) => Problem::internal(),
    }
}

/// Reports whether a store error is a unique-index violation, and of which index.
pub fn duplicate_index(error: &StoreError) -> Option<&str> {
    match error {
        StoreError::Duplicate(index) => Some(index),
        _ => None,
    }
}

/// A filter clause.
pub fn clause(field: &str, op: Op, value: Value) -> Clause {
    Clause { field: field.to_owned(), op, value: value.to_string() }
}

/// An ascending or descending sort key.
pub fn key(field: &str, descending: bool) -> Key {
    Key { field: field.to_owned(), descending }
}

/// Declares an index (idempotent; the host remembers the ones it has made).
pub fn ensure_index(collection: &str, name: &str, keys: Vec<Key>, kind: IndexKind) -> Result<(), Problem> {
    documents::ensure_index(collection, &IndexSpec { name: name.to_owned(), keys, kind }).map_err(problem)
}

/// An index declaration for [`ensure_indexes`].
pub fn index(name: &str, keys: Vec<Key>, kind: IndexKind) -> IndexSpec {
    IndexSpec { name: name.to_owned(), keys, kind }
}

/// Declares several indexes of one collection in one host call (each idempotent).
pub fn ensure_indexes(collection: &str, specs: &[IndexSpec]) -> Result<(), Problem> {
    documents::ensure_indexes(collection, specs).map_err(problem)
}

/// The document with this id.
pub fn get(collection: &str, id: &str) -> Result<Option<Stored>, Problem> {
    get_as(collection, id)
}

/// The document whose id, or else whose `slug`, is `key` (addresses accept either).
pub fn get_by_id_or_slug(collection: &str, key: &str) -> Result<Option<Stored>, Problem> {
    get_json_by_id_or_slug(collection, key)?.map(|json| Stored::parse(&json)).transpose()
}

/// As [`get_by_id_or_slug`], the document as the store's JSON text.
pub fn get_json_by_id_or_slug(collection: &str, key: &str) -> Result<Option<String>, Problem> {
    if let Some(found) = documents::get(collection, key).map_err(problem)? {
        return Ok(Some(found));
    }
    if shop_domain::Slug::parse(key).is_err() {
        return Ok(None);
    }
    let by_slug = Query {
        filter: vec![clause("slug", Op::Eq, Value::String(key.to_owned()))],
        text: None,
        sort: Vec::new(),
        skip: 0,
        limit: ONE_WITHOUT_TOTAL,
    };
    Ok(documents::find(collection, &by_slug).map_err(problem)?.items.into_iter().next())
}

/// The limit of a find that wants one document and not the total: a store counts every
/// match when a page comes back full, so asking for one more than needed spares that count
/// (a slug is unique; elsewhere the second document is read and dropped).
const ONE_WITHOUT_TOTAL: u32 = 2;

/// The first document matching the filter.
pub fn find_one(collection: &str, filter: Vec<Clause>) -> Result<Option<Stored>, Problem> {
    find_one_as(collection, filter)
}

/// A page of documents as the store's JSON text (`{_id, _version, …}` each), and the total
/// matching: for answers that take their fields as they are (see `catalog::products::Row`).
pub fn find_json(collection: &str, query: &Query) -> Result<(Vec<String>, u64), Problem> {
    let page = documents::find(collection, query).map_err(problem)?;
    Ok((page.items, page.total))
}

/// As [`find_json`] for a query that may search text. Every store refuses a search of a
/// collection without a text index (`invalid`); `declare` then declares the collection's
/// indexes and the query runs once more. So a search declares nothing while its index
/// exists (declaring before each one was 3 % of a search's instructions), and still works
/// on a store no write or housekeeping has prepared yet.
pub fn search_json(collection: &str, query: &Query, declare: impl FnOnce() -> Result<(), Problem>) -> Result<(Vec<String>, u64), Problem> {
    let page = match documents::find(collection, query) {
        Err(StoreError::Invalid(_)) if query.text.is_some() => {
            declare()?;
            documents::find(collection, query).map_err(problem)?
        }
        found => found.map_err(problem)?,
    };
    Ok((page.items, page.total))
}

/// A page of documents and the total matching.
pub fn find(collection: &str, query: &Query) -> Result<(Vec<Stored>, u64), Problem> {
    find_as(collection, query)
}

/// How many documents match `filter`, per value of `field`.
pub fn count_by(collection: &str, filter: Vec<Clause>, field: &str) -> Result<Vec<(Value, u64)>, Problem> {
    let counts = documents::count_by(collection, &filter, field).map_err(problem)?;
    Ok(counts.into_iter().map(|(json, n)| (serde_json::from_str(&json).unwrap_or(Value::Null), n)).collect())
}

/// Inserts a document; the raw store error is returned so callers can name a duplicate field.
pub fn insert(collection: &str, body: &Map<String, Value>) -> Result<Result<Stored, StoreError>, Problem> {
    insert_text(collection, &to_text(body)?)
}

/// Reports whether a store error is a stale version.
pub fn is_conflict(error: &StoreError) -> bool {
    matches!(error, StoreError::Conflict(_))
}

/// Maps a store error a caller did not handle to the answer a client should get.
pub fn to_problem(error: StoreError) -> Problem {
    problem(error)
}

/// Replaces a document at a version; `Ok(Ok(None))` when it does not exist. A stale version
/// or a duplicate key comes back as the raw store error, for callers that retry or name the
/// field.
pub fn replace(collection: &str, id: &str, version: u64, body: &Map<String, Value>) -> Result<Result<Option<Stored>, StoreError>, Problem> {
    replace_text(collection, id, version, &to_text(body)?)
}

/// Deletes a document, at a version when one is given.
pub fn delete(collection: &str, id: &str, version: Option<u64>) -> Result<bool, Problem> {
    documents::delete(collection, id, version).map_err(problem)
}

/// Documents a [`sweep`] reads at once.
const SWEEP_PAGE: u32 = 200;

/// Deletes the documents matching `filter` that `is_stale` confirms, at most `most` of them,
/// each at the version read: one written meanwhile is kept (it is in use again) and left for
/// a later sweep. Returns how many were deleted.
pub fn sweep(collection: &str, filter: Vec<Clause>, most: u64, is_stale: impl Fn(&Stored) -> bool) -> Result<u64, Problem> {
    let (mut deleted, mut kept) = (0u64, 0u32);
    while deleted < most {
        // Deleted documents leave the matches; the kept ones are skipped.
        let query = Query { filter: filter.clone(), text: None, sort: Vec::new(), skip: kept, limit: SWEEP_PAGE };
        let (page, _) = find(collection, &query)?;
        for document in &page {
            if deleted >= most {
                break;
            }
            let gone = is_stale(document)
                && match documents::delete(collection, &document.id, Some(document.version)) {
                    Ok(gone) => gone,
                    Err(StoreError::Conflict(_)) => false,
                    Err(error) => return Err(problem(error)),
                };
            if gone { deleted += 1 } else { kept += 1 }
        }
        if page.len() < SWEEP_PAGE as usize {
            break;
        }
    }
    Ok(deleted)
}
