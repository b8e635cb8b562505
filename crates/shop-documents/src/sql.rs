//! The store's SQLite dialect, shared by every SQLite-backed runtime.
//!
//! Layout: one table per collection (`c_<name>`: `rowid`, unique `id`, `version`, `body`
//! JSON); regular and unique indexes are expression indexes over `json_extract(body, …)`
//! named `i_<collection>__<name>` (a regular one ends with `id`, the pages' tie-break); a
//! text index adds a `search` column holding each document's folded words ([`searchable`])
//! and an external-content FTS5 table (`f_<name>`) over it, kept in step by triggers, so a
//! document and its search entry change in the one statement that writes the row (Spin's
//! `spin:sqlite` cannot hold a transaction across statements); `_indexes` records every
//! declared index. Every runtime writes this layout with the statements below, so a data
//! directory moves between them. Field paths and names are checked before they reach here
//! ([`FieldPath`], [`Collection`]), so splicing them into SQL text is safe; values are always
//! bound as parameters.

use crate::{Clause, Collection, FieldPath, IndexKind, IndexSpec, Key, MAX_LIMIT, Op, Query, StoreError, text};
use serde_json::{Value, json};

/// A bound parameter or a column value.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    /// SQL NULL.
    Null,
    /// A 64-bit integer.
    Integer(i64),
    /// A double.
    Real(f64),
    /// UTF-8 text.
    Text(String),
}

impl SqlValue {
    /// The integer, if this is one.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Self::Integer(i) => Some(*i),
            _ => None,
        }
    }

    /// The text, if this is some.
    pub fn into_text(self) -> Option<String> {
        match self {
            Self::Text(s) => Some(s),
            _ => None,
        }
    }
}

/// The table that records declared indexes (collection, name, spec as JSON).
pub const CREATE_INDEX_REGISTRY: &str = "CREATE TABLE IF NOT EXISTS _indexes (collection TEXT NOT NULL, name TEXT NOT NULL, spec TEXT NOT NULL, PRIMARY KEY (collection, name)) WITHOUT ROWID";

/// The collections that exist, as `SELECT name` rows of `c_<collection>` table names.
pub const LIST_COLLECTIONS: &str = "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'c\\_%' ESCAPE '\\'";

/// Every declared index, as `(collection, name, spec)` rows.
pub const LIST_INDEXES: &str = "SELECT collection, name, spec FROM _indexes";

/// Records an index declaration: parameters collection, name, [`encode_spec`].
pub const RECORD_INDEX: &str = "INSERT OR REPLACE INTO _indexes (collection, name, spec) VALUES (?1, ?2, ?3)";

/// A collection's table.
pub fn table(c: &Collection) -> String {
    format!("c_{}", c.as_str())
}

/// A collection's full-text table.
pub fn fts_table(c: &Collection) -> String {
    format!("f_{}", c.as_str())
}

/// SQLite index names are global: `i_<collection>__<name>`.
pub fn index_name(c: &Collection, name: &str) -> String {
    format!("i_{}__{}", c.as_str(), name)
}

/// The collection of a `c_<collection>` table name.
pub fn collection_of_table(table: &str) -> Option<&str> {
    table.strip_prefix("c_")
}

/// Creates a collection's table.
pub fn create_table(c: &Collection) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {} (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, version INTEGER NOT NULL, body TEXT NOT NULL)",
        table(c)
    )
}

/// A regular or unique index (not a text one) as SQLite records it in `sqlite_master.sql`.
///
/// A regular index ends with the `id` column, the tie-break of every sorted page (see
/// [`find_sql`]), so an index whose leading keys match a query's sort hands the rows over
/// in order and the page stops at its limit (without it, SQLite sorts every match in a
/// temporary B-tree first). A unique index keeps its own keys: `id` would make every
/// entry unique.
pub fn index_definition(c: &Collection, spec: &IndexSpec) -> String {
    let unique = if spec.kind == IndexKind::Unique { "UNIQUE " } else { "" };
    let mut columns = order_sql(&spec.keys).replace("d.", "");
    if spec.kind == IndexKind::Regular && !spec.keys.iter().any(|k| k.field.as_str() == "_id") {
        columns.push_str(", id ASC");
    }
    format!("CREATE {unique}INDEX {} ON {} ({columns})", index_name(c, &spec.name), table(c))
}

/// Creates a regular or unique index (not a text one) unless one of its name exists.
pub fn create_index(c: &Collection, spec: &IndexSpec) -> String {
    index_definition(c, spec).replacen(" INDEX ", " INDEX IF NOT EXISTS ", 1)
}

/// The SQL text SQLite recorded for an index: parameter the index's name.
pub const INDEX_SQL: &str = "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?1";

/// FTS5's tokenizer for the folded words: Unicode word boundaries, diacritics removed again
/// (a no-op after [`text::normalize`], kept so an older store reads the same).
pub const FTS_TOKENIZE: &str = "tokenize = 'unicode61 remove_diacritics 2'";

/// The document with an id: parameter the id; one `body` column.
pub fn select_document(c: &Collection) -> String {
    format!("SELECT body FROM {} WHERE id = ?1", table(c))
}

/// A document's current version: parameter the id; one `version` column.
pub fn select_version(c: &Collection) -> String {
    format!("SELECT version FROM {} WHERE id = ?1", table(c))
}

/// Stores a new document at version 1: parameters id, body and, `with_search`, its
/// [`searchable`] words.
pub fn insert_document(c: &Collection, with_search: bool) -> String {
    match with_search {
        true => format!("INSERT INTO {} (id, version, body, search) VALUES (?1, 1, ?2, ?3)", table(c)),
        false => format!("INSERT INTO {} (id, version, body) VALUES (?1, 1, ?2)", table(c)),
    }
}

/// Replaces a document if it is at the expected version: parameters the next version, body,
/// id, expected version and, `with_search`, its words. Returns a row when it did.
pub fn replace_document(c: &Collection, with_search: bool) -> String {
    let search = if with_search { ", search = ?5" } else { "" };
    format!("UPDATE {} SET version = ?1, body = ?2{search} WHERE id = ?3 AND version = ?4 RETURNING rowid", table(c))
}

/// Deletes a document: parameters id and, `at_version`, the expected version. Returns a row
/// when it did.
pub fn delete_document(c: &Collection, at_version: bool) -> String {
    let version = if at_version { " AND version = ?2" } else { "" };
    format!("DELETE FROM {} WHERE id = ?1{version} RETURNING rowid", table(c))
}

/// Whether a collection's table has the `search` column of a text index: one row, 0 or 1.
pub fn has_search_column(c: &Collection) -> String {
    format!("SELECT count(*) FROM pragma_table_info('{}') WHERE name = 'search'", table(c))
}

/// Adds the `search` column (fails if it exists: ask [`has_search_column`] first).
pub fn add_search_column(c: &Collection) -> String {
    format!("ALTER TABLE {} ADD COLUMN search TEXT", table(c))
}

/// The rest of a text index once the `search` column exists: the external-content FTS5
/// table over it and the triggers that keep the two in step (each idempotent). Then fill
/// the column ([`rows_without_search`], [`set_search`]): the update trigger indexes it.
pub fn text_index_statements(c: &Collection) -> [String; 4] {
    let (t, f) = (table(c), fts_table(c));
    [
        format!("CREATE VIRTUAL TABLE IF NOT EXISTS {f} USING fts5(search, content = '{t}', content_rowid = 'rowid', {FTS_TOKENIZE})"),
        format!(
            "CREATE TRIGGER IF NOT EXISTS {t}_search_insert AFTER INSERT ON {t} WHEN new.search IS NOT NULL \
             BEGIN INSERT INTO {f} (rowid, search) VALUES (new.rowid, new.search); END"
        ),
        format!(
            "CREATE TRIGGER IF NOT EXISTS {t}_search_delete AFTER DELETE ON {t} WHEN old.search IS NOT NULL \
             BEGIN INSERT INTO {f} ({f}, rowid, search) VALUES ('delete', old.rowid, old.search); END"
        ),
        format!(
            "CREATE TRIGGER IF NOT EXISTS {t}_search_update AFTER UPDATE OF search ON {t} BEGIN \
             INSERT INTO {f} ({f}, rowid, search) SELECT 'delete', old.rowid, old.search WHERE old.search IS NOT NULL; \
             INSERT INTO {f} (rowid, search) SELECT new.rowid, new.search WHERE new.search IS NOT NULL; END"
        ),
    ]
}

/// The documents whose words are not in the text index yet: `rowid, body` rows.
pub fn rows_without_search(c: &Collection) -> String {
    format!("SELECT rowid, body FROM {} WHERE search IS NULL", table(c))
}

/// Sets a document's words: parameters the words and the rowid.
pub fn set_search(c: &Collection) -> String {
    format!("UPDATE {} SET search = ?1 WHERE rowid = ?2", table(c))
}

/// The SQL expression for a field of the document row `d`.
pub fn field_sql(path: &str) -> String {
    match path {
        "_id" => "d.id".to_owned(),
        "_version" => "d.version".to_owned(),
        _ => format!("json_extract(d.body, '$.{path}')"),
    }
}

/// The SQL value compared against a JSON scalar (json_extract gives booleans as 0/1).
pub fn sql_value(value: &Value) -> SqlValue {
    match value {
        Value::Null => SqlValue::Null,
        Value::Bool(b) => SqlValue::Integer(i64::from(*b)),
        Value::Number(n) => n.as_i64().map(SqlValue::Integer).unwrap_or_else(|| SqlValue::Real(n.as_f64().unwrap_or(0.0))),
        Value::String(s) => SqlValue::Text(s.clone()),
        other => SqlValue::Text(other.to_string()),
    }
}

/// The JSON types a value compares with, as `json_type` names them: comparisons stay within
/// one type, as in MongoDB (SQLite alone would order every text above every number).
fn same_type(path: &str, value: &Value) -> Option<String> {
    let types = match value {
        Value::Number(_) => "'integer', 'real'",
        Value::String(_) => "'text'",
        Value::Bool(true) => "'true'",
        Value::Bool(false) => "'false'",
        _ => return None,
    };
    match path {
        "_id" | "_version" => None,
        _ => Some(format!("json_type(d.body, '$.{path}') IN ({types})")),
    }
}

/// The SQL of one clause, pushing its parameters.
pub fn clause_sql(clause: &Clause, args: &mut Vec<SqlValue>) -> String {
    let path = clause.field.as_str();
    let field = field_sql(path);
    // Booleans are stored as JSON true/false but read back as 1/0: match them by type.
    if let (Op::Eq | Op::Ne, Value::Bool(_)) = (clause.op, &clause.value)
        && let Some(test) = same_type(path, &clause.value)
    {
        return if clause.op == Op::Eq { test } else { format!("NOT coalesce({test}, 0)") };
    }
    // Ranges stay within the value's type. SQLite orders NULL < numbers < text < blobs, so
    // "is a number" is `x < ''` and "is text" is `x >= ''`: plain comparisons on the indexed
    // expression, which the index range absorbs (a `json_type` test would re-parse every
    // candidate row's body: 14x slower on the products benchmark).
    let guarded = |sql: String| match (&clause.value, path) {
        (_, "_id" | "_version") => sql,
        (Value::Number(_), _) => format!("({field} < '' AND {sql})"),
        (Value::String(_), _) => format!("({field} >= '' AND {sql})"),
        _ => match same_type(path, &clause.value) {
            Some(test) => format!("({test} AND {sql})"),
            None => sql,
        },
    };
    let mut bind = |value: &Value| {
        args.push(sql_value(value));
        "?".to_owned()
    };
    match clause.op {
        Op::Eq if clause.value.is_null() => format!("{field} IS NULL"),
        Op::Ne if clause.value.is_null() => format!("{field} IS NOT NULL"),
        Op::Eq => format!("{field} = {}", bind(&clause.value)),
        Op::Ne => format!("({field} IS NULL OR {field} <> {})", bind(&clause.value)),
        Op::Gt => guarded(format!("{field} > {}", bind(&clause.value))),
        Op::Gte => guarded(format!("{field} >= {}", bind(&clause.value))),
        Op::Lt => guarded(format!("{field} < {}", bind(&clause.value))),
        Op::Lte => guarded(format!("{field} <= {}", bind(&clause.value))),
        Op::In => {
            let items = clause.value.as_array().map(Vec::as_slice).unwrap_or_default();
            if items.is_empty() {
                "0".to_owned()
            } else {
                let marks: Vec<String> = items.iter().map(&mut bind).collect();
                format!("{field} IN ({})", marks.join(", "))
            }
        }
        Op::Exists => {
            let test = if clause.value.as_bool().unwrap_or(true) { "IS NOT NULL" } else { "IS NULL" };
            match path {
                "_id" | "_version" => {
                    if test == "IS NULL" {
                        "0".into()
                    } else {
                        "1".into()
                    }
                }
                _ => format!("json_type(d.body, '$.{path}') {test}"),
            }
        }
    }
}

/// An `ORDER BY` list for sort keys.
pub fn order_sql(keys: &[Key]) -> String {
    keys.iter()
        .map(|k| format!("{} {}", field_sql(k.field.as_str()), if k.descending { "DESC" } else { "ASC" }))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An FTS5 query matching every word, the last as a prefix. Words are letters and digits
/// only, so quoting them is safe.
pub fn fts_query(words: &[String]) -> String {
    let last = words.len().saturating_sub(1);
    words.iter().enumerate().map(|(i, w)| if i == last { format!("\"{w}\"*") } else { format!("\"{w}\"") }).collect::<Vec<_>>().join(" ")
}

/// The searchable text of a document: its text fields, folded, joined.
pub fn searchable(doc: &Value, fields: &[String]) -> String {
    let mut out = String::new();
    for field in fields {
        let value = field.split('.').try_fold(doc, |v, s| v.get(s));
        if let Some(Value::String(s)) = value {
            out.push_str(&text::words(s).join(" "));
            out.push(' ');
        }
    }
    out
}

/// The statements of a `find`: the total's, and (unless the limit is 0) the page's; both take
/// `args`.
#[derive(Debug, Clone, PartialEq)]
pub struct FindSql {
    /// `SELECT count(*) …`.
    pub count: String,
    /// `SELECT d.body … ORDER BY … LIMIT … OFFSET …`, or none when only the total is wanted.
    pub page: Option<String>,
    /// The parameters of both.
    pub args: Vec<SqlValue>,
}

impl FindSql {
    /// The count statement with its parameters, as one key: two finds with the same key have
    /// the same total in the same state of the store.
    pub fn count_key(&self) -> String {
        format!("{}\u{0}{:?}", self.count, self.args)
    }
}

/// Builds a `find`. `has_text_index` says whether the collection has a text index (a text
/// search without one is refused).
pub fn find_sql(c: &Collection, q: &Query, has_text_index: bool) -> Result<FindSql, StoreError> {
    let mut args = Vec::new();
    let mut from = format!("{} d", table(c));
    let mut conditions = Vec::new();
    let mut relevance = None;
    if let Some(words) = q.text.as_ref().filter(|w| !w.is_empty()) {
        if !has_text_index {
            return Err(StoreError::Invalid(format!("collection {} has no text index", c.as_str())));
        }
        let fts = fts_table(c);
        from.push_str(&format!(" JOIN {fts} f ON f.rowid = d.rowid"));
        conditions.push(format!("{fts} MATCH ?"));
        args.push(SqlValue::Text(fts_query(words)));
        relevance = Some("f.rank".to_owned());
    }
    conditions.extend(q.filter.iter().map(|clause| clause_sql(clause, &mut args)));
    let where_sql = if conditions.is_empty() { String::new() } else { format!(" WHERE {}", conditions.join(" AND ")) };
    let count = format!("SELECT count(*) FROM {from}{where_sql}");
    let limit = q.limit.min(MAX_LIMIT);
    let page = (limit > 0).then(|| {
        let mut order = if q.sort.is_empty() { relevance.unwrap_or_default() } else { order_sql(&q.sort) };
        if !order.is_empty() {
            order.push_str(", ");
        }
        order.push_str("d.id ASC");
        format!("SELECT d.body FROM {from}{where_sql} ORDER BY {order} LIMIT {limit} OFFSET {}", q.skip)
    });
    Ok(FindSql { count, page, args })
}

/// The total of a `find` when its page tells it: a page shorter than its limit holds the
/// last matches (unless it is empty past the first page, where the skip may overshoot), so
/// the total is the skip plus its length and the count statement need not run (on the same
/// snapshot as the page). None when the count must run.
pub fn total_from_page(skip: u32, limit: u32, page_len: usize) -> Option<u64> {
    let page_len = page_len as u64;
    (page_len < u64::from(limit.min(MAX_LIMIT)) && (page_len > 0 || skip == 0)).then_some(u64::from(skip) + page_len)
}

/// The statements of a `count-by`, both taking `args`.
#[derive(Debug, Clone, PartialEq)]
pub struct CountBySql {
    /// Groups by the field's SQL value, which an index over the field (and the filter's
    /// fields) answers without reading documents; each group's JSON comes from one of its
    /// documents. Rows: (the value as JSON text or NULL, its count, whether the value was 0
    /// or 1). None for `_id`.
    pub fast: Option<String>,
    /// Groups by the JSON text of the value, reading every document. Rows: (the value as
    /// JSON text or NULL, its count). Needed when the fast one saw a 0 or a 1, which may be
    /// the numbers or the booleans (SQL reads `true` as 1).
    pub exact: String,
    /// The parameters of both.
    pub args: Vec<SqlValue>,
}

impl CountBySql {
    /// The statements with their parameters, as one key: two `count-by`s with the same key
    /// count the same in the same state of the store.
    pub fn key(&self) -> String {
        format!("{}\u{0}{:?}", self.exact, self.args)
    }
}

/// Builds a `count-by` (see [`CountBySql`]).
pub fn count_by_sql(c: &Collection, filter: &[Clause], field: &FieldPath) -> CountBySql {
    let mut args = Vec::new();
    let conditions: Vec<String> = filter.iter().map(|clause| clause_sql(clause, &mut args)).collect();
    let where_sql = if conditions.is_empty() { String::new() } else { format!(" WHERE {}", conditions.join(" AND ")) };
    let t = table(c);
    match field.as_str() {
        "_id" => CountBySql { fast: None, exact: format!("SELECT json_quote(d.id), count(*) FROM {t} d{where_sql} GROUP BY 1"), args },
        path => CountBySql {
            fast: Some(format!(
                "SELECT (SELECT e.body -> '$.{path}' FROM {t} e WHERE e.rowid = g.r), g.n, coalesce(g.v IN (0, 1), 0) \
                 FROM (SELECT min(d.rowid) AS r, count(*) AS n, {field} AS v FROM {t} d{where_sql} GROUP BY 3) g",
                field = field_sql(path)
            )),
            // `->` keeps the JSON text of the value (so strings, numbers and booleans come
            // back as they are stored).
            exact: format!("SELECT d.body -> '$.{path}', count(*) FROM {t} d{where_sql} GROUP BY 1"),
            args,
        },
    }
}

/// The JSON value of a `count-by` row's first column.
pub fn count_by_value(json: Option<&str>) -> Value {
    json.and_then(|j| serde_json::from_str(j).ok()).unwrap_or(Value::Null)
}

/// The index a unique-constraint failure names, from SQLite's message: a unique index's
/// own name, or `_id` for the id column. None when the message is another failure.
pub fn duplicate_in(message: &str) -> Option<String> {
    if !message.contains("UNIQUE constraint failed") {
        return None;
    }
    if let Some(index) = message.split("index '").nth(1).and_then(|rest| rest.split('\'').next()) {
        // `i_<collection>__<name>`; collection names never contain `__`.
        return Some(index.split_once("__").map(|(_, n)| n).unwrap_or(index).to_owned());
    }
    message.contains(".id").then(|| "_id".to_owned())
}

/// An index declaration as `_indexes` stores it.
pub fn encode_spec(spec: &IndexSpec) -> String {
    let kind = match spec.kind {
        IndexKind::Regular => "regular",
        IndexKind::Unique => "unique",
        IndexKind::Text => "text",
    };
    let keys: Vec<Value> = spec.keys.iter().map(|k| json!({"field": k.field.as_str(), "descending": k.descending})).collect();
    json!({"kind": kind, "keys": keys}).to_string()
}

/// Reads an index declaration back from `_indexes`.
pub fn decode_spec(name: &str, text: &str) -> Result<IndexSpec, StoreError> {
    let value: Value = serde_json::from_str(text).map_err(|e| StoreError::Internal(format!("index {name}: {e}")))?;
    let kind = match value["kind"].as_str() {
        Some("unique") => IndexKind::Unique,
        Some("text") => IndexKind::Text,
        _ => IndexKind::Regular,
    };
    let keys = value["keys"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|k| {
            Ok(Key { field: FieldPath::parse(k["field"].as_str().unwrap_or(""))?, descending: k["descending"].as_bool().unwrap_or(false) })
        })
        .collect::<Result<_, StoreError>>()?;
    IndexSpec::parse(name, keys, kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(field: &str, descending: bool) -> Key {
        Key { field: FieldPath::parse(field).unwrap(), descending }
    }

    #[test]
    fn ranges_stay_within_the_values_type_and_values_are_bound() {
        let mut args = Vec::new();
        let clause = Clause::parse("price.amount", Op::Gte, "100").unwrap();
        assert_eq!(
            clause_sql(&clause, &mut args),
            "(json_extract(d.body, '$.price.amount') < '' AND json_extract(d.body, '$.price.amount') >= ?)"
        );
        assert_eq!(args, [SqlValue::Integer(100)]);
        let clause = Clause::parse("active", Op::Ne, "true").unwrap();
        assert_eq!(clause_sql(&clause, &mut args), "NOT coalesce(json_type(d.body, '$.active') IN ('true'), 0)");
        assert_eq!(clause_sql(&Clause::parse("a", Op::In, "[]").unwrap(), &mut args), "0", "an empty list matches nothing");
    }

    #[test]
    fn a_text_search_needs_a_text_index_and_a_zero_limit_asks_only_for_the_total() {
        let c = Collection::parse("products").unwrap();
        let q = Query { filter: vec![], text: Some(vec!["ajwa".into(), "dat".into()]), sort: vec![], skip: 0, limit: 0 };
        assert!(matches!(find_sql(&c, &q, false), Err(StoreError::Invalid(_))));
        let found = find_sql(&c, &q, true).unwrap();
        assert_eq!(found.page, None);
        assert_eq!(found.args, [SqlValue::Text("\"ajwa\" \"dat\"*".into())]);
        let q = Query { limit: 5000, sort: vec![key("price", true)], ..q };
        let page = find_sql(&c, &q, true).unwrap().page.unwrap();
        assert!(page.ends_with("ORDER BY json_extract(d.body, '$.price') DESC, d.id ASC LIMIT 1000 OFFSET 0"), "{page}");
    }

    #[test]
    fn regular_indexes_end_with_the_tie_break_and_unique_ones_keep_their_keys() {
        let c = Collection::parse("products").unwrap();
        let newest = IndexSpec::parse("newest", vec![key("status", false), key("created_at", true)], IndexKind::Regular).unwrap();
        assert_eq!(
            index_definition(&c, &newest),
            "CREATE INDEX i_products__newest ON c_products (json_extract(body, '$.status') ASC, json_extract(body, '$.created_at') DESC, id ASC)"
        );
        assert!(create_index(&c, &newest).starts_with("CREATE INDEX IF NOT EXISTS i_products__newest ON"));
        let slug = IndexSpec::parse("slug", vec![key("slug", false)], IndexKind::Unique).unwrap();
        assert_eq!(index_definition(&c, &slug), "CREATE UNIQUE INDEX i_products__slug ON c_products (json_extract(body, '$.slug') ASC)");
        let by_id = IndexSpec::parse("by_id", vec![key("kind", false), key("_id", true)], IndexKind::Regular).unwrap();
        assert!(index_definition(&c, &by_id).ends_with("(json_extract(body, '$.kind') ASC, id DESC)"), "no second id column");
    }

    #[test]
    fn a_short_page_gives_the_total_and_a_full_or_overshooting_one_does_not() {
        assert_eq!(total_from_page(0, 24, 7), Some(7));
        assert_eq!(total_from_page(0, 24, 0), Some(0));
        assert_eq!(total_from_page(48, 24, 3), Some(51));
        assert_eq!(total_from_page(0, 24, 24), None, "more may follow");
        assert_eq!(total_from_page(480, 24, 0), None, "past the end: the total is below the skip");
        assert_eq!(total_from_page(0, 5000, 999), Some(999), "the limit is capped");
        assert_eq!(total_from_page(0, 5000, 1000), None);
    }

    #[test]
    fn unique_failures_name_their_index() {
        assert_eq!(duplicate_in("UNIQUE constraint failed: index 'i_users__email'").as_deref(), Some("email"));
        assert_eq!(duplicate_in("UNIQUE constraint failed: c_users.id").as_deref(), Some("_id"));
        assert_eq!(duplicate_in("database is locked"), None);
    }

    #[test]
    fn specs_round_trip() {
        let spec = IndexSpec::parse("by_price", vec![key("price.amount", true), key("_id", false)], IndexKind::Unique).unwrap();
        assert_eq!(decode_spec("by_price", &encode_spec(&spec)).unwrap(), spec);
    }
}
