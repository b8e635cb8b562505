//! Admin sessions. The API's tokens live in `HttpOnly`, `SameSite=Strict` cookies that
//! scripts cannot read; every admin page and admin server function passes the guard here,
//! which asks the API who the token belongs to (refreshing it when it has expired) and lets
//! only admins through. Forms carry a CSRF token equal to a cookie of its own, and writes
//! from another origin are refused before any of that.

use crate::i18n::Lang;
use crate::model::{AppError, Role, User};
use crate::server::{api, config};
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use serde::Deserialize;
use serde_json::json;
use std::net::SocketAddr;

/// The access token's cookie.
pub const ACCESS: &str = "shop_session";
/// The refresh token's cookie.
pub const REFRESH: &str = "shop_refresh";
/// The CSRF token's cookie.
pub const CSRF: &str = "shop_csrf";
/// The remembered language's cookie.
pub const LANG: &str = "shop_lang";
/// How long a sign-in lasts without activity (the refresh token's own life is longer).
const SESSION_SECONDS: u64 = 14 * 24 * 3600;

/// The signed-in admin of a request, set by the guard for admin pages and functions.
#[derive(Debug, Clone)]
pub struct Session {
    /// The admin's email.
    pub email: String,
    /// The access token, for calls to the API.
    pub token: String,
    /// The CSRF token forms must carry.
    pub csrf: String,
}

/// The CSRF token of a request (the guard makes one when the browser has none).
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

/// The value of cookie `name` in `headers`.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A `Set-Cookie` value; `max_age` 0 deletes.
pub fn set_cookie(name: &str, value: &str, max_age: u64, same_site: &str) -> HeaderValue {
    let secure = if config().cookie_secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite={same_site}{secure}"))
        .expect("cookie values are ASCII")
}

/// The cookies a sign-in or a refresh sets.
pub fn session_cookies(access: &str, refresh: &str) -> [HeaderValue; 2] {
    [set_cookie(ACCESS, access, SESSION_SECONDS, "Strict"), set_cookie(REFRESH, refresh, SESSION_SECONDS, "Strict")]
}

/// The cookies that end a session.
pub fn cleared_cookies() -> [HeaderValue; 2] {
    [set_cookie(ACCESS, "", 0, "Strict"), set_cookie(REFRESH, "", 0, "Strict")]
}

/// A fresh random token (128 bits, hex).
pub fn random_token() -> String {
    let bytes: [u8; 16] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether a form's CSRF token matches the request's cookie.
pub fn csrf_matches(headers: &HeaderMap, given: &str) -> bool {
    cookie(headers, CSRF).is_some_and(|expected| !given.is_empty() && constant_time_eq(expected.as_bytes(), given.as_bytes()))
}

/// Compares secrets in time that does not depend on where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The tokens the API answers a sign-in or refresh with.
#[derive(Debug, Deserialize)]
pub struct Tokens {
    /// The access token.
    pub access_token: String,
    /// The refresh token.
    pub refresh_token: String,
    /// Who signed in.
    pub user: User,
}

/// The browser's address, for the API's per-client limits.
pub fn client_address(request_headers: &HeaderMap, connect: Option<SocketAddr>) -> Option<String> {
    // Behind nginx the proxy's own X-Forwarded-For is passed on as it came; the host decides
    // which hops it trusts.
    let peer = connect.map(|a| a.ip().to_string());
    match (request_headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()), peer) {
        (Some(chain), Some(peer)) => Some(format!("{chain}, {peer}")),
        (None, peer) => peer,
        (Some(chain), None) => Some(chain.to_owned()),
    }
}

enum Kind {
    Page,
    Function,
    SignIn,
}

fn classify(path: &str) -> Option<Kind> {
    let neutral = Lang::strip(path);
    if neutral == "/admin/login" || path.starts_with("/_srv/auth/") {
        Some(Kind::SignIn)
    } else if neutral == "/admin" || neutral.starts_with("/admin/") {
        Some(Kind::Page)
    } else if path.starts_with("/_srv/admin/") {
        Some(Kind::Function)
    } else {
        None
    }
}

/// Whether a write comes from another site (the browser says so in `Sec-Fetch-Site` or
/// `Origin`).
fn cross_site(headers: &HeaderMap) -> bool {
    if headers.get("sec-fetch-site").is_some_and(|v| v.as_bytes() == b"cross-site") {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    match (headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()), host) {
        (Some(origin), Some(host)) => origin.split_once("://").map(|(_, rest)| rest) != Some(host),
        _ => false,
    }
}

fn problem(status: StatusCode, title: &str) -> Response {
    let body = json!({"type": "/problems/admin", "title": title, "status": status.as_u16()});
    (status, [(header::CONTENT_TYPE, "application/problem+json")], body.to_string()).into_response()
}

/// The guard of `/admin`, `/ar/admin` and the admin server functions (see the module docs).
pub async fn guard(mut request: Request, next: Next) -> Response {
    let Some(kind) = classify(request.uri().path()) else {
        return next.run(request).await;
    };
    if request.method() != Method::GET && request.method() != Method::HEAD && cross_site(request.headers()) {
        return problem(StatusCode::FORBIDDEN, "Cross-site requests may not change the shop.");
    }
    let mut set = Vec::new();
    let csrf = match cookie(request.headers(), CSRF).filter(|t| t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit())) {
        Some(token) => token,
        None => {
            let token = random_token();
            set.push(set_cookie(CSRF, &token, SESSION_SECONDS, "Strict"));
            append_cookie(request.headers_mut(), CSRF, &token);
            token
        }
    };
    request.extensions_mut().insert(CsrfToken(csrf.clone()));
    if !matches!(kind, Kind::SignIn) {
        match resolve(request.headers()).await {
            Ok((me, token, refreshed)) if me.role == Role::Admin => {
                if let Some(tokens) = refreshed {
                    set.extend(session_cookies(&tokens.access_token, &tokens.refresh_token));
                }
                request.extensions_mut().insert(Session { email: me.email, token, csrf });
            }
            Err(AppError::Unavailable(_)) => {
                // The page itself shows the API-down page with a retry.
                if matches!(kind, Kind::Function) {
                    return problem(StatusCode::SERVICE_UNAVAILABLE, "The shop's API is unavailable.");
                }
            }
            _ => {
                let mut response = match kind {
                    Kind::Page => {
                        let lang = Lang::of_path(request.uri().path());
                        let next_path = request.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/admin");
                        let to = format!("{}?next={}", lang.path("/admin/login"), crate::data::encode(next_path).replace("%2F", "/"));
                        (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
                    }
                    _ => problem(StatusCode::UNAUTHORIZED, "Sign in as an admin first."),
                };
                for cookie in cleared_cookies() {
                    response.headers_mut().append(header::SET_COOKIE, cookie);
                }
                return response;
            }
        }
    }
    let mut response = next.run(request).await;
    for cookie in set {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    // Admin pages are personal: never cached.
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn append_cookie(headers: &mut HeaderMap, name: &str, value: &str) {
    let joined = match headers.get(header::COOKIE).and_then(|v| v.to_str().ok()) {
        Some(existing) if !existing.is_empty() => format!("{existing}; {name}={value}"),
        _ => format!("{name}={value}"),
    };
    headers.insert(header::COOKIE, HeaderValue::from_str(&joined).expect("cookie values are ASCII"));
}

/// Who the request's session belongs to: the access token, or a refresh when it has
/// expired (the new tokens are returned so the guard can set them).
async fn resolve(headers: &HeaderMap) -> Result<(User, String, Option<Tokens>), AppError> {
    if let Some(token) = cookie(headers, ACCESS).filter(|t| !t.is_empty()) {
        match api().get::<User>("/api/auth/me", Some(&token)).await {
            Ok(me) => return Ok((me, token, None)),
            Err(AppError::Unauthorized) => {}
            Err(other) => return Err(other),
        }
    }
    let refresh = cookie(headers, REFRESH).filter(|t| !t.is_empty()).ok_or(AppError::Unauthorized)?;
    let body = json!({ "refresh_token": refresh });
    let tokens: Tokens = api()
        .call(Method::POST, "/api/auth/refresh", crate::server::api::Call { json: Some(&body), ..Default::default() })
        .await
        .map_err(|e| if matches!(e, AppError::Unavailable(_)) { e } else { AppError::Unauthorized })?;
    Ok((tokens.user.clone(), tokens.access_token.clone(), Some(tokens)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("a=1; shop_csrf=abc; b=2"));
        assert_eq!(cookie(&headers, "shop_csrf").as_deref(), Some("abc"));
        assert_eq!(cookie(&headers, "shop"), None);
        append_cookie(&mut headers, "c", "3");
        assert_eq!(cookie(&headers, "c").as_deref(), Some("3"));
    }

    #[test]
    fn writes_from_other_sites_are_recognised() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("shop.example"));
        assert!(!cross_site(&headers));
        headers.insert(header::ORIGIN, HeaderValue::from_static("https://shop.example"));
        assert!(!cross_site(&headers));
        headers.insert(header::ORIGIN, HeaderValue::from_static("https://evil.example"));
        assert!(cross_site(&headers));
        let mut fetch = HeaderMap::new();
        fetch.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(cross_site(&fetch));
    }

    #[test]
    fn admin_paths_are_guarded_in_both_languages() {
        assert!(matches!(classify("/admin"), Some(Kind::Page)));
        assert!(matches!(classify("/ar/admin/products/1"), Some(Kind::Page)));
        assert!(matches!(classify("/ar/admin/login"), Some(Kind::SignIn)));
        assert!(matches!(classify("/_srv/admin/save_product123"), Some(Kind::Function)));
        assert!(classify("/administrator").is_none());
        assert!(classify("/c/admin").is_none());
    }
}
