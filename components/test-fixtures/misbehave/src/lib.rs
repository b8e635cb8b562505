//! Test fixture for the host's sandbox: each route misbehaves in one way, through either HTTP
//! export (`wasi:http/incoming-handler` and `shop:platform/http-exchange`, both from
//! `guest-http`; the host picks by `SHOP_HTTP_EXCHANGE`).
//!
//! - `/fixture/loop`: spins forever (the CPU deadline must stop it);
//! - `/fixture/trap`: traps (a panic aborts the instance);
//! - `/fixture/hog`: allocates until memory runs out (the memory cap must stop it);
//! - anything else: answers 200 `ok`.

use guest_http::Answer;
use wstd::http::{Body, Request};

guest_http::export_http_handler!(handle);

async fn handle(request: Request<Body>) -> Answer {
    match request.uri().path() {
        "/fixture/loop" => {
            let mut n: u64 = 0;
            loop {
                n = std::hint::black_box(n.wrapping_add(1));
            }
        }
        "/fixture/trap" => panic!("the trap fixture traps on purpose"),
        // Honest work of a known size: `?n=` rounds of arithmetic, then 200.
        "/fixture/work" => {
            let rounds: u64 = request.uri().query().and_then(|q| q.strip_prefix("n=")).and_then(|n| n.parse().ok()).unwrap_or(1);
            let mut n: u64 = 0;
            for _ in 0..rounds {
                n = std::hint::black_box(n.wrapping_mul(31).wrapping_add(7));
            }
            Answer { status: 200, headers: Vec::new(), body: n.to_string().into_bytes() }
        }
        "/fixture/hog" => {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                // Touch every page so the memory is really used.
                hoard.push(vec![1u8; 1 << 20]);
                std::hint::black_box(&hoard);
            }
        }
        _ => Answer { status: 200, headers: Vec::new(), body: b"ok".to_vec() },
    }
}
