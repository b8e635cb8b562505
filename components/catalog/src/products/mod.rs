//! `/api/products`: the shopper's catalogue (published products only, cacheable) and the
//! admin's writes (create, replace, merge-patch, delete, publish, unpublish, stock).

mod images;
pub(crate) mod input;
pub(crate) mod listing;
pub mod view;

pub use images::{add as add_images, create_with_images, remove as remove_image, reorder as reorder_images};
pub use listing::list;

use crate::stored::categories::{self as stored_categories, CategoryIndex};
use crate::stored::products::{self as stored, insert, lookup, modify_stored};
use crate::{access, caching, images as files};
use api_kit::store::Stored;
use api_kit::{self as respond, ApiResponse};
use http::header;
use input::ProductInput;
use serde_json::{Map, Value, json};
use shop_domain::catalog::{ProductStatus, StoredProduct};
use shop_domain::{FieldErrors, Problem, Slug, time};
use view::{ProductView, Row};
use wstd::http::{Body, Request};

/// A product as the API shows it, with its category resolved (see [`view::ProductView`]).
pub fn view(stored: &Stored<StoredProduct>, categories: &CategoryIndex) -> Value {
    let json = stored.to_json();
    match Row::parse(&json) {
        Ok(row) => serde_json::from_str(&ProductView::of(&row, categories).to_json()).unwrap_or(Value::Null),
        Err(_) => Value::Null,
    }
}

/// `GET /api/products/{product}` (id or slug): drafts only for admins.
pub fn read(request: &Request<Body>, key: &str) -> Result<ApiResponse, Problem> {
    let json = stored::get_json(key)?;
    let row = Row::parse(&json)?;
    if !row.is_published() && !access::is_admin(request) {
        return Err(stored::not_found(key));
    }
    let categories = stored_categories::index_of(row.category_id())?;
    Ok(respond::cacheable_json(request, Some(row.version), ProductView::of(&row, &categories).to_json(), caching::cache_control(request)))
}

/// The category id a product input names (by id or slug), or a 422 naming the field.
fn resolve_category(input: &ProductInput) -> Result<Option<String>, Problem> {
    let Some(key) = &input.category else { return Ok(None) };
    match stored_categories::find(key)? {
        Some(category) => Ok(Some(category.id)),
        None => {
            let mut errors = FieldErrors::new();
            errors.push("category", "no category has this id or slug");
            Err(Problem::validation(errors))
        }
    }
}

/// Writes an input's fields into a document (keeping what the input does not cover: its
/// images and when it was created and first published).
pub(crate) fn apply(doc: &mut StoredProduct, input: ProductInput, slug: String, category: Option<String>, now: &str) {
    if input.status == ProductStatus::Published && doc.status != ProductStatus::Published {
        doc.published_at = Some(now.to_owned());
    }
    doc.slug = slug;
    doc.name = input.name;
    doc.description = input.description;
    doc.price = input.price;
    doc.compare_at_price = input.compare_at_price;
    doc.stock = input.stock;
    doc.category = category;
    doc.featured = input.featured;
    doc.status = input.status;
    doc.created_at.get_or_insert_with(|| now.to_owned());
    doc.updated_at = Some(now.to_owned());
}

pub(crate) fn saved(status: u16, stored: Stored<StoredProduct>) -> Result<ApiResponse, Problem> {
    let category = stored.body.category.as_deref().map(std::borrow::Cow::Borrowed);
    let categories = stored_categories::index_of(category)?;
    let etag = respond::etag(stored.version);
    let location = format!("/api/products/{}", stored.id);
    let response = ApiResponse::json(status, &view(&stored, &categories)).with_header(header::ETAG, etag);
    Ok(if status == 201 { response.with_header(header::LOCATION, location) } else { response })
}

/// `POST /api/products`.
pub fn create(body: Map<String, Value>) -> Result<ApiResponse, Problem> {
    let doc = new_document(body)?;
    insert(None, &doc).and_then(|stored| saved(201, stored))
}

/// Validates a new product's fields and makes its document (without an id).
pub(crate) fn new_document(body: Map<String, Value>) -> Result<StoredProduct, Problem> {
    let input = ProductInput::parse(body, false).map_err(Problem::validation)?;
    let category = resolve_category(&input)?;
    let slug = match &input.slug {
        Some(slug) => slug.to_string(),
        None => input.name.en.as_deref().and_then(Slug::from_text).map(String::from).ok_or_else(|| {
            let mut errors = FieldErrors::new();
            errors.push("slug", "could not be derived from name.en; give one explicitly");
            Problem::validation(errors)
        })?,
    };
    let now = time::now_rfc3339();
    let mut doc = StoredProduct {
        category: None,
        compare_at_price: None,
        created_at: None,
        description: Default::default(),
        featured: false,
        images: Vec::new(),
        name: Default::default(),
        price: input.price.clone(),
        published_at: None,
        slug: String::new(),
        status: ProductStatus::Draft,
        stock: 0,
        stock_holds: Default::default(),
        stock_returns: Default::default(),
        updated_at: None,
    };
    apply(&mut doc, input, slug, category, &now);
    Ok(doc)
}

/// Merges a JSON merge patch (RFC 7396) into `target`.
pub(crate) fn merge_patch(target: &mut Map<String, Value>, patch: Map<String, Value>) {
    for (key, value) in patch {
        match value {
            Value::Null => {
                target.remove(&key);
            }
            Value::Object(inner) => {
                let slot = target.entry(key).or_insert_with(|| json!({}));
                if !slot.is_object() {
                    *slot = json!({});
                }
                if let Value::Object(slot) = slot {
                    merge_patch(slot, inner);
                }
            }
            other => {
                target.insert(key, other);
            }
        }
    }
}

/// `PUT` (replace every writable field) or `PATCH` (merge patch) of `/api/products/{product}`:
/// both need the version they change (`If-Match` or `version`).
pub fn update(key: &str, if_match: Option<u64>, body: Map<String, Value>, merge: bool) -> Result<ApiResponse, Problem> {
    let current = lookup(key)?;
    let body = if merge {
        let mut merged = input::writable_view(&current.body);
        merged.remove("version");
        merge_patch(&mut merged, body);
        merged
    } else {
        body
    };
    let input = ProductInput::parse(body, true).map_err(Problem::validation)?;
    let Some(expected) = if_match.or(input.version) else {
        return Err(Problem::precondition_required(
            "Say which version you are changing: send If-Match with the ETag you read, or a `version` field.",
        ));
    };
    let category = resolve_category(&input)?;
    let slug = input.slug.as_ref().map(|s| s.to_string()).unwrap_or_else(|| current.body.slug.clone());
    let mut doc = current.body;
    apply(&mut doc, input, slug, category, &time::now_rfc3339());
    stored::replace(key, &current.id, expected, &doc).and_then(|stored| saved(200, stored))
}

/// Applies `change` to the current product and stores it: at `expected` when given (a stale
/// version is a 409), else retried on the newest version.
fn modify(
    key: &str,
    expected: Option<u64>,
    change: impl Fn(&Stored<StoredProduct>) -> Result<StoredProduct, Problem>,
) -> Result<ApiResponse, Problem> {
    modify_stored(key, expected, change).and_then(|stored| saved(200, stored))
}

/// `POST /api/products/{product}/publish` and `/unpublish`.
pub fn set_status(key: &str, expected: Option<u64>, status: ProductStatus) -> Result<ApiResponse, Problem> {
    modify(key, expected, |current| {
        let mut doc = current.body.clone();
        if status == ProductStatus::Published {
            let mut body = input::writable_view(&current.body);
            body.remove("version");
            body.insert("status".into(), json!(ProductStatus::Draft));
            let input = ProductInput::parse(body, false).map_err(Problem::validation)?;
            if let Some(missing) = input.publishing_errors() {
                return Err(Problem::validation(missing));
            }
            if doc.status != ProductStatus::Published {
                doc.published_at = Some(time::now_rfc3339());
            }
        }
        doc.status = status;
        Ok(doc)
    })
}

/// `POST /api/products/{product}/stock` with `{"delta": n}` (receive or remove units) or
/// `{"set": n}` (a count). Stock never goes below zero.
pub fn adjust_stock(key: &str, expected: Option<u64>, mut body: Map<String, Value>) -> Result<ApiResponse, Problem> {
    let mut errors = FieldErrors::new();
    let delta = body.remove("delta");
    let set = body.remove("set");
    for unknown in body.keys() {
        errors.push(unknown.clone(), "is not a field of a stock change (delta or set)");
    }
    let change = match (delta, set) {
        (Some(delta), None) => match delta.as_i64() {
            Some(d) if d.abs() <= input::MAX_STOCK => Some((d, false)),
            _ => {
                errors.push("delta", format!("must be a whole number from -{0} to {0}", input::MAX_STOCK));
                None
            }
        },
        (None, Some(set)) => match set.as_i64() {
            Some(s) if (0..=input::MAX_STOCK).contains(&s) => Some((s, true)),
            _ => {
                errors.push("set", format!("must be a whole number from 0 to {}", input::MAX_STOCK));
                None
            }
        },
        (Some(_), Some(_)) => {
            errors.push("set", "give either delta or set, not both");
            None
        }
        (None, None) => {
            errors.push("delta", "is required (or set)");
            None
        }
    };
    let Some((amount, absolute)) = change.filter(|_| errors.is_empty()) else { return Err(Problem::validation(errors)) };
    modify(key, expected, |current| {
        let stock = current.body.stock;
        let next = if absolute { amount } else { stock + amount };
        if next < 0 {
            return Err(Problem::conflict(format!("Only {stock} in stock: cannot remove {}.", -amount))
                .with_field("delta", "would take stock below zero"));
        }
        if next > input::MAX_STOCK {
            return Err(Problem::conflict(format!("Stock may be at most {}.", input::MAX_STOCK))
                .with_field("delta", "would take stock above the limit"));
        }
        let mut doc = current.body.clone();
        doc.stock = next;
        Ok(doc)
    })
}

/// `DELETE /api/products/{product}` (at a version with `If-Match`): the document, then its image files (journalled, so a
/// crash in between leaves files that the next sweep deletes, never a product without files).
pub fn delete(key: &str, expected: Option<u64>) -> Result<ApiResponse, Problem> {
    let current = lookup(key)?;
    let keys = files::keys_of(&current.body);
    if keys.is_empty() {
        return if stored::delete(&current.id, expected)? { Ok(ApiResponse::no_content()) } else { Err(stored::not_found(key)) };
    }
    let journal = files::Journal::open(&current.id, &keys)?;
    let deleted = stored::delete(&current.id, expected);
    journal.settle()?;
    if deleted? { Ok(ApiResponse::no_content()) } else { Err(stored::not_found(key)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_patches_follow_rfc_7396() {
        let mut target = json!({"name": {"en": "Dates", "ar": "تمر"}, "stock": 3, "featured": true}).as_object().unwrap().clone();
        let patch = json!({"name": {"ar": null}, "stock": 5, "featured": null, "category": "food"}).as_object().unwrap().clone();
        merge_patch(&mut target, patch);
        assert_eq!(Value::Object(target), json!({"name": {"en": "Dates"}, "stock": 5, "category": "food"}));
    }
}
