//! The operator endpoints: versions loaded, and a swap on demand.

use crate::helpers::{built, install, spawn_app, variant};
use serde_json::Value;

#[tokio::test]
async fn the_operator_endpoint_reports_and_swaps() {
    let app = spawn_app().await;
    let admin = format!("http://{}", app.operator_addr);
    let unchanged: Value = app.client.post(format!("{admin}/components/catalog/reload")).send().await.unwrap().json().await.unwrap();
    assert_eq!(unchanged["outcome"], "unchanged");
    let bytes = variant(&built("components", "catalog"), 99);
    // Write without the watcher noticing first is not guaranteed; either path must land
    // on the new version, which the report then names.
    install(&app, "catalog", &bytes);
    let response = app.client.post(format!("{admin}/components/catalog/reload")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let status: Value = app.client.get(format!("{admin}/components")).send().await.unwrap().json().await.unwrap();
    let catalog = status.as_array().unwrap().iter().find(|s| s["id"] == "catalog").unwrap().clone();
    assert_eq!(catalog["version"], shop_host::runtime::engine::sha256_hex(&bytes));
    assert_eq!(app.get("/api/categories").await.status(), 200);
    let missing = app.client.post(format!("{admin}/components/nope/reload")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    app.stop().await;
}

#[tokio::test]
async fn operators_make_admins_but_never_promote_customers() {
    let app = spawn_app().await;
    let admins = format!("http://{}/accounts/admins", app.operator_addr);
    let made = app
        .client
        .post(&admins)
        .json(&serde_json::json!({"email": "Owner@Example.com", "password": "another long passphrase"}))
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 201);
    app.login("owner@example.com", "another long passphrase").await;
    // Again: confirmed, password unchanged.
    let again = app
        .client
        .post(&admins)
        .json(&serde_json::json!({"email": "owner@example.com", "password": "a different passphrase"}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 201);
    app.login("owner@example.com", "another long passphrase").await;
    // A customer's email is refused, and the weak password rules apply.
    app.post_json("/api/auth/register", &serde_json::json!({"email": "layla@example.com", "password": "correct horse battery"})).await;
    let promote = app
        .client
        .post(&admins)
        .json(&serde_json::json!({"email": "layla@example.com", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    let body = crate::helpers::assert_problem(promote, 422, None).await;
    assert!(body["detail"].as_str().unwrap().contains("never promoted"), "{body}");
    let weak = app.client.post(&admins).json(&serde_json::json!({"email": "x@example.com", "password": "short"})).send().await.unwrap();
    crate::helpers::assert_problem(weak, 422, None).await;
    app.stop().await;
}
