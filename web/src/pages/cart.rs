//! The cart page: lines with quantity changes, the subtotal.

use crate::cart::{Cart, MAX_QUANTITY};
use crate::components::Seo;
use crate::format;
use crate::i18n::use_lang;
use crate::model::InLang;
use leptos::prelude::*;

/// `/cart`.
#[component]
pub fn CartPage() -> impl IntoView {
    let lang = use_lang();
    let cart = Cart::use_cart();
    view! {
        <Seo title=lang.t("cart-title") description=lang.t("cart-checkout-note") neutral="/cart" />
        <section class="cart-page">
            <h1>{lang.t("cart-title")}</h1>
            <noscript><p>{lang.t("cart-needs-js")}</p></noscript>
            {move || {
                let lines = cart.lines();
                if lines.is_empty() {
                    return view! {
                        <p class="empty">{lang.t("cart-empty")}</p>
                        <p><a class="button" href=lang.path("/")>{lang.t("cart-continue")}</a></p>
                    }.into_any();
                }
                view! {
                    <ul class="cart-lines">
                        {lines.into_iter().map(|line| {
                            let id = line.id.clone();
                            let (less, more, remove) = (id.clone(), id.clone(), id.clone());
                            let quantity = line.quantity;
                            let name = line.name.in_lang(lang).to_owned();
                            let line_total = crate::model::Money { amount: line.price.amount.saturating_mul(quantity as i64), currency: line.price.currency.clone() };
                            view! {
                                <li class="cart-line" data-id=id.clone()>
                                    <a href=lang.path(&format!("/p/{}", line.slug))>{name.clone()}</a>
                                    <span class="unit">{format::money(lang, &line.price)}</span>
                                    <span class="quantity" role="group" aria-label=format!("{}: {name}", lang.t("cart-quantity"))>
                                        <button type="button" aria-label=lang.t("cart-decrease") on:click=move |_| cart.set_quantity(&less, quantity - 1)>"−"</button>
                                        <output class="qty" aria-live="polite">{format::number(lang, quantity as i64)}</output>
                                        <button type="button" aria-label=lang.t("cart-increase") disabled={quantity >= MAX_QUANTITY} on:click=move |_| cart.set_quantity(&more, quantity + 1)>"+"</button>
                                    </span>
                                    <span class="line-total">{format::money(lang, &line_total)}</span>
                                    <button type="button" class="link" on:click=move |_| cart.set_quantity(&remove, 0)>{lang.t("cart-remove")}</button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                    <p class="subtotal">
                        {format::counted(lang, "cart-items", cart.count() as u64)}" · "{lang.t("cart-subtotal")}": "
                        <strong>{cart.subtotals().iter().map(|m| format::money(lang, m)).collect::<Vec<_>>().join(" + ")}</strong>
                    </p>
                    <p class="note">{lang.t("cart-checkout-note")}</p>
                }.into_any()
            }}
        </section>
    }
}
