//! Products through the real catalog component: admin writes, the shopper's catalogue,
//! bilingual search, filters, sorts, pages and conditional GETs.

use crate::helpers::{TestApp, assert_problem, spawn_app};
use reqwest::{Method, Response};
use serde_json::{Value, json};

/// Bilingual products of a small shop: (English, Arabic, category, price in halalas, stock).
const CATALOG: &[(&str, &str, &str, i64, i64)] = &[
    ("Medjool Dates", "تمر مجدول", "food", 4500, 12),
    ("Sukkari Dates", "تمر سكري", "food", 3200, 0),
    ("Arabic Coffee", "قهوة عربية", "food", 5500, 30),
    ("Sidr Honey", "عسل السدر", "food", 12000, 4),
    ("Green Tea", "شاي أخضر", "food", 1500, 50),
    ("Olive Oil", "زيت الزيتون", "food", 6500, 8),
    ("Rose Water", "ماء الورد", "beauty", 1800, 20),
    ("Oud Perfume", "عطر العود", "beauty", 35000, 3),
    ("Argan Oil", "زيت الأرغان", "beauty", 7500, 0),
    ("Black Seed Soap", "صابون الحبة السوداء", "beauty", 1200, 40),
    ("Prayer Mat", "سجادة صلاة", "home", 9900, 15),
    ("Ramadan Lantern", "فانوس رمضان", "home", 8500, 6),
    ("Incense Burner", "مبخرة", "home", 4200, 9),
    ("Brass Tray", "صينية نحاس", "home", 15500, 2),
];

async fn send(app: &TestApp, method: Method, path: &str, body: Option<Value>, if_match: Option<u64>) -> Response {
    let mut request = app.as_admin(method, path);
    if let Some(version) = if_match {
        request = request.header("if-match", format!("\"{version}\""));
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

fn product(en: &str, ar: &str, category: &str, price: i64, stock: i64) -> Value {
    json!({
        "name": {"en": en, "ar": ar},
        "description": {"en": format!("{en}, chosen with care."), "ar": format!("{ar}، مختار بعناية.")},
        "price": {"amount": price, "currency": "SAR"},
        "stock": stock,
        "category": category,
        "status": "published",
    })
}

/// Three categories and the catalogue above, all published, created in order.
async fn seed(app: &TestApp) {
    for (en, ar, order) in [("Food", "طعام", 1), ("Beauty", "جمال", 2), ("Home", "المنزل", 3)] {
        app.create_category(en, ar, order).await;
    }
    for (en, ar, category, price, stock) in CATALOG {
        let response = send(app, Method::POST, "/api/products", Some(product(en, ar, category, *price, *stock)), None).await;
        assert_eq!(response.status(), 201, "{en}: {}", response.text().await.unwrap());
    }
}

async fn list(app: &TestApp, query: &str) -> Value {
    let response = app.get(&format!("/api/products{query}")).await;
    assert_eq!(response.status(), 200, "{query}");
    response.json().await.unwrap()
}

fn names(page: &Value, lang: &str) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|p| p["name"][lang].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn admins_create_update_publish_stock_and_delete_products() {
    let app = spawn_app().await;
    app.create_category("Food", "طعام", 1).await;
    // A draft needs only an English name and a price; the slug follows the name.
    let created = send(
        &app,
        Method::POST,
        "/api/products",
        Some(json!({"name": {"en": "Medjool Dates"}, "price": {"amount": 4500, "currency": "SAR"}, "category": "food"})),
        None,
    )
    .await;
    assert_eq!(created.status(), 201);
    assert_eq!(created.headers()["etag"], "\"1\"");
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let draft: Value = created.json().await.unwrap();
    assert_eq!(
        (draft["slug"].as_str(), draft["status"].as_str(), draft["in_stock"].as_bool()),
        (Some("medjool-dates"), Some("draft"), Some(false))
    );
    assert_eq!(draft["category"]["slug"], "food");
    assert_eq!(location, format!("/api/products/{}", draft["id"].as_str().unwrap()));

    // Bad input: every field named; nothing stored.
    let bad = send(
        &app,
        Method::POST,
        "/api/products",
        Some(json!({"name": {"en": ""}, "price": {"amount": 19.99, "currency": "SAR"}, "stock": -2, "category": "toys", "colour": "red"})),
        None,
    )
    .await;
    let body = assert_problem(bad, 422, Some("price.amount")).await;
    let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["name.en", "price.amount", "stock", "colour"]);
    let unknown_category = send(
        &app,
        Method::POST,
        "/api/products",
        Some(json!({"name": {"en": "Toy"}, "price": {"amount": 1, "currency": "SAR"}, "category": "toys"})),
        None,
    )
    .await;
    assert_problem(unknown_category, 422, Some("category")).await;
    let duplicate = send(
        &app,
        Method::POST,
        "/api/products",
        Some(json!({"name": {"en": "Medjool dates!"}, "price": {"amount": 1, "currency": "SAR"}})),
        None,
    )
    .await;
    assert_problem(duplicate, 409, Some("slug")).await;

    // Publishing needs both languages: the answer lists what is missing.
    let early = send(&app, Method::POST, &format!("{location}/publish"), None, None).await;
    let body = assert_problem(early, 422, Some("name.ar")).await;
    assert_eq!(body["errors"].as_array().unwrap().len(), 3, "{body}");

    // Merge patches need the version they change.
    let patch = json!({"name": {"ar": "تمر مجدول"}, "description": {"en": "Soft and rich.", "ar": "طري وغني."}, "compare_at_price": {"amount": 5000, "currency": "SAR"}});
    assert_problem(send(&app, Method::PATCH, &location, Some(patch.clone()), None).await, 428, None).await;
    let patched = send(&app, Method::PATCH, &location, Some(patch.clone()), Some(1)).await;
    assert_eq!(patched.status(), 200);
    let patched: Value = patched.json().await.unwrap();
    assert_eq!(
        (patched["name"]["en"].as_str(), patched["name"]["ar"].as_str(), patched["version"].as_u64()),
        (Some("Medjool Dates"), Some("تمر مجدول"), Some(2))
    );
    assert_problem(send(&app, Method::PATCH, &location, Some(json!({"stock": 3})), Some(1)).await, 409, None).await;

    let published: Value = send(&app, Method::POST, &format!("{location}/publish"), None, None).await.json().await.unwrap();
    assert_eq!(published["status"], "published");
    assert!(published["published_at"].is_string());

    // Stock: deltas and counts; never below zero.
    let stocked: Value =
        send(&app, Method::POST, &format!("{location}/stock"), Some(json!({"delta": 10})), None).await.json().await.unwrap();
    assert_eq!((stocked["stock"].as_i64(), stocked["in_stock"].as_bool()), (Some(10), Some(true)));
    let oversold = send(&app, Method::POST, &format!("{location}/stock"), Some(json!({"delta": -11})), None).await;
    assert_problem(oversold, 409, Some("delta")).await;
    let counted: Value = send(&app, Method::POST, &format!("{location}/stock"), Some(json!({"set": 4})), None).await.json().await.unwrap();
    assert_eq!(counted["stock"], 4);
    assert_problem(
        send(&app, Method::POST, &format!("{location}/stock"), Some(json!({"delta": 1, "set": 2})), None).await,
        422,
        Some("set"),
    )
    .await;

    // PUT replaces every writable field: what is left out goes back to its default.
    let version = counted["version"].as_u64().unwrap();
    let replacement = json!({"name": {"en": "Medjool Dates", "ar": "تمر مجدول"}, "description": {"en": "Soft.", "ar": "طري."},
        "price": {"amount": 4200, "currency": "SAR"}, "status": "published", "slug": "medjool"});
    let replaced: Value = send(&app, Method::PUT, &location, Some(replacement), Some(version)).await.json().await.unwrap();
    assert_eq!((replaced["slug"].as_str(), replaced["stock"].as_i64(), replaced["category"].is_null()), (Some("medjool"), Some(0), true));
    assert_eq!(replaced["price"], json!({"amount": 4200, "currency": "SAR"}));

    let unpublished: Value = send(&app, Method::POST, "/api/products/medjool/unpublish", None, None).await.json().await.unwrap();
    assert_eq!(unpublished["status"], "draft");
    assert_eq!(send(&app, Method::DELETE, "/api/products/medjool", None, Some(1)).await.status(), 409);
    assert_eq!(send(&app, Method::DELETE, "/api/products/medjool", None, None).await.status(), 204);
    assert_problem(send(&app, Method::GET, &location, None, None).await, 404, None).await;
    app.stop().await;
}

#[tokio::test]
async fn shoppers_see_published_products_only() {
    let app = spawn_app().await;
    seed(&app).await;
    let draft: Value = send(
        &app,
        Method::POST,
        "/api/products",
        Some(json!({"name": {"en": "Secret Blend"}, "price": {"amount": 100, "currency": "SAR"}})),
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    let all = list(&app, "?per_page=100").await;
    assert_eq!(all["total"], CATALOG.len());
    assert!(!names(&all, "en").contains(&"Secret Blend".to_owned()));
    assert_problem(app.get("/api/products/secret-blend").await, 404, None).await;
    assert_eq!(send(&app, Method::GET, "/api/products/secret-blend", None, None).await.status(), 200);
    assert_problem(app.get("/api/products?status=draft").await, 401, None).await;
    let drafts: Value = send(&app, Method::GET, "/api/products?status=draft", None, None).await.json().await.unwrap();
    assert_eq!((drafts["total"].as_u64(), drafts["items"][0]["id"].as_str()), (Some(1), draft["id"].as_str()));
    let everything: Value = send(&app, Method::GET, "/api/products?status=any&per_page=1", None, None).await.json().await.unwrap();
    assert_eq!(everything["total"], CATALOG.len() + 1);
    app.stop().await;
}

#[tokio::test]
async fn filters_sorts_and_pages() {
    let app = spawn_app().await;
    seed(&app).await;
    // Newest first by default.
    let newest = list(&app, "").await;
    assert_eq!(newest["items"][0]["name"]["en"], "Brass Tray");
    assert_eq!(newest["per_page"], 24);

    let food = list(&app, "?category=food&sort=price_asc").await;
    assert_eq!(names(&food, "en"), ["Green Tea", "Sukkari Dates", "Medjool Dates", "Arabic Coffee", "Olive Oil", "Sidr Honey"]);
    let food_in_stock = list(&app, "?category=food&in_stock=true&sort=price_desc").await;
    assert_eq!(names(&food_in_stock, "en"), ["Sidr Honey", "Olive Oil", "Arabic Coffee", "Medjool Dates", "Green Tea"]);
    let band = list(&app, "?min_price=4000&max_price=9000&sort=price_asc").await;
    assert_eq!(names(&band, "en"), ["Incense Burner", "Medjool Dates", "Arabic Coffee", "Olive Oil", "Argan Oil", "Ramadan Lantern"]);
    let home_ar = list(&app, "?category=home&sort=name&lang=ar").await;
    assert_eq!(names(&home_ar, "ar"), ["سجادة صلاة", "صينية نحاس", "فانوس رمضان", "مبخرة"]);
    let beauty_en = list(&app, "?category=beauty&sort=name").await;
    assert_eq!(names(&beauty_en, "en"), ["Argan Oil", "Black Seed Soap", "Oud Perfume", "Rose Water"]);

    // Pages: links keep the filters; walking them visits each product once.
    let first = list(&app, "?sort=price_asc&per_page=5").await;
    assert_eq!(first["total"], 14);
    assert_eq!(first["links"]["next"], "/api/products?per_page=5&sort=price_asc&page=2");
    assert_eq!(first["links"]["last"], "/api/products?per_page=5&sort=price_asc&page=3");
    let mut seen = Vec::new();
    let mut next = Some(first["links"]["self"].as_str().unwrap().to_owned());
    while let Some(path) = next {
        let page: Value = app.get(&path).await.json().await.unwrap();
        seen.extend(names(&page, "en"));
        next = page["links"]["next"].as_str().map(str::to_owned);
    }
    assert_eq!(seen.len(), 14);
    assert_eq!(seen.first().map(String::as_str), Some("Black Seed Soap"));
    assert_eq!(seen.last().map(String::as_str), Some("Oud Perfume"));

    // Bad parameters: each named, all at once.
    let bad = assert_problem(
        app.get("/api/products?per_page=500&sort=cheapest&min_price=-1&in_stock=maybe&colour=red").await,
        400,
        Some("per_page"),
    )
    .await;
    let fields: Vec<&str> = bad["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["per_page", "min_price", "in_stock", "sort", "colour"]);
    assert_problem(app.get("/api/products?min_price=500&max_price=100").await, 400, Some("max_price")).await;
    assert_problem(app.get("/api/products?category=toys").await, 400, Some("category")).await;
    app.stop().await;
}

#[tokio::test]
async fn search_understands_both_languages_and_arabic_spelling_variants() {
    let app = spawn_app().await;
    seed(&app).await;
    let search = |q: &'static str| {
        let app = &app;
        async move { names(&list(app, &format!("?q={}", urlencode(q))).await, "en") }
    };
    assert_eq!(search("dates").await.len(), 2);
    assert_eq!(search("medj").await, ["Medjool Dates"], "the last word is a prefix");
    assert_eq!(search("oil").await.len(), 2);
    assert_eq!(search("تمر").await.len(), 2);
    // Diacritics typed or not.
    assert_eq!(search("قَهْوَة").await, ["Arabic Coffee"]);
    // Ta marbuta typed as ha, alef with hamza typed bare, and the reverse.
    assert_eq!(search("سجاده").await, ["Prayer Mat"]);
    assert_eq!(search("اخضر").await, ["Green Tea"]);
    assert_eq!(search("الارغان").await, ["Argan Oil"]);
    assert_eq!(search("عسل السّدر").await, ["Sidr Honey"]);
    // Descriptions are searched too; filters still apply.
    assert_eq!(search("بعناية").await.len(), CATALOG.len());
    let in_stock_dates = names(&list(&app, &format!("?q={}&in_stock=true", urlencode("تمر"))).await, "en");
    assert_eq!(in_stock_dates, ["Medjool Dates"]);
    assert!(search("unicorn").await.is_empty());
    app.stop().await;
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn shopper_reads_are_cacheable_and_conditional() {
    let app = spawn_app().await;
    seed(&app).await;
    for path in ["/api/products?category=food", "/api/products/rose-water", "/api/categories"] {
        let first = app.get(path).await;
        assert_eq!(first.status(), 200);
        assert!(first.headers()["cache-control"].to_str().unwrap().starts_with("public, max-age=60"), "{path}");
        let etag = first.headers()["etag"].to_str().unwrap().to_owned();
        let again = app.client.get(app.url(path)).header("if-none-match", &etag).send().await.unwrap();
        assert_eq!(again.status(), 304, "{path}");
        assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
        assert!(again.bytes().await.unwrap().is_empty());
        // Signed-in reads may differ by who asks: never kept by shared caches.
        let private = send(&app, Method::GET, path, None, None).await;
        assert_eq!(private.headers()["cache-control"], "private, no-store");
    }
    // A change makes the old ETag stale.
    let before = app.get("/api/products/rose-water").await.headers()["etag"].clone();
    send(&app, Method::POST, "/api/products/rose-water/stock", Some(json!({"delta": 1})), None).await;
    let after = app.client.get(app.url("/api/products/rose-water")).header("if-none-match", before).send().await.unwrap();
    assert_eq!(after.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn categories_count_products_and_refuse_deletion_while_used() {
    let app = spawn_app().await;
    seed(&app).await;
    send(
        &app,
        Method::POST,
        "/api/products",
        Some(json!({"name": {"en": "Draft Mug"}, "price": {"amount": 100, "currency": "SAR"}, "category": "home"})),
        None,
    )
    .await;
    let categories: Value = app.get("/api/categories").await.json().await.unwrap();
    let counts: Vec<(String, u64)> = categories["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["slug"].as_str().unwrap().to_owned(), c["product_count"].as_u64().unwrap()))
        .collect();
    assert_eq!(counts, [("food".to_owned(), 6), ("beauty".to_owned(), 4), ("home".to_owned(), 4)], "drafts are not counted");

    let refused = assert_problem(send(&app, Method::DELETE, "/api/categories/home", None, None).await, 409, Some("reassign_to")).await;
    assert!(refused["detail"].as_str().unwrap().contains("5 product"), "{refused}");
    assert_problem(send(&app, Method::DELETE, "/api/categories/home?reassign_to=home", None, None).await, 400, Some("reassign_to")).await;
    assert_eq!(send(&app, Method::DELETE, "/api/categories/home?reassign_to=beauty", None, None).await.status(), 204);
    let beauty: Value = app.get("/api/categories/beauty").await.json().await.unwrap();
    assert_eq!(beauty["product_count"], 8);
    let moved: Value = app.get("/api/products/prayer-mat").await.json().await.unwrap();
    assert_eq!(moved["category"]["slug"], "beauty");
    app.stop().await;
}

/// The catalog's reads other than search declare no index: its housekeeping does, before
/// the host listens, so a fresh (or older) store has them before the first request.
#[tokio::test]
async fn the_catalogs_indexes_exist_before_the_first_request() {
    use shop_host::capabilities::documents::{Collection, Query, StoreError};
    let app =
        crate::helpers::spawn_app_with(crate::helpers::Options { env: vec![("SHOP_STORE_SHARED", "true".into())], ..Default::default() })
            .await;
    let store = crate::helpers::open_store_beside(&app).await;
    // A text search is refused on every backend when the collection has no text index.
    let products = Collection::parse("products").unwrap();
    let product = json!({"_id": "p1", "slug": "dates", "status": "published", "name": {"en": "Medjool Dates", "ar": "تمر مجدول"}});
    store.insert(&products, product.as_object().unwrap().clone()).await.unwrap();
    let search = Query { filter: Vec::new(), text: Some(vec!["dates".into()]), sort: Vec::new(), skip: 0, limit: 10 };
    let searched = store.find(&products, search).await;
    assert!(searched.as_ref().is_ok_and(|(found, _)| found.len() == 1), "{searched:?}");
    // The categories' unique slug is in force before any category was written.
    let categories = Collection::parse("categories").unwrap();
    let category = |id: &str| json!({"_id": id, "slug": "same", "name": {"en": id, "ar": id}}).as_object().unwrap().clone();
    store.insert(&categories, category("first")).await.unwrap();
    let second = store.insert(&categories, category("second")).await;
    assert!(matches!(second, Err(StoreError::Duplicate(_))), "{second:?}");
}

#[tokio::test]
async fn a_search_declares_the_text_index_a_fresh_store_lacks() {
    use shop_host::capabilities::documents::{Collection, Query};
    // No housekeeping and no write through the catalog: nothing has declared its indexes.
    let env = vec![("SHOP_STORE_SHARED", "true".into()), ("SHOP_HOUSEKEEPING_SECS", "0".into())];
    let app = crate::helpers::spawn_app_with(crate::helpers::Options { env, admin: false, ..Default::default() }).await;
    let store = crate::helpers::open_store_beside(&app).await;
    let products = Collection::parse("products").unwrap();
    let product = json!({
        "_id": "p1", "slug": "dates", "status": "published", "created_at": "2026-01-01T00:00:00Z",
        "name": {"en": "Medjool Dates", "ar": "تمر مجدول"}, "description": {"en": "Soft", "ar": "طري"},
    });
    store.insert(&products, product.as_object().unwrap().clone()).await.unwrap();
    let search = Query { filter: Vec::new(), text: Some(vec!["dates".into()]), sort: Vec::new(), skip: 0, limit: 10 };
    assert!(store.find(&products, search.clone()).await.is_err(), "the store has no text index yet");

    let page: Value = app.get(&format!("/api/products?q={}", urlencode("تمر"))).await.json().await.unwrap();
    assert_eq!((names(&page, "en"), page["total"].clone()), (vec!["Medjool Dates".to_owned()], json!(1)), "{page}");
    // The same handle as before: it sees the index the component declared since.
    let found = store.find(&products, search).await;
    assert!(found.as_ref().is_ok_and(|(items, _)| items.len() == 1), "the search declared the index: {found:?}");
    assert_eq!(names(&list(&app, "?q=medj").await, "en"), ["Medjool Dates"]);
    app.stop().await;
}
