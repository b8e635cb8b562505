//! Exports a component's `wasi:http/incoming-handler`.
//!
//! `wstd`'s `#[http_server]` macro unwraps the result of writing the response body, so a
//! client that leaves before the body is written (a closed connection, a `HEAD` whose body
//! the server discards, as Spin does) panics the guest and the runtime logs a trap. Here
//! the handler produces a whole [`Answer`], which is written out and, if the other side is
//! gone, dropped: a client leaving early is normal.

#![deny(missing_docs)]

use http::{HeaderName, HeaderValue};
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

/// The most bytes one `blocking-write-and-flush` call may take (WASI 0.2 caps it at 4096).
const WRITE_CHUNK: usize = 4096;

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
    for chunk in answer.body.chunks(WRITE_CHUNK) {
        if stream.blocking_write_and_flush(chunk).is_err() {
            return;
        }
    }
    drop(stream);
    let _ = OutgoingBody::finish(body, None);
}

/// Exports `wasi:http/incoming-handler` from this component, served by `handler`: an
/// `async fn(Request<Body>) -> guest_http::Answer`.
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

        ::wstd::__internal::wasip2::http::proxy::export!(GuestHttpHandler with_types_in ::wstd::__internal::wasip2);
    };
}
