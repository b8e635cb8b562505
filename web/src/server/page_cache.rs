//! Rendered pages kept in memory while the catalogue they show is unchanged.
//!
//! A shopper's page (home, category, search, product, sitemap…) is rendered from the host's
//! catalogue; rendering it again for the next shopper gives the same bytes until a product or
//! category changes. So a page is kept (`response_cache`, the host's own cache) and served
//! from memory until:
//! - the host says the catalogue changed: a follower long-polls `GET /api/changes` for
//!   `products,categories` and marks the pages stale the moment the mark moves (or the poll
//!   fails: then nothing is trusted until it succeeds again);
//! - an admin writes through this storefront (any request that is not a read): stale at once,
//!   before the next page is served;
//! - it is older than [`LIFETIME`], the API's own `max-age` (what a host that cannot see
//!   another host's writes allows).
//!
//! Never kept: the dashboard, the account, checkout and the cart, server functions,
//! requests with `Authorization`, answers that set a cookie or are not `200`.
//!
//! A signed-in shopper (or admin) shares the guests' pages: the catalogue's pages are
//! rendered without the session (the session guard only runs on the personal paths above),
//! so the one cookie a page depends on is the chosen language. The cache sees a request's
//! cookies reduced to that one ([`as_pages_see_it`]), so a session neither misses the kept
//! page nor, through `Vary: Cookie`, keeps a copy of its own.

use crate::i18n::Lang;
use axum::body::Body;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, header};
use response_cache::{CacheMetrics, ResponseCache, Trace, Versions};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The longest a page is kept: the catalogue API's `max-age`.
pub const LIFETIME: Duration = Duration::from_secs(60);
/// What the pages are made from, as one name for the cache's marks.
const CATALOGUE: &str = "catalogue";
/// The collections whose changes the follower waits for.
const FOLLOWED: &str = "products,categories";
/// How long one poll may take: the host holds it up to 25 s, plus room for a slow answer.
const POLL_TIMEOUT: Duration = Duration::from_secs(35);
/// The response header saying whether a page came from memory.
pub const CACHE_HEADER: &str = "x-cache";

/// The page cache of this storefront.
pub struct PageCache {
    cache: ResponseCache,
    /// The client build the pages reference (a new build is another set of pages).
    build: String,
}

static PAGES: OnceLock<PageCache> = OnceLock::new();

/// Sets up the cache (at most `budget` bytes) for pages of client build `build`, and starts
/// following the host's changes at `api_url`. Not calling it leaves every page uncached.
pub fn init(budget: usize, build: &str, api_url: &str, metrics: CacheMetrics) {
    let versions = Arc::new(Versions::default());
    let cache = ResponseCache::new(budget, budget.min(2 << 20), metrics, versions.clone());
    if PAGES.set(PageCache { cache, build: build.to_owned() }).is_ok() {
        tokio::spawn(follow(api_url.to_owned(), versions));
    }
}

/// Whether a request may be answered from the cache, and its answer kept.
fn is_cacheable(request: &Request) -> bool {
    let path = request.uri().path();
    let not_a_page = ["/_srv/", "/pkg/", "/uploads/", "/lang/", "/metrics", "/healthz"];
    // A shopper's or an admin's own pages (the guest's cart page is the script's, and cheap).
    let personal = ["/admin", "/account", "/checkout", "/cart"];
    (request.method() == Method::GET || request.method() == Method::HEAD)
        && !not_a_page.iter().any(|prefix| path.starts_with(prefix))
        && !personal.iter().any(|prefix| Lang::strip(path).starts_with(prefix))
        && !request.headers().contains_key(header::AUTHORIZATION)
}

/// A request's headers as a page depends on them: of its cookies only the chosen language.
fn as_pages_see_it(headers: &HeaderMap) -> HeaderMap {
    use super::session::{LANG, cookie};
    let mut seen = headers.clone();
    seen.remove(header::COOKIE);
    if let Some(value) = cookie(headers, LANG).and_then(|lang| HeaderValue::from_str(&format!("{LANG}={lang}")).ok()) {
        seen.insert(header::COOKIE, value);
    }
    seen
}

/// The middleware: a kept page when there is one, else the rendered page (kept when it may be).
/// Any other request than a read marks every kept page stale once it is answered.
pub async fn serve(request: Request, next: Next) -> Response {
    let Some(pages) = PAGES.get() else { return next.run(request).await };
    if !is_cacheable(&request) {
        let writes = request.method() != Method::GET && request.method() != Method::HEAD;
        let response = next.run(request).await;
        if writes {
            // An admin's change through this storefront shows on the very next page view.
            pages.cache.versions.wrote(CATALOGUE);
        }
        return response;
    }
    let path_and_query = request.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/").to_owned();
    let request_headers = as_pages_see_it(request.headers());
    if let Some(hit) = pages.cache.lookup("pages", &pages.build, &path_and_query, request.method(), &request_headers) {
        let mut response = Response::new(Body::from(hit.body));
        *response.status_mut() = hit.status;
        *response.headers_mut() = hit.headers;
        response.headers_mut().insert(CACHE_HEADER, HeaderValue::from_static("hit"));
        return response;
    }
    pages.cache.missed();
    let since = pages.cache.versions.now();
    let is_get = request.method() == Method::GET;
    let response = next.run(request).await;
    let mut response = if is_get && response.status() == http::StatusCode::OK && !response.headers().contains_key(header::SET_COOKIE) {
        keep(pages, &path_and_query, &request_headers, response, since).await
    } else {
        response
    };
    response.headers_mut().insert(CACHE_HEADER, HeaderValue::from_static("miss"));
    response
}

/// Reads a rendered page whole and keeps it (when it is not too large).
async fn keep(pages: &PageCache, path_and_query: &str, request_headers: &http::HeaderMap, response: Response, since: u64) -> Response {
    let (parts, body) = response.into_parts();
    let limit = pages.cache.max_entry();
    let bytes: Bytes = match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => bytes,
        Err(error) => {
            // Larger than any page should be, or the body failed: answer what can be.
            tracing::warn!(%error, path = path_and_query, "a page could not be kept");
            return Response::from_parts(parts, Body::empty());
        }
    };
    let trace = Trace { read: vec![CATALOGUE.to_owned()], uncacheable: false };
    pages.cache.store("pages", &pages.build, path_and_query, request_headers, &parts.headers, bytes.clone(), &trace, since, LIFETIME);
    Response::from_parts(parts, Body::from(bytes))
}

/// Follows the host's changes to the catalogue: a long poll of `GET /api/changes`, marking
/// the pages stale whenever the mark moves, and whenever a poll fails (what happened
/// meanwhile is unknown).
async fn follow(api_url: String, versions: Arc<Versions>) {
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(2))
        .timeout(POLL_TIMEOUT)
        .build()
        .expect("a plain HTTP client builds");
    let mut last: Option<u64> = None;
    loop {
        let url = match last {
            Some(mark) => format!("{api_url}/api/changes?collections={FOLLOWED}&after={mark}"),
            None => format!("{api_url}/api/changes?collections={FOLLOWED}"),
        };
        let mark = async {
            let response = client.get(&url).send().await.ok()?.error_for_status().ok()?;
            let body: serde_json::Value = response.json().await.ok()?;
            body["mark"].as_u64()
        }
        .await;
        match mark {
            Some(mark) => {
                if last.is_some_and(|last| last != mark) {
                    versions.wrote(CATALOGUE);
                }
                last = Some(mark);
            }
            None => {
                versions.wrote(CATALOGUE);
                last = None;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_sees_only_the_chosen_language_among_the_cookies() {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("ar"));
        headers.insert(header::COOKIE, HeaderValue::from_static("shop_session=a.b.c; shop_lang=ar; shop_refresh=r"));
        let seen = as_pages_see_it(&headers);
        assert_eq!(seen.get(header::COOKIE).unwrap(), "shop_lang=ar");
        assert_eq!(seen.get(header::ACCEPT_LANGUAGE).unwrap(), "ar");
        headers.insert(header::COOKIE, HeaderValue::from_static("shop_session=a.b.c"));
        assert!(as_pages_see_it(&headers).get(header::COOKIE).is_none());
    }
}
