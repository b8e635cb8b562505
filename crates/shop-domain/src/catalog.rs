//! The catalogue as its API shows it: the products, categories and images that
//! `GET /api/products`, `/api/categories` and their siblings answer with.
//!
//! One definition of each public shape: the storefront reads the API into these types, the
//! catalog component's tests read its answers into them and write them back unchanged (so a
//! field the component adds, drops or shapes otherwise is caught), and a test checks that
//! the OpenAPI document's schemas accept what they serialise. Readers are tolerant (a field
//! they do not know is skipped), so a storefront older than its API still reads it.
//!
//! Fields are in the order the API writes them (alphabetical, as the store keeps objects).

use crate::blob_key::BlobKey;
use crate::{LocalizedText, Money, Translations};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Whether shoppers can see a product.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProductStatus {
    /// Only admins see it (a new product's status unless the input says otherwise).
    #[default]
    Draft,
    /// In the shop.
    Published,
}

impl ProductStatus {
    /// The status as the API writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            ProductStatus::Draft => "draft",
            ProductStatus::Published => "published",
        }
    }
}

/// A product's category, as the product names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategorySummary {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: LocalizedText,
    /// Its slug (the URL of its page).
    pub slug: String,
}

/// A category of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    /// When it was created (RFC 3339).
    pub created_at: Option<String>,
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: LocalizedText,
    /// Published products in it.
    pub product_count: u64,
    /// Its slug.
    pub slug: String,
    /// Its place in lists (lower first).
    pub sort_order: i64,
    /// When it last changed (RFC 3339).
    pub updated_at: Option<String>,
    /// The stored version (for `If-Match`).
    pub version: u64,
}

/// Every category, in display order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryList {
    /// The categories.
    pub items: Vec<Category>,
    /// How many there are.
    pub total: u64,
}

/// The format an image was uploaded in (detected from its bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageFormat {
    /// JPEG.
    Jpeg,
    /// PNG.
    Png,
    /// WebP.
    Webp,
}

/// One size of an image: a WebP file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageVariant {
    /// Its file size.
    pub bytes: u64,
    /// Pixels down.
    pub height: u32,
    /// Where it is served (`/uploads/…`, content-addressed, cacheable forever).
    pub url: String,
    /// Pixels across.
    pub width: u32,
}

/// A product image: its source's (upright) size and format, and its sizes, narrowest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    /// When it was uploaded (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// The source's format.
    pub format: ImageFormat,
    /// The source's height.
    pub height: u32,
    /// Its id within the product (derived from the uploaded bytes).
    pub id: String,
    /// The sizes, narrowest first.
    pub variants: Vec<ImageVariant>,
    /// The source's width.
    pub width: u32,
}

impl Image {
    /// The `srcset` attribute: every variant with its width.
    pub fn srcset(&self) -> String {
        self.variants.iter().map(|v| format!("{} {}w", v.url, v.width)).collect::<Vec<_>>().join(", ")
    }

    /// The narrowest variant at least `width` pixels wide (or the widest there is).
    pub fn at_least(&self, width: u32) -> Option<&ImageVariant> {
        self.variants.iter().find(|v| v.width >= width).or_else(|| self.variants.last())
    }
}

/// A product as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    /// Its category (none if it names none, or one that is gone).
    pub category: Option<CategorySummary>,
    /// The "was" price, when it is on sale.
    pub compare_at_price: Option<Money>,
    /// When it was created (RFC 3339).
    pub created_at: Option<String>,
    /// Its description (a draft's may lack a language).
    pub description: Translations,
    /// Shown on the home page.
    pub featured: bool,
    /// Its id.
    pub id: String,
    /// Its images, in order.
    pub images: Vec<Image>,
    /// Whether any are in stock.
    pub in_stock: bool,
    /// Its name (a draft's may lack a language).
    pub name: Translations,
    /// What it costs.
    pub price: Money,
    /// When it was first published (RFC 3339).
    pub published_at: Option<String>,
    /// Its slug (the URL of its page).
    pub slug: String,
    /// Draft or published.
    pub status: ProductStatus,
    /// Units in stock.
    pub stock: i64,
    /// When it last changed (RFC 3339), if it has.
    pub updated_at: Option<String>,
    /// The stored version (for `If-Match`).
    pub version: u64,
}

/// One size of an image as the store keeps it: its file's key, from which its URL follows
/// (so moving where files are served moves no stored document). A variant stored before
/// keys were (with its `url` instead) reads as the key that URL names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "VariantRecord")]
pub struct StoredVariant {
    /// Its file size.
    pub bytes: u64,
    /// Pixels down.
    pub height: u32,
    /// Its file.
    pub key: BlobKey,
    /// Pixels across.
    pub width: u32,
}

/// A stored variant as written in either form (`key`, or the older `url`).
#[derive(Deserialize)]
struct VariantRecord {
    bytes: u64,
    height: u32,
    key: Option<BlobKey>,
    url: Option<String>,
    width: u32,
}

impl TryFrom<VariantRecord> for StoredVariant {
    type Error = String;

    fn try_from(record: VariantRecord) -> Result<Self, Self::Error> {
        let key = match (record.key, record.url) {
            (Some(key), _) => key,
            (None, Some(url)) => BlobKey::from_url(&url).ok_or_else(|| format!("{url:?} is not the URL of an uploaded file"))?,
            (None, None) => return Err("a variant needs its key".into()),
        };
        Ok(Self { bytes: record.bytes, height: record.height, key, width: record.width })
    }
}

/// An image as the store keeps it (see [`Image`], which is made from it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredImage {
    /// When it was uploaded (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// The source's format.
    pub format: ImageFormat,
    /// The source's height.
    pub height: u32,
    /// Its id within the product.
    pub id: String,
    /// The sizes, narrowest first.
    pub variants: Vec<StoredVariant>,
    /// The source's width.
    pub width: u32,
}

impl StoredImage {
    /// The image as the API shows it: each variant's URL from its key.
    pub fn public(&self) -> Image {
        Image {
            created_at: self.created_at.clone(),
            format: self.format,
            height: self.height,
            id: self.id.clone(),
            variants: self
                .variants
                .iter()
                .map(|v| ImageVariant { bytes: v.bytes, height: v.height, url: v.key.url(), width: v.width })
                .collect(),
            width: self.width,
        }
    }
}

/// A product as the store keeps it: a document of the `products` collection (its id and
/// version are the store's). The public [`Product`] is made from it, its category named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredProduct {
    /// The id of its category, if it has one.
    #[serde(default)]
    pub category: Option<String>,
    /// The "was" price, when it is on sale.
    #[serde(default)]
    pub compare_at_price: Option<Money>,
    /// When it was created (RFC 3339).
    #[serde(default)]
    pub created_at: Option<String>,
    /// Its description.
    #[serde(default)]
    pub description: Translations,
    /// Shown on the home page.
    #[serde(default)]
    pub featured: bool,
    /// Its images, in order.
    #[serde(default)]
    pub images: Vec<StoredImage>,
    /// Its name.
    #[serde(default)]
    pub name: Translations,
    /// What it costs.
    pub price: Money,
    /// When it was first published (RFC 3339); absent until it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_at: Option<String>,
    /// Its slug (unique).
    pub slug: String,
    /// Draft or published.
    #[serde(default)]
    pub status: ProductStatus,
    /// Units in stock: what can still be sold (units held for orders are not in it).
    #[serde(default)]
    pub stock: i64,
    /// Units taken from `stock` for an order that has not recorded it yet, by order id:
    /// checkout writes an entry with the stock in one replace, and removes it once the order
    /// says its units are held (a crash in between is settled by the orders' housekeeping).
    /// Empty but for checkouts in progress.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub stock_holds: BTreeMap<String, i64>,
    /// Units given back to `stock` for an order that has not recorded it yet, by order id
    /// (cancel and refund, as `stock_holds` for checkout).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub stock_returns: BTreeMap<String, i64>,
    /// When it last changed (RFC 3339).
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// The links of one page of a list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageLinks {
    /// The first page.
    pub first: String,
    /// The last page.
    pub last: String,
    /// The next page, if there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// The page before, if there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
    /// This page.
    #[serde(rename = "self")]
    pub this: String,
}

/// One page of products.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductPage {
    /// The products on this page.
    pub items: Vec<Product>,
    /// Links to this page and its neighbours.
    pub links: PageLinks,
    /// This page's number, from 1.
    pub page: u64,
    /// Products per page.
    pub per_page: u64,
    /// Products across all pages.
    pub total: u64,
}

impl ProductPage {
    /// How many pages there are (at least one).
    pub fn pages(&self) -> u64 {
        self.total.div_ceil(self.per_page.max(1)).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_page_counts_its_pages_and_an_image_picks_its_variants() {
        let page = |total, per_page| ProductPage { total, per_page, ..ProductPage::default() }.pages();
        assert_eq!((page(0, 24), page(24, 24), page(25, 24), page(3, 0)), (1, 1, 2, 3));
        let variant = |width| ImageVariant { bytes: 1, height: width / 2, url: format!("/uploads/{width}.webp"), width };
        let image = Image {
            created_at: None,
            format: ImageFormat::Jpeg,
            height: 800,
            id: "i".into(),
            variants: vec![variant(320), variant(640)],
            width: 1600,
        };
        assert_eq!(image.srcset(), "/uploads/320.webp 320w, /uploads/640.webp 640w");
        assert_eq!(image.at_least(400).map(|v| v.width), Some(640));
        assert_eq!(image.at_least(2000).map(|v| v.width), Some(640), "the widest when none is wide enough");
    }

    #[test]
    fn a_stored_variant_keeps_its_key_reads_the_older_url_form_and_shows_its_url() {
        let image = |variant: serde_json::Value| {
            serde_json::from_value::<StoredImage>(json!({"format": "png", "height": 10, "id": "i", "variants": [variant], "width": 20}))
        };
        let by_key = image(json!({"bytes": 5, "height": 10, "key": "products/p/a.webp", "width": 20})).unwrap();
        let by_url = image(json!({"bytes": 5, "height": 10, "url": "/uploads/products/p/a.webp", "width": 20})).unwrap();
        assert_eq!(by_key, by_url);
        assert_eq!(
            serde_json::to_value(&by_url).unwrap()["variants"][0],
            json!({"bytes": 5, "height": 10, "key": "products/p/a.webp", "width": 20})
        );
        assert_eq!(by_url.public().variants[0].url, "/uploads/products/p/a.webp");
        assert!(image(json!({"bytes": 5, "height": 10, "url": "https://elsewhere/a.webp", "width": 20})).is_err(), "not a file of ours");
        assert!(image(json!({"bytes": 5, "height": 10, "key": "../etc/passwd", "width": 20})).is_err(), "not a key");
        assert!(image(json!({"bytes": 5, "height": 10, "width": 20})).is_err(), "no file at all");
    }

    #[test]
    fn a_field_the_type_does_not_know_is_skipped_and_enums_are_lowercase() {
        let category = json!({"id": "c", "name": {"en": "Tea", "ar": "شاي"}, "slug": "tea", "colour": "red"});
        let read: CategorySummary = serde_json::from_value(category).unwrap();
        assert_eq!(serde_json::to_value(&read).unwrap(), json!({"id": "c", "name": {"en": "Tea", "ar": "شاي"}, "slug": "tea"}));
        assert_eq!(serde_json::to_value(ProductStatus::Published).unwrap(), json!("published"));
        assert_eq!(ProductStatus::default().as_str(), "draft");
    }
}
