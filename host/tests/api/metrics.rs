//! `/metrics`: Prometheus metrics of what the host did, by route and status; and the
//! request id every answer carries.

use crate::helpers::{built, install, spawn_app, store_backend, variant};

/// The value of one sample line (`name{labels} value`), 0 when absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines().find_map(|line| line.strip_prefix(series).and_then(|rest| rest.trim().parse().ok())).unwrap_or(0.0)
}

async fn metrics(app: &crate::helpers::TestApp) -> String {
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/openmetrics-text"));
    response.text().await.unwrap()
}

#[tokio::test]
async fn requests_instances_swaps_and_store_errors_are_counted() {
    let app = spawn_app().await;
    let before = metrics(&app).await;
    for _ in 0..3 {
        assert_eq!(app.get("/api/categories").await.status(), 200);
    }
    assert_eq!(app.get("/api/products/no-such-product").await.status(), 404);
    assert_eq!(app.get("/nowhere").await.status(), 404);
    // A stale write: the store reports a conflict.
    let category = app.create_category("Rugs", "سجاد", 1).await;
    let path = format!("/api/categories/{}", category["id"].as_str().unwrap());
    let body = |order: i64| serde_json::json!({"name": {"en": "Rugs", "ar": "سجاد"}, "sort_order": order, "version": 1});
    assert_eq!(app.as_admin(reqwest::Method::PUT, &path).json(&body(2)).send().await.unwrap().status(), 200);
    assert_eq!(app.as_admin(reqwest::Method::PUT, &path).json(&body(3)).send().await.unwrap().status(), 409);
    // A refused swap.
    install(&app, "catalog", b"not a component");
    let admin = format!("http://{}", app.operator_addr);
    let _ = app.client.post(format!("{admin}/components/catalog/reload")).send().await.unwrap();
    install(&app, "catalog", &variant(&built("components", "catalog"), 7));
    let _ = app.client.post(format!("{admin}/components/catalog/reload")).send().await.unwrap();

    let after = metrics(&app).await;
    let grew = |series: &str| sample(&after, series) - sample(&before, series);
    assert_eq!(grew(r#"shop_http_requests_total{method="GET",route="/api/categories/...",status="200"}"#), 3.0, "{after}");
    assert_eq!(grew(r#"shop_http_requests_total{method="GET",route="/api/products/...",status="404"}"#), 1.0, "{after}");
    assert_eq!(grew(r#"shop_http_requests_total{method="GET",route="unmatched",status="404"}"#), 1.0, "{after}");
    assert_eq!(grew(r#"shop_http_request_duration_seconds_count{method="GET",route="/api/categories/...",status="200"}"#), 3.0, "{after}");
    assert!(grew(r#"shop_component_instantiations_total{component="catalog"}"#) >= 4.0, "{after}");
    assert!(grew(r#"shop_component_instantiations_total{component="auth"}"#) >= 2.0, "catalog writes verify tokens through auth: {after}");
    let conflicts = format!(r#"shop_store_errors_total{{backend="{}",operation="replace",kind="conflict"}}"#, store_backend());
    assert!(grew(&conflicts) >= 1.0, "{after}");
    // The watcher may notice the file before the operator call does: once or twice.
    assert!(grew(r#"shop_component_swaps_total{component="catalog",outcome="refused"}"#) >= 1.0, "{after}");
    assert_eq!(grew(r#"shop_component_swaps_total{component="catalog",outcome="swapped"}"#), 1.0, "{after}");
    assert!(!after.contains("no-such-product"), "raw paths never become labels");
    app.stop().await;
}

#[tokio::test]
async fn every_answer_carries_a_request_id_and_a_proxy_s_id_is_kept() {
    let app = spawn_app().await;
    let made = app.get("/api/categories").await;
    let id = made.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(id.len(), 32);
    assert_ne!(app.get("/api/categories").await.headers()["x-request-id"].to_str().unwrap(), id, "a new id per request");
    let kept = app.client.get(app.url("/api/categories")).header("x-request-id", "nginx-7f3a").send().await.unwrap();
    assert_eq!(kept.headers()["x-request-id"], "nginx-7f3a");
    let problem = app.get("/nowhere").await;
    assert!(problem.headers().contains_key("x-request-id"), "errors too");
    app.stop().await;
}

#[tokio::test]
async fn catalogue_reads_fit_in_the_catalog_s_initial_memory_and_growth_is_counted() {
    let app = crate::helpers::spawn_app_with(crate::helpers::Options {
        extra_manifest: crate::helpers::FIXTURE_ROUTES,
        env: vec![("SHOP_MEMORY_LIMIT_MB", "32".into())],
        ..Default::default()
    })
    .await;
    let base = format!("http://{}", app.addr);
    shop_host::demo::seed(&base, crate::helpers::ADMIN_EMAIL, crate::helpers::ADMIN_PASSWORD, |_, _| {}).await.unwrap();
    let before = metrics(&app).await;
    // The shopper's reads, the largest page included: growing memory on each would cost
    // page-protection changes (TLB shootdowns) on every request.
    for path in
        ["/api/products?per_page=24", "/api/products?per_page=100", "/api/products?per_page=24&q=%D8%AA%D9%85%D8%B1", "/api/categories"]
    {
        assert_eq!(app.get(path).await.status(), 200, "{path}");
    }
    let products: serde_json::Value = app.get("/api/products?per_page=1&sort=price_desc").await.json().await.unwrap();
    let slug = products["items"][0]["slug"].as_str().unwrap();
    assert_eq!(app.get(&format!("/api/products/{slug}")).await.status(), 200);
    // A component that allocates until its cap grows its memory, and that is counted.
    assert_eq!(app.get("/fixture/hog").await.status(), 500);
    let after = metrics(&app).await;
    let grew = |series: &str| sample(&after, series) - sample(&before, series);
    assert_eq!(grew(r#"shop_component_memory_grows_total{component="catalog"}"#), 0.0, "{after}");
    assert!(grew(r#"shop_component_memory_grows_total{component="misbehave"}"#) >= 1.0, "{after}");
    app.stop().await;
}
