//! The cart and the header's mini-cart. A guest's cart is kept in this browser
//! (`localStorage`); a signed-in shopper's lives on the server (`/api/cart`), and the first
//! page a shopper opens after signing in merges the guest cart into it. Either way the
//! page's [`Cart`] holds the lines the header shows.

use crate::format;
use crate::i18n::use_lang;
use crate::model::{AppError, InLang, Money, Product, ServerCart, Translations};
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

impl Line {
    /// The lines of a server cart (a line whose product is gone has no price: it shows as 0).
    pub fn of_server(cart: &ServerCart) -> Vec<Line> {
        cart.items
            .iter()
            .map(|l| Line {
                id: l.product.clone(),
                slug: l.slug.clone(),
                name: l.name.clone(),
                price: l.unit_price.clone().unwrap_or(Money { amount: 0, currency: String::new() }),
                image: None,
                quantity: l.quantity.clamp(0, MAX_QUANTITY as i64) as u32,
            })
            .collect()
    }
}

/// The cart of the shopper whose access token this is, from the API.
#[cfg(feature = "ssr")]
pub async fn read_cart(token: &str) -> Result<ServerCart, AppError> {
    crate::server::api().get("/api/cart", Some(token)).await
}

/// The signed-in shopper's cart.
#[server(prefix = "/_srv/shop")]
pub async fn my_cart() -> Result<ServerCart, AppError> {
    read_cart(&crate::pages::account::shopper().await?.token).await
}

/// Adds a guest's lines (`[{"product", "quantity"}]`, as JSON) to the signed-in cart.
#[server(prefix = "/_srv/shop")]
pub async fn merge_cart(items: String) -> Result<ServerCart, AppError> {
    let session = crate::pages::account::shopper().await?;
    let items: serde_json::Value = serde_json::from_str(&items).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let body = serde_json::json!({ "items": items });
    let call = crate::server::api::Call { token: Some(&session.token), json: Some(&body), ..Default::default() };
    crate::server::api().call(http::Method::POST, "/api/cart/merge", call).await
}

/// Changes one line of the signed-in cart: `mode` `add` adds `quantity` units, `set` sets
/// them (0 removes the line). From a page without JavaScript a guest is sent to sign in.
#[server(prefix = "/_srv/shop")]
pub async fn change_cart(product: String, quantity: i64, mode: String) -> Result<ServerCart, AppError> {
    let session = match crate::pages::account::shopper().await {
        Err(AppError::Unauthorized) => {
            crate::pages::account::send_to_sign_in().await;
            return Err(AppError::Unauthorized);
        }
        other => other?,
    };
    let api = crate::server::api();
    // The cart is replaced whole at the version read: a change made meanwhile (another tab)
    // is a 409, and the change is made again on the newer cart.
    for _ in 0..3 {
        let cart = read_cart(&session.token).await?;
        let items = changed_items(&cart, &product, quantity, &mode)?;
        let body = serde_json::json!({ "items": items });
        let mut call = crate::server::api::Call { token: Some(&session.token), json: Some(&body), ..Default::default() };
        if cart.version > 0 {
            call.headers.push(("if-match", format!("\"{}\"", cart.version)));
        }
        match api.call(http::Method::PUT, "/api/cart", call).await {
            Err(AppError::Refused { status: 409 | 412, .. }) => continue,
            other => return other,
        }
    }
    Err(AppError::Unavailable("the cart kept changing; try again".into()))
}

/// The items of `cart` after a change (lines that can no longer be bought are dropped, as the
/// API would refuse them).
pub fn changed_items(cart: &ServerCart, product: &str, quantity: i64, mode: &str) -> Result<Vec<serde_json::Value>, AppError> {
    let refuse = |why: &str| AppError::Refused {
        status: 422,
        title: "Invalid cart change".into(),
        detail: Some(why.into()),
        errors: vec![crate::model::FieldError { field: "quantity".into(), message: why.into() }],
    };
    let most = MAX_QUANTITY as i64;
    let mut items: Vec<(String, i64)> = cart
        .items
        .iter()
        .filter(|l| l.issue != Some(crate::model::LineIssue::Unavailable) && l.issue != Some(crate::model::LineIssue::OtherCurrency))
        .map(|l| (l.product.clone(), l.quantity))
        .collect();
    let existing = items.iter().position(|(id, _)| id == product);
    let wanted = match mode {
        "add" if (1..=most).contains(&quantity) => existing.map_or(0, |i| items[i].1).saturating_add(quantity).min(most),
        "set" if (0..=most).contains(&quantity) => quantity,
        "add" | "set" => return Err(refuse(&format!("must be a whole number from {} to {most}", if mode == "add" { 1 } else { 0 }))),
        _ => return Err(AppError::BadRequest("mode must be add or set".into())),
    };
    match (existing, wanted) {
        (Some(i), 0) => {
            items.remove(i);
        }
        (Some(i), n) => items[i].1 = n,
        (None, 0) => {}
        (None, n) => items.push((product.to_owned(), n)),
    }
    Ok(items.into_iter().map(|(product, quantity)| serde_json::json!({ "product": product, "quantity": quantity })).collect())
}

/// The cart of this page: the browser's, or the signed-in shopper's on the server.
#[derive(Debug, Clone, Copy)]
pub struct Cart {
    lines: RwSignal<Vec<Line>>,
    /// Whether the lines are the server's (a shopper is signed in).
    remote: RwSignal<bool>,
    /// The last refusal of a change, to show beside the button.
    error: RwSignal<Option<AppError>>,
}

impl Cart {
    /// Makes the cart for the page; in the browser it is loaded from storage or the server.
    pub fn provide() {
        let cart = Cart { lines: RwSignal::new(Vec::new()), remote: RwSignal::new(false), error: RwSignal::new(None) };
        provide_context(cart);
        #[cfg(feature = "hydrate")]
        cart.load();
    }

    #[cfg(feature = "hydrate")]
    fn load(self) {
        let lines = self.lines;
        // In an effect, so after hydration: the first render must match the server's, which
        // knows no browser cart.
        Effect::new(move |_: Option<()>| {
            let stored: Vec<Line> = storage()
                .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
                .and_then(|t| serde_json::from_str(&t).ok())
                .unwrap_or_default();
            if !signed_in() {
                lines.set(stored);
                return;
            }
            self.remote.set(true);
            leptos::task::spawn_local(async move {
                let answer = if stored.is_empty() {
                    my_cart().await
                } else {
                    // The guest cart of this browser joins the shopper's, once.
                    let items: Vec<_> = stored.iter().map(|l| serde_json::json!({ "product": l.id, "quantity": l.quantity })).collect();
                    let merged = merge_cart(serde_json::Value::from(items).to_string()).await;
                    if merged.is_ok() {
                        if let Some(storage) = storage() {
                            let _ = storage.remove_item(STORAGE_KEY);
                        }
                    }
                    merged
                };
                match answer {
                    Ok(cart) => lines.set(Line::of_server(&cart)),
                    // The session ended: this browser's cart again.
                    Err(AppError::Unauthorized) => {
                        self.remote.set(false);
                        lines.set(stored);
                    }
                    Err(_) => {}
                }
            });
        });
        // Saves a guest's cart on every change (not the first run: the cart may not be
        // loaded yet, and an empty one must not overwrite what is stored).
        Effect::new(move |ran: Option<()>| {
            let text = serde_json::to_string(&lines.get()).unwrap_or_default();
            if ran.is_some() && !self.remote.get_untracked() {
                if let Some(storage) = storage() {
                    let _ = storage.set_item(STORAGE_KEY, &text);
                }
            }
        });
    }

    /// A guest's lines as the sign-in form sends them (`[{"product", "quantity"}]`), or
    /// nothing when the cart is the server's.
    pub fn guest_items_json(&self) -> String {
        if self.remote.get() {
            return String::new();
        }
        let items: Vec<_> =
            self.lines.with(|lines| lines.iter().map(|l| serde_json::json!({ "product": l.id, "quantity": l.quantity })).collect());
        if items.is_empty() { String::new() } else { serde_json::Value::from(items).to_string() }
    }

    /// A sign-in just succeeded (and merged the guest cart): the cart is the server's now.
    pub fn signed_in(&self) {
        self.remote.set(true);
        #[cfg(feature = "hydrate")]
        if let Some(storage) = storage() {
            let _ = storage.remove_item(STORAGE_KEY);
        }
        let this = *self;
        leptos::task::spawn_local(async move {
            if let Ok(cart) = my_cart().await {
                this.show(&cart);
            }
        });
    }

    /// The shopper signed out: the cart is this browser's (empty) again.
    pub fn signed_out(&self) {
        self.remote.set(false);
        self.lines.set(Vec::new());
    }

    /// The page's cart.
    pub fn use_cart() -> Cart {
        expect_context::<Cart>()
    }

    /// Shows `cart` (the server's answer to a change made elsewhere on the page).
    pub fn show(&self, cart: &ServerCart) {
        self.lines.set(Line::of_server(cart));
    }

    /// The last refusal of a change.
    pub fn error(&self) -> Option<AppError> {
        self.error.get()
    }

    /// Adds `quantity` of a product.
    pub fn add(&self, product: &Product, quantity: u32) {
        if self.remote.get_untracked() {
            self.change_remote(product.id.clone(), quantity as i64, "add");
            return;
        }
        self.lines.update(|lines| match lines.iter_mut().find(|l| l.id == product.id) {
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
        if self.remote.get_untracked() {
            self.change_remote(id.to_owned(), quantity as i64, "set");
            return;
        }
        self.lines.update(|lines| {
            if quantity == 0 {
                lines.retain(|l| l.id != id);
            } else if let Some(line) = lines.iter_mut().find(|l| l.id == id) {
                line.quantity = quantity.min(MAX_QUANTITY);
            }
        });
    }

    fn change_remote(&self, product: String, quantity: i64, mode: &'static str) {
        let this = *self;
        leptos::task::spawn_local(async move {
            match change_cart(product, quantity, mode.to_owned()).await {
                Ok(cart) => {
                    this.error.set(None);
                    this.show(&cart);
                }
                Err(error) => this.error.set(Some(error)),
            }
        });
    }

    /// The lines.
    pub fn lines(&self) -> Vec<Line> {
        self.lines.get()
    }

    /// How many items in all.
    pub fn count(&self) -> u32 {
        self.lines.with(|lines| lines.iter().map(|l| l.quantity).sum())
    }

    /// The subtotal in each currency (one, in practice).
    pub fn subtotals(&self) -> Vec<Money> {
        self.lines.with(|lines| subtotals(lines))
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

/// Whether the server said a shopper is signed in (its script-readable cookie).
#[cfg(feature = "hydrate")]
fn signed_in() -> bool {
    use wasm_bindgen::JsCast;
    let cookies = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.dyn_into::<web_sys::HtmlDocument>().ok())
        .and_then(|d| d.cookie().ok())
        .unwrap_or_default();
    cookies.split(';').any(|pair| pair.trim() == "shop_signed_in=1")
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
    use crate::model::{CartLine, LineIssue};

    fn server_cart(lines: &[(&str, i64, Option<LineIssue>)]) -> ServerCart {
        ServerCart {
            items: lines
                .iter()
                .map(|(id, quantity, issue)| CartLine {
                    product: (*id).into(),
                    slug: String::new(),
                    name: Translations::default(),
                    unit_price: None,
                    quantity: *quantity,
                    line_total: None,
                    available: 5,
                    issue: *issue,
                })
                .collect(),
            subtotal: None,
            item_count: 0,
            ready: true,
            version: 1,
        }
    }

    #[test]
    fn a_change_adds_sets_removes_and_drops_lines_that_cannot_be_bought() {
        let cart = server_cart(&[("a", 2, None), ("gone", 1, Some(LineIssue::Unavailable)), ("b", 98, None)]);
        let ids = |items: Vec<serde_json::Value>| {
            items.iter().map(|i| format!("{}={}", i["product"].as_str().unwrap(), i["quantity"])).collect::<Vec<_>>()
        };
        assert_eq!(ids(changed_items(&cart, "a", 1, "add").unwrap()), ["a=3", "b=98"]);
        assert_eq!(ids(changed_items(&cart, "b", 5, "add").unwrap()), ["a=2", "b=99"], "capped at the most a line holds");
        assert_eq!(ids(changed_items(&cart, "c", 4, "add").unwrap()), ["a=2", "b=98", "c=4"]);
        assert_eq!(ids(changed_items(&cart, "a", 0, "set").unwrap()), ["b=98"]);
        assert_eq!(ids(changed_items(&cart, "a", 7, "set").unwrap()), ["a=7", "b=98"]);
        for (quantity, mode) in [(0, "add"), (-1, "set"), (100, "set"), (100, "add")] {
            let error = changed_items(&cart, "a", quantity, mode).unwrap_err();
            assert!(error.field("quantity").is_some(), "{quantity} {mode}: {error:?}");
        }
        assert!(matches!(changed_items(&cart, "a", 1, "steal"), Err(AppError::BadRequest(_))));
    }

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
