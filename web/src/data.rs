//! The storefront's server functions: what each page reads. In the browser they are calls
//! to `/_srv/…` on the storefront's server, which asks the host's API.

use crate::i18n::Lang;
use crate::model::{AppError, Category, Product, ProductPage};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What the home page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HomeRows {
    /// Every category, in their order.
    pub categories: Vec<Category>,
    /// Featured products.
    pub featured: Vec<Product>,
    /// The newest products.
    pub newest: Vec<Product>,
}

/// The filters, sort and page of a listing, as they appear in its URL.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Filters {
    /// Search words.
    pub q: Option<String>,
    /// The lowest price, in major units as typed (`12.50`).
    pub min_price: Option<String>,
    /// The highest price.
    pub max_price: Option<String>,
    /// Only products in stock.
    pub in_stock: bool,
    /// `newest`, `price_asc`, `price_desc` or `name`.
    pub sort: Option<String>,
    /// The page, from 1.
    pub page: u64,
}

/// The sorts a listing offers.
pub const SORTS: [(&str, &str); 4] =
    [("newest", "sort-newest"), ("price_asc", "sort-price-asc"), ("price_desc", "sort-price-desc"), ("name", "sort-name")];

impl Filters {
    /// Reads the filters from a URL's query.
    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Self {
        let text = |name: &str| get(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        Self {
            q: text("q"),
            min_price: text("min_price"),
            max_price: text("max_price"),
            in_stock: text("in_stock").is_some_and(|v| v == "true" || v == "on" || v == "1"),
            sort: text("sort").filter(|s| SORTS.iter().any(|(key, _)| key == s)),
            page: text("page").and_then(|p| p.parse().ok()).filter(|p| *p >= 1 && *p <= 10_000).unwrap_or(1),
        }
    }

    /// The query string of these filters on page `page` (empty, or starting with `?`).
    pub fn query(&self, page: u64) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(q) = &self.q {
            pairs.push(("q", q.clone()));
        }
        if let Some(v) = &self.min_price {
            pairs.push(("min_price", v.clone()));
        }
        if let Some(v) = &self.max_price {
            pairs.push(("max_price", v.clone()));
        }
        if self.in_stock {
            pairs.push(("in_stock", "true".into()));
        }
        if let Some(v) = &self.sort {
            pairs.push(("sort", v.clone()));
        }
        if page > 1 {
            pairs.push(("page", page.to_string()));
        }
        if pairs.is_empty() {
            return String::new();
        }
        let encoded: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
        format!("?{}", encoded.join("&"))
    }

    /// Whether any filter (not the page) is set.
    pub fn any(&self) -> bool {
        self.min_price.is_some() || self.max_price.is_some() || self.in_stock || self.sort.is_some()
    }
}

/// Percent-encodes a query value.
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The API query for a listing.
#[cfg(feature = "ssr")]
fn api_query(filters: &Filters, lang: Lang, category: Option<&str>) -> String {
    let currency = &crate::server::config().currency;
    let mut query = format!("/api/products?per_page=24&page={}&lang={}", filters.page, lang.code());
    if let Some(category) = category {
        query.push_str(&format!("&category={}", encode(category)));
    }
    if let Some(q) = &filters.q {
        query.push_str(&format!("&q={}", encode(&q.chars().take(200).collect::<String>())));
    }
    // A price that does not parse is left out rather than failing the page.
    if let Some(min) = filters.min_price.as_deref().and_then(|v| crate::format::parse_amount(v, currency).ok()) {
        query.push_str(&format!("&min_price={min}"));
    }
    if let Some(max) = filters.max_price.as_deref().and_then(|v| crate::format::parse_amount(v, currency).ok()) {
        query.push_str(&format!("&max_price={max}"));
    }
    if filters.in_stock {
        query.push_str("&in_stock=true");
    }
    if let Some(sort) = &filters.sort {
        query.push_str(&format!("&sort={sort}"));
    }
    query
}

#[cfg(feature = "ssr")]
#[derive(Deserialize)]
struct Items<T> {
    items: Vec<T>,
}

/// The home page's categories and product rows.
#[server(prefix = "/_srv")]
pub async fn load_home() -> Result<HomeRows, AppError> {
    let api = crate::server::api();
    let (categories, featured, newest) = futures_util::future::join3(
        api.get::<Items<Category>>("/api/categories", None),
        api.get::<Items<Product>>("/api/products?featured=true&per_page=8", None),
        api.get::<Items<Product>>("/api/products?sort=newest&per_page=8", None),
    )
    .await;
    Ok(HomeRows { categories: categories?.items, featured: featured?.items, newest: newest?.items })
}

/// Every category (the header's menu).
#[server(prefix = "/_srv")]
pub async fn categories() -> Result<Vec<Category>, AppError> {
    Ok(crate::server::api().get::<Items<Category>>("/api/categories", None).await?.items)
}

/// A category and one page of its products.
#[server(prefix = "/_srv")]
pub async fn category_page(slug: String, filters: Filters, lang: Lang) -> Result<(Category, ProductPage), AppError> {
    let api = crate::server::api();
    // The API takes a category's slug as well as its id: both calls go out at once.
    let (category, page) = futures_util::future::join(
        api.get::<Category>(&format!("/api/categories/{}", encode(&slug)), None),
        api.get::<ProductPage>(&api_query(&filters, lang, Some(&slug)), None),
    )
    .await;
    Ok((category?, page?))
}

/// One page of search results.
#[server(prefix = "/_srv")]
pub async fn search_products(filters: Filters, lang: Lang) -> Result<ProductPage, AppError> {
    crate::server::api().get(&api_query(&filters, lang, None), None).await
}

/// A published product, by slug.
#[server(prefix = "/_srv")]
pub async fn load_product(slug: String) -> Result<Product, AppError> {
    crate::server::api().get(&format!("/api/products/{}", encode(&slug)), None).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_round_trip_through_the_url() {
        let pairs = [("min_price", "10"), ("in_stock", "on"), ("sort", "price_asc"), ("page", "3"), ("q", "قهوة عربية")];
        let filters = Filters::from_query(|name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string()));
        assert_eq!(filters.page, 3);
        assert!(filters.in_stock);
        let query = filters.query(2);
        assert!(query.starts_with("?q=%D9%82"), "{query}");
        assert!(query.ends_with("min_price=10&in_stock=true&sort=price_asc&page=2"), "{query}");
        assert!(!filters.query(1).contains("page"));
    }

    #[test]
    fn nonsense_in_the_url_is_dropped() {
        let pairs = [("sort", "drop table"), ("page", "-4"), ("min_price", "  ")];
        let filters = Filters::from_query(|name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string()));
        assert_eq!(filters, Filters { page: 1, ..Filters::default() });
        assert_eq!(filters.query(1), "");
    }
}
