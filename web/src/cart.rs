//! The cart, kept in the browser (`localStorage`), with the header's mini-cart.

use crate::format;
use crate::i18n::use_lang;
use crate::model::{InLang, Money, Product, Translations};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The storage key.
#[cfg(feature = "hydrate")]
const STORAGE_KEY: &str = "shop-cart-v1";
/// The most of one product a cart holds.
pub const MAX_QUANTITY: u32 = 99;

/// One line of the cart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    /// The product's id.
    pub id: String,
    /// Its slug (for the link back).
    pub slug: String,
    /// Its name in both languages.
    pub name: Translations,
    /// Its price when it was added.
    pub price: Money,
    /// A small image.
    pub image: Option<String>,
    /// How many.
    pub quantity: u32,
}

/// The cart of this browser.
#[derive(Debug, Clone, Copy)]
pub struct Cart(RwSignal<Vec<Line>>);

impl Cart {
    /// Makes the cart for the page; in the browser it is read from and written to storage.
    pub fn provide() {
        let lines = RwSignal::new(Vec::<Line>::new());
        provide_context(Cart(lines));
        #[cfg(feature = "hydrate")]
        {
            // After hydration (effects do not run on the server): load, then save on change.
            Effect::new(move |loaded: Option<bool>| {
                if loaded.is_none() {
                    if let Some(stored) = storage().and_then(|s| s.get_item(STORAGE_KEY).ok().flatten()) {
                        if let Ok(parsed) = serde_json::from_str::<Vec<Line>>(&stored) {
                            lines.set(parsed);
                        }
                    }
                    // Subscribe, so later changes run this effect again and are saved.
                    lines.track();
                    return true;
                }
                let text = serde_json::to_string(&lines.get()).unwrap_or_default();
                if let Some(storage) = storage() {
                    let _ = storage.set_item(STORAGE_KEY, &text);
                }
                true
            });
        }
    }

    /// The page's cart.
    pub fn use_cart() -> Cart {
        expect_context::<Cart>()
    }

    /// Adds `quantity` of a product.
    pub fn add(&self, product: &Product, quantity: u32) {
        self.0.update(|lines| match lines.iter_mut().find(|l| l.id == product.id) {
            Some(line) => line.quantity = (line.quantity + quantity).min(MAX_QUANTITY),
            None => lines.push(Line {
                id: product.id.clone(),
                slug: product.slug.clone(),
                name: product.name.clone(),
                price: product.price.clone(),
                image: product.images.first().and_then(|i| i.variants.first()).map(|v| v.url.clone()),
                quantity: quantity.min(MAX_QUANTITY),
            }),
        });
    }

    /// Sets a line's quantity; 0 removes it.
    pub fn set_quantity(&self, id: &str, quantity: u32) {
        self.0.update(|lines| {
            if quantity == 0 {
                lines.retain(|l| l.id != id);
            } else if let Some(line) = lines.iter_mut().find(|l| l.id == id) {
                line.quantity = quantity.min(MAX_QUANTITY);
            }
        });
    }

    /// The lines.
    pub fn lines(&self) -> Vec<Line> {
        self.0.get()
    }

    /// How many items in all.
    pub fn count(&self) -> u32 {
        self.0.with(|lines| lines.iter().map(|l| l.quantity).sum())
    }

    /// The subtotal in each currency (one, in practice).
    pub fn subtotals(&self) -> Vec<Money> {
        self.0.with(|lines| subtotals(lines))
    }
}

/// The sum of the lines, per currency.
pub fn subtotals(lines: &[Line]) -> Vec<Money> {
    let mut totals: Vec<Money> = Vec::new();
    for line in lines {
        let amount = line.price.amount.saturating_mul(line.quantity as i64);
        match totals.iter_mut().find(|t| t.currency == line.price.currency) {
            Some(total) => total.amount = total.amount.saturating_add(amount),
            None => totals.push(Money { amount, currency: line.price.currency.clone() }),
        }
    }
    totals
}

#[cfg(feature = "hydrate")]
fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The header's cart button: the count, and a panel with the lines and the subtotal.
#[component]
pub fn MiniCart() -> impl IntoView {
    let lang = use_lang();
    let cart = Cart::use_cart();
    let (open, set_open) = signal(false);
    let count = move || cart.count();
    view! {
        <div class="mini-cart">
            <a class="cart-button" href=lang.path("/cart") aria-expanded=move || open.get().to_string() aria-controls="mini-cart-panel"
                on:click=move |ev| { ev.prevent_default(); set_open.update(|o| *o = !*o); }>
                {lang.t("nav-cart")}
                " "
                <span class="cart-count" data-count=move || count().to_string()>{move || format::number(lang, count() as i64)}</span>
            </a>
            <div id="mini-cart-panel" class="mini-cart-panel" hidden=move || !open.get()>
                {move || {
                    let lines = cart.lines();
                    if lines.is_empty() {
                        return view! { <p>{lang.t("cart-empty")}</p> }.into_any();
                    }
                    view! {
                        <ul>
                            {lines.into_iter().map(|line| view! {
                                <li><span>{line.name.in_lang(lang).to_owned()}</span>" × "{format::number(lang, line.quantity as i64)}</li>
                            }).collect_view()}
                        </ul>
                        <p class="subtotal">{lang.t("cart-subtotal")}": "{cart.subtotals().iter().map(|m| format::money(lang, m)).collect::<Vec<_>>().join(" + ")}</p>
                        <a class="button" href=lang.path("/cart")>{lang.t("cart-view")}</a>
                    }.into_any()
                }}
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subtotals_add_up_per_currency() {
        let line = |amount: i64, quantity: u32, currency: &str| Line {
            id: amount.to_string(),
            slug: String::new(),
            name: Translations::default(),
            price: Money { amount, currency: currency.into() },
            image: None,
            quantity,
        };
        let totals = subtotals(&[line(1250, 2, "SAR"), line(100, 3, "SAR"), line(500, 1, "USD")]);
        assert_eq!(totals, vec![Money { amount: 2800, currency: "SAR".into() }, Money { amount: 500, currency: "USD".into() }]);
    }
}
