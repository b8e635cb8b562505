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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route<'t> {
    /// `GET`, `POST`, …
    pub method: &'t str,
    /// `/api/products/{product}`.
    pub path: &'t str,
    /// The operation id.
    pub operation: &'t str,
}

/// The routes of a table, in order.
pub fn routes(table: &str) -> impl Iterator<Item = Route<'_>> {
    table.lines().filter_map(|line| {
        let line = line.split('#').next().unwrap_or("").trim();
        let mut words = line.split_whitespace();
        match (words.next(), words.next(), words.next()) {
            (Some(method), Some(path), Some(operation)) => Some(Route { method, path, operation }),
            _ => None,
        }
    })
}

fn decode(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment).decode_utf8_lossy().into_owned()
}

/// Matches a request against a table. Where patterns of several shapes fit the path, a
/// literal segment beats a parameter (`…/images/order` before `…/images/{image}`), as in
/// most routers: only the routes of the most literal shape answer, and only their methods
/// are allowed.
pub fn route<'t>(table: &'t str, method: &str, path: &str) -> RouteMatch<'t> {
    let path = if path.len() > 1 { path.trim_end_matches('/') } else { path };
    let segments: Vec<&str> = path.split('/').collect();
    let is_param = |p: &str| p.starts_with('{') && p.ends_with('}');
    // Each fitting route with its shape: a bit per parameter segment, the first segment's
    // highest, so the smallest shape is the most literal, segment by segment.
    let mut fitting: Vec<(Route<'t>, u64)> = Vec::new();
    for route in routes(table) {
        if segments.len() > 64 || route.path.split('/').count() != segments.len() {
            continue;
        }
        let fits = route.path.split('/').zip(&segments).all(|(p, s)| if is_param(p) { !s.is_empty() } else { p == *s });
        if fits {
            let shape = route.path.split('/').enumerate().filter(|(_, p)| is_param(p)).fold(0u64, |shape, (at, _)| shape | 1 << (63 - at));
            fitting.push((route, shape));
        }
    }
    let Some(best) = fitting.iter().map(|(_, shape)| *shape).min() else { return RouteMatch::NotFound };
    let mut allowed: Vec<&str> = Vec::new();
    for (route, _) in fitting.iter().filter(|(_, shape)| *shape == best) {
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
pub fn resolve<'t>(table: &'t str, method: &str, path: &str, component: &str) -> Result<Matched<'t>, crate::ApiResponse> {
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
        assert_eq!(route(TABLE, "GET", "/api/products/"), RouteMatch::Found(Matched { operation: "products.list", params: vec![] }));
        let RouteMatch::Found(found) = route(TABLE, "HEAD", "/api/products/caf%C3%A9") else { panic!() };
        assert_eq!((found.operation, found.param("product")), ("products.read", "café"));
        assert_eq!(route(TABLE, "DELETE", "/api/products/x"), RouteMatch::WrongMethod("GET, HEAD, PATCH".into()));
        assert_eq!(route(TABLE, "POST", "/api/products/x/unpublish"), RouteMatch::NotFound);
        assert_eq!(route(TABLE, "GET", "/api/products//publish"), RouteMatch::NotFound);
        assert_eq!(routes(TABLE).count(), 5);
    }

    #[test]
    fn a_literal_segment_beats_a_parameter() {
        const IMAGES: &str = "
            PUT    /api/products/{product}/images/order    products.images.reorder
            DELETE /api/products/{product}/images/{image}  products.images.delete
        ";
        let RouteMatch::Found(found) = route(IMAGES, "PUT", "/api/products/p/images/order") else { panic!() };
        assert_eq!(found.operation, "products.images.reorder");
        assert_eq!(route(IMAGES, "DELETE", "/api/products/p/images/order"), RouteMatch::WrongMethod("PUT".into()));
        let RouteMatch::Found(found) = route(IMAGES, "DELETE", "/api/products/p/images/i1") else { panic!() };
        assert_eq!((found.operation, found.param("image")), ("products.images.delete", "i1"));
        assert_eq!(route(IMAGES, "PUT", "/api/products/p/images/i1"), RouteMatch::WrongMethod("DELETE".into()));
    }
}
