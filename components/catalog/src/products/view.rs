//! A product as the API shows it, written from the store's JSON text without parsing it:
//! [`Row`] finds where each stored field's value lies in that text ([`raw_json::fields`]),
//! and [`ProductView`] writes those values out again as they are, beside the few fields it
//! computes. A listing of 24 products so costs little more than copying their bytes (a tree
//! of maps per product, built and dropped, was most of a listing's time; then a validating
//! parse of every value was).
//!
//! Keys come out in alphabetical order, as the store keeps nested objects.

use crate::stored::categories::CategoryIndex;
use api_kit::raw_json;
use shop_domain::Problem;
use shop_domain::catalog::StoredImage;
use std::borrow::Cow;

/// A stored product, each field the JSON text of its value in the document's text.
#[derive(Debug, Default)]
pub struct Row<'a> {
    /// `_id`, as JSON (a string).
    id_json: &'a str,
    /// `_version`.
    pub version: u64,
    slug: Option<&'a str>,
    name: Option<&'a str>,
    description: Option<&'a str>,
    price: Option<&'a str>,
    compare_at_price: Option<&'a str>,
    stock: Option<&'a str>,
    category: Option<&'a str>,
    featured: Option<&'a str>,
    status: Option<&'a str>,
    images: Option<&'a str>,
    created_at: Option<&'a str>,
    updated_at: Option<&'a str>,
    published_at: Option<&'a str>,
}

impl<'a> Row<'a> {
    /// Reads a stored product's JSON text (`{_id, _version, …}`).
    pub fn parse(json: &'a str) -> Result<Self, Problem> {
        let mut row = Row::default();
        let (mut has_id, mut has_version) = (false, false);
        for field in raw_json::fields(json) {
            let (key, value) = field.map_err(|_| Problem::internal())?;
            let slot = match key {
                "_id" => {
                    raw_json::string(value).ok_or_else(Problem::internal)?;
                    row.id_json = value;
                    has_id = true;
                    continue;
                }
                "_version" => {
                    row.version = value.parse().map_err(|_| Problem::internal())?;
                    has_version = true;
                    continue;
                }
                "slug" => &mut row.slug,
                "name" => &mut row.name,
                "description" => &mut row.description,
                "price" => &mut row.price,
                "compare_at_price" => &mut row.compare_at_price,
                "stock" => &mut row.stock,
                "category" => &mut row.category,
                "featured" => &mut row.featured,
                "status" => &mut row.status,
                "images" => &mut row.images,
                "created_at" => &mut row.created_at,
                "updated_at" => &mut row.updated_at,
                "published_at" => &mut row.published_at,
                _ => continue,
            };
            *slot = Some(value);
        }
        if has_id && has_version { Ok(row) } else { Err(Problem::internal()) }
    }

    /// The id.
    #[cfg(test)]
    pub fn id(&self) -> Cow<'a, str> {
        raw_json::string(self.id_json).unwrap_or_default()
    }

    /// The id of its category, if it names one.
    pub fn category_id(&self) -> Option<Cow<'a, str>> {
        self.category.and_then(raw_json::string)
    }

    /// Whether it is published.
    pub fn is_published(&self) -> bool {
        self.status == Some("\"published\"")
    }
}

/// A product as the API shows it (see the module's notes), borrowing from its [`Row`] and the
/// category index.
pub struct ProductView<'a> {
    row: &'a Row<'a>,
    category: Option<&'a str>,
    stock: i64,
    images: Cow<'a, str>,
}

impl<'a> ProductView<'a> {
    /// The view of `row`, its category resolved through `categories`.
    pub fn of(row: &'a Row<'a>, categories: &'a CategoryIndex) -> Self {
        let stock = row.stock.and_then(|raw| raw.parse::<i64>().ok()).unwrap_or(0);
        let category = row.category_id().and_then(|id| categories.get(id.as_ref())).map(String::as_str);
        Self { row, category, stock, images: public_images(row.images) }
    }

    /// Appends the view's JSON to `out`.
    pub fn write(&self, out: &mut String) {
        let row = self.row;
        let or_null = |value: Option<&'a str>| value.unwrap_or("null");
        let fields: [(&str, &str); 12] = [
            ("{\"category\":", or_null(self.category)),
            (",\"compare_at_price\":", or_null(row.compare_at_price)),
            (",\"created_at\":", or_null(row.created_at)),
            (",\"description\":", row.description.unwrap_or("{}")),
            (",\"featured\":", if row.featured == Some("true") { "true" } else { "false" }),
            (",\"id\":", row.id_json),
            (",\"images\":", &self.images),
            (",\"in_stock\":", if self.stock > 0 { "true" } else { "false" }),
            (",\"name\":", or_null(row.name)),
            (",\"price\":", or_null(row.price)),
            (",\"published_at\":", or_null(row.published_at)),
            (",\"slug\":", or_null(row.slug)),
        ];
        for (key, value) in fields {
            out.push_str(key);
            out.push_str(value);
        }
        // Numbers through itoa: `write!`'s formatting machinery, run twice per product, was
        // 3 % of a listing's instructions.
        let (mut stock, mut version) = (itoa::Buffer::new(), itoa::Buffer::new());
        let tail: [(&str, &str); 4] = [
            (",\"status\":", or_null(row.status)),
            (",\"stock\":", stock.format(self.stock)),
            (",\"updated_at\":", or_null(row.updated_at)),
            (",\"version\":", version.format(row.version)),
        ];
        for (key, value) in tail {
            out.push_str(key);
            out.push_str(value);
        }
        out.push('}');
    }

    /// The view's JSON.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(self.row.id_json.len() * 2 + 1024);
        self.write(&mut out);
        out
    }
}

/// The images as the API shows them: the store keeps each variant's key, the API its URL.
/// Most products have none (no parsing then); a list that does not read shows as none, as
/// other odd stored fields read as their defaults.
fn public_images(stored: Option<&str>) -> Cow<'_, str> {
    match stored {
        None | Some("[]") => Cow::Borrowed("[]"),
        Some(text) => {
            let shown = serde_json::from_str::<Vec<StoredImage>>(text)
                .ok()
                .and_then(|images| serde_json::to_string(&images.iter().map(StoredImage::public).collect::<Vec<_>>()).ok());
            shown.map(Cow::Owned).unwrap_or(Cow::Borrowed("[]"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stored::categories::category_json;
    use serde_json::{Value, json};

    fn view_of(stored: &str, categories: &CategoryIndex) -> Value {
        let row = Row::parse(stored).unwrap();
        serde_json::from_str(&ProductView::of(&row, categories).to_json()).unwrap()
    }

    #[test]
    fn a_view_shows_the_stored_fields_as_they_are_with_defaults_and_its_category() {
        let stored = json!({
            "_id": "p1", "_version": 3, "slug": "brass-lamp", "name": {"ar": "مصباح", "en": "Brass \"lamp\""},
            "price": {"amount": 4500, "currency": "SAR"}, "stock": 2, "category": "c1", "featured": true,
            "status": "published", "created_at": "2026-01-01T00:00:00Z", "internal": "never shown",
        })
        .to_string();
        let mut categories = CategoryIndex::default();
        categories.insert("c1".into(), category_json("\"c1\"", Some(r#"{"ar":"مصابيح","en":"Lamps"}"#), Some("\"lamps\"")));
        let row = Row::parse(&stored).unwrap();
        assert!(row.is_published());
        assert_eq!(row.id(), "p1");
        assert_eq!(
            view_of(&stored, &categories),
            json!({
                "category": {"id": "c1", "name": {"ar": "مصابيح", "en": "Lamps"}, "slug": "lamps"},
                "compare_at_price": null, "created_at": "2026-01-01T00:00:00Z", "description": {}, "featured": true,
                "id": "p1", "images": [], "in_stock": true, "name": {"ar": "مصباح", "en": "Brass \"lamp\""},
                "price": {"amount": 4500, "currency": "SAR"}, "published_at": null, "slug": "brass-lamp",
                "status": "published", "stock": 2, "updated_at": null, "version": 3,
            })
        );
        // An unknown category and an odd stock read as the old view did: none, and 0.
        let odd = json!({"_id": "p2", "_version": 1, "category": "gone", "stock": "many", "featured": "yes"}).to_string();
        let view = view_of(&odd, &categories);
        assert_eq!(
            (view["category"].clone(), view["stock"].clone(), view["in_stock"].clone(), view["featured"].clone()),
            (Value::Null, json!(0), json!(false), json!(false))
        );
    }

    /// The view of a product the component wrote is the public shape `shop_domain` defines
    /// (which the storefront reads and the OpenAPI document describes): it reads into that
    /// type and writes back unchanged, so a field added, dropped or shaped otherwise here fails.
    #[test]
    fn a_view_is_the_public_product_shape() {
        let stored = json!({
            "_id": "p1", "_version": 3, "slug": "brass-lamp", "name": {"ar": "مصباح", "en": "Brass lamp"},
            "description": {"en": "Hand-beaten."}, "price": {"amount": 4500, "currency": "SAR"},
            "compare_at_price": {"amount": 5000, "currency": "SAR"}, "stock": 2, "category": "c1", "featured": true,
            "status": "published", "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-02T00:00:00Z",
            "published_at": "2026-01-01T00:00:00Z",
            "images": [{"id": "i1", "width": 1600, "height": 1200, "format": "jpeg", "created_at": "2026-01-01T00:00:00Z",
                        "variants": [{"key": "products/p1/a.webp", "width": 320, "height": 240, "bytes": 1000}]}],
        });
        let draft = json!({"_id": "p2", "_version": 1, "slug": "draft", "name": {"en": "Draft"}, "price": {"amount": 1, "currency": "SAR"},
                           "stock": 0, "status": "draft", "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"});
        let mut categories = CategoryIndex::default();
        categories.insert("c1".into(), category_json("\"c1\"", Some(r#"{"ar":"مصابيح","en":"Lamps"}"#), Some("\"lamps\"")));
        let shown = view_of(&stored.to_string(), &categories);
        assert_eq!(shown["images"][0]["variants"][0]["url"], json!("/uploads/products/p1/a.webp"), "the URL follows from the key");
        // A variant stored before keys were shows the same.
        let mut older = stored.clone();
        older["images"][0]["variants"][0] = json!({"url": "/uploads/products/p1/a.webp", "width": 320, "height": 240, "bytes": 1000});
        assert_eq!(view_of(&older.to_string(), &categories), shown);
        for stored in [stored, draft] {
            let view = view_of(&stored.to_string(), &categories);
            let typed: shop_domain::catalog::Product = serde_json::from_value(view.clone()).unwrap();
            assert_eq!(serde_json::to_value(&typed).unwrap(), view);
        }
    }

    #[test]
    fn the_written_view_is_json_with_its_keys_in_order_and_an_id_or_version_is_required() {
        let stored = json!({"_id": "a\"b", "_version": 2, "name": {"en": "x"}, "category": "c\\1"}).to_string();
        let mut categories = CategoryIndex::default();
        categories.insert("c\\1".into(), category_json("\"c\\\\1\"", None, None));
        let row = Row::parse(&stored).unwrap();
        assert_eq!(row.id(), "a\"b", "escapes are read");
        let text = ProductView::of(&row, &categories).to_json();
        let view: serde_json::Map<String, Value> = serde_json::from_str(&text).unwrap();
        let keys: Vec<&String> = view.keys().collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        assert_eq!(view["category"], json!({"id": "c\\1", "name": null, "slug": null}));
        assert!(Row::parse(r#"{"_id":"p"}"#).is_err(), "no version");
        assert!(Row::parse(r#"{"_version":1}"#).is_err(), "no id");
        assert!(Row::parse(r#"{"_id":"p","_version":1"#).is_err(), "cut short");
    }
}
