//! The shopper's side: signing in and registering, the account's orders, and the session
//! helpers the cart and checkout share. Pages under `/account` (but sign-in) and
//! `/checkout` are behind the guard (`server::session::guard`), which sends a browser
//! without a session to `/account/login?next=…`.

pub mod orders;
pub mod sign_in;

use crate::i18n::use_lang;
use crate::model::AppError;
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use serde::{Deserialize, Serialize};

/// The signed-in shopper, as pages see them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShopperInfo {
    /// Their email.
    pub email: String,
    /// The CSRF token every form carries.
    pub csrf: String,
}

/// The session the guard found for this request (any role), and the same after checking a
/// form's CSRF token.
#[cfg(feature = "ssr")]
pub use crate::server::session::{checked, current as shopper};

/// Sends the browser to sign in, then back to the page it came from (a form posted without
/// JavaScript by a guest).
#[cfg(feature = "ssr")]
pub async fn send_to_sign_in() {
    let headers: http::HeaderMap = leptos_axum::extract().await.unwrap_or_default();
    let back = headers
        .get(http::header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.split_once("://").and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_owned())))
        .filter(|p| crate::server::session::is_local_path(p))
        .unwrap_or_else(|| "/".into());
    let lang = crate::i18n::Lang::of_path(&back);
    leptos_axum::redirect(&format!("{}?next={}", lang.path("/account/login"), crate::data::encode(&back)));
}

/// Who is signed in, and the CSRF token for this page's forms.
#[server(prefix = "/_srv/shop")]
pub async fn current_shopper() -> Result<ShopperInfo, AppError> {
    let session = shopper().await?;
    Ok(ShopperInfo { email: session.email, csrf: session.csrf })
}

/// Signs out, to the shop's home page.
#[server(prefix = "/_srv/shop")]
pub async fn shopper_sign_out(csrf: String, lang: String) -> Result<(), AppError> {
    crate::server::session::end_session_and_go(&csrf, &crate::i18n::Lang::from_code(&lang).unwrap_or_default().path("/")).await
}

/// The frame of the account's pages: who is signed in, the account's links, sign-out.
#[component]
pub fn AccountFrame(info: ShopperInfo, #[prop(into)] title: String, children: Children) -> impl IntoView {
    let lang = use_lang();
    let sign_out = ServerAction::<ShopperSignOut>::new();
    let cart = crate::cart::Cart::use_cart();
    Effect::new(move |_| {
        if let Some(Ok(())) = sign_out.value().get() {
            cart.signed_out();
        }
    });
    view! {
        <Title text=title.clone() />
        <Meta name="robots" content="noindex" />
        <section class="account">
            <div class="account-bar">
                <span class="who">{lang.t_with("account-signed-in-as", &[("email", info.email.clone().into())])}</span>
                <a href=lang.path("/account/orders")>{lang.t("account-orders")}</a>
                <a href=lang.path("/cart")>{lang.t("nav-cart")}</a>
                <ActionForm action=sign_out attr:class="sign-out">
                    <input type="hidden" name="csrf" value=info.csrf.clone() />
                    <input type="hidden" name="lang" value=lang.code() />
                    <button type="submit" class="link">{lang.t("account-sign-out")}</button>
                </ActionForm>
            </div>
            <h1>{title}</h1>
            {children()}
        </section>
    }
}

/// The sign-in page's own frame (no account bar yet).
#[component]
pub fn SignInFrame(#[prop(into)] title: String, children: Children) -> impl IntoView {
    view! {
        <Title text=title.clone() />
        <Meta name="robots" content="noindex" />
        <section class="login">
            <h1>{title}</h1>
            {children()}
        </section>
    }
}
