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

pub use crate::components::{ActionError, Field};

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

/// The session the guard found, and the same after checking a form's CSRF token.
#[cfg(feature = "ssr")]
pub(crate) use crate::server::session::{checked, current as session};

/// Who is signed in, and the CSRF token for this page's forms.
#[server(prefix = "/_srv/admin")]
pub async fn current_admin() -> Result<AdminInfo, AppError> {
    let session = session().await?;
    Ok(AdminInfo { email: session.email, csrf: session.csrf })
}

/// Signs out, to the dashboard's sign-in page.
#[server(prefix = "/_srv/admin")]
pub async fn sign_out(csrf: String, lang: String) -> Result<(), AppError> {
    crate::server::session::end_session_and_go(&csrf, &crate::i18n::Lang::from_code(&lang).unwrap_or_default().path("/admin/login")).await
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
