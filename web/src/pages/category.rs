//! A category: its products with price and stock filters, a sort and pages, all in the URL
//! (plain GET forms and links: it works without JavaScript).

use crate::components::{ErrorPanel, Pagination, ProductGrid, Seo};
use crate::data::{Filters, SORTS, category_page};
use crate::format;
use crate::i18n::Lang;
use crate::i18n::use_lang;
use crate::model::{InLang, ProductPage};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

/// The filters of the URL, as a memo.
pub fn use_filters() -> Memo<Filters> {
    let query = use_query_map();
    Memo::new(move |_| {
        let query = query.get();
        Filters::from_query(|name| query.get(name))
    })
}

/// `/c/{slug}`.
#[component]
pub fn CategoryPage() -> impl IntoView {
    let lang = use_lang();
    let params = use_params_map();
    let filters = use_filters();
    let data = Resource::new(
        move || (params.with(|p| p.get("slug").unwrap_or_default()), filters.get()),
        move |(slug, filters)| category_page(slug, filters, lang),
    );
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                match data.await {
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    Ok((category, page)) => {
                        let name = category.name.in_lang(lang).to_owned();
                        let filters = filters.get_untracked();
                        let base = lang.path(&format!("/c/{}", category.slug));
                        let canonical = format!("/c/{}{}", category.slug, if page.page > 1 { format!("?page={}", page.page) } else { String::new() });
                        let description = lang.t_with("category-description", &[("name", name.clone().into()), ("count", format::number(lang, page.total as i64).into())]);
                        view! {
                            <Seo title=name.clone() description neutral=canonical />
                            <Listing heading=name page filters base lang />
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// A listing with its filter form, count, grid and pages (categories and search).
#[component]
pub fn Listing(
    heading: String,
    page: ProductPage,
    filters: Filters,
    base: String,
    lang: Lang,
    #[prop(optional)] search: bool,
) -> impl IntoView {
    let href = {
        let base = base.clone();
        let filters = filters.clone();
        move |n: u64| format!("{base}{}", filters.query(n))
    };
    let empty = page.items.is_empty();
    let sorts = SORTS
        .iter()
        .map(|(key, label)| {
            let selected = filters.sort.as_deref() == Some(*key);
            view! { <option value=*key selected=selected>{lang.t(label)}</option> }
        })
        .collect_view();
    view! {
        <div class="listing">
            <header class="listing-head">
                <h1>{heading}</h1>
                <p class="count" role="status">{format::counted(lang, "results-count", page.total)}</p>
            </header>
            <form class="filters" method="get" action=base.clone() aria-label=lang.t("filter-title")>
                {search.then(|| view! { <input type="hidden" name="q" value=filters.q.clone().unwrap_or_default() /> })}
                <div class="field">
                    <label for="min_price">{lang.t("filter-min-price")}</label>
                    <input id="min_price" name="min_price" inputmode="decimal" size="6" value=filters.min_price.clone().unwrap_or_default() />
                </div>
                <div class="field">
                    <label for="max_price">{lang.t("filter-max-price")}</label>
                    <input id="max_price" name="max_price" inputmode="decimal" size="6" value=filters.max_price.clone().unwrap_or_default() />
                </div>
                <div class="field check">
                    <input id="in_stock" type="checkbox" name="in_stock" value="true" checked=filters.in_stock />
                    <label for="in_stock">{lang.t("filter-in-stock")}</label>
                </div>
                <div class="field">
                    <label for="sort">{lang.t("sort-label")}</label>
                    <select id="sort" name="sort">
                        <option value="" selected=filters.sort.is_none()>{lang.t(if search { "sort-relevance" } else { "sort-newest" })}</option>
                        {sorts}
                    </select>
                </div>
                <button type="submit">{lang.t("filter-apply")}</button>
                {filters.any().then(|| {
                    let clear = if search { format!("{base}?q={}", crate::data::encode(filters.q.as_deref().unwrap_or(""))) } else { base.clone() };
                    view! { <a class="clear" href=clear>{lang.t("filter-clear")}</a> }
                })}
            </form>
            {if empty {
                view! { <p class="empty">{lang.t("no-products")}</p> }.into_any()
            } else {
                view! { <ProductGrid products=page.items.clone() /> }.into_any()
            }}
            <Pagination page=page.page pages=page.pages() href />
        </div>
    }
}
