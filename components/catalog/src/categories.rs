//! `/api/categories`: the product categories, named in English and Arabic.

use crate::caching;
use crate::stored::categories::{COLLECTION, ensure_indexes, find};
use crate::stored::products;
use api_kit::documents::Query;
use api_kit::store::{self, Stored};
use api_kit::{self as respond, ApiResponse};
use http::header;
use serde::Serialize;
use serde_json::{Map, Value, json};
use shop_domain::{FieldErrors, LocalizedText, Problem, Slug, time};
use std::fmt::Write;
use wstd::http::{Body, Request};

/// The longest category name, per language.
const MAX_NAME_CHARS: usize = 100;
/// The range of `sort_order`.
const SORT_ORDER_RANGE: std::ops::RangeInclusive<i64> = -1_000_000..=1_000_000;
/// The most categories listed (the shop's navigation, not a data set).
const MAX_LISTED: u32 = 1000;

/// A category as the API shows it.
#[derive(Serialize)]
pub(crate) struct CategoryView {
    id: String,
    slug: String,
    name: Value,
    sort_order: i64,
    /// Published products in the category.
    pub(crate) product_count: u64,
    version: u64,
    created_at: Value,
    updated_at: Value,
}

impl CategoryView {
    /// The view with its count of published products.
    fn counted(stored: Stored) -> Result<Self, Problem> {
        let mut view = Self::from(stored);
        view.product_count = products::count_in_category(&view.id, true)?;
        Ok(view)
    }
}

impl From<Stored> for CategoryView {
    fn from(stored: Stored) -> Self {
        let field = |name: &str| stored.body.get(name).cloned().unwrap_or(Value::Null);
        Self {
            slug: field("slug").as_str().unwrap_or_default().to_owned(),
            name: field("name"),
            sort_order: field("sort_order").as_i64().unwrap_or(0),
            product_count: 0,
            created_at: field("created_at"),
            updated_at: field("updated_at"),
            id: stored.id,
            version: stored.version,
        }
    }
}

/// The fields a client may write.
pub(crate) struct CategoryInput {
    pub(crate) slug: Option<Slug>,
    pub(crate) name: LocalizedText,
    pub(crate) sort_order: Option<i64>,
    pub(crate) version: Option<u64>,
}

impl CategoryInput {
    /// Parses a request body, listing every invalid or unknown field.
    pub(crate) fn parse(mut body: Map<String, Value>, allow_version: bool) -> Result<Self, Problem> {
        let mut errors = FieldErrors::new();
        let name = LocalizedText::parse(body.get("name"), "name", MAX_NAME_CHARS, &mut errors);
        let slug = match body.remove("slug") {
            None | Some(Value::Null) => None,
            Some(Value::String(raw)) => errors.check("slug", Slug::parse(&raw)),
            Some(_) => {
                errors.push("slug", "must be a string");
                None
            }
        };
        let sort_order = match body.remove("sort_order") {
            None | Some(Value::Null) => None,
            Some(value) => match value.as_i64() {
                Some(n) if SORT_ORDER_RANGE.contains(&n) => Some(n),
                _ => {
                    errors.push("sort_order", "must be a whole number from -1000000 to 1000000");
                    None
                }
            },
        };
        let version = api_kit::version_field(&mut body, allow_version, &mut errors);
        body.remove("name");
        for unknown in body.keys() {
            errors.push(unknown.clone(), "is not a field of a category");
        }
        if errors.is_empty()
            && let Some(name) = name
        {
            return Ok(Self { slug, name, sort_order, version });
        }
        Err(Problem::validation(errors))
    }
}

pub fn list(request: &Request<Body>) -> Result<ApiResponse, Problem> {
    let query = Query {
        filter: Vec::new(),
        text: None,
        sort: vec![store::key("sort_order", false), store::key("name.en", false)],
        skip: 0,
        limit: MAX_LISTED,
    };
    let (items, total) = store::find_json(COLLECTION, &query)?;
    let counts = products::published_per_category()?;
    let mut page = String::with_capacity(items.iter().map(|item| item.len() + 32).sum::<usize>() + 32);
    page.push_str("{\"items\":[");
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            page.push(',');
        }
        write_listed(item, &counts, &mut page)?;
    }
    // Writing to a String cannot fail.
    let _ = write!(page, "],\"total\":{total}}}");
    Ok(respond::cacheable_json(request, None, page, caching::cache_control(request)))
}

/// Appends a stored category (its JSON text) as the list shows it: the fields of
/// [`CategoryView`], in key order, each copied from the stored text (which the store wrote
/// with serde_json, so as serialising them again would), with its count of published
/// products. No tree of maps is built per category.
pub(crate) fn write_listed(stored: &str, counts: &std::collections::HashMap<String, u64>, out: &mut String) -> Result<(), Problem> {
    use api_kit::raw_json;
    let (mut id, mut version, mut slug, mut name, mut sort_order, mut created_at, mut updated_at) =
        (None, None, None, None, None, None, None);
    for field in raw_json::fields(stored) {
        let (key, value) = field.map_err(|_| Problem::internal())?;
        match key {
            "_id" => id = Some(value),
            "_version" => version = Some(value.parse::<u64>().map_err(|_| Problem::internal())?),
            "slug" => slug = Some(value),
            "name" => name = Some(value),
            "sort_order" => sort_order = Some(value),
            "created_at" => created_at = Some(value),
            "updated_at" => updated_at = Some(value),
            _ => {}
        }
    }
    let (Some(id_json), Some(version)) = (id, version) else { return Err(Problem::internal()) };
    let id = raw_json::string(id_json).ok_or_else(Problem::internal)?;
    let count = counts.get(id.as_ref()).copied().unwrap_or(0);
    // As `CategoryView::from` reads them: a slug that is not a string is empty, a sort order
    // that is not a whole number is 0.
    let slug = slug.filter(|value| value.starts_with('"')).unwrap_or("\"\"");
    let sort_order = sort_order.and_then(|value| value.parse::<i64>().ok()).unwrap_or(0);
    let _ = write!(
        out,
        "{{\"created_at\":{},\"id\":{id_json},\"name\":{},\"product_count\":{count},\"slug\":{slug},\"sort_order\":{sort_order},\"updated_at\":{},\"version\":{version}}}",
        created_at.unwrap_or("null"),
        name.unwrap_or("null"),
        updated_at.unwrap_or("null"),
    );
    Ok(())
}

/// Finds a category by id, then by slug.
fn lookup(id_or_slug: &str) -> Result<Stored, Problem> {
    find(id_or_slug)?.ok_or_else(|| Problem::not_found(format!("There is no category {id_or_slug}.")))
}

pub fn read(request: &Request<Body>, id: &str) -> Result<ApiResponse, Problem> {
    let found = lookup(id)?;
    let version = found.version;
    Ok(respond::cacheable(request, Some(version), &CategoryView::counted(found)?, caching::cache_control(request)))
}

/// The slug to store: the one given, else one derived from the English name.
fn resolve_slug(input: &CategoryInput, current: Option<&str>) -> Result<String, Problem> {
    if let Some(slug) = &input.slug {
        return Ok(slug.to_string());
    }
    if let Some(current) = current {
        return Ok(current.to_owned());
    }
    Slug::from_text(&input.name.en).map(String::from).ok_or_else(|| {
        let mut errors = FieldErrors::new();
        errors.push("slug", "could not be derived from name.en; give one explicitly");
        Problem::validation(errors)
    })
}

fn duplicate_slug(slug: &str) -> Problem {
    Problem::conflict(format!("Another category already has the slug \"{slug}\"."))
        .with_field("slug", "is already used by another category")
}

pub fn create(body: Map<String, Value>) -> Result<ApiResponse, Problem> {
    let input = CategoryInput::parse(body, false)?;
    let slug = resolve_slug(&input, None)?;
    ensure_indexes()?;
    let now = time::now_rfc3339();
    let mut doc = Map::new();
    doc.insert("slug".into(), json!(slug));
    doc.insert("name".into(), json!(input.name));
    doc.insert("sort_order".into(), json!(input.sort_order.unwrap_or(0)));
    doc.insert("created_at".into(), json!(now));
    doc.insert("updated_at".into(), json!(now));
    match store::insert(COLLECTION, &doc)? {
        Ok(stored) => {
            let location = format!("/api/categories/{}", stored.id);
            let etag = respond::etag(stored.version);
            Ok(ApiResponse::json(201, &CategoryView::from(stored)).with_header(header::LOCATION, location).with_header(header::ETAG, etag))
        }
        Err(error) if store::duplicate_index(&error).is_some() => Err(duplicate_slug(&slug)),
        Err(error) => Err(store::to_problem(error)),
    }
}

pub fn update(id: &str, if_match: Option<u64>, body: Map<String, Value>) -> Result<ApiResponse, Problem> {
    let input = CategoryInput::parse(body, true)?;
    let Some(expected) = if_match.or(input.version) else {
        return Err(Problem::precondition_required(
            "Say which version you are replacing: send If-Match with the ETag you read, or a `version` field.",
        ));
    };
    let current = lookup(id)?;
    let current_slug = current.body.get("slug").and_then(Value::as_str);
    let slug = resolve_slug(&input, current_slug)?;
    ensure_indexes()?;
    let mut doc = current.body.clone();
    doc.insert("slug".into(), json!(slug));
    doc.insert("name".into(), json!(input.name));
    if let Some(order) = input.sort_order {
        doc.insert("sort_order".into(), json!(order));
    }
    doc.insert("updated_at".into(), json!(time::now_rfc3339()));
    match store::replace(COLLECTION, &current.id, expected, &doc)? {
        Ok(Some(stored)) => {
            let etag = respond::etag(stored.version);
            Ok(ApiResponse::json(200, &CategoryView::from(stored)).with_header(header::ETAG, etag))
        }
        Ok(None) => Err(Problem::not_found(format!("There is no category {id}."))),
        Err(error) if store::duplicate_index(&error).is_some() => Err(duplicate_slug(&slug)),
        Err(error) => Err(store::to_problem(error)),
    }
}

/// Deletes a category. One that products still use is kept (409) unless `reassign_to` names
/// another category to move them to first.
pub fn remove(id: &str, version: Option<u64>, reassign_to: Option<String>) -> Result<ApiResponse, Problem> {
    let current = lookup(id)?;
    let used = products::count_in_category(&current.id, false)?;
    if used > 0 {
        let Some(target) = reassign_to else {
            return Err(Problem::conflict(format!(
                "{used} product(s) use this category. Move them first, or delete with ?reassign_to=<another category's id or slug>."
            ))
            .with_field("reassign_to", "is required while products use the category"));
        };
        let target = match find(&target)? {
            Some(target) if target.id != current.id => target,
            _ => {
                let mut errors = FieldErrors::new();
                errors.push("reassign_to", "must be another existing category's id or slug");
                return Err(Problem::bad_query(errors));
            }
        };
        if let Some(expected) = version.filter(|v| *v != current.version) {
            return Err(Problem::conflict(format!("This category was changed since version {expected}. Fetch it again and retry.")));
        }
        products::reassign_category(&current.id, &target.id)?;
    }
    if store::delete(COLLECTION, &current.id, version)? {
        Ok(ApiResponse::no_content())
    } else {
        Err(Problem::not_found(format!("There is no category {id}.")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// What the list showed when it built a [`CategoryView`] per category (through a `Value`,
    /// so with its keys in order).
    fn as_the_view_shows(stored: &Value, count: u64) -> String {
        let mut body = stored.as_object().unwrap().clone();
        let id = body.remove("_id").unwrap().as_str().unwrap().to_owned();
        let version = body.remove("_version").unwrap().as_u64().unwrap();
        let mut view = CategoryView::from(Stored { id, version, body });
        view.product_count = count;
        serde_json::to_value(&view).unwrap().to_string()
    }

    #[test]
    fn a_listed_category_is_written_as_its_view_would_be_serialised() {
        let counts = HashMap::from([("c1".to_owned(), 7), ("a\"b".to_owned(), 2)]);
        for stored in [
            json!({"_id": "c1", "_version": 3, "slug": "lamps", "name": {"ar": "مصابيح", "en": "Brass \"lamps\""},
                   "sort_order": -4, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-02-01T00:00:00Z", "extra": [1, 2]}),
            // Odd fields read as the view reads them: a slug that is no string is empty, a sort
            // order that is no whole number is 0, missing fields are null.
            json!({"_id": "a\"b", "_version": 1, "slug": 5, "sort_order": 2.5}),
            json!({"_id": "none", "_version": 9, "sort_order": "1", "name": null}),
        ] {
            let mut written = String::new();
            write_listed(&stored.to_string(), &counts, &mut written).unwrap();
            assert_eq!(written, as_the_view_shows(&stored, counts.get(stored["_id"].as_str().unwrap()).copied().unwrap_or(0)));
        }
        let mut written = String::new();
        assert!(write_listed(r#"{"slug":"x"}"#, &counts, &mut written).is_err(), "no id or version");
    }

    /// A category the component wrote, listed or alone, is the public shape `shop_domain`
    /// defines: it reads into that type and writes back unchanged.
    #[test]
    fn a_category_is_the_public_category_shape() {
        let stored = json!({"_id": "c1", "_version": 3, "slug": "lamps", "name": {"ar": "مصابيح", "en": "Lamps"},
                            "sort_order": -4, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-02-01T00:00:00Z"});
        let mut listed = String::new();
        write_listed(&stored.to_string(), &HashMap::from([("c1".to_owned(), 7)]), &mut listed).unwrap();
        let alone = as_the_view_shows(&stored, 7);
        for text in [listed, alone] {
            let view: Value = serde_json::from_str(&text).unwrap();
            let typed: shop_domain::catalog::Category = serde_json::from_value(view.clone()).unwrap();
            assert_eq!(serde_json::to_value(&typed).unwrap(), view);
        }
    }
}
