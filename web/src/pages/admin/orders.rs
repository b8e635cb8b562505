//! The admin's orders: a filtered list, and one order with the steps it may take next.

use super::{ActionError, AdminFrame, current_admin};
use crate::components::{ErrorPanel, Pagination};
use crate::data::encode;
use crate::format;
use crate::i18n::use_lang;
use crate::model::{AppError, Order, OrderPage, OrderStatus};
use crate::order_view::{OrderHistory, OrderLines, StatusBadge, destination, payment_text, short_id, status_text, when};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

/// Orders per page of the list.
const PER_PAGE: u64 = 25;

/// What the orders list is filtered by (its query: `status`, `email`, `from`, `to`, days
/// placed as `YYYY-MM-DD`, both included).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OrderFilter {
    /// One status.
    pub status: Option<String>,
    /// The customer's email (any case).
    pub email: Option<String>,
    /// The first day.
    pub from: Option<String>,
    /// The last day.
    pub to: Option<String>,
}

impl OrderFilter {
    /// The filter's part of a query string (`&status=…`), each value checked and encoded.
    pub fn query(&self) -> String {
        let is_day = |d: &&String| {
            d.len() == 10 && d.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() })
        };
        let mut query = String::new();
        if let Some(status) = self.status.as_ref().filter(|s| OrderStatus::parse(s).is_some()) {
            query.push_str(&format!("&status={status}"));
        }
        if let Some(email) = self.email.as_ref().map(|e| e.trim()).filter(|e| !e.is_empty()) {
            query.push_str(&format!("&email={}", encode(email)));
        }
        for (name, day) in [("from", &self.from), ("to", &self.to)] {
            if let Some(day) = day.as_ref().filter(is_day) {
                query.push_str(&format!("&{name}={day}"));
            }
        }
        query
    }
}

/// A page of every shopper's orders, filtered. (The filter's fields one by one: a form's
/// encoding has no way to say "a struct with every field absent".)
#[server(prefix = "/_srv/admin")]
pub async fn admin_orders(
    status: Option<String>,
    email: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: u64,
) -> Result<OrderPage, AppError> {
    let session = super::session().await?;
    let filter = OrderFilter { status, email, from, to };
    let path = format!("/api/orders?scope=all&per_page={PER_PAGE}&page={}{}", page.clamp(1, 10_000), filter.query());
    crate::server::api().get(&path, Some(&session.token)).await
}

/// One order.
#[server(prefix = "/_srv/admin")]
pub async fn admin_order(id: String) -> Result<Order, AppError> {
    let session = super::session().await?;
    crate::server::api().get(&format!("/api/orders/{}", encode(&id)), Some(&session.token)).await
}

/// Moves an order one step of its lifecycle (the API refuses a step it cannot take).
#[server(prefix = "/_srv/admin")]
pub async fn change_order_status(csrf: String, id: String, status: String, note: Option<String>) -> Result<Order, AppError> {
    let session = super::checked(&csrf).await?;
    let mut body = serde_json::json!({ "status": status });
    if let Some(note) = note.filter(|n| !n.trim().is_empty()) {
        body["note"] = note.into();
    }
    let call = crate::server::api::Call { token: Some(&session.token), json: Some(&body), ..Default::default() };
    crate::server::api().call(http::Method::POST, &format!("/api/orders/{}/status", encode(&id)), call).await
}

/// The steps an admin may take from `status`, in the order they are offered.
fn next_steps(status: OrderStatus) -> Vec<OrderStatus> {
    [OrderStatus::Paid, OrderStatus::Shipped, OrderStatus::Delivered, OrderStatus::Cancelled, OrderStatus::Refunded]
        .into_iter()
        .filter(|next| status.may_become(*next))
        .collect()
}

/// `/admin/orders`.
#[component]
pub fn OrdersPage() -> impl IntoView {
    let lang = use_lang();
    let query = use_query_map();
    let params = move || {
        query.with(|q| {
            let filter = OrderFilter { status: q.get("status"), email: q.get("email"), from: q.get("from"), to: q.get("to") };
            (filter, q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1u64))
        })
    };
    let data = Resource::new(params, |(filter, page)| async move {
        let info = current_admin().await?;
        let OrderFilter { status, email, from, to } = filter;
        Ok::<_, AppError>((info, admin_orders(status, email, from, to, page).await?))
    });
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                match data.await {
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    Ok((info, orders)) => {
                        let (filter, _) = params();
                        let status = filter.status.clone();
                        let pages = orders.total.div_ceil(PER_PAGE).max(1);
                        view! {
                            <AdminFrame info title=lang.t("admin-orders")>
                                <div class="admin-actions">
                                    <form method="get" class="inline-form" role="search">
                                        <label for="orders-status" class="visually-hidden">{lang.t("admin-status")}</label>
                                        <select id="orders-status" name="status">
                                            <option value="" selected=status.is_none()>{lang.t("admin-status-any")}</option>
                                            {OrderStatus::ALL.into_iter().map(|s| view! {
                                                <option value=s.as_str() selected=status.as_deref() == Some(s.as_str())>{status_text(lang, s)}</option>
                                            }).collect_view()}
                                        </select>
                                        <label for="orders-email" class="visually-hidden">{lang.t("admin-customer-email")}</label>
                                        <input id="orders-email" type="search" name="email" dir="ltr" value=filter.email.clone().unwrap_or_default() placeholder=lang.t("admin-customer-email") />
                                        <label for="orders-from">{lang.t("admin-placed-from")}</label>
                                        <input id="orders-from" type="date" name="from" value=filter.from.clone().unwrap_or_default() />
                                        <label for="orders-to">{lang.t("admin-placed-to")}</label>
                                        <input id="orders-to" type="date" name="to" value=filter.to.clone().unwrap_or_default() />
                                        <button type="submit">{lang.t("search-button")}</button>
                                    </form>
                                </div>
                                <p role="status">{format::counted(lang, "orders-count", orders.total)}</p>
                                <table class="admin-table orders">
                                    <thead><tr>
                                        <th scope="col">{lang.t("admin-order")}</th>
                                        <th scope="col">{lang.t("admin-placed")}</th>
                                        <th scope="col">{lang.t("admin-customer-email")}</th>
                                        <th scope="col">{lang.t("admin-total")}</th>
                                        <th scope="col">{lang.t("admin-status")}</th>
                                    </tr></thead>
                                    <tbody>
                                        {orders.items.into_iter().map(|o| view! {
                                            <tr data-order=o.id.clone()>
                                                <td><a href=lang.path(&format!("/admin/orders/{}", o.id)) dir="ltr">{short_id(&o.id).to_owned()}</a></td>
                                                <td>{when(lang, &o.created_at)}</td>
                                                <td dir="ltr">{o.email.clone()}</td>
                                                <td>{format::money(lang, &o.total)}</td>
                                                <td><StatusBadge status=o.status /></td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                                <Pagination page=orders.page pages href=move |n| format!("{}?page={n}{}", lang.path("/admin/orders"), filter.query()) />
                            </AdminFrame>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// `/admin/orders/:id`.
#[component]
pub fn OrderPageView() -> impl IntoView {
    let lang = use_lang();
    let params = use_params_map();
    let change = ServerAction::<ChangeOrderStatus>::new();
    let data = Resource::new(
        move || (params.with(|p| p.get("id").unwrap_or_default()), change.version().get()),
        |(id, _)| async move { Ok::<_, AppError>((current_admin().await?, admin_order(id).await?)) },
    );
    let error = Signal::derive(move || change.value().get().and_then(Result::err));
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                match data.await {
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    Ok((info, order)) => {
                        let title = format!("{} {}", lang.t("admin-order"), short_id(&order.id));
                        let address = order.shipping_address.clone();
                        let payment = payment_text(lang, &order);
                        let lines = order.lines.clone();
                        let history = order.history.clone();
                        let steps = next_steps(order.status);
                        view! {
                            <AdminFrame info=info.clone() title>
                                <p><a href=lang.path("/admin/orders")>{lang.t("admin-all-orders")}</a></p>
                                <ActionError error />
                                <dl class="order-facts">
                                    <dt>{lang.t("admin-status")}</dt>
                                    <dd><StatusBadge status=order.status /></dd>
                                    <dt>{lang.t("admin-placed")}</dt><dd>{when(lang, &order.created_at)}</dd>
                                    <dt>{lang.t("admin-customer-email")}</dt><dd dir="ltr">{order.email.clone()}</dd>
                                    <dt>{lang.t("admin-total")}</dt><dd>{format::money(lang, &order.total)}</dd>
                                    <dt>{lang.t("admin-payment")}</dt>
                                    <dd>{payment}</dd>
                                    <dt>{lang.t("admin-ship-to")}</dt><dd>{address.name.clone()}" · "<span dir="ltr">{address.phone.clone()}</span>" · "{destination(&address)}</dd>
                                </dl>
                                <h2>{lang.t("admin-lines")}</h2>
                                <OrderLines lines total=order.total.clone() />
                                <h2>{lang.t("admin-history")}</h2>
                                <OrderHistory history />
                                {(!steps.is_empty()).then(|| view! {
                                    <h2>{lang.t("admin-next-step")}</h2>
                                    <ActionForm action=change attr:class="order-step">
                                        <input type="hidden" name="csrf" value=info.csrf.clone() />
                                        <input type="hidden" name="id" value=order.id.clone() />
                                        <div class="field">
                                            <label for="order-note">{lang.t("admin-note")}</label>
                                            <input id="order-note" name="note" type="text" maxlength="500" />
                                        </div>
                                        <div class="field">
                                            <label for="order-step">{lang.t("admin-status")}</label>
                                            <select id="order-step" name="status">
                                                {steps.iter().map(|s| view! { <option value=s.as_str()>{lang.t(&format!("admin-mark-{}", s.as_str()))}</option> }).collect_view()}
                                            </select>
                                        </div>
                                        <button type="submit" class="primary">{lang.t("admin-apply-step")}</button>
                                    </ActionForm>
                                })}
                            </AdminFrame>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_passes_on_only_what_it_checked() {
        let filter = OrderFilter {
            status: Some("paid".into()),
            email: Some(" Layla@Example.com ".into()),
            from: Some("2026-12-01".into()),
            to: Some("yesterday".into()),
        };
        assert_eq!(filter.query(), "&status=paid&email=Layla%40Example.com&from=2026-12-01");
        assert_eq!(OrderFilter { status: Some("lost".into()), ..Default::default() }.query(), "");
    }
}
