//! The API's documentation: the OpenAPI 3.1 document (compiled into the binary) at
//! `/api/openapi.json`, and Swagger UI at `/api/docs`, whose files come from the npm registry
//! at build time (`cargo xtask build`) and are served from `SHOP_API_DOCS_DIR`, so the page
//! works with no internet access.

use crate::http::problem::problem;
use crate::http::router::Front;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

/// The OpenAPI document of the whole API (`docs/api/openapi.json`).
pub const OPENAPI: &str = include_str!("../../../docs/api/openapi.json");

/// The Swagger UI files the page uses, with their media types.
const ASSETS: &[(&str, &str)] = &[
    ("swagger-ui.css", "text/css; charset=utf-8"),
    ("swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
    ("favicon-32x32.png", "image/png"),
    ("LICENSE", "text/plain; charset=utf-8"),
];

/// Starts Swagger UI on this API's document (a file, so a strict CSP needs no inline script).
const INITIALIZER: &str =
    "window.onload = () => { window.ui = SwaggerUIBundle({ url: '/api/openapi.json', dom_id: '#swagger-ui', deepLinking: true }); };\n";

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>shop API</title>
<link rel="stylesheet" href="/api/docs/swagger-ui.css">
<link rel="icon" type="image/png" href="/api/docs/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/api/docs/swagger-ui-bundle.js"></script>
<script src="/api/docs/swagger-initializer.js"></script>
</body>
</html>
"#;

fn with_type(body: impl IntoResponse, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response.headers_mut().insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

/// `GET /api/openapi.json`.
pub async fn openapi() -> Response {
    with_type(OPENAPI, "application/json")
}

fn missing(front: &Front) -> Response {
    problem(
        StatusCode::SERVICE_UNAVAILABLE,
        "docs-not-installed",
        "API documentation not installed",
        format!(
            "Swagger UI's files are not in {}; `cargo xtask build` installs them. The document itself is at /api/openapi.json.",
            front.runtime.settings.api_docs_dir.display()
        ),
    )
}

/// `GET /api/docs`.
pub async fn page(State(front): State<Front>) -> Response {
    if !front.runtime.settings.api_docs_dir.join("swagger-ui-bundle.js").is_file() {
        return missing(&front);
    }
    with_type(PAGE, "text/html; charset=utf-8")
}

/// `GET /api/docs/{asset}`: only the files the page uses, never a path.
pub async fn asset(State(front): State<Front>, Path(name): Path<String>) -> Response {
    if name == "swagger-initializer.js" {
        return with_type(INITIALIZER, "text/javascript; charset=utf-8");
    }
    let Some((file, content_type)) = ASSETS.iter().find(|(file, _)| *file == name) else {
        return problem(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            format!("/api/docs/{name} is not a file of the API documentation."),
        );
    };
    match tokio::fs::read(front.runtime.settings.api_docs_dir.join(file)).await {
        Ok(bytes) => {
            let mut response = with_type(bytes, content_type);
            response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
            response
        }
        Err(_) => missing(&front),
    }
}
