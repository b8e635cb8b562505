//! The auth service component: `/api/auth/*`, `/api/users/*` and `shop:platform/auth`.
//!
//! Accounts, sign-in and tokens are the subject of their own issue; until it lands this
//! component answers its routes with 501 and refuses every token, so nothing can be
//! mistaken for a signed-in admin.

wit_bindgen::generate!({
    path: "../../wit",
    world: "auth-core",
    generate_all,
});

use exports::shop::platform::auth::{AuthError, Guest, Principal};
use shop_domain::{Problem, problem};
use wstd::http::{Body, Error, Request, Response};

struct Auth;

impl Guest for Auth {
    fn verify_token(_token: String) -> Result<Principal, AuthError> {
        Err(AuthError::Invalid("sign-in is not available yet".to_owned()))
    }
}

export!(Auth);

#[wstd::http_server]
async fn main(_request: Request<Body>) -> Result<Response<Body>, Error> {
    let problem = Problem::new(501, "not-implemented", "Not implemented")
        .with_detail("Accounts and sign-in are not available in this version of the shop.");
    let mut response = Response::new(Body::from(problem.to_json()));
    *response.status_mut() = http::StatusCode::NOT_IMPLEMENTED;
    response.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static(problem::CONTENT_TYPE));
    Ok(response)
}
