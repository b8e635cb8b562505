//! The host's own error answers: a [`shop_domain::Problem`] (the type the components answer
//! with too) as `application/problem+json`.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use shop_domain::Problem;

/// An RFC 9457 problem answered by the host itself, of the kind `/problems/{kind}`.
pub fn problem(status: StatusCode, kind: &str, title: &str, detail: impl Into<String>) -> Response {
    let body = Problem::new(status.as_u16(), kind, title).with_detail(detail).to_json();
    let mut response = (status, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(shop_domain::problem::CONTENT_TYPE));
    response
}
