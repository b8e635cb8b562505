//! Product images: uploaded as multipart parts, processed by the media component into WebP
//! variants, stored through `blobs` under content-addressed keys, recorded in the product.
//!
//! Consistency without transactions across the store and the files: the product never
//! names a file before the file is durable (files first, document second), and every write
//! or delete of files is preceded by a journal entry listing the keys it may leave behind.
//! The entry is removed when the change completes; one left by a crash is swept later (by
//! the next image change): each of its keys that the product does not reference is deleted.

use crate::products;
use crate::shop::platform::{blobs, config, media};
use api_kit::ApiResponse;
use api_kit::documents::{Op, Query};
use api_kit::multipart::{self, Part};
use api_kit::store::{self, Stored};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use shop_domain::{FieldErrors, Problem, time};
use std::collections::HashSet;
use std::time::{SystemTime, UNIX_EPOCH};
use wstd::http::{Body, Request};

/// The journal of file changes in progress.
const JOURNAL: &str = "blob_journal";
/// The form field image files come in.
pub const FIELD: &str = "images";
/// Journal entries examined by one sweep.
const SWEEP_BATCH: u32 = 16;

/// The image settings (component variables, each with a default).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Widths of the WebP variants (`image_widths`, default `320,640,1024,1600`).
    pub widths: Vec<u32>,
    /// WebP quality (`image_quality`, default 80).
    pub quality: u8,
    /// The largest file accepted (`image_max_bytes`, default 10 MiB).
    pub max_bytes: u64,
    /// The most pixels a source may have (`image_max_pixels`, default 40 million).
    pub max_pixels: u64,
    /// Files in one request (`image_max_files`, default 10).
    pub max_files: usize,
    /// Images one product may have (`image_max_per_product`, default 24).
    pub max_per_product: usize,
    /// How old an unfinished journal entry must be before it is swept
    /// (`image_sweep_after_seconds`, default 600: longer than any upload may run).
    pub sweep_after_ms: u64,
}

impl Settings {
    /// Reads the settings; a malformed variable is an operator's mistake (500, logged).
    pub fn load() -> Result<Self, Problem> {
        fn number<T: std::str::FromStr>(name: &str, default: T) -> Result<T, Problem> {
            match config::get(name) {
                None => Ok(default),
                Some(text) if text.trim().is_empty() => Ok(default),
                Some(text) => text.trim().parse().map_err(|_| misconfigured(name, &text)),
            }
        }
        let widths = match config::get("image_widths").filter(|t| !t.trim().is_empty()) {
            None => vec![320, 640, 1024, 1600],
            Some(text) => text
                .split(',')
                .map(|w| w.trim().parse::<u32>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| misconfigured("image_widths", &text))?,
        };
        let settings = Self {
            widths,
            quality: number("image_quality", 80u8)?,
            max_bytes: number("image_max_bytes", 10u64 << 20)?,
            max_pixels: number("image_max_pixels", 40_000_000u64)?,
            max_files: number("image_max_files", 10usize)?,
            max_per_product: number("image_max_per_product", 24usize)?,
            sweep_after_ms: number("image_sweep_after_seconds", 600u64)?.saturating_mul(1000),
        };
        if settings.quality > 100 {
            return Err(misconfigured("image_quality", &settings.quality.to_string()));
        }
        Ok(settings)
    }

    fn options(&self) -> media::Options {
        media::Options { widths: self.widths.clone(), quality: self.quality, max_bytes: self.max_bytes, max_pixels: self.max_pixels }
    }

    /// What upload forms may carry, with `extra` fields besides the image files.
    pub fn form(&self, extra: usize) -> api_kit::multipart::FormLimits {
        api_kit::multipart::FormLimits {
            fields: if extra > 0 { &[FIELD, "product"] } else { &[FIELD] },
            max_parts: self.max_files + extra,
            // Parts over the image limit are refused as they are read, before any processing.
            max_part_bytes: self.max_bytes.max(1 << 20),
        }
    }
}

fn misconfigured(name: &str, value: &str) -> Problem {
    eprintln!("catalog: the variable {name} has an unusable value {value:?}");
    Problem::internal()
}

/// An image processed and ready to store: its record and its files.
pub struct Prepared {
    /// The record the product keeps (`id`, source size and format, variants).
    pub record: Value,
    /// The files: blob key and WebP bytes.
    pub files: Vec<(String, Vec<u8>)>,
}

impl Prepared {
    fn id(&self) -> &str {
        self.record["id"].as_str().unwrap_or_default()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Processes every image part (in order) for product `product_id`. The first refusal
/// answers for the request, naming the part (`images[2]`); nothing has been stored yet.
/// A file sent twice is processed once.
pub fn prepare(product_id: &str, parts: &[&Part], settings: &Settings) -> Result<Vec<Prepared>, Problem> {
    let options = settings.options();
    let mut prepared: Vec<Prepared> = Vec::new();
    for (index, part) in parts.iter().enumerate() {
        let label = format!("{FIELD}[{index}]");
        if part.bytes.is_empty() {
            let mut errors = FieldErrors::new();
            errors.push(&label, "is empty");
            return Err(Problem::validation(errors));
        }
        let id = hex(&Sha256::digest(&part.bytes)[..8]);
        if prepared.iter().any(|p| p.id() == id) {
            continue;
        }
        let processed = media::process_image(&part.bytes, &options).map_err(|error| refusal(error, &label, part.file_name.as_deref()))?;
        let mut variants = Vec::new();
        let mut files = Vec::new();
        for variant in processed.variants {
            let key = format!("products/{product_id}/{}.webp", hex(&Sha256::digest(&variant.bytes)[..16]));
            variants.push(
                json!({"url": format!("/uploads/{key}"), "width": variant.width, "height": variant.height, "bytes": variant.bytes.len()}),
            );
            files.push((key, variant.bytes));
        }
        let record = json!({
            "id": id,
            "width": processed.width,
            "height": processed.height,
            "format": processed.source_format,
            "variants": variants,
            "created_at": time::now_rfc3339(),
        });
        prepared.push(Prepared { record, files });
    }
    Ok(prepared)
}

/// The answer for an image the media component refused.
fn refusal(error: media::MediaError, label: &str, file_name: Option<&str>) -> Problem {
    let named = |text: &str| match file_name {
        Some(name) => format!("{name}: {text}"),
        None => text.to_owned(),
    };
    match error {
        media::MediaError::UnsupportedFormat(why) => Problem::new(415, "unsupported-image", "Unsupported image")
            .with_detail(named(&format!("{why}. Send JPEG, PNG or WebP images.")))
            .with_field(label, "must be a JPEG, PNG or WebP image"),
        media::MediaError::TooLarge(why) => {
            Problem::new(413, "image-too-large", "Image too large").with_detail(named(&why)).with_field(label, "is too large")
        }
        media::MediaError::TooManyPixels(why) => Problem::new(422, "image-too-many-pixels", "Image has too many pixels")
            .with_detail(named(&why))
            .with_field(label, "has too many pixels"),
        media::MediaError::Corrupt(why) => Problem::new(422, "image-corrupt", "Image does not decode")
            .with_detail(named(&why))
            .with_field(label, "is damaged or truncated"),
        media::MediaError::InvalidOptions(why) => misconfigured("image_*", &why),
        media::MediaError::TimedOut(why) => Problem::unavailable(format!("{}. Nothing was stored; send the images again.", named(&why))),
    }
}

/// Every blob key a product document references.
pub fn keys_of(product: &Map<String, Value>) -> Vec<String> {
    let images = product.get("images").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    images.iter().flat_map(record_keys).collect()
}

/// The blob keys of one image record.
pub fn record_keys(record: &Value) -> Vec<String> {
    let variants = record.get("variants").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    variants.iter().filter_map(|v| v.get("url")?.as_str()?.strip_prefix("/uploads/").map(str::to_owned)).collect()
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or_default()
}

/// A journal entry: the keys a change may leave unreferenced if it does not finish.
pub struct Journal {
    entry: Stored,
}

impl Journal {
    /// Records, before any file is written or deleted, the keys the change touches.
    pub fn open(product_id: &str, keys: &[String]) -> Result<Self, Problem> {
        let mut entry = Map::new();
        entry.insert("product".into(), json!(product_id));
        entry.insert("keys".into(), json!(keys));
        entry.insert("at_ms".into(), json!(now_ms()));
        match store::insert(JOURNAL, &entry)? {
            Ok(entry) => Ok(Self { entry }),
            Err(error) => Err(store::to_problem(error)),
        }
    }

    /// The change is over, done or not: deletes the entry's keys that the product (as it
    /// now is) does not reference, then the entry. If this fails, a later sweep does it.
    pub fn settle(self) -> Result<(), Problem> {
        // Every other entry of the product, however old, keeps its keys: conservative.
        settle(&self.entry, 0)
    }
}

/// Writes the files; on a failure, deletes the ones written and answers 503.
pub fn put_all(files: &[(String, Vec<u8>)]) -> Result<(), Problem> {
    for (done, (key, bytes)) in files.iter().enumerate() {
        if let Err(error) = blobs::put(key, bytes) {
            eprintln!("catalog: storing {key} failed: {error:?}");
            delete_keys(files[..done].iter().map(|(k, _)| k.as_str()));
            return Err(Problem::unavailable("The image files could not be stored. Nothing was changed; try again."));
        }
    }
    Ok(())
}

/// Deletes files, best effort; returns whether every deletion succeeded (a missing file
/// counts as deleted).
pub fn delete_keys<'a>(keys: impl IntoIterator<Item = &'a str>) -> bool {
    let mut all = true;
    for key in keys {
        if let Err(error) = blobs::delete(key) {
            eprintln!("catalog: deleting {key} failed: {error:?}");
            all = false;
        }
    }
    all
}

/// Finishes the changes that a crash (or a failed deletion) left unfinished: for each
/// journal entry older than the settings allow, deletes its keys that neither its product
/// nor a younger entry references, then the entry. Bounded work per call; returns how many
/// entries it examined.
pub fn sweep(settings: &Settings) -> Result<usize, Problem> {
    let cutoff = now_ms().saturating_sub(settings.sweep_after_ms);
    let stale = Query {
        filter: vec![store::clause("at_ms", Op::Lte, json!(cutoff))],
        text: None,
        sort: vec![store::key("at_ms", false)],
        skip: 0,
        limit: SWEEP_BATCH,
    };
    let (entries, _) = store::find(JOURNAL, &stale)?;
    for entry in &entries {
        settle(entry, cutoff)?;
    }
    Ok(entries.len())
}

/// The keys a journal entry lists.
fn journal_keys(entry: &Stored) -> impl Iterator<Item = &str> {
    entry.body.get("keys").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str)
}

/// Deletes the keys of a journal entry that neither its product nor another entry of the
/// same product younger than `cutoff` (ms since the epoch) references, then the entry.
fn settle(entry: &Stored, cutoff: u64) -> Result<(), Problem> {
    let product_id = entry.body.get("product").and_then(Value::as_str).unwrap_or_default();
    let mut kept: HashSet<String> = match store::get(crate::products::COLLECTION, product_id)? {
        Some(product) => keys_of(&product.body).into_iter().collect(),
        None => HashSet::new(),
    };
    // A change still in progress on the same product may be writing the same content.
    let others = Query {
        filter: vec![store::clause("product", Op::Eq, json!(product_id)), store::clause("at_ms", Op::Gt, json!(cutoff))],
        text: None,
        sort: Vec::new(),
        skip: 0,
        limit: SWEEP_BATCH,
    };
    for other in store::find(JOURNAL, &others)?.0.iter().filter(|other| other.id != entry.id) {
        kept.extend(journal_keys(other).map(str::to_owned));
    }
    if delete_keys(journal_keys(entry).filter(|key| !kept.contains(*key))) {
        store::delete(JOURNAL, &entry.id, None)?;
    }
    Ok(())
}

/// An image record's id.
fn record_id(record: &Value) -> Option<&str> {
    record.get("id").and_then(Value::as_str)
}

/// The image ids a product has, in order.
fn ids_of(product: &Map<String, Value>) -> Vec<String> {
    let images = product.get("images").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    images.iter().filter_map(|image| record_id(image).map(str::to_owned)).collect()
}

fn too_many_images(settings: &Settings) -> Problem {
    let mut errors = FieldErrors::new();
    errors.push(FIELD, format!("a product may have at most {} images", settings.max_per_product));
    Problem::validation(errors)
}

/// Stores prepared images' files, then applies `write` (which must make the product
/// reference them); whatever happens, files left unreferenced are deleted.
fn store_then<T>(product_id: &str, prepared: &[Prepared], write: impl FnOnce() -> Result<T, Problem>) -> Result<T, Problem> {
    let files: Vec<(String, Vec<u8>)> = prepared.iter().flat_map(|p| p.files.iter().cloned()).collect();
    let keys: Vec<String> = files.iter().map(|(key, _)| key.clone()).collect();
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
    let current = products::lookup(key)?;
    let parts = multipart::read_form(request, &settings.form(0)).await?;
    let files: Vec<&Part> = parts.iter().collect();
    let existing = ids_of(&current.body);
    let prepared: Vec<Prepared> =
        prepare(&current.id, &files, &settings)?.into_iter().filter(|p| !existing.iter().any(|id| id == p.id())).collect();
    if prepared.is_empty() {
        return products::saved(200, current);
    }
    if existing.len() + prepared.len() > settings.max_per_product {
        return Err(too_many_images(&settings));
    }
    let stored = store_then(&current.id, &prepared, || {
        products::modify_stored(&current.id, None, |latest| {
            let mut doc = latest.body.clone();
            let ids = ids_of(&doc);
            let images = doc.entry("images").or_insert_with(|| json!([]));
            let list = images.as_array_mut().ok_or_else(Problem::internal)?;
            list.extend(prepared.iter().filter(|p| !ids.iter().any(|id| id == p.id())).map(|p| p.record.clone()));
            if list.len() > settings.max_per_product {
                return Err(too_many_images(&settings));
            }
            Ok(doc)
        })
    })?;
    products::saved(201, stored)
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
    let (mut doc, slug) = products::new_document(body)?;
    let files: Vec<&Part> = parts.iter().filter(|part| part.name == FIELD).collect();
    let id = uuid::Uuid::now_v7().simple().to_string();
    let prepared = prepare(&id, &files, &settings)?;
    if prepared.len() > settings.max_per_product {
        return Err(too_many_images(&settings));
    }
    doc.insert("_id".into(), json!(id));
    doc.insert("images".into(), Value::Array(prepared.iter().map(|p| p.record.clone()).collect()));
    let stored = store_then(&id, &prepared, || products::insert(&doc, &slug))?;
    products::saved(201, stored)
}

/// `DELETE /api/products/{product}/images/{image}`: the record, then its files.
pub fn remove(key: &str, image: &str, expected: Option<u64>) -> Result<ApiResponse, Problem> {
    let settings = Settings::load()?;
    sweep(&settings)?;
    let current = products::lookup(key)?;
    let images = current.body.get("images").and_then(Value::as_array).cloned().unwrap_or_default();
    let Some(record) = images.iter().find(|r| record_id(r) == Some(image)) else {
        return Err(Problem::not_found(format!("Product {key} has no image {image}.")));
    };
    let journal = Journal::open(&current.id, &record_keys(record))?;
    let written = products::modify_stored(&current.id, expected, |latest| {
        let mut doc = latest.body.clone();
        if let Some(list) = doc.get_mut("images").and_then(Value::as_array_mut) {
            list.retain(|r| record_id(r) != Some(image));
        }
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
    let stored = products::modify_stored(key, expected, |current| {
        let mut doc = current.body.clone();
        let images = doc.get("images").and_then(Value::as_array).cloned().unwrap_or_default();
        let mut sorted_now = ids_of(&doc);
        let mut sorted_new = order.clone();
        sorted_now.sort();
        sorted_new.sort();
        if sorted_now != sorted_new {
            let mut errors = FieldErrors::new();
            errors.push("order", format!("must list each of the product's {} images once: {}", sorted_now.len(), ids_of(&doc).join(", ")));
            return Err(Problem::validation(errors));
        }
        let reordered: Vec<Value> =
            order.iter().filter_map(|id| images.iter().find(|r| record_id(r) == Some(id.as_str())).cloned()).collect();
        doc.insert("images".into(), Value::Array(reordered));
        Ok(doc)
    })?;
    products::saved(200, stored)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_from_variant_urls() {
        let product = json!({"images": [
            {"id": "a", "variants": [{"url": "/uploads/products/p/1.webp"}, {"url": "/uploads/products/p/2.webp"}]},
            {"id": "b", "variants": [{"url": "/uploads/products/p/3.webp"}, {"url": "https://elsewhere/x.webp"}]}
        ]});
        let Value::Object(product) = product else { unreachable!() };
        assert_eq!(keys_of(&product), vec!["products/p/1.webp", "products/p/2.webp", "products/p/3.webp"]);
        assert!(keys_of(&Map::new()).is_empty());
    }
}
