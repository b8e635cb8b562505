//! Routing from a table: each component's routes are one text table (`routes.txt`), which
//! both dispatches requests and is checked against the OpenAPI document, so neither can
//! drift from the other.
//!
//! A line is `METHOD /path/{param} operation-id`; `#` starts a comment. `HEAD` is served
//! wherever `GET` is.

/// A request matched to a route of the table.
#[derive(Debug, PartialEq, Eq)]
pub struct Matched<'t> {
    /// The operation id (the route's name).
    pub operation: &'t str,
    /// The path parameters, by name, percent-decoded.
    pub params: Vec<(&'t str, String)>,
}

impl Matched<'_> {
    /// The value of a path parameter (empty when the table has no such parameter).
    pub fn param(&self, name: &str) -> &str {
        self.params.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str()).unwrap_or("")
    }
}

/// What the table says of a request.
#[derive(Debug, PartialEq, Eq)]
pub enum RouteMatch<'t> {
    /// A route matches the path and method.
    Found(Matched<'t>),
    /// Routes match the path, not the method: the `Allow` header value.
    WrongMethod(String),
    /// No route matches the path.
    NotFound,
}

/// One route of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route<'t> {
    /// `GET`, `POST`, …
    pub method: &'t str,
    /// `/api/products/{product}`.
    pub path: &'t str,
    /// The operation id.
    pub operation: &'t str,
    /// How many `/`-separated segments the path has (the empty one before its first `/`
    /// included).
    segments: usize,
    /// A bit per parameter segment, the first segment's highest: of two routes that fit a
    /// path, the one with the smaller shape is the more literal, segment by segment.
    shape: u64,
}

/// A route table parsed when the component is compiled: `route_table!(include_str!(…))`.
/// Matching a request then reads no text but the paths of the routes that may fit (parsing
/// the table's text on every request was a quarter of a short request's instructions in
/// the component, which starts fresh for each).
#[macro_export]
macro_rules! route_table {
    ($text:expr) => {{
        // Names the caller's expression cannot mean (items in a macro are not hygienic).
        const ROUTE_TABLE_TEXT_: &str = $text;
        const ROUTE_TABLE_LEN_: usize = $crate::router::route_count(ROUTE_TABLE_TEXT_);
        const ROUTE_TABLE_: [$crate::router::Route<'static>; ROUTE_TABLE_LEN_] =
            $crate::router::parse_table::<ROUTE_TABLE_LEN_>(ROUTE_TABLE_TEXT_);
        &ROUTE_TABLE_
    }};
}

/// The routes of a table's text, in order. A line is `METHOD /path/{param} operation-id`;
/// `#` starts a comment; lines of fewer than three words are skipped.
pub fn routes(text: &str) -> impl Iterator<Item = Route<'_>> {
    let mut at = 0;
    std::iter::from_fn(move || {
        let (route, next) = next_route(text, at)?;
        at = next;
        Some(route)
    })
}

/// How many routes a table's text has (for [`route_table!`]).
pub const fn route_count(text: &str) -> usize {
    let mut count = 0;
    let mut at = 0;
    while let Some((_, next)) = next_route(text, at) {
        count += 1;
        at = next;
    }
    count
}

/// The `N` routes of a table's text (for [`route_table!`]; `N` from [`route_count`]).
pub const fn parse_table<const N: usize>(text: &str) -> [Route<'_>; N] {
    let mut table = [Route { method: "", path: "", operation: "", segments: 0, shape: 0 }; N];
    let mut at = 0;
    let mut i = 0;
    while let Some((route, next)) = next_route(text, at) {
        table[i] = route;
        i += 1;
        at = next;
    }
    table
}

/// The first route in `text` at or after byte `at`, and where the text after its line
/// starts.
const fn next_route(text: &str, mut at: usize) -> Option<(Route<'_>, usize)> {
    let bytes = text.as_bytes();
    while at < bytes.len() {
        let mut line_end = at;
        while line_end < bytes.len() && bytes[line_end] != b'\n' {
            line_end += 1;
        }
        let mut content_end = at;
        while content_end < line_end && bytes[content_end] != b'#' {
            content_end += 1;
        }
        let (method, after_method) = next_word(text, at, content_end);
        let (path, after_path) = next_word(text, after_method, content_end);
        let (operation, _) = next_word(text, after_path, content_end);
        if !operation.is_empty() {
            let (segments, shape) = path_shape(path);
            return Some((Route { method, path, operation, segments, shape }, line_end + 1));
        }
        at = line_end + 1;
    }
    None
}

/// The next whitespace-separated word of `text[from..end]` (empty when there is none), and
/// the index after it.
const fn next_word(text: &str, from: usize, end: usize) -> (&str, usize) {
    let bytes = text.as_bytes();
    let mut start = from;
    while start < end && bytes[start].is_ascii_whitespace() {
        start += 1;
    }
    let mut stop = start;
    while stop < end && !bytes[stop].is_ascii_whitespace() {
        stop += 1;
    }
    // Split at ASCII bytes, so both sides stay UTF-8.
    let (before, _) = bytes.split_at(stop);
    let (_, word) = before.split_at(start);
    match std::str::from_utf8(word) {
        Ok(word) => (word, stop),
        Err(_) => panic!("a route table word is not UTF-8"),
    }
}

/// A route path's segment count and shape (see [`Route`]).
const fn path_shape(path: &str) -> (usize, u64) {
    let bytes = path.as_bytes();
    let (mut segments, mut shape) = (1, 0u64);
    let mut start = 0;
    let mut i = 0;
    while i <= bytes.len() {
        if i == bytes.len() || bytes[i] == b'/' {
            let is_param = i > start + 1 && bytes[start] == b'{' && bytes[i - 1] == b'}';
            if is_param && segments <= 64 {
                shape |= 1 << (64 - segments);
            }
            if i < bytes.len() {
                segments += 1;
            }
            start = i + 1;
        }
        i += 1;
    }
    (segments, shape)
}

fn decode(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment).decode_utf8_lossy().into_owned()
}

fn is_param(segment: &str) -> bool {
    segment.starts_with('{') && segment.ends_with('}')
}

/// Matches a request against a table. Where patterns of several shapes fit the path, a
/// literal segment beats a parameter (`…/images/order` before `…/images/{image}`), as in
/// most routers: only the routes of the most literal shape answer, and only their methods
/// are allowed.
pub fn route<'t>(table: &[Route<'t>], method: &str, path: &str) -> RouteMatch<'t> {
    let path = if path.len() > 1 { path.trim_end_matches('/') } else { path };
    let segments: Vec<&str> = path.split('/').collect();
    let fits = |route: &Route<'_>| {
        route.segments == segments.len()
            && route.path.split('/').zip(&segments).all(|(p, s)| if is_param(p) { !s.is_empty() } else { p == *s })
    };
    let Some(best) = table.iter().filter(|route| fits(route)).map(|route| route.shape).min() else { return RouteMatch::NotFound };
    let mut allowed: Vec<&str> = Vec::new();
    for route in table.iter().filter(|route| route.shape == best && fits(route)) {
        if route.method == method || (method == "HEAD" && route.method == "GET") {
            let params = route
                .path
                .split('/')
                .zip(&segments)
                .filter_map(|(p, s)| p.strip_prefix('{').and_then(|p| p.strip_suffix('}')).map(|name| (name, decode(s))))
                .collect();
            return RouteMatch::Found(Matched { operation: route.operation, params });
        }
        if !allowed.contains(&route.method) {
            allowed.push(route.method);
            if route.method == "GET" {
                allowed.push("HEAD");
            }
        }
    }
    RouteMatch::WrongMethod(allowed.join(", "))
}

/// Matches a request against a table; the `Err` is the answer to send instead: 405 with
/// `Allow`, or 404 naming `component`.
pub fn resolve<'t>(table: &[Route<'t>], method: &str, path: &str, component: &str) -> Result<Matched<'t>, crate::ApiResponse> {
    match route(table, method, path) {
        RouteMatch::Found(matched) => Ok(matched),
        RouteMatch::WrongMethod(allow) => {
            Err(crate::ApiResponse::problem(shop_domain::Problem::method_not_allowed(&allow)).with_header(http::header::ALLOW, allow))
        }
        RouteMatch::NotFound => {
            Err(crate::ApiResponse::problem(shop_domain::Problem::not_found(format!("No {component} route matches {path}."))))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "
        # products
        GET    /api/products                   products.list
        POST   /api/products                   products.create
        GET    /api/products/{product}         products.read   # by id or slug
        PATCH  /api/products/{product}         products.update
        POST   /api/products/{product}/publish products.publish
    ";

    #[test]
    fn paths_and_methods_find_their_operation() {
        assert_eq!(
            route(route_table!(TABLE), "GET", "/api/products/"),
            RouteMatch::Found(Matched { operation: "products.list", params: vec![] })
        );
        let RouteMatch::Found(found) = route(route_table!(TABLE), "HEAD", "/api/products/caf%C3%A9") else { panic!() };
        assert_eq!((found.operation, found.param("product")), ("products.read", "café"));
        assert_eq!(route(route_table!(TABLE), "DELETE", "/api/products/x"), RouteMatch::WrongMethod("GET, HEAD, PATCH".into()));
        assert_eq!(route(route_table!(TABLE), "POST", "/api/products/x/unpublish"), RouteMatch::NotFound);
        assert_eq!(route(route_table!(TABLE), "GET", "/api/products//publish"), RouteMatch::NotFound);
        assert_eq!(routes(TABLE).count(), 5);
    }

    #[test]
    fn a_table_is_read_the_same_when_compiled_and_at_run_time() {
        const ODD: &str =
            "GET /a a.read\n\n  # GET /commented out\nPOST /b/{x}/c  b.c extra words # note\nPUT /only-two\r\nDELETE\t/d/{y}\td.delete";
        let compiled: &[Route<'static>] = route_table!(ODD);
        assert_eq!(compiled, routes(ODD).collect::<Vec<_>>().as_slice());
        let read: Vec<(&str, &str, &str)> = compiled.iter().map(|r| (r.method, r.path, r.operation)).collect();
        assert_eq!(read, [("GET", "/a", "a.read"), ("POST", "/b/{x}/c", "b.c"), ("DELETE", "/d/{y}", "d.delete")]);
        assert_eq!(compiled.iter().map(|r| r.segments).collect::<Vec<_>>(), [2, 4, 3]);
        assert_eq!(compiled[1].shape, 1 << 61, "the third segment is a parameter");
        assert_eq!(route_count(""), 0);
    }

    #[test]
    fn a_literal_segment_beats_a_parameter() {
        const IMAGES: &str = "
            PUT    /api/products/{product}/images/order    products.images.reorder
            DELETE /api/products/{product}/images/{image}  products.images.delete
        ";
        let RouteMatch::Found(found) = route(route_table!(IMAGES), "PUT", "/api/products/p/images/order") else { panic!() };
        assert_eq!(found.operation, "products.images.reorder");
        assert_eq!(route(route_table!(IMAGES), "DELETE", "/api/products/p/images/order"), RouteMatch::WrongMethod("PUT".into()));
        let RouteMatch::Found(found) = route(route_table!(IMAGES), "DELETE", "/api/products/p/images/i1") else { panic!() };
        assert_eq!((found.operation, found.param("image")), ("products.images.delete", "i1"));
        assert_eq!(route(route_table!(IMAGES), "PUT", "/api/products/p/images/i1"), RouteMatch::WrongMethod("DELETE".into()));
    }
}
