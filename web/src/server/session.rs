//! Sessions, for admins and shoppers alike. The API's tokens live in `HttpOnly`,
//! `SameSite=Strict` cookies that scripts cannot read; the guard here asks the API who the
//! token belongs to (refreshing it when it has expired) and puts the [`Session`] on the
//! request: the dashboard and its server functions let only admins through, a shopper's
//! account pages and checkout anyone signed in, and the cart and the shopper's server
//! functions take a session when there is one. Forms carry a CSRF token equal to a cookie
//! of its own, and writes from another origin are refused before any of that (the
//! `SameSite=Strict` session cookies are not even sent with them).
//!
//! A third cookie, [`SIGNED_IN`], readable by scripts and holding no secret, tells the
//! hydrated page that the cart lives on the server; the catalogue's pages stay the same
//! bytes for everyone, so they can be kept in memory.

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
/// The cookie that tells scripts a shopper is signed in (`1`; no secret).
pub const SIGNED_IN: &str = "shop_signed_in";
/// The remembered language's cookie.
pub const LANG: &str = "shop_lang";
/// How long a sign-in lasts without activity (the refresh token's own life is longer).
const SESSION_SECONDS: u64 = 14 * 24 * 3600;

/// The signed-in person of a request, set by the guard (see the module docs).
#[derive(Debug, Clone)]
pub struct Session {
    /// Their email.
    pub email: String,
    /// Their role.
    pub role: Role,
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
pub fn session_cookies(access: &str, refresh: &str) -> [HeaderValue; 3] {
    [
        set_cookie(ACCESS, access, SESSION_SECONDS, "Strict"),
        set_cookie(REFRESH, refresh, SESSION_SECONDS, "Strict"),
        signed_in_cookie(SESSION_SECONDS),
    ]
}

/// The cookies that end a session.
pub fn cleared_cookies() -> [HeaderValue; 3] {
    [set_cookie(ACCESS, "", 0, "Strict"), set_cookie(REFRESH, "", 0, "Strict"), signed_in_cookie(0)]
}

/// [`SIGNED_IN`]: scripts read it, so it is not `HttpOnly`; `Lax`, as it guards nothing.
fn signed_in_cookie(max_age: u64) -> HeaderValue {
    let secure = if config().cookie_secure { "; Secure" } else { "" };
    let value = if max_age == 0 { "" } else { "1" };
    HeaderValue::from_str(&format!("{SIGNED_IN}={value}; Path=/; Max-Age={max_age}; SameSite=Lax{secure}")).expect("ASCII")
}

/// Ends the request's session at the API (its refresh token revoked) and returns the
/// cookies that clear it in the browser.
pub async fn end_session(headers: &HeaderMap) -> [HeaderValue; 3] {
    if let Some(refresh) = cookie(headers, REFRESH).filter(|t| !t.is_empty()) {
        let body = json!({ "refresh_token": refresh });
        let call = crate::server::api::Call { json: Some(&body), ..Default::default() };
        let _: Result<serde_json::Value, _> = api().call(Method::POST, "/api/auth/logout", call).await;
    }
    cleared_cookies()
}

/// The session the guard found for this request (any role), or `Unauthorized`: what pages
/// and server functions behind the guard start from.
pub async fn current() -> Result<Session, AppError> {
    let axum::Extension(session) = leptos_axum::extract::<axum::Extension<Session>>().await.map_err(|_| AppError::Unauthorized)?;
    Ok(session)
}

/// The session, after checking a form's CSRF token against it.
pub async fn checked(csrf: &str) -> Result<Session, AppError> {
    let session = current().await?;
    if !constant_time_eq(session.csrf.as_bytes(), csrf.as_bytes()) {
        return Err(AppError::BadRequest("The form has expired; reload the page and try again.".into()));
    }
    Ok(session)
}

/// Ends the session of a sign-out form (its CSRF token checked): the refresh token is
/// revoked at the API, the cookies are cleared, and the browser goes to `to`.
pub async fn end_session_and_go(csrf: &str, to: &str) -> Result<(), AppError> {
    let _ = checked(csrf).await?;
    let headers: HeaderMap = leptos_axum::extract().await.map_err(|e| AppError::BadRequest(e.to_string()))?;
    let response = leptos::prelude::expect_context::<leptos_axum::ResponseOptions>();
    for cookie in end_session(&headers).await {
        response.append_header(header::SET_COOKIE, cookie);
    }
    leptos_axum::redirect(to);
    Ok(())
}

/// Whether `next` is a path of this site that a sign-in may send a browser on to (never
/// `//elsewhere`, a full address or a backslash trick: no open redirect).
pub fn is_local_path(next: &str) -> bool {
    next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') && !next.chars().any(char::is_control)
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

/// Signs in at the API from a sign-in form's server function: checks the form's CSRF token,
/// passes on the browser's address (the API throttles guessing per account and per client)
/// and says "wrong email or password" on the form rather than "sign in required". The
/// caller decides whether the person may in, then sets [`session_cookies`].
pub async fn sign_in_at_api(email: &str, password: &str, csrf: &str) -> Result<Tokens, AppError> {
    let headers: HeaderMap = leptos_axum::extract().await.map_err(|e| AppError::BadRequest(e.to_string()))?;
    if !csrf_matches(&headers, csrf) {
        return Err(AppError::BadRequest("The form has expired; reload the page and try again.".into()));
    }
    let peer = leptos_axum::extract::<axum::extract::ConnectInfo<SocketAddr>>().await.ok().map(|c| c.0);
    let body = json!({ "email": email, "password": password });
    let call = crate::server::api::Call { json: Some(&body), client: client_address(&headers, peer), ..Default::default() };
    match api().call(Method::POST, "/api/auth/login", call).await {
        Err(AppError::Unauthorized) => Err(AppError::Refused {
            status: 401,
            title: "Sign-in failed".into(),
            detail: Some("The email or the password is not correct.".into()),
            errors: Vec::new(),
        }),
        other => other,
    }
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A dashboard page: admins only, others are sent to its sign-in.
    AdminPage,
    /// A dashboard server function: admins only.
    AdminFunction,
    /// A sign-in or registration page or function: no session needed.
    SignIn,
    /// A shopper's account page or checkout: anyone signed in, others are sent to sign in.
    ShopperPage,
    /// The cart page and the shopper's server functions: a session when there is one (the
    /// functions themselves refuse to work without).
    MaybeShopper,
}

fn classify(path: &str) -> Option<Kind> {
    let neutral = Lang::strip(path);
    let under = |root: &str| neutral == root || neutral.strip_prefix(root).is_some_and(|rest| rest.starts_with('/'));
    if neutral == "/admin/login" || neutral == "/account/login" || neutral == "/account/register" || path.starts_with("/_srv/auth/") {
        Some(Kind::SignIn)
    } else if under("/admin") {
        Some(Kind::AdminPage)
    } else if path.starts_with("/_srv/admin/") {
        Some(Kind::AdminFunction)
    } else if under("/account") || neutral == "/checkout" {
        Some(Kind::ShopperPage)
    } else if neutral == "/cart" || path.starts_with("/_srv/shop/") {
        Some(Kind::MaybeShopper)
    } else {
        None
    }
}

impl Kind {
    fn admits(self, role: Role) -> bool {
        match self {
            Kind::AdminPage | Kind::AdminFunction => role == Role::Admin,
            _ => true,
        }
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

/// The guard of the dashboard, the shopper's account, checkout and cart, and their server
/// functions (see the module docs).
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
    let has_session = [ACCESS, REFRESH].iter().any(|name| cookie(request.headers(), name).is_some_and(|v| !v.is_empty()));
    if kind != Kind::SignIn && (kind != Kind::MaybeShopper || has_session) {
        match resolve(request.headers()).await {
            Ok((me, token, refreshed)) if kind.admits(me.role) => {
                if let Some(tokens) = refreshed {
                    set.extend(session_cookies(&tokens.access_token, &tokens.refresh_token));
                }
                request.extensions_mut().insert(Session { email: me.email, role: me.role, token, csrf });
            }
            Err(AppError::Unavailable(_)) => {
                // The page itself shows the API-down page with a retry.
                if kind == Kind::AdminFunction {
                    return problem(StatusCode::SERVICE_UNAVAILABLE, "The shop's API is unavailable.");
                }
            }
            // A shopper whose session has ended keeps using the cart as a guest.
            Err(_) if kind == Kind::MaybeShopper => set.extend(cleared_cookies()),
            outcome => {
                let mut response = match kind {
                    Kind::AdminPage | Kind::ShopperPage => {
                        let lang = Lang::of_path(request.uri().path());
                        let sign_in = if kind == Kind::AdminPage { "/admin/login" } else { "/account/login" };
                        let next_path = request.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
                        let to = format!("{}?next={}", lang.path(sign_in), crate::data::encode(next_path).replace("%2F", "/"));
                        (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
                    }
                    _ => problem(StatusCode::UNAUTHORIZED, "Sign in as an admin first."),
                };
                // Signed in, but not as an admin: the session stays, the dashboard is closed.
                if outcome.is_err() {
                    for cookie in cleared_cookies() {
                        response.headers_mut().append(header::SET_COOKIE, cookie);
                    }
                }
                return response;
            }
        }
    }
    let mut response = next.run(request).await;
    for cookie in set {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    // These pages are personal: never cached.
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
        assert_eq!(classify("/admin"), Some(Kind::AdminPage));
        assert_eq!(classify("/ar/admin/products/1"), Some(Kind::AdminPage));
        assert_eq!(classify("/ar/admin/login"), Some(Kind::SignIn));
        assert_eq!(classify("/_srv/admin/save_product123"), Some(Kind::AdminFunction));
        assert!(classify("/administrator").is_none());
        assert!(classify("/c/admin").is_none());
    }

    #[test]
    fn shopper_paths_need_a_session_only_where_they_show_one() {
        assert_eq!(classify("/account"), Some(Kind::ShopperPage));
        assert_eq!(classify("/ar/account/orders/ab12"), Some(Kind::ShopperPage));
        assert_eq!(classify("/checkout"), Some(Kind::ShopperPage));
        assert_eq!(classify("/ar/account/login"), Some(Kind::SignIn));
        assert_eq!(classify("/account/register"), Some(Kind::SignIn));
        assert_eq!(classify("/cart"), Some(Kind::MaybeShopper));
        assert_eq!(classify("/_srv/shop/cart_change1"), Some(Kind::MaybeShopper));
        assert!(classify("/accounts").is_none());
        assert!(classify("/p/checkout").is_none());
        assert!(Kind::ShopperPage.admits(Role::Customer));
        assert!(!Kind::AdminPage.admits(Role::Customer));
    }

    #[test]
    fn sign_in_sends_on_only_to_this_site() {
        assert!(is_local_path("/account/orders?page=2"));
        assert!(!is_local_path("//evil.example/"));
        assert!(!is_local_path("https://evil.example/"));
        assert!(!is_local_path("/\\evil.example"));
        assert!(!is_local_path(""));
    }
}
