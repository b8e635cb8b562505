//! The host's own error answers: a [`shop_domain::Problem`] (the type the components answer
//! with too) as `application/problem+json`.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use shop_domain::Problem;

/// An RFC 9457 problem answered by the host itself, of the kind `/problems/{kind}`.
pub fn problem(status: StatusCode, kind: &str, title: &str, detail: impl Into<String>) -> Response {
    respond(&Problem::new(status.as_u16(), kind, title).with_detail(detail))
}

/// The answer for `problem`: its status, its JSON, `application/problem+json`.
pub fn respond(problem: &Problem) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, problem.to_json()).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(shop_domain::problem::CONTENT_TYPE));
    response
}
