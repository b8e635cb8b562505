//! The categories collection: its indexes, and the lookups the product handlers make (a
//! category by id or slug, and the few categories a page of products names).

use api_kit::documents::{IndexKind, Op, Query};
use api_kit::store::{self, Stored};
use serde_json::json;
use shop_domain::Problem;

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
///
/// A page names a few categories, looked up once per product: a short list compared a word
/// at a time beats a hash map, whose hashing and byte-at-a-time `memcmp` (WebAssembly's)
/// of long ids sharing a prefix (UUIDv7) were 5 % of a listing's instructions.
#[derive(Debug, Default)]
pub struct CategoryIndex {
    entries: Vec<(String, String)>,
}

impl CategoryIndex {
    /// Adds (or replaces) the JSON shown for the category `id`.
    pub fn insert(&mut self, id: String, json: String) {
        match self.entries.iter_mut().find(|(known, _)| same_text(known, &id)) {
            Some(entry) => entry.1 = json,
            None => self.entries.push((id, json)),
        }
    }

    /// The JSON shown for the category `id`, if the index has it.
    pub fn get(&self, id: &str) -> Option<&String> {
        self.entries.iter().find(|(known, _)| same_text(known, id)).map(|(_, json)| json)
    }
}

/// Whether two texts are equal, compared eight bytes at a time.
fn same_text(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let (mut words_a, mut words_b) = (a.chunks_exact(8), b.chunks_exact(8));
    let word = |chunk: &[u8]| u64::from_ne_bytes(chunk.try_into().expect("an 8-byte chunk"));
    words_a.by_ref().zip(words_b.by_ref()).all(|(x, y)| word(x) == word(y))
        && words_a.remainder().iter().zip(words_b.remainder()).all(|(x, y)| x == y)
}

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
    let mut wanted: Vec<std::borrow::Cow<'a, str>> = Vec::new();
    for id in ids {
        if !wanted.iter().any(|known| same_text(known, &id)) {
            wanted.push(id);
        }
    }
    let mut index = CategoryIndex { entries: Vec::with_capacity(wanted.len()) };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_the_same_only_byte_for_byte() {
        let id = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
        let copy = String::from(id);
        assert!(same_text(id, &copy), "another allocation of the same text");
        assert!(same_text("", ""));
        assert!(!same_text(id, "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"), "the last byte differs");
        assert!(!same_text(id, "1193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"), "the first byte differs");
        assert!(!same_text("abcdefgh1", "abcdefgh"));
        let mut index = CategoryIndex::default();
        index.insert(id.into(), "{}".into());
        index.insert("c2".into(), "{\"id\":\"c2\"}".into());
        index.insert(id.into(), "{\"id\":1}".into());
        assert_eq!((index.get(id).map(String::as_str), index.get("c2").is_some(), index.get("c3")), (Some("{\"id\":1}"), true, None));
    }
}
