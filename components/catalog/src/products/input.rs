//! What an admin may write to a product, parsed strictly: every invalid or unknown field is
//! listed at once.

use serde_json::{Map, Value};
use shop_domain::catalog::{ProductStatus, StoredProduct};
use shop_domain::{FieldErrors, Money, Slug, TextRules, Translations};

/// The longest product name, per language.
pub const MAX_NAME_CHARS: usize = 200;
/// The longest description, per language.
pub const MAX_DESCRIPTION_CHARS: usize = 5000;
/// The largest stock quantity.
pub const MAX_STOCK: i64 = 1_000_000_000;

/// The writable fields of a product.
#[derive(Debug, Clone)]
pub struct ProductInput {
    /// Given, or derived from the English name.
    pub slug: Option<Slug>,
    /// `en` required; `ar` required to publish.
    pub name: Translations,
    /// Both languages required to publish.
    pub description: Translations,
    /// The price.
    pub price: Money,
    /// The "was" price, higher than the price, in the same currency.
    pub compare_at_price: Option<Money>,
    /// Units in stock.
    pub stock: i64,
    /// A category's id or slug, resolved by the caller.
    pub category: Option<String>,
    /// Shown on the home page.
    pub featured: bool,
    /// Draft or published.
    pub status: ProductStatus,
    /// The version an update expects (`version` field; `If-Match` wins).
    pub version: Option<u64>,
}

/// The fields of a product a client may send, and what each means when unknown.
pub const WRITABLE: &[&str] =
    &["slug", "name", "description", "price", "compare_at_price", "stock", "category", "featured", "status", "version"];
/// Fields a product shows but a client cannot write here, and where they are written.
const MANAGED: &[(&str, &str)] = &[
    ("id", "is set by the server"),
    ("images", "is managed through /api/products/{id}/images"),
    ("created_at", "is set by the server"),
    ("updated_at", "is set by the server"),
    ("published_at", "is set by the server when the product is published"),
    ("in_stock", "follows from stock"),
];

impl ProductInput {
    /// Parses a full product body. `allow_version`: whether a `version` field may be sent.
    pub fn parse(mut body: Map<String, Value>, allow_version: bool) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let slug = match body.remove("slug") {
            None | Some(Value::Null) => None,
            Some(Value::String(raw)) => errors.check("slug", Slug::parse(&raw)),
            Some(_) => {
                errors.push("slug", "must be a string");
                None
            }
        };
        let name = Translations::parse(body.get("name"), "name", TextRules { max_chars: MAX_NAME_CHARS, multiline: false }, &mut errors);
        if name.en.is_none() && !errors.mentions("name") {
            errors.push("name.en", "is required");
        }
        let description = Translations::parse(
            body.get("description"),
            "description",
            TextRules { max_chars: MAX_DESCRIPTION_CHARS, multiline: true },
            &mut errors,
        );
        let price = Money::parse(body.get("price"), "price", &mut errors);
        let compare_at_price = match body.get("compare_at_price") {
            None | Some(Value::Null) => None,
            value => Money::parse(value, "compare_at_price", &mut errors),
        };
        if let (Some(price), Some(was)) = (&price, &compare_at_price) {
            if was.currency != price.currency {
                errors.push("compare_at_price.currency", "must be the price's currency");
            } else if was.amount <= price.amount {
                errors.push("compare_at_price.amount", "must be higher than the price (it is the price before a reduction)");
            }
        }
        let stock = match body.remove("stock") {
            None | Some(Value::Null) => Some(0),
            Some(value) => match value.as_i64() {
                Some(n) if (0..=MAX_STOCK).contains(&n) => Some(n),
                _ => {
                    errors.push("stock", format!("must be a whole number from 0 to {MAX_STOCK}"));
                    None
                }
            },
        };
        let category = match body.remove("category") {
            None | Some(Value::Null) => None,
            Some(Value::String(c)) if !c.trim().is_empty() => Some(c.trim().to_owned()),
            Some(_) => {
                errors.push("category", "must be a category's id or slug");
                None
            }
        };
        let featured = match body.remove("featured") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => b,
            Some(_) => {
                errors.push("featured", "must be true or false");
                false
            }
        };
        let status = match body.remove("status") {
            None | Some(Value::Null) => Some(ProductStatus::Draft),
            Some(Value::String(s)) if s == "draft" => Some(ProductStatus::Draft),
            Some(Value::String(s)) if s == "published" => Some(ProductStatus::Published),
            Some(_) => {
                errors.push("status", "must be \"draft\" or \"published\"");
                None
            }
        };
        let version = api_kit::version_field(&mut body, allow_version, &mut errors);
        for known in ["name", "description", "price", "compare_at_price"] {
            body.remove(known);
        }
        for field in body.keys() {
            match MANAGED.iter().find(|(name, _)| name == field) {
                Some((_, why)) => errors.push(field.clone(), *why),
                None => errors.push(field.clone(), "is not a field of a product"),
            }
        }
        let input = (price, stock, status);
        match input {
            (Some(price), Some(stock), Some(status)) if errors.is_empty() => {
                let input = Self { slug, name, description, price, compare_at_price, stock, category, featured, status, version };
                match input.publishing_errors() {
                    Some(missing) if status == ProductStatus::Published => Err(missing),
                    _ => Ok(input),
                }
            }
            _ => Err(errors),
        }
    }

    /// What is missing before this product may be published (both languages of the name and
    /// the description), or `None` when it may.
    pub fn publishing_errors(&self) -> Option<FieldErrors> {
        let mut errors = FieldErrors::new();
        for (field, text) in [("name", &self.name), ("description", &self.description)] {
            for lang in ["en", "ar"] {
                if text.get(lang).is_none() {
                    errors.push(format!("{field}.{lang}"), "is required to publish (shoppers read both languages)");
                }
            }
        }
        (!errors.is_empty()).then_some(errors)
    }
}

/// The writable fields of a stored product, as a body `ProductInput::parse` reads (so a
/// `PATCH` can merge its changes into them).
pub fn writable_view(stored: &StoredProduct) -> Map<String, Value> {
    let Ok(Value::Object(mut fields)) = serde_json::to_value(stored) else { return Map::new() };
    fields.retain(|field, _| WRITABLE.contains(&field.as_str()));
    fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(result: Result<ProductInput, FieldErrors>) -> Vec<String> {
        result.err().map(|e| e.into_vec().into_iter().map(|e| e.field).collect()).unwrap_or_default()
    }

    fn body(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn a_draft_needs_only_an_english_name_and_a_price() {
        let input =
            ProductInput::parse(body(json!({"name": {"en": "Dates"}, "price": {"amount": 2500, "currency": "SAR"}})), false).unwrap();
        assert_eq!((input.status, input.stock, input.featured), (ProductStatus::Draft, 0, false));
        assert_eq!(fields(ProductInput::parse(body(json!({"name": {"ar": "تمر"}})), false)), ["name.en", "price"]);
    }

    #[test]
    fn publishing_needs_both_languages() {
        let draft = json!({"name": {"en": "Dates"}, "price": {"amount": 2500, "currency": "SAR"}, "status": "published"});
        assert_eq!(fields(ProductInput::parse(body(draft), false)), ["name.ar", "description.en", "description.ar"]);
        let full = json!({"name": {"en": "Dates", "ar": "تمر"}, "description": {"en": "Sweet.", "ar": "حلو."},
            "price": {"amount": 2500, "currency": "SAR"}, "status": "published"});
        assert_eq!(ProductInput::parse(body(full), false).unwrap().status, ProductStatus::Published);
    }

    #[test]
    fn every_bad_field_is_named_with_why() {
        let bad = json!({"name": {"en": "Dates"}, "price": {"amount": 2500, "currency": "SAR"},
            "compare_at_price": {"amount": 2000, "currency": "SAR"}, "stock": -1, "featured": "yes",
            "status": "live", "images": [], "colour": "red", "version": 3});
        assert_eq!(
            fields(ProductInput::parse(body(bad), false)),
            ["compare_at_price.amount", "stock", "featured", "status", "version", "colour", "images"]
        );
        let currency = json!({"name": {"en": "Dates"}, "price": {"amount": 2500, "currency": "SAR"}, "compare_at_price": {"amount": 3000, "currency": "USD"}});
        assert_eq!(fields(ProductInput::parse(body(currency), false)), ["compare_at_price.currency"]);
    }
}
