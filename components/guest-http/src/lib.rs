//! Exports a component's `wasi:http/incoming-handler`.
//!
//! `wstd`'s `#[http_server]` macro unwraps the result of writing the response body, so a
//! client that leaves before the body is written (a closed connection, a `HEAD` whose body
//! the server discards, as Spin does) panics the guest and the runtime logs a trap. Here
//! the handler produces a whole [`Answer`], which is written out and, if the other side is
//! gone, dropped: a client leaving early is normal.
//!
//! The same handler is also exported as `shop:platform/http-exchange`: the request in whole
//! and the answer out whole, in one call. The shop's host calls that one when a component
//! has it (see ADR 0015); Spin calls `wasi:http/incoming-handler`.

#![deny(missing_docs)]

use http::{HeaderName, HeaderValue};

/// The `shop:platform/http-exchange` export, generated once for every component (its
/// `export!` macro is [`export_http_handler!`]'s).
#[doc(hidden)]
pub mod exchange {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "http-exchange-service",
        pub_export_macro: true,
        export_macro_name: "export_http_exchange",
        default_bindings_module: "::guest_http::exchange",
    });
    pub use exports::shop::platform::http_exchange::{Guest, Request, Response};
}
use wasip2::http::types::{Fields, IncomingRequest, OutgoingBody, OutgoingResponse, ResponseOutparam};
use wstd::http::{Body, Request};

/// A whole HTTP answer: status, headers and body bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// The headers, in order (a name may repeat).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// The body.
    pub body: Vec<u8>,
}

/// Serves one request: reads it, runs `handler` on wstd's runtime, and writes its answer.
/// Call it from an `incoming_handler::Guest::handle` (see [`export_http_handler!`]).
pub fn serve<F, Fut>(incoming: IncomingRequest, outparam: ResponseOutparam, handler: F)
where
    F: FnOnce(Request<Body>) -> Fut,
    Fut: Future<Output = Answer>,
{
    let request = match wstd::http::request::try_from_incoming(incoming) {
        Ok(request) => request,
        Err(error) => {
            let code = wasip2::http::types::ErrorCode::InternalError(Some(format!("reading the request: {error}")));
            ResponseOutparam::set(outparam, Err(code));
            return;
        }
    };
    let answer = wstd::runtime::block_on(handler(request));
    respond(outparam, answer);
}

/// Serves one request handed over whole through `shop:platform/http-exchange`: builds the
/// same request `wstd` would (with the whole body), runs `handler`, and returns its answer.
/// A request the `http` types refuse (a malformed method, path or header) gets a 400.
pub fn exchange<F, Fut>(request: exchange::Request, handler: F) -> exchange::Response
where
    F: FnOnce(Request<Body>) -> Fut,
    Fut: Future<Output = Answer>,
{
    let answer = match request_of(request) {
        Ok(request) => wstd::runtime::block_on(handler(request)),
        Err(reason) => Answer { status: 400, headers: Vec::new(), body: reason.into_bytes() },
    };
    exchange::Response {
        status: answer.status,
        headers: answer.headers.into_iter().map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec())).collect(),
        body: answer.body,
    }
}

/// The `http` request of an exchange.
fn request_of(request: exchange::Request) -> Result<Request<Body>, String> {
    let exchange::Request { method, authority, path_with_query, headers, body } = request;
    let mut builder = http::Request::builder().method(method.as_str()).uri(format!("http://{authority}{path_with_query}"));
    if let Some(map) = builder.headers_mut() {
        map.reserve(headers.len());
        for (name, value) in headers {
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| format!("header {name:?}: {e}"))?;
            let value = HeaderValue::from_bytes(&value).map_err(|e| format!("header {name}: {e}"))?;
            map.append(name, value);
        }
    }
    builder.body(Body::from(body)).map_err(|e| format!("the request: {e}"))
}

/// Writes `answer` to `outparam`. A failure past the head (the client went away) ends the
/// answer quietly; there is nobody left to tell.
fn respond(outparam: ResponseOutparam, answer: Answer) {
    let entries: Vec<(String, Vec<u8>)> =
        answer.headers.iter().map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec())).collect();
    let headers = match Fields::from_list(&entries) {
        Ok(headers) => headers,
        Err(error) => {
            let code = wasip2::http::types::ErrorCode::InternalError(Some(format!("a response header was refused: {error:?}")));
            ResponseOutparam::set(outparam, Err(code));
            return;
        }
    };
    let response = OutgoingResponse::new(headers);
    if response.set_status_code(answer.status).is_err() {
        let _ = response.set_status_code(500);
    }
    let Ok(body) = response.body() else {
        ResponseOutparam::set(
            outparam,
            Err(wasip2::http::types::ErrorCode::InternalError(Some("the response body was taken twice".into()))),
        );
        return;
    };
    ResponseOutparam::set(outparam, Ok(response));
    let Ok(stream) = body.write() else { return };
    if write_all(&stream, &answer.body).is_err() {
        return;
    }
    drop(stream);
    let _ = OutgoingBody::finish(body, None);
}

/// Writes `bytes` in as few writes as the stream allows, then flushes. Each write is as large
/// as `check-write` permits (the host's budget, a megabyte in wasmtime), not the 4096 bytes
/// `blocking-write-and-flush` is capped at: a 20 KB listing goes out in one piece rather than
/// six, each of which made the host hand the request back to its scheduler.
fn write_all(stream: &wasip2::io::streams::OutputStream, mut bytes: &[u8]) -> Result<(), wasip2::io::streams::StreamError> {
    while !bytes.is_empty() {
        let permitted = stream.check_write()?;
        if permitted == 0 {
            stream.subscribe().block();
            continue;
        }
        let (now, later) = bytes.split_at(bytes.len().min(usize::try_from(permitted).unwrap_or(usize::MAX)));
        stream.write(now)?;
        bytes = later;
    }
    stream.blocking_flush()
}

/// Exports `wasi:http/incoming-handler` and `shop:platform/http-exchange` from this
/// component, both served by `handler`: an `async fn(Request<Body>) -> guest_http::Answer`.
#[macro_export]
macro_rules! export_http_handler {
    ($handler:path) => {
        struct GuestHttpHandler;

        impl ::wstd::__internal::wasip2::exports::http::incoming_handler::Guest for GuestHttpHandler {
            fn handle(
                request: ::wstd::__internal::wasip2::http::types::IncomingRequest,
                outparam: ::wstd::__internal::wasip2::http::types::ResponseOutparam,
            ) {
                $crate::serve(request, outparam, $handler)
            }
        }

        impl $crate::exchange::Guest for GuestHttpHandler {
            fn handle(request: $crate::exchange::Request) -> $crate::exchange::Response {
                $crate::exchange(request, $handler)
            }
        }

        ::wstd::__internal::wasip2::http::proxy::export!(GuestHttpHandler with_types_in ::wstd::__internal::wasip2);
        $crate::exchange::export_http_exchange!(GuestHttpHandler with_types_in $crate::exchange);
    };
}
