//! The conformance suite of the `documents` backends, shared by all of them: the host's
//! embedded store and MongoDB (in the host's tests), and the [`Engine`] the Spin adapter runs
//! (here, on real SQLite reached one statement at a time, as Spin offers it). A backend
//! implements [`Backend`]; [`conformance_scenarios!`](crate::conformance_scenarios) names
//! every scenario, so a test module runs them all and a new one reaches every backend.

use crate::engine::{Engine, Sql};
use crate::{Clause, Collection, FieldPath, IndexKind, IndexSpec, Key, Op, Query, StoreError, text};
use serde_json::{Map, Value, json};

/// A `documents` backend under test: the operations of the capability.
#[allow(async_fn_in_trait, reason = "test support: the scenarios take `&impl Backend`, never a `dyn` or a `Send` bound")]
pub trait Backend {
    /// The document with this id, as stored JSON text.
    async fn get(&self, c: &Collection, id: &str) -> Result<Option<String>, StoreError>;
    /// A page of matches and the total.
    async fn find(&self, c: &Collection, q: Query) -> Result<(Vec<String>, u64), StoreError>;
    /// Matches per value of `field`.
    async fn count_by(&self, c: &Collection, filter: Vec<Clause>, field: &FieldPath) -> Result<Vec<(Value, u64)>, StoreError>;
    /// Stores a new document; its stored JSON text.
    async fn insert(&self, c: &Collection, doc: Map<String, Value>) -> Result<String, StoreError>;
    /// Replaces a document at `expected` version; `None` when there is no such document.
    async fn replace(&self, c: &Collection, id: &str, expected: u64, doc: Map<String, Value>) -> Result<Option<String>, StoreError>;
    /// Deletes a document (at `expected` version, if given); whether it was there.
    async fn delete(&self, c: &Collection, id: &str, expected: Option<u64>) -> Result<bool, StoreError>;
    /// Declares an index (idempotent).
    async fn ensure_index(&self, c: &Collection, spec: IndexSpec) -> Result<(), StoreError>;
}

impl<C: Sql> Backend for Engine<C> {
    async fn get(&self, c: &Collection, id: &str) -> Result<Option<String>, StoreError> {
        Engine::get(self, c, id)
    }
    async fn find(&self, c: &Collection, q: Query) -> Result<(Vec<String>, u64), StoreError> {
        Engine::find(self, c, &q)
    }
    async fn count_by(&self, c: &Collection, filter: Vec<Clause>, field: &FieldPath) -> Result<Vec<(Value, u64)>, StoreError> {
        Engine::count_by(self, c, &filter, field)
    }
    async fn insert(&self, c: &Collection, doc: Map<String, Value>) -> Result<String, StoreError> {
        Engine::insert(self, c, doc)
    }
    async fn replace(&self, c: &Collection, id: &str, expected: u64, doc: Map<String, Value>) -> Result<Option<String>, StoreError> {
        Engine::replace(self, c, id, expected, doc)
    }
    async fn delete(&self, c: &Collection, id: &str, expected: Option<u64>) -> Result<bool, StoreError> {
        Engine::delete(self, c, id, expected)
    }
    async fn ensure_index(&self, c: &Collection, spec: IndexSpec) -> Result<(), StoreError> {
        Engine::ensure_index(self, c, spec)
    }
}

/// Calls `$callback!(scenario, …)` with the name of every scenario in
/// [`conformance`](crate::conformance), for a test module to make one test of each.
#[macro_export]
macro_rules! conformance_scenarios {
    ($callback:ident) => {
        $callback!(
            filters_sorts_and_pages,
            counts_group_by_a_field,
            booleans_are_not_numbers,
            versions_guard_replace_and_delete,
            unique_indexes_name_themselves,
            text_search_is_bilingual,
            text_search_without_a_sort_ranks_by_relevance
        );
    };
}

fn key(field: &str, descending: bool) -> Key {
    Key { field: FieldPath::parse(field).unwrap(), descending }
}

fn doc(value: Value) -> Map<String, Value> {
    value.as_object().unwrap().clone()
}

fn query(filter: Vec<Clause>, sort: Vec<Key>) -> Query {
    Query { filter, text: None, sort, skip: 0, limit: 100 }
}

fn search(words: &str) -> Query {
    Query { filter: vec![], text: Some(text::words(words)), sort: vec![key("n", false)], skip: 0, limit: 100 }
}

fn field(items: &[String], name: &str) -> Vec<Value> {
    items.iter().map(|i| serde_json::from_str::<Value>(i).unwrap()[name].clone()).collect()
}

/// Scenario: filters sorts and pages.
pub async fn filters_sorts_and_pages(store: &impl Backend) {
    let c = Collection::parse("items").unwrap();
    for (name, price, stock) in [("a", 300, 0), ("b", 100, 5), ("c", 200, 2), ("d", 200, 9)] {
        store.insert(&c, doc(json!({"name": name, "price": {"amount": price}, "stock": stock, "tag": if stock > 0 { json!("in") } else { json!(null) }}))).await.unwrap();
    }
    store.insert(&c, doc(json!({"name": "e", "price": {"amount": "cheap"}, "stock": 1}))).await.unwrap();
    let q = Query {
        filter: vec![Clause::parse("price.amount", Op::Gte, "150").unwrap(), Clause::parse("stock", Op::Gt, "0").unwrap()],
        text: None,
        sort: vec![key("price.amount", false), key("stock", true)],
        skip: 0,
        limit: 1,
    };
    let (items, total) = store.find(&c, q.clone()).await.unwrap();
    assert_eq!(total, 2, "ranges stay within numbers");
    assert_eq!(field(&items, "name"), [json!("d")]);
    let (items, _) = store.find(&c, Query { skip: 1, ..q }).await.unwrap();
    assert_eq!(field(&items, "name"), [json!("c")]);
    let (items, _) = store
        .find(&c, query(vec![Clause::parse("name", Op::In, "[\"a\", \"b\", \"zz\"]").unwrap()], vec![key("name", true)]))
        .await
        .unwrap();
    assert_eq!(field(&items, "name"), [json!("b"), json!("a")]);
    let count = |filter: Vec<Clause>| async { store.find(&c, Query { limit: 0, ..query(filter, vec![]) }).await.unwrap().1 };
    assert_eq!(count(vec![Clause::parse("missing", Op::Exists, "false").unwrap()]).await, 5);
    assert_eq!(count(vec![Clause::parse("tag", Op::Exists, "true").unwrap()]).await, 4, "an explicit null exists");
    assert_eq!(count(vec![Clause::parse("tag", Op::Eq, "null").unwrap()]).await, 2, "null matches null and missing");
    assert_eq!(count(vec![Clause::parse("tag", Op::Ne, "\"in\"").unwrap()]).await, 2, "ne matches null and missing");
    assert_eq!(count(vec![Clause::parse("price.amount", Op::Gt, "\"a\"").unwrap()]).await, 1, "string ranges stay within strings");
    assert_eq!(count(vec![]).await, 5);
    let ghost = Collection::parse("never_written").unwrap();
    assert_eq!(store.find(&ghost, query(vec![], vec![])).await.unwrap(), (vec![], 0));
    assert_eq!(store.get(&ghost, "x").await.unwrap(), None);
}

/// Scenario: counts group by a field.
pub async fn counts_group_by_a_field(store: &impl Backend) {
    let c = Collection::parse("goods").unwrap();
    for (category, status) in [("food", "published"), ("food", "published"), ("food", "draft"), ("home", "published")] {
        store.insert(&c, doc(json!({"category": category, "status": status}))).await.unwrap();
    }
    store.insert(&c, doc(json!({"status": "published", "on": true}))).await.unwrap();
    store.insert(&c, doc(json!({"status": "published", "on": false, "category": 7}))).await.unwrap();
    let published = vec![Clause::parse("status", Op::Eq, "\"published\"").unwrap()];
    let mut counts = store.count_by(&c, published, &FieldPath::parse("category").unwrap()).await.unwrap();
    counts.sort_by_key(|(value, _)| value.to_string());
    assert_eq!(counts, [(json!("food"), 2), (json!("home"), 1), (json!(7), 1), (json!(null), 1)]);
    let mut flags = store.count_by(&c, vec![], &FieldPath::parse("on").unwrap()).await.unwrap();
    flags.sort_by_key(|(value, _)| value.to_string());
    assert_eq!(flags, [(json!(false), 1), (json!(null), 4), (json!(true), 1)], "booleans stay booleans");
    let ghost = Collection::parse("never_written").unwrap();
    assert!(store.count_by(&ghost, vec![], &FieldPath::parse("x").unwrap()).await.unwrap().is_empty());
}

/// Scenario: booleans are not numbers.
pub async fn booleans_are_not_numbers(store: &impl Backend) {
    let c = Collection::parse("flags").unwrap();
    store.insert(&c, doc(json!({"n": 1, "on": true}))).await.unwrap();
    store.insert(&c, doc(json!({"n": 2, "on": 1}))).await.unwrap();
    store.insert(&c, doc(json!({"n": 3, "on": false}))).await.unwrap();
    let (items, _) = store.find(&c, query(vec![Clause::parse("on", Op::Eq, "true").unwrap()], vec![key("n", false)])).await.unwrap();
    assert_eq!(field(&items, "n"), [json!(1)]);
    let (items, _) = store.find(&c, query(vec![Clause::parse("on", Op::Ne, "true").unwrap()], vec![key("n", false)])).await.unwrap();
    assert_eq!(field(&items, "n"), [json!(2), json!(3)]);
}

/// Scenario: versions guard replace and delete.
pub async fn versions_guard_replace_and_delete(store: &impl Backend) {
    let c = Collection::parse("items").unwrap();
    let stored: Value = serde_json::from_str(&store.insert(&c, doc(json!({"n": 1}))).await.unwrap()).unwrap();
    let id = stored["_id"].as_str().unwrap();
    assert_eq!(stored["_version"], 1);
    let fetched: Value = serde_json::from_str(&store.get(&c, id).await.unwrap().unwrap()).unwrap();
    assert_eq!(fetched, stored);
    let replaced: Value = serde_json::from_str(&store.replace(&c, id, 1, doc(json!({"n": 2}))).await.unwrap().unwrap()).unwrap();
    assert_eq!((replaced["_version"].as_u64(), replaced["n"].as_u64()), (Some(2), Some(2)));
    assert!(matches!(store.replace(&c, id, 1, doc(json!({"n": 3}))).await, Err(StoreError::Conflict(_))));
    assert_eq!(store.replace(&c, "nope", 1, doc(json!({}))).await.unwrap(), None);
    assert!(matches!(store.delete(&c, id, Some(1)).await, Err(StoreError::Conflict(_))));
    let unchanged: Value = serde_json::from_str(&store.get(&c, id).await.unwrap().unwrap()).unwrap();
    assert_eq!(unchanged["n"], 2, "a refused write changes nothing");
    assert!(store.delete(&c, id, Some(2)).await.unwrap());
    assert!(!store.delete(&c, id, None).await.unwrap());
    // A chosen id is kept, and is unique.
    store.insert(&c, doc(json!({"_id": "chosen"}))).await.unwrap();
    assert_eq!(store.insert(&c, doc(json!({"_id": "chosen"}))).await, Err(StoreError::Duplicate("_id".into())));
    assert!(matches!(store.insert(&c, doc(json!({"_id": "bad id!"}))).await, Err(StoreError::Invalid(_))));
}

/// Scenario: unique indexes name themselves.
pub async fn unique_indexes_name_themselves(store: &impl Backend) {
    let c = Collection::parse("cats").unwrap();
    let spec = IndexSpec::parse("slug_unique", vec![key("slug", false)], IndexKind::Unique).unwrap();
    store.ensure_index(&c, spec.clone()).await.unwrap();
    store.ensure_index(&c, spec).await.unwrap();
    let first: Value = serde_json::from_str(&store.insert(&c, doc(json!({"slug": "x"}))).await.unwrap()).unwrap();
    assert_eq!(store.insert(&c, doc(json!({"slug": "x"}))).await, Err(StoreError::Duplicate("slug_unique".into())));
    let second: Value = serde_json::from_str(&store.insert(&c, doc(json!({"slug": "y"}))).await.unwrap()).unwrap();
    let clash = store.replace(&c, second["_id"].as_str().unwrap(), 1, doc(json!({"slug": "x"}))).await;
    assert_eq!(clash, Err(StoreError::Duplicate("slug_unique".into())));
    assert_eq!(store.find(&c, query(vec![], vec![])).await.unwrap().1, 2);
    let other = IndexSpec::parse("slug_unique", vec![key("name", false)], IndexKind::Unique).unwrap();
    assert!(matches!(store.ensure_index(&c, other).await, Err(StoreError::Invalid(_))));
    assert!(store.delete(&c, first["_id"].as_str().unwrap(), None).await.unwrap());
    store.insert(&c, doc(json!({"slug": "x"}))).await.unwrap();
}

/// Scenario: text search is bilingual.
pub async fn text_search_is_bilingual(store: &impl Backend) {
    let c = Collection::parse("products").unwrap();
    // Stored before the text index exists: the index must cover it.
    store.insert(&c, doc(json!({"n": 1, "status": "published", "name": {"en": "Arabic coffee", "ar": "قهوة عربية أصيلة"}}))).await.unwrap();
    let spec = IndexSpec::parse("search", vec![key("name.en", false), key("name.ar", false)], IndexKind::Text).unwrap();
    store.ensure_index(&c, spec).await.unwrap();
    store.insert(&c, doc(json!({"n": 2, "status": "draft", "name": {"en": "Café crème", "ar": "قهوة بالحليب"}}))).await.unwrap();
    let third: Value = serde_json::from_str(
        &store.insert(&c, doc(json!({"n": 3, "status": "published", "name": {"en": "Tea pot", "ar": "إبريق شاي"}}))).await.unwrap(),
    )
    .unwrap();
    let hits = |q: Query| async { field(&store.find(&c, q).await.unwrap().0, "n") };
    assert_eq!(hits(search("قَهْوَة")).await, [json!(1), json!(2)], "diacritics are ignored");
    assert_eq!(hits(search("عربيه")).await, [json!(1)], "ta marbuta folds");
    assert_eq!(hits(search("اصيله")).await, [json!(1)], "hamza alef folds");
    assert_eq!(hits(search("ابريق")).await, [json!(3)]);
    assert_eq!(hits(search("CAFE")).await, [json!(2)], "case and Latin accents fold");
    assert_eq!(hits(search("arab")).await, [json!(1)], "the last word is a prefix");
    assert_eq!(hits(search("ara coffee")).await, Vec::<Value>::new(), "other words are whole words");
    assert_eq!(hits(search("coffee arab")).await, [json!(1)], "every word must match");
    let published = Query { filter: vec![Clause::parse("status", Op::Eq, "\"published\"").unwrap()], ..search("قهوه") };
    assert_eq!(hits(published).await, [json!(1)], "text and filters combine");
    // Updates and deletes keep the index current; the search text never leaks out.
    let id = third["_id"].as_str().unwrap();
    let renamed = store
        .replace(&c, id, 1, doc(json!({"n": 3, "status": "published", "name": {"en": "Kettle", "ar": "غلاية"}})))
        .await
        .unwrap()
        .unwrap();
    assert!(!renamed.contains("_search"));
    assert_eq!(hits(search("ابريق")).await, Vec::<Value>::new());
    assert_eq!(hits(search("kettle")).await, [json!(3)]);
    assert!(store.delete(&c, id, None).await.unwrap());
    assert_eq!(hits(search("kettle")).await, Vec::<Value>::new());
    for item in store.find(&c, query(vec![], vec![])).await.unwrap().0 {
        assert!(!item.contains("_search"), "{item}");
    }
    let plain = Collection::parse("plain").unwrap();
    store.insert(&plain, doc(json!({"n": 1}))).await.unwrap();
    assert!(matches!(store.find(&plain, search("x")).await, Err(StoreError::Invalid(_))));
}

/// Scenario: text search without a sort ranks by relevance.
pub async fn text_search_without_a_sort_ranks_by_relevance(store: &impl Backend) {
    let c = Collection::parse("ranked").unwrap();
    store.ensure_index(&c, IndexSpec::parse("search", vec![key("name", false)], IndexKind::Text).unwrap()).await.unwrap();
    let names = [
        (1, "coffee beans roasted for a long time in a small village far away"),
        (2, "coffee coffee"),
        (3, "green tea"),
        (4, "coffee pot"),
        (5, "tea pot"),
        (6, "milk"),
        (7, "coffeemaker"),
        (8, "coffee pot"),
    ];
    for (n, name) in names {
        store.insert(&c, doc(json!({"n": n, "name": name}))).await.unwrap();
    }
    let c = &c;
    let ranked = |words: &str, skip: u32, limit: u32| {
        let q = Query { filter: vec![], text: Some(text::words(words)), sort: vec![], skip, limit };
        async move {
            let (items, total) = store.find(c, q).await.unwrap();
            (field(&items, "n"), total)
        }
    };
    // More occurrences and shorter texts rank first; equal scores keep insertion (id) order.
    // A single word is the last word: a prefix (so "coffeemaker" matches).
    assert_eq!(ranked("coffee", 0, 10).await, (vec![json!(2), json!(7), json!(4), json!(8), json!(1)], 5));
    assert_eq!(ranked("coffee pot", 0, 10).await, (vec![json!(4), json!(8)], 2), "words before the last are whole words");
    assert_eq!(ranked("pot", 0, 10).await, (vec![json!(4), json!(5), json!(8)], 3));
    assert_eq!(ranked("coffee", 1, 2).await, (vec![json!(7), json!(4)], 5), "pages follow the ranking");
    assert_eq!(ranked("coffee", 0, 0).await, (vec![], 5));
    assert_eq!(ranked("nothing", 0, 10).await, (vec![], 0));
}

#[cfg(test)]
mod tests {
    use crate::engine::Engine;
    use crate::testing::Sqlite;

    /// Runs a future of the engine, which never waits on anything, to its end.
    fn finish<F: std::future::Future>(future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        loop {
            if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut context) {
                return output;
            }
        }
    }

    /// One test per scenario, each on a fresh in-memory database.
    macro_rules! on_the_engine {
        ($($scenario:ident),* $(,)?) => {
            $(#[test] fn $scenario() {
                let engine = Engine::new(Sqlite(rusqlite::Connection::open_in_memory().unwrap()));
                finish(super::$scenario(&engine));
            })*
        };
    }

    crate::conformance_scenarios!(on_the_engine);
}
