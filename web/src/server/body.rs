//! A request body must arrive whole, and in time, before a route sees it: a client that
//! sends a head and then trickles its body (or stops) would otherwise hold a connection and
//! a task for as long as it likes. The head has its own deadline (`WEB_HEAD_TIMEOUT_MS`,
//! in the serving loop).

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use std::time::Duration;

/// How long a body may take, and how large it may be.
#[derive(Debug, Clone, Copy)]
pub struct BodyRules {
    /// `WEB_BODY_TIMEOUT_MS`.
    pub timeout: Duration,
    /// `WEB_MAX_BODY_BYTES`.
    pub limit: usize,
}

/// Reads a request's whole body within [`BodyRules::timeout`], then hands the request on:
/// 408 and the connection closed when it is too slow (the rest is never read), 413 when
/// it is larger than the limit. A request without a body passes straight through.
pub async fn read_in_time(State(rules): State<BodyRules>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    if !headers.contains_key(header::CONTENT_LENGTH) && !headers.contains_key(header::TRANSFER_ENCODING) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    match tokio::time::timeout(rules.timeout, axum::body::to_bytes(body, rules.limit)).await {
        Ok(Ok(bytes)) => next.run(Request::from_parts(parts, Body::from(bytes))).await,
        Ok(Err(error)) if std::error::Error::source(&error).is_some_and(|s| s.is::<http_body_util::LengthLimitError>()) => {
            (StatusCode::PAYLOAD_TOO_LARGE, "The request body is too large.\n").into_response()
        }
        Ok(Err(_)) => (StatusCode::BAD_REQUEST, "The request body could not be read.\n").into_response(),
        Err(_) => {
            let message = format!("The request body arrived too slowly: it must arrive within {} s.\n", rules.timeout.as_secs_f64());
            let mut response = (StatusCode::REQUEST_TIMEOUT, message).into_response();
            response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            response
        }
    }
}
