//! The categories collection: its indexes, and the lookups the product handlers make (a
//! category by id or slug, and the few categories a page of products names).

use api_kit::documents::{IndexKind, Op, Query};
use api_kit::store::{self, Stored};
use serde_json::json;
use shop_domain::Problem;
use std::collections::HashMap;

/// The categories collection.
pub const COLLECTION: &str = "categories";

/// Makes sure the indexes the categories' queries rely on exist.
pub fn ensure_indexes() -> Result<(), Problem> {
    use store::{index, key};
    store::ensure_indexes(
        COLLECTION,
        &[
            index("slug_unique", vec![key("slug", false)], IndexKind::Unique),
            index("navigation_order", vec![key("sort_order", false), key("name.en", false)], IndexKind::Regular),
        ],
    )
}

/// Categories by id as products show them: each `{id, name, slug}`, already in JSON.
pub type CategoryIndex = HashMap<String, String>;

/// The JSON a product shows for a category, from the JSON text of its stored fields.
pub fn category_json(id_json: &str, name: Option<&str>, slug: Option<&str>) -> String {
    let mut out = String::with_capacity(id_json.len() + name.map_or(4, str::len) + slug.map_or(4, str::len) + 24);
    out.push_str("{\"id\":");
    out.push_str(id_json);
    out.push_str(",\"name\":");
    out.push_str(name.unwrap_or("null"));
    out.push_str(",\"slug\":");
    out.push_str(slug.unwrap_or("null"));
    out.push('}');
    out
}

/// The category with this id or slug, if any.
pub fn find(id_or_slug: &str) -> Result<Option<Stored>, Problem> {
    store::get_by_id_or_slug(COLLECTION, id_or_slug)
}

/// The categories with these ids, by id, as products show them (`{id, name, slug}`): only
/// those an answer names, found by primary key, so a listing reads the few categories on
/// its page rather than the whole navigation. Ids of deleted categories are simply absent.
pub fn index_of<'a>(ids: impl IntoIterator<Item = std::borrow::Cow<'a, str>>) -> Result<CategoryIndex, Problem> {
    let mut wanted: Vec<std::borrow::Cow<'a, str>> = ids.into_iter().collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut index = CategoryIndex::with_capacity(wanted.len());
    if wanted.is_empty() {
        return Ok(index);
    }
    // One more than can match: a page that is not full gives its total, so the store
    // does not count the matches (nothing here needs the total).
    let limit = u32::try_from(wanted.len() + 1).unwrap_or(u32::MAX);
    let query = Query { filter: vec![store::clause("_id", Op::InList, json!(wanted))], text: None, sort: Vec::new(), skip: 0, limit };
    let (items, _) = store::find_json(COLLECTION, &query)?;
    for json in &items {
        let (mut id, mut name, mut slug) = (None, None, None);
        for field in api_kit::raw_json::fields(json) {
            match field.map_err(|_| Problem::internal())? {
                ("_id", value) => id = Some(value),
                ("name", value) => name = Some(value),
                ("slug", value) => slug = Some(value),
                _ => {}
            }
        }
        let id_json = id.ok_or_else(Problem::internal)?;
        let id = api_kit::raw_json::string(id_json).ok_or_else(Problem::internal)?;
        index.insert(id.into_owned(), category_json(id_json, name, slug));
    }
    Ok(index)
}
