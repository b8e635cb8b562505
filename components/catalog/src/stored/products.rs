//! The products collection: its indexes, and every read and write of product documents the
//! handlers make (no HTTP here).

use api_kit::documents::{IndexKind, Op, Query};
use api_kit::store::{self, Collection, Stored};
use serde_json::json;
use shop_domain::catalog::{ProductStatus, StoredProduct};
use shop_domain::{Problem, time};
use std::collections::HashMap;

/// The products collection's name.
pub const COLLECTION: &str = "products";
/// The products collection.
pub const PRODUCTS: Collection<StoredProduct> = Collection::new(COLLECTION);
/// Optimistic writes without `If-Match` are retried this often.
const RETRIES: usize = 8;

/// Makes sure the indexes the queries rely on exist. Declared by every write, every search
/// (it needs the text index) and the component's housekeeping (before the host listens),
/// not by the other reads: declaring five indexes is 4 % of a listing's instructions
/// (`bench/instructions.sh`), and those reads are right without them, only slower.
pub fn ensure_indexes() -> Result<(), Problem> {
    use store::{index, key};
    store::ensure_indexes(
        COLLECTION,
        &[
            index("slug_unique", vec![key("slug", false)], IndexKind::Unique),
            index("listing", vec![key("status", false), key("category", false), key("price.amount", false)], IndexKind::Regular),
            index("newest", vec![key("status", false), key("created_at", true)], IndexKind::Regular),
            // The price sorts of the whole catalogue (`listing` serves them within one category).
            index("by_price", vec![key("status", false), key("price.amount", false)], IndexKind::Regular),
            index(
                "search",
                vec![key("name.en", false), key("name.ar", false), key("description.en", false), key("description.ar", false)],
                IndexKind::Text,
            ),
        ],
    )
}

/// The 404 of a product that does not exist.
pub fn not_found(key: &str) -> Problem {
    Problem::not_found(format!("There is no product {key}."))
}

/// Finds a product by id, then by slug.
pub fn lookup(key: &str) -> Result<Stored<StoredProduct>, Problem> {
    PRODUCTS.get_by_id_or_slug(key)?.ok_or_else(|| not_found(key))
}

/// A product's stored JSON text, by id or slug.
pub fn get_json(key: &str) -> Result<String, Problem> {
    store::get_json_by_id_or_slug(COLLECTION, key)?.ok_or_else(|| not_found(key))
}

fn duplicate_slug(slug: &str) -> Problem {
    Problem::conflict(format!("Another product already has the slug \"{slug}\".")).with_field("slug", "is already used by another product")
}

/// Stores a new product document (under `id` when given).
pub fn insert(id: Option<&str>, doc: &StoredProduct) -> Result<Stored<StoredProduct>, Problem> {
    ensure_indexes()?;
    match PRODUCTS.insert(id, doc)? {
        Ok(stored) => Ok(stored),
        Err(error) if store::duplicate_index(&error).is_some() => Err(duplicate_slug(&doc.slug)),
        Err(error) => Err(store::to_problem(error)),
    }
}

/// Replaces a product's document at `expected` (a stale version is a 409; a slug another
/// product has, a 409 naming it).
pub fn replace(key: &str, id: &str, expected: u64, doc: &StoredProduct) -> Result<Stored<StoredProduct>, Problem> {
    ensure_indexes()?;
    match PRODUCTS.replace(id, expected, doc)? {
        Ok(Some(stored)) => Ok(stored),
        Ok(None) => Err(not_found(key)),
        Err(error) if store::duplicate_index(&error).is_some() => Err(duplicate_slug(&doc.slug)),
        Err(error) => Err(store::to_problem(error)),
    }
}

/// Deletes a product (at `expected` when given); false when it was not there.
pub fn delete(id: &str, expected: Option<u64>) -> Result<bool, Problem> {
    PRODUCTS.delete(id, expected)
}

/// Reads, changes and replaces a product at the version read: with `expected`, only at that
/// version (409 otherwise); without, retried when another write came first.
pub fn modify_stored(
    key: &str,
    expected: Option<u64>,
    change: impl Fn(&Stored<StoredProduct>) -> Result<StoredProduct, Problem>,
) -> Result<Stored<StoredProduct>, Problem> {
    for _ in 0..RETRIES {
        let current = lookup(key)?;
        if let Some(expected) = expected.filter(|v| *v != current.version) {
            return Err(Problem::conflict(format!(
                "This product was changed since version {expected} (now {}). Fetch it again and retry.",
                current.version
            )));
        }
        let mut doc = change(&current)?;
        doc.updated_at = Some(time::now_rfc3339());
        match PRODUCTS.replace(&current.id, current.version, &doc)? {
            Ok(Some(stored)) => return Ok(stored),
            Ok(None) => return Err(not_found(key)),
            Err(error) if expected.is_some() || !store::is_conflict(&error) => return Err(store::to_problem(error)),
            Err(_) => continue,
        }
    }
    Err(Problem::unavailable("This product is being changed by many requests at once. Try again shortly."))
}

/// How many products use a category (of any status, or published only).
pub fn count_in_category(category_id: &str, published_only: bool) -> Result<u64, Problem> {
    let mut filter = vec![store::clause("category", Op::Eq, json!(category_id))];
    if published_only {
        filter.push(store::clause("status", Op::Eq, json!(ProductStatus::Published.as_str())));
    }
    ensure_indexes()?;
    let query = Query { filter, text: None, sort: Vec::new(), skip: 0, limit: 0 };
    Ok(store::find(COLLECTION, &query)?.1)
}

/// Published products per category id (one store call for the whole navigation).
pub fn published_per_category() -> Result<HashMap<String, u64>, Problem> {
    let counts = store::count_by(COLLECTION, vec![store::clause("status", Op::Eq, json!(ProductStatus::Published.as_str()))], "category")?;
    Ok(counts.into_iter().filter_map(|(category, n)| category.as_str().map(|id| (id.to_owned(), n))).collect())
}

/// Moves every product of one category to another (before the first is deleted). Safe to
/// repeat after a crash: products already moved no longer match.
pub fn reassign_category(from: &str, to: &str) -> Result<u64, Problem> {
    let mut moved = 0;
    loop {
        let query =
            Query { filter: vec![store::clause("category", Op::Eq, json!(from))], text: None, sort: Vec::new(), skip: 0, limit: 100 };
        let (products, _) = PRODUCTS.find(&query)?;
        if products.is_empty() {
            return Ok(moved);
        }
        for product in products {
            let mut doc = product.body;
            doc.category = Some(to.to_owned());
            doc.updated_at = Some(time::now_rfc3339());
            // A product changed meanwhile is picked up again by the next round.
            if let Ok(Some(_)) = PRODUCTS.replace(&product.id, product.version, &doc)? {
                moved += 1;
            }
        }
    }
}
