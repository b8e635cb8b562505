//! `/api/categories`: the product categories, named in English and Arabic.

use api_kit::{self as respond, ApiResponse};
use api_kit::documents::{IndexKind, Op, Query};
use api_kit::store::{self, Stored};
use serde::Serialize;
use serde_json::{Map, Value, json};
use shop_domain::{FieldErrors, LocalizedText, Problem, Slug, time};
use http::header;
use wstd::http::{Body, Method, Request};

const COLLECTION: &str = "categories";
/// The longest category name, per language.
const MAX_NAME_CHARS: usize = 100;
/// The range of `sort_order`.
const SORT_ORDER_RANGE: std::ops::RangeInclusive<i64> = -1_000_000..=1_000_000;
/// The most categories listed (the shop's navigation, not a data set).
const MAX_LISTED: u32 = 1000;

/// A category as the API shows it.
#[derive(Serialize)]
struct CategoryView {
    id: String,
    slug: String,
    name: Value,
    sort_order: i64,
    version: u64,
    created_at: Value,
    updated_at: Value,
}

impl From<Stored> for CategoryView {
    fn from(stored: Stored) -> Self {
        let field = |name: &str| stored.body.get(name).cloned().unwrap_or(Value::Null);
        Self {
            slug: field("slug").as_str().unwrap_or_default().to_owned(),
            name: field("name"),
            sort_order: field("sort_order").as_i64().unwrap_or(0),
            created_at: field("created_at"),
            updated_at: field("updated_at"),
            id: stored.id,
            version: stored.version,
        }
    }
}

/// The fields a client may write.
struct CategoryInput {
    slug: Option<Slug>,
    name: LocalizedText,
    sort_order: Option<i64>,
    version: Option<u64>,
}

impl CategoryInput {
    /// Parses a request body, listing every invalid or unknown field.
    fn parse(mut body: Map<String, Value>, allow_version: bool) -> Result<Self, Problem> {
        let mut errors = FieldErrors::new();
        let name = LocalizedText::parse(body.get("name"), "name", MAX_NAME_CHARS, &mut errors);
        let slug = match body.remove("slug") {
            None | Some(Value::Null) => None,
            Some(Value::String(raw)) => errors.check("slug", Slug::parse(&raw)),
            Some(_) => {
                errors.push("slug", "must be a string");
                None
            }
        };
        let sort_order = match body.remove("sort_order") {
            None | Some(Value::Null) => None,
            Some(value) => match value.as_i64() {
                Some(n) if SORT_ORDER_RANGE.contains(&n) => Some(n),
                _ => {
                    errors.push("sort_order", "must be a whole number from -1000000 to 1000000");
                    None
                }
            },
        };
        let version = match body.remove("version") {
            Some(_) if !allow_version => {
                errors.push("version", "is set by the server and cannot be written");
                None
            }
            None | Some(Value::Null) => None,
            Some(value) => match value.as_u64() {
                Some(v) if v > 0 => Some(v),
                _ => {
                    errors.push("version", "must be a positive whole number");
                    None
                }
            },
        };
        body.remove("name");
        for unknown in body.keys() {
            errors.push(unknown.clone(), "is not a field of a category");
        }
        if errors.is_empty() {
            if let Some(name) = name {
                return Ok(Self { slug, name, sort_order, version });
            }
        }
        Err(Problem::validation(errors))
    }
}

/// Makes sure the indexes the queries below rely on exist.
fn ensure_indexes() -> Result<(), Problem> {
    store::ensure_index(COLLECTION, "slug_unique", vec![store::key("slug", false)], IndexKind::Unique)?;
    store::ensure_index(
        COLLECTION,
        "navigation_order",
        vec![store::key("sort_order", false), store::key("name.en", false)],
        IndexKind::Regular,
    )
}

/// `/api/categories`: GET lists, POST creates.
pub async fn collection(mut request: Request<Body>) -> ApiResponse {
    let result = match *request.method() {
        Method::GET | Method::HEAD => list(),
        Method::POST => match crate::access::require_admin(&request) {
            Err(problem) => Err(problem),
            Ok(()) => match respond::read_json_object(&mut request).await {
                Ok(body) => create(body),
                Err(problem) => Err(problem),
            },
        },
        _ => return ApiResponse::problem(Problem::method_not_allowed("GET, HEAD, POST")).with_header(header::ALLOW, "GET, HEAD, POST"),
    };
    result.unwrap_or_else(ApiResponse::problem)
}

/// `/api/categories/{id-or-slug}`: GET reads, PUT replaces, DELETE removes.
pub async fn item(mut request: Request<Body>, id: &str) -> ApiResponse {
    let method = request.method().clone();
    let result = match method {
        Method::GET | Method::HEAD => read(id),
        Method::PUT | Method::DELETE => match crate::access::require_admin(&request) {
            Err(problem) => Err(problem),
            Ok(()) if method == Method::PUT => {
                let if_match = respond::if_match_version(&request);
                match (if_match, respond::read_json_object(&mut request).await) {
                    (Ok(if_match), Ok(body)) => update(id, if_match, body),
                    (Err(problem), _) | (_, Err(problem)) => Err(problem),
                }
            }
            Ok(()) => respond::if_match_version(&request).and_then(|version| remove(id, version)),
        },
        _ => {
            return ApiResponse::problem(Problem::method_not_allowed("GET, HEAD, PUT, DELETE"))
                .with_header(header::ALLOW, "GET, HEAD, PUT, DELETE");
        }
    };
    result.unwrap_or_else(ApiResponse::problem)
}

fn list() -> Result<ApiResponse, Problem> {
    ensure_indexes()?;
    let query = Query {
        filter: Vec::new(),
        text: None,
        sort: vec![store::key("sort_order", false), store::key("name.en", false)],
        skip: 0,
        limit: MAX_LISTED,
    };
    let (items, total) = store::find(COLLECTION, &query)?;
    let items: Vec<CategoryView> = items.into_iter().map(CategoryView::from).collect();
    Ok(ApiResponse::json(200, &json!({ "items": items, "total": total })))
}

/// Finds a category by id, then by slug.
fn lookup(id_or_slug: &str) -> Result<Stored, Problem> {
    if let Some(found) = store::get(COLLECTION, id_or_slug)? {
        return Ok(found);
    }
    if Slug::parse(id_or_slug).is_ok() {
        if let Some(found) = store::find_one(COLLECTION, vec![store::clause("slug", Op::Eq, json!(id_or_slug))])? {
            return Ok(found);
        }
    }
    Err(Problem::not_found(format!("There is no category {id_or_slug}.")))
}

fn read(id: &str) -> Result<ApiResponse, Problem> {
    let found = lookup(id)?;
    let etag = respond::etag(found.version);
    Ok(ApiResponse::json(200, &CategoryView::from(found)).with_header(header::ETAG, etag))
}

/// The slug to store: the one given, else one derived from the English name.
fn resolve_slug(input: &CategoryInput, current: Option<&str>) -> Result<String, Problem> {
    if let Some(slug) = &input.slug {
        return Ok(slug.to_string());
    }
    if let Some(current) = current {
        return Ok(current.to_owned());
    }
    Slug::from_text(&input.name.en).map(String::from).ok_or_else(|| {
        let mut errors = FieldErrors::new();
        errors.push("slug", "could not be derived from name.en; give one explicitly");
        Problem::validation(errors)
    })
}

fn duplicate_slug(slug: &str) -> Problem {
    Problem::conflict(format!("Another category already has the slug \"{slug}\"."))
        .with_field("slug", "is already used by another category")
}

fn create(body: Map<String, Value>) -> Result<ApiResponse, Problem> {
    let input = CategoryInput::parse(body, false)?;
    let slug = resolve_slug(&input, None)?;
    ensure_indexes()?;
    let now = time::now_rfc3339();
    let mut doc = Map::new();
    doc.insert("slug".into(), json!(slug));
    doc.insert("name".into(), json!(input.name));
    doc.insert("sort_order".into(), json!(input.sort_order.unwrap_or(0)));
    doc.insert("created_at".into(), json!(now));
    doc.insert("updated_at".into(), json!(now));
    match store::insert(COLLECTION, &doc)? {
        Ok(stored) => {
            let location = format!("/api/categories/{}", stored.id);
            let etag = respond::etag(stored.version);
            Ok(ApiResponse::json(201, &CategoryView::from(stored))
                .with_header(header::LOCATION, location)
                .with_header(header::ETAG, etag))
        }
        Err(error) if store::duplicate_index(&error).is_some() => Err(duplicate_slug(&slug)),
        Err(error) => Err(store::to_problem(error)),
    }
}

fn update(id: &str, if_match: Option<u64>, body: Map<String, Value>) -> Result<ApiResponse, Problem> {
    let input = CategoryInput::parse(body, true)?;
    let Some(expected) = if_match.or(input.version) else {
        return Err(Problem::precondition_required(
            "Say which version you are replacing: send If-Match with the ETag you read, or a `version` field.",
        ));
    };
    let current = lookup(id)?;
    let current_slug = current.body.get("slug").and_then(Value::as_str);
    let slug = resolve_slug(&input, current_slug)?;
    ensure_indexes()?;
    let mut doc = current.body.clone();
    doc.insert("slug".into(), json!(slug));
    doc.insert("name".into(), json!(input.name));
    if let Some(order) = input.sort_order {
        doc.insert("sort_order".into(), json!(order));
    }
    doc.insert("updated_at".into(), json!(time::now_rfc3339()));
    match store::replace(COLLECTION, &current.id, expected, &doc)? {
        Ok(Some(stored)) => {
            let etag = respond::etag(stored.version);
            Ok(ApiResponse::json(200, &CategoryView::from(stored)).with_header(header::ETAG, etag))
        }
        Ok(None) => Err(Problem::not_found(format!("There is no category {id}."))),
        Err(error) if store::duplicate_index(&error).is_some() => Err(duplicate_slug(&slug)),
        Err(error) => Err(store::to_problem(error)),
    }
}

fn remove(id: &str, version: Option<u64>) -> Result<ApiResponse, Problem> {
    let current = lookup(id)?;
    if store::delete(COLLECTION, &current.id, version)? {
        Ok(ApiResponse::no_content())
    } else {
        Err(Problem::not_found(format!("There is no category {id}.")))
    }
}
