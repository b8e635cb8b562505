//! The catalog service component: categories (and, with later work, products).
//!
//! It exports `wasi:http/incoming-handler` (through `wstd`) and owns `/api/categories*`.
//! It reaches the store only through the host's `shop:platform/documents` import.

mod access;
mod categories;

wit_bindgen::generate!({
    path: "../../wit",
    world: "catalog-core",
    with: { "shop:platform/documents@0.1.0": api_kit::documents },
    generate_all,
});

use api_kit::ApiResponse;
use shop_domain::Problem;
use wstd::http::{Body, Error, Request, Response};

#[wstd::http_server]
async fn main(request: Request<Body>) -> Result<Response<Body>, Error> {
    Ok(route(request).await.into_response())
}

/// Dispatches a request to its handler by path and method.
async fn route(request: Request<Body>) -> ApiResponse {
    let path = request.uri().path().trim_end_matches('/').to_owned();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    match segments.as_slice() {
        ["api", "categories"] => categories::collection(request).await,
        ["api", "categories", id] => {
            let id = (*id).to_owned();
            categories::item(request, &id).await
        }
        _ => ApiResponse::problem(Problem::not_found(format!("No catalog route matches {path}."))),
    }
}
