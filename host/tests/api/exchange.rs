//! The two HTTP exports of a service component (`shop:platform/http-exchange`, which this
//! host calls, and `wasi:http/incoming-handler`, which Spin calls) give the same answers:
//! two hosts on one store, one calling each, are asked the same requests.

use crate::helpers::{Options, TestApp, spawn_in};
use reqwest::Method;
use serde_json::json;

/// Status, headers (but the ones that differ per request) and body of an answer.
async fn answer(app: &TestApp, method: Method, path: &str, token: Option<&str>, body: Option<&serde_json::Value>) -> String {
    let mut request = app.client.request(method.clone(), app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.unwrap();
    let mut headers: Vec<String> = response
        .headers()
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "date" | "x-request-id"))
        .map(|(name, value)| format!("{name}: {}", value.to_str().unwrap_or("<bytes>")))
        .collect();
    headers.sort();
    format!("{method} {path} -> {}\n{}\n{}", response.status(), headers.join("\n"), response.text().await.unwrap())
}

#[tokio::test]
async fn both_http_exports_answer_alike() {
    let root = tempfile::tempdir().unwrap();
    let shared = |exchange: &str| Options {
        env: vec![("SHOP_STORE_SHARED", "true".into()), ("SHOP_RESPONSE_CACHE", "off".into()), ("SHOP_HTTP_EXCHANGE", exchange.into())],
        ..Options::default()
    };
    let exchange = spawn_in(root.path(), &shared("on")).await;
    let wasi = spawn_in(root.path(), &shared("off")).await;
    let category = exchange.create_category("Coffee & tea", "قهوة وشاي", 1).await;
    let product = json!({
        "name": {"en": "Arabic coffee", "ar": "قهوة عربية"}, "description": {"en": "Cardamom.", "ar": "بالهيل."},
        "price": {"amount": 4500, "currency": "SAR"}, "stock": 3, "category": category["id"], "status": "published",
    });
    let created = exchange.admin_post_json("/api/products", &product).await;
    assert_eq!(created.status(), 201);
    let etag = exchange.get("/api/products?per_page=5").await.headers()["etag"].to_str().unwrap().to_owned();

    let token = exchange.admin_token.clone();
    let reads = [
        "/api/products?per_page=5",
        "/api/products?q=%D9%82%D9%87%D9%88%D8%A9",
        "/api/products/arabic-coffee",
        "/api/products/missing",
        "/api/products?per_page=zero&colour=red",
        "/api/categories",
        "/api/categories/coffee-tea",
        "/api/nothing/here",
        "/api/auth/me",
        "/api/users",
    ];
    for path in reads {
        for method in [Method::GET, Method::HEAD] {
            assert_eq!(answer(&exchange, method.clone(), path, None, None).await, answer(&wasi, method, path, None, None).await);
        }
    }
    let conditional = |app: &TestApp| app.client.get(app.url("/api/products?per_page=5")).header("if-none-match", &etag).send();
    let (a, b) = (conditional(&exchange).await.unwrap(), conditional(&wasi).await.unwrap());
    assert_eq!((a.status(), b.status()), (304.try_into().unwrap(), 304.try_into().unwrap()));
    // Signed in, refused and malformed writes.
    assert_eq!(
        answer(&exchange, Method::GET, "/api/auth/me", Some(&token), None).await,
        answer(&wasi, Method::GET, "/api/auth/me", Some(&token), None).await
    );
    let invalid = json!({"name": {"en": ""}, "price": {"amount": -1, "currency": "QQQ"}});
    for (method, path, token, body) in [
        (Method::POST, "/api/products", Some(token.as_str()), Some(&invalid)),
        (Method::POST, "/api/products", None, Some(&invalid)),
        (Method::PUT, "/api/categories/coffee-tea", Some(token.as_str()), Some(&json!({"name": "not an object"}))),
        (Method::DELETE, "/api/products", Some(token.as_str()), None),
    ] {
        assert_eq!(answer(&exchange, method.clone(), path, token, body).await, answer(&wasi, method, path, token, body).await);
    }
    // A write through the wasi:http one shows through the other.
    let renamed = wasi
        .as_admin(Method::PUT, "/api/categories/coffee-tea")
        .header("if-match", format!("\"{}\"", category["version"]))
        .json(&json!({"name": {"en": "Coffee", "ar": "قهوة"}, "sort_order": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status(), 200);
    let list = answer(&exchange, Method::GET, "/api/categories", None, None).await;
    assert!(list.contains("\"Coffee\""), "{list}");
    assert_eq!(list, answer(&wasi, Method::GET, "/api/categories", None, None).await);
    // Each host called the export it was told to.
    for (app, export) in [(&exchange, "http-exchange"), (&wasi, "wasi-http")] {
        let metrics = app.get("/metrics").await.text().await.unwrap();
        let calls = |export: &str| {
            let prefix = format!("shop_component_http_calls_total{{component=\"catalog\",export=\"{export}\"}} ");
            metrics.lines().find_map(|line| line.strip_prefix(&prefix)).and_then(|n| n.parse::<u64>().ok()).unwrap_or(0)
        };
        let other = if export == "http-exchange" { "wasi-http" } else { "http-exchange" };
        assert!(calls(export) >= reads.len() as u64, "{export}: {metrics}");
        assert_eq!(calls(other), 0, "{other}");
    }
    wasi.stop().await;
    exchange.stop().await;
}
