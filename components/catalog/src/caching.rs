//! The HTTP caching rules of the catalogue's answers, in one place.

use http::header;
use wstd::http::{Body, Request};

/// How long shoppers' caches may reuse a catalogue answer without asking again.
pub const PUBLIC: &str = "public, max-age=60, stale-while-revalidate=300";
/// Answers that depend on who asks are never stored by shared caches.
pub const PRIVATE: &str = "private, no-store";

/// The `Cache-Control` of a read: private when the answer may differ by who asks (a signed-in
/// request), public otherwise.
pub fn cache_control(request: &Request<Body>) -> &'static str {
    if request.headers().contains_key(header::AUTHORIZATION) { PRIVATE } else { PUBLIC }
}
