//! Taking payment through `shop:platform/payments`: the host (or, under Spin, the provider
//! composed into this component) hands each call to the provider of the order's method.
//! This module turns the checkout's `payment_method` and `card` into a provider call, the
//! provider's answer into the order's payment, and its refusals into problems.

use crate::shop::platform::payments::{self as provider, CapturePoint as ProviderCapture, Charge, PaymentError};
use serde_json::{Map, Value};
use shop_domain::orders::{CapturePoint, Payment, PaymentMethod, PaymentState};
use shop_domain::{FieldErrors, Money, Problem};

/// How long an order whose payment failed keeps its stock for another attempt, unless the
/// variable `payment_window_seconds` says otherwise.
const PAYMENT_WINDOW_SECS: u64 = 900;

/// How long an unpaid order waits for its payment before housekeeping cancels it.
pub fn window() -> std::time::Duration {
    let seconds = crate::shop::platform::config::get("payment_window_seconds").and_then(|v| v.trim().parse().ok());
    std::time::Duration::from_secs(seconds.unwrap_or(PAYMENT_WINDOW_SECS))
}

/// The card fields a checkout (or a payment of an order) may carry.
const CARD_FIELDS: [&str; 3] = ["number", "expiry", "cvc"];

/// How the shopper pays: the method and its details.
pub struct Means {
    /// The payment method.
    pub method: PaymentMethod,
    /// The method's details (a card's `number`, `expiry`, `cvc`), passed to its provider as given.
    details: Vec<(String, String)>,
}

/// Reads `payment_method` and the optional `card` of a body. Whether the method is offered
/// and the card is good is the provider's to say.
pub fn read(body: &Map<String, Value>, errors: &mut FieldErrors) -> Option<Means> {
    let method = match body.get("payment_method") {
        Some(Value::String(word)) => {
            let method = PaymentMethod::parse(word);
            if method.is_none() {
                errors.push("payment_method", "must be a payment method's name, such as cash_on_delivery or test_card");
            }
            method
        }
        Some(_) => {
            errors.push("payment_method", "must be a payment method's name, such as cash_on_delivery or test_card");
            None
        }
        None => {
            errors.push("payment_method", "is required");
            None
        }
    };
    let mut details = Vec::new();
    match body.get("card") {
        None | Some(Value::Null) => {}
        Some(Value::Object(card)) => {
            for (name, value) in card {
                match value {
                    Value::String(text) if CARD_FIELDS.contains(&name.as_str()) && text.len() <= 64 => {
                        details.push((name.clone(), text.clone()))
                    }
                    _ if !CARD_FIELDS.contains(&name.as_str()) => {
                        errors.push(format!("card.{name}"), "is not a field of a card (number, expiry, cvc)")
                    }
                    _ => errors.push(format!("card.{name}"), "must be text of at most 64 characters"),
                }
            }
        }
        Some(_) => errors.push("card", "must be an object with number, expiry and cvc"),
    }
    method.map(|method| Means { method, details })
}

/// The body with the card's number and code left out, for the checkout's fingerprint (a
/// retry is recognised by the rest; card data is never hashed into a stored value).
pub fn without_card_secrets(body: &Map<String, Value>) -> Map<String, Value> {
    let mut kept = body.clone();
    if let Some(Value::Object(card)) = kept.get_mut("card") {
        card.remove("cvc");
        if let Some(Value::String(number)) = card.get_mut("number") {
            let digits: String = number.chars().filter(char::is_ascii_digit).collect();
            *number = digits[digits.len().saturating_sub(4)..].to_owned();
        }
    }
    kept
}

fn charge(order_id: &str, amount: &Money) -> Charge {
    Charge { order_id: order_id.to_owned(), amount: amount.amount, currency: amount.currency.clone() }
}

/// Asks the method's provider to authorise the order's amount.
pub fn authorise(order_id: &str, amount: &Money, means: &Means) -> Result<provider::Authorisation, PaymentError> {
    provider::authorise(means.method.as_str(), &charge(order_id, amount), &means.details)
}

/// Records an authorisation on the order's payment.
pub fn record_authorisation(payment: &mut Payment, authorisation: provider::Authorisation) {
    payment.state = PaymentState::Authorised;
    payment.reference = Some(authorisation.reference);
    payment.summary = Some(authorisation.summary);
    payment.capture_on = Some(match authorisation.capture_on {
        ProviderCapture::Shipment => CapturePoint::Shipment,
        ProviderCapture::Delivery => CapturePoint::Delivery,
    });
    payment.failure = None;
}

/// A detail the provider refused: 422 naming it (`payment_method`, or `card.<detail>`).
/// Other refusals are `None`: the order waits for its payment.
pub fn invalid_problem(error: &PaymentError) -> Option<Problem> {
    let PaymentError::Invalid(detail) = error else { return None };
    let field = if detail.field == "payment_method" { detail.field.clone() } else { format!("card.{}", detail.field) };
    let mut errors = FieldErrors::new();
    errors.push(field, detail.message.clone());
    Some(Problem::validation(errors))
}

/// Why an attempt to pay failed, in words for the shopper (kept on the order).
pub fn failure_text(error: &PaymentError) -> String {
    match error {
        PaymentError::Declined(why) | PaymentError::InsufficientFunds(why) => why.clone(),
        PaymentError::Unavailable(_) => "The payment could not be completed: the payment provider did not answer.".to_owned(),
        PaymentError::Invalid(detail) => format!("{} {}", detail.field, detail.message),
    }
}

/// `402 Payment Required` for an order that waits for its payment: which order, why the
/// attempt failed, and until when it can still be paid.
pub fn unpaid_problem(order_id: &str, payment: &Payment, due: Option<&str>) -> Problem {
    let why = payment.failure.clone().unwrap_or_else(|| "The order has not been paid.".to_owned());
    let until = due.map(|d| format!(" It is kept for you until {d}: pay it at POST /api/orders/{order_id}/pay.")).unwrap_or_default();
    Problem::new(402, "payment-failed", "Payment failed")
        .with_detail(format!("{why}{until}"))
        .with_instance(format!("/api/orders/{order_id}"))
}

/// What happens to the payment when an order moves on, as a provider call.
pub enum Settlement {
    /// Collect it.
    Capture,
    /// Give back what was collected.
    Refund,
    /// Release the authorisation.
    Void,
}

/// Makes the provider call `settlement` for the order's payment. A refusal or an unreachable
/// provider is a 502/503 problem: the order is left as it was.
pub fn settle(order_id: &str, payment: &Payment, settlement: Settlement) -> Result<(), Problem> {
    let Some(reference) = payment.reference.as_deref() else { return Ok(()) };
    let method = payment.method.as_str();
    let charge = charge(order_id, &payment.amount);
    let result = match settlement {
        Settlement::Capture => provider::capture(method, reference, &charge),
        Settlement::Refund => provider::refund(method, reference, &charge),
        Settlement::Void => provider::void(method, reference),
    };
    result.map_err(|error| match error {
        PaymentError::Unavailable(why) => {
            Problem::unavailable(format!("The payment provider did not answer ({why}); nothing was changed. Try again shortly."))
        }
        other => Problem::new(502, "payment-provider-refused", "The payment provider refused")
            .with_detail(format!("The payment provider refused: {}. Nothing was changed.", failure_text(&other))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_card_is_read_as_given_and_its_secrets_left_out_of_the_fingerprint() {
        let body = json!({"payment_method": "test_card", "card": {"number": "4242 4242 4242 4242", "expiry": "12/30", "cvc": "123"}});
        let body = body.as_object().unwrap();
        let mut errors = FieldErrors::new();
        let means = read(body, &mut errors).unwrap();
        assert!(errors.is_empty());
        assert_eq!(means.method.as_str(), "test_card");
        assert_eq!(means.details.len(), 3);
        let kept = Value::Object(without_card_secrets(body));
        assert_eq!(kept, json!({"payment_method": "test_card", "card": {"number": "4242", "expiry": "12/30"}}));
    }

    #[test]
    fn bad_methods_and_card_fields_are_named() {
        let mut errors = FieldErrors::new();
        let body = json!({"payment_method": "Test Card", "card": {"pin": "1", "number": 4242}});
        assert!(read(body.as_object().unwrap(), &mut errors).is_none());
        let fields: Vec<String> = errors.into_vec().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["payment_method", "card.number", "card.pin"]);
    }
}
