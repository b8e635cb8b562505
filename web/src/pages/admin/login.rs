//! The admin sign-in page.

use crate::components::LanguageSwitch;
use crate::i18n::use_lang;
use crate::model::AppError;
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_query_map;

/// The CSRF token of this browser (the guard sets its cookie).
#[server(prefix = "/_srv/auth")]
pub async fn csrf_token() -> Result<String, AppError> {
    let axum::Extension(token) = leptos_axum::extract::<axum::Extension<crate::server::session::CsrfToken>>()
        .await
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    Ok(token.0)
}

/// Signs an admin in: the API checks the password (and throttles guessing per account and
/// per client address); the tokens go into `HttpOnly` cookies.
#[server(prefix = "/_srv/auth")]
pub async fn sign_in(email: String, password: String, csrf: String, lang: String, next: Option<String>) -> Result<(), AppError> {
    use crate::server::session::{Tokens, client_address, csrf_matches, session_cookies};
    let headers: http::HeaderMap = leptos_axum::extract().await.map_err(|e| AppError::BadRequest(e.to_string()))?;
    if !csrf_matches(&headers, &csrf) {
        return Err(AppError::BadRequest("The form has expired; reload the page and try again.".into()));
    }
    let peer = leptos_axum::extract::<axum::extract::ConnectInfo<std::net::SocketAddr>>().await.ok().map(|c| c.0);
    let body = serde_json::json!({ "email": email, "password": password });
    let call = crate::server::api::Call { json: Some(&body), client: client_address(&headers, peer), ..Default::default() };
    let tokens: Tokens = match crate::server::api().call(http::Method::POST, "/api/auth/login", call).await {
        Ok(tokens) => tokens,
        // A wrong password is a 401 at the API: say so on the form, not "sign in required".
        Err(AppError::Unauthorized) => {
            return Err(AppError::Refused {
                status: 401,
                title: "Sign-in failed".into(),
                detail: Some("The email or the password is not correct.".into()),
                errors: Vec::new(),
            });
        }
        Err(other) => return Err(other),
    };
    if tokens.user.role != crate::model::Role::Admin {
        return Err(AppError::Unauthorized);
    }
    let response = expect_context::<leptos_axum::ResponseOptions>();
    for cookie in session_cookies(&tokens.access_token, &tokens.refresh_token) {
        response.append_header(http::header::SET_COOKIE, cookie);
    }
    let lang = crate::i18n::Lang::from_code(&lang).unwrap_or_default();
    // Only a path of the dashboard: never an address elsewhere.
    let admin_home = lang.path("/admin");
    let to = next
        .filter(|n| {
            crate::i18n::Lang::strip(n.split('?').next().unwrap_or("")).starts_with("/admin") && n.starts_with('/') && !n.starts_with("//")
        })
        .unwrap_or(admin_home);
    leptos_axum::redirect(&to);
    Ok(())
}

/// `/admin/login`.
#[component]
pub fn LoginPage() -> impl IntoView {
    let lang = use_lang();
    let token = Resource::new(|| (), |_| csrf_token());
    let sign_in = ServerAction::<SignIn>::new();
    let query = use_query_map();
    let next = move || query.with(|q| q.get("next")).unwrap_or_default();
    let error = Signal::derive(move || sign_in.value().get().and_then(Result::err));
    view! {
        <Title text=lang.t("admin-sign-in") />
        <Meta name="robots" content="noindex" />
        <section class="login">
            <div class="login-tools"><LanguageSwitch /></div>
            <h1>{lang.t("admin-sign-in")}</h1>
            <Suspense>
                {move || Suspend::new(async move {
                    let csrf = token.await.unwrap_or_default();
                    view! {
                        <ActionForm action=sign_in>
                            <input type="hidden" name="csrf" value=csrf />
                            <input type="hidden" name="lang" value=lang.code() />
                            <input type="hidden" name="next" value=next />
                            <div class="field">
                                <label for="email">{lang.t("admin-email")}</label>
                                <input id="email" name="email" type="email" autocomplete="username" required dir="ltr" />
                            </div>
                            <div class="field">
                                <label for="password">{lang.t("admin-password")}</label>
                                <input id="password" name="password" type="password" autocomplete="current-password" required dir="ltr" />
                            </div>
                            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e.message(lang)}</p> })}
                            <button type="submit" class="primary" disabled=move || sign_in.pending().get()>{lang.t("admin-sign-in")}</button>
                        </ActionForm>
                    }
                })}
            </Suspense>
        </section>
    }
}
