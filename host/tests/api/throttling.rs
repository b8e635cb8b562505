//! Login throttling: per account and per client address, without revealing which emails exist.

use crate::helpers::{Options, TestApp, assert_problem, spawn_app, spawn_app_with};
use reqwest::{Client, Response};
use serde_json::{Value, json};
use std::net::IpAddr;

const PASSWORD: &str = "correct horse battery";

/// A client whose connections come from another loopback address (Linux routes all of 127/8).
fn client_from(ip: &str) -> Client {
    Client::builder().local_address(ip.parse::<IpAddr>().unwrap()).build().unwrap()
}

async fn login_from(app: &TestApp, client: &Client, email: &str, password: &str) -> Response {
    client.post(app.url("/api/auth/login")).json(&json!({"email": email, "password": password})).send().await.unwrap()
}

async fn login(app: &TestApp, email: &str, password: &str) -> Response {
    login_from(app, &app.client, email, password).await
}

/// Asserts a 429 with a sensible `Retry-After` and returns its body text.
async fn assert_throttled(response: Response) -> String {
    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=15 * 60).contains(&retry_after), "Retry-After {retry_after}");
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    response.text().await.unwrap()
}

#[tokio::test]
async fn five_failures_lock_an_account_whether_or_not_it_exists() {
    let app = spawn_app().await;
    app.post_json("/api/auth/register", &json!({"email": "layla@example.com", "password": PASSWORD})).await;
    for email in ["layla@example.com", "nobody@example.com"] {
        for attempt in 1..=5 {
            let response = login(&app, email, "not the password").await;
            assert_eq!(response.status(), 401, "{email} attempt {attempt}");
        }
    }
    // The sixth attempt is refused even with the right password, and an unknown email gets
    // the very same answer.
    let known = assert_throttled(login(&app, "Layla@Example.com", PASSWORD).await).await;
    let unknown = assert_throttled(login(&app, "nobody@example.com", PASSWORD).await).await;
    assert_eq!(known, unknown);
    // Other accounts are not affected.
    app.login(crate::helpers::ADMIN_EMAIL, crate::helpers::ADMIN_PASSWORD).await;
    app.stop().await;
}

#[tokio::test]
async fn a_successful_sign_in_forgives_earlier_failures() {
    let app = spawn_app().await;
    app.post_json("/api/auth/register", &json!({"email": "layla@example.com", "password": PASSWORD})).await;
    for round in 0..2 {
        for _ in 0..4 {
            assert_eq!(login(&app, "layla@example.com", "not the password").await.status(), 401, "round {round}");
        }
        assert_eq!(login(&app, "layla@example.com", PASSWORD).await.status(), 200, "round {round}");
    }
    app.stop().await;
}

#[tokio::test]
async fn twenty_failures_lock_a_client_address_and_spoofed_headers_do_not_help() {
    let app = spawn_app().await;
    let here = client_from("127.0.0.3");
    for n in 0..20 {
        let response = login_from(&app, &here, &format!("guess{n}@example.com"), "not the password").await;
        assert_eq!(response.status(), 401, "attempt {n}");
    }
    assert_throttled(login_from(&app, &here, "fresh@example.com", "not the password").await).await;
    // Claiming another address does not work: the peer is not a trusted proxy.
    let spoofed = here
        .post(app.url("/api/auth/login"))
        .header("x-forwarded-for", "198.51.100.1")
        .header("spin-client-addr", "198.51.100.1:1234")
        .json(&json!({"email": "fresh@example.com", "password": "not the password"}))
        .send()
        .await
        .unwrap();
    assert_throttled(spoofed).await;
    // Another address is not locked.
    let elsewhere = client_from("127.0.0.4");
    assert_eq!(login_from(&app, &elsewhere, "fresh@example.com", "not the password").await.status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_is_counted() {
    let options = Options { env: vec![("SHOP_TRUSTED_PROXIES", "127.0.0.0/8".into())], ..Options::default() };
    let app = spawn_app_with(options).await;
    let via_proxy = |client_ip: &'static str, n: u32| {
        app.client
            .post(app.url("/api/auth/login"))
            .header("x-forwarded-for", client_ip)
            .json(&json!({"email": format!("guess{n}@example.com"), "password": "not the password"}))
            .send()
    };
    for n in 0..20 {
        assert_eq!(via_proxy("198.51.100.1", n).await.unwrap().status(), 401);
    }
    assert_throttled(via_proxy("198.51.100.1", 99).await.unwrap()).await;
    assert_eq!(via_proxy("198.51.100.2", 99).await.unwrap().status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn malformed_sign_ins_are_refused_before_counting() {
    let app = spawn_app().await;
    for _ in 0..8 {
        let response = app.post_json("/api/auth/login", &json!({"email": "layla", "password": "x"})).await;
        assert_problem(response, 422, Some("email")).await;
    }
    let body: Value = login(&app, "layla@example.com", "not the password").await.json().await.unwrap();
    assert_eq!(body["status"], 401);
    app.stop().await;
}

#[tokio::test]
async fn parallel_guesses_at_one_account_cannot_pass_the_limit() {
    let app = spawn_app().await;
    app.post_json("/api/auth/register", &json!({"email": "layla@example.com", "password": PASSWORD})).await;
    let guesses = (0..12).map(|n| {
        let (client, url) = (app.client.clone(), app.url("/api/auth/login"));
        tokio::spawn(async move {
            client
                .post(url)
                .json(&json!({"email": "layla@example.com", "password": format!("guess number {n}")}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    });
    let mut statuses = Vec::new();
    for guess in guesses {
        statuses.push(guess.await.unwrap());
    }
    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert_eq!(checked, 5, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 401 || *s == 429), "{statuses:?}");
    app.stop().await;
}

#[tokio::test]
async fn housekeeping_deletes_what_no_longer_counts_so_the_sign_in_collections_stay_bounded() {
    use shop_host::capabilities::documents::{Collection, Query};
    let app = spawn_app_with(Options {
        env: vec![("SHOP_STORE_SHARED", "true".into()), ("SHOP_HOUSEKEEPING_SECS", "1".into())],
        ..Options::default()
    })
    .await;
    // Live records, made through the API: a failed sign-in counts against its account and
    // its address for 15 minutes.
    assert_eq!(login(&app, "someone@example.com", "wrong").await.status(), 401);
    let store = crate::helpers::open_store_beside(&app).await;
    let attempts = Collection::parse("login_attempts").unwrap();
    let tokens = Collection::parse("refresh_tokens").unwrap();
    let now_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
    let hour_ago = now_ms - 3_600_000;
    let object = |value: Value| value.as_object().unwrap().clone();
    // Many stale records (more than one round reads at once), marked and in the former
    // shape (no expires_ms); one in the former shape still in use; expired and live tokens.
    for n in 0..450 {
        let record = if n % 2 == 0 {
            json!({"_id": format!("acct_stale{n}"), "stamps": [hour_ago], "expires_ms": hour_ago + 900_000})
        } else {
            json!({"_id": format!("addr_former{n}"), "stamps": [hour_ago - 1, hour_ago]})
        };
        store.insert(&attempts, object(record)).await.unwrap();
    }
    store.insert(&attempts, object(json!({"_id": "acct_formerbutlive", "stamps": [now_ms - 1000]}))).await.unwrap();
    let now_s = now_ms / 1000;
    let token = |id: &str, expires_at: u64| {
        object(json!({"_id": id, "user_id": "u", "family": "f", "expires_at": expires_at, "used": true, "revoked": false}))
    };
    store.insert(&tokens, token("expired", now_s - 60)).await.unwrap();
    store.insert(&tokens, token("live", now_s + 3600)).await.unwrap();

    let all = |collection: &Collection| {
        let query = Query { filter: Vec::new(), text: None, sort: Vec::new(), skip: 0, limit: 1000 };
        let (collection, store) = (collection.clone(), &store);
        async move {
            let (items, _) = store.find(&collection, query).await.unwrap();
            let mut ids: Vec<String> =
                items.iter().map(|json| serde_json::from_str::<Value>(json).unwrap()["_id"].as_str().unwrap().to_owned()).collect();
            ids.sort();
            ids
        }
    };
    // One round sweeps the attempts, then the tokens: wait for both (on a slow store the
    // attempts can be gone while the same round's tokens are not yet).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut left = all(&attempts).await;
    while (left.len() > 3 || all(&tokens).await.contains(&"expired".to_owned())) && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        left = all(&attempts).await;
    }
    // What is left: the failed sign-in's account and address, and the live former record.
    assert_eq!(left.len(), 3, "{left:?}");
    assert!(left.contains(&"acct_formerbutlive".to_owned()), "{left:?}");
    assert_eq!(left.iter().filter(|id| id.starts_with("acct_")).count(), 2, "{left:?}");
    assert_eq!(left.iter().filter(|id| id.starts_with("addr_")).count(), 1, "{left:?}");
    let tokens_left = all(&tokens).await;
    assert!(!tokens_left.contains(&"expired".to_owned()) && tokens_left.contains(&"live".to_owned()), "{tokens_left:?}");

    // The throttle still counts what it kept: four more failures lock the account.
    for _ in 0..4 {
        assert_eq!(login(&app, "someone@example.com", "wrong").await.status(), 401);
    }
    assert_throttled(login(&app, "someone@example.com", "wrong").await).await;
}
