//! The public router: health endpoints, metrics, the API docs and uploads the host answers
//! itself, and every other request routed by the manifest to the component that owns it.

use crate::http::problem::{self, problem};
use crate::http::{api_docs, client_addr, cors};
use crate::manifest::Manifest;
use crate::runtime::Runtime;
use crate::runtime::serve::{CallError, handle_http};
use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::{HeaderValue, Method, StatusCode, Uri, header};
use http_body_util::Full;
use http_telemetry::RouteLabel;
use response_cache::Trace;
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;

/// The response header naming the component version that answered (for operators and the
/// hot-swap tests).
pub const VERSION_HEADER: &str = "x-component-version";

/// What every handler of the front shares.
#[derive(Clone)]
pub struct Front {
    /// The component runtime.
    pub runtime: Arc<Runtime>,
    /// The routes.
    pub manifest: Arc<Manifest>,
}

/// The routes the host answers itself, as `(method, path, operation id)`; components' routes
/// come from their own tables. The OpenAPI document must list exactly these (tested).
pub const HOST_ROUTES: &[(&str, &str, &str)] = &[
    ("GET", "/healthz", "health.live"),
    ("GET", "/readyz", "health.ready"),
    ("GET", "/api/openapi.json", "docs.openapi"),
    ("GET", "/api/docs", "docs.ui"),
    ("GET", "/api/docs/{asset}", "docs.asset"),
    ("GET", "/uploads/{*key}", "uploads.read"),
    ("GET", "/metrics", "ops.metrics"),
    ("GET", "/api/changes", "changes.poll"),
];

/// The public router.
pub fn router(front: Front) -> Router {
    let cors = cors::layer(&front.runtime.settings.allowed_origins);
    let mut router = Router::new();
    for (_, path, operation) in HOST_ROUTES {
        let handler = match *operation {
            "health.live" => get(healthz),
            "health.ready" => get(readyz),
            "docs.openapi" => get(api_docs::openapi),
            "docs.ui" => get(api_docs::page),
            "uploads.read" => get(crate::http::uploads::serve),
            "ops.metrics" => get(metrics),
            "changes.poll" => get(crate::changes::poll),
            _ => get(api_docs::asset),
        };
        router = router.route(path, handler.fallback(method_not_allowed));
    }
    let observe = axum::middleware::from_fn_with_state(front.runtime.metrics.http.clone(), http_telemetry::observe);
    let router = router.fallback(dispatch).with_state(front);
    let router = match cors {
        Some(cors) => router.layer(cors).layer(axum::middleware::map_response(cors::only_for_allowed_origins)),
        None => router,
    };
    // Outermost, so every answer is logged and counted, CORS preflights included.
    router.layer(axum::middleware::from_fn(refuse_long_uris)).layer(observe)
}

/// Another method than GET or HEAD on a route the host answers itself: 405 with `Allow`, as
/// a problem, like the components' own 405s.
async fn method_not_allowed() -> Response {
    let mut response = problem::respond(&shop_domain::Problem::method_not_allowed("GET, HEAD"));
    response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
    response
}

/// `/metrics`: Prometheus metrics. nginx does not route it; scrape each host directly.
async fn metrics(State(front): State<Front>) -> Response {
    front.runtime.metrics.render()
}

async fn healthz() -> Response {
    axum::Json(json!({ "status": "live" })).into_response()
}

async fn readyz(State(front): State<Front>) -> Response {
    let store = front.runtime.documents.backend();
    match front.runtime.documents.ping().await {
        Ok(()) => {
            let components: Vec<_> =
                front.runtime.slots.values().map(|slot| json!({ "id": slot.id, "version": slot.current().version })).collect();
            axum::Json(json!({ "status": "ready", "store": store, "components": components })).into_response()
        }
        Err(error) => {
            problem(StatusCode::SERVICE_UNAVAILABLE, "not-ready", "Not ready", format!("The {store} store is unreachable: {error}"))
        }
    }
}

/// Routes a request to its component.
async fn dispatch(State(front): State<Front>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let Some(route) = front.manifest.route(&path) else {
        return problem(StatusCode::NOT_FOUND, "not-found", "Not found", format!("Nothing is served at {path}."));
    };
    let route_label = if route.wildcard { format!("{}/...", route.base.trim_end_matches('/')) } else { route.base.clone() };
    let Some(slot) = front.runtime.slots.get(&route.component).cloned() else {
        return problem(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error", "The route's component is not loaded.");
    };
    let loaded = slot.current();
    // An anonymous read may be answered from memory, when nothing it was made from changed.
    let cache = front.runtime.responses.clone().filter(|_| response_cache::request_is_cacheable(request.method(), request.headers()));
    let path_and_query = request.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/").to_owned();
    if let Some(cache) = &cache
        && let Some(hit) = cache.lookup(&slot.id, &loaded.version, &path_and_query, request.method(), request.headers())
    {
        let mut response = Response::new(Body::from(hit.body));
        *response.status_mut() = hit.status;
        *response.headers_mut() = hit.headers;
        label_version(&mut response, &slot.id, &loaded.version);
        response.headers_mut().insert(CACHE_HEADER, HeaderValue::from_static("hit"));
        response.extensions_mut().insert(RouteLabel(route_label));
        return response;
    }
    let limit = front.runtime.settings.max_body_bytes;
    let (mut parts, body) = request.into_parts();
    // The client address components see is ours to say, never the client's.
    parts.headers.remove(client_addr::HEADER);
    if let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() {
        let client = client_addr::resolve(*peer, &parts.headers, &front.runtime.settings.trusted_proxies);
        if let Ok(value) = HeaderValue::from_str(&client) {
            parts.headers.insert(client_addr::HEADER, value);
        }
    }
    let declared = parts.headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return too_large(limit);
    }
    let bytes = match tokio::time::timeout(front.runtime.settings.body_timeout, axum::body::to_bytes(body, limit)).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(error)) if std::error::Error::source(&error).is_some_and(|s| s.is::<http_body_util::LengthLimitError>()) => {
            return too_large(limit);
        }
        Ok(Err(error)) => {
            return problem(StatusCode::BAD_REQUEST, "unreadable-body", "The request body could not be read", error.to_string());
        }
        Err(_) => return body_too_slow(front.runtime.settings.body_timeout),
    };
    // wasi:http needs an absolute URI; the authority comes from Host.
    let authority = parts.headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost").to_owned();
    parts.uri =
        Uri::builder().scheme("http").authority(authority.as_str()).path_and_query(path_and_query.as_str()).build().unwrap_or_else(|_| {
            Uri::builder().scheme("http").authority("localhost").path_and_query(path_and_query.as_str()).build().unwrap_or_default()
        });
    let is_get = parts.method == Method::GET;
    let request_headers = cache.as_ref().map(|_| parts.headers.clone());
    let request = hyper::Request::from_parts(parts, Full::new(bytes));
    let trace = cache.as_ref().map(|_| Arc::new(std::sync::Mutex::new(Trace::default())));
    let since = cache.as_ref().map(|c| c.versions.now()).unwrap_or_default();
    let version = loaded.version.clone();
    let mut response = match handle_http(&front.runtime, slot.id.as_str().into(), loaded, request, trace.clone()).await {
        Ok(answer) => {
            let (parts, body) = answer.into_parts();
            if let (Some(cache), Some(trace), Some(request_headers)) = (&cache, &trace, &request_headers) {
                cache.missed();
                if let Some(lifetime) = response_cache::lifetime(parts.status, &parts.headers).filter(|_| is_get) {
                    // The answer is whole, so the instance has done all its reads.
                    let traced = trace.lock().map(|t| t.clone()).unwrap_or(Trace { read: Vec::new(), uncacheable: true });
                    cache.store(
                        &slot.id,
                        &version,
                        &path_and_query,
                        request_headers,
                        &parts.headers,
                        body.clone(),
                        &traced,
                        since,
                        lifetime,
                    );
                }
            }
            let mut response = Response::from_parts(parts, Body::from(body));
            if cache.is_some() {
                response.headers_mut().insert(CACHE_HEADER, HeaderValue::from_static("miss"));
            }
            label_version(&mut response, &slot.id, &version);
            response
        }
        Err(error) => component_problem(&slot.id, &path, error),
    };
    response.extensions_mut().insert(RouteLabel(route_label));
    response
}

/// The response header saying whether an answer came from the response cache (`hit`) or
/// from a component (`miss`), on every anonymous read while the cache is on.
pub const CACHE_HEADER: &str = "x-cache";

/// Names the component version that answered.
fn label_version(response: &mut Response, component: &str, version: &str) {
    if let Ok(value) = HeaderValue::from_str(&format!("{component}@{}", &version[..12.min(version.len())])) {
        response.headers_mut().insert(VERSION_HEADER, value);
    }
}

/// A body that did not arrive in time: 408, and the connection closed (the rest of the
/// body is never read).
fn body_too_slow(timeout: std::time::Duration) -> Response {
    let mut response = problem(
        StatusCode::REQUEST_TIMEOUT,
        "request-timeout",
        "The request body arrived too slowly",
        format!("The whole body must arrive within {} s.", timeout.as_secs_f64()),
    );
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// The longest request target (path and query) served: nginx's default buffer for a
/// request line. Longer ones are answered 414; a head past
/// [`http_telemetry::serve::ConnectionLimits::max_head_bytes`] never gets this far (431).
pub const MAX_URI_BYTES: usize = 8 << 10;

/// Refuses a request whose target is longer than [`MAX_URI_BYTES`].
async fn refuse_long_uris(request: Request, next: axum::middleware::Next) -> Response {
    let length = request.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if length > MAX_URI_BYTES {
        return problem(
            StatusCode::URI_TOO_LONG,
            "uri-too-long",
            "The request's URI is too long",
            format!("Its path and query are {length} bytes; at most {MAX_URI_BYTES} are accepted."),
        );
    }
    next.run(request).await
}

fn too_large(limit: usize) -> Response {
    problem(StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large", "Request body too large", format!("The body may be at most {limit} bytes."))
}

fn component_problem(component: &str, path: &str, error: CallError) -> Response {
    match error {
        CallError::Deadline => {
            tracing::warn!(component, path, "request interrupted at the CPU deadline");
            problem(
                StatusCode::GATEWAY_TIMEOUT,
                "deadline-exceeded",
                "The request took too long",
                "It was stopped at its time limit. Try again later.",
            )
        }
        CallError::Overloaded => {
            tracing::warn!(component, path, "no instance slot free");
            let mut response =
                problem(StatusCode::SERVICE_UNAVAILABLE, "overloaded", "Too busy", "Too many requests are in progress. Try again shortly.");
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            response
        }
        CallError::Failed(reason) => {
            tracing::error!(component, path, reason, "component failed");
            problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "component-failed",
                "Internal error",
                "The request failed on our side. It has been logged; try again later.",
            )
        }
        CallError::Host(error) => {
            tracing::error!(component, path, error = format!("{error:#}"), "host failed to run a component");
            problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
                "The request failed on our side. It has been logged; try again later.",
            )
        }
    }
}
