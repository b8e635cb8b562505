//! `GET /uploads/{key}`: the files components stored through `blobs`, served by the host.
//!
//! Keys are content-addressed (a new image is a new name), so answers are cacheable
//! forever. A key is checked before it touches the file system: anything that is not a
//! valid blob key (`..`, absolute paths, hidden files, upper case, encoded slashes) is 404.

use crate::http::problem::problem;
use crate::http::router::Front;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use shop_domain::blob_key::{self, BlobKey};

/// Serves one upload (GET and HEAD).
pub async fn serve(State(front): State<Front>, Path(key): Path<String>, headers: HeaderMap) -> Response {
    let missing = || problem(StatusCode::NOT_FOUND, "not-found", "Not found", "There is no such upload.");
    let Ok(key) = BlobKey::parse(key) else { return missing() };
    let etag = key.etag();
    let matches = blob_key::is_fresh(headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()), &etag);
    let bytes = match front.runtime.blobs.get(&key).await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return missing(),
        Err(error) => {
            tracing::error!(%key, %error, "reading an upload failed");
            return problem(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error", "The file could not be read.");
        }
    };
    let mut response = if matches { StatusCode::NOT_MODIFIED.into_response() } else { Body::from(bytes).into_response() };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(key.content_type()));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(blob_key::CACHE_CONTROL));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(blob_key::CONTENT_SECURITY_POLICY));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    response
}
