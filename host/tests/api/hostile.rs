//! Clients that are slow, send too much or nest too deep: each gets a precise answer (or
//! its connection closed), and the host goes on serving everyone else.

use crate::helpers::{Options, assert_problem, spawn_app_with};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Sends `request` on a new connection and reads until the host closes it (at most 10 s).
async fn raw(addr: SocketAddr, request: &[u8]) -> String {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    // The host may answer (and close) before it has read everything: a write error is fine.
    let _ = tcp.write_all(request).await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).into_owned()
}

fn slow_options() -> Options {
    Options { env: vec![("SHOP_HEAD_TIMEOUT_MS", "700".into()), ("SHOP_BODY_TIMEOUT_MS", "700".into())], ..Options::default() }
}

#[tokio::test]
async fn a_client_that_never_finishes_its_head_is_disconnected_while_others_are_served() {
    let app = spawn_app_with(slow_options()).await;
    let mut slow = TcpStream::connect(app.addr).await.unwrap();
    slow.write_all(b"GET /api/products HTTP/1.1\r\nHost: shop\r\nX-Slow: ").await.unwrap();
    let started = Instant::now();
    // Meanwhile the host answers others.
    let response = app.client.get(app.url("/api/categories")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(10), slow.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "a half-sent head still holds its connection after 10 s");
    assert!(started.elapsed() >= Duration::from_millis(500), "closed before the deadline: {:?}", started.elapsed());
}

#[tokio::test]
async fn a_body_that_trickles_in_is_answered_408_and_nothing_is_stored() {
    let app = spawn_app_with(slow_options()).await;
    let mut tcp = TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST /api/categories HTTP/1.1\r\nHost: shop\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n",
        app.admin_token
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    tcp.write_all(br#"{"name": {"en": "Slow"#).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut answer))
        .await
        .expect("the host never answered")
        .expect("reading the answer");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("application/problem+json") && answer.contains("request-timeout"), "{answer}");
    let categories: serde_json::Value = app.client.get(app.url("/api/categories")).send().await.unwrap().json().await.unwrap();
    assert!(!categories.to_string().contains("Slow"), "{categories}");
}

#[tokio::test]
async fn oversized_heads_are_refused_with_their_own_statuses() {
    let app = spawn_app_with(Options::default()).await;
    // A long URI: 414 as a problem.
    let long = format!("/api/products?q={}", "a".repeat(20_000));
    let response = app.client.get(app.url(&long)).send().await.unwrap();
    assert_problem(response, 414, None).await;
    // 10,000 headers, or a 1 MB URI: the head is not even buffered, 431.
    let headers: String = (0..10_000).map(|i| format!("X-H{i}: v\r\n")).collect();
    let answer = raw(app.addr, format!("GET /api/products HTTP/1.1\r\nHost: shop\r\n{headers}\r\n").as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 431"), "{}", &answer[..answer.len().min(200)]);
    let answer = raw(app.addr, format!("GET /api/products?q={} HTTP/1.1\r\nHost: shop\r\n\r\n", "a".repeat(1 << 20)).as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 431"), "{}", &answer[..answer.len().min(200)]);
    // And the host is none the worse.
    assert_eq!(app.client.get(app.url("/api/products")).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn json_nested_ten_thousand_deep_is_a_400_from_every_component_that_reads_json() {
    let app = spawn_app_with(Options::default()).await;
    let arrays = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let objects = format!("{{\"name\":{}1{}}}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
    for body in [&arrays, &objects] {
        for path in ["/api/products", "/api/categories", "/api/auth/login", "/api/auth/register"] {
            let response = app
                .client
                .post(app.url(path))
                .bearer_auth(&app.admin_token)
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await
                .unwrap();
            let problem = assert_problem(response, 400, None).await;
            assert_eq!(problem["type"], "/problems/malformed-json", "{path}: {problem}");
        }
    }
    // The components are none the worse either.
    assert_eq!(app.client.get(app.url("/api/products")).send().await.unwrap().status(), 200);
}
