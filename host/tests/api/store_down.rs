//! The host with its MongoDB unreachable: it starts, says it is not ready, and answers
//! requests that need the store with 503 problem+json (nothing listens on port 1).

use crate::helpers::{Options, assert_problem, spawn_app_with};
use serde_json::json;

#[tokio::test]
async fn an_unreachable_mongodb_gives_503_not_a_crash() {
    let app = spawn_app_with(Options {
        env: vec![("MONGODB_URI", "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300".into())],
        ..Options::default()
    })
    .await;
    assert_eq!(app.get("/healthz").await.status(), 200, "alive");
    let ready = assert_problem(app.get("/readyz").await, 503, None).await;
    assert!(ready["detail"].as_str().unwrap().contains("mongodb"), "{ready}");
    assert_problem(app.get("/api/categories").await, 503, None).await;
    let create = app.post_json("/api/categories", &json!({"name": {"en": "Books", "ar": "كتب"}})).await;
    assert_problem(create, 503, None).await;
    app.stop().await;
}
