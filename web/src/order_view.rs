//! How an order is shown, to its shopper and in the dashboard alike: its status and dates in
//! the page's language, its lines, its history, where it goes and how it is paid.

use crate::format;
use crate::i18n::{Lang, use_lang};
use crate::model::{Address, InLang, Order, OrderLine, OrderStatus, PaymentMethod};
use leptos::prelude::*;
use shop_domain::orders::StatusChange;

/// The words for a status.
pub fn status_text(lang: Lang, status: OrderStatus) -> String {
    lang.t(&format!("order-status-{}", status.as_str().replace('_', "-")))
}

/// A stored instant as `YYYY-MM-DD HH:MM` (UTC), in the page's digits.
pub fn when(lang: Lang, rfc3339: &str) -> String {
    format::localize_digits(lang, &rfc3339.get(..16).unwrap_or(rfc3339).replace('T', " "))
}

/// An order's short name (the first characters of its id, as on the shopper's e-mails).
pub fn short_id(id: &str) -> &str {
    &id[..8.min(id.len())]
}

/// The address on one line: street, city, region, postal code, country.
pub fn destination(address: &Address) -> String {
    [
        address.lines.join(", "),
        address.city.clone(),
        address.region.clone().unwrap_or_default(),
        address.postal_code.clone().unwrap_or_default(),
        address.country.clone(),
    ]
    .into_iter()
    .filter(|p| !p.is_empty())
    .collect::<Vec<_>>()
    .join(", ")
}

/// How the order is paid and where the payment stands, in the page's language (a provider's
/// own summary, such as a card's last digits, is in English).
pub fn payment_text(lang: Lang, order: &Order) -> String {
    let method = if order.payment.method.as_str() == PaymentMethod::CASH_ON_DELIVERY {
        lang.t("payment-cash-on-delivery")
    } else {
        order.payment.summary.clone().unwrap_or_else(|| order.payment.method.as_str().to_owned())
    };
    let state = serde_json::to_value(order.payment.state).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
    format!("{method} · {}", lang.t(&format!("payment-state-{state}")))
}

/// A status as a badge.
#[component]
pub fn StatusBadge(status: OrderStatus) -> impl IntoView {
    let lang = use_lang();
    view! { <span class=format!("status {}", status.as_str())>{status_text(lang, status)}</span> }
}

/// The lines with their prices, and the total.
#[component]
pub fn OrderLines(lines: Vec<OrderLine>, total: crate::model::Money) -> impl IntoView {
    let lang = use_lang();
    view! {
        <table class="admin-table order-lines">
            <thead><tr>
                <th scope="col">{lang.t("admin-name")}</th>
                <th scope="col">{lang.t("admin-quantity")}</th>
                <th scope="col">{lang.t("admin-price")}</th>
                <th scope="col">{lang.t("admin-total")}</th>
            </tr></thead>
            <tbody>
                {lines.into_iter().map(|line| view! {
                    <tr>
                        <td>{line.name.in_lang(lang).to_owned()}</td>
                        <td>{format::number(lang, line.quantity)}</td>
                        <td>{format::money(lang, &line.unit_price)}</td>
                        <td>{format::money(lang, &line.line_total)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
            <tfoot><tr>
                <th scope="row" colspan="3">{lang.t("admin-total")}</th>
                <td class="order-total">{format::money(lang, &total)}</td>
            </tr></tfoot>
        </table>
    }
}

/// Each change of status, with its note.
#[component]
pub fn OrderHistory(history: Vec<StatusChange>) -> impl IntoView {
    let lang = use_lang();
    view! {
        <ol class="order-history">
            {history.into_iter().map(|c| view! {
                <li>
                    {when(lang, &c.at)}" · "{status_text(lang, c.status)}
                    {c.note.map(|n| view! { " · "<q>{n}</q> })}
                </li>
            }).collect_view()}
        </ol>
    }
}
