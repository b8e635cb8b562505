//! The cart page. A signed-in shopper's cart is the server's: rendered on the server with
//! its current prices, stock and total, changed through plain forms (without JavaScript
//! too), and checked out from here. A guest's cart is this browser's: shown by the script,
//! with a way to sign in and check out.

use crate::cart::{Cart, ChangeCart, MAX_QUANTITY};
use crate::components::{ActionError, Seo};
use crate::format;
use crate::i18n::use_lang;
use crate::model::{AppError, InLang, LineIssue, ServerCart};
use leptos::prelude::*;

/// The signed-in shopper's cart, or `None` for a guest.
#[server(prefix = "/_srv/shop")]
pub async fn cart_page_data() -> Result<Option<ServerCart>, AppError> {
    match crate::pages::account::shopper().await {
        Ok(session) => crate::cart::read_cart(&session.token).await.map(Some),
        Err(AppError::Unauthorized) => Ok(None),
        Err(other) => Err(other),
    }
}

/// `/cart`.
#[component]
pub fn CartPage() -> impl IntoView {
    let lang = use_lang();
    let change = ServerAction::<ChangeCart>::new();
    let data = Resource::new(move || change.version().get(), |_| cart_page_data());
    let cart = Cart::use_cart();
    // A change made here shows in the header's cart too.
    Effect::new(move |_| {
        if let Some(Ok(changed)) = change.value().get() {
            cart.show(&changed);
        }
    });
    let error = Signal::derive(move || change.value().get().and_then(Result::err));
    view! {
        <Seo title=lang.t("cart-title") description=lang.t("cart-title") neutral="/cart" />
        <section class="cart-page">
            <h1>{lang.t("cart-title")}</h1>
            <Suspense>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(Some(server)) => view! { <ServerCartView cart=server change error /> }.into_any(),
                        Ok(None) => view! { <GuestCartView /> }.into_any(),
                        Err(error) => view! { <crate::components::ErrorPanel error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// The signed-in cart, as the server priced it.
#[component]
fn ServerCartView(cart: ServerCart, change: ServerAction<ChangeCart>, error: Signal<Option<AppError>>) -> impl IntoView {
    let lang = use_lang();
    if cart.items.is_empty() {
        return view! {
            <p class="empty">{lang.t("cart-empty")}</p>
            <p><a class="button" href=lang.path("/")>{lang.t("cart-continue")}</a></p>
        }
        .into_any();
    }
    view! {
        <ActionError error />
        <ul class="cart-lines server">
            {cart.items.into_iter().map(|line| {
                let name = line.name.in_lang(lang).to_owned();
                let label = if name.is_empty() { lang.t("cart-line-gone") } else { name };
                let issue = line.issue.map(|issue| match issue {
                    LineIssue::Unavailable => lang.t("cart-line-gone"),
                    LineIssue::InsufficientStock => lang.t_with("cart-line-short", &[("available", format::number(lang, line.available).into())]),
                    LineIssue::OtherCurrency => lang.t("cart-line-currency"),
                });
                let input_id = format!("qty-{}", line.product);
                let (for_set, for_remove) = (line.product.clone(), line.product.clone());
                let quantity_label = format!("{}: {label}", lang.t("cart-quantity"));
                let remove_label = format!("{}: {label}", lang.t("cart-remove"));
                let link = if line.slug.is_empty() {
                    view! { <span>{label}</span> }.into_any()
                } else {
                    view! { <a href=lang.path(&format!("/p/{}", line.slug))>{label}</a> }.into_any()
                };
                view! {
                    <li class="cart-line" data-id=line.product.clone()>
                        {link}
                        <span class="unit">{line.unit_price.as_ref().map(|p| format::money(lang, p)).unwrap_or_default()}</span>
                        <ActionForm action=change attr:class="quantity-form">
                            <input type="hidden" name="product" value=for_set />
                            <input type="hidden" name="mode" value="set" />
                            <label class="visually-hidden" for=input_id.clone()>{quantity_label}</label>
                            <input id=input_id type="number" name="quantity" class="qty" min="0" max=MAX_QUANTITY.to_string() value=line.quantity.to_string() inputmode="numeric" />
                            <button type="submit">{lang.t("cart-update")}</button>
                        </ActionForm>
                        <span class="line-total">{line.line_total.as_ref().map(|m| format::money(lang, m)).unwrap_or_default()}</span>
                        <ActionForm action=change attr:class="remove-form">
                            <input type="hidden" name="product" value=for_remove />
                            <input type="hidden" name="mode" value="set" />
                            <input type="hidden" name="quantity" value="0" />
                            <button type="submit" class="link" aria-label=remove_label>{lang.t("cart-remove")}</button>
                        </ActionForm>
                        {issue.map(|text| view! { <p class="line-issue" role="alert">{text}</p> })}
                    </li>
                }
            }).collect_view()}
        </ul>
        <p class="subtotal">
            {format::counted(lang, "cart-items", cart.item_count.max(0) as u64)}" · "{lang.t("cart-subtotal")}": "
            <strong class="server-subtotal">{cart.subtotal.as_ref().map(|m| format::money(lang, m)).unwrap_or_default()}</strong>
        </p>
        {if cart.ready {
            view! { <p><a class="button primary checkout" href=lang.path("/checkout")>{lang.t("cart-checkout")}</a></p> }.into_any()
        } else {
            view! { <p class="form-error" role="alert">{lang.t("checkout-cart-not-ready")}</p> }.into_any()
        }}
    }
    .into_any()
}

/// A guest's cart, kept in this browser.
#[component]
fn GuestCartView() -> impl IntoView {
    let lang = use_lang();
    let cart = Cart::use_cart();
    let sign_in = format!("{}?next={}", lang.path("/account/login"), crate::data::encode(&lang.path("/cart")));
    view! {
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
                <p class="note">{lang.t("cart-sign-in-note")}</p>
                <p><a class="button primary checkout" href=sign_in.clone()>{lang.t("cart-sign-in-to-check-out")}</a></p>
            }.into_any()
        }}
    }
}
