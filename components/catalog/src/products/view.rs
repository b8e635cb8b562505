//! A product as the API shows it, made from the store's JSON text without rebuilding it: the
//! stored document is read into [`Row`], whose fields borrow their JSON from that text, and
//! [`ProductView`] writes them out again as they are. A listing of 24 products so costs
//! little more than copying their bytes (a tree of maps per product, built and dropped, was
//! most of a listing's time).
//!
//! Keys come out in alphabetical order, as the store keeps nested objects.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use shop_domain::Problem;
use std::borrow::Cow;
use std::collections::HashMap;

/// A stored product, each field borrowing its JSON from the document's text.
#[derive(Debug, Deserialize)]
pub struct Row<'a> {
    /// `_id`.
    #[serde(rename = "_id", borrow)]
    pub id: Cow<'a, str>,
    /// `_version`.
    #[serde(rename = "_version")]
    pub version: u64,
    #[serde(borrow, default)]
    slug: Option<&'a RawValue>,
    #[serde(borrow, default)]
    name: Option<&'a RawValue>,
    #[serde(borrow, default)]
    description: Option<&'a RawValue>,
    #[serde(borrow, default)]
    price: Option<&'a RawValue>,
    #[serde(borrow, default)]
    compare_at_price: Option<&'a RawValue>,
    #[serde(borrow, default)]
    stock: Option<&'a RawValue>,
    #[serde(borrow, default)]
    category: Option<&'a RawValue>,
    #[serde(borrow, default)]
    featured: Option<&'a RawValue>,
    #[serde(borrow, default)]
    status: Option<&'a RawValue>,
    #[serde(borrow, default)]
    images: Option<&'a RawValue>,
    #[serde(borrow, default)]
    created_at: Option<&'a RawValue>,
    #[serde(borrow, default)]
    updated_at: Option<&'a RawValue>,
    #[serde(borrow, default)]
    published_at: Option<&'a RawValue>,
}

impl<'a> Row<'a> {
    /// Reads a stored product's JSON text (`{_id, _version, …}`).
    pub fn parse(json: &'a str) -> Result<Self, Problem> {
        serde_json::from_str(json).map_err(|_| Problem::internal())
    }

    /// The id of its category, if it names one.
    pub fn category_id(&self) -> Option<Cow<'a, str>> {
        self.category.and_then(|raw| serde_json::from_str::<Cow<'a, str>>(raw.get()).ok())
    }

    /// Whether it is published.
    pub fn is_published(&self) -> bool {
        self.status.is_some_and(|raw| raw.get() == "\"published\"")
    }
}

/// Categories by id as products show them: each `{id, name, slug}`, already in JSON.
pub type CategoryIndex = HashMap<String, Box<RawValue>>;

/// A category as a product shows it.
#[derive(Serialize)]
pub struct CategoryRef<'a> {
    /// Its id.
    pub id: &'a str,
    /// Its names, as stored.
    pub name: Option<&'a RawValue>,
    /// Its slug, as stored.
    pub slug: Option<&'a RawValue>,
}

impl CategoryRef<'_> {
    /// The JSON a product shows for this category.
    pub fn to_raw(&self) -> Box<RawValue> {
        serde_json::to_string(self).ok().and_then(|json| RawValue::from_string(json).ok()).unwrap_or_else(null)
    }
}

fn null() -> Box<RawValue> {
    RawValue::from_string("null".to_owned()).expect("null is JSON")
}

/// JSON text of the defaults of fields a product may lack.
struct Defaults {
    object: Box<RawValue>,
    list: Box<RawValue>,
}

thread_local! {
    static DEFAULTS: Defaults = Defaults {
        object: RawValue::from_string("{}".to_owned()).expect("{} is JSON"),
        list: RawValue::from_string("[]".to_owned()).expect("[] is JSON"),
    };
}

/// A product as the API shows it (see the module's notes), borrowing from its [`Row`] and the
/// category index.
#[derive(Serialize)]
pub struct ProductView<'a> {
    category: Option<&'a RawValue>,
    compare_at_price: Option<&'a RawValue>,
    created_at: Option<&'a RawValue>,
    description: Cow<'a, RawValue>,
    featured: bool,
    id: &'a str,
    images: Cow<'a, RawValue>,
    in_stock: bool,
    name: Option<&'a RawValue>,
    price: Option<&'a RawValue>,
    published_at: Option<&'a RawValue>,
    slug: Option<&'a RawValue>,
    status: Option<&'a RawValue>,
    stock: i64,
    updated_at: Option<&'a RawValue>,
    version: u64,
}

impl<'a> ProductView<'a> {
    /// The view of `row`, its category resolved through `categories`.
    pub fn of(row: &'a Row<'a>, categories: &'a CategoryIndex) -> Self {
        let stock = row.stock.and_then(|raw| raw.get().parse::<i64>().ok()).unwrap_or(0);
        let category = row.category_id().and_then(|id| categories.get(id.as_ref())).map(|raw| raw.as_ref());
        let default = |field: Option<&'a RawValue>, pick: fn(&Defaults) -> Box<RawValue>| match field {
            Some(raw) => Cow::Borrowed(raw),
            None => Cow::Owned(DEFAULTS.with(pick)),
        };
        Self {
            category,
            compare_at_price: row.compare_at_price,
            created_at: row.created_at,
            description: default(row.description, |d| d.object.clone()),
            featured: row.featured.is_some_and(|raw| raw.get() == "true"),
            id: &row.id,
            images: default(row.images, |d| d.list.clone()),
            in_stock: stock > 0,
            name: row.name,
            price: row.price,
            published_at: row.published_at,
            slug: row.slug,
            status: row.status,
            stock,
            updated_at: row.updated_at,
            version: row.version,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn a_view_shows_the_stored_fields_as_they_are_with_defaults_and_its_category() {
        let stored = json!({
            "_id": "p1", "_version": 3, "slug": "brass-lamp", "name": {"ar": "مصباح", "en": "Brass \"lamp\""},
            "price": {"amount": 4500, "currency": "SAR"}, "stock": 2, "category": "c1", "featured": true,
            "status": "published", "created_at": "2026-01-01T00:00:00Z", "internal": "never shown",
        })
        .to_string();
        let mut categories = CategoryIndex::new();
        let slug = RawValue::from_string("\"lamps\"".into()).unwrap();
        let name = RawValue::from_string(r#"{"ar":"مصابيح","en":"Lamps"}"#.into()).unwrap();
        categories.insert("c1".into(), CategoryRef { id: "c1", name: Some(&name), slug: Some(&slug) }.to_raw());
        let row = Row::parse(&stored).unwrap();
        assert!(row.is_published());
        let view: Value = serde_json::from_str(&serde_json::to_string(&ProductView::of(&row, &categories)).unwrap()).unwrap();
        assert_eq!(
            view,
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
        let row = Row::parse(&odd).unwrap();
        let view: Value = serde_json::to_value(ProductView::of(&row, &categories)).unwrap();
        assert_eq!(
            (view["category"].clone(), view["stock"].clone(), view["in_stock"].clone(), view["featured"].clone()),
            (Value::Null, json!(0), json!(false), json!(false))
        );
    }
}
