//! Pieces several pages share.

use crate::format;
use crate::i18n::{Lang, use_lang};
use crate::model::{AppError, Image, InLang, Money, Product};
use leptos::prelude::*;
use leptos_meta::{Link, Meta, Title};
use leptos_router::hooks::use_location;

/// The address shoppers use (canonical links): the configured public URL on the server,
/// the page's own origin in the browser.
pub fn origin() -> String {
    #[cfg(feature = "ssr")]
    {
        crate::server::config().public_url.clone()
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default()
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        String::new()
    }
}

/// Sets the HTTP status of the page being rendered on the server.
pub fn set_status(code: u16) {
    #[cfg(feature = "ssr")]
    if let (Some(options), Ok(status)) = (use_context::<leptos_axum::ResponseOptions>(), http::StatusCode::from_u16(code)) {
        options.set_status(status);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = code;
}

/// Title, description, canonical URL and `hreflang` alternates of a page. `neutral` is the
/// page's path without its language prefix, with the query that belongs in its canonical URL.
#[component]
pub fn Seo(#[prop(into)] title: String, #[prop(into)] description: String, #[prop(into)] neutral: String) -> impl IntoView {
    let lang = use_lang();
    let base = origin();
    let url = |l: Lang| format!("{base}{}", l.path(&neutral));
    view! {
        <Title text=title />
        <Meta name="description" content=description.clone() />
        <Meta property="og:title" content=description />
        <Link rel="canonical" href=url(lang) />
        <Link rel="alternate" hreflang="en" href=url(Lang::En) />
        <Link rel="alternate" hreflang="ar" href=url(Lang::Ar) />
        <Link rel="alternate" hreflang="x-default" href=url(Lang::En) />
    }
}

/// A price, with the "was" price struck through when there is one.
#[component]
pub fn Price(price: Money, #[prop(default = None)] was: Option<Money>) -> impl IntoView {
    let lang = use_lang();
    view! {
        <span class="price">
            <span class="now">{format::money(lang, &price)}</span>
            {was.filter(|w| w.amount > price.amount).map(|w| view! { " " <s class="was">{format::money(lang, &w)}</s> })}
        </span>
    }
}

/// An image with every size in `srcset`, explicit dimensions (no layout shift) and the
/// loading strategy given.
#[component]
pub fn Picture(
    image: Image,
    #[prop(into)] alt: String,
    #[prop(into)] sizes: String,
    #[prop(optional)] eager: bool,
    #[prop(default = 640)] fallback_width: u32,
) -> impl IntoView {
    let src = image.at_least(fallback_width).map(|v| v.url.clone()).unwrap_or_default();
    view! {
        <img
            src=src
            srcset=image.srcset()
            sizes=sizes
            width=image.width
            height=image.height
            alt=alt
            loading=if eager { "eager" } else { "lazy" }
            decoding="async"
            fetchpriority=if eager { "high" } else { "auto" }
        />
    }
}

/// A product in a grid.
#[component]
pub fn ProductCard(product: Product) -> impl IntoView {
    let lang = use_lang();
    let name = product.name.in_lang(lang).to_owned();
    let href = lang.path(&format!("/p/{}", product.slug));
    let image = product.images.first().cloned();
    let initial = name.chars().next().map(String::from).unwrap_or_default();
    view! {
        <li class="card">
            <a href=href>
                <div class="card-image">
                    {match image {
                        Some(image) => view! {
                            <Picture image alt="" sizes="(min-width: 1100px) 260px, (min-width: 700px) 30vw, 45vw" fallback_width=320 />
                        }.into_any(),
                        None => view! { <span class="placeholder" aria-hidden="true">{initial}</span> }.into_any(),
                    }}
                </div>
                <span class="card-name">{name}</span>
            </a>
            <Price price=product.price.clone() was=product.compare_at_price.clone() />
            {(!product.in_stock).then(|| view! { <span class="badge">{lang.t("out-of-stock")}</span> })}
        </li>
    }
}

/// A grid of products.
#[component]
pub fn ProductGrid(products: Vec<Product>) -> impl IntoView {
    view! {
        <ul class="grid">
            {products.into_iter().map(|product| view! { <ProductCard product /> }).collect_view()}
        </ul>
    }
}

/// What a page shows when it could not be made: the API down (503, with a retry), a missing
/// page (404), or another refusal.
#[component]
pub fn ErrorPanel(error: AppError) -> impl IntoView {
    let lang = use_lang();
    match &error {
        AppError::NotFound => return view! { <crate::pages::NotFound /> }.into_any(),
        AppError::Unavailable(_) => set_status(503),
        AppError::Unauthorized => set_status(403),
        AppError::Refused { status, .. } => set_status(*status),
        AppError::BadRequest(_) => set_status(400),
    }
    let retry = crate::components::current_url();
    view! {
        <Title text=lang.t("error-title") />
        <section class="error-panel" role="alert">
            <h1>{lang.t("error-title")}</h1>
            <p>{error.message(lang)}</p>
            <p><a class="button" href=retry rel="external">{lang.t("error-retry")}</a></p>
        </section>
    }
    .into_any()
}

/// The current page's path and query.
pub fn current_url() -> String {
    let location = leptos_router::hooks::use_location();
    let search = location.search.get_untracked();
    let path = location.pathname.get_untracked();
    if search.is_empty() { path } else { format!("{path}?{search}") }
}

/// Previous/next links and "page N of M", keeping the rest of the query.
#[component]
pub fn Pagination(page: u64, pages: u64, href: impl Fn(u64) -> String + 'static) -> impl IntoView {
    let lang = use_lang();
    if pages <= 1 {
        return ().into_any();
    }
    let label =
        lang.t_with("page-of", &[("page", format::number(lang, page as i64).into()), ("pages", format::number(lang, pages as i64).into())]);
    let aria_label = label.clone();
    view! {
        <nav class="pagination" aria-label=aria_label>
            {(page > 1).then(|| view! { <a rel="prev" href=href(page - 1)>{lang.t("page-previous")}</a> })}
            <span aria-current="page">{label}</span>
            {(page < pages).then(|| view! { <a rel="next" href=href(page + 1)>{lang.t("page-next")}</a> })}
        </nav>
    }
    .into_any()
}

/// The language switcher: a plain link (a full navigation, as `<html lang dir>` changes)
/// that remembers the choice.
#[component]
pub fn LanguageSwitch() -> impl IntoView {
    let lang = use_lang();
    let location = use_location();
    let other = if lang == Lang::En { Lang::Ar } else { Lang::En };
    let href = move || {
        let neutral = Lang::strip(&location.pathname.get()).to_owned();
        let search = location.search.get();
        let to = if search.is_empty() { neutral } else { format!("{neutral}?{search}") };
        format!("/lang/{}?to={}", other.code(), crate::data::encode(&to))
    };
    view! {
        <a class="lang-switch" href=href rel="external" hreflang=other.code() lang=other.code()>
            <span class="visually-hidden">{lang.t("lang-switch")}": "</span>
            {other.native_name()}
        </a>
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
    /// `autocomplete` (what the browser may fill in).
    #[prop(optional, into)]
    autocomplete: Option<String>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    let invalid = move || error.get().is_some().to_string();
    let described = error_id.clone();
    let control = if multiline {
        view! { <textarea id=id.clone() name=name.clone() dir=dir.clone() rows="4" aria-invalid=invalid aria-describedby=described.clone() required=required>{value.clone()}</textarea> }.into_any()
    } else {
        view! { <input id=id.clone() name=name.clone() type=kind.unwrap_or_else(|| "text".into()) value=value.clone() dir=dir.clone() inputmode=inputmode autocomplete=autocomplete aria-invalid=invalid aria-describedby=described required=required /> }.into_any()
    };
    view! {
        <div class="field" class:invalid=move || error.get().is_some()>
            <label for=id>{label}</label>
            {control}
            <p class="field-error" id=error_id>{move || error.get()}</p>
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
