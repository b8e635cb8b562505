//! The demo catalogue, seeded through the public API of a real host: complete, idempotent,
//! and searchable in both languages.

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, spawn_app};
use serde_json::Value;
use shop_host::demo::{SeedReport, seed};
use std::sync::atomic::{AtomicUsize, Ordering};

#[tokio::test]
async fn the_demo_catalogue_seeds_once_and_is_searchable() {
    let app = spawn_app().await;
    let base = format!("http://{}", app.addr);
    let calls = AtomicUsize::new(0);
    let first = seed(&base, ADMIN_EMAIL, ADMIN_PASSWORD, |done, total| {
        assert!(done <= total);
        calls.fetch_add(1, Ordering::Relaxed);
    })
    .await
    .unwrap();
    assert_eq!(first, SeedReport { created: 208, present: 0 });
    assert_eq!(calls.load(Ordering::Relaxed), 208, "progress after each request");
    let again = seed(&base, ADMIN_EMAIL, ADMIN_PASSWORD, |_, _| {}).await.unwrap();
    assert_eq!(again, SeedReport { created: 0, present: 208 });

    let products: Value = app.get("/api/products?per_page=24").await.json().await.unwrap();
    assert_eq!(products["total"], 200);
    assert_eq!(products["items"].as_array().unwrap().len(), 24);
    let categories: Value = app.get("/api/categories").await.json().await.unwrap();
    assert_eq!(categories["total"], 8);
    assert!(categories["items"].as_array().unwrap().iter().all(|c| c["product_count"].as_u64().unwrap() >= 24));
    let dates: Value = app.get("/api/products?q=%D8%AA%D9%85%D8%B1&per_page=100").await.json().await.unwrap(); // تمر
    assert!(dates["total"].as_u64().unwrap() >= 12, "{}", dates["total"]);
    let featured: Value = app.get("/api/products?featured=true&per_page=100").await.json().await.unwrap();
    assert!(featured["total"].as_u64().unwrap() >= 8);
    let wrong = seed(&base, ADMIN_EMAIL, "not the password", |_, _| {}).await.unwrap_err();
    assert!(wrong.to_string().contains("signing in"), "{wrong}");
    app.stop().await;
}
