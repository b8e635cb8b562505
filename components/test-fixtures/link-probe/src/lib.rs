//! Test fixture for cross-component links: installed in the catalog's slot, it answers every
//! request with what its `auth`, `media` and `config` imports returned, as JSON.

wit_bindgen::generate!({
    path: "../../../wit",
    world: "catalog-imports",
    generate_all,
});

use shop::platform::{auth, config, media};
use wstd::http::{Body, Error, Request, Response};

#[wstd::http_server]
async fn main(_request: Request<Body>) -> Result<Response<Body>, Error> {
    let auth = match auth::verify_token("not-a-token") {
        Ok(principal) => format!("ok: {}", principal.email),
        Err(auth::AuthError::Invalid(reason)) => format!("invalid: {reason}"),
        Err(other) => format!("error: {other:?}"),
    };
    let options = media::Options { widths: vec![320], quality: 80, max_bytes: 1 << 20, max_pixels: 1 << 24 };
    let media = match media::process_image(b"GIF89a".as_slice(), &options) {
        Ok(processed) => format!("ok: {}", processed.source_format),
        Err(media::MediaError::UnsupportedFormat(reason)) => format!("unsupported: {reason}"),
        Err(other) => format!("error: {other:?}"),
    };
    let body = serde_json::json!({
        "auth": auth,
        "media": media,
        "greeting": config::get("greeting"),
        "secret": config::get("secret"),
        "not_granted": config::get("other"),
    });
    Ok(Response::new(Body::from(body.to_string())))
}
