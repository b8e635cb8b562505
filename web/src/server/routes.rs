//! The storefront's routes that are not pages.

use crate::i18n::{self, Lang};
use crate::model::{Category, ProductPage};
use crate::server::session::{self, LANG};
use crate::server::{api, config};
use axum::body::Body;
use axum::extract::{Path, Query, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::Deserialize;
use std::fmt::Write;

/// `GET /uploads/{*key}`: the host's product images, passed through (in production nginx
/// sends `/uploads/` to the host directly).
pub async fn uploads(Path(key): Path<String>, headers: HeaderMap) -> Response {
    let mut forward = reqwest::header::HeaderMap::new();
    for name in [header::IF_NONE_MATCH, header::IF_MODIFIED_SINCE] {
        if let Some(value) = headers.get(&name) {
            forward.insert(name, value.clone());
        }
    }
    match api().raw(&format!("/uploads/{key}"), forward).await {
        Ok(upstream) => {
            let mut response = Response::builder().status(upstream.status());
            for name in [
                header::CONTENT_TYPE,
                header::CONTENT_LENGTH,
                header::ETAG,
                header::CACHE_CONTROL,
                header::X_CONTENT_TYPE_OPTIONS,
                header::CONTENT_SECURITY_POLICY,
            ] {
                if let Some(value) = upstream.headers().get(&name) {
                    response = response.header(name, value);
                }
            }
            response.body(Body::from_stream(upstream.bytes_stream())).unwrap_or_else(|_| StatusCode::BAD_GATEWAY.into_response())
        }
        Err(_) => StatusCode::BAD_GATEWAY.into_response(),
    }
}

/// Where the switcher sends a shopper.
#[derive(Debug, Deserialize)]
pub struct SwitchTo {
    to: Option<String>,
}

/// `GET /lang/{code}?to=/neutral/path`: remembers the language chosen with the switcher
/// and shows the same page in it.
pub async fn switch_language(Path(code): Path<String>, Query(target): Query<SwitchTo>) -> Response {
    let Some(lang) = Lang::from_code(&code) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // Only a path of this site: never `//elsewhere` or a full URL (no open redirect).
    let neutral = target.to.filter(|t| t.starts_with('/') && !t.starts_with("//") && !t.contains('\\')).unwrap_or_else(|| "/".into());
    let to = lang.path(Lang::strip(&neutral));
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response();
    let cookie = format!("{LANG}={}; Path=/; Max-Age=31536000; SameSite=Lax", lang.code());
    response.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&cookie).expect("ASCII"));
    response
}

/// On `/`: a shopper who chose Arabic before, or whose browser prefers it on a first visit,
/// is sent to `/ar`.
pub async fn first_visit(request: Request, next: Next) -> Response {
    if request.uri().path() == "/" && request.uri().query().is_none() {
        let headers = request.headers();
        let wanted = match session::cookie(headers, LANG).as_deref().and_then(Lang::from_code) {
            Some(chosen) => Some(chosen),
            None => headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).and_then(i18n::guess),
        };
        if wanted == Some(Lang::Ar) {
            let mut response = (StatusCode::FOUND, [(header::LOCATION, "/ar")]).into_response();
            response.headers_mut().insert(header::VARY, HeaderValue::from_static("Accept-Language, Cookie"));
            return response;
        }
        let mut response = next.run(request).await;
        response.headers_mut().insert(header::VARY, HeaderValue::from_static("Accept-Language, Cookie"));
        return response;
    }
    next.run(request).await
}

/// Server functions answer every error with 500; this gives each `AppError` its own status
/// (a refused form 422, a forged one 400, a dead API 503…). The body stays the typed error the
/// hydrated page decodes.
pub async fn server_function_status(request: Request, next: Next) -> Response {
    if !request.uri().path().starts_with("/_srv/") {
        return next.run(request).await;
    }
    let response = next.run(request).await;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1024 * 1024).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Ok(error) = serde_json::from_slice::<crate::model::AppError>(&bytes) {
        parts.status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// `GET /robots.txt`.
pub async fn robots() -> Response {
    let body = format!(
        "User-agent: *\nDisallow: /admin\nDisallow: /ar/admin\nDisallow: /_srv/\nDisallow: /lang/\nSitemap: {}/sitemap.xml\n",
        config().public_url
    );
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], body).into_response()
}

/// `GET /sitemap.xml`: the home page, every category and every published product, each in
/// both languages with `hreflang` alternates.
pub async fn sitemap() -> Response {
    let mut paths = vec!["/".to_owned()];
    let categories: Result<CategoryList, _> = api().get("/api/categories", None).await;
    let Ok(categories) = categories else {
        return (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, "30")], "the catalogue is unavailable").into_response();
    };
    paths.extend(categories.items.iter().map(|c| format!("/c/{}", c.slug)));
    let mut page = 1;
    loop {
        let Ok(products) = api().get::<ProductPage>(&format!("/api/products?per_page=100&page={page}&sort=newest"), None).await else {
            return (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, "30")], "the catalogue is unavailable").into_response();
        };
        paths.extend(products.items.iter().map(|p| format!("/p/{}", p.slug)));
        if page >= products.pages() {
            break;
        }
        page += 1;
    }
    let base = &config().public_url;
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" xmlns:xhtml=\"http://www.w3.org/1999/xhtml\">\n",
    );
    for path in &paths {
        for lang in Lang::ALL {
            let _ = write!(xml, "<url><loc>{base}{}</loc>", escape(&lang.path(path)));
            for alt in Lang::ALL {
                let _ =
                    write!(xml, "<xhtml:link rel=\"alternate\" hreflang=\"{}\" href=\"{base}{}\"/>", alt.code(), escape(&alt.path(path)));
            }
            xml.push_str("</url>\n");
        }
    }
    xml.push_str("</urlset>\n");
    ([(header::CONTENT_TYPE, "application/xml; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=600")], xml).into_response()
}

#[derive(Deserialize)]
struct CategoryList {
    items: Vec<Category>,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('"', "&quot;")
}
