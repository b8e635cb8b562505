//! The host's own error answers, as `application/problem+json`.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde_json::json;

/// An RFC 9457 problem answered by the host itself (the components build their own).
pub fn problem(status: StatusCode, kind: &str, title: &str, detail: impl Into<String>) -> Response {
    let body = json!({
        "type": format!("/problems/{kind}"),
        "title": title,
        "status": status.as_u16(),
        "detail": detail.into(),
    });
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    response
}
