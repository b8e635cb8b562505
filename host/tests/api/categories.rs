//! Category CRUD through host → catalog component → embedded store.

use crate::helpers::{Options, assert_problem, spawn_app, spawn_in, store_backend};
use serde_json::{Value, json};

#[tokio::test]
async fn categories_round_trip() {
    let app = spawn_app().await;

    // Create: the slug comes from the English name.
    let created = app.create_category("Home & Garden", "المنزل والحديقة", 2).await;
    assert_eq!(created["slug"], "home-garden");
    assert_eq!(created["version"], 1);
    let id = created["id"].as_str().unwrap().to_owned();
    app.create_category("Books", "كتب", 1).await;

    // Read by id and by slug, with an ETag that starts with the version (and works as If-Match).
    let by_id = app.get(&format!("/api/categories/{id}")).await;
    assert_eq!(by_id.status(), 200);
    let read_etag = by_id.headers()["etag"].to_str().unwrap().to_owned();
    assert!(read_etag.starts_with("\"1-"), "{read_etag}");
    let by_slug: Value = app.get("/api/categories/home-garden").await.json().await.unwrap();
    assert_eq!(by_slug["id"], id);

    // List: by sort order.
    let list: Value = app.get("/api/categories").await.json().await.unwrap();
    assert_eq!(list["total"], 2);
    assert_eq!(list["items"][0]["slug"], "books");

    // Replace with If-Match; a second replace with the same (now stale) version conflicts.
    let update = json!({"name": {"en": "Garden", "ar": "الحديقة"}, "slug": "garden"});
    let response = app
        .client
        .put(app.url(&format!("/api/categories/{id}")))
        .bearer_auth(&app.admin_token)
        .header("if-match", &read_etag)
        .json(&update)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let updated: Value = response.json().await.unwrap();
    assert_eq!((updated["version"].as_u64(), updated["slug"].as_str(), updated["sort_order"].as_i64()), (Some(2), Some("garden"), Some(2)));
    let stale = app
        .client
        .put(app.url(&format!("/api/categories/{id}")))
        .bearer_auth(&app.admin_token)
        .header("if-match", "\"1\"")
        .json(&update)
        .send()
        .await
        .unwrap();
    assert_problem(stale, 409, None).await;
    // A version in the body works as well as If-Match.
    let with_field = json!({"name": {"en": "Garden", "ar": "الحديقة"}, "version": 2, "sort_order": 5});
    let response = app.client.put(app.url("/api/categories/garden")).bearer_auth(&app.admin_token).json(&with_field).send().await.unwrap();
    assert_eq!(response.status(), 200);

    // Delete with a stale version conflicts; without one it goes.
    let stale = app
        .client
        .delete(app.url(&format!("/api/categories/{id}")))
        .bearer_auth(&app.admin_token)
        .header("if-match", "\"1\"")
        .send()
        .await
        .unwrap();
    assert_problem(stale, 409, None).await;
    assert_eq!(
        app.client.delete(app.url(&format!("/api/categories/{id}"))).bearer_auth(&app.admin_token).send().await.unwrap().status(),
        204
    );
    assert_problem(app.get(&format!("/api/categories/{id}")).await, 404, None).await;
    assert_eq!(app.category_count().await, 1);
    app.stop().await;
}

#[tokio::test]
async fn bad_bodies_get_precise_problems_and_change_nothing() {
    let app = spawn_app().await;
    app.create_category("Books", "كتب", 0).await;
    let cases: Vec<(&str, &str, String, u16, Option<&str>)> = vec![
        ("malformed JSON", "application/json", "{\"name\": ".into(), 400, None),
        ("not an object", "application/json", "[1, 2]".into(), 422, None),
        ("missing name", "application/json", "{\"sort_order\": 1}".into(), 422, Some("name")),
        ("missing Arabic", "application/json", json!({"name": {"en": "Toys"}}).to_string(), 422, Some("name.ar")),
        ("wrong type", "application/json", json!({"name": {"en": "Toys", "ar": 7}}).to_string(), 422, Some("name.ar")),
        (
            "wrong sort type",
            "application/json",
            json!({"name": {"en": "Toys", "ar": "ألعاب"}, "sort_order": "first"}).to_string(),
            422,
            Some("sort_order"),
        ),
        ("oversized string", "application/json", json!({"name": {"en": "x".repeat(101), "ar": "ألعاب"}}).to_string(), 422, Some("name.en")),
        ("bad slug", "application/json", json!({"name": {"en": "Toys", "ar": "ألعاب"}, "slug": "Toys!"}).to_string(), 422, Some("slug")),
        (
            "unknown field",
            "application/json",
            json!({"name": {"en": "Toys", "ar": "ألعاب"}, "colour": "red"}).to_string(),
            422,
            Some("colour"),
        ),
        (
            "server-owned field",
            "application/json",
            json!({"name": {"en": "Toys", "ar": "ألعاب"}, "version": 3}).to_string(),
            422,
            Some("version"),
        ),
        ("no slug derivable", "application/json", json!({"name": {"en": "!!!", "ar": "ألعاب"}}).to_string(), 422, Some("slug")),
        ("not JSON at all", "text/plain", "name=Toys".into(), 415, None),
        ("body too large", "application/json", format!("{{\"name\": {{\"en\": \"{}\"}}}}", "x".repeat(70_000)), 413, None),
    ];
    for (case, content_type, body, status, field) in cases {
        let response = app.admin_post_raw("/api/categories", content_type, body).await;
        assert_eq!(response.status(), status, "{case}");
        assert_problem(response, status, field).await;
    }
    // A duplicate slug is a conflict that names the field.
    let duplicate = app.admin_post_json("/api/categories", &json!({"name": {"en": "Books", "ar": "كتب"}})).await;
    assert_problem(duplicate, 409, Some("slug")).await;
    // An update that does not say which version it replaces is refused.
    let blind = app
        .client
        .put(app.url("/api/categories/books"))
        .bearer_auth(&app.admin_token)
        .json(&json!({"name": {"en": "B", "ar": "ب"}}))
        .send()
        .await
        .unwrap();
    assert_problem(blind, 428, None).await;
    let bad_etag = app
        .client
        .put(app.url("/api/categories/books"))
        .bearer_auth(&app.admin_token)
        .header("if-match", "soon")
        .json(&json!({"name": {"en": "B", "ar": "ب"}}))
        .send()
        .await
        .unwrap();
    assert_problem(bad_etag, 400, Some("If-Match")).await;
    // Unknown methods and routes.
    let patch = app.client.patch(app.url("/api/categories")).send().await.unwrap();
    assert_eq!(patch.headers()["allow"], "GET, HEAD, POST");
    assert_problem(patch, 405, None).await;
    assert_problem(app.get("/api/nothing-here").await, 404, None).await;

    // Nothing changed.
    let list: Value = app.get("/api/categories").await.json().await.unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["name"]["en"], "Books");
    assert_eq!(list["items"][0]["version"], 1);
    app.stop().await;
}

#[tokio::test]
async fn the_host_limits_body_size_before_any_component_runs() {
    let app = spawn_app_with_small_body_limit().await;
    let response = app.admin_post_raw("/api/categories", "application/json", vec![b' '; 2048]).await;
    assert_problem(response, 413, None).await;
    app.stop().await;
}

async fn spawn_app_with_small_body_limit() -> crate::helpers::TestApp {
    crate::helpers::spawn_app_with(Options { env: vec![("SHOP_MAX_BODY_BYTES", "1024".into())], ..Options::default() }).await
}

#[tokio::test]
async fn data_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_in(dir.path(), &Options::default()).await;
    let created = app.create_category("Toys", "ألعاب", 3).await;
    app.stop().await;

    let app = spawn_in(dir.path(), &Options::default()).await;
    let read: Value = app.get(&format!("/api/categories/{}", created["id"].as_str().unwrap())).await.json().await.unwrap();
    assert_eq!(read, created);
    // Indexes survive too: the slug is still unique.
    let duplicate = app.admin_post_json("/api/categories", &json!({"name": {"en": "Toys", "ar": "ألعاب"}})).await;
    assert_problem(duplicate, 409, Some("slug")).await;
    app.stop().await;
}

#[tokio::test]
async fn health_and_readiness() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz").await.status(), 200);
    let ready: Value = app.get("/readyz").await.json().await.unwrap();
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["store"], store_backend());
    let mut ids: Vec<&str> = ready["components"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    ids.sort();
    assert_eq!(
        ids,
        ["auth", "catalog", "media", "orders", "payments-cash-on-delivery", "payments-test-card"],
        "every component of the manifest is loaded"
    );
    app.stop().await;
}
