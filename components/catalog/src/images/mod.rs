//! Product images: uploaded as multipart parts, processed by the media component into WebP
//! variants, stored through `blobs` under content-addressed keys, recorded in the product.
//!
//! Consistency without transactions across the store and the files: the product never
//! names a file before the file is durable (files first, document second), and every write
//! or delete of files is preceded by a journal entry listing the keys it may leave behind.
//! The entry is removed when the change completes; one left by a crash is swept later (by
//! the next image change): each of its keys that the product does not reference is deleted.

//!
//! This module is the files' side, below the product handlers (`products::images`):
//! `settings`, processing through the media component (`prepare`), the blob keys a product
//! references, and the `journal`.

mod journal;
mod settings;

pub use journal::{Journal, put_all, sweep};
pub use settings::Settings;

use crate::shop::platform::media;
use api_kit::multipart::Part;
use sha2::{Digest, Sha256};
use shop_domain::blob_key::BlobKey;
use shop_domain::catalog::{ImageFormat, StoredImage, StoredProduct, StoredVariant};
use shop_domain::{FieldErrors, Problem, time};

/// The form field image files come in.
pub const FIELD: &str = "images";

/// An image processed and ready to store: its record and its files.
pub struct Prepared {
    /// The record the product keeps (`id`, source size and format, variants), as the API
    /// shows it.
    pub record: StoredImage,
    /// The files: blob key and WebP bytes.
    pub files: Vec<(BlobKey, Vec<u8>)>,
}

impl Prepared {
    pub fn id(&self) -> &str {
        &self.record.id
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
            let key = variant_key(product_id, &variant.bytes)?;
            variants.push(StoredVariant {
                bytes: variant.bytes.len() as u64,
                height: variant.height,
                key: key.clone(),
                width: variant.width,
            });
            files.push((key, variant.bytes));
        }
        let format = match processed.source_format.as_str() {
            "jpeg" => ImageFormat::Jpeg,
            "png" => ImageFormat::Png,
            "webp" => ImageFormat::Webp,
            // The media component detects only these; another is a mismatch of builds.
            _ => return Err(Problem::internal()),
        };
        let record =
            StoredImage { created_at: Some(time::now_rfc3339()), format, height: processed.height, id, variants, width: processed.width };
        prepared.push(Prepared { record, files });
    }
    Ok(prepared)
}

/// The key of a variant of a product's image: named by its content, under the product.
fn variant_key(product_id: &str, bytes: &[u8]) -> Result<BlobKey, Problem> {
    // Product ids are the store's (UUIDs, or ids a client chose within the id rules); one
    // that cannot be part of a key is refused rather than stored under another name.
    BlobKey::parse(format!("products/{product_id}/{}.webp", hex(&Sha256::digest(bytes)[..16]))).map_err(|invalid| {
        Problem::new(422, "unsupported-product-id", "Product id unsuitable for files")
            .with_detail(format!("Images cannot be stored for this product: {invalid}."))
    })
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
        media::MediaError::InvalidOptions(why) => settings::misconfigured("image_*", &why),
        media::MediaError::TimedOut(why) => Problem::unavailable(format!("{}. Nothing was stored; send the images again.", named(&why))),
    }
}

/// Every blob key a product document references.
pub fn keys_of(product: &StoredProduct) -> Vec<BlobKey> {
    product.images.iter().flat_map(record_keys).collect()
}

/// The blob keys of one image record.
pub fn record_keys(record: &StoredImage) -> Vec<BlobKey> {
    record.variants.iter().map(|v| v.key.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn keys_come_from_the_variants_stored_by_key_or_by_url() {
        let by_key = |key: &str| json!({"key": key, "width": 320, "height": 240, "bytes": 1});
        let by_url = |key: &str| json!({"url": format!("/uploads/{key}"), "width": 320, "height": 240, "bytes": 1});
        let image =
            |id: &str, variants: Vec<Value>| json!({"id": id, "width": 1600, "height": 1200, "format": "png", "variants": variants});
        let product: StoredProduct = serde_json::from_value(json!({
            "slug": "lamp", "price": {"amount": 1, "currency": "SAR"},
            "images": [image("a", vec![by_key("products/p/1.webp"), by_url("products/p/2.webp")]),
                       image("b", vec![by_url("products/p/3.webp")])],
        }))
        .unwrap();
        let keys: Vec<String> = keys_of(&product).into_iter().map(String::from).collect();
        assert_eq!(keys, ["products/p/1.webp", "products/p/2.webp", "products/p/3.webp"]);
        assert!(keys_of(&StoredProduct { images: Vec::new(), ..product }).is_empty());
    }

    #[test]
    fn a_variant_is_named_by_its_content_under_its_product() {
        let key = variant_key("0193-a", b"webp bytes").unwrap();
        assert!(key.as_str().starts_with("products/0193-a/") && key.as_str().ends_with(".webp"), "{key}");
        assert_eq!(variant_key("0193-a", b"webp bytes").unwrap(), key);
        assert_ne!(variant_key("0193-a", b"other bytes").unwrap(), key);
        assert_eq!(variant_key("Upper Case", b"x").unwrap_err().status, 422);
    }
}
