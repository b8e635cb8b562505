//! CORS at the host: only origins in `ALLOWED_ORIGINS` may call the API from a browser, with
//! credentials; preflights are answered before any component runs.

use crate::helpers::{Options, spawn_app, spawn_app_with};
use reqwest::Method;

const SHOP: &str = "https://shop.example";

#[tokio::test]
async fn listed_origins_get_credentials_and_others_get_nothing() {
    let options = Options { env: vec![("ALLOWED_ORIGINS", format!("{SHOP}, http://localhost:4000"))], admin: false, ..Options::default() };
    let app = spawn_app_with(options).await;
    let preflight = |origin: &'static str| {
        app.client
            .request(Method::OPTIONS, app.url("/api/users/abc"))
            .header("origin", origin)
            .header("access-control-request-method", "PATCH")
            .header("access-control-request-headers", "authorization, content-type, if-match")
            .send()
    };

    let allowed = preflight(SHOP).await.unwrap();
    assert!(allowed.status().is_success(), "{}", allowed.status());
    let headers = allowed.headers();
    assert_eq!(headers["access-control-allow-origin"], SHOP);
    assert_eq!(headers["access-control-allow-credentials"], "true");
    let methods = headers["access-control-allow-methods"].to_str().unwrap().to_ascii_uppercase();
    assert!(methods.contains("PATCH") && methods.contains("DELETE"), "{methods}");
    let allowed_headers = headers["access-control-allow-headers"].to_str().unwrap().to_ascii_lowercase();
    for needed in ["authorization", "content-type", "if-match"] {
        assert!(allowed_headers.contains(needed), "{allowed_headers}");
    }
    assert!(headers.contains_key("access-control-max-age"));

    let refused = preflight("https://evil.example").await.unwrap();
    assert!(!refused.headers().contains_key("access-control-allow-origin"));
    assert!(!refused.headers().contains_key("access-control-allow-credentials"));

    // Actual requests: the listed origin may read the answer (and the headers it needs) …
    let read = app.client.get(app.url("/api/categories")).header("origin", "http://localhost:4000").send().await.unwrap();
    assert_eq!(read.status(), 200);
    assert_eq!(read.headers()["access-control-allow-origin"], "http://localhost:4000");
    assert_eq!(read.headers()["access-control-allow-credentials"], "true");
    assert!(read.headers()["vary"].to_str().unwrap().to_ascii_lowercase().contains("origin"));
    let exposed = read.headers()["access-control-expose-headers"].to_str().unwrap().to_ascii_lowercase();
    assert!(exposed.contains("etag") && exposed.contains("retry-after"), "{exposed}");
    // … another may not (the browser blocks it for lack of the header).
    let other = app.client.get(app.url("/api/categories")).header("origin", "https://evil.example").send().await.unwrap();
    assert!(!other.headers().contains_key("access-control-allow-origin"));
    // An origin differing only by scheme or port is another origin.
    let http = app.client.get(app.url("/api/categories")).header("origin", "http://shop.example").send().await.unwrap();
    assert!(!http.headers().contains_key("access-control-allow-origin"));
    app.stop().await;
}

#[tokio::test]
async fn without_an_allowlist_there_are_no_cors_headers() {
    let app = spawn_app().await;
    let read = app.client.get(app.url("/api/categories")).header("origin", SHOP).send().await.unwrap();
    assert_eq!(read.status(), 200);
    assert!(!read.headers().contains_key("access-control-allow-origin"));
    app.stop().await;
}
