//! Query strings read strictly: each parameter taken by name, unknown ones refused, and
//! pages bounded, with the links of a paginated answer.

use serde::Serialize;
use shop_domain::{FieldErrors, Problem};

/// The parameters of one request's query string.
pub struct QueryParams {
    pairs: Vec<(String, String)>,
    kept: Vec<(String, String)>,
    errors: FieldErrors,
}

impl QueryParams {
    /// Parses a query string (`a=1&b=x+y`), percent-decoding names and values.
    pub fn parse(query: Option<&str>) -> Self {
        let pairs = form_urlencoded::parse(query.unwrap_or("").as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        Self { pairs, kept: Vec::new(), errors: FieldErrors::new() }
    }

    /// Takes a parameter's value; empty values count as absent; a repeated parameter is an error.
    pub fn text(&mut self, name: &str) -> Option<String> {
        let mut values: Vec<String> = Vec::new();
        self.pairs.retain(|(k, v)| {
            if k == name {
                values.push(v.clone());
                false
            } else {
                true
            }
        });
        if values.len() > 1 {
            self.errors.push(name, "must be given once");
            return None;
        }
        let value = values.pop().filter(|v| !v.trim().is_empty())?;
        self.kept.push((name.to_owned(), value.clone()));
        Some(value)
    }

    /// Takes a parameter parsed by `parse`, recording its error under the parameter's name.
    pub fn parsed<T>(&mut self, name: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        let value = self.text(name)?;
        match parse(value.trim()) {
            Ok(parsed) => Some(parsed),
            Err(message) => {
                self.errors.push(name, message);
                None
            }
        }
    }

    /// Takes an integer in `min..=max`.
    pub fn integer(&mut self, name: &str, min: u64, max: u64) -> Option<u64> {
        self.parsed(name, |v| match v.parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(format!("must be a whole number from {min} to {max}")),
        })
    }

    /// Takes `true` or `false`.
    pub fn boolean(&mut self, name: &str) -> Option<bool> {
        self.parsed(name, |v| match v {
            "true" | "1" => Ok(true),
            "false" | "0" => Ok(false),
            _ => Err("must be true or false".to_owned()),
        })
    }

    /// Takes one of a set of words.
    pub fn one_of(&mut self, name: &str, allowed: &[&'static str]) -> Option<&'static str> {
        self.parsed(name, |v| allowed.iter().copied().find(|a| *a == v).ok_or_else(|| format!("must be one of: {}", allowed.join(", "))))
    }

    /// Takes `page` and `per_page` (at most `max_per_page`, `default_per_page` when absent).
    pub fn paging(&mut self, default_per_page: u64, max_per_page: u64) -> Paging {
        let page = self.integer("page", 1, 1_000_000).unwrap_or(1);
        let per_page = self.integer("per_page", 1, max_per_page).unwrap_or(default_per_page);
        Paging { page, per_page }
    }

    /// Records an error about a parameter found invalid by the caller.
    pub fn reject(&mut self, name: &str, message: &str) {
        self.errors.push(name, message);
    }

    /// Ends reading: any parameter not taken is unknown. The answer is 400 listing every
    /// invalid parameter.
    pub fn finish(mut self) -> Result<KeptQuery, Problem> {
        for (name, _) in std::mem::take(&mut self.pairs) {
            self.errors.push(name, "is not a parameter of this route");
        }
        if self.errors.is_empty() { Ok(KeptQuery(self.kept)) } else { Err(Problem::bad_query(self.errors)) }
    }
}

/// The parameters a request was answered with, to build links to other pages.
#[derive(Debug)]
pub struct KeptQuery(Vec<(String, String)>);

/// Which page of a list to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    /// From 1.
    pub page: u64,
    /// Items per page.
    pub per_page: u64,
}

impl Paging {
    /// How many items come before this page (as the store counts them).
    pub fn skip(&self) -> u32 {
        u32::try_from((self.page - 1).saturating_mul(self.per_page)).unwrap_or(u32::MAX)
    }

    /// How many items one page holds (as the store counts them).
    pub fn limit(&self) -> u32 {
        u32::try_from(self.per_page).unwrap_or(u32::MAX)
    }
}

/// Links to the pages of a list (absent when there is no such page).
#[derive(Debug, Serialize)]
pub struct PageLinks {
    /// This page.
    #[serde(rename = "self")]
    pub this: String,
    /// The first page.
    pub first: String,
    /// The previous page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
    /// The next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// The last page (the first when the list is empty).
    pub last: String,
}

/// A page of a list, as every list route answers it.
#[derive(Debug, Serialize)]
pub struct Page<T: Serialize> {
    /// The items of this page.
    pub items: Vec<T>,
    /// How many items match in all.
    pub total: u64,
    /// This page's number.
    pub page: u64,
    /// Items per page.
    pub per_page: u64,
    /// Links to other pages.
    pub links: PageLinks,
}

impl<T: Serialize> Page<T> {
    /// A page of items at `path`, with links that keep the request's other parameters.
    pub fn new(items: Vec<T>, total: u64, paging: Paging, path: &str, query: &KeptQuery) -> Self {
        let last_page = total.div_ceil(paging.per_page).max(1);
        let link = |page: u64| {
            let mut out = form_urlencoded::Serializer::new(String::new());
            for (k, v) in query.0.iter().filter(|(k, _)| k != "page") {
                out.append_pair(k, v);
            }
            if page > 1 {
                out.append_pair("page", &page.to_string());
            }
            let q = out.finish();
            if q.is_empty() { path.to_owned() } else { format!("{path}?{q}") }
        };
        let links = PageLinks {
            this: link(paging.page),
            first: link(1),
            prev: (paging.page > 1).then(|| link((paging.page - 1).min(last_page))),
            next: (paging.page < last_page).then(|| link(paging.page + 1)),
            last: link(last_page),
        };
        Self { items, total, page: paging.page, per_page: paging.per_page, links }
    }
}

impl Page<()> {
    /// The page's JSON text around items already written as JSON (`items`, each one
    /// value): the same text as serialising a [`Page`] of them.
    pub fn json_around(items: &[String], total: u64, paging: Paging, path: &str, query: &KeptQuery) -> String {
        let length = items.iter().map(|item| item.len() + 1).sum();
        Self::json_written(total, paging, path, query, length, |out| {
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                out.push_str(item);
            }
        })
    }

    /// As [`Page::json_around`], with `write_items` appending the items (JSON values
    /// separated by commas) to the page's text itself, about `length` bytes of them: no
    /// text per item to copy again.
    pub fn json_written(
        total: u64,
        paging: Paging,
        path: &str,
        query: &KeptQuery,
        length: usize,
        write_items: impl FnOnce(&mut String),
    ) -> String {
        // The page without items opens with `{"items":[]`; the items go between the brackets.
        const EMPTY_ITEMS: &str = "{\"items\":[]";
        let empty = serde_json::to_string(&Page::new(Vec::<()>::new(), total, paging, path, query)).unwrap_or_default();
        let rest = empty.strip_prefix(EMPTY_ITEMS).unwrap_or("}");
        let mut out = String::with_capacity(length + empty.len());
        out.push_str("{\"items\":[");
        write_items(&mut out);
        out.push(']');
        out.push_str(rest);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_written_around_its_items_is_the_serialised_page() {
        let mut params = QueryParams::parse(Some("per_page=2&q=tea"));
        params.paging(24, 100);
        params.text("q");
        let kept = params.finish().unwrap();
        let paging = Paging { page: 2, per_page: 2 };
        let items = vec![serde_json::json!({"id": "a"}), serde_json::json!({"id": "b", "n": [1]})];
        let written: Vec<String> = items.iter().map(|item| item.to_string()).collect();
        let expected = serde_json::to_string(&Page::new(items, 7, paging, "/api/products", &kept)).unwrap();
        assert_eq!(Page::json_around(&written, 7, paging, "/api/products", &kept), expected);
        let empty = serde_json::to_string(&Page::new(Vec::<u8>::new(), 0, paging, "/x", &kept)).unwrap();
        assert_eq!(Page::json_around(&[], 0, paging, "/x", &kept), empty);
    }

    #[test]
    fn parameters_are_taken_by_name_and_unknown_ones_refused() {
        let mut q = QueryParams::parse(Some("role=admin&page=2&colour=red&q=caf%C3%A9+au+lait"));
        assert_eq!(q.one_of("role", &["admin", "customer"]), Some("admin"));
        assert_eq!(q.text("q").as_deref(), Some("café au lait"));
        let paging = q.paging(20, 100);
        assert_eq!(paging, Paging { page: 2, per_page: 20 });
        let problem = q.finish().err().unwrap();
        assert_eq!(problem.status, 400);
        assert_eq!(problem.errors[0].field, "colour");
    }

    #[test]
    fn bounds_and_repeats_are_errors() {
        let mut q = QueryParams::parse(Some("per_page=500&page=0&role=a&role=b"));
        q.paging(20, 100);
        q.text("role");
        let fields: Vec<_> = q.finish().err().unwrap().errors.into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["page", "per_page", "role"]);
    }

    #[test]
    fn links_keep_other_parameters_and_stop_at_the_ends() {
        let mut q = QueryParams::parse(Some("role=customer&page=2&per_page=10"));
        q.one_of("role", &["customer"]);
        let paging = q.paging(20, 100);
        let kept = q.finish().ok().unwrap();
        let page = Page::new(Vec::<u8>::new(), 25, paging, "/api/users", &kept);
        assert_eq!(page.links.this, "/api/users?role=customer&per_page=10&page=2");
        assert_eq!(page.links.prev.as_deref(), Some("/api/users?role=customer&per_page=10"));
        assert_eq!(page.links.next.as_deref(), Some("/api/users?role=customer&per_page=10&page=3"));
        assert_eq!(page.links.last, "/api/users?role=customer&per_page=10&page=3");
        let empty =
            Page::new(Vec::<u8>::new(), 0, Paging { page: 1, per_page: 10 }, "/x", &QueryParams::parse(None).finish().ok().unwrap());
        assert!(empty.links.next.is_none() && empty.links.prev.is_none());
        assert_eq!(empty.links.last, "/x");
    }
}
