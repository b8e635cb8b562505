//! Benchmark fixture: answers `200 ok` through the raw `wasi:http` bindings, to measure what
//! `wstd` adds per request (compare with the `misbehave` fixture's `/fixture/ok`).

wit_bindgen::generate!({
    path: "../../../wit",
    world: "http-service",
    generate_all,
});

use exports::wasi::http::incoming_handler::Guest;
use wasi::http::types::{Fields, IncomingRequest, OutgoingBody, OutgoingResponse, ResponseOutparam};

struct RawOk;

impl Guest for RawOk {
    fn handle(_request: IncomingRequest, response_out: ResponseOutparam) {
        let response = OutgoingResponse::new(Fields::new());
        let Ok(body) = response.body() else { return };
        ResponseOutparam::set(response_out, Ok(response));
        if let Ok(stream) = body.write() {
            let _ = stream.blocking_write_and_flush(b"ok");
        }
        let _ = OutgoingBody::finish(body, None);
    }
}

export!(RawOk);
