//! User administration (admins only): list users, read one, change a role, disable or
//! enable an account.
//!
//! `GET /api/users?page&per_page&role&disabled&email` (email: a prefix of the address),
//! `GET /api/users/{id}`, `PATCH /api/users/{id}` with `{"role"?, "disabled"?}`.
//! An admin cannot demote or disable themselves, so the shop always keeps the admin who is
//! acting. Disabling an account revokes its refresh tokens; its access tokens stop working at
//! once because `verify-token` reads the account on every call.

use crate::accounts::{USERS, user_view};
use crate::exports::shop::platform::auth::Principal;
use crate::tokens;
use api_kit::documents::{IndexKind, Op, Query};
use api_kit::query::{Page, QueryParams};
use api_kit::{ApiResponse, store};
use http::header;
use serde_json::{Map, Value, json};
use shop_domain::accounts::Role;
use shop_domain::{FieldErrors, Problem, time};

/// Users per page when the request does not say.
pub const DEFAULT_PER_PAGE: u64 = 20;
/// The most users one page may hold.
pub const MAX_PER_PAGE: u64 = 100;
/// Optimistic writes retried this often when an `If-Match` was not given.
const RETRIES: usize = 8;

fn ensure_indexes() -> Result<(), Problem> {
    store::ensure_index(USERS.name, "created", vec![store::key("created_at", true)], IndexKind::Regular)
}

/// `GET /api/users`.
pub fn list(path: &str, query: Option<&str>) -> Result<ApiResponse, Problem> {
    let mut params = QueryParams::parse(query);
    let paging = params.paging(DEFAULT_PER_PAGE, MAX_PER_PAGE);
    let role = params.one_of("role", &["admin", "customer"]);
    let disabled = params.boolean("disabled");
    let email = params.text("email").map(|e| e.trim().to_lowercase());
    let kept = params.finish()?;
    let mut filter = Vec::new();
    if let Some(role) = role {
        filter.push(store::clause("role", Op::Eq, json!(role)));
    }
    if let Some(disabled) = disabled {
        filter.push(store::clause("disabled", Op::Eq, json!(disabled)));
    }
    if let Some(prefix) = email {
        // A prefix is the range [prefix, prefix + the largest character).
        filter.push(store::clause("email", Op::Gte, json!(prefix)));
        filter.push(store::clause("email", Op::Lt, json!(format!("{prefix}\u{10FFFF}"))));
    }
    ensure_indexes()?;
    let query = Query {
        filter,
        text: None,
        sort: vec![store::key("created_at", true), store::key("email", false)],
        skip: paging.skip(),
        limit: paging.limit(),
    };
    let (users, total) = USERS.find(&query)?;
    let items: Vec<_> = users.iter().map(user_view).collect();
    Ok(ApiResponse::json(200, &Page::new(items, total, paging, path, &kept)).with_header(header::CACHE_CONTROL, "no-store"))
}

fn not_found(id: &str) -> Problem {
    Problem::not_found(format!("No user has the id {id}."))
}

/// `GET /api/users/{id}`.
pub fn get(id: &str) -> Result<ApiResponse, Problem> {
    let user = USERS.get(id)?.ok_or_else(|| not_found(id))?;
    Ok(ApiResponse::json(200, &user_view(&user))
        .with_header(header::ETAG, api_kit::etag(user.version))
        .with_header(header::CACHE_CONTROL, "no-store"))
}

/// The changes a `PATCH` asks for.
struct Changes {
    role: Option<Role>,
    disabled: Option<bool>,
    version: Option<u64>,
}

fn parse_changes(mut body: Map<String, Value>) -> Result<Changes, Problem> {
    let mut errors = FieldErrors::new();
    let role = match body.remove("role") {
        None => None,
        Some(Value::String(role)) => match Role::parse(&role) {
            Some(role) => Some(role),
            None => {
                errors.push("role", "must be \"admin\" or \"customer\"");
                None
            }
        },
        Some(_) => {
            errors.push("role", "must be \"admin\" or \"customer\"");
            None
        }
    };
    let disabled = match body.remove("disabled") {
        None => None,
        Some(Value::Bool(disabled)) => Some(disabled),
        Some(_) => {
            errors.push("disabled", "must be true or false");
            None
        }
    };
    let version = api_kit::version_field(&mut body, true, &mut errors);
    for unknown in body.keys() {
        errors.push(unknown.clone(), "is not a field of a user change (role, disabled, version)");
    }
    if errors.is_empty() && role.is_none() && disabled.is_none() {
        errors.push("", "must change role or disabled");
    }
    if !errors.is_empty() {
        return Err(Problem::validation(errors));
    }
    Ok(Changes { role, disabled, version })
}

/// `PATCH /api/users/{id}`: `If-Match` (or `version`) makes the change conditional; without
/// one the change applies to the current version (setting a role or a flag is idempotent).
pub fn update(actor: &Principal, id: &str, if_match: Option<u64>, body: Map<String, Value>) -> Result<ApiResponse, Problem> {
    let changes = parse_changes(body)?;
    if actor.user_id == id {
        if changes.role == Some(Role::Customer) {
            return Err(
                Problem::conflict("You cannot remove your own admin role; ask another admin.").with_field("role", "cannot demote yourself")
            );
        }
        if changes.disabled == Some(true) {
            return Err(Problem::conflict("You cannot disable your own account; ask another admin.")
                .with_field("disabled", "cannot disable yourself"));
        }
    }
    let expected = if_match.or(changes.version);
    for _ in 0..RETRIES {
        let user = USERS.get(id)?.ok_or_else(|| not_found(id))?;
        if let Some(expected) = expected.filter(|v| *v != user.version) {
            return Err(Problem::conflict(format!(
                "This user was changed since version {expected} (now {}). Fetch it again and retry.",
                user.version
            )));
        }
        let mut next = user.body.clone();
        if let Some(role) = changes.role {
            next.role = role;
        }
        if let Some(disabled) = changes.disabled {
            next.disabled = disabled;
        }
        if next == user.body {
            return Ok(ApiResponse::json(200, &user_view(&user)).with_header(header::ETAG, api_kit::etag(user.version)));
        }
        next.updated_at = Some(time::now_rfc3339());
        match USERS.replace(id, user.version, &next)? {
            Ok(Some(saved)) => {
                if changes.disabled == Some(true) {
                    tokens::revoke_user(id)?;
                }
                return Ok(ApiResponse::json(200, &user_view(&saved)).with_header(header::ETAG, api_kit::etag(saved.version)));
            }
            Ok(None) => return Err(not_found(id)),
            // Changed in between: with an expected version that is a conflict; without one,
            // apply the change to the new version.
            Err(_) if expected.is_some() => {
                return Err(Problem::conflict("This user was changed by someone else. Fetch it again and retry."));
            }
            Err(_) => continue,
        }
    }
    Err(Problem::unavailable("This user is being changed by many requests at once. Try again shortly."))
}
