//! Payment provider `payments-cash-on-delivery`: the shopper pays the courier.
//!
//! Nothing is charged at checkout: the payment is accepted at once (an authorisation that
//! asks to be captured on delivery), collected when an admin marks the order delivered, and
//! refunding or voiding it records the fact (the cash changes hands outside the shop).

wit_bindgen::generate!({
    path: "../../../wit",
    world: "payment-provider",
    generate_all,
});

use exports::shop::platform::payments::{Authorisation, CapturePoint, Charge, FieldError, Guest, PaymentError};

/// The method this provider serves.
pub const METHOD: &str = "cash_on_delivery";
/// What its references start with.
const PREFIX: &str = "cod_";

struct CashOnDelivery;

fn invalid(field: &str, message: &str) -> PaymentError {
    PaymentError::Invalid(FieldError { field: field.to_owned(), message: message.to_owned() })
}

/// Refuses a call for a method this provider does not serve (under Spin every method's
/// calls reach the one provider composed into orders).
fn served(method: &str) -> Result<(), PaymentError> {
    if method == METHOD { Ok(()) } else { Err(invalid("payment_method", "is not offered by this shop")) }
}

fn ours(reference: &str) -> Result<(), PaymentError> {
    if reference.starts_with(PREFIX) { Ok(()) } else { Err(invalid("reference", "is not a cash on delivery payment")) }
}

/// The acceptance of a charge, or why it cannot be accepted.
pub fn accept(method: &str, charge: &Charge, details: &[(String, String)]) -> Result<Authorisation, PaymentError> {
    served(method)?;
    if let Some((name, _)) = details.first() {
        return Err(invalid(name, "is not a detail of cash on delivery (it takes none)"));
    }
    if charge.amount <= 0 {
        return Err(invalid("amount", "must be more than zero"));
    }
    Ok(Authorisation {
        reference: format!("{PREFIX}{}", charge.order_id),
        summary: "Cash on delivery".to_owned(),
        capture_on: CapturePoint::Delivery,
    })
}

impl Guest for CashOnDelivery {
    fn authorise(method: String, charge: Charge, details: Vec<(String, String)>) -> Result<Authorisation, PaymentError> {
        accept(&method, &charge, &details)
    }

    fn capture(method: String, reference: String, _charge: Charge) -> Result<(), PaymentError> {
        served(&method)?;
        ours(&reference)
    }

    fn refund(method: String, reference: String, _charge: Charge) -> Result<(), PaymentError> {
        served(&method)?;
        ours(&reference)
    }

    fn void(method: String, reference: String) -> Result<(), PaymentError> {
        served(&method)?;
        ours(&reference)
    }
}

export!(CashOnDelivery);

#[cfg(test)]
mod tests {
    use super::*;

    fn charge(amount: i64) -> Charge {
        Charge { order_id: "o1".into(), amount, currency: "SAR".into() }
    }

    #[test]
    fn accepts_at_once_and_collects_on_delivery() {
        let accepted = accept(METHOD, &charge(3750), &[]).unwrap();
        assert_eq!(accepted.reference, "cod_o1");
        assert!(matches!(accepted.capture_on, CapturePoint::Delivery));
    }

    #[test]
    fn refuses_other_methods_details_and_empty_charges() {
        let field = |e: PaymentError| match e {
            PaymentError::Invalid(f) => f.field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(accept("test_card", &charge(1), &[]).unwrap_err()), "payment_method");
        assert_eq!(field(accept(METHOD, &charge(1), &[("number".into(), "4242".into())]).unwrap_err()), "number");
        assert_eq!(field(accept(METHOD, &charge(0), &[]).unwrap_err()), "amount");
        assert_eq!(field(ours("tc_o1").unwrap_err()), "reference");
    }
}
