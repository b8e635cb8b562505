//! What the shop's HTTP components share: building answers (JSON or problem+json, with a
//! known length), reading JSON bodies strictly, and version ETags.

pub mod multipart;
pub mod query;
pub mod raw_json;
pub mod router;
pub mod store;

wit_bindgen::generate!({
    path: "../../wit",
    world: "documents-client",
    generate_all,
});

/// The `shop:platform/documents` bindings; components map their import onto these
/// (`with: { "shop:platform/documents@0.1.0": api_kit::documents }`).
pub use shop::platform::documents;

use http::{HeaderValue, StatusCode, header};
use serde::Serialize;
use serde_json::Value;
use shop_domain::{Problem, problem};
use wstd::http::{Body, Request};

/// The largest JSON body a catalog route reads.
pub const MAX_JSON_BODY: usize = 64 * 1024;

/// An answer before it is turned into an HTTP response.
pub struct ApiResponse {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
    headers: Vec<(header::HeaderName, String)>,
}

impl ApiResponse {
    /// A JSON answer.
    pub fn json(status: u16, value: &impl Serialize) -> Self {
        match serde_json::to_vec(value) {
            Ok(body) => Self { status, content_type: "application/json", body, headers: Vec::new() },
            Err(_) => Self::problem(Problem::internal()),
        }
    }

    /// A problem answer.
    pub fn problem(problem: Problem) -> Self {
        let body = problem.to_json().into_bytes();
        Self { status: problem.status, content_type: problem::CONTENT_TYPE, body, headers: Vec::new() }
    }

    /// 204 with no body.
    pub fn no_content() -> Self {
        Self { status: 204, content_type: "", body: Vec::new(), headers: Vec::new() }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: header::HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// The whole answer, as `guest_http` writes it.
    pub fn into_answer(self) -> guest_http::Answer {
        let mut headers = Vec::with_capacity(self.headers.len() + 2);
        if !self.content_type.is_empty() {
            headers.push((header::CONTENT_TYPE, HeaderValue::from_static(self.content_type)));
        }
        // A known length lets the response go out unchunked (204 and 304 have none).
        if !matches!(self.status, 204 | 304) {
            headers.push((header::CONTENT_LENGTH, HeaderValue::from(self.body.len())));
        }
        for (name, value) in self.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.retain(|(existing, _)| *existing != name);
                headers.push((name, value));
            }
        }
        let status = StatusCode::from_u16(self.status).map(|s| s.as_u16()).unwrap_or(500);
        guest_http::Answer { status, headers, body: self.body }
    }
}

impl From<Problem> for ApiResponse {
    fn from(problem: Problem) -> Self {
        Self::problem(problem)
    }
}

/// Reads the request body as one JSON object, or says precisely why not.
pub async fn read_json_object(request: &mut Request<Body>) -> Result<serde_json::Map<String, Value>, Problem> {
    let content_type = request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let media_type = content_type.split(';').next().unwrap_or("").trim();
    // JSON merge patches (RFC 7396) are JSON objects too.
    if !media_type.eq_ignore_ascii_case("application/json") && !media_type.eq_ignore_ascii_case("application/merge-patch+json") {
        return Err(Problem::unsupported_media_type("application/json"));
    }
    if request.body().content_length().is_some_and(|len| len > MAX_JSON_BODY as u64) {
        return Err(Problem::too_large(MAX_JSON_BODY));
    }
    let bytes = request
        .body_mut()
        .contents()
        .await
        .map_err(|e| Problem::new(400, "unreadable-body", "The request body could not be read").with_detail(e.to_string()))?;
    if bytes.len() > MAX_JSON_BODY {
        return Err(Problem::too_large(MAX_JSON_BODY));
    }
    parse_json_object(bytes)
}

/// Parses a JSON request body that must be one object (at most [`MAX_JSON_BODY`] bytes, which
/// the caller has checked); 400 for malformed JSON (nesting deeper than serde_json's 128
/// levels included), 422 for another kind of value.
pub fn parse_json_object(bytes: &[u8]) -> Result<serde_json::Map<String, Value>, Problem> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(Problem::new(422, "validation", "Some fields are invalid")
            .with_detail("The body must be a JSON object.")
            .with_field("", "must be a JSON object")),
        Err(error) => Err(Problem::malformed_json(error.to_string())),
    }
}

/// The version a write expects, from `If-Match: "N"` (an ETag this API issued).
/// `Ok(None)` when the header is absent; an error when it is present but unusable.
pub fn if_match_version(request: &Request<Body>) -> Result<Option<u64>, Problem> {
    let Some(value) = request.headers().get(header::IF_MATCH) else { return Ok(None) };
    let text = value.to_str().unwrap_or("").trim();
    let inner = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
    // Reads tag a document `"<version>-<content hash>"`; writes answer `"<version>"`.
    let version = inner.split_once('-').map_or(inner, |(version, _)| version);
    version.parse::<u64>().map(Some).map_err(|_| {
        Problem::new(400, "bad-if-match", "Unusable If-Match header")
            .with_detail("If-Match must be an ETag from this API, such as \"3\".")
            .with_field("If-Match", "must be a version ETag such as \"3\"")
    })
}

/// A read that browsers and proxies may cache: JSON with a strong ETag of its bytes and the
/// given `Cache-Control`; `304 Not Modified` (no body) when `If-None-Match` already names it.
/// For one document, pass its `version`: the ETag then starts with it (`"3-…"`), so the same
/// value works as `If-Match` for a later write.
pub fn cacheable(request: &Request<Body>, version: Option<u64>, value: &impl Serialize, cache_control: &str) -> ApiResponse {
    cacheable_answer(request, version, ApiResponse::json(200, value), cache_control)
}

/// As [`cacheable`], for an answer already written as JSON text.
pub fn cacheable_json(request: &Request<Body>, version: Option<u64>, json: String, cache_control: &str) -> ApiResponse {
    let response = ApiResponse { status: 200, content_type: "application/json", body: json.into_bytes(), headers: Vec::new() };
    cacheable_answer(request, version, response, cache_control)
}

fn cacheable_answer(request: &Request<Body>, version: Option<u64>, response: ApiResponse, cache_control: &str) -> ApiResponse {
    if response.status != 200 {
        return response;
    }
    let hash = fingerprint(&response.body);
    let tag = match version {
        Some(version) => format!("\"{version}-{hash:016x}\""),
        None => format!("\"{hash:016x}\""),
    };
    let fresh = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').map(|t| t.trim()).any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == tag));
    let response = if fresh { ApiResponse::not_modified() } else { response };
    response.with_header(header::ETAG, tag).with_header(header::CACHE_CONTROL, cache_control)
}

impl ApiResponse {
    fn not_modified() -> Self {
        Self { status: 304, content_type: "", body: Vec::new(), headers: Vec::new() }
    }
}

/// A 64-bit content fingerprint for ETags (not a security boundary): FNV-1a's mixing taken
/// eight bytes at a time in four independent lanes (the multiplications overlap instead of
/// waiting on each other), so a 20 KB listing costs about a microsecond.
fn fingerprint(bytes: &[u8]) -> u64 {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mix = |hash: u64, word: &[u8]| (hash ^ u64::from_le_bytes(word.try_into().unwrap_or_default())).wrapping_mul(PRIME).rotate_left(23);
    let seed = 0xcbf2_9ce4_8422_2325_u64 ^ bytes.len() as u64;
    let mut lanes = [seed, seed.rotate_left(16), seed.rotate_left(32), seed.rotate_left(48)];
    let mut blocks = bytes.chunks_exact(32);
    for block in blocks.by_ref() {
        for (lane, word) in lanes.iter_mut().zip(block.chunks_exact(8)) {
            *lane = mix(*lane, word);
        }
    }
    let mut hash = lanes.iter().fold(seed, |hash, lane| mix(hash, &lane.to_le_bytes()));
    let mut words = blocks.remainder().chunks_exact(8);
    hash = words.by_ref().fold(hash, mix);
    for byte in words.remainder() {
        hash = (hash ^ u64::from(*byte)).wrapping_mul(PRIME);
    }
    hash ^ (hash >> 29)
}

/// Takes the optional `version` field of a write's body: the version it replaces (an
/// alternative to `If-Match`), refused where a version cannot be sent (`allow == false`).
pub fn version_field(body: &mut serde_json::Map<String, Value>, allow: bool, errors: &mut shop_domain::FieldErrors) -> Option<u64> {
    match body.remove("version") {
        Some(_) if !allow => {
            errors.push("version", "is set by the server and cannot be written");
            None
        }
        None | Some(Value::Null) => None,
        Some(value) => {
            let version = value.as_u64().filter(|v| *v > 0);
            if version.is_none() {
                errors.push("version", "must be a positive whole number");
            }
            version
        }
    }
}

/// The strong ETag of a document version.
pub fn etag(version: u64) -> String {
    format!("\"{version}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_tell_every_change_apart() {
        let body: Vec<u8> = (0..2000u32).map(|i| (i * 7 % 251) as u8).collect();
        let base = fingerprint(&body);
        assert_eq!(fingerprint(&body), base);
        for at in 0..body.len() {
            let mut changed = body.clone();
            changed[at] ^= 1;
            assert_ne!(fingerprint(&changed), base, "a change at byte {at}");
        }
        // Words that trade places (between lanes, or between blocks) change it too.
        for (a, b) in [(0, 8), (0, 32), (8, 40), (1984, 1992)] {
            let mut swapped = body.clone();
            for i in 0..8 {
                swapped.swap(a + i, b + i);
            }
            assert_ne!(fingerprint(&swapped), base, "words at {a} and {b} swapped");
        }
        assert_ne!(fingerprint(&body[..1999]), base, "a shorter body");
        assert_ne!(fingerprint(b""), fingerprint(b"\0"));
    }
}
