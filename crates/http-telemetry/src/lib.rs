//! What the shop's HTTP servers (the host and the storefront) share for operations:
//!
//! - [`observe`]: a middleware giving each request an id (`x-request-id`, kept when a proxy
//!   sent one), writing one structured log line per request and counting it in Prometheus
//!   metrics by method, route and status;
//! - [`HttpMetrics`] and [`render`]: the metrics and the `/metrics` answer (OpenMetrics text);
//! - [`logging::init`]: `tracing` to stderr, as text or JSON (`LOG_FORMAT=json`);
//! - [`serve`]: the serving loop, with a deadline and size caps for every request head;
//! - [`shutdown`]: SIGTERM / Ctrl-C, and a deadline for the requests in flight;
//! - [`health::probe`]: the binaries' `healthcheck` command, for containers.
#![deny(missing_docs)]

pub mod health;
pub mod logging;
pub mod serve;
pub mod shutdown;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderName, HeaderValue, StatusCode, header};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::time::Instant;

/// The header carrying a request's id, from the proxy in front (nginx's `$request_id`) or
/// made here, passed on to what serves the request and returned to the client.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The route a response counts under, set by a handler that dispatches by a table of its
/// own (the router's matched path says nothing for a fallback). Bounded: never a raw path.
#[derive(Clone, Debug)]
pub struct RouteLabel(pub String);

/// The labels of a request's metrics.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

/// Seconds: from a millisecond to ten seconds.
const LATENCY_BUCKETS: [f64; 13] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Request counts and latencies by method, route and status.
#[derive(Clone)]
pub struct HttpMetrics {
    requests: Family<RequestLabels, Counter>,
    latency: Family<RequestLabels, Histogram>,
}

impl HttpMetrics {
    /// Registers the request metrics (`http_requests_total`, `http_request_duration_seconds`)
    /// in `registry`.
    pub fn register(registry: &mut Registry) -> Self {
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RequestLabels, Histogram>::new_with_constructor(histogram as fn() -> Histogram);
        registry.register("http_requests", "HTTP requests answered, by method, route and status", requests.clone());
        registry.register("http_request_duration_seconds", "Time to the response head, by method, route and status", latency.clone());
        Self { requests, latency }
    }

    fn record(&self, labels: RequestLabels, seconds: f64) {
        self.latency.get_or_create(&labels).observe(seconds);
        self.requests.get_or_create(&labels).inc();
    }
}

fn histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// An id a proxy may hand us: short, visible ASCII only (it goes into logs and headers).
fn acceptable_id(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    !bytes.is_empty() && bytes.len() <= 128 && bytes.iter().all(|b| b.is_ascii_graphic())
}

/// Methods as a label: the standard ones, everything else as `other` (bounded).
fn method_label(method: &http::Method) -> String {
    match method.as_str() {
        m @ ("GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS") => m.to_owned(),
        _ => "other".to_owned(),
    }
}

/// The middleware: request id, one log line, metrics. Add it outermost (`Router::layer`
/// last) so it sees every answer, those of other layers included.
pub async fn observe(State(metrics): State<HttpMetrics>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = match request.headers().get(&REQUEST_ID) {
        Some(value) if acceptable_id(value) => value.clone(),
        _ => HeaderValue::from_str(&uuid::Uuid::now_v7().simple().to_string()).unwrap_or_else(|_| HeaderValue::from_static("-")),
    };
    request.headers_mut().insert(REQUEST_ID, id.clone());
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let matched = request.extensions().get::<MatchedPath>().map(|m| m.as_str().to_owned());
    let mut response = next.run(request).await;
    let elapsed = started.elapsed();
    let route = match response.extensions().get::<RouteLabel>() {
        Some(label) => label.0.clone(),
        None => matched.unwrap_or_else(|| "unmatched".to_owned()),
    };
    let status = response.status().as_u16();
    tracing::info!(
        target: "http",
        request_id = id.to_str().unwrap_or("-"),
        method = %method,
        path,
        route,
        status,
        duration_ms = elapsed.as_secs_f64() * 1000.0,
        "request"
    );
    metrics.record(RequestLabels { method: method_label(&method), route, status }, elapsed.as_secs_f64());
    response.headers_mut().insert(REQUEST_ID, id);
    response
}

/// The `/metrics` answer: every metric of `registry` in the OpenMetrics text format, which
/// Prometheus reads.
pub fn render(registry: &Registry) -> Response {
    let mut text = String::new();
    match prometheus_client::encoding::text::encode(&mut text, registry) {
        Ok(()) => ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// A registry shared by a server's handlers once every metric is registered.
pub type SharedRegistry = Arc<Registry>;

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt;

    fn app() -> (Router, SharedRegistry) {
        let mut registry = Registry::default();
        let metrics = HttpMetrics::register(&mut registry);
        let registry = Arc::new(registry);
        let router = Router::new()
            .route("/items/{id}", get(|| async { "item" }))
            .fallback(|| async {
                let mut response = (StatusCode::NOT_FOUND, "no").into_response();
                response.extensions_mut().insert(RouteLabel("/table/...".into()));
                response
            })
            .layer(axum::middleware::from_fn_with_state(metrics, observe));
        (router, registry)
    }

    async fn metrics_text(registry: &Registry) -> String {
        let response = render(registry);
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        String::from_utf8(body.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn requests_are_counted_by_route_template_and_status() {
        let (app, registry) = app();
        for path in ["/items/1", "/items/2", "/elsewhere"] {
            app.clone().oneshot(Request::get(path).body(Body::empty()).unwrap()).await.unwrap();
        }
        let text = metrics_text(&registry).await;
        assert!(text.contains(r#"http_requests_total{method="GET",route="/items/{id}",status="200"} 2"#), "{text}");
        assert!(text.contains(r#"http_requests_total{method="GET",route="/table/...",status="404"} 1"#), "{text}");
        assert!(text.contains(r#"http_request_duration_seconds_count{method="GET",route="/items/{id}",status="200"} 2"#), "{text}");
        assert!(!text.contains("/items/1"), "raw paths never become labels: {text}");
    }

    #[tokio::test]
    async fn a_proxy_request_id_is_kept_and_a_missing_one_is_made() {
        let (app, _) = app();
        let kept =
            app.clone().oneshot(Request::get("/items/1").header("x-request-id", "abc123").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(kept.headers()["x-request-id"], "abc123");
        let made = app.clone().oneshot(Request::get("/items/1").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(made.headers()["x-request-id"].len(), 32);
        let refused = app.oneshot(Request::get("/items/1").header("x-request-id", "two words").body(Body::empty()).unwrap()).await.unwrap();
        assert_ne!(refused.headers()["x-request-id"], "two words");
    }

    #[test]
    fn unusual_methods_share_one_label() {
        assert_eq!(method_label(&http::Method::from_bytes(b"BREW").unwrap()), "other");
        assert_eq!(method_label(&http::Method::PATCH), "PATCH");
    }
}
