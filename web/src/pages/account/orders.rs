//! "My orders": the shopper's orders, newest first, and one order with what can still be
//! done with it (pay an order whose payment failed, cancel one not yet shipped).

use super::{AccountFrame, ShopperInfo};
use crate::components::{ActionError, ErrorPanel, Pagination};
use crate::format;
use crate::i18n::use_lang;
use crate::model::{AppError, Order, OrderPage, OrderStatus};
use crate::order_view::{OrderHistory, OrderLines, StatusBadge, destination, payment_text, short_id, when};
use crate::pages::checkout::PaymentChoice;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

/// Orders per page.
const PER_PAGE: u64 = 20;

/// A page of the shopper's own orders.
#[server(prefix = "/_srv/shop")]
pub async fn my_orders(page: u64) -> Result<(ShopperInfo, OrderPage), AppError> {
    let session = super::shopper().await?;
    let path = format!("/api/orders?per_page={PER_PAGE}&page={}", page.clamp(1, 10_000));
    let orders = crate::server::api().get(&path, Some(&session.token)).await?;
    Ok((ShopperInfo { email: session.email, csrf: session.csrf }, orders))
}

/// One of the shopper's orders (another shopper's is "not found", as at the API).
#[server(prefix = "/_srv/shop")]
pub async fn my_order(id: String) -> Result<(ShopperInfo, Order), AppError> {
    let session = super::shopper().await?;
    let order = crate::server::api().get(&format!("/api/orders/{}", crate::data::encode(&id)), Some(&session.token)).await?;
    Ok((ShopperInfo { email: session.email, csrf: session.csrf }, order))
}

/// Pays an order awaiting payment.
#[server(prefix = "/_srv/shop")]
pub async fn pay_order(
    csrf: String,
    id: String,
    payment_method: String,
    card_number: Option<String>,
    card_expiry: Option<String>,
    card_cvc: Option<String>,
) -> Result<Order, AppError> {
    let session = super::checked(&csrf).await?;
    let body = crate::pages::checkout::payment_body(&payment_method, card_number, card_expiry, card_cvc);
    let call = crate::server::api::Call { token: Some(&session.token), json: Some(&body), ..Default::default() };
    crate::server::api().call(http::Method::POST, &format!("/api/orders/{}/pay", crate::data::encode(&id)), call).await
}

/// Cancels an order not yet shipped (its units go back on sale; a card payment is voided).
#[server(prefix = "/_srv/shop")]
pub async fn cancel_order(csrf: String, id: String) -> Result<Order, AppError> {
    let session = super::checked(&csrf).await?;
    let body = serde_json::json!({});
    let call = crate::server::api::Call { token: Some(&session.token), json: Some(&body), ..Default::default() };
    crate::server::api().call(http::Method::POST, &format!("/api/orders/{}/cancel", crate::data::encode(&id)), call).await
}

/// `/account` and `/account/orders`.
#[component]
pub fn MyOrdersPage() -> impl IntoView {
    let lang = use_lang();
    let query = use_query_map();
    let page = move || query.with(|q| q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1u64));
    let data = Resource::new(page, my_orders);
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                let (info, orders) = match data.await {
                    Ok(data) => data,
                    Err(error) => return view! { <ErrorPanel error /> }.into_any(),
                };
                let pages = orders.total.div_ceil(PER_PAGE).max(1);
                view! {
                    <AccountFrame info title=lang.t("account-orders")>
                        {orders.items.is_empty().then(|| view! {
                            <p class="empty">{lang.t("account-no-orders")}</p>
                            <p><a class="button" href=lang.path("/")>{lang.t("cart-continue")}</a></p>
                        })}
                        <ul class="my-orders">
                            {orders.items.into_iter().map(|o| view! {
                                <li data-order=o.id.clone()>
                                    <a href=lang.path(&format!("/account/orders/{}", o.id))>
                                        <span class="order-name">{lang.t("admin-order")}" "<bdi dir="ltr">{short_id(&o.id).to_owned()}</bdi></span>
                                        <span>{when(lang, &o.created_at)}</span>
                                        <span>{format::counted(lang, "cart-items", o.lines.iter().map(|l| l.quantity.max(0) as u64).sum())}</span>
                                        <span>{format::money(lang, &o.total)}</span>
                                    </a>
                                    <StatusBadge status=o.status />
                                </li>
                            }).collect_view()}
                        </ul>
                        <Pagination page=orders.page pages href=move |n| format!("{}?page={n}", lang.path("/account/orders")) />
                    </AccountFrame>
                }.into_any()
            })}
        </Suspense>
    }
}

/// `/account/orders/:id` (with `?placed=1` right after checkout: the confirmation).
#[component]
pub fn MyOrderPage() -> impl IntoView {
    let lang = use_lang();
    let params = use_params_map();
    let query = use_query_map();
    let pay = ServerAction::<PayOrder>::new();
    let cancel = ServerAction::<CancelOrder>::new();
    let data = Resource::new(
        move || (params.with(|p| p.get("id").unwrap_or_default()), pay.version().get(), cancel.version().get()),
        |(id, _, _)| my_order(id),
    );
    let pay_error = Signal::derive(move || pay.value().get().and_then(Result::err));
    let cancel_error = Signal::derive(move || cancel.value().get().and_then(Result::err));
    // After checkout the cart in the header is the server's again (emptied by the order).
    let cart = crate::cart::Cart::use_cart();
    Effect::new(move |_| {
        if data.get().is_some_and(|d| d.is_ok()) {
            leptos::task::spawn_local(async move {
                if let Ok(server_cart) = crate::cart::my_cart().await {
                    cart.show(&server_cart);
                }
            });
        }
    });
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                let (info, order) = match data.await {
                    Ok(data) => data,
                    Err(error) => return view! { <ErrorPanel error /> }.into_any(),
                };
                let placed = query.with(|q| q.get("placed").is_some());
                let title = format!("{} {}", lang.t("admin-order"), short_id(&order.id));
                let address = order.shipping_address.clone();
                let may_cancel = order.status.may_become(OrderStatus::Cancelled);
                let awaiting = order.status == OrderStatus::PendingPayment;
                let due = order.payment_due.clone().map(|d| when(lang, &d));
                let (pay_csrf, pay_id) = (info.csrf.clone(), order.id.clone());
                let (cancel_csrf, cancel_id) = (info.csrf.clone(), order.id.clone());
                view! {
                    <AccountFrame info=info.clone() title>
                        {placed.then(|| {
                            let text = if awaiting { lang.t("order-placed-unpaid") } else { lang.t("order-placed") };
                            view! { <p class="confirmation" role="status">{text}</p> }
                        })}
                        <dl class="order-facts">
                            <dt>{lang.t("admin-status")}</dt><dd><StatusBadge status=order.status /></dd>
                            <dt>{lang.t("admin-placed")}</dt><dd>{when(lang, &order.created_at)}</dd>
                            <dt>{lang.t("admin-payment")}</dt><dd>{payment_text(lang, &order)}</dd>
                            {due.filter(|_| awaiting).map(|due| view! { <dt>{lang.t("order-pay-by")}</dt><dd>{due}</dd> })}
                            <dt>{lang.t("admin-ship-to")}</dt><dd>{address.name.clone()}" · "<bdi dir="ltr">{address.phone.clone()}</bdi>" · "{destination(&address)}</dd>
                        </dl>
                        <OrderLines lines=order.lines.clone() total=order.total.clone() />
                        {awaiting.then(move || view! {
                            <h2>{lang.t("order-pay-now")}</h2>
                            <ActionForm action=pay attr:class="pay-form">
                                <input type="hidden" name="csrf" value=pay_csrf />
                                <input type="hidden" name="id" value=pay_id />
                                <ActionError error=pay_error />
                                <PaymentChoice error=pay_error />
                                <button type="submit" class="primary" disabled=move || pay.pending().get()>{lang.t("order-pay-now")}</button>
                            </ActionForm>
                        })}
                        <h2>{lang.t("admin-history")}</h2>
                        <OrderHistory history=order.history.clone() />
                        {may_cancel.then(move || view! {
                            <ActionForm action=cancel attr:class="cancel-form">
                                <input type="hidden" name="csrf" value=cancel_csrf />
                                <input type="hidden" name="id" value=cancel_id />
                                <ActionError error=cancel_error />
                                <button type="submit">{lang.t("order-cancel")}</button>
                            </ActionForm>
                        })}
                        <p><a href=lang.path("/account/orders")>{lang.t("account-orders")}</a></p>
                    </AccountFrame>
                }.into_any()
            })}
        </Suspense>
    }
}
