//! The orders service component: carts, checkout and orders.
//!
//! It exports `wasi:http/incoming-handler` (through `wstd`) and owns `/api/cart*`,
//! `/api/checkout` and `/api/orders*`, dispatched by the table in `routes.txt`. It reaches
//! the store only through `shop:platform/documents` (it reads products there, and holds
//! their stock), and knows who calls through `shop:platform/auth`. Every route needs a
//! signed-in user; changing an order's status needs an admin. Payments go through
//! `shop:platform/payments` ([`payment`]).
//!
//! Stock is held in the product documents themselves, one versioned replace per product
//! (ADR 0018): see [`stock`].

mod access;
mod cart;
mod checkout;
mod mail;
mod orders;
mod payment;
mod stock;
mod stored;
mod upkeep;

wit_bindgen::generate!({
    path: "../../wit",
    world: "orders-core",
    with: { "shop:platform/documents@0.1.0": api_kit::documents },
    generate_all,
});

use api_kit::{ApiResponse, if_match_version, read_json_object, router};
use shop_domain::Problem;
use wstd::http::{Body, Request};

/// The routes this component serves (see `routes.txt`).
pub const ROUTES: &[router::Route<'static>] = api_kit::route_table!(include_str!("../routes.txt"));

/// The component's `housekeeping` export.
struct Upkeep;

impl exports::shop::platform::housekeeping::Guest for Upkeep {
    fn run() -> Result<String, String> {
        upkeep::run().map_err(|problem| problem.to_json())
    }
}

export!(Upkeep);

guest_http::export_http_handler!(serve);

/// Answers one request (a problem answer when the operation fails). Nothing here may be
/// kept by a shared cache: every answer is one user's.
async fn serve(request: Request<Body>) -> guest_http::Answer {
    route(request).await.unwrap_or_else(ApiResponse::problem).with_header(http::header::CACHE_CONTROL, "private, no-store").into_answer()
}

/// Dispatches a request to its operation by the route table.
async fn route(mut request: Request<Body>) -> Result<ApiResponse, Problem> {
    let path = request.uri().path().to_owned();
    let matched = match router::resolve(ROUTES, request.method().as_str(), &path, "orders") {
        Ok(matched) => matched,
        Err(answer) => return Ok(answer),
    };
    // Who calls is settled before a body is read.
    let caller = access::caller(&request)?;
    if matched.operation == "orders.transition" {
        caller.require_admin()?;
    }
    let order = matched.param("order").to_owned();
    match matched.operation {
        "cart.read" => cart::read(&caller),
        "cart.replace" => {
            let if_match = if_match_version(&request)?;
            cart::replace(&caller, if_match, read_json_object(&mut request).await?)
        }
        "cart.clear" => cart::clear(&caller),
        "cart.merge" => cart::merge(&caller, read_json_object(&mut request).await?),
        "checkout.create" => {
            let key = checkout::idempotency_key(&request)?;
            let language = checkout::preferred_language(&request);
            checkout::create(&caller, key, language, read_json_object(&mut request).await?)
        }
        "orders.list" => orders::list(&request, &caller),
        "orders.read" => orders::read(&caller, &order),
        "orders.cancel" => {
            let if_match = if_match_version(&request)?;
            orders::cancel(&caller, &order, if_match, read_optional_json_object(&mut request).await?)
        }
        "orders.pay" => orders::pay(&caller, &order, read_json_object(&mut request).await?),
        "orders.transition" => {
            let if_match = if_match_version(&request)?;
            orders::transition(&caller, &order, if_match, read_json_object(&mut request).await?)
        }
        _ => Err(Problem::internal()),
    }
}

/// A JSON object body, or an empty one when the request has none.
async fn read_optional_json_object(request: &mut Request<Body>) -> Result<serde_json::Map<String, serde_json::Value>, Problem> {
    let has_body = request.headers().contains_key(http::header::CONTENT_TYPE) || request.body().content_length().is_some_and(|len| len > 0);
    if has_body { read_json_object(request).await } else { Ok(serde_json::Map::new()) }
}
