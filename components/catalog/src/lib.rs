//! The catalog service component: categories and products.
//!
//! It exports `wasi:http/incoming-handler` (through `wstd`) and owns `/api/categories*` and
//! `/api/products*`, dispatched by the table in `routes.txt`. It reaches the store only
//! through the host's `shop:platform/documents` import, and checks admins through
//! `shop:platform/auth`.

// A fuzz build exports no handler, so most of the crate is unused there.
#![cfg_attr(fuzzing, allow(dead_code))]

mod access;
mod caching;
mod categories;
/// Entry points for the fuzz targets under `fuzz/`: only under `cargo fuzz` (`--cfg fuzzing`).
#[cfg(fuzzing)]
pub mod fuzzing;
mod images;
mod products;
mod stored;

wit_bindgen::generate!({
    path: "../../wit",
    world: "catalog-core",
    with: { "shop:platform/documents@0.1.0": api_kit::documents },
    generate_all,
});

use api_kit::router;
use api_kit::{ApiResponse, if_match_version, query::QueryParams, read_json_object};
use shop_domain::Problem;
use shop_domain::catalog::ProductStatus;
use wstd::http::{Body, Request};

/// The routes this component serves (see `routes.txt`).
pub const ROUTES: &[router::Route<'static>] = api_kit::route_table!(include_str!("../routes.txt"));

/// Operations anyone may call; every other one needs an admin.
const PUBLIC: &[&str] = &["categories.list", "categories.read", "products.list", "products.read"];

/// The component's `housekeeping` export: declares the collections' indexes and settles
/// file changes a crash left unfinished.
struct Upkeep;

impl exports::shop::platform::housekeeping::Guest for Upkeep {
    fn run() -> Result<String, String> {
        // A data directory from a version with fewer indexes gets them before any write.
        stored::products::ensure_indexes().and_then(|()| stored::categories::ensure_indexes()).map_err(|problem| problem.to_json())?;
        let settled = images::Settings::load().and_then(|settings| images::sweep(&settings)).map_err(|problem| problem.to_json())?;
        Ok(format!("settled {settled} unfinished image file changes"))
    }
}

// A native fuzz build (`--cfg fuzzing`) links this crate's cdylib too, and no native linker
// takes the component model's export names (`shop:platform/…#…`): it exports nothing.
#[cfg(not(fuzzing))]
export!(Upkeep);

#[cfg(not(fuzzing))]
guest_http::export_http_handler!(serve);

/// Answers one request (a problem answer when the operation fails).
async fn serve(request: Request<Body>) -> guest_http::Answer {
    route(request).await.unwrap_or_else(ApiResponse::problem).into_answer()
}

/// Dispatches a request to its operation by the route table.
async fn route(mut request: Request<Body>) -> Result<ApiResponse, Problem> {
    let path = request.uri().path().to_owned();
    let matched = match router::resolve(ROUTES, request.method().as_str(), &path, "catalog") {
        Ok(matched) => matched,
        Err(answer) => return Ok(answer),
    };
    let operation = matched.operation;
    // Who may call is settled before a body is read.
    if !PUBLIC.contains(&operation) {
        access::require_admin(&request)?;
    }
    let category = matched.param("category").to_owned();
    let product = matched.param("product").to_owned();
    match operation {
        "categories.list" => categories::list(&request),
        "categories.create" => categories::create(read_json_object(&mut request).await?),
        "categories.read" => categories::read(&request, &category),
        "categories.replace" => {
            let if_match = if_match_version(&request)?;
            categories::update(&category, if_match, read_json_object(&mut request).await?)
        }
        "categories.delete" => {
            let mut params = QueryParams::parse(request.uri().query());
            let reassign_to = params.text("reassign_to");
            params.finish()?;
            categories::remove(&category, if_match_version(&request)?, reassign_to)
        }
        "products.list" => products::list(&request),
        "products.create" if api_kit::multipart::is_multipart(&request) => products::create_with_images(&mut request).await,
        "products.create" => products::create(read_json_object(&mut request).await?),
        "products.read" => products::read(&request, &product),
        "products.replace" | "products.update" => {
            let if_match = if_match_version(&request)?;
            let body = read_json_object(&mut request).await?;
            products::update(&product, if_match, body, operation == "products.update")
        }
        "products.delete" => products::delete(&product, if_match_version(&request)?),
        "products.publish" => products::set_status(&product, if_match_version(&request)?, ProductStatus::Published),
        "products.unpublish" => products::set_status(&product, if_match_version(&request)?, ProductStatus::Draft),
        "products.adjust_stock" => {
            let if_match = if_match_version(&request)?;
            products::adjust_stock(&product, if_match, read_json_object(&mut request).await?)
        }
        "products.images.add" => products::add_images(&mut request, &product).await,
        "products.images.reorder" => {
            let if_match = if_match_version(&request)?;
            products::reorder_images(&product, if_match, read_json_object(&mut request).await?)
        }
        "products.images.delete" => products::remove_image(&product, matched.param("image"), if_match_version(&request)?),
        _ => Err(Problem::internal()),
    }
}
