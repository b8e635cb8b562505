//! The OpenAPI document (`docs/api/openapi.json`) describes the public types as they
//! serialise: each sample below, the ordinary case and the edges (a draft missing a
//! translation, no category, no sale price, a last page), is valid against its schema, and
//! the schemas refuse what the types would never write.

use serde::Serialize;
use serde_json::{Value, json};
use shop_domain::accounts::{Role, User, UserPage};
use shop_domain::catalog::{
    Category, CategoryList, CategorySummary, Image, ImageFormat, ImageVariant, PageLinks, Product, ProductPage, ProductStatus,
};
use shop_domain::{LocalizedText, Money, Translations};

/// A validator for `#/components/schemas/<name>` of the project's OpenAPI document (its
/// schemas are JSON Schema 2020-12; formats are checked too).
fn schema(name: &str) -> jsonschema::Validator {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/api/openapi.json");
    let document: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let definitions = document["components"]["schemas"].to_string().replace("#/components/schemas/", "#/$defs/");
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": serde_json::from_str::<Value>(&definitions).unwrap(),
        "$ref": format!("#/$defs/{name}"),
    });
    assert!(root["$defs"].get(name).is_some(), "the OpenAPI document has no schema {name}");
    jsonschema::options().should_validate_formats(true).build(&root).unwrap()
}

fn assert_valid(name: &str, value: &impl Serialize) {
    let instance = serde_json::to_value(value).unwrap();
    let errors: Vec<String> = schema(name).iter_errors(&instance).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{name} refuses {instance}: {errors:?}");
}

fn text(en: &str, ar: &str) -> LocalizedText {
    LocalizedText { en: en.into(), ar: ar.into() }
}

fn links(next: Option<&str>) -> PageLinks {
    PageLinks {
        first: "/api/products?page=1".into(),
        last: "/api/products?page=2".into(),
        next: next.map(str::to_owned),
        prev: None,
        this: "/api/products?page=1".into(),
    }
}

fn product() -> Product {
    Product {
        category: Some(CategorySummary { id: "c1".into(), name: text("Coffee", "قهوة"), slug: "coffee".into() }),
        compare_at_price: Some(Money { amount: 5000, currency: "SAR".into() }),
        created_at: Some("2026-12-07T08:00:00.123456Z".into()),
        description: Translations { en: Some("Cardamom.".into()), ar: Some("بالهيل.".into()) },
        featured: true,
        id: "0193c1f0a2b47c8e".into(),
        images: vec![Image {
            created_at: Some("2026-12-07T08:00:01Z".into()),
            format: ImageFormat::Jpeg,
            height: 1200,
            id: "5d41402abc4b2a76".into(),
            variants: vec![ImageVariant {
                bytes: 20_480,
                height: 240,
                url: "/uploads/products/0193c1f0a2b47c8e/5d41402abc4b2a76b9719d911017c592.webp".into(),
                width: 320,
            }],
            width: 1600,
        }],
        in_stock: true,
        name: Translations { en: Some("Arabic coffee".into()), ar: Some("قهوة عربية".into()) },
        price: Money { amount: 4500, currency: "SAR".into() },
        published_at: Some("2026-12-07T08:00:00Z".into()),
        slug: "arabic-coffee".into(),
        status: ProductStatus::Published,
        stock: 3,
        updated_at: Some("2026-12-07T09:00:00Z".into()),
        version: 4,
    }
}

/// A draft as a new product is: no Arabic yet, no category, no images, never changed.
fn draft() -> Product {
    Product {
        category: None,
        compare_at_price: None,
        description: Translations::default(),
        featured: false,
        images: Vec::new(),
        in_stock: false,
        name: Translations { en: Some("Lamp".into()), ar: None },
        published_at: None,
        status: ProductStatus::Draft,
        stock: 0,
        updated_at: None,
        ..product()
    }
}

fn category(id: &str) -> Category {
    Category {
        created_at: Some("2026-12-07T08:00:00Z".into()),
        id: id.into(),
        name: text("Coffee & tea", "قهوة وشاي"),
        product_count: 12,
        slug: "coffee-tea".into(),
        sort_order: -1,
        updated_at: None,
        version: 1,
    }
}

#[test]
fn products_and_their_pages_are_what_the_schemas_describe() {
    assert_valid("Product", &product());
    assert_valid("Product", &draft());
    assert_valid(
        "ProductPage",
        &ProductPage { items: vec![product(), draft()], links: links(Some("/api/products?page=2")), page: 1, per_page: 2, total: 3 },
    );
    assert_valid("ProductPage", &ProductPage { links: links(None), page: 1, per_page: 24, ..ProductPage::default() });
    assert_valid("Image", &product().images[0]);
}

#[test]
fn categories_and_users_are_what_the_schemas_describe() {
    assert_valid("Category", &category("c1"));
    assert_valid("CategoryList", &CategoryList { items: vec![category("c1"), category("c2")], total: 2 });
    assert_valid("CategorySummary", &CategorySummary { id: "c1".into(), name: text("Tea", "شاي"), slug: "tea".into() });
    let user = |role| User {
        id: "u1".into(),
        email: "layla@example.com".into(),
        role,
        disabled: false,
        created_at: Some("2026-12-07T08:00:00Z".into()),
        updated_at: None,
        version: 1,
    };
    assert_valid("User", &user(Role::Admin));
    assert_valid(
        "UserPage",
        &UserPage { items: vec![user(Role::Admin), user(Role::Customer)], total: 2, page: 1, per_page: 50, links: links(None) },
    );
}

#[test]
fn the_schemas_refuse_what_the_types_never_write() {
    let validator = schema("Product");
    let mut value = serde_json::to_value(product()).unwrap();
    assert!(validator.is_valid(&value));
    value["status"] = json!("archived");
    assert!(!validator.is_valid(&value), "an unknown status");
    let mut value = serde_json::to_value(product()).unwrap();
    value["price"] = json!({"amount": 4500});
    assert!(!validator.is_valid(&value), "a price without its currency");
    let mut value = serde_json::to_value(product()).unwrap();
    value["created_at"] = json!("yesterday");
    assert!(!validator.is_valid(&value), "a time that is not RFC 3339");
    assert!(!schema("Category").is_valid(&json!({"id": "c1", "slug": "x"})), "a category without its name");
}

fn order(status: shop_domain::orders::OrderStatus, history: usize) -> shop_domain::orders::Order {
    use shop_domain::orders::*;
    let sar = |amount| Money { amount, currency: "SAR".into() };
    let change = StatusChange { status: OrderStatus::Paid, at: "2026-12-07T08:00:00.123456Z".into(), by: "system".into(), note: None };
    Order {
        id: "0f1e2d3c4b5a69788796a5b4c3d2e1f0".into(),
        version: 3,
        customer: "u1".into(),
        email: "layla@example.com".into(),
        language: "ar".into(),
        lines: vec![OrderLine {
            product: "p1".into(),
            slug: "cardamom-coffee".into(),
            name: Translations { en: Some("Coffee".into()), ar: Some("قهوة".into()) },
            unit_price: sar(1500),
            quantity: 2,
            line_total: sar(3000),
        }],
        subtotal: sar(3000),
        total: sar(3000),
        shipping_address: Address {
            name: "ليلى".into(),
            phone: "+966 55 123 4567".into(),
            lines: vec!["شارع الملك فهد ١٢".into()],
            city: "الرياض".into(),
            region: None,
            postal_code: Some("12211".into()),
            country: "SA".into(),
        },
        payment: Payment {
            state: PaymentState::Authorised,
            reference: Some("tc_0123".into()),
            summary: Some("Visa ending 4242".into()),
            capture_on: Some(CapturePoint::Shipment),
            ..Payment::pending(PaymentMethod::parse("test_card").unwrap(), sar(3000))
        },
        status,
        history: vec![StatusChange { note: Some("DHL 123".into()), ..change }; history],
        payment_due: None,
        created_at: "2026-12-07T08:00:00.123456Z".into(),
        updated_at: "2026-12-07T09:00:00.123456Z".into(),
    }
}

#[test]
fn orders_and_carts_are_what_the_schemas_describe() {
    use shop_domain::orders::*;
    for status in OrderStatus::ALL {
        assert_valid("Order", &order(status, 2));
    }
    assert_valid("OrderPage", &OrderPage { items: vec![order(OrderStatus::Paid, 1)], total: 1, page: 1, per_page: 20, links: links(None) });
    let sar = |amount| Some(Money { amount, currency: "SAR".into() });
    let line = CartLine {
        product: "p1".into(),
        slug: "coffee".into(),
        name: Translations { en: Some("Coffee".into()), ar: None },
        unit_price: sar(1500),
        quantity: 2,
        line_total: sar(3000),
        available: 1,
        issue: Some(LineIssue::InsufficientStock),
    };
    let gone = CartLine {
        slug: String::new(),
        name: Translations::default(),
        unit_price: None,
        line_total: None,
        available: 0,
        issue: Some(LineIssue::Unavailable),
        ..line.clone()
    };
    assert_valid("Cart", &Cart { items: vec![line, gone], subtotal: None, item_count: 3, ready: false, version: 2 });
    assert_valid("Cart", &Cart { items: Vec::new(), subtotal: None, item_count: 0, ready: false, version: 0 });
    let mut unknown = serde_json::to_value(order(OrderStatus::Paid, 1)).unwrap();
    unknown["status"] = json!("lost");
    assert!(!schema("Order").is_valid(&unknown), "an order status the type never writes");
}
