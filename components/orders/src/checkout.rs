//! `POST /api/checkout`: turns a cart into an order, taking its stock atomically per
//! product, once per `Idempotency-Key`.
//!
//! The order is written first (`reserving`), then each line's units are taken from its
//! product (sorted by product id), then the payment is authorised by the method's provider,
//! then the order records the payment and that its units are held. A line that cannot be
//! had, or payment details the provider refuses as unusable, give back what was taken and
//! fail the order (409 naming the product, 422 naming the detail). A payment declined or not
//! answered leaves the order `pending_payment` with its units held until the payment is due
//! (402). Whatever a crash interrupts is settled by housekeeping (`upkeep`).

use crate::access::Caller;
use crate::cart::{self, Priced};
use crate::mail;
use crate::payment::{self, Means};
use crate::stock::{self, Take};
use crate::stored::{CARTS, ORDERS, ensure_order_indexes};
use api_kit::store::{self, Stored};
use api_kit::{ApiResponse, etag};
use http::header;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use shop_domain::orders::{Address, CartItem, Order, OrderLine, OrderStatus, Payment, StatusChange, StockState, StoredOrder};
use shop_domain::{FieldErrors, Money, Problem, time};
use wstd::http::{Body, Request};

/// The header that makes a checkout safe to retry.
const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// The `Idempotency-Key` header: 1 to 255 visible ASCII characters, or none.
pub fn idempotency_key(request: &Request<Body>) -> Result<Option<String>, Problem> {
    let Some(value) = request.headers().get(IDEMPOTENCY_KEY) else { return Ok(None) };
    match value.to_str() {
        Ok(key) if (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic()) => Ok(Some(key.to_owned())),
        _ => Err(Problem::new(400, "bad-idempotency-key", "Unusable Idempotency-Key header")
            .with_detail("Idempotency-Key must be 1 to 255 visible ASCII characters, such as a UUID.")
            .with_field("Idempotency-Key", "must be 1 to 255 visible ASCII characters")),
    }
}

/// The language of the shopper's messages when the body does not say: Arabic when the
/// browser prefers it, else English.
pub fn preferred_language(request: &Request<Body>) -> &'static str {
    let accept = request.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let first = accept.split(',').next().unwrap_or("").trim().to_ascii_lowercase();
    if first == "ar" || first.starts_with("ar-") { "ar" } else { "en" }
}

/// The order id a key gives: the same customer and key always name the same order, so a
/// retried checkout finds the first one's order instead of placing another.
fn order_id_for(customer: &str, key: &str) -> String {
    let digest = Sha256::digest(format!("{customer}\n{key}").as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// What a checkout asked for.
struct Purchase {
    items: Vec<CartItem>,
    /// The stored cart's version, when the cart is what is bought.
    cart_version: Option<u64>,
    address: Address,
    means: Means,
    language: String,
}

const FIELDS: [&str; 5] = ["items", "shipping_address", "payment_method", "card", "language"];

fn parse(caller: &Caller, body: &Map<String, Value>, default_language: &str) -> Result<Purchase, Problem> {
    let mut errors = FieldErrors::new();
    for unknown in body.keys().filter(|k| !FIELDS.contains(&k.as_str())) {
        errors.push(unknown.clone(), "is not a field of a checkout (items, shipping_address, payment_method, card, language)");
    }
    let address = Address::parse(body.get("shipping_address"), "shipping_address", &mut errors);
    let means = payment::read(body, &mut errors);
    let language = match body.get("language") {
        None | Some(Value::Null) => Some(default_language.to_owned()),
        Some(Value::String(l)) if l == "en" || l == "ar" => Some(l.clone()),
        Some(_) => {
            errors.push("language", "must be en or ar");
            None
        }
    };
    let from_cart = !body.contains_key("items");
    let (items, cart_version) = if from_cart {
        CARTS.get(&caller.user_id)?.map(|c| (c.body.items, Some(c.version))).unwrap_or_default()
    } else {
        (CartItem::parse_list(body.get("items"), &mut errors), None)
    };
    if items.is_empty() && !errors.mentions("items") {
        errors.push("items", if from_cart { "the cart is empty" } else { "must have at least one line" });
    }
    match (address, means, language) {
        (Some(address), Some(means), Some(language)) if errors.is_empty() => Ok(Purchase { items, cart_version, address, means, language }),
        _ => Err(Problem::validation(errors)),
    }
}

/// The order's lines, priced from the stored products (422 naming a line that cannot be bought
/// or whose total is past the largest amount).
fn lines_of(priced: &[Priced]) -> Result<(Vec<OrderLine>, Money), Problem> {
    let mut errors = FieldErrors::new();
    cart::check_buyable(priced, &mut errors);
    if !errors.is_empty() {
        return Err(Problem::validation(errors));
    }
    let mut lines = Vec::with_capacity(priced.len());
    let mut subtotal: Option<Money> = None;
    for (i, Priced { item, product }) in priced.iter().enumerate() {
        let Some(product) = product else { continue };
        let Some(line_total) = cart::times(&product.body.price, item.quantity) else {
            errors.push(format!("items[{i}].quantity"), "makes the line's total larger than the shop takes");
            continue;
        };
        let sum = subtotal.get_or_insert_with(|| Money { amount: 0, currency: line_total.currency.clone() });
        match sum.amount.checked_add(line_total.amount).filter(|a| *a <= shop_domain::money::MAX_AMOUNT) {
            Some(amount) => sum.amount = amount,
            None => errors.push(format!("items[{i}].quantity"), "makes the order's total larger than the shop takes"),
        }
        lines.push(OrderLine {
            product: product.id.clone(),
            slug: product.body.slug.clone(),
            name: product.body.name.clone(),
            unit_price: product.body.price.clone(),
            quantity: item.quantity,
            line_total,
        });
    }
    match subtotal {
        Some(subtotal) if errors.is_empty() => Ok((lines, subtotal)),
        _ => Err(Problem::validation(errors)),
    }
}

/// A fingerprint of the checkout request's body: a key reused for another purchase is refused
/// instead of answering the first one's order. (The body, not the priced lines: a retry of a
/// cart checkout finds the cart already emptied by the first attempt. A card's number and
/// code are left out: no stored value is derived from them.)
fn fingerprint(body: &Map<String, Value>) -> String {
    let text = Value::Object(payment::without_card_secrets(body)).to_string();
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// `201 Created` with the order, its `Location` and `ETag`.
fn created(order: &Stored<StoredOrder>) -> ApiResponse {
    ApiResponse::json(201, &Order::of(&order.id, order.version, &order.body))
        .with_header(header::LOCATION, format!("/api/orders/{}", order.id))
        .with_header(header::ETAG, etag(order.version))
}

/// `POST /api/checkout` with `{"shipping_address", "payment_method", "items"?, "language"?}`
/// (without `items`, the stored cart is bought and then emptied).
pub fn create(caller: &Caller, key: Option<String>, default_language: &str, body: Map<String, Value>) -> Result<ApiResponse, Problem> {
    let id = key.as_deref().map(|key| order_id_for(&caller.user_id, key));
    let request_fingerprint = key.as_ref().map(|_| fingerprint(&body));
    // A retry answers the first attempt's order before anything else is read.
    if let Some(id) = &id
        && let Some(existing) = ORDERS.get(id)?
    {
        return replay(existing, request_fingerprint.as_deref());
    }
    let asked = parse(caller, &body, default_language)?;
    let priced = cart::price(&asked.items)?;
    let (lines, subtotal) = lines_of(&priced)?;
    let now = time::now_rfc3339();
    let order = StoredOrder {
        customer: caller.user_id.clone(),
        email: caller.email.clone(),
        language: asked.language,
        lines,
        total: subtotal.clone(),
        payment: Payment::pending(asked.means.method.clone(), subtotal.clone()),
        subtotal,
        request_fingerprint,
        shipping_address: asked.address,
        status: OrderStatus::Reserving,
        stock: StockState::Taking,
        history: Vec::new(),
        payment_due: None,
        created_at: now.clone(),
        updated_at: now,
    };
    ensure_order_indexes()?;
    let placed = match ORDERS.insert(id.as_deref(), &order)? {
        Ok(placed) => placed,
        // A concurrent attempt with the same key inserted first.
        Err(error) if store::duplicate_index(&error).is_some() => {
            let existing = ORDERS.get(id.as_deref().unwrap_or_default())?.ok_or_else(Problem::internal)?;
            return replay(existing, order.request_fingerprint.as_deref());
        }
        Err(error) => return Err(store::to_problem(error)),
    };
    let placed = reserve(placed, &asked.means)?;
    if let Some(version) = asked.cart_version {
        // Emptied only if unchanged since checkout read it (a line added meanwhile stays);
        // a failure here leaves a cart the shopper can empty, never a second order.
        let _ = CARTS.replace(&caller.user_id, version, &Default::default());
    }
    match placed.body.status {
        // The stock is held for another attempt to pay; the shopper is told so.
        OrderStatus::PendingPayment => Err(payment::unpaid_problem(&placed.id, &placed.body.payment, placed.body.payment_due.as_deref())),
        _ => {
            mail::queue(&placed, mail::Kind::Confirmation, None);
            Ok(created(&placed))
        }
    }
}

/// Takes each line's units, then has the payment authorised, then records on the order the
/// payment and that its units are held: `paid` when authorised, `pending_payment` (until the
/// payment is due) when the provider declined or did not answer.
fn reserve(mut placed: Stored<StoredOrder>, means: &Means) -> Result<Stored<StoredOrder>, Problem> {
    let mut order_of_lines: Vec<usize> = (0..placed.body.lines.len()).collect();
    // One order of products for every checkout: two carts never each wait on the other's.
    order_of_lines.sort_by(|a, b| placed.body.lines[*a].product.cmp(&placed.body.lines[*b].product));
    let mut taken: Vec<&str> = Vec::new();
    let lines = placed.body.lines.clone();
    for i in order_of_lines {
        let line = &lines[i];
        let outcome = stock::take(&line.product, &placed.id, line.quantity);
        let refusal = match outcome {
            Ok(Take::Held) => {
                taken.push(&line.product);
                continue;
            }
            Ok(Take::Short { available }) => Problem::conflict(format!(
                "Only {available} of \"{}\" left in stock, fewer than the {} asked for. Nothing was ordered.",
                line.name.en.as_deref().unwrap_or(&line.slug),
                line.quantity
            ))
            .with_field(format!("items[{i}].quantity"), format!("only {available} of {} in stock", line.product)),
            Ok(Take::Gone) => Problem::conflict(format!(
                "\"{}\" is no longer on sale. Nothing was ordered.",
                line.name.en.as_deref().unwrap_or(&line.slug)
            ))
            .with_field(format!("items[{i}].product"), format!("{} is no longer on sale", line.product)),
            Err(problem) => problem,
        };
        return Err(abandon(&mut placed, &taken, refusal));
    }
    // The units are taken: now the money. The order is still `reserving`, so a crash during
    // the provider's call is settled like any unfinished checkout.
    let authorised = payment::authorise(&placed.id, &placed.body.total, means);
    if let Err(error) = &authorised
        && let Some(problem) = payment::invalid_problem(error)
    {
        return Err(abandon(&mut placed, &taken, problem));
    }
    settle(&mut placed, |order| {
        let now = time::now_rfc3339();
        order.stock = StockState::Held;
        let (status, note) = match &authorised {
            Ok(authorisation) => {
                payment::record_authorisation(&mut order.payment, authorisation.clone());
                (OrderStatus::Paid, None)
            }
            Err(error) => {
                let why = payment::failure_text(error);
                order.payment.failure = Some(why.clone());
                order.payment_due = Some(time::rfc3339_after_now(payment::window()));
                (OrderStatus::PendingPayment, Some(why))
            }
        };
        order.status = status;
        order.history.push(StatusChange { status, at: now.clone(), by: "system".into(), note });
        order.updated_at = now;
    })?;
    if !matches!(placed.body.status, OrderStatus::Paid | OrderStatus::PendingPayment) {
        return Err(Problem::unavailable("The checkout took too long and was abandoned; nothing was ordered. Try again."));
    }
    // The order now says its units are held: the products' entries can go (housekeeping
    // removes any left by a failure here).
    for product in taken {
        let _ = stock::clear_hold(product, &placed.id);
    }
    Ok(placed)
}

/// Gives back what this checkout took, then fails the order with `refusal`'s reason; returns
/// the refusal. A crash before the order says it leaves a `reserving` order that housekeeping
/// settles the same way.
fn abandon(placed: &mut Stored<StoredOrder>, taken: &[&str], refusal: Problem) -> Problem {
    for product in taken {
        if let Err(problem) = stock::give_back_hold(product, &placed.id) {
            return problem;
        }
    }
    let note = refusal.detail.clone().or_else(|| refusal.errors.first().map(|e| format!("{} {}", e.field, e.message)));
    let _ = settle(placed, |order| order.fail(time::now_rfc3339(), note.clone()));
    refusal
}

/// Applies `change` to the order still `reserving`, at its version; if housekeeping settled it
/// first (a checkout slower than its deadline), leaves it as housekeeping wrote it.
fn settle(placed: &mut Stored<StoredOrder>, change: impl Fn(&mut StoredOrder)) -> Result<(), Problem> {
    for _ in 0..8 {
        if placed.body.status != OrderStatus::Reserving {
            return Ok(());
        }
        let mut body = placed.body.clone();
        change(&mut body);
        match ORDERS.replace(&placed.id, placed.version, &body)? {
            Ok(Some(stored)) => {
                *placed = stored;
                return Ok(());
            }
            Ok(None) => return Err(Problem::internal()),
            Err(error) if store::is_conflict(&error) => {
                *placed = ORDERS.get(&placed.id)?.ok_or_else(Problem::internal)?;
            }
            Err(error) => return Err(store::to_problem(error)),
        }
    }
    Err(Problem::unavailable("The order is being changed by many requests at once. Try again shortly."))
}

/// A checkout retried with the same key: the first one's order, never a second.
fn replay(existing: Stored<StoredOrder>, fingerprint: Option<&str>) -> Result<ApiResponse, Problem> {
    if existing.body.request_fingerprint.as_deref() != fingerprint {
        return Err(Problem::new(422, "idempotency-key-reused", "Idempotency-Key reused")
            .with_detail("This Idempotency-Key was used for a different checkout. Use a new key for a new purchase.")
            .with_field("Idempotency-Key", "was used for a different checkout"));
    }
    match existing.body.status {
        OrderStatus::Reserving => {
            Err(Problem::conflict("A checkout with this Idempotency-Key is still in progress. Retry in a moment to see its order."))
        }
        OrderStatus::Failed => {
            let note = existing.body.history.last().and_then(|c| c.note.clone()).unwrap_or_default();
            Err(Problem::conflict(format!("This checkout failed: {note} Use a new Idempotency-Key to try again.")))
        }
        OrderStatus::PendingPayment => {
            Err(payment::unpaid_problem(&existing.id, &existing.body.payment, existing.body.payment_due.as_deref()))
        }
        _ => {
            // Queued once: this only makes up for a first attempt that ended before queuing it.
            if existing.body.status == OrderStatus::Paid {
                mail::queue(&existing, mail::Kind::Confirmation, None);
            }
            Ok(created(&existing).with_header(header::HeaderName::from_static("idempotent-replayed"), "true"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_names_one_order_per_customer() {
        assert_eq!(order_id_for("u1", "k"), order_id_for("u1", "k"));
        assert_ne!(order_id_for("u1", "k"), order_id_for("u2", "k"));
        assert_ne!(order_id_for("u1", "k"), order_id_for("u1", "k2"));
        assert_eq!(order_id_for("u1", "k").len(), 32);
    }
}
