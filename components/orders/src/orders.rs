//! `GET /api/orders`, `GET /api/orders/{order}`, `POST /api/orders/{order}/cancel` and
//! `POST /api/orders/{order}/status`: a shopper's own orders, and the admins' view and
//! actions on all of them.

use crate::access::Caller;
use crate::mail;
use crate::payment::{self, Settlement};
use crate::stock;
use crate::stored::{ORDERS, ensure_order_indexes};
use api_kit::documents::{Op, Query};
use api_kit::query::{Page, QueryParams};
use api_kit::store::{self, Stored};
use api_kit::{ApiResponse, etag};
use http::header;
use serde_json::{Map, Value, json};
use shop_domain::orders::{CapturePoint, Order, OrderStatus, PaymentState, StatusChange, StockState, StoredOrder};
use shop_domain::{FieldErrors, Problem, time};
use wstd::http::{Body, Request};

/// The 404 of an order that does not exist or is not the caller's (the same answer: an
/// order's existence is not told to someone who may not see it).
fn not_found(id: &str) -> Problem {
    Problem::not_found(format!("There is no order {id}."))
}

/// The order `id` if the caller may see it.
fn visible(caller: &Caller, id: &str) -> Result<Stored<StoredOrder>, Problem> {
    match ORDERS.get(id)? {
        Some(order) if caller.may_see(&order.body.customer) && (caller.admin || order.body.status.shown_to_shopper()) => Ok(order),
        _ => Err(not_found(id)),
    }
}

fn shown(order: &Stored<StoredOrder>, status: u16) -> ApiResponse {
    ApiResponse::json(status, &Order::of(&order.id, order.version, &order.body)).with_header(header::ETAG, etag(order.version))
}

/// `GET /api/orders/{order}`: the caller's own order, or any order for an admin.
pub fn read(caller: &Caller, id: &str) -> Result<ApiResponse, Problem> {
    Ok(shown(&visible(caller, id)?, 200))
}

/// A date parameter (`YYYY-MM-DD`), as the first and last instants of that day (UTC).
fn day(value: &str) -> Result<(String, String), String> {
    let b = value.as_bytes();
    let shaped = b.len() == 10 && b[4] == b'-' && b[7] == b'-' && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    let month: u32 = value.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(0);
    let day: u32 = value.get(8..10).and_then(|d| d.parse().ok()).unwrap_or(0);
    if !shaped || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return Err("must be a date such as 2026-12-31".into());
    }
    Ok((format!("{value}T00:00:00.000000Z"), format!("{value}T23:59:59.999999Z")))
}

/// `GET /api/orders?scope&status&from&to&email&page&per_page`: newest first. `scope=mine`
/// (the default) lists the caller's own orders; `scope=all` every order, for admins, who may
/// also filter by the customer's `email`.
pub fn list(request: &Request<Body>, caller: &Caller) -> Result<ApiResponse, Problem> {
    let mut params = QueryParams::parse(request.uri().query());
    let all = params.one_of("scope", &["mine", "all"]) == Some("all");
    let status = params.parsed("status", |v| {
        OrderStatus::parse(v).ok_or_else(|| {
            let names: Vec<&str> = OrderStatus::ALL.iter().map(|s| s.as_str()).collect();
            format!("must be one of: {}", names.join(", "))
        })
    });
    let from = params.parsed("from", day).map(|(first, _)| first);
    let to = params.parsed("to", day).map(|(_, last)| last);
    let email = params.text("email").map(|e| e.trim().to_lowercase());
    if email.is_some() && !all {
        params.reject("email", "filters all orders: use it with scope=all");
    }
    let paging = params.paging(20, 100);
    let kept = params.finish()?;
    if all {
        caller.require_admin()?;
    }
    let mut filter = Vec::new();
    if !all {
        filter.push(store::clause("customer", Op::Eq, json!(caller.user_id)));
    }
    if let Some(status) = status {
        filter.push(store::clause("status", Op::Eq, json!(status.as_str())));
    }
    if !all {
        // A shopper's checkouts in progress and failed ones are not orders to them.
        let shown: Vec<&str> = OrderStatus::ALL.iter().filter(|s| s.shown_to_shopper()).map(|s| s.as_str()).collect();
        filter.push(store::clause("status", Op::InList, json!(shown)));
    }
    if let Some(from) = from {
        filter.push(store::clause("created_at", Op::Gte, json!(from)));
    }
    if let Some(to) = to {
        filter.push(store::clause("created_at", Op::Lte, json!(to)));
    }
    if let Some(email) = email {
        filter.push(store::clause("email", Op::Eq, json!(email)));
    }
    ensure_order_indexes()?;
    let query = Query { filter, text: None, sort: vec![store::key("created_at", true)], skip: paging.skip(), limit: paging.limit() };
    let (orders, total) = ORDERS.find(&query)?;
    let items: Vec<Order> = orders.iter().map(|o| Order::of(&o.id, o.version, &o.body)).collect();
    Ok(ApiResponse::json(200, &Page::new(items, total, paging, "/api/orders", &kept)))
}

/// Reads `{"note"?: "…"}` (and, for a status change, `"status"`).
fn note_of(body: &mut Map<String, Value>, errors: &mut FieldErrors) -> Option<String> {
    match body.remove("note") {
        None | Some(Value::Null) => None,
        Some(Value::String(note)) if note.trim().chars().count() <= 500 && !note.chars().any(|c| c.is_control() && c != '\n') => {
            Some(note.trim().to_owned()).filter(|n| !n.is_empty())
        }
        Some(_) => {
            errors.push("note", "must be text of at most 500 characters");
            None
        }
    }
}

/// `POST /api/orders/{order}/cancel` with `{"note"?}`: the shopper (or an admin) cancels an
/// order not yet shipped; its units go back to stock.
pub fn cancel(caller: &Caller, id: &str, expected: Option<u64>, mut body: Map<String, Value>) -> Result<ApiResponse, Problem> {
    let mut errors = FieldErrors::new();
    let note = note_of(&mut body, &mut errors);
    for unknown in body.keys() {
        errors.push(unknown.clone(), "is not a field of a cancellation (note)");
    }
    if !errors.is_empty() {
        return Err(Problem::validation(errors));
    }
    let order = visible(caller, id)?;
    change_status(caller, order, expected, OrderStatus::Cancelled, note)
}

/// `POST /api/orders/{order}/status` with `{"status", "note"?}` (admins): moves an order one
/// step of its lifecycle (409 for a step it cannot take from where it is).
pub fn transition(caller: &Caller, id: &str, expected: Option<u64>, mut body: Map<String, Value>) -> Result<ApiResponse, Problem> {
    let mut errors = FieldErrors::new();
    let status = match body.remove("status") {
        Some(Value::String(word)) => match OrderStatus::parse(&word) {
            Some(status) => Some(status),
            None => {
                errors.push("status", "must be one of: paid, shipped, delivered, cancelled, refunded");
                None
            }
        },
        Some(_) => {
            errors.push("status", "must be one of: paid, shipped, delivered, cancelled, refunded");
            None
        }
        None => {
            errors.push("status", "is required");
            None
        }
    };
    let note = note_of(&mut body, &mut errors);
    for unknown in body.keys() {
        errors.push(unknown.clone(), "is not a field of a status change (status, note)");
    }
    let Some(status) = status.filter(|_| errors.is_empty()) else { return Err(Problem::validation(errors)) };
    let order = visible(caller, id)?;
    change_status(caller, order, expected, status, note)
}

/// Moves `order` to `next` at its version (or at `expected`), then, for a cancellation or a
/// refund, gives its units back to stock.
fn change_status(
    caller: &Caller,
    mut order: Stored<StoredOrder>,
    expected: Option<u64>,
    next: OrderStatus,
    note: Option<String>,
) -> Result<ApiResponse, Problem> {
    for _ in 0..8 {
        if let Some(expected) = expected.filter(|v| *v != order.version) {
            return Err(Problem::conflict(format!(
                "This order was changed since version {expected} (now {}). Fetch it again and retry.",
                order.version
            )));
        }
        let current = order.body.status;
        if !current.may_become(next) {
            return Err(Problem::conflict(format!("An order that is {} cannot become {}.", current.as_str(), next.as_str()))
                .with_field("status", format!("cannot follow {}", current.as_str())));
        }
        let mut body = order.body.clone();
        let now = time::now_rfc3339();
        body.status = next;
        let (state, settlement) = payment_after(&body, next);
        // The provider first: if it refuses, the order stays as it was. (Its calls are safe
        // to repeat, so a retry after a lost write does no harm.)
        if let Some(settlement) = settlement {
            payment::settle(&order.id, &body.payment, settlement)?;
        }
        body.payment.state = state;
        body.history.push(StatusChange { status: next, at: now.clone(), by: caller.user_id.clone(), note: note.clone() });
        body.updated_at = now;
        match ORDERS.replace(&order.id, order.version, &body)? {
            Ok(Some(stored)) => {
                if next == OrderStatus::Shipped {
                    mail::queue(&stored, mail::Kind::Shipped, note.as_deref());
                }
                let stored = if next.returns_stock() { return_stock(stored)? } else { stored };
                return Ok(shown(&stored, 200));
            }
            Ok(None) => return Err(not_found(&order.id)),
            Err(error) if expected.is_none() && store::is_conflict(&error) => {
                order = ORDERS.get(&order.id)?.ok_or_else(|| not_found(&order.id))?;
            }
            Err(error) => return Err(store::to_problem(error)),
        }
    }
    Err(Problem::unavailable("The order is being changed by many requests at once. Try again shortly."))
}

/// The payment's state once the order becomes `next`, and the provider call that makes it so:
/// an authorised payment is captured when the order reaches the point its provider asked for
/// (a card on shipment, cash on delivery); a cancellation or refund gives back what was
/// collected and releases what was only authorised; an unpaid order an admin marks paid was
/// paid outside the shop.
fn payment_after(order: &StoredOrder, next: OrderStatus) -> (PaymentState, Option<Settlement>) {
    let payment = &order.payment;
    let authorised = payment.state == PaymentState::Authorised;
    match next {
        OrderStatus::Paid => (PaymentState::Captured, None),
        OrderStatus::Shipped if authorised && payment.capture_on == Some(CapturePoint::Shipment) => {
            (PaymentState::Captured, Some(Settlement::Capture))
        }
        OrderStatus::Delivered if authorised => (PaymentState::Captured, Some(Settlement::Capture)),
        OrderStatus::Cancelled | OrderStatus::Refunded => match payment.state {
            PaymentState::Captured => (PaymentState::Refunded, Some(Settlement::Refund)),
            PaymentState::Authorised => (PaymentState::Voided, Some(Settlement::Void)),
            _ => (PaymentState::Voided, None),
        },
        _ => (payment.state, None),
    }
}

/// `POST /api/orders/{order}/pay` with `{"payment_method"?, "card"?}`: the shopper pays an
/// order that waits for its payment (its first attempt was declined or not answered), by
/// the same method unless another is named. 200 with the paid order; 402 when this attempt
/// fails too (the order keeps waiting until its payment is due); 409 when the order does not
/// wait for a payment.
pub fn pay(caller: &Caller, id: &str, mut body: Map<String, Value>) -> Result<ApiResponse, Problem> {
    let mut order = visible(caller, id)?;
    let mut errors = FieldErrors::new();
    for unknown in body.keys().filter(|k| !["payment_method", "card"].contains(&k.as_str())) {
        errors.push(unknown.clone(), "is not a field of a payment (payment_method, card)");
    }
    if !body.contains_key("payment_method") {
        body.insert("payment_method".into(), Value::String(order.body.payment.method.as_str().to_owned()));
    }
    let means = payment::read(&body, &mut errors);
    let Some(means) = means.filter(|_| errors.is_empty()) else { return Err(Problem::validation(errors)) };
    waits_for_payment(&order.body)?;
    let authorised = payment::authorise(&order.id, &order.body.total, &means);
    if let Err(error) = &authorised
        && let Some(problem) = payment::invalid_problem(error)
    {
        return Err(problem);
    }
    for _ in 0..8 {
        let mut next = order.body.clone();
        let now = time::now_rfc3339();
        next.payment.method = means.method.clone();
        match &authorised {
            Ok(authorisation) => {
                payment::record_authorisation(&mut next.payment, authorisation.clone());
                next.status = OrderStatus::Paid;
                next.payment_due = None;
                next.history.push(StatusChange { status: OrderStatus::Paid, at: now.clone(), by: caller.user_id.clone(), note: None });
            }
            Err(error) => next.payment.failure = Some(payment::failure_text(error)),
        }
        next.updated_at = now;
        match ORDERS.replace(&order.id, order.version, &next)? {
            Ok(Some(stored)) if stored.body.status == OrderStatus::Paid => {
                mail::queue(&stored, mail::Kind::Confirmation, None);
                return Ok(shown(&stored, 200));
            }
            Ok(Some(stored)) => {
                return Err(payment::unpaid_problem(&stored.id, &stored.body.payment, stored.body.payment_due.as_deref()));
            }
            Ok(None) => return Err(not_found(id)),
            Err(error) if store::is_conflict(&error) => {
                order = ORDERS.get(&order.id)?.ok_or_else(|| not_found(id))?;
                if let Err(problem) = waits_for_payment(&order.body) {
                    // Paid or cancelled meanwhile: this attempt's authorisation is released.
                    if let Ok(authorisation) = &authorised {
                        let mut released = order.body.payment.clone();
                        released.method = means.method.clone();
                        released.reference = Some(authorisation.reference.clone());
                        let _ = payment::settle(&order.id, &released, Settlement::Void);
                    }
                    return Err(problem);
                }
            }
            Err(error) => return Err(store::to_problem(error)),
        }
    }
    Err(Problem::unavailable("The order is being changed by many requests at once. Try again shortly."))
}

/// 409 unless the order waits for its payment and its payment is not yet due.
fn waits_for_payment(order: &StoredOrder) -> Result<(), Problem> {
    if order.status != OrderStatus::PendingPayment {
        return Err(Problem::conflict(format!("This order is {}: it does not wait for a payment.", order.status.as_str()))
            .with_field("status", format!("is {}", order.status.as_str())));
    }
    if order.payment_due.as_deref().is_some_and(|due| due < time::now_rfc3339().as_str()) {
        return Err(Problem::conflict("The time to pay this order has passed; it is being cancelled and its items released."));
    }
    Ok(())
}

/// Gives a cancelled or refunded order's units back to stock, once: each product records the
/// return, then the order says its stock is returned, then the products' entries go. A crash
/// anywhere here is finished by housekeeping.
pub fn return_stock(mut order: Stored<StoredOrder>) -> Result<Stored<StoredOrder>, Problem> {
    if order.body.stock != StockState::Held {
        return Ok(order);
    }
    for line in &order.body.lines {
        stock::give_back(&line.product, &order.id, line.quantity)?;
    }
    for _ in 0..8 {
        let mut body = order.body.clone();
        body.stock = StockState::Returned;
        match ORDERS.replace(&order.id, order.version, &body)? {
            Ok(Some(stored)) => {
                order = stored;
                break;
            }
            Ok(None) => return Err(Problem::internal()),
            Err(error) if store::is_conflict(&error) => order = ORDERS.get(&order.id)?.ok_or_else(Problem::internal)?,
            Err(error) => return Err(store::to_problem(error)),
        }
    }
    // The products' entries keep the return from happening twice until the order records it.
    if order.body.stock == StockState::Returned {
        for line in &order.body.lines {
            let _ = stock::clear_return(&line.product, &order.id);
        }
    }
    Ok(order)
}
