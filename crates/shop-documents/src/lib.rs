//! The backend-neutral half of the shop's `documents` capability (`shop:platform/documents`).
//!
//! - What a component sent, parsed into checked types ([`Collection`], [`FieldPath`],
//!   [`Clause`], [`Query`], [`IndexSpec`]), so a backend receives only valid requests.
//! - [`text`]: the bilingual folding that search applies to stored text and to queries.
//! - [`sql`]: the SQLite dialect of the store (table layout, filters, sorts, full-text
//!   queries, the statements that write) as SQL text and parameters.
//! - [`engine`]: the whole store written once over a minimal [`engine::Sql`] connection: the
//!   host runs it over rusqlite, the Spin adapter over `spin:sqlite` (which offers only "run
//!   this statement"). Every write is one statement, so it is atomic even on a connection
//!   other requests share.

#[cfg(any(test, feature = "testkit"))]
pub mod conformance;
pub mod engine;
pub mod sql;
#[cfg(any(test, feature = "testkit"))]
pub mod testing;
pub mod text;

use serde_json::{Map, Value};

/// A failure of a store call, as the component will see it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StoreError {
    /// A stale version.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A unique index would be violated; the index name.
    #[error("duplicate key in index {0}")]
    Duplicate(String),
    /// The request is malformed.
    #[error("invalid: {0}")]
    Invalid(String),
    /// The backend cannot be reached.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The backend has no room for the write (its disk is full); nothing was written.
    #[error("full: {0}")]
    Full(String),
    /// Anything else.
    #[error("internal: {0}")]
    Internal(String),
}

/// A collection name: `[a-z][a-z0-9_]*` without `__`, at most 48 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Collection(String);

impl Collection {
    /// Parses a collection name.
    pub fn parse(raw: &str) -> Result<Self, StoreError> {
        let ok = (1..=48).contains(&raw.len())
            && raw.starts_with(|c: char| c.is_ascii_lowercase())
            && raw.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            && !raw.contains("__");
        if ok { Ok(Self(raw.to_owned())) } else { Err(StoreError::Invalid(format!("bad collection name {raw:?}"))) }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A dotted field path: segments of `[A-Za-z0-9_]`, at most 8 deep.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FieldPath(String);

impl FieldPath {
    /// Parses a field path.
    pub fn parse(raw: &str) -> Result<Self, StoreError> {
        let ok = raw.len() <= 200
            && raw.split('.').count() <= 8
            && raw.split('.').all(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
        if ok { Ok(Self(raw.to_owned())) } else { Err(StoreError::Invalid(format!("bad field path {raw:?}"))) }
    }

    /// The path.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The path's value in a document, if present.
    pub fn lookup<'a>(&self, doc: &'a Value) -> Option<&'a Value> {
        self.0.split('.').try_fold(doc, |value, segment| value.get(segment))
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Equal.
    Eq,
    /// Missing or not equal.
    Ne,
    /// Greater.
    Gt,
    /// Greater or equal.
    Gte,
    /// Less.
    Lt,
    /// Less or equal.
    Lte,
    /// Equal to one of a list.
    In,
    /// Present (true) or absent (false).
    Exists,
}

/// A checked filter clause.
#[derive(Debug, Clone, PartialEq)]
pub struct Clause {
    /// The field compared.
    pub field: FieldPath,
    /// The comparison.
    pub op: Op,
    /// The value; an array for `In`, a boolean for `Exists`, a scalar otherwise.
    pub value: Value,
}

impl Clause {
    /// Checks a clause.
    pub fn parse(field: &str, op: Op, value: &str) -> Result<Self, StoreError> {
        let field = FieldPath::parse(field)?;
        let value: Value = serde_json::from_str(value).map_err(|e| StoreError::Invalid(format!("value of {}: {e}", field.as_str())))?;
        let fits = match op {
            Op::In => value.as_array().is_some_and(|items| items.len() <= 1000 && items.iter().all(is_scalar)),
            Op::Exists => value.is_boolean(),
            _ => is_scalar(&value),
        };
        if !fits {
            return Err(StoreError::Invalid(format!("value of {} does not suit {op:?}", field.as_str())));
        }
        Ok(Self { field, op, value })
    }
}

fn is_scalar(value: &Value) -> bool {
    !(value.is_array() || value.is_object())
}

/// A sort or index key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    /// The field.
    pub field: FieldPath,
    /// Largest first.
    pub descending: bool,
}

/// The most documents one `find` returns.
pub const MAX_LIMIT: u32 = 1000;

/// A checked query.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// All must hold.
    pub filter: Vec<Clause>,
    /// Normalised search words, if a text search was asked for.
    pub text: Option<Vec<String>>,
    /// Sort keys.
    pub sort: Vec<Key>,
    /// Documents skipped.
    pub skip: u32,
    /// Documents returned at most (capped at [`MAX_LIMIT`]).
    pub limit: u32,
}

/// What an index is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IndexKind {
    /// Filters and sorts.
    Regular,
    /// Filters, sorts and uniqueness.
    Unique,
    /// Full-text search.
    Text,
}

/// A checked index declaration.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IndexSpec {
    /// `[a-z0-9_]`, at most 48 characters.
    pub name: String,
    /// The keys (for text: the searchable fields).
    pub keys: Vec<Key>,
    /// The kind.
    pub kind: IndexKind,
}

impl IndexSpec {
    /// The indexed fields' paths (for a text index: the fields searched).
    pub fn fields(&self) -> Vec<String> {
        self.keys.iter().map(|k| k.field.as_str().to_owned()).collect()
    }

    /// Checks an index declaration.
    pub fn parse(name: &str, keys: Vec<Key>, kind: IndexKind) -> Result<Self, StoreError> {
        let ok_name = (1..=48).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !ok_name {
            return Err(StoreError::Invalid(format!("bad index name {name:?}")));
        }
        if keys.is_empty() || keys.len() > 8 {
            return Err(StoreError::Invalid(format!("index {name} needs 1 to 8 keys")));
        }
        Ok(Self { name: name.to_owned(), keys, kind })
    }
}

/// Parses a document a component wants to store: a JSON object whose store-owned fields
/// (`_id`, `_version`) are handled by the store.
pub fn parse_document(json: &str) -> Result<Map<String, Value>, StoreError> {
    match serde_json::from_str::<Value>(json) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(StoreError::Invalid("a document must be a JSON object".into())),
        Err(e) => Err(StoreError::Invalid(format!("document is not JSON: {e}"))),
    }
}

/// A new time-ordered document id (UUIDv7, 32 lowercase hex digits).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// The id a new document is stored under: its own `_id` if it has a valid one, else a new one.
pub fn document_id(doc: &Map<String, Value>) -> Result<String, StoreError> {
    match doc.get("_id") {
        Some(Value::String(id)) => {
            check_id(id)?;
            Ok(id.clone())
        }
        Some(_) => Err(StoreError::Invalid("_id must be a string".into())),
        None => Ok(new_id()),
    }
}

/// Checks a document id: 1 to 128 characters of `[A-Za-z0-9_-]`.
pub fn check_id(id: &str) -> Result<(), StoreError> {
    if (1..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!("bad document id {id:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_paths_are_checked() {
        assert!(Collection::parse("products").is_ok());
        for bad in ["", "Products", "1x", "a-b", "a;drop", "a__b", &"a".repeat(49)] {
            assert!(Collection::parse(bad).is_err(), "{bad}");
        }
        assert!(FieldPath::parse("name.en").is_ok());
        for bad in ["", "a..b", "a.", "a'b", "$.a", "a b"] {
            assert!(FieldPath::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn clause_values_suit_their_operator() {
        assert!(Clause::parse("a", Op::In, "[1, \"x\"]").is_ok());
        assert!(Clause::parse("a", Op::In, "1").is_err());
        assert!(Clause::parse("a", Op::Eq, "{\"$gt\": 1}").is_err());
        assert!(Clause::parse("a", Op::Exists, "1").is_err());
        assert!(Clause::parse("a", Op::Eq, "not json").is_err());
    }
}
