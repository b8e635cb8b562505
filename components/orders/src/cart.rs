//! `GET/PUT/DELETE /api/cart` and `POST /api/cart/merge`: a signed-in shopper's cart, kept
//! on the server and shown with the products' current names, prices and stock.

use crate::access::Caller;
use crate::stored::{self, CARTS};
use api_kit::ApiResponse;
use api_kit::store::{self, Stored};
use serde_json::{Map, Value};
use shop_domain::catalog::StoredProduct;
use shop_domain::orders::{Cart, CartItem, CartLine, LineIssue, MAX_LINES, MAX_QUANTITY, StoredCart};
use shop_domain::{FieldErrors, Money, Problem, time};

/// A cart line with its product, as checkout and the cart's view price it.
pub struct Priced {
    /// The line as asked.
    pub item: CartItem,
    /// The product, when it can be bought.
    pub product: Option<Stored<StoredProduct>>,
}

/// Looks up each line's product (by id or slug; drafts and removed products are `None`).
pub fn price(items: &[CartItem]) -> Result<Vec<Priced>, Problem> {
    items.iter().map(|item| Ok(Priced { item: item.clone(), product: stored::buyable_product(&item.product)? })).collect()
}

/// Refuses lines that cannot be bought at all: a product that does not exist or is not
/// published, or one priced in another currency than the first line (422 naming each).
pub fn check_buyable(priced: &[Priced], errors: &mut FieldErrors) {
    let mut currency: Option<&str> = None;
    for (i, line) in priced.iter().enumerate() {
        match &line.product {
            None => errors.push(format!("items[{i}].product"), "no product on sale has this id or slug"),
            Some(product) => {
                let theirs = product.body.price.currency.as_str();
                match currency {
                    None => currency = Some(theirs),
                    Some(first) if first != theirs => errors.push(
                        format!("items[{i}].product"),
                        format!("is priced in {theirs}, and the first line in {first}: one order is paid in one currency"),
                    ),
                    Some(_) => {}
                }
            }
        }
    }
}

/// `unit × quantity`, refused past the largest amount the shop takes.
pub fn times(unit: &Money, quantity: i64) -> Option<Money> {
    unit.amount
        .checked_mul(quantity)
        .filter(|amount| *amount <= shop_domain::money::MAX_AMOUNT)
        .map(|amount| Money { amount, currency: unit.currency.clone() })
}

/// The cart as shown: each line with its product's current name, price and stock, and why a
/// line cannot be bought as it is.
fn view(priced: Vec<Priced>, version: u64) -> Cart {
    let mut lines = Vec::with_capacity(priced.len());
    let mut subtotal: Option<Money> = None;
    let mut item_count = 0;
    let mut ready = !priced.is_empty();
    for Priced { item, product } in priced {
        item_count += item.quantity;
        let Some(product) = product else {
            ready = false;
            lines.push(CartLine {
                product: item.product,
                slug: String::new(),
                name: Default::default(),
                unit_price: None,
                quantity: item.quantity,
                line_total: None,
                available: 0,
                issue: Some(LineIssue::Unavailable),
            });
            continue;
        };
        let body = product.body;
        let line_total = times(&body.price, item.quantity);
        let issue = if subtotal.as_ref().is_some_and(|s| s.currency != body.price.currency) {
            Some(LineIssue::OtherCurrency)
        } else if body.stock < item.quantity {
            Some(LineIssue::InsufficientStock)
        } else {
            None
        };
        match (&issue, &line_total) {
            (None, Some(total)) => {
                let sum = subtotal.get_or_insert_with(|| Money { amount: 0, currency: total.currency.clone() });
                sum.amount = sum.amount.saturating_add(total.amount);
            }
            _ => ready = false,
        }
        lines.push(CartLine {
            product: product.id,
            slug: body.slug,
            name: body.name,
            unit_price: Some(body.price),
            quantity: item.quantity,
            line_total,
            available: body.stock.max(0),
            issue,
        });
    }
    Cart { items: lines, subtotal, item_count, ready, version }
}

fn answer(cart: Option<Stored<StoredCart>>) -> Result<ApiResponse, Problem> {
    let (items, version) = cart.map(|c| (c.body.items, c.version)).unwrap_or_default();
    Ok(ApiResponse::json(200, &view(price(&items)?, version)))
}

/// `GET /api/cart`.
pub fn read(caller: &Caller) -> Result<ApiResponse, Problem> {
    answer(CARTS.get(&caller.user_id)?)
}

/// Stores `items` as the caller's cart: at `expected` when given (409 if it changed), else
/// over whatever is there.
fn save(caller: &Caller, expected: Option<u64>, items: Vec<CartItem>) -> Result<Stored<StoredCart>, Problem> {
    let body = StoredCart { items, updated_at: Some(time::now_rfc3339()) };
    for _ in 0..8 {
        let current = CARTS.get(&caller.user_id)?;
        let written = match (&current, expected) {
            (None, Some(_)) | (Some(_), Some(0)) => return Err(changed()),
            (Some(cart), Some(version)) if cart.version != version => return Err(changed()),
            (None, None) => CARTS.insert(Some(&caller.user_id), &body)?.map(Some),
            (Some(cart), _) => CARTS.replace(&cart.id, cart.version, &body)?,
        };
        match written {
            Ok(Some(stored)) => return Ok(stored),
            // Another request of the same user wrote first: without If-Match, the last wins.
            Err(_) | Ok(None) if expected.is_none() => continue,
            Err(error) => return Err(store::to_problem(error)),
            Ok(None) => return Err(changed()),
        }
    }
    Err(Problem::unavailable("The cart is being changed by many requests at once. Try again shortly."))
}

fn changed() -> Problem {
    Problem::conflict("The cart was changed since the version given in If-Match. Fetch it again and retry.")
}

/// Reads a body of `{"items": [...]}` and nothing else.
fn items_of(mut body: Map<String, Value>, errors: &mut FieldErrors) -> Vec<CartItem> {
    let items = CartItem::parse_list(body.get("items"), errors);
    body.remove("items");
    for unknown in body.keys() {
        errors.push(unknown.clone(), "is not a field of a cart (items)");
    }
    items
}

/// `PUT /api/cart` with `{"items": [{"product", "quantity"}]}`: replaces the cart. Every line
/// must name a product on sale, all in one currency (422 naming the line otherwise); a line
/// may ask for more than is in stock (the cart shows it, checkout refuses it).
pub fn replace(caller: &Caller, expected: Option<u64>, body: Map<String, Value>) -> Result<ApiResponse, Problem> {
    let mut errors = FieldErrors::new();
    let items = items_of(body, &mut errors);
    if !errors.is_empty() {
        return Err(Problem::validation(errors));
    }
    let priced = price(&items)?;
    check_buyable(&priced, &mut errors);
    if !errors.is_empty() {
        return Err(Problem::validation(errors));
    }
    // The cart keeps ids, whatever the client named the products by.
    let items =
        priced.into_iter().map(|p| CartItem { product: p.product.map(|p| p.id).unwrap_or_default(), quantity: p.item.quantity }).collect();
    answer(Some(save(caller, expected, items)?))
}

/// `DELETE /api/cart`: empties the cart.
pub fn clear(caller: &Caller) -> Result<ApiResponse, Problem> {
    answer(Some(save(caller, None, Vec::new())?))
}

/// `POST /api/cart/merge` with a guest's cart (`{"items": [...]}`, as kept in the browser):
/// adds its lines to the signed-in cart (quantities of a product in both are added, up to
/// the most a line takes). Lines that cannot be bought (gone, unpublished, another
/// currency) are left out rather than refused: the guest's cart may be old.
pub fn merge(caller: &Caller, body: Map<String, Value>) -> Result<ApiResponse, Problem> {
    let mut errors = FieldErrors::new();
    let guest = items_of(body, &mut errors);
    if !errors.is_empty() {
        return Err(Problem::validation(errors));
    }
    let current = CARTS.get(&caller.user_id)?;
    let mut items = current.map(|c| c.body.items).unwrap_or_default();
    let mut currency = price(&items[..items.len().min(1)])?.pop().and_then(|p| p.product).map(|p| p.body.price.currency);
    for Priced { item, product } in price(&guest)? {
        let Some(product) = product else { continue };
        let theirs = &product.body.price.currency;
        if currency.as_ref().is_some_and(|c| c != theirs) {
            continue;
        }
        currency.get_or_insert_with(|| theirs.clone());
        if let Some(line) = items.iter_mut().find(|line| line.product == product.id) {
            line.quantity = (line.quantity + item.quantity).min(MAX_QUANTITY);
        } else if items.len() < MAX_LINES {
            items.push(CartItem { product: product.id, quantity: item.quantity });
        }
    }
    answer(Some(save(caller, None, items)?))
}
