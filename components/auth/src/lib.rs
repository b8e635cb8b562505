//! The auth service component: accounts, sign-in and tokens.
//!
//! Routes: `POST /api/auth/register`, `/login`, `/refresh`, `/logout`, `GET /api/auth/me`;
//! for admins, `GET /api/users`, `GET|PATCH /api/users/{id}` (see [`users`]).
//! Export: `shop:platform/auth.verify-token`, which other components call through the host.
//! Passwords are argon2id; access tokens HS256 JWTs signed with the `jwt_secret` variable;
//! refresh tokens opaque, stored hashed, rotated on use, their family revoked on reuse.

mod accounts;
mod throttle;
mod tokens;
mod users;

wit_bindgen::generate!({
    path: "../../wit",
    world: "auth-core",
    with: { "shop:platform/documents@0.1.0": api_kit::documents },
    generate_all,
});

use accounts::{USERS, user_view};
use api_kit::ApiResponse;
use api_kit::documents::{IndexKind, Op};
use api_kit::router;
use api_kit::store::{self, Stored};
use exports::shop::platform::auth::{AuthError, Guest, Principal, Role};
use http::header;
use serde_json::{Map, Value, json};
use shop_domain::accounts::StoredUser;
use shop_domain::{Problem, time};
use wstd::http::{Body, Request};

struct Auth;

impl Guest for Auth {
    fn verify_token(token: String) -> Result<Principal, AuthError> {
        let key = tokens::signing_key().map_err(|_| AuthError::Unavailable("sign-in is not configured".into()))?;
        let claims = tokens::verify_access(&token, &key).map_err(|e| match e {
            tokens::TokenError::Expired => AuthError::Expired,
            tokens::TokenError::Invalid(reason) => AuthError::Invalid(reason),
        })?;
        // The user as stored now: a disabled or deleted user's tokens stop working at once,
        // and a changed role applies at once.
        let user = USERS.get(&claims.sub).map_err(|_| AuthError::Unavailable("the user store is unavailable".into()))?;
        let Some(user) = user else { return Err(AuthError::Disabled) };
        let view = user_view(&user);
        if view.disabled {
            return Err(AuthError::Disabled);
        }
        let role = if view.role == shop_domain::accounts::Role::Admin { Role::Admin } else { Role::Customer };
        Ok(Principal { user_id: view.id, email: view.email, role })
    }
}

impl exports::shop::platform::operator::Guest for Auth {
    fn create_admin(email: String, password: String) -> Result<String, String> {
        let email = accounts::Email::parse(&email).map_err(|e| format!("email {e}"))?;
        let password = accounts::NewPassword::parse(&password, Some(&email)).map_err(|e| format!("password {e}"))?;
        ensure_indexes().map_err(|p| p.detail.unwrap_or(p.title))?;
        let existing =
            USERS.find_one(vec![store::clause("email", Op::Eq, json!(email.as_str()))]).map_err(|p| p.detail.unwrap_or(p.title))?;
        if let Some(user) = existing {
            return if user.body.role == shop_domain::accounts::Role::Admin {
                Ok(user.id)
            } else {
                Err(format!("{} is a customer account; it is never promoted. Choose another email for the admin.", email.as_str()))
            };
        }
        let mut doc = new_user(&email, password.as_str(), shop_domain::accounts::Role::Admin).map_err(|p| p.detail.unwrap_or(p.title))?;
        doc.created_by = Some("operator".into());
        match USERS.insert(None, &doc).map_err(|p| p.detail.unwrap_or(p.title))? {
            Ok(user) => Ok(user.id),
            Err(_) => Err("an account with this email was created at the same moment; try again".into()),
        }
    }
}

/// The `housekeeping` export: keeps the sign-in collections bounded.
impl exports::shop::platform::housekeeping::Guest for Auth {
    fn run() -> Result<String, String> {
        let attempts = throttle::sweep().map_err(|problem| problem.to_json())?;
        let tokens = tokens::sweep_expired().map_err(|problem| problem.to_json())?;
        Ok(format!("deleted {attempts} stale sign-in attempt records and {tokens} expired refresh tokens"))
    }
}

export!(Auth);

/// A user document with a fresh password hash.
fn new_user(email: &accounts::Email, password: &str, role: shop_domain::accounts::Role) -> Result<StoredUser, Problem> {
    let now = time::now_rfc3339();
    Ok(StoredUser {
        created_at: Some(now.clone()),
        created_by: None,
        disabled: false,
        email: email.as_str().to_owned(),
        password_hash: tokens::hash_password(password)?,
        role,
        updated_at: Some(now),
    })
}

guest_http::export_http_handler!(serve);

/// Answers one request (a problem answer when the operation fails).
async fn serve(request: Request<Body>) -> guest_http::Answer {
    route(request).await.unwrap_or_else(ApiResponse::problem).into_answer()
}

/// The header carrying the client's address. The host removes any a client sends and sets
/// its own; Spin passes the client's own through and appends its value after them, so only
/// the last value is the runtime's (see [`client_address`]).
const CLIENT_ADDR: &str = "spin-client-addr";

/// The client's address as the runtime set it: the last `spin-client-addr` value (the last
/// element of it, should a client have sent a comma-separated list that a runtime joined).
fn client_address(headers: &http::HeaderMap) -> Option<String> {
    let last = headers.get_all(CLIENT_ADDR).iter().next_back()?.to_str().ok()?;
    last.rsplit(',').next().map(str::trim).filter(|addr| !addr.is_empty()).map(str::to_owned)
}

/// The routes this component serves (see `routes.txt`).
pub const ROUTES: &[router::Route<'static>] = api_kit::route_table!(include_str!("../routes.txt"));

async fn route(mut request: Request<Body>) -> Result<ApiResponse, Problem> {
    let path = request.uri().path().to_owned();
    let matched = match router::resolve(ROUTES, request.method().as_str(), &path, "auth") {
        Ok(matched) => matched,
        Err(answer) => return Ok(answer),
    };
    let user = matched.param("user").to_owned();
    match matched.operation {
        "auth.register" => register(api_kit::read_json_object(&mut request).await?),
        "auth.login" => {
            let client = client_address(request.headers());
            login(api_kit::read_json_object(&mut request).await?, client.as_deref())
        }
        "auth.refresh" => refresh(api_kit::read_json_object(&mut request).await?),
        "auth.logout" => logout(api_kit::read_json_object(&mut request).await?),
        "auth.me" => me(&request),
        "users.list" => {
            require_admin(&request)?;
            users::list("/api/users", request.uri().query())
        }
        "users.read" => {
            require_admin(&request)?;
            users::get(&user)
        }
        "users.update" => {
            let actor = require_admin(&request)?;
            let if_match = api_kit::if_match_version(&request)?;
            let body = api_kit::read_json_object(&mut request).await?;
            users::update(&actor, &user, if_match, body)
        }
        _ => Err(Problem::internal()),
    }
}

/// The signed-in user behind the request's bearer token, or the answer refusing it.
fn principal(request: &Request<Body>) -> Result<Principal, Problem> {
    let header = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("");
    let Some(token) = header.strip_prefix("Bearer ").map(str::trim).filter(|t| !t.is_empty()) else {
        return Err(Problem::unauthorized("Send an access token: Authorization: Bearer <token>."));
    };
    Auth::verify_token(token.to_owned()).map_err(|error| match error {
        AuthError::Expired => Problem::unauthorized("The access token has expired; refresh it."),
        AuthError::Disabled => Problem::unauthorized("This account cannot sign in."),
        AuthError::Unavailable(_) => Problem::unavailable("Sign-in is unavailable. Try again shortly."),
        AuthError::Invalid(_) => Problem::unauthorized("The access token is not valid."),
    })
}

fn require_admin(request: &Request<Body>) -> Result<Principal, Problem> {
    let principal = principal(request)?;
    if principal.role != Role::Admin {
        return Err(Problem::forbidden("Only admins may manage users."));
    }
    Ok(principal)
}

fn ensure_indexes() -> Result<(), Problem> {
    store::ensure_index(USERS.name, "email_unique", vec![store::key("email", false)], IndexKind::Unique)
}

fn register(body: Map<String, Value>) -> Result<ApiResponse, Problem> {
    let (email, password) = accounts::credentials(body, true).map_err(Problem::validation)?;
    ensure_indexes()?;
    let doc = new_user(&email, &password, shop_domain::accounts::Role::Customer)?;
    match USERS.insert(None, &doc)? {
        Ok(user) => Ok(ApiResponse::json(201, &user_view(&user))),
        Err(_) => {
            Err(Problem::conflict("An account with this email already exists. Sign in instead.")
                .with_field("email", "is already registered"))
        }
    }
}

fn invalid_credentials() -> Problem {
    Problem::new(401, "invalid-credentials", "Sign-in failed").with_detail("The email or the password is not correct.")
}

/// The answer to a successful sign-in or refresh: a new access token and refresh token.
fn session(user: &Stored<StoredUser>, refresh_token: String, key: &[u8]) -> Result<ApiResponse, Problem> {
    let view = user_view(user);
    let access = tokens::issue_access(&view.id, &view.email, view.role.as_str(), key)?;
    Ok(ApiResponse::json(
        200,
        &json!({
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": tokens::ACCESS_TTL_SECONDS,
            "refresh_token": refresh_token,
            "user": view,
        }),
    )
    .with_header(header::CACHE_CONTROL, "no-store"))
}

fn login(body: Map<String, Value>, client: Option<&str>) -> Result<ApiResponse, Problem> {
    let key = tokens::signing_key()?;
    // A malformed email is a validation problem; it reveals nothing about accounts.
    let (email, password) = accounts::credentials(body, false).map_err(Problem::validation)?;
    bootstrap_admin(&email);
    let attempt = match throttle::begin(email.as_str(), client)? {
        Ok(attempt) => attempt,
        Err(retry_after) => {
            return Ok(ApiResponse::problem(throttle::throttled(retry_after)).with_header(header::RETRY_AFTER, retry_after.to_string()));
        }
    };
    let Some(user) = USERS.find_one(vec![store::clause("email", Op::Eq, json!(email.as_str()))])? else {
        tokens::waste_password_check(&password);
        throttle::failed(attempt)?;
        return Err(invalid_credentials());
    };
    let (matches, rehash) = tokens::verify_password(&password, &user.body.password_hash);
    if !matches {
        throttle::failed(attempt)?;
        return Err(invalid_credentials());
    }
    if user.body.disabled {
        return Err(Problem::new(403, "account-disabled", "Account disabled").with_detail("This account has been disabled."));
    }
    throttle::succeeded(attempt)?;
    if rehash {
        let mut body = user.body.clone();
        body.password_hash = tokens::hash_password(&password)?;
        // Best effort: a concurrent change keeps the old (still valid) hash until next time.
        let _ = USERS.replace(&user.id, user.version, &body)?;
    }
    let refresh = tokens::new_refresh(&user.id, None)?;
    session(&user, refresh, &key)
}

/// Where no operator command exists (under Spin), the `admin_email` and `admin_password`
/// variables name the first admin: a sign-in with that email first makes the account, as
/// `shop-host create-admin` would (an existing admin keeps its password; a customer account
/// with that email is never promoted). Unset or empty, nothing happens; any other email costs
/// nothing.
fn bootstrap_admin(email: &accounts::Email) {
    use shop::platform::config;
    let Some(admin) = config::get("admin_email").filter(|e| !e.trim().is_empty()) else { return };
    let Ok(admin) = accounts::Email::parse(&admin) else {
        eprintln!("auth: the admin_email variable is not a valid email; no admin is made from it");
        return;
    };
    let Some(password) = config::get("admin_password").filter(|p| !p.is_empty()) else { return };
    if admin.as_str() != email.as_str() {
        return;
    }
    if let Err(reason) = <Auth as exports::shop::platform::operator::Guest>::create_admin(admin.as_str().to_owned(), password) {
        eprintln!("auth: the admin from admin_email was not made: {reason}");
    }
}

fn refresh_token_field(mut body: Map<String, Value>) -> Result<String, Problem> {
    let token = match body.remove("refresh_token") {
        Some(Value::String(token)) if !token.is_empty() && token.len() <= 128 => token,
        _ => {
            return Err(Problem::validation({
                let mut errors = shop_domain::FieldErrors::new();
                errors.push("refresh_token", "is required (the refresh_token from sign-in)");
                errors
            }));
        }
    };
    if let Some(unknown) = body.keys().next() {
        let mut errors = shop_domain::FieldErrors::new();
        errors.push(unknown.clone(), "is not a field of this request");
        return Err(Problem::validation(errors));
    }
    Ok(token)
}

fn refresh(body: Map<String, Value>) -> Result<ApiResponse, Problem> {
    let key = tokens::signing_key()?;
    let token = refresh_token_field(body)?;
    let (user_id, next) = tokens::rotate(&token)?;
    let user = USERS.get(&user_id)?.filter(|u| !u.body.disabled);
    let Some(user) = user else {
        tokens::revoke(&next)?;
        return Err(Problem::new(401, "invalid-refresh-token", "Sign in again").with_detail("This account cannot sign in."));
    };
    session(&user, next, &key)
}

fn logout(body: Map<String, Value>) -> Result<ApiResponse, Problem> {
    tokens::revoke(&refresh_token_field(body)?)?;
    Ok(ApiResponse::no_content())
}

fn me(request: &Request<Body>) -> Result<ApiResponse, Problem> {
    let principal = principal(request)?;
    let user = USERS.get(&principal.user_id)?.ok_or_else(|| Problem::unauthorized("This account no longer exists."))?;
    Ok(ApiResponse::json(200, &user_view(&user)).with_header(header::CACHE_CONTROL, "no-store"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_address_is_the_last_one_the_runtime_appended() {
        let mut headers = http::HeaderMap::new();
        assert_eq!(client_address(&headers), None);
        headers.append(CLIENT_ADDR, http::HeaderValue::from_static("198.51.100.9:4000"));
        assert_eq!(client_address(&headers).as_deref(), Some("198.51.100.9:4000"));
        // Spin: the client's forged value first, Spin's own after it.
        let mut forged = http::HeaderMap::new();
        forged.append(CLIENT_ADDR, http::HeaderValue::from_static("203.0.113.7:5555"));
        forged.append(CLIENT_ADDR, http::HeaderValue::from_static("127.0.0.1:40000"));
        assert_eq!(client_address(&forged).as_deref(), Some("127.0.0.1:40000"));
        let mut joined = http::HeaderMap::new();
        joined.append(CLIENT_ADDR, http::HeaderValue::from_static("203.0.113.7:5555, 127.0.0.1:40000"));
        assert_eq!(client_address(&joined).as_deref(), Some("127.0.0.1:40000"));
    }
}
