//! Answers kept in memory for as long as nothing they were made from has changed.
//!
//! The host uses it for its components' answers to anonymous reads (it sees every write
//! that goes through `documents`), the storefront for its rendered pages (told of catalogue
//! changes by the host). An answer is kept with what it read and when it started:
//!
//! - every write moves the written collection's [`Versions`] mark (after the write, so a
//!   read that saw the old data is always older than the mark);
//! - a request records the collections its instance read (see `runtime::state`) and the
//!   write sequence number at its start; its answer stays valid while no collection it read
//!   has a mark past that number;
//! - what another process writes (hosts sharing the embedded store) moves every mark at
//!   once when the store says it changed ([`Versions::changed_elsewhere`]); where that cannot
//!   be seen (MongoDB), an answer lives no longer than its own `max-age`;
//! - only answers that say `Cache-Control: public` with a `max-age`, without `Set-Cookie`
//!   or `Vary: *`, to requests without `Authorization`, made by an instance that neither
//!   wrote, called another component nor read a blob, are kept; `Vary` names request headers
//!   whose values become part of the key;
//! - entries are per component version, so a hot swap makes the old version's unreachable
//!   (and [`ResponseCache::forget_component`] drops them); memory is bounded by a byte
//!   budget, least recently used first.

#![deny(missing_docs)]

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

/// The most variants (`Vary` values) kept for one address.
const MAX_VARIANTS: usize = 8;

/// What a cache counts, for Prometheus (the owner registers them).
#[derive(Clone, Debug, Default)]
pub struct CacheMetrics {
    /// Answers served from the cache.
    pub hits: prometheus_client::metrics::counter::Counter,
    /// Cacheable requests answered without it.
    pub misses: prometheus_client::metrics::counter::Counter,
    /// Entries dropped because something they were made from changed, they expired, or
    /// their producer was replaced.
    pub invalidations: prometheus_client::metrics::counter::Counter,
    /// Entries dropped to stay within the byte budget.
    pub evictions: prometheus_client::metrics::counter::Counter,
    /// Bytes the cache holds.
    pub bytes: prometheus_client::metrics::gauge::Gauge,
}

impl CacheMetrics {
    /// Registers every count in `registry` under `response_cache_*`.
    pub fn register(&self, registry: &mut prometheus_client::registry::Registry) {
        registry.register("response_cache_hits", "Answers served from the response cache", self.hits.clone());
        registry.register("response_cache_misses", "Cacheable requests answered without the response cache", self.misses.clone());
        registry.register(
            "response_cache_invalidations",
            "Cached answers dropped because what they were made from changed, they expired or their producer was replaced",
            self.invalidations.clone(),
        );
        registry.register("response_cache_evictions", "Cached answers dropped to stay within the byte budget", self.evictions.clone());
        registry.register("response_cache_bytes", "Bytes the response cache holds", self.bytes.clone());
    }
}

/// Write marks per collection: the sequence number of the latest write to each.
#[derive(Debug, Default)]
pub struct Versions {
    sequence: AtomicU64,
    /// The latest write anywhere that this host could not attribute (another process).
    everything: AtomicU64,
    collections: RwLock<HashMap<String, u64>>,
}

impl Versions {
    /// The sequence number now: what a request notes when it starts.
    pub fn now(&self) -> u64 {
        self.sequence.load(Ordering::SeqCst)
    }

    /// Records a finished write to `collection` (successful or not: a failed write may have
    /// changed something before it failed).
    pub fn wrote(&self, collection: &str) {
        let mark = self.sequence.fetch_add(1, Ordering::SeqCst) + 1;
        let mut collections = self.collections.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        let slot = collections.entry(collection.to_owned()).or_insert(0);
        *slot = (*slot).max(mark);
    }

    /// Records that the store changed in a way this host did not see (another host wrote).
    pub fn changed_elsewhere(&self) {
        let mark = self.sequence.fetch_add(1, Ordering::SeqCst) + 1;
        self.everything.fetch_max(mark, Ordering::SeqCst);
    }

    /// The latest mark of any of `collections` (or of a change made elsewhere): it moves
    /// whenever one of them is written.
    pub fn mark(&self, collections: &[String]) -> u64 {
        let marks = self.collections.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        collections.iter().filter_map(|c| marks.get(c).copied()).fold(self.everything.load(Ordering::SeqCst), u64::max)
    }

    /// Whether nothing in `collections` was written after sequence number `since`.
    pub fn unchanged_since(&self, since: u64, collections: &[String]) -> bool {
        if self.everything.load(Ordering::SeqCst) > since {
            return false;
        }
        let marks = self.collections.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        collections.iter().all(|c| marks.get(c).is_none_or(|mark| *mark <= since))
    }
}

/// What a component's instance did while answering one request, as far as caching cares.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Trace {
    /// The collections it read.
    pub read: Vec<String>,
    /// Whether it did anything that makes its answer unfit to keep (a write, a blob read, a
    /// call to another component).
    pub uncacheable: bool,
}

impl Trace {
    /// Notes a read of `collection`.
    pub fn read(&mut self, collection: &str) {
        if !self.read.iter().any(|c| c == collection) {
            self.read.push(collection.to_owned());
        }
    }
}

/// The address of a cached answer: which component version answered which URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Address {
    component: String,
    version: String,
    path_and_query: String,
}

/// One kept answer.
#[derive(Debug, Clone)]
struct Entry {
    /// The request headers named by the answer's `Vary`, with the values this answer was for.
    vary: Vec<(HeaderName, Option<HeaderValue>)>,
    headers: HeaderMap,
    body: Bytes,
    etag: Option<HeaderValue>,
    read: Vec<String>,
    since: u64,
    expires: Instant,
}

impl Entry {
    fn size(&self, address: &Address) -> usize {
        let headers: usize = self.headers.iter().map(|(n, v)| n.as_str().len() + v.len() + 16).sum();
        self.body.len() + headers + address.path_and_query.len() + address.version.len() + 128
    }

    fn matches(&self, request: &HeaderMap) -> bool {
        self.vary.iter().all(|(name, value)| request.get(name) == value.as_ref())
    }
}

struct Inner {
    entries: lru::LruCache<Address, Vec<Entry>>,
    bytes: usize,
}

/// The cache of one host.
pub struct ResponseCache {
    budget: usize,
    /// The largest single answer kept.
    max_entry: usize,
    inner: Mutex<Inner>,
    /// The write marks every entry is checked against.
    pub versions: std::sync::Arc<Versions>,
    /// Hits, misses, invalidations, evictions, bytes (for `/metrics`).
    pub counts: CacheMetrics,
}

/// A cached answer, ready to send.
#[derive(Debug)]
pub struct Hit {
    /// 200, or 304 when the request's `If-None-Match` names the answer's ETag.
    pub status: StatusCode,
    /// The answer's headers.
    pub headers: HeaderMap,
    /// The body (empty for 304 and `HEAD`).
    pub body: Bytes,
}

/// Whether a request may be answered from (and its answer kept in) the cache.
pub fn request_is_cacheable(method: &http::Method, headers: &HeaderMap) -> bool {
    (method == http::Method::GET || method == http::Method::HEAD) && !headers.contains_key(header::AUTHORIZATION)
}

/// How long an answer may be kept, from its headers: its `max-age` when it is `public` and
/// nothing forbids keeping it; none otherwise.
pub fn lifetime(status: StatusCode, headers: &HeaderMap) -> Option<Duration> {
    if status != StatusCode::OK || headers.contains_key(header::SET_COOKIE) {
        return None;
    }
    if headers.get_all(header::VARY).iter().any(|v| v.to_str().is_ok_and(|v| v.split(',').any(|n| n.trim() == "*"))) {
        return None;
    }
    let control = headers.get_all(header::CACHE_CONTROL).iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>().join(",");
    let directives: Vec<&str> = control.split(',').map(str::trim).collect();
    if !directives.contains(&"public") || directives.iter().any(|d| matches!(*d, "private" | "no-store" | "no-cache")) {
        return None;
    }
    let max_age = directives.iter().find_map(|d| d.strip_prefix("max-age=")).and_then(|v| v.parse::<u64>().ok())?;
    (max_age > 0).then(|| Duration::from_secs(max_age))
}

/// Whether `If-None-Match` names `etag` (weakly compared, as for GET).
fn revalidates(request: &HeaderMap, etag: &HeaderValue) -> bool {
    let etag = etag.to_str().unwrap_or_default();
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag.trim_start_matches("W/"))
}

impl ResponseCache {
    /// A cache of at most `budget` bytes; answers larger than `max_entry` are never kept.
    /// Entries are checked against `versions`.
    pub fn new(budget: usize, max_entry: usize, counts: CacheMetrics, versions: std::sync::Arc<Versions>) -> Self {
        let inner = Inner { entries: lru::LruCache::unbounded(), bytes: 0 };
        Self { budget, max_entry: max_entry.min(budget), inner: Mutex::new(inner), versions, counts }
    }

    /// The bytes the cache holds now (bodies, headers and bookkeeping).
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    /// The largest answer kept.
    pub fn max_entry(&self) -> usize {
        self.max_entry
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The answer kept for this request, if it is still valid. A `HEAD` gets `GET`'s head.
    pub fn lookup(&self, component: &str, version: &str, path_and_query: &str, method: &http::Method, request: &HeaderMap) -> Option<Hit> {
        let address = Address { component: component.to_owned(), version: version.to_owned(), path_and_query: path_and_query.to_owned() };
        let mut inner = self.lock();
        let entries = inner.entries.get_mut(&address)?;
        let position = entries.iter().position(|e| e.matches(request))?;
        let entry = &entries[position];
        if entry.expires <= Instant::now() || !self.versions.unchanged_since(entry.since, &entry.read) {
            let stale = entries.remove(position);
            let freed = stale.size(&address);
            if entries.is_empty() {
                inner.entries.pop(&address);
            }
            inner.bytes = inner.bytes.saturating_sub(freed);
            self.counts.invalidations.inc();
            self.counts.bytes.set(inner.bytes as i64);
            return None;
        }
        let entry = entry.clone();
        drop(inner);
        self.counts.hits.inc();
        let not_modified = entry.etag.as_ref().is_some_and(|etag| revalidates(request, etag));
        let mut headers = entry.headers;
        let (status, body) = if not_modified {
            headers.remove(header::CONTENT_LENGTH);
            headers.remove(header::CONTENT_TYPE);
            (StatusCode::NOT_MODIFIED, Bytes::new())
        } else if method == http::Method::HEAD {
            (StatusCode::OK, Bytes::new())
        } else {
            (StatusCode::OK, entry.body)
        };
        Some(Hit { status, headers, body })
    }

    /// Counts a cacheable request that a component answered.
    pub fn missed(&self) {
        self.counts.misses.inc();
    }

    /// Keeps a `200` answer to a `GET` for at most `lifetime`, made from what `trace` says it
    /// read, by a request that started at write sequence number `since`. Refuses (false)
    /// what must not be kept.
    #[allow(clippy::too_many_arguments)]
    pub fn store(
        &self,
        component: &str,
        version: &str,
        path_and_query: &str,
        request: &HeaderMap,
        headers: &HeaderMap,
        body: Bytes,
        trace: &Trace,
        since: u64,
        lifetime: Duration,
    ) -> bool {
        if trace.uncacheable || body.len() > self.max_entry || lifetime.is_zero() {
            return false;
        }
        // Something it read changed while it ran: keeping it would make it stale at once.
        if !self.versions.unchanged_since(since, &trace.read) {
            return false;
        }
        let vary: Vec<(HeaderName, Option<HeaderValue>)> = headers
            .get_all(header::VARY)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
            .map(|name| {
                let value = request.get(&name).cloned();
                (name, value)
            })
            .collect();
        let mut kept = headers.clone();
        kept.remove(header::DATE);
        let entry = Entry {
            vary,
            etag: headers.get(header::ETAG).cloned(),
            headers: kept,
            body,
            read: trace.read.clone(),
            since,
            expires: Instant::now() + lifetime,
        };
        let address = Address { component: component.to_owned(), version: version.to_owned(), path_and_query: path_and_query.to_owned() };
        let size = entry.size(&address);
        if size > self.budget {
            return false;
        }
        let mut inner = self.lock();
        let mut freed = 0;
        {
            let entries = inner.entries.get_or_insert_mut(address.clone(), Vec::new);
            entries.retain(|e| {
                let same = e.vary == entry.vary;
                if same {
                    freed += e.size(&address);
                }
                !same
            });
            if entries.len() >= MAX_VARIANTS {
                freed += entries.remove(0).size(&address);
            }
            entries.push(entry);
        }
        inner.bytes = inner.bytes.saturating_sub(freed) + size;
        while inner.bytes > self.budget {
            let Some((evicted, entries)) = inner.entries.pop_lru() else { break };
            let freed: usize = entries.iter().map(|e| e.size(&evicted)).sum();
            inner.bytes = inner.bytes.saturating_sub(freed);
            self.counts.evictions.inc_by(entries.len() as u64);
        }
        self.counts.bytes.set(inner.bytes as i64);
        true
    }

    /// Drops every answer of `component` (a new version serves: the old one's are useless).
    pub fn forget_component(&self, component: &str) {
        let mut inner = self.lock();
        let addresses: Vec<Address> = inner.entries.iter().filter(|(a, _)| a.component == component).map(|(a, _)| a.clone()).collect();
        for address in addresses {
            if let Some(entries) = inner.entries.pop(&address) {
                let freed: usize = entries.iter().map(|e| e.size(&address)).sum();
                inner.bytes = inner.bytes.saturating_sub(freed);
                self.counts.invalidations.inc_by(entries.len() as u64);
                self.counts.bytes.set(inner.bytes as i64);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(max_age: u64) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_str(&format!("public, max-age={max_age}, stale-while-revalidate=300")).unwrap(),
        );
        headers.insert(header::ETAG, HeaderValue::from_static("\"abc\""));
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers
    }

    fn trace(read: &[&str]) -> Trace {
        Trace { read: read.iter().map(|c| (*c).to_owned()).collect(), uncacheable: false }
    }

    const GET: http::Method = http::Method::GET;

    #[test]
    fn only_public_answers_with_a_max_age_are_kept() {
        assert_eq!(lifetime(StatusCode::OK, &public(60)), Some(Duration::from_secs(60)));
        assert_eq!(lifetime(StatusCode::NOT_FOUND, &public(60)), None);
        assert_eq!(lifetime(StatusCode::OK, &public(0)), None);
        let mut private = HeaderMap::new();
        private.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
        assert_eq!(lifetime(StatusCode::OK, &private), None);
        let mut cookie = public(60);
        cookie.insert(header::SET_COOKIE, HeaderValue::from_static("a=b"));
        assert_eq!(lifetime(StatusCode::OK, &cookie), None);
        let mut star = public(60);
        star.insert(header::VARY, HeaderValue::from_static("*"));
        assert_eq!(lifetime(StatusCode::OK, &star), None);
        let mut signed_in = HeaderMap::new();
        signed_in.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert!(!request_is_cacheable(&GET, &signed_in));
        assert!(request_is_cacheable(&http::Method::HEAD, &HeaderMap::new()));
        assert!(!request_is_cacheable(&http::Method::POST, &HeaderMap::new()));
    }

    #[test]
    fn a_write_to_what_an_answer_read_invalidates_it() {
        let cache = ResponseCache::new(1 << 20, 1 << 16, CacheMetrics::default(), Default::default());
        let since = cache.versions.now();
        assert!(cache.store(
            "catalog",
            "v1",
            "/api/products",
            &HeaderMap::new(),
            &public(60),
            Bytes::from_static(b"[1]"),
            &trace(&["products", "categories"]),
            since,
            Duration::from_secs(60)
        ));
        let hit = cache.lookup("catalog", "v1", "/api/products", &GET, &HeaderMap::new()).unwrap();
        assert_eq!((hit.status, hit.body.as_ref()), (StatusCode::OK, b"[1]".as_ref()));
        cache.versions.wrote("users");
        assert!(cache.lookup("catalog", "v1", "/api/products", &GET, &HeaderMap::new()).is_some(), "another collection changes nothing");
        cache.versions.wrote("categories");
        assert!(cache.lookup("catalog", "v1", "/api/products", &GET, &HeaderMap::new()).is_none());
        assert_eq!(cache.counts.invalidations.get(), 1);
        assert_eq!(cache.bytes(), 0);
        // A write while the request ran: not kept at all.
        let since = cache.versions.now();
        cache.versions.wrote("products");
        assert!(!cache.store(
            "catalog",
            "v1",
            "/api/products",
            &HeaderMap::new(),
            &public(60),
            Bytes::from_static(b"[2]"),
            &trace(&["products"]),
            since,
            Duration::from_secs(60)
        ));
        // A change made elsewhere invalidates everything.
        let since = cache.versions.now();
        assert!(cache.store(
            "catalog",
            "v1",
            "/api/products",
            &HeaderMap::new(),
            &public(60),
            Bytes::from_static(b"[3]"),
            &trace(&["products"]),
            since,
            Duration::from_secs(60)
        ));
        cache.versions.changed_elsewhere();
        assert!(cache.lookup("catalog", "v1", "/api/products", &GET, &HeaderMap::new()).is_none());
    }

    #[test]
    fn a_mark_moves_with_the_collections_it_covers() {
        let versions = Versions::default();
        let catalogue = ["products".to_owned(), "categories".to_owned()];
        let start = versions.mark(&catalogue);
        versions.wrote("users");
        assert_eq!(versions.mark(&catalogue), start);
        versions.wrote("products");
        let after_products = versions.mark(&catalogue);
        assert!(after_products > start);
        versions.changed_elsewhere();
        assert!(versions.mark(&catalogue) > after_products, "a change elsewhere moves every mark");
    }

    #[test]
    fn versions_vary_conditional_requests_and_head() {
        let cache = ResponseCache::new(1 << 20, 1 << 16, CacheMetrics::default(), Default::default());
        let mut varying = public(60);
        varying.insert(header::VARY, HeaderValue::from_static("Accept-Language"));
        let mut arabic = HeaderMap::new();
        arabic.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("ar"));
        let since = cache.versions.now();
        assert!(cache.store(
            "catalog",
            "v1",
            "/x",
            &arabic,
            &varying,
            Bytes::from_static(b"ar"),
            &trace(&[]),
            since,
            Duration::from_secs(60)
        ));
        assert!(cache.lookup("catalog", "v1", "/x", &GET, &HeaderMap::new()).is_none(), "another language is another answer");
        assert_eq!(cache.lookup("catalog", "v1", "/x", &GET, &arabic).unwrap().body.as_ref(), b"ar");
        assert!(cache.lookup("catalog", "v2", "/x", &GET, &arabic).is_none(), "another component version is another answer");
        let head = cache.lookup("catalog", "v1", "/x", &http::Method::HEAD, &arabic).unwrap();
        assert!(head.body.is_empty());
        let mut conditional = arabic.clone();
        conditional.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"abc\""));
        assert_eq!(cache.lookup("catalog", "v1", "/x", &GET, &conditional).unwrap().status, StatusCode::NOT_MODIFIED);
        cache.forget_component("catalog");
        assert!(cache.lookup("catalog", "v1", "/x", &GET, &arabic).is_none());
        assert!(!cache.store(
            "catalog",
            "v1",
            "/y",
            &arabic,
            &varying,
            Bytes::from_static(b"x"),
            &Trace { read: vec![], uncacheable: true },
            since,
            Duration::from_secs(60)
        ));
    }

    #[test]
    fn the_budget_holds_under_a_flood_of_addresses() {
        let cache = ResponseCache::new(64 << 10, 8 << 10, CacheMetrics::default(), Default::default());
        let since = cache.versions.now();
        for n in 0..5000 {
            cache.store(
                "catalog",
                "v1",
                &format!("/api/products?page={n}"),
                &HeaderMap::new(),
                &public(60),
                Bytes::from(vec![b'x'; 1000]),
                &trace(&["products"]),
                since,
                Duration::from_secs(60),
            );
            assert!(cache.bytes() <= 64 << 10, "{} bytes after {n}", cache.bytes());
        }
        assert!(cache.counts.evictions.get() > 4900);
        assert!(cache.lookup("catalog", "v1", "/api/products?page=4999", &GET, &HeaderMap::new()).is_some(), "the newest stays");
        assert!(
            !cache.store(
                "catalog",
                "v1",
                "/big",
                &HeaderMap::new(),
                &public(60),
                Bytes::from(vec![0; 9 << 10]),
                &trace(&[]),
                since,
                Duration::from_secs(60)
            ),
            "an answer over the entry limit is not kept"
        );
    }

    #[test]
    fn an_answer_lives_no_longer_than_its_max_age() {
        let cache = ResponseCache::new(1 << 20, 1 << 16, CacheMetrics::default(), Default::default());
        let since = cache.versions.now();
        assert!(cache.store(
            "catalog",
            "v1",
            "/x",
            &HeaderMap::new(),
            &public(1),
            Bytes::from_static(b"x"),
            &trace(&[]),
            since,
            lifetime(StatusCode::OK, &public(1)).unwrap()
        ));
        assert!(cache.lookup("catalog", "v1", "/x", &GET, &HeaderMap::new()).is_some());
        std::thread::sleep(Duration::from_millis(1100));
        assert!(cache.lookup("catalog", "v1", "/x", &GET, &HeaderMap::new()).is_none());
    }
}
