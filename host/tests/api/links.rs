//! Cross-component links: a catalog-world component's `auth` and `media` imports reach the
//! auth and media components, and `config` gives it only its own variables.

use crate::helpers::{Options, built, install, spawn_app_with};
use serde_json::Value;

const VARIABLES: &str = r#"
[variables.secret]
default = "from-the-manifest-default"

[component.catalog.variables]
greeting = "marhaba"
secret = "{{ secret }}"
"#;

#[tokio::test]
async fn catalog_imports_reach_the_auth_and_media_components() {
    let app = spawn_app_with(Options { extra_manifest: VARIABLES, ..Options::default() }).await;
    let probe = built("test-fixtures", "link-probe");
    let expected = shop_host::runtime::engine::sha256_hex(&probe);
    install(&app, "catalog", &probe);
    let reload = app.client.post(format!("http://{}/components/catalog/reload", app.operator_addr)).send().await.unwrap();
    assert_eq!(reload.status(), 200);
    let answer = app.get("/api/categories").await;
    assert_eq!(answer.headers()["x-component-version"], format!("catalog@{}", &expected[..12]));
    let body: Value = answer.json().await.unwrap();
    // These texts are produced inside the auth and media components.
    assert!(body["auth"].as_str().unwrap().starts_with("invalid: "), "{body}");
    assert_eq!(body["media"], "unsupported: not a JPEG, PNG or WebP image: it is a GIF");
    assert_eq!(body["greeting"], "marhaba");
    assert_eq!(body["secret"], "from-the-manifest-default");
    assert_eq!(body["not_granted"], Value::Null);
    app.stop().await;
}
