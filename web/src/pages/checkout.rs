//! `/checkout`: where the order goes and how it is paid, then the order. A plain form: it
//! works without JavaScript. The amounts shown are the server's; the order's are computed
//! again by the orders component from the stored products when it is placed.

use crate::components::{ActionError, ErrorPanel, Field};
use crate::format;
use crate::i18n::use_lang;
use crate::model::{AppError, InLang, PaymentMethod, ServerCart};
use crate::pages::account::ShopperInfo;
use leptos::prelude::*;
use leptos_meta::{Meta, Title};

/// The countries the shop delivers to (ISO 3166-1 alpha-2; their names are in the locales).
pub const COUNTRIES: [&str; 10] = ["SA", "AE", "KW", "QA", "BH", "OM", "EG", "JO", "MA", "GB"];

/// What the checkout page needs: who, the cart, and a fresh key that makes the form's
/// submission safe to repeat (a double click or a resent form places one order).
#[server(prefix = "/_srv/shop")]
pub async fn checkout_data() -> Result<(ShopperInfo, ServerCart, String), AppError> {
    let session = crate::pages::account::shopper().await?;
    let cart = crate::cart::read_cart(&session.token).await?;
    let key = crate::server::session::random_token();
    Ok((ShopperInfo { email: session.email, csrf: session.csrf }, cart, key))
}

/// The payment part of a body: the method, and the card's details when one was given.
#[cfg(feature = "ssr")]
pub fn payment_body(method: &str, number: Option<String>, expiry: Option<String>, cvc: Option<String>) -> serde_json::Value {
    let mut body = serde_json::json!({ "payment_method": method });
    let card: serde_json::Map<String, serde_json::Value> = [("number", number), ("expiry", expiry), ("cvc", cvc)]
        .into_iter()
        .filter_map(|(name, value)| value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()).map(|v| (name.to_owned(), v.into())))
        .collect();
    if !card.is_empty() {
        body["card"] = card.into();
    }
    body
}

/// Places the order for the signed-in shopper's cart, then shows it. A declined payment
/// still shows the order (held, awaiting payment), where the shopper can pay again.
#[server(prefix = "/_srv/shop")]
#[allow(clippy::too_many_arguments)]
pub async fn place_order(
    csrf: String,
    key: String,
    lang: String,
    name: String,
    phone: String,
    street: String,
    street_2: Option<String>,
    city: String,
    region: Option<String>,
    postal_code: Option<String>,
    country: String,
    payment_method: String,
    card_number: Option<String>,
    card_expiry: Option<String>,
    card_cvc: Option<String>,
) -> Result<(), AppError> {
    let session = crate::pages::account::checked(&csrf).await?;
    let given = |text: Option<String>| text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    let lines: Vec<String> = std::iter::once(street).chain(given(street_2)).collect();
    let mut address = serde_json::json!({ "name": name, "phone": phone, "lines": lines, "city": city, "country": country });
    if let Some(region) = given(region) {
        address["region"] = region.into();
    }
    if let Some(postal_code) = given(postal_code) {
        address["postal_code"] = postal_code.into();
    }
    let lang = crate::i18n::Lang::from_code(&lang).unwrap_or_default();
    let mut body = payment_body(&payment_method, card_number, card_expiry, card_cvc);
    body["shipping_address"] = address;
    body["language"] = lang.code().into();
    let mut call = crate::server::api::Call { token: Some(&session.token), json: Some(&body), ..Default::default() };
    if !key.is_empty() {
        call.headers.push(("idempotency-key", key));
    }
    let (status, bytes) = crate::server::api().exchange(http::Method::POST, "/api/checkout", call).await?;
    let order = match status.as_u16() {
        201 => serde_json::from_slice::<crate::model::Order>(&bytes).map(|o| o.id).ok(),
        // Declined or unanswered: the order exists, held, and says so on its page.
        402 => serde_json::from_slice::<shop_domain::Problem>(&bytes)
            .ok()
            .and_then(|p| p.instance)
            .and_then(|i| i.rsplit('/').next().map(str::to_owned)),
        _ => return Err(crate::server::api::refusal(status, &bytes)),
    };
    let order = order.ok_or_else(|| AppError::Unavailable("the API's answer named no order".into()))?;
    leptos_axum::redirect(&format!("{}?placed=1", lang.path(&format!("/account/orders/{order}"))));
    Ok(())
}

/// The choice of payment: cash on delivery, or a card (its fields shown with it).
#[component]
pub fn PaymentChoice(error: Signal<Option<AppError>>) -> impl IntoView {
    let lang = use_lang();
    let field = move |name: &'static str| Signal::derive(move || error.get().and_then(|e| e.field(name)));
    view! {
        <fieldset class="payment-choice">
            <legend>{lang.t("checkout-payment")}</legend>
            <label class="choice">
                <input type="radio" name="payment_method" value=PaymentMethod::CASH_ON_DELIVERY checked=true />
                {lang.t("payment-cash-on-delivery")}
            </label>
            <label class="choice">
                <input type="radio" name="payment_method" value="test_card" />
                {lang.t("payment-test-card")}
            </label>
            <p class="field-error" role="alert">{move || field("payment_method").get()}</p>
            <div class="card-fields">
                <p class="hint">{lang.t("checkout-card-hint")}</p>
                <Field name="card_number" label=lang.t("checkout-card-number") value="" dir="ltr" inputmode="numeric" autocomplete="cc-number" error=field("card.number") />
                <Field name="card_expiry" label=lang.t("checkout-card-expiry") value="" dir="ltr" autocomplete="cc-exp" error=field("card.expiry") />
                <Field name="card_cvc" label=lang.t("checkout-card-cvc") value="" dir="ltr" inputmode="numeric" autocomplete="cc-csc" error=field("card.cvc") />
            </div>
        </fieldset>
    }
}

/// `/checkout`.
#[component]
pub fn CheckoutPage() -> impl IntoView {
    let lang = use_lang();
    let data = Resource::new(|| (), |_| checkout_data());
    let place = ServerAction::<PlaceOrder>::new();
    let error = Signal::derive(move || place.value().get().and_then(Result::err));
    let field = move |name: &'static str| Signal::derive(move || error.get().and_then(|e| e.field(name)));
    view! {
        <Title text=lang.t("checkout-title") />
        <Meta name="robots" content="noindex" />
        <Suspense>
            {move || Suspend::new(async move {
                let (info, cart, key) = match data.await {
                    Ok(data) => data,
                    Err(error) => return view! { <ErrorPanel error /> }.into_any(),
                };
                if cart.items.is_empty() {
                    return view! {
                        <section class="checkout">
                            <h1>{lang.t("checkout-title")}</h1>
                            <p class="empty">{lang.t("cart-empty")}</p>
                            <p><a class="button" href=lang.path("/")>{lang.t("cart-continue")}</a></p>
                        </section>
                    }.into_any();
                }
                let ready = cart.ready;
                // A refused attempt may have used its key (an order that failed is kept under
                // it): the next one gets its own. A lost answer keeps the key, so sending again
                // finds the first attempt's order instead of placing a second.
                let key = RwSignal::new(key);
                let base = key.get_untracked();
                Effect::new(move |_| {
                    if let Some(Err(AppError::Refused { .. })) = place.value().get() {
                        key.set(format!("{base}-{}", place.version().get_untracked()));
                    }
                });
                view! {
                    <section class="checkout">
                        <h1>{lang.t("checkout-title")}</h1>
                        <div class="checkout-grid">
                            <ActionForm action=place attr:class="checkout-form">
                                <input type="hidden" name="csrf" value=info.csrf.clone() />
                                <input type="hidden" name="key" value=move || key.get() />
                                <input type="hidden" name="lang" value=lang.code() />
                                <ActionError error />
                                <fieldset>
                                    <legend>{lang.t("checkout-address")}</legend>
                                    <Field name="name" label=lang.t("checkout-name") value="" required=true autocomplete="name" error=field("shipping_address.name") />
                                    <Field name="phone" label=lang.t("checkout-phone") value="" kind="tel" dir="ltr" required=true autocomplete="tel" error=field("shipping_address.phone") />
                                    <Field name="street" label=lang.t("checkout-street") value="" required=true autocomplete="address-line1" error=field("shipping_address.lines") />
                                    <Field name="street_2" label=lang.t("checkout-street-2") value="" autocomplete="address-line2" error=Signal::derive(|| None) />
                                    <Field name="city" label=lang.t("checkout-city") value="" required=true autocomplete="address-level2" error=field("shipping_address.city") />
                                    <Field name="region" label=lang.t("checkout-region") value="" autocomplete="address-level1" error=field("shipping_address.region") />
                                    <Field name="postal_code" label=lang.t("checkout-postal-code") value="" dir="ltr" autocomplete="postal-code" error=field("shipping_address.postal_code") />
                                    <div class="field">
                                        <label for="field-country">{lang.t("checkout-country")}</label>
                                        <select id="field-country" name="country" autocomplete="country">
                                            {COUNTRIES.into_iter().map(|code| view! { <option value=code>{lang.t(&format!("country-{}", code.to_ascii_lowercase()))}</option> }).collect_view()}
                                        </select>
                                        <p class="field-error">{move || field("shipping_address.country").get()}</p>
                                    </div>
                                </fieldset>
                                <PaymentChoice error />
                                <p class="field-error" role="alert">{move || field("items").get()}</p>
                                <button type="submit" class="primary place-order" disabled=move || !ready || place.pending().get()>{lang.t("checkout-place-order")}</button>
                            </ActionForm>
                            <aside class="checkout-summary" aria-labelledby="summary-title">
                                <h2 id="summary-title">{lang.t("checkout-summary")}</h2>
                                <ul>
                                    {cart.items.iter().map(|line| view! {
                                        <li>
                                            <span>{line.name.in_lang(lang).to_owned()}" × "{format::number(lang, line.quantity)}</span>
                                            <span>{line.line_total.as_ref().map(|m| format::money(lang, m)).unwrap_or_default()}</span>
                                        </li>
                                    }).collect_view()}
                                </ul>
                                <p class="subtotal">{lang.t("cart-subtotal")}": "<strong>{cart.subtotal.as_ref().map(|m| format::money(lang, m)).unwrap_or_default()}</strong></p>
                                {(!ready).then(|| view! { <p class="form-error" role="alert">{lang.t("checkout-cart-not-ready")}" "<a href=lang.path("/cart")>{lang.t("cart-view")}</a></p> })}
                                <p class="who">{lang.t_with("account-signed-in-as", &[("email", info.email.clone().into())])}</p>
                            </aside>
                        </div>
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}
