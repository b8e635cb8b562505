//! Payments through the provider components (`payments-cash-on-delivery`,
//! `payments-test-card`): every path of a card payment, on the real host and store.

use crate::helpers::{Options, TestApp, assert_problem, spawn_app, spawn_app_with};
use crate::orders::{address, checkout, product, request, shopper, stock_of};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const GOOD_CARD: &str = "4242424242424242";

fn card(number: &str) -> Value {
    json!({"number": number, "expiry": "12/40", "cvc": "123"})
}

/// A checkout of `quantity` lamps paid with the test card `number`.
fn by_card(number: &str, quantity: i64) -> Value {
    json!({"items": [{"product": "lamp", "quantity": quantity}], "shipping_address": address(), "payment_method": "test_card", "card": card(number)})
}

async fn order(app: &TestApp, token: &str, id: &str) -> Value {
    request(app, token, Method::GET, &format!("/api/orders/{id}")).send().await.unwrap().json().await.unwrap()
}

/// The order a 402 names.
fn waiting_order(problem: &Value) -> String {
    let instance = problem["instance"].as_str().unwrap_or_else(|| panic!("no instance in {problem}"));
    instance.strip_prefix("/api/orders/").unwrap().to_owned()
}

/// The value of the metric line starting with `line_start` (0 when the host has none yet).
pub(crate) async fn metric(app: &TestApp, line_start: &str) -> f64 {
    let text = app.get("/metrics").await.text().await.unwrap();
    text.lines().find(|l| l.starts_with(line_start)).and_then(|l| l.rsplit(' ').next()?.parse().ok()).unwrap_or(0.0)
}

#[tokio::test]
async fn a_card_is_authorised_at_checkout_captured_on_shipping_and_refunded() {
    let app = spawn_app().await;
    let lamp = product(&app, "lamp", 4200, "SAR", 5).await;
    let layla = shopper(&app, "layla@example.com").await;

    let placed = checkout(&app, &layla, Some("card-1"), &by_card("4242 4242 4242 4242", 2)).await;
    assert_eq!(placed.status(), 201);
    let text = placed.text().await.unwrap();
    assert!(!text.contains(GOOD_CARD) && !text.contains("\"123\""), "the card's number and code are never shown: {text}");
    let placed: Value = serde_json::from_str(&text).unwrap();
    let id = placed["id"].as_str().unwrap().to_owned();
    assert_eq!(placed["status"], "paid");
    assert_eq!(
        placed["payment"],
        json!({
            "method": "test_card",
            "state": "authorised",
            "amount": {"amount": 8400, "currency": "SAR"},
            "reference": format!("tc_{id}_4242"),
            "summary": "Visa ending 4242",
            "capture_on": "shipment"
        })
    );
    assert_eq!(stock_of(&app, &lamp).await, 3);
    // The retry with the same key and card is the same order, not a second charge.
    let again = checkout(&app, &layla, Some("card-1"), &by_card("4242 4242 4242 4242", 2)).await;
    assert_eq!((again.status().as_u16(), again.headers()["idempotent-replayed"].to_str().unwrap()), (201, "true"));
    assert_eq!(stock_of(&app, &lamp).await, 3);

    // Collected when it ships, given back when refunded.
    let status_path = format!("/api/orders/{id}/status");
    let shipped: Value = app.admin_post_json(&status_path, &json!({"status": "shipped"})).await.json().await.unwrap();
    assert_eq!((shipped["status"].as_str(), shipped["payment"]["state"].as_str()), (Some("shipped"), Some("captured")));
    let refunded: Value = app.admin_post_json(&status_path, &json!({"status": "refunded"})).await.json().await.unwrap();
    assert_eq!(refunded["payment"]["state"], "refunded");
    assert_eq!(stock_of(&app, &lamp).await, 5);
    let authorised = "shop_payment_calls_total{provider=\"payments-test-card\",function=\"authorise\",outcome=\"ok\"}";
    assert_eq!(metric(&app, authorised).await, 1.0);
    let refunds = "shop_payment_calls_total{provider=\"payments-test-card\",function=\"refund\",outcome=\"ok\"}";
    assert_eq!(metric(&app, refunds).await, 1.0);
    app.stop().await;
}

#[tokio::test]
async fn a_declined_card_keeps_the_order_unpaid_until_it_is_paid_or_due() {
    let app = spawn_app_with(Options {
        env: vec![("SPIN_VARIABLE_PAYMENT_WINDOW_SECONDS", "3".into()), ("SHOP_HOUSEKEEPING_SECS", "1".into())],
        ..Default::default()
    })
    .await;
    let lamp = product(&app, "lamp", 4200, "SAR", 10).await;
    let layla = shopper(&app, "layla@example.com").await;

    // Declined: the order exists, unpaid, its units held for another attempt.
    let declined = assert_problem(checkout(&app, &layla, Some("d-1"), &by_card("4000000000000002", 2)).await, 402, None).await;
    assert_eq!(declined["type"], "/problems/payment-failed");
    assert!(declined["detail"].as_str().unwrap().contains("declined"), "{declined}");
    let first = waiting_order(&declined);
    let waiting = order(&app, &layla, &first).await;
    assert_eq!((waiting["status"].as_str(), waiting["payment"]["state"].as_str()), (Some("pending_payment"), Some("pending")));
    assert!(waiting["payment"]["failure"].as_str().unwrap().contains("declined"));
    assert!(waiting["payment_due"].is_string());
    assert_eq!(stock_of(&app, &lamp).await, 8);
    // The same request again answers the same order, charging nothing new.
    let replayed = assert_problem(checkout(&app, &layla, Some("d-1"), &by_card("4000000000000002", 2)).await, 402, None).await;
    assert_eq!(waiting_order(&replayed), first);

    // Insufficient funds says so.
    let poor = assert_problem(checkout(&app, &layla, None, &by_card("4000000000009995", 3)).await, 402, None).await;
    assert!(poor["detail"].as_str().unwrap().contains("cannot cover"), "{poor}");
    let second = waiting_order(&poor);
    assert_eq!(stock_of(&app, &lamp).await, 5);

    // Paid with another card: the order goes on. Paying it again is refused.
    let pay =
        |id: &str, number: &str| request(&app, &layla, Method::POST, &format!("/api/orders/{id}/pay")).json(&json!({"card": card(number)}));
    let paid = pay(&first, GOOD_CARD).send().await.unwrap();
    assert_eq!(paid.status(), 200);
    let paid: Value = paid.json().await.unwrap();
    assert_eq!((paid["status"].as_str(), paid["payment"]["state"].as_str()), (Some("paid"), Some("authorised")));
    assert!(paid["payment"].get("failure").is_none());
    assert_problem(pay(&first, GOOD_CARD).send().await.unwrap(), 409, Some("status")).await;
    // Another shopper cannot pay (or see) it.
    let omar = shopper(&app, "omar@example.com").await;
    let theirs = request(&app, &omar, Method::POST, &format!("/api/orders/{second}/pay")).json(&json!({"card": card(GOOD_CARD)}));
    assert_problem(theirs.send().await.unwrap(), 404, None).await;

    // Not paid in time: cancelled by housekeeping, its units back.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let second_order = order(&app, &layla, &second).await;
        if second_order["status"] == "cancelled" && stock_of(&app, &lamp).await == 8 {
            assert_eq!(second_order["payment"]["state"], "voided");
            break;
        }
        assert!(Instant::now() < deadline, "not cancelled: {second_order}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_problem(pay(&second, GOOD_CARD).send().await.unwrap(), 409, Some("status")).await;
    assert_eq!(order(&app, &layla, &first).await["status"], "paid", "the paid order is kept");
    app.stop().await;
}

#[tokio::test]
async fn unusable_payment_details_are_refused_and_nothing_is_held() {
    let app = spawn_app().await;
    let lamp = product(&app, "lamp", 4200, "SAR", 10).await;
    let layla = shopper(&app, "layla@example.com").await;
    let with_card = |card: Value| json!({"items": [{"product": "lamp", "quantity": 1}], "shipping_address": address(), "payment_method": "test_card", "card": card});
    let cases = [
        (with_card(json!({"number": "4242424242424241", "expiry": "12/40", "cvc": "123"})), "card.number"),
        (with_card(json!({"number": GOOD_CARD, "expiry": "01/20", "cvc": "123"})), "card.expiry"),
        (with_card(json!({"number": GOOD_CARD, "expiry": "12/40"})), "card.cvc"),
        (with_card(json!({"number": GOOD_CARD, "expiry": "12/40", "cvc": "123", "pin": "0000"})), "card.pin"),
        (with_card(json!("4242424242424242")), "card"),
        (with_card(Value::Null), "card.number"),
        (
            json!({"items": [{"product": "lamp", "quantity": 1}], "shipping_address": address(), "payment_method": "bitcoin"}),
            "payment_method",
        ),
        (
            json!({"items": [{"product": "lamp", "quantity": 1}], "shipping_address": address(), "payment_method": "Test Card"}),
            "payment_method",
        ),
        (
            json!({"items": [{"product": "lamp", "quantity": 1}], "shipping_address": address(), "payment_method": "cash_on_delivery", "card": {"number": GOOD_CARD}}),
            "card.number",
        ),
    ];
    for (body, field) in cases {
        let refused = assert_problem(checkout(&app, &layla, None, &body).await, 422, Some(field)).await;
        assert!(!refused.to_string().contains(GOOD_CARD), "{refused}");
    }
    assert_eq!(stock_of(&app, &lamp).await, 10, "nothing held");
    let mine: Value = request(&app, &layla, Method::GET, "/api/orders").send().await.unwrap().json().await.unwrap();
    assert_eq!(mine["total"], 0, "no order is shown for a refused checkout");
    app.stop().await;
}

#[tokio::test]
async fn a_slow_or_unreachable_gateway_leaves_the_order_waiting_and_a_refused_capture_changes_nothing() {
    let app = spawn_app_with(Options {
        env: vec![("SHOP_PAYMENT_TIMEOUT_MS", "500".into()), ("SPIN_VARIABLE_TEST_CARD_SLOW_MS", "4000".into())],
        ..Default::default()
    })
    .await;
    let lamp = product(&app, "lamp", 4200, "SAR", 10).await;
    let layla = shopper(&app, "layla@example.com").await;

    // Too slow: the host stops waiting; the outcome is unknown, so the order waits for its payment.
    let started = Instant::now();
    let slow = assert_problem(checkout(&app, &layla, None, &by_card("4000000000000077", 1)).await, 402, None).await;
    assert!(started.elapsed() < Duration::from_millis(3500), "the shopper waited {:?}", started.elapsed());
    assert!(slow["detail"].as_str().unwrap().contains("did not answer"), "{slow}");
    let timed_out = "shop_payment_calls_total{provider=\"payments-test-card\",function=\"authorise\",outcome=\"timed_out\"}";
    assert_eq!(metric(&app, timed_out).await, 1.0);
    // Unreachable: the same.
    let down = assert_problem(checkout(&app, &layla, None, &by_card("4000000000000119", 1)).await, 402, None).await;
    let waiting = order(&app, &layla, &waiting_order(&down)).await;
    assert_eq!(waiting["status"], "pending_payment");
    // And then paid by cash on delivery instead.
    let pay = request(&app, &layla, Method::POST, &format!("/api/orders/{}/pay", waiting_order(&down)))
        .json(&json!({"payment_method": "cash_on_delivery"}));
    let paid: Value = pay.send().await.unwrap().json().await.unwrap();
    assert_eq!((paid["status"].as_str(), paid["payment"]["method"].as_str()), (Some("paid"), Some("cash_on_delivery")));
    assert_eq!(stock_of(&app, &lamp).await, 8);

    // A capture the issuer refuses: shipping it fails and changes nothing; cancelling releases it.
    let placed: Value = checkout(&app, &layla, None, &by_card("4000000000000341", 1)).await.json().await.unwrap();
    let id = placed["id"].as_str().unwrap();
    assert_eq!(stock_of(&app, &lamp).await, 7);
    let status_path = format!("/api/orders/{id}/status");
    let refused = assert_problem(app.admin_post_json(&status_path, &json!({"status": "shipped"})).await, 502, None).await;
    assert!(refused["detail"].as_str().unwrap().contains("refused"), "{refused}");
    let unchanged = order(&app, &layla, id).await;
    assert_eq!((unchanged["status"].as_str(), unchanged["payment"]["state"].as_str()), (Some("paid"), Some("authorised")));
    let cancelled: Value = app.admin_post_json(&status_path, &json!({"status": "cancelled"})).await.json().await.unwrap();
    assert_eq!((cancelled["status"].as_str(), cancelled["payment"]["state"].as_str()), (Some("cancelled"), Some("voided")));
    assert_eq!(stock_of(&app, &lamp).await, 8, "the slow card's order still holds its unit");
    app.stop().await;
}
