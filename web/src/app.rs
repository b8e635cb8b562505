//! The document shell, the routes and the layout every page shares.

use crate::cart::{Cart, MiniCart};
use crate::components::LanguageSwitch;
use crate::i18n::{Lang, use_lang};
use crate::pages::{
    NotFound, account, admin, cart::CartPage, category::CategoryPage, checkout::CheckoutPage, home::HomePage, product::ProductPage,
    search::SearchPage,
};
use leptos::prelude::*;
use leptos_meta::{Html, MetaTags, Title, provide_meta_context};
use leptos_router::components::{Outlet, ParentRoute, Route, Router, Routes};
use leptos_router::hooks::use_location;
use leptos_router::{MatchNestedRoutes, SsrMode, path};

/// The names of the built client's files (`assets.json`, written by `cargo xtask build`):
/// they carry a hash of their contents, so browsers may keep them forever.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Assets {
    /// The stylesheet's file name under `/pkg/`.
    pub css: String,
}

/// The whole HTML document (rendered on the server only).
pub fn shell(options: LeptosOptions, assets: Assets) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="theme-color" content="#0f5132" />
                <link rel="stylesheet" href=format!("/pkg/{}", assets.css) />
                <link rel="icon" href="data:," />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The application: every page in both languages.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Router>
            <Shell />
        </Router>
    }
}

#[component]
fn Shell() -> impl IntoView {
    let lang = Lang::of_path(&use_location().pathname.get_untracked());
    provide_context(lang);
    Cart::provide();
    let admin = Lang::strip(&use_location().pathname.get_untracked()).starts_with("/admin");
    view! {
        <Html {..} lang=lang.code() dir=lang.dir() />
        <Title formatter=move |text: String| if text.is_empty() { lang.t("shop-name") } else { format!("{text} · {}", lang.t("shop-name")) } />
        <a class="skip" href="#main">{lang.t("skip-to-content")}</a>
        {(!admin).then(|| view! { <Header /> })}
        <main id="main" tabindex="-1">
            <Routes fallback=|| view! { <NotFound /> }>
                <ParentRoute path=path!("/ar") view=Outlet ssr=SsrMode::Async>
                    <Pages />
                </ParentRoute>
                <Pages />
            </Routes>
        </main>
        {(!admin).then(|| view! { <Footer /> })}
    }
}

/// Every page, at its path without the language: declared once, mounted at the root for
/// English and under `/ar` for Arabic (`Shell` reads the language from the path).
#[component(transparent)]
fn Pages() -> impl MatchNestedRoutes + Clone {
    view! {
        <Route path=path!("/") view=HomePage ssr=SsrMode::Async />
        <Route path=path!("/c/:slug") view=CategoryPage ssr=SsrMode::Async />
        <Route path=path!("/search") view=SearchPage ssr=SsrMode::Async />
        <Route path=path!("/p/:slug") view=ProductPage ssr=SsrMode::Async />
        <Route path=path!("/cart") view=CartPage ssr=SsrMode::Async />
        <Route path=path!("/checkout") view=CheckoutPage ssr=SsrMode::Async />
        <Route path=path!("/account") view=account::orders::MyOrdersPage ssr=SsrMode::Async />
        <Route path=path!("/account/orders") view=account::orders::MyOrdersPage ssr=SsrMode::Async />
        <Route path=path!("/account/orders/:id") view=account::orders::MyOrderPage ssr=SsrMode::Async />
        <Route path=path!("/account/login") view=account::sign_in::SignInPage ssr=SsrMode::Async />
        <Route path=path!("/account/register") view=account::sign_in::RegisterPage ssr=SsrMode::Async />
        <Route path=path!("/admin/login") view=admin::login::LoginPage ssr=SsrMode::Async />
        <Route path=path!("/admin") view=admin::products::ProductsPage ssr=SsrMode::Async />
        <Route path=path!("/admin/products/new") view=admin::edit::NewProductPage ssr=SsrMode::Async />
        <Route path=path!("/admin/products/:id") view=admin::edit::EditProductPage ssr=SsrMode::Async />
        <Route path=path!("/admin/categories") view=admin::categories::CategoriesPage ssr=SsrMode::Async />
        <Route path=path!("/admin/users") view=admin::users::UsersPage ssr=SsrMode::Async />
        <Route path=path!("/admin/orders") view=admin::orders::OrdersPage ssr=SsrMode::Async />
        <Route path=path!("/admin/orders/:id") view=admin::orders::OrderPageView ssr=SsrMode::Async />
    }
    .into_inner()
}

#[component]
fn Header() -> impl IntoView {
    let lang = use_lang();
    let location = use_location();
    let query = move || {
        if Lang::strip(&location.pathname.get()) == "/search" { location.query.get().get("q").unwrap_or_default() } else { String::new() }
    };
    view! {
        <header class="site-header">
            <div class="bar">
                <a class="brand" href=lang.path("/")>{lang.t("shop-name")}</a>
                <form class="search" role="search" method="get" action=lang.path("/search")>
                    <label for="search-q" class="visually-hidden">{lang.t("search-label")}</label>
                    <input id="search-q" type="search" name="q" prop:value=query placeholder=lang.t("search-placeholder") maxlength="200" />
                    <button type="submit">{lang.t("search-button")}</button>
                </form>
                <nav class="tools" aria-label=lang.t("nav-home")>
                    <LanguageSwitch />
                    <a class="account-link" href=lang.path("/account")>{lang.t("nav-account")}</a>
                    <MiniCart />
                </nav>
            </div>
        </header>
    }
}

#[component]
fn Footer() -> impl IntoView {
    let lang = use_lang();
    view! {
        <footer class="site-footer">
            <p>{lang.t("shop-tagline")}</p>
        </footer>
    }
}
