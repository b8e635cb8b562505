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

use http::{HeaderValue, Method, StatusCode, header};
use shop::platform::blobs;
use shop_domain::{Problem, blob_key, problem};
use wstd::http::{Body, Error, Request, Response};

fn answer(problem: Problem) -> Response<Body> {
    let mut response = Response::new(Body::from(problem.to_json()));
    *response.status_mut() = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(problem::CONTENT_TYPE));
    response
}

#[wstd::http_server]
async fn main(request: Request<Body>) -> Result<Response<Body>, Error> {
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        let mut response = answer(Problem::method_not_allowed("GET, HEAD"));
        response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return Ok(response);
    }
    let missing = || answer(Problem::not_found("There is no such upload."));
    let Some(key) = request.uri().path().strip_prefix("/uploads/") else { return Ok(missing()) };
    if !blob_key::is_valid(key) {
        return Ok(missing());
    }
    let etag = blob_key::etag(key);
    let revalidated = blob_key::is_fresh(request.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()), &etag);
    let bytes = match blobs::get(key) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return Ok(missing()),
        Err(_) => return Ok(answer(Problem::internal().with_detail("The file could not be read."))),
    };
    let length = bytes.len();
    let mut response = if revalidated || request.method() == Method::HEAD { Response::new(Body::empty()) } else { Response::new(Body::from(bytes)) };
    if revalidated {
        *response.status_mut() = StatusCode::NOT_MODIFIED;
    }
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(blob_key::content_type(key)));
    if !revalidated {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(blob_key::CACHE_CONTROL));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(blob_key::CONTENT_SECURITY_POLICY));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    Ok(response)
}
