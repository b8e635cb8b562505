//! The admin dashboard: sign-in, products, categories, orders, users. Every page and function here
//! is behind the server-side guard (`server::session::guard`); the API checks the admin
//! role again on every write.

pub mod categories;
pub mod edit;
pub mod images;
pub mod login;
pub mod orders;
pub mod products;
pub mod users;

use crate::components::LanguageSwitch;
use crate::i18n::use_lang;
use crate::model::AppError;
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use serde::{Deserialize, Serialize};

/// The signed-in admin, as pages see them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminInfo {
    /// The admin's email.
    pub email: String,
    /// The CSRF token every form carries.
    pub csrf: String,
}

/// The session the guard found (server side).
#[cfg(feature = "ssr")]
pub(crate) async fn session() -> Result<crate::server::session::Session, AppError> {
    let axum::Extension(session) =
        leptos_axum::extract::<axum::Extension<crate::server::session::Session>>().await.map_err(|_| AppError::Unauthorized)?;
    Ok(session)
}

/// The session, after checking a form's CSRF token against it.
#[cfg(feature = "ssr")]
pub(crate) async fn checked(csrf: &str) -> Result<crate::server::session::Session, AppError> {
    let session = session().await?;
    if !crate::server::session::constant_time_eq(session.csrf.as_bytes(), csrf.as_bytes()) {
        return Err(AppError::BadRequest("The form has expired; reload the page and try again.".into()));
    }
    Ok(session)
}

/// Who is signed in, and the CSRF token for this page's forms.
#[server(prefix = "/_srv/admin")]
pub async fn current_admin() -> Result<AdminInfo, AppError> {
    let session = session().await?;
    Ok(AdminInfo { email: session.email, csrf: session.csrf })
}

/// Signs out: the refresh token is revoked at the API and the cookies are cleared.
#[server(prefix = "/_srv/admin")]
pub async fn sign_out(csrf: String, lang: String) -> Result<(), AppError> {
    use crate::server::session::{REFRESH, cleared_cookies, cookie};
    let _ = checked(&csrf).await?;
    let headers: http::HeaderMap = leptos_axum::extract().await.map_err(|e| AppError::BadRequest(e.to_string()))?;
    if let Some(refresh) = cookie(&headers, REFRESH) {
        let body = serde_json::json!({ "refresh_token": refresh });
        let _: Result<serde_json::Value, _> = crate::server::api()
            .call(http::Method::POST, "/api/auth/logout", crate::server::api::Call { json: Some(&body), ..Default::default() })
            .await;
    }
    let response = expect_context::<leptos_axum::ResponseOptions>();
    for cookie in cleared_cookies() {
        response.append_header(http::header::SET_COOKIE, cookie);
    }
    let lang = crate::i18n::Lang::from_code(&lang).unwrap_or_default();
    leptos_axum::redirect(&lang.path("/admin/login"));
    Ok(())
}

/// The frame of every admin page: navigation, who is signed in, sign-out.
#[component]
pub fn AdminFrame(info: AdminInfo, #[prop(into)] title: String, children: Children) -> impl IntoView {
    let lang = use_lang();
    let sign_out = ServerAction::<SignOut>::new();
    view! {
        <Title text=format!("{title} · {}", lang.t("admin-title")) />
        <Meta name="robots" content="noindex" />
        <div class="admin">
            <header class="admin-header">
                <a class="brand" href=lang.path("/admin")>{lang.t("admin-title")}</a>
                <nav aria-label=lang.t("admin-title")>
                    <a href=lang.path("/admin")>{lang.t("admin-products")}</a>
                    <a href=lang.path("/admin/categories")>{lang.t("admin-categories")}</a>
                    <a href=lang.path("/admin/orders")>{lang.t("admin-orders")}</a>
                    <a href=lang.path("/admin/users")>{lang.t("admin-users")}</a>
                    <a href=lang.path("/") rel="external">{lang.t("shop-name")}</a>
                </nav>
                <div class="admin-tools">
                    <LanguageSwitch />
                    <span class="who">{lang.t_with("admin-signed-in-as", &[("email", info.email.clone().into())])}</span>
                    <ActionForm action=sign_out>
                        <input type="hidden" name="csrf" value=info.csrf.clone() />
                        <input type="hidden" name="lang" value=lang.code() />
                        <button type="submit" class="link">{lang.t("admin-sign-out")}</button>
                    </ActionForm>
                </div>
            </header>
            <div class="admin-body">
                <h1>{title}</h1>
                {children()}
            </div>
        </div>
    }
}

/// A message for an error from an action, if there is one.
#[component]
pub fn ActionError(error: Signal<Option<AppError>>) -> impl IntoView {
    let lang = use_lang();
    move || {
        error.get().map(|e| {
            let text = if e.has_fields() { lang.t("admin-form-errors") } else { e.message(lang) };
            view! { <p class="form-error" role="alert">{text}</p> }
        })
    }
}

/// A labelled input with the API's message for its field beside it.
#[component]
pub fn Field(
    /// The form field's name (a server function's argument).
    #[prop(into)]
    name: String,
    /// The label.
    #[prop(into)]
    label: String,
    /// The value it starts with.
    #[prop(into)]
    value: String,
    /// The message to show, if any.
    error: Signal<Option<String>>,
    /// A textarea instead of an input.
    #[prop(optional)]
    multiline: bool,
    /// The input's type (`text` by default).
    #[prop(optional, into)]
    kind: Option<String>,
    /// The text direction of the value (`rtl` for Arabic fields).
    #[prop(optional, into)]
    dir: Option<String>,
    /// `inputmode`.
    #[prop(optional, into)]
    inputmode: Option<String>,
    /// Whether it must be filled.
    #[prop(optional)]
    required: bool,
) -> impl IntoView {
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    let invalid = move || error.get().is_some().to_string();
    let described = error_id.clone();
    let control = if multiline {
        view! { <textarea id=id.clone() name=name.clone() dir=dir.clone() rows="4" aria-invalid=invalid aria-describedby=described.clone() required=required>{value.clone()}</textarea> }.into_any()
    } else {
        view! { <input id=id.clone() name=name.clone() type=kind.unwrap_or_else(|| "text".into()) value=value.clone() dir=dir.clone() inputmode=inputmode aria-invalid=invalid aria-describedby=described required=required /> }.into_any()
    };
    view! {
        <div class="field" class:invalid=move || error.get().is_some()>
            <label for=id>{label}</label>
            {control}
            <p class="field-error" id=error_id>{move || error.get()}</p>
        </div>
    }
}
