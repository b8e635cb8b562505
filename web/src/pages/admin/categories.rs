//! The admin's categories: list, add, delete.

use super::{ActionError, AdminFrame, Field, current_admin};
use crate::components::ErrorPanel;
use crate::format;
use crate::i18n::use_lang;
use crate::model::{AppError, Category};
use leptos::prelude::*;

/// Adds a category.
#[server(prefix = "/_srv/admin")]
pub async fn create_category(csrf: String, name_en: String, name_ar: String, sort_order: String) -> Result<Category, AppError> {
    let session = super::checked(&csrf).await?;
    let Ok(order) = sort_order.trim().parse::<i64>() else {
        return Err(AppError::Refused {
            status: 422,
            title: "Invalid category".into(),
            detail: None,
            errors: vec![shop_domain::FieldError { field: "sort_order".into(), message: "must be a whole number".into() }],
        });
    };
    let body = serde_json::json!({ "name": { "en": name_en.trim(), "ar": name_ar.trim() }, "sort_order": order });
    let call = crate::server::api::Call { token: Some(&session.token), json: Some(&body), ..Default::default() };
    crate::server::api().call(http::Method::POST, "/api/categories", call).await
}

/// Deletes a category (the API refuses while products use it).
#[server(prefix = "/_srv/admin")]
pub async fn delete_category(csrf: String, id: String) -> Result<(), AppError> {
    let session = super::checked(&csrf).await?;
    let call = crate::server::api::Call { token: Some(&session.token), ..Default::default() };
    crate::server::api()
        .call::<serde_json::Value>(http::Method::DELETE, &format!("/api/categories/{}", crate::data::encode(&id)), call)
        .await?;
    Ok(())
}

/// `/admin/categories`.
#[component]
pub fn CategoriesPage() -> impl IntoView {
    let lang = use_lang();
    let create = ServerAction::<CreateCategory>::new();
    let delete = ServerAction::<DeleteCategory>::new();
    let data = Resource::new(
        move || (create.version().get(), delete.version().get()),
        |_| async move { Ok::<_, AppError>((current_admin().await?, super::edit::category_choices().await?)) },
    );
    let create_error = Signal::derive(move || create.value().get().and_then(Result::err));
    let delete_error = Signal::derive(move || delete.value().get().and_then(Result::err));
    let field = move |name: &'static str| Signal::derive(move || create_error.get().and_then(|e| e.field(name)));
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                match data.await {
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    Ok((info, categories)) => { let form_csrf = info.csrf.clone(); view! {
                        <AdminFrame info=info.clone() title=lang.t("admin-categories")>
                            <ActionError error=delete_error />
                            <table class="admin-table">
                                <thead><tr>
                                    <th scope="col">{lang.t("admin-name-en")}</th>
                                    <th scope="col">{lang.t("admin-name-ar")}</th>
                                    <th scope="col">{lang.t("admin-products-count")}</th>
                                    <th scope="col">{lang.t("admin-actions")}</th>
                                </tr></thead>
                                <tbody>
                                    {categories.into_iter().map(|c| { let csrf = info.csrf.clone(); view! {
                                        <tr>
                                            <td>{c.name.en.clone()}</td>
                                            <td dir="rtl" lang="ar">{c.name.ar.clone()}</td>
                                            <td>{format::number(lang, c.product_count as i64)}</td>
                                            <td>
                                                <ActionForm action=delete>
                                                    <input type="hidden" name="csrf" value=csrf />
                                                    <input type="hidden" name="id" value=c.id.clone() />
                                                    <button type="submit" class="small danger">{lang.t("admin-delete")}</button>
                                                </ActionForm>
                                            </td>
                                        </tr>
                                    }}).collect_view()}
                                </tbody>
                            </table>
                            <h2>{lang.t("admin-add-category")}</h2>
                            <ActionForm action=create attr:class="product-form">
                                <input type="hidden" name="csrf" value=form_csrf />
                                <ActionError error=create_error />
                                <div class="form-grid">
                                    <Field name="name_en" label=lang.t("admin-name-en") value="" error=field("name.en") dir="ltr" required=true />
                                    <Field name="name_ar" label=lang.t("admin-name-ar") value="" error=field("name.ar") dir="rtl" required=true />
                                    <Field name="sort_order" label=lang.t("admin-sort-order") value="0" error=field("sort_order") kind="number" />
                                </div>
                                <button type="submit" class="primary">{lang.t("admin-add-category")}</button>
                            </ActionForm>
                        </AdminFrame>
                    }.into_any() }
                }
            })}
        </Suspense>
    }
}
