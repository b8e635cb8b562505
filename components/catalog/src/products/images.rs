//! The routes of a product's images: upload with a new product, add, remove, reorder. Files
//! first, document second, each change journalled (see `crate::images`).

use crate::images::{FIELD, Journal, Prepared, Settings, prepare, put_all, record_keys, sweep};
use crate::stored::products::{insert, lookup, modify_stored};
use api_kit::ApiResponse;
use api_kit::multipart::{self, Part};
use serde_json::{Map, Value};
use shop_domain::blob_key::BlobKey;
use shop_domain::catalog::StoredProduct;
use shop_domain::{FieldErrors, Problem};
use wstd::http::{Body, Request};

/// The image ids a product has, in order.
fn ids_of(product: &StoredProduct) -> Vec<String> {
    product.images.iter().map(|image| image.id.clone()).collect()
}

fn too_many_images(settings: &Settings) -> Problem {
    let mut errors = FieldErrors::new();
    errors.push(FIELD, format!("a product may have at most {} images", settings.max_per_product));
    Problem::validation(errors)
}

/// Stores prepared images' files, then applies `write` (which must make the product
/// reference them); whatever happens, files left unreferenced are deleted.
fn store_then<T>(product_id: &str, prepared: &[Prepared], write: impl FnOnce() -> Result<T, Problem>) -> Result<T, Problem> {
    let files: Vec<(BlobKey, Vec<u8>)> = prepared.iter().flat_map(|p| p.files.iter().cloned()).collect();
    let keys: Vec<BlobKey> = files.iter().map(|(key, _)| key.clone()).collect();
    let journal = Journal::open(product_id, &keys)?;
    let written = put_all(&files).and_then(|()| write());
    journal.settle()?;
    written
}

/// `POST /api/products/{product}/images`: adds the images of a multipart form (field
/// `images`, one file a part) after the product's others. A file the product already has is
/// skipped, so a retried upload adds nothing twice. 201 with the product when some image
/// was added, 200 when none was new.
pub async fn add(request: &mut Request<Body>, key: &str) -> Result<ApiResponse, Problem> {
    let settings = Settings::load()?;
    sweep(&settings)?;
    let current = lookup(key)?;
    let parts = multipart::read_form(request, &settings.form(0)).await?;
    let files: Vec<&Part> = parts.iter().collect();
    let existing = ids_of(&current.body);
    let prepared: Vec<Prepared> =
        prepare(&current.id, &files, &settings)?.into_iter().filter(|p| !existing.iter().any(|id| id == p.id())).collect();
    if prepared.is_empty() {
        return super::saved(200, current);
    }
    if existing.len() + prepared.len() > settings.max_per_product {
        return Err(too_many_images(&settings));
    }
    let stored = store_then(&current.id, &prepared, || {
        modify_stored(&current.id, None, |latest| {
            let mut doc = latest.body.clone();
            let ids = ids_of(&doc);
            doc.images.extend(prepared.iter().filter(|p| !ids.iter().any(|id| id == p.id())).map(|p| p.record.clone()));
            if doc.images.len() > settings.max_per_product {
                return Err(too_many_images(&settings));
            }
            Ok(doc)
        })
    })?;
    super::saved(201, stored)
}

/// `POST /api/products` with a multipart form: the product as JSON in the part `product`,
/// its images in parts `images`. All or nothing: a refused image stores no product.
pub async fn create_with_images(request: &mut Request<Body>) -> Result<ApiResponse, Problem> {
    let settings = Settings::load()?;
    sweep(&settings)?;
    let parts = multipart::read_form(request, &settings.form(1)).await?;
    let mut products_parts = parts.iter().filter(|part| part.name == "product");
    let (Some(product), None) = (products_parts.next(), products_parts.next()) else {
        let mut errors = FieldErrors::new();
        errors.push("product", "exactly one part named product, holding the product as JSON, is required");
        return Err(Problem::validation(errors));
    };
    let body = match serde_json::from_slice::<Value>(&product.bytes) {
        Ok(Value::Object(body)) => body,
        Ok(_) => {
            let mut errors = FieldErrors::new();
            errors.push("product", "must be a JSON object");
            return Err(Problem::validation(errors));
        }
        Err(error) => return Err(Problem::malformed_json(error.to_string()).with_field("product", "is not valid JSON")),
    };
    // The fields are checked before any image is processed.
    let mut doc = super::new_document(body)?;
    let files: Vec<&Part> = parts.iter().filter(|part| part.name == FIELD).collect();
    let id = uuid::Uuid::now_v7().simple().to_string();
    let prepared = prepare(&id, &files, &settings)?;
    if prepared.len() > settings.max_per_product {
        return Err(too_many_images(&settings));
    }
    doc.images = prepared.iter().map(|p| p.record.clone()).collect();
    let stored = store_then(&id, &prepared, || insert(Some(&id), &doc))?;
    super::saved(201, stored)
}

/// `DELETE /api/products/{product}/images/{image}`: the record, then its files.
pub fn remove(key: &str, image: &str, expected: Option<u64>) -> Result<ApiResponse, Problem> {
    let settings = Settings::load()?;
    sweep(&settings)?;
    let current = lookup(key)?;
    let Some(record) = current.body.images.iter().find(|r| r.id == image) else {
        return Err(Problem::not_found(format!("Product {key} has no image {image}.")));
    };
    let journal = Journal::open(&current.id, &record_keys(record))?;
    let written = modify_stored(&current.id, expected, |latest| {
        let mut doc = latest.body.clone();
        doc.images.retain(|r| r.id != image);
        Ok(doc)
    });
    journal.settle()?;
    written.map(|_| ApiResponse::no_content())
}

/// `PUT /api/products/{product}/images/order` with `{"order": [image ids]}` (every image of
/// the product, once each, in the new order; `version` or `If-Match` optional).
pub fn reorder(key: &str, if_match: Option<u64>, mut body: Map<String, Value>) -> Result<ApiResponse, Problem> {
    let mut errors = FieldErrors::new();
    let version = api_kit::version_field(&mut body, true, &mut errors);
    let order: Option<Vec<String>> = match body.remove("order") {
        Some(Value::Array(items)) => items.iter().map(|v| v.as_str().map(str::to_owned)).collect(),
        _ => None,
    };
    if order.is_none() {
        errors.push("order", "must be an array of image ids");
    }
    for field in body.keys() {
        errors.push(field, "is not a field of this operation");
    }
    errors.finish(|| Some(())).map_err(Problem::validation)?;
    let order = order.unwrap_or_default();
    let expected = if_match.or(version);
    let stored = modify_stored(key, expected, |current| {
        let mut doc = current.body.clone();
        let mut sorted_now = ids_of(&doc);
        let mut sorted_new = order.clone();
        sorted_now.sort();
        sorted_new.sort();
        if sorted_now != sorted_new {
            let mut errors = FieldErrors::new();
            errors.push("order", format!("must list each of the product's {} images once: {}", sorted_now.len(), ids_of(&doc).join(", ")));
            return Err(Problem::validation(errors));
        }
        let mut images = std::mem::take(&mut doc.images);
        // Every id is there once (checked above), so each finds its record.
        doc.images = order.iter().filter_map(|id| images.iter().position(|r| &r.id == id).map(|at| images.swap_remove(at))).collect();
        Ok(doc)
    })?;
    super::saved(200, stored)
}
