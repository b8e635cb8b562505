//! The admin's users: roles and access.

use super::{ActionError, AdminFrame, current_admin};
use crate::components::{ErrorPanel, Pagination};
use crate::i18n::use_lang;
use crate::model::{AppError, Role, User, UserPage};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// A page of users.
#[server(prefix = "/_srv/admin")]
pub async fn admin_users(page: u64) -> Result<UserPage, AppError> {
    let session = super::session().await?;
    crate::server::api().get(&format!("/api/users?per_page=25&page={}", page.clamp(1, 10_000)), Some(&session.token)).await
}

/// Changes a user's role or whether they may sign in.
#[server(prefix = "/_srv/admin")]
pub async fn update_user(csrf: String, id: String, role: Option<String>, disabled: Option<bool>) -> Result<User, AppError> {
    let session = super::checked(&csrf).await?;
    let mut body = serde_json::Map::new();
    if let Some(role) = role {
        body.insert("role".into(), role.into());
    }
    if let Some(disabled) = disabled {
        body.insert("disabled".into(), disabled.into());
    }
    let body = serde_json::Value::Object(body);
    let call = crate::server::api::Call { token: Some(&session.token), json: Some(&body), ..Default::default() };
    crate::server::api().call(http::Method::PATCH, &format!("/api/users/{}", crate::data::encode(&id)), call).await
}

/// `/admin/users`.
#[component]
pub fn UsersPage() -> impl IntoView {
    let lang = use_lang();
    let query = use_query_map();
    let page = move || query.with(|q| q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1u64));
    let update = ServerAction::<UpdateUser>::new();
    let data = Resource::new(
        move || (page(), update.version().get()),
        |(page, _)| async move { Ok::<_, AppError>((current_admin().await?, admin_users(page).await?)) },
    );
    let error = Signal::derive(move || update.value().get().and_then(Result::err));
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                match data.await {
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    Ok((info, users)) => {
                        let pages = users.total.div_ceil(25).max(1);
                        view! {
                            <AdminFrame info=info.clone() title=lang.t("admin-users")>
                                <ActionError error />
                                <table class="admin-table">
                                    <thead><tr>
                                        <th scope="col">{lang.t("admin-email")}</th>
                                        <th scope="col">{lang.t("admin-role")}</th>
                                        <th scope="col">{lang.t("admin-status")}</th>
                                        <th scope="col">{lang.t("admin-actions")}</th>
                                    </tr></thead>
                                    <tbody>
                                        {users.items.into_iter().map(|u| {
                                            let admin = u.role == Role::Admin;
                                            let (csrf_a, csrf_b, id_a, id_b) = (info.csrf.clone(), info.csrf.clone(), u.id.clone(), u.id.clone());
                                            view! {
                                                <tr>
                                                    <td dir="ltr">{u.email.clone()}</td>
                                                    <td>{lang.t(if admin { "admin-role-admin" } else { "admin-role-customer" })}</td>
                                                    <td>{lang.t(if u.disabled { "admin-disabled" } else { "admin-enabled" })}</td>
                                                    <td class="row-actions">
                                                        <ActionForm action=update>
                                                            <input type="hidden" name="csrf" value=csrf_a />
                                                            <input type="hidden" name="id" value=id_a />
                                                            <input type="hidden" name="role" value=if admin { "customer" } else { "admin" } />
                                                            <button type="submit" class="small">{lang.t(if admin { "admin-make-customer" } else { "admin-make-admin" })}</button>
                                                        </ActionForm>
                                                        <ActionForm action=update>
                                                            <input type="hidden" name="csrf" value=csrf_b />
                                                            <input type="hidden" name="id" value=id_b />
                                                            <input type="hidden" name="disabled" value=(!u.disabled).to_string() />
                                                            <button type="submit" class="small">{lang.t(if u.disabled { "admin-enable" } else { "admin-disable" })}</button>
                                                        </ActionForm>
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                                <Pagination page=page() pages href=move |n| format!("{}?page={n}", lang.path("/admin/users")) />
                            </AdminFrame>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}
