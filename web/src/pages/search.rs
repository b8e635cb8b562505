//! Full-text search (both languages), with the same filters as a category.

use crate::components::{ErrorPanel, Seo};
use crate::data::search_products;
use crate::i18n::use_lang;
use crate::pages::category::{Listing, use_filters};
use leptos::prelude::*;
use leptos_meta::Meta;

/// `/search?q=…`.
#[component]
pub fn SearchPage() -> impl IntoView {
    let lang = use_lang();
    let filters = use_filters();
    let data = Resource::new(
        move || filters.get(),
        move |filters| async move { if filters.q.is_none() { Ok(None) } else { search_products(filters, lang).await.map(Some) } },
    );
    view! {
        // Result pages are endless variations: crawlers may follow them, not index them.
        <Meta name="robots" content="noindex, follow" />
        <Suspense>
            {move || Suspend::new(async move {
                let filters = filters.get_untracked();
                match data.await {
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    Ok(None) => view! {
                        <Seo title=lang.t("search-empty-title") description=lang.t("search-prompt") neutral="/search" />
                        <section class="listing"><h1>{lang.t("search-empty-title")}</h1><p>{lang.t("search-prompt")}</p></section>
                    }.into_any(),
                    Ok(Some(page)) => {
                        let q = filters.q.clone().unwrap_or_default();
                        let title = lang.t_with("search-title", &[("query", q.clone().into())]);
                        view! {
                            <Seo title=title.clone() description=title.clone() neutral=format!("/search?q={}", crate::data::encode(&q)) />
                            <Listing heading=title page filters base=lang.path("/search") lang search=true />
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}
