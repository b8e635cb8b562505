//! The OpenAPI document cannot drift from what the host serves: its operations are exactly
//! the host's own routes plus the route tables that dispatch each component, every one of
//! them answers, and Swagger UI is served offline.

use crate::helpers::{TestApp, project_root, spawn_app};
use reqwest::Method;
use serde_json::Value;
use shop_host::http::router::HOST_ROUTES;
use shop_host::manifest::HOST_NATIVE;
use std::collections::BTreeSet;

type Operation = (String, String, String);

/// What the host serves: its own routes, and each routed component's table.
fn served() -> BTreeSet<Operation> {
    let mut served: BTreeSet<Operation> =
        HOST_ROUTES.iter().map(|(m, p, o)| (m.to_string(), p.replace("{*", "{"), o.to_string())).collect();
    let manifest: toml::Value = toml::from_str(&std::fs::read_to_string(project_root().join("spin.toml")).unwrap()).unwrap();
    let triggers = manifest["trigger"]["http"].as_array().unwrap();
    // Spin-only components stand in for the host's own routes (already in HOST_ROUTES).
    let mut components: Vec<&str> =
        triggers.iter().map(|t| t["component"].as_str().unwrap()).filter(|c| !HOST_NATIVE.contains(c)).collect();
    components.dedup();
    for component in components {
        let prefixes: Vec<&str> = triggers
            .iter()
            .filter(|t| t["component"].as_str() == Some(component))
            .map(|t| t["route"].as_str().unwrap().trim_end_matches("/..."))
            .collect();
        let table = std::fs::read_to_string(project_root().join("components").join(component).join("routes.txt")).unwrap();
        for line in table.lines().map(|l| l.split('#').next().unwrap().trim()).filter(|l| !l.is_empty()) {
            let words: Vec<&str> = line.split_whitespace().collect();
            assert!(
                prefixes.iter().any(|p| words[1].starts_with(p)),
                "{component} routes {} but spin.toml sends it only {prefixes:?}",
                words[1]
            );
            served.insert((words[0].to_owned(), words[1].to_owned(), words[2].to_owned()));
        }
    }
    served
}

fn documented(doc: &Value) -> BTreeSet<Operation> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let id = operation["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            assert!(operation["responses"].as_object().is_some_and(|r| !r.is_empty()), "{id} documents no response");
            out.insert((method.to_uppercase(), path.clone(), id.to_owned()));
        }
    }
    out
}

fn check_refs(value: &Value, doc: &Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                let pointer = target.strip_prefix('#').unwrap_or_else(|| panic!("external $ref {target}"));
                assert!(doc.pointer(pointer).is_some(), "dangling $ref {target}");
            }
            map.values().for_each(|v| check_refs(v, doc));
        }
        Value::Array(items) => items.iter().for_each(|v| check_refs(v, doc)),
        _ => {}
    }
}

#[tokio::test]
async fn the_document_lists_exactly_what_the_host_serves() {
    let app = spawn_app().await;
    let response = app.get("/api/openapi.json").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let doc: Value = response.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    check_refs(&doc, &doc);

    let documented = documented(&doc);
    let served = served();
    let missing: Vec<_> = served.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&served).collect();
    assert!(missing.is_empty() && extra.is_empty(), "served but undocumented: {missing:?}\ndocumented but not served: {extra:?}");
    let ids: BTreeSet<_> = documented.iter().map(|(_, _, id)| id).collect();
    assert_eq!(ids.len(), documented.len(), "operation ids are unique");

    // Every operation is dispatched: no "no route" 404, no 405, no 500.
    for (method, path, id) in &served {
        let concrete = path.replace("{asset}", "swagger-ui.css").replace(['{', '}'], "");
        let response = app.as_admin(Method::from_bytes(method.as_bytes()).unwrap(), &concrete).send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        assert!(status != 405 && status < 500, "{id}: {method} {concrete} → {status} {text}");
        assert!(
            !(status == 404 && (text.contains("route matches") || text.contains("Nothing is served"))),
            "{id}: {method} {concrete} is not routed: {text}"
        );
    }
    app.stop().await;
}

async fn get_ok(app: &TestApp, path: &str, content_type: &str) -> Vec<u8> {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with(content_type), "{path}");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    response.bytes().await.unwrap().to_vec()
}

#[tokio::test]
async fn swagger_ui_is_served_without_the_internet() {
    let app = spawn_app().await;
    let page = String::from_utf8(get_ok(&app, "/api/docs", "text/html").await).unwrap();
    // Every script and stylesheet of the page is ours to serve.
    let elsewhere: Vec<&str> = page.split(['"', '\'']).filter(|s| s.starts_with("http") || s.starts_with("//")).collect();
    assert!(elsewhere.is_empty(), "the page loads {elsewhere:?} from elsewhere");
    for asset in ["swagger-ui.css", "swagger-ui-bundle.js", "swagger-initializer.js"] {
        assert!(page.contains(&format!("/api/docs/{asset}")), "{asset}");
    }
    assert!(get_ok(&app, "/api/docs/swagger-ui-bundle.js", "text/javascript").await.len() > 500_000);
    get_ok(&app, "/api/docs/swagger-ui.css", "text/css").await;
    let init = String::from_utf8(get_ok(&app, "/api/docs/swagger-initializer.js", "text/javascript").await).unwrap();
    assert!(init.contains("/api/openapi.json"));
    for bad in ["/api/docs/package.json", "/api/docs/..%2F..%2FCargo.toml", "/api/docs/index.html"] {
        assert_eq!(app.get(bad).await.status(), 404, "{bad}");
    }
    app.stop().await;
}
