//! The host with its MongoDB unreachable: it starts, says it is not ready, and answers
//! requests that need the store with 503 problem+json (nothing listens on port 1).

use crate::helpers::{Options, TEST_JWT_SECRET, assert_problem, claims, forge, spawn_app_with};
use serde_json::json;

#[tokio::test]
async fn an_unreachable_mongodb_gives_503_not_a_crash() {
    let app = spawn_app_with(Options {
        env: vec![("MONGODB_URI", "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300".into())],
        // No admin can be made without a store.
        admin: false,
        ..Options::default()
    })
    .await;
    assert_eq!(app.get("/healthz").await.status(), 200, "alive");
    let ready = assert_problem(app.get("/readyz").await, 503, None).await;
    assert!(ready["detail"].as_str().unwrap().contains("mongodb"), "{ready}");
    assert_problem(app.get("/api/categories").await, 503, None).await;
    // A well-signed token still needs its user checked in the store: 503, not 401.
    let token =
        forge(&json!({"alg": "HS256", "typ": "JWT"}), &claims(&json!("someone"), "admin", u64::MAX / 2), Some(TEST_JWT_SECRET.as_bytes()));
    let create = app
        .client
        .post(app.url("/api/categories"))
        .bearer_auth(token)
        .json(&json!({"name": {"en": "Books", "ar": "كتب"}}))
        .send()
        .await
        .unwrap();
    assert_problem(create, 503, None).await;
    app.stop().await;
}
