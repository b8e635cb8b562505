//! What the fuzz targets (`fuzz/fuzz_targets/`) run: the catalog's parsing of what a client
//! sends, before any store call, with the properties every accepted input must keep. Each
//! function panics (a finding) when a property breaks; a refusal is an answer, not a finding.
//!
//! Compiled only under `cargo fuzz` (`--cfg fuzzing`): natively, without the host.

use crate::categories::{self, CategoryInput, CategoryView};
use crate::products::input::{self, ProductInput};
use crate::products::listing::{ListingQuery, MAX_PER_PAGE, MAX_QUERY_CHARS};
use crate::products::view::{ProductView, Row};
use crate::products::{apply, merge_patch};
use crate::stored::categories::{CategoryIndex, category_json};
use api_kit::store::Stored;
use serde_json::{Map, Value, json};
use shop_domain::catalog::{Product, ProductStatus, StoredProduct};
use shop_domain::{Problem, Slug, money::MAX_AMOUNT};

const NOW: &str = "2026-01-01T00:00:00Z";

/// `GET /api/products?…`: any query string is read or refused with a 400 naming each bad
/// parameter; what is read is within the route's bounds.
pub fn listing_query(query: &str) {
    match ListingQuery::parse(Some(query)) {
        Ok(listing) => {
            assert!((1..=MAX_PER_PAGE).contains(&listing.paging.per_page), "per_page {}", listing.paging.per_page);
            assert!(listing.paging.page >= 1);
            // The store's skip and limit are u32: the largest page must fit.
            assert!(u64::from(listing.paging.skip()) == (listing.paging.page - 1) * listing.paging.per_page);
            assert!(listing.q.as_ref().is_none_or(|q| q.chars().count() <= MAX_QUERY_CHARS && !q.trim().is_empty()));
            assert!(listing.min_price.is_none_or(|p| p <= MAX_AMOUNT as u64));
            if let (Some(min), Some(max)) = (listing.min_price, listing.max_price) {
                assert!(min <= max);
            }
        }
        Err(problem) => refused(&problem, 400),
    }
}

/// `POST`/`PUT`/`PATCH /api/products` bodies: anything is refused (400 malformed, 422 naming
/// fields) or makes a document that stores and reads back as itself, and whose view, written
/// from the stored text without parsing it, is the public product shape with its fields.
pub fn product_body(bytes: &[u8]) {
    let body = match api_kit::parse_json_object(bytes) {
        Ok(body) => body,
        Err(problem) => return refused(&problem, if problem.status == 400 { 400 } else { 422 }),
    };
    // As a new product, a full replacement, and a merge patch over a stored product.
    product_input(body.clone(), false);
    product_input(body.clone(), true);
    let mut merged = input::writable_view(&stored_product());
    merge_patch(&mut merged, body);
    product_input(merged, true);
}

fn product_input(body: Map<String, Value>, allow_version: bool) {
    let input = match ProductInput::parse(body, allow_version) {
        Ok(input) => input,
        Err(errors) => {
            assert!(!errors.is_empty(), "a refusal names its fields");
            return;
        }
    };
    assert!((0..=input::MAX_STOCK).contains(&input.stock), "stock {}", input.stock);
    assert!(input.price.amount <= MAX_AMOUNT, "price {}", input.price.amount);
    if let Some(was) = &input.compare_at_price {
        assert!(was.currency == input.price.currency && was.amount > input.price.amount, "compare_at_price {was:?}");
    }
    assert!(input.version.is_none() || allow_version);
    let ready_to_publish = input.publishing_errors().is_none();
    assert!(input.status != ProductStatus::Published || ready_to_publish, "a published product has both languages");
    let slug = input.slug.as_ref().map(ToString::to_string).unwrap_or_else(|| "derived".into());
    let category = input.category.as_ref().map(|_| "c1".to_owned());
    let mut doc = stored_product();
    apply(&mut doc, input, slug, category, NOW);
    let stored = Stored { id: "p\"1".into(), version: 7, body: doc };
    let text = stored.to_json();
    let back = Stored::<StoredProduct>::parse(&text).expect("the stored text reads back");
    assert_eq!(back.body, stored.body, "a stored product reads back as itself");
    let row = Row::parse(&text).expect("the stored text is a row");
    let mut index = CategoryIndex::default();
    index.insert("c1".into(), category_json("\"c1\"", Some(r#"{"ar":"أ","en":"A"}"#), Some("\"a\"")));
    let view = ProductView::of(&row, &index).to_json();
    let product: Product = serde_json::from_str(&view).expect("the written view is a product");
    let doc = &stored.body;
    assert_eq!((&product.name, &product.description, &product.price), (&doc.name, &doc.description, &doc.price));
    assert_eq!((product.stock, product.in_stock, product.featured), (doc.stock, doc.stock > 0, doc.featured));
    assert_eq!((&product.slug, product.status, &product.id, product.version), (&doc.slug, doc.status, &stored.id, 7));
}

/// A stored product to merge patches into (both languages, so it may be published).
fn stored_product() -> StoredProduct {
    serde_json::from_value(json!({
        "slug": "brass-lamp", "name": {"en": "Brass lamp", "ar": "مصباح"}, "description": {"en": "Old.", "ar": "قديم"},
        "price": {"amount": 4500, "currency": "SAR"}, "stock": 3, "status": "draft",
        "created_at": NOW, "updated_at": NOW,
    }))
    .expect("a valid stored product")
}

/// `POST`/`PUT /api/categories` bodies: refused with the fields named, or a document whose
/// listing entry, written from the stored text, is the category's view.
pub fn category_body(bytes: &[u8]) {
    let body = match api_kit::parse_json_object(bytes) {
        Ok(body) => body,
        Err(problem) => return refused(&problem, if problem.status == 400 { 400 } else { 422 }),
    };
    for allow_version in [false, true] {
        let input = match CategoryInput::parse(body.clone(), allow_version) {
            Ok(input) => input,
            Err(problem) => {
                refused(&problem, 422);
                continue;
            }
        };
        assert!(!input.name.en.trim().is_empty() && !input.name.ar.trim().is_empty(), "both names are required");
        let slug = input.slug.as_ref().map(ToString::to_string).or_else(|| Slug::from_text(&input.name.en).map(String::from));
        let mut doc = Map::new();
        doc.insert("slug".into(), json!(slug.unwrap_or_else(|| "c".into())));
        doc.insert("name".into(), json!(input.name));
        doc.insert("sort_order".into(), json!(input.sort_order.unwrap_or(0)));
        doc.insert("created_at".into(), json!(NOW));
        doc.insert("updated_at".into(), json!(NOW));
        let stored = Stored { id: "c\\1".into(), version: 2, body: doc };
        let counts = std::collections::HashMap::from([("c\\1".to_owned(), 5)]);
        let mut written = String::new();
        categories::write_listed(&stored.to_json(), &counts, &mut written).expect("a stored category is listed");
        let mut view = CategoryView::from(stored);
        view.product_count = 5;
        let written: Value = serde_json::from_str(&written).expect("the listed category is JSON");
        assert_eq!(written, serde_json::to_value(&view).expect("a view serialises"), "the listing writes the view");
    }
}

/// A refusal is a problem answer with the expected status that says what was wrong.
fn refused(problem: &Problem, status: u16) {
    assert_eq!(problem.status, status, "{problem:?}");
    assert!(!problem.title.is_empty());
}
