//! User administration through the real auth component: listing, roles, disabling.

use crate::helpers::{ADMIN_EMAIL, TestApp, assert_problem, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";

async fn register(app: &TestApp, email: &str) -> Value {
    let response = app.post_json("/api/auth/register", &json!({"email": email, "password": PASSWORD})).await;
    assert_eq!(response.status(), 201, "registering {email}");
    response.json().await.unwrap()
}

async fn admin_get(app: &TestApp, path: &str) -> reqwest::Response {
    app.as_admin(Method::GET, path).send().await.unwrap()
}

async fn patch(app: &TestApp, id: &str, body: Value) -> reqwest::Response {
    app.as_admin(Method::PATCH, &format!("/api/users/{id}")).json(&body).send().await.unwrap()
}

#[tokio::test]
async fn admins_list_users_a_page_at_a_time_with_filters() {
    let app = spawn_app().await;
    for n in 0..24 {
        register(&app, &format!("shopper{n:02}@example.com")).await;
    }
    register(&app, "layla@example.org").await;

    let first: Value = admin_get(&app, "/api/users?per_page=10").await.json().await.unwrap();
    assert_eq!(first["total"], 26);
    assert_eq!(first["items"].as_array().unwrap().len(), 10);
    assert_eq!(first["links"]["next"], "/api/users?per_page=10&page=2");
    assert_eq!(first["links"]["last"], "/api/users?per_page=10&page=3");
    assert!(first["links"].get("prev").is_none());
    assert!(first["items"][0].get("password_hash").is_none());
    // Newest first: the last to register leads.
    assert_eq!(first["items"][0]["email"], "layla@example.org");

    // Walking the pages visits everyone once.
    let mut seen = std::collections::HashSet::new();
    let mut next = Some("/api/users?per_page=10".to_owned());
    while let Some(path) = next {
        let page: Value = admin_get(&app, &path).await.json().await.unwrap();
        for user in page["items"].as_array().unwrap() {
            assert!(seen.insert(user["id"].as_str().unwrap().to_owned()), "{user} listed twice");
        }
        next = page["links"]["next"].as_str().map(str::to_owned);
    }
    assert_eq!(seen.len(), 26);

    let admins: Value = admin_get(&app, "/api/users?role=admin").await.json().await.unwrap();
    assert_eq!(admins["total"], 1);
    assert_eq!(admins["items"][0]["email"], ADMIN_EMAIL);
    let prefix: Value = admin_get(&app, "/api/users?email=Shopper1").await.json().await.unwrap();
    assert_eq!(prefix["total"], 10, "shopper10 … shopper19");
    let enabled: Value = admin_get(&app, "/api/users?disabled=false&per_page=1").await.json().await.unwrap();
    assert_eq!(enabled["total"], 26);
    assert_eq!(enabled["page"], 1);
    let beyond: Value = admin_get(&app, "/api/users?page=9").await.json().await.unwrap();
    assert_eq!(beyond["items"].as_array().unwrap().len(), 0);
    assert_eq!(beyond["total"], 26);

    // Bad parameters are named, all at once.
    let bad = assert_problem(admin_get(&app, "/api/users?per_page=1000&role=owner&sort=email").await, 400, Some("per_page")).await;
    let fields: Vec<&str> = bad["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["per_page", "role", "sort"]);
    app.stop().await;
}

#[tokio::test]
async fn a_role_change_applies_to_tokens_already_issued() {
    let app = spawn_app().await;
    let layla = register(&app, "layla@example.com").await;
    let id = layla["id"].as_str().unwrap();
    let token = app.login("layla@example.com", PASSWORD).await;
    let as_layla = |path: &str| app.client.get(app.url(path)).bearer_auth(&token).send();
    assert_eq!(as_layla("/api/users").await.unwrap().status(), 403);

    let promoted = patch(&app, id, json!({"role": "admin"})).await;
    assert_eq!(promoted.status(), 200);
    let etag = promoted.headers()["etag"].to_str().unwrap().to_owned();
    let promoted: Value = promoted.json().await.unwrap();
    assert_eq!(promoted["role"], "admin");
    assert_eq!(format!("\"{}\"", promoted["version"]), etag);
    // The same token, issued while she was a customer, now carries admin rights …
    assert_eq!(as_layla("/api/users").await.unwrap().status(), 200);

    // … until she is demoted (with If-Match: a stale one is refused).
    let stale = app
        .as_admin(Method::PATCH, &format!("/api/users/{id}"))
        .header("if-match", "\"1\"")
        .json(&json!({"role": "customer"}))
        .send()
        .await
        .unwrap();
    assert_problem(stale, 409, None).await;
    let demoted = app
        .as_admin(Method::PATCH, &format!("/api/users/{id}"))
        .header("if-match", etag)
        .json(&json!({"role": "customer"}))
        .send()
        .await
        .unwrap();
    assert_eq!(demoted.status(), 200);
    assert_eq!(as_layla("/api/users").await.unwrap().status(), 403);
    app.stop().await;
}

#[tokio::test]
async fn disabling_a_user_stops_their_tokens_at_once() {
    let app = spawn_app().await;
    let layla = register(&app, "layla@example.com").await;
    let id = layla["id"].as_str().unwrap();
    let session: Value =
        app.post_json("/api/auth/login", &json!({"email": "layla@example.com", "password": PASSWORD})).await.json().await.unwrap();
    let access = session["access_token"].as_str().unwrap();
    let me = || app.client.get(app.url("/api/auth/me")).bearer_auth(access).send();
    assert_eq!(me().await.unwrap().status(), 200);

    let disabled: Value = patch(&app, id, json!({"disabled": true})).await.json().await.unwrap();
    assert_eq!(disabled["disabled"], true);
    assert_problem(me().await.unwrap(), 401, None).await;
    let refreshed = app.post_json("/api/auth/refresh", &json!({"refresh_token": session["refresh_token"]})).await;
    assert_problem(refreshed, 401, None).await;
    let login = app.post_json("/api/auth/login", &json!({"email": "layla@example.com", "password": PASSWORD})).await;
    assert_problem(login, 403, None).await;

    // Enabled again, she signs in afresh; the sessions of before stay revoked.
    assert_eq!(patch(&app, id, json!({"disabled": false})).await.status(), 200);
    let refreshed = app.post_json("/api/auth/refresh", &json!({"refresh_token": session["refresh_token"]})).await;
    assert_problem(refreshed, 401, None).await;
    app.login("layla@example.com", PASSWORD).await;
    app.stop().await;
}

#[tokio::test]
async fn user_changes_are_validated_and_admins_cannot_lock_themselves_out() {
    let app = spawn_app().await;
    let layla = register(&app, "layla@example.com").await;
    let id = layla["id"].as_str().unwrap();
    let me: Value = admin_get(&app, "/api/auth/me").await.json().await.unwrap();
    let admin_id = me["id"].as_str().unwrap();

    assert_problem(patch(&app, admin_id, json!({"role": "customer"})).await, 409, Some("role")).await;
    assert_problem(patch(&app, admin_id, json!({"disabled": true})).await, 409, Some("disabled")).await;
    let bad =
        assert_problem(patch(&app, id, json!({"role": "owner", "disabled": "yes", "email": "x@example.com"})).await, 422, Some("role"))
            .await;
    let fields: Vec<&str> = bad["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["role", "disabled", "email"]);
    assert_problem(patch(&app, id, json!({})).await, 422, None).await;
    assert_problem(patch(&app, "no-such-user", json!({"role": "admin"})).await, 404, None).await;
    assert_problem(admin_get(&app, "/api/users/no-such-user").await, 404, None).await;
    let wrong_method = app.as_admin(Method::DELETE, &format!("/api/users/{id}")).send().await.unwrap();
    assert_eq!(wrong_method.headers()["allow"], "GET, HEAD, PATCH");
    assert_problem(wrong_method, 405, None).await;
    // Nothing changed.
    let still: Value = admin_get(&app, &format!("/api/users/{id}")).await.json().await.unwrap();
    assert_eq!((still["role"].as_str(), still["disabled"].as_bool(), still["version"].as_u64()), (Some("customer"), Some(false), Some(1)));
    app.stop().await;
}
