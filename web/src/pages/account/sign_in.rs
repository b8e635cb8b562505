//! `/account/login` and `/account/register`: a shopper signs in or opens an account, then
//! goes on to where they were (`?next=`, a path of this shop).

use super::SignInFrame;
use crate::cart::Cart;
use crate::components::Field;
use crate::i18n::{Lang, use_lang};
use crate::model::AppError;
use crate::pages::admin::login::csrf_token;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// Where to go after signing in: `next` when it is a path of this shop, else the account.
#[cfg(feature = "ssr")]
fn destination(lang: &str, next: Option<String>) -> String {
    let lang = Lang::from_code(lang).unwrap_or_default();
    next.filter(|n| crate::server::session::is_local_path(n)).unwrap_or_else(|| lang.path("/account/orders"))
}

/// Sets the session's cookies and sends the browser on, after adding the guest cart this
/// browser sent (`[{"product", "quantity"}]` as JSON; what cannot be bought any more is left
/// out by the API) to the account's: the page it goes on to shows the merged cart.
#[cfg(feature = "ssr")]
async fn start_session(tokens: &crate::server::session::Tokens, guest_cart: Option<String>, to: &str) {
    let items = guest_cart
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .filter(|v| v.as_array().is_some_and(|a| !a.is_empty()));
    if let Some(items) = items {
        let body = serde_json::json!({ "items": items });
        let call = crate::server::api::Call { token: Some(&tokens.access_token), json: Some(&body), ..Default::default() };
        let merged: Result<serde_json::Value, _> = crate::server::api().call(http::Method::POST, "/api/cart/merge", call).await;
        // The sign-in stands; the browser keeps its cart and merges it on its next page.
        if let Err(error) = merged {
            tracing::warn!(%error, "the guest cart could not be merged at sign-in");
        }
    }
    let response = expect_context::<leptos_axum::ResponseOptions>();
    for cookie in crate::server::session::session_cookies(&tokens.access_token, &tokens.refresh_token) {
        response.append_header(http::header::SET_COOKIE, cookie);
    }
    leptos_axum::redirect(to);
}

/// Signs a shopper (or an admin) in.
#[server(prefix = "/_srv/auth")]
pub async fn shopper_sign_in(
    email: String,
    password: String,
    csrf: String,
    lang: String,
    next: Option<String>,
    cart: Option<String>,
) -> Result<(), AppError> {
    let tokens = crate::server::session::sign_in_at_api(&email, &password, &csrf).await?;
    start_session(&tokens, cart, &destination(&lang, next)).await;
    Ok(())
}

/// Opens an account (the API checks the email and the password's strength), then signs in.
#[server(prefix = "/_srv/auth")]
pub async fn register(
    email: String,
    password: String,
    csrf: String,
    lang: String,
    next: Option<String>,
    cart: Option<String>,
) -> Result<(), AppError> {
    let headers: http::HeaderMap = leptos_axum::extract().await.map_err(|e| AppError::BadRequest(e.to_string()))?;
    if !crate::server::session::csrf_matches(&headers, &csrf) {
        return Err(AppError::BadRequest("The form has expired; reload the page and try again.".into()));
    }
    let body = serde_json::json!({ "email": email, "password": password });
    let call = crate::server::api::Call { json: Some(&body), ..Default::default() };
    let _: serde_json::Value = crate::server::api().call(http::Method::POST, "/api/auth/register", call).await?;
    let tokens = crate::server::session::sign_in_at_api(&email, &password, &csrf).await?;
    start_session(&tokens, cart, &destination(&lang, next)).await;
    Ok(())
}

/// The fields both pages' forms share: email, password, and the message for a refusal.
#[component]
fn CredentialFields(csrf: String, error: Signal<Option<AppError>>, new_password: bool) -> impl IntoView {
    let lang = use_lang();
    let query = use_query_map();
    let next = move || query.with(|q| q.get("next")).unwrap_or_default();
    let field = move |name: &'static str| Signal::derive(move || error.get().and_then(|e| e.field(name)));
    let autocomplete = if new_password { "new-password" } else { "current-password" };
    let cart = Cart::use_cart();
    view! {
        <input type="hidden" name="csrf" value=csrf />
        <input type="hidden" name="cart" value=move || cart.guest_items_json() />
        <input type="hidden" name="lang" value=lang.code() />
        <input type="hidden" name="next" value=next />
        <Field name="email" label=lang.t("account-email") value="" kind="email" dir="ltr" required=true error=field("email") />
        <Field name="password" label=lang.t("account-password") value="" kind="password" dir="ltr" required=true autocomplete error=field("password") />
        {new_password.then(|| view! { <p class="hint">{lang.t("account-password-hint")}</p> })}
        {move || error.get().filter(|e| !e.has_fields()).map(|e| view! { <p class="form-error" role="alert">{e.message(lang)}</p> })}
    }
}

/// A link to the other page, keeping `next`.
fn other_page(lang: Lang, path: &str, next: Option<String>) -> String {
    match next {
        Some(next) => format!("{}?next={}", lang.path(path), crate::data::encode(&next)),
        None => lang.path(path),
    }
}

/// `/account/login`.
#[component]
pub fn SignInPage() -> impl IntoView {
    view! { <CredentialsPage opens_account=false /> }
}

/// `/account/register`.
#[component]
pub fn RegisterPage() -> impl IntoView {
    view! { <CredentialsPage opens_account=true /> }
}

/// Either page: the form (signing in, or opening an account), and a link to the other.
#[component]
fn CredentialsPage(opens_account: bool) -> impl IntoView {
    let lang = use_lang();
    let sign_in = ServerAction::<ShopperSignIn>::new();
    let open = ServerAction::<Register>::new();
    let outcome = move || if opens_account { open.value().get() } else { sign_in.value().get() };
    let cart = Cart::use_cart();
    Effect::new(move |_| {
        if let Some(Ok(())) = outcome() {
            cart.signed_in();
        }
    });
    let error = Signal::derive(move || outcome().and_then(Result::err));
    let pending = move || sign_in.pending().get() || open.pending().get();
    let query = use_query_map();
    let (title, other_path, other_question, other_title) = if opens_account {
        ("account-register", "/account/login", "account-have-one", "account-sign-in")
    } else {
        ("account-sign-in", "/account/register", "account-new-here", "account-register")
    };
    let other = move || other_page(lang, other_path, query.with(|q| q.get("next")));
    let token = Resource::new(|| (), |_| csrf_token());
    view! {
        <SignInFrame title=lang.t(title)>
            <Suspense>
                {move || Suspend::new(async move {
                    let csrf = token.await.unwrap_or_default();
                    let fields = view! { <CredentialFields csrf error new_password=opens_account /> };
                    let submit = view! { <button type="submit" class="primary" disabled=pending>{lang.t(title)}</button> };
                    if opens_account {
                        view! { <ActionForm action=open attr:class="credentials">{fields}{submit}</ActionForm> }.into_any()
                    } else {
                        view! { <ActionForm action=sign_in attr:class="credentials">{fields}{submit}</ActionForm> }.into_any()
                    }
                })}
            </Suspense>
            <p class="other">{lang.t(other_question)}" "<a href=other>{lang.t(other_title)}</a></p>
        </SignInFrame>
    }
}
