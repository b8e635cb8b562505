//! `GET /uploads/{key}` under Spin: the files components stored through `blobs`.
//!
//! The native host serves this route itself; under `spin up` this component does, with the
//! same answers: keys name their content, so an answer is cacheable forever and the key is
//! its strong validator; a key that is not a valid blob key is 404 before any lookup.

wit_bindgen::generate!({
    path: "../../wit",
    world: "uploads-service",
    generate_all,
});

use guest_http::Answer;
use http::{HeaderName, HeaderValue, Method, header};
use shop::platform::blobs;
use shop_domain::blob_key::{self, BlobKey};
use shop_domain::{Problem, problem};
use wstd::http::{Body, Request};

guest_http::export_http_handler!(serve);

fn answer(problem: Problem) -> Answer {
    let body = problem.to_json().into_bytes();
    let headers = vec![
        (header::CONTENT_TYPE, HeaderValue::from_static(problem::CONTENT_TYPE)),
        (header::CONTENT_LENGTH, HeaderValue::from(body.len())),
    ];
    Answer { status: problem.status, headers, body }
}

/// Answers one request for an upload. `HEAD` gets `GET`'s head (the server drops its body).
async fn serve(request: Request<Body>) -> Answer {
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        let mut response = answer(Problem::method_not_allowed("GET, HEAD"));
        response.headers.push((header::ALLOW, HeaderValue::from_static("GET, HEAD")));
        return response;
    }
    let missing = || answer(Problem::not_found("There is no such upload."));
    let Some(key) = BlobKey::from_url(request.uri().path()) else { return missing() };
    let etag = key.etag();
    let revalidated = blob_key::is_fresh(request.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()), &etag);
    let bytes = match blobs::get(key.as_str()) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return missing(),
        Err(_) => return answer(Problem::internal().with_detail("The file could not be read.")),
    };
    let mut headers: Vec<(HeaderName, HeaderValue)> = vec![
        (header::CONTENT_TYPE, HeaderValue::from_static(key.content_type())),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (header::CACHE_CONTROL, HeaderValue::from_static(blob_key::CACHE_CONTROL)),
        (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(blob_key::CONTENT_SECURITY_POLICY)),
    ];
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.push((header::ETAG, value));
    }
    if revalidated {
        return Answer { status: 304, headers, body: Vec::new() };
    }
    headers.push((header::CONTENT_LENGTH, HeaderValue::from(bytes.len())));
    Answer { status: 200, headers, body: bytes }
}
