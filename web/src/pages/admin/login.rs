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
    use crate::server::session::{session_cookies, sign_in_at_api};
    let tokens = sign_in_at_api(&email, &password, &csrf).await?;
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
            crate::i18n::Lang::strip(n.split('?').next().unwrap_or("")).starts_with("/admin") && crate::server::session::is_local_path(n)
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
