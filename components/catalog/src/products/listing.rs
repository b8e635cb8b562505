//! `GET /api/products`: filters, bilingual full-text search, sorts and pages.

use super::view::{ProductView, Row};
use crate::stored::categories;
use crate::stored::products::{COLLECTION, ensure_indexes};
use crate::{access, caching};
use api_kit::documents::{Op, Query};
use api_kit::query::{KeptQuery, Page, Paging, QueryParams};
use api_kit::{self as respond, ApiResponse, store};
use serde_json::json;
use shop_domain::{FieldErrors, Problem, money::MAX_AMOUNT};
use wstd::http::{Body, Request};

/// Products per page when the request does not say.
pub const DEFAULT_PER_PAGE: u64 = 24;
/// The most products one page may hold.
pub const MAX_PER_PAGE: u64 = 100;
/// The longest search query.
pub const MAX_QUERY_CHARS: usize = 200;

/// What a listing asks for, read from its query string (nothing looked up yet).
#[derive(Debug)]
pub struct ListingQuery {
    /// Which page, and how many products on it.
    pub paging: Paging,
    /// Full-text search, at most [`MAX_QUERY_CHARS`] characters.
    pub q: Option<String>,
    /// A category's id or slug.
    pub category: Option<String>,
    /// Lowest price, in minor units.
    pub min_price: Option<u64>,
    /// Highest price, in minor units (never below `min_price`).
    pub max_price: Option<u64>,
    /// Only products in stock (`true`) or out of it (`false`).
    pub in_stock: Option<bool>,
    /// Only featured products, or only the others.
    pub featured: Option<bool>,
    /// `newest`, `price_asc`, `price_desc` or `name`; none means newest, or relevance for a search.
    pub sort: Option<&'static str>,
    /// The language names sort by.
    pub lang: &'static str,
    /// `published` (anyone), `draft` or `any` (admins only).
    pub status: &'static str,
    /// The parameters as given, for the page's links.
    pub kept: KeptQuery,
}

impl ListingQuery {
    /// Reads `category&q&min_price&max_price&in_stock&featured&sort&lang&status&page&per_page`;
    /// 400 naming every invalid or unknown parameter.
    pub fn parse(query: Option<&str>) -> Result<Self, Problem> {
        let mut params = QueryParams::parse(query);
        let paging = params.paging(DEFAULT_PER_PAGE, MAX_PER_PAGE);
        let q = params.parsed("q", |q| {
            if q.chars().count() > MAX_QUERY_CHARS {
                Err(format!("must be at most {MAX_QUERY_CHARS} characters"))
            } else {
                Ok(q.to_owned())
            }
        });
        let category = params.text("category");
        let min_price = params.integer("min_price", 0, MAX_AMOUNT as u64);
        let max_price = params.integer("max_price", 0, MAX_AMOUNT as u64);
        let in_stock = params.boolean("in_stock");
        let featured = params.boolean("featured");
        let sort = params.one_of("sort", &["newest", "price_asc", "price_desc", "name"]);
        let lang = params.one_of("lang", &["en", "ar"]).unwrap_or("en");
        let status = params.one_of("status", &["published", "draft", "any"]).unwrap_or("published");
        if let (Some(min), Some(max)) = (min_price, max_price)
            && min > max
        {
            params.reject("max_price", "must not be below min_price");
        }
        let kept = params.finish()?;
        Ok(Self { paging, q, category, min_price, max_price, in_stock, featured, sort, lang, status, kept })
    }
}

/// `GET /api/products?category&q&min_price&max_price&in_stock&featured&sort&lang&status&page&per_page`.
pub fn list(request: &Request<Body>) -> Result<ApiResponse, Problem> {
    let ListingQuery { paging, q, category, min_price, max_price, in_stock, featured, sort, lang, status, kept } =
        ListingQuery::parse(request.uri().query())?;
    if status != "published" {
        access::require_admin(request)?;
    }

    let mut filter = Vec::new();
    if status != "any" {
        filter.push(store::clause("status", Op::Eq, json!(status)));
    }
    if let Some(key) = &category {
        let Some(found) = categories::find(key)? else {
            let mut errors = FieldErrors::new();
            errors.push("category", "no category has this id or slug");
            return Err(Problem::bad_query(errors));
        };
        filter.push(store::clause("category", Op::Eq, json!(found.id)));
    }
    if let Some(min) = min_price {
        filter.push(store::clause("price.amount", Op::Gte, json!(min)));
    }
    if let Some(max) = max_price {
        filter.push(store::clause("price.amount", Op::Lte, json!(max)));
    }
    if in_stock == Some(true) {
        filter.push(store::clause("stock", Op::Gt, json!(0)));
    } else if in_stock == Some(false) {
        filter.push(store::clause("stock", Op::Lte, json!(0)));
    }
    if let Some(featured) = featured {
        filter.push(store::clause("featured", Op::Eq, json!(featured)));
    }
    let sort = match (sort, &q) {
        (Some("price_asc"), _) => vec![store::key("price.amount", false)],
        (Some("price_desc"), _) => vec![store::key("price.amount", true)],
        (Some("name"), _) => vec![store::key(&format!("name.{lang}"), false)],
        (Some(_), _) | (None, None) => vec![store::key("created_at", true)],
        // A search without a sort comes by relevance.
        (None, Some(_)) => Vec::new(),
    };
    let query = Query { filter, text: q, sort, skip: paging.skip(), limit: paging.limit() };
    // A search needs the text index, which the store may not have yet (no write or
    // housekeeping since it was made); the other indexes only speed a listing up, and writes
    // and housekeeping declare them.
    let (products, total) = store::search_json(COLLECTION, &query, ensure_indexes)?;
    let rows = products.iter().map(|json| Row::parse(json)).collect::<Result<Vec<_>, _>>()?;
    let index = categories::index_of(rows.iter().filter_map(Row::category_id))?;
    // The stored text is about the size of the view's.
    let length = products.iter().map(|json| json.len() + 64).sum();
    let page = Page::json_written(total, paging, "/api/products", &kept, length, |out| {
        for (n, row) in rows.iter().enumerate() {
            if n > 0 {
                out.push(',');
            }
            ProductView::of(row, &index).write(out);
        }
    });
    Ok(respond::cacheable_json(request, None, page, caching::cache_control(request)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid(query: &str) -> Vec<String> {
        let problem = ListingQuery::parse(Some(query)).unwrap_err();
        assert_eq!(problem.status, 400);
        problem.errors.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_listing_query_is_read_with_its_defaults_and_bounds() {
        let plain = ListingQuery::parse(None).unwrap();
        assert_eq!((plain.paging.page, plain.paging.per_page, plain.lang, plain.status, plain.sort), (1, 24, "en", "published", None));
        let full =
            ListingQuery::parse(Some("q=%D8%AA%D9%85%D8%B1&lang=ar&sort=name&page=3&per_page=100&min_price=5&max_price=5&in_stock=0"))
                .unwrap();
        assert_eq!((full.q.as_deref(), full.lang, full.sort, full.paging.skip()), (Some("تمر"), "ar", Some("name"), 200));
        assert_eq!((full.min_price, full.max_price, full.in_stock), (Some(5), Some(5), Some(false)));
        assert_eq!(invalid("per_page=101&page=0&colour=red"), ["page", "per_page", "colour"]);
        assert_eq!(invalid("min_price=9&max_price=1"), ["max_price"]);
        assert_eq!(invalid(&format!("q={}", "a".repeat(MAX_QUERY_CHARS + 1))), ["q"]);
        assert_eq!(invalid("sort=cheap&sort=name"), ["sort"]);
    }
}
