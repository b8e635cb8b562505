//! The admin's product list: search, status filter, publish/unpublish.

use super::{ActionError, AdminFrame, AdminInfo, current_admin};
use crate::components::{ErrorPanel, Pagination, Price};
use crate::data::encode;
use crate::format;
use crate::i18n::use_lang;
use crate::model::{AppError, InLang, Product, ProductPage, ProductStatus};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// A page of products in any status, for admins.
#[server(prefix = "/_srv/admin")]
pub async fn admin_products(q: Option<String>, status: Option<String>, page: u64) -> Result<ProductPage, AppError> {
    let session = super::session().await?;
    let status = status.filter(|s| matches!(s.as_str(), "draft" | "published")).unwrap_or_else(|| "any".into());
    let mut path = format!("/api/products?status={status}&per_page=25&page={}", page.clamp(1, 10_000));
    if let Some(q) = q.filter(|q| !q.trim().is_empty()) {
        path.push_str(&format!("&q={}", encode(q.trim())));
    }
    crate::server::api().get(&path, Some(&session.token)).await
}

/// Publishes or unpublishes a product.
#[server(prefix = "/_srv/admin")]
pub async fn set_published(csrf: String, id: String, publish: bool) -> Result<Product, AppError> {
    let session = super::checked(&csrf).await?;
    let action = if publish { "publish" } else { "unpublish" };
    let call = crate::server::api::Call { token: Some(&session.token), ..Default::default() };
    crate::server::api().call(http::Method::POST, &format!("/api/products/{}/{action}", encode(&id)), call).await
}

/// `/admin`: the products.
#[component]
pub fn ProductsPage() -> impl IntoView {
    let lang = use_lang();
    let query = use_query_map();
    let params = move || query.with(|q| (q.get("q"), q.get("status"), q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1u64)));
    let toggle = ServerAction::<SetPublished>::new();
    let data = Resource::new(
        move || (params(), toggle.version().get()),
        |((q, status, page), _)| async move {
            let info = current_admin().await?;
            Ok::<_, AppError>((info, admin_products(q, status, page).await?))
        },
    );
    let error = Signal::derive(move || toggle.value().get().and_then(Result::err));
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                match data.await {
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    Ok((info, page)) => {
                        let (q, status, _) = params();
                        view! {
                            <AdminFrame info=info.clone() title=lang.t("admin-products")>
                                <div class="admin-actions">
                                    <form method="get" class="inline-form" role="search">
                                        <label for="admin-q" class="visually-hidden">{lang.t("search-label")}</label>
                                        <input id="admin-q" type="search" name="q" value=q.clone().unwrap_or_default() placeholder=lang.t("search-placeholder") />
                                        <label for="admin-status" class="visually-hidden">{lang.t("admin-status")}</label>
                                        <select id="admin-status" name="status">
                                            <option value="" selected=status.is_none()>{lang.t("admin-status-any")}</option>
                                            <option value="draft" selected=status.as_deref() == Some("draft")>{lang.t("admin-status-draft")}</option>
                                            <option value="published" selected=status.as_deref() == Some("published")>{lang.t("admin-status-published")}</option>
                                        </select>
                                        <button type="submit">{lang.t("search-button")}</button>
                                    </form>
                                    <a class="button primary" href=lang.path("/admin/products/new")>{lang.t("admin-new-product")}</a>
                                </div>
                                <ActionError error />
                                <p role="status">{format::counted(lang, "results-count", page.total)}</p>
                                <ProductTable products=page.items.clone() info=info.clone() toggle />
                                <Pagination page=page.page pages=page.pages() href=move |n| {
                                    let mut query = vec![format!("page={n}")];
                                    if let Some(q) = &q { query.push(format!("q={}", encode(q))); }
                                    if let Some(s) = &status { query.push(format!("status={s}")); }
                                    format!("{}?{}", lang.path("/admin"), query.join("&"))
                                } />
                            </AdminFrame>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn ProductTable(products: Vec<Product>, info: AdminInfo, toggle: ServerAction<SetPublished>) -> impl IntoView {
    let lang = use_lang();
    view! {
        <table class="admin-table">
            <thead>
                <tr>
                    <th scope="col">{lang.t("admin-name")}</th>
                    <th scope="col">{lang.t("admin-price")}</th>
                    <th scope="col">{lang.t("admin-stock")}</th>
                    <th scope="col">{lang.t("admin-status")}</th>
                    <th scope="col">{lang.t("admin-actions")}</th>
                </tr>
            </thead>
            <tbody>
                {products.into_iter().map(|p| {
                    let published = p.status == ProductStatus::Published;
                    let csrf = info.csrf.clone();
                    view! {
                        <tr data-slug=p.slug.clone()>
                            <td><a href=lang.path(&format!("/admin/products/{}", p.id))>{p.name.in_lang(lang).to_owned()}</a></td>
                            <td><Price price=p.price.clone() /></td>
                            <td>{format::number(lang, p.stock)}</td>
                            <td><span class=if published { "status published" } else { "status draft" }>{lang.t(if published { "admin-status-published" } else { "admin-status-draft" })}</span></td>
                            <td>
                                <ActionForm action=toggle>
                                    <input type="hidden" name="csrf" value=csrf />
                                    <input type="hidden" name="id" value=p.id.clone() />
                                    <input type="hidden" name="publish" value=(!published).to_string() />
                                    <button type="submit" class="small">{lang.t(if published { "admin-unpublish" } else { "admin-publish" })}</button>
                                </ActionForm>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}
