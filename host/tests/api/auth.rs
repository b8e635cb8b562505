//! Accounts and tokens through the real auth component.

use crate::helpers::{TEST_JWT_SECRET, TestApp, assert_problem, spawn_app};
use base64::Engine as _;
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn forge(header: Value, claims: Value, key: Option<&[u8]>) -> String {
    crate::helpers::forge(&header, &claims, key)
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

async fn post(app: &TestApp, path: &str, body: Value) -> reqwest::Response {
    app.post_json(path, &body).await
}

async fn me(app: &TestApp, token: &str) -> reqwest::Response {
    app.client.get(app.url("/api/auth/me")).bearer_auth(token).send().await.unwrap()
}

#[tokio::test]
async fn register_login_me_refresh_logout() {
    let app = spawn_app().await;

    // Register: the email is normalised; the password hash never shows.
    let registered = post(&app, "/api/auth/register", json!({"email": " Layla@Example.COM ", "password": PASSWORD})).await;
    assert_eq!(registered.status(), 201);
    let user: Value = registered.json().await.unwrap();
    assert_eq!((user["email"].as_str(), user["role"].as_str()), (Some("layla@example.com"), Some("customer")));
    assert!(user.get("password_hash").is_none());
    let duplicate = post(&app, "/api/auth/register", json!({"email": "layla@example.com", "password": PASSWORD})).await;
    assert_problem(duplicate, 409, Some("email")).await;
    let weak = post(&app, "/api/auth/register", json!({"email": "omar@example.com", "password": "short"})).await;
    let body = assert_problem(weak, 422, Some("password")).await;
    assert!(body.to_string().contains("at least 10 characters"), "{body}");
    let same = post(&app, "/api/auth/register", json!({"email": "omar@example.com", "password": "Omar@Example.com"})).await;
    assert_problem(same, 422, Some("password")).await;

    // Login.
    let login = post(&app, "/api/auth/login", json!({"email": "LAYLA@example.com", "password": PASSWORD})).await;
    assert_eq!(login.status(), 200);
    assert_eq!(login.headers()["cache-control"], "no-store");
    let session: Value = login.json().await.unwrap();
    let access = session["access_token"].as_str().unwrap().to_owned();
    let refresh = session["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(session["token_type"], "Bearer");

    // Me.
    let who: Value = me(&app, &access).await.json().await.unwrap();
    assert_eq!(who["email"], "layla@example.com");
    assert_problem(app.get("/api/auth/me").await, 401, None).await;

    // Refresh rotates: the new refresh token works, the old one is spent...
    let rotated = post(&app, "/api/auth/refresh", json!({"refresh_token": refresh})).await;
    assert_eq!(rotated.status(), 200);
    let rotated: Value = rotated.json().await.unwrap();
    let refresh2 = rotated["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(refresh2, refresh);
    assert_eq!(me(&app, rotated["access_token"].as_str().unwrap()).await.status(), 200);
    let refresh3: Value = post(&app, "/api/auth/refresh", json!({"refresh_token": refresh2})).await.json().await.unwrap();
    let refresh3 = refresh3["refresh_token"].as_str().unwrap().to_owned();
    // ...and reusing a spent one revokes the whole family, the newest token included.
    assert_problem(post(&app, "/api/auth/refresh", json!({"refresh_token": refresh})).await, 401, None).await;
    assert_problem(post(&app, "/api/auth/refresh", json!({"refresh_token": refresh3})).await, 401, None).await;

    // Logout revokes the session's family.
    let session: Value =
        post(&app, "/api/auth/login", json!({"email": "layla@example.com", "password": PASSWORD})).await.json().await.unwrap();
    let refresh = session["refresh_token"].as_str().unwrap();
    assert_eq!(post(&app, "/api/auth/logout", json!({"refresh_token": refresh})).await.status(), 204);
    assert_problem(post(&app, "/api/auth/refresh", json!({"refresh_token": refresh})).await, 401, None).await;
    assert_problem(post(&app, "/api/auth/refresh", json!({})).await, 422, Some("refresh_token")).await;
    app.stop().await;
}

#[tokio::test]
async fn failed_logins_do_not_reveal_which_emails_exist() {
    let app = spawn_app().await;
    post(&app, "/api/auth/register", json!({"email": "layla@example.com", "password": PASSWORD})).await;
    let wrong_password = post(&app, "/api/auth/login", json!({"email": "layla@example.com", "password": "not the password"})).await;
    let unknown_email = post(&app, "/api/auth/login", json!({"email": "nobody@example.com", "password": "not the password"})).await;
    assert_eq!(wrong_password.status(), 401);
    assert_eq!(unknown_email.status(), 401);
    assert_eq!(wrong_password.text().await.unwrap(), unknown_email.text().await.unwrap());
    app.stop().await;
}

#[tokio::test]
async fn forged_and_expired_tokens_are_refused() {
    let app = spawn_app().await;
    let user: Value =
        post(&app, "/api/auth/register", json!({"email": "layla@example.com", "password": PASSWORD})).await.json().await.unwrap();
    let session: Value =
        post(&app, "/api/auth/login", json!({"email": "layla@example.com", "password": PASSWORD})).await.json().await.unwrap();
    let valid = session["access_token"].as_str().unwrap();
    assert_eq!(me(&app, valid).await.status(), 200);

    let claims = |exp: u64| json!({"sub": user["id"], "email": "layla@example.com", "role": "admin", "iss": "shop", "aud": "shop", "iat": now(), "exp": exp});
    let hs256 = json!({"alg": "HS256", "typ": "JWT"});
    let key = TEST_JWT_SECRET.as_bytes();
    // The test's own signature with the server's key works: the forgeries below fail for
    // their defect alone.
    assert_eq!(me(&app, &forge(hs256.clone(), claims(now() + 60), Some(key))).await.status(), 200);
    let mut parts: Vec<String> = valid.split('.').map(str::to_owned).collect();
    parts[1] = b64(claims(now() + 60).to_string().as_bytes());
    let cases = [
        ("alg none", forge(json!({"alg": "none", "typ": "JWT"}), claims(now() + 60), None)),
        ("another algorithm", forge(json!({"alg": "HS512", "typ": "JWT"}), claims(now() + 60), Some(key))),
        ("wrong key", forge(hs256.clone(), claims(now() + 60), Some(b"someone-elses-key-0123456789abcdef"))),
        ("tampered claims", parts.join(".")),
        ("expired", forge(hs256.clone(), claims(now() - 1), Some(key))),
        (
            "wrong audience",
            forge(
                hs256.clone(),
                json!({"sub": user["id"], "email": "x", "role": "admin", "iss": "shop", "aud": "other", "iat": now(), "exp": now() + 60}),
                Some(key),
            ),
        ),
        ("garbage", "not-a-token".to_owned()),
    ];
    for (case, token) in cases {
        let response = me(&app, &token).await;
        assert_eq!(response.status(), 401, "{case}");
        assert_problem(response, 401, None).await;
    }
    app.stop().await;
}
