//! The home page: categories, featured products, new arrivals.

use crate::components::{ErrorPanel, ProductGrid, Seo};
use crate::data::load_home;
use crate::format;
use crate::i18n::use_lang;
use crate::model::InLang;
use leptos::prelude::*;

/// `/` and `/ar`.
#[component]
pub fn HomePage() -> impl IntoView {
    let lang = use_lang();
    let data = Resource::new(|| (), |_| load_home());
    view! {
        <Seo title="" description=lang.t("home-description") neutral="/" />
        <Suspense>
            {move || Suspend::new(async move {
                match data.await {
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    Ok(home) => view! {
                        <section class="hero">
                            <h1>{lang.t("shop-name")}</h1>
                            <p>{lang.t("shop-tagline")}</p>
                        </section>
                        <section aria-labelledby="categories-heading">
                            <h2 id="categories-heading">{lang.t("home-categories")}</h2>
                            <ul class="categories">
                                {home.categories.into_iter().filter(|c| c.product_count > 0).map(|c| view! {
                                    <li>
                                        <a href=lang.path(&format!("/c/{}", c.slug))>
                                            <span class="category-name">{c.name.in_lang(lang).to_owned()}</span>
                                            <span class="category-count">{format::counted(lang, "results-count", c.product_count)}</span>
                                        </a>
                                    </li>
                                }).collect_view()}
                            </ul>
                        </section>
                        {(!home.featured.is_empty()).then(|| view! {
                            <section aria-labelledby="featured-heading">
                                <h2 id="featured-heading">{lang.t("home-featured")}</h2>
                                <ProductGrid products=home.featured />
                            </section>
                        })}
                        <section aria-labelledby="new-heading">
                            <h2 id="new-heading">{lang.t("home-new")}</h2>
                            <ProductGrid products=home.newest />
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
