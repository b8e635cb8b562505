//! Payment provider `payments-test-card`: a card gateway's test mode, so every path of a real
//! card payment can be exercised without one.
//!
//! It checks a card as a gateway would (the number's digits and check digit, an expiry
//! month not past, a 3 or 4 digit security code) and answers by the card number:
//!
//! | number | answer |
//! | --- | --- |
//! | `4000 0000 0000 0002` | declined |
//! | `4000 0000 0000 9995` | insufficient funds |
//! | `4000 0000 0000 0119` | the gateway unavailable |
//! | `4000 0000 0000 0077` | approved after `test_card_slow_ms` (default 15 000 ms): a slow gateway |
//! | `4000 0000 0000 0341` (any number ending 0341) | approved, but its capture is declined |
//! | any other valid number, e.g. `4242 4242 4242 4242` | approved |
//!
//! A card's number and code are never returned or kept: the reference and the summary hold
//! its last four digits only. Captures, refunds and voids of its references succeed (but
//! the one above), and are safe to repeat.

wit_bindgen::generate!({
    path: "../../../wit",
    world: "payment-provider",
    generate_all,
});

use exports::shop::platform::payments::{Authorisation, CapturePoint, Charge, FieldError, Guest, PaymentError};

/// The method this provider serves.
pub const METHOD: &str = "test_card";
/// What its references start with.
const PREFIX: &str = "tc_";
/// How long the slow card takes when `test_card_slow_ms` is not set.
const SLOW_MS: u64 = 15_000;

/// The card numbers with a scripted answer.
const DECLINED: &str = "4000000000000002";
const INSUFFICIENT_FUNDS: &str = "4000000000009995";
const UNAVAILABLE: &str = "4000000000000119";
const SLOW: &str = "4000000000000077";
const CAPTURE_DECLINED: &str = "4000000000000341";

fn invalid(field: &str, message: &str) -> PaymentError {
    PaymentError::Invalid(FieldError { field: field.to_owned(), message: message.to_owned() })
}

fn served(method: &str) -> Result<(), PaymentError> {
    if method == METHOD { Ok(()) } else { Err(invalid("payment_method", "is not offered by this shop")) }
}

/// A card as the shopper gave it, checked.
#[derive(Debug, PartialEq)]
pub struct Card {
    /// The digits of its number.
    pub number: String,
}

impl Card {
    fn last4(&self) -> &str {
        &self.number[self.number.len() - 4..]
    }

    fn brand(&self) -> &'static str {
        match self.number.as_bytes() {
            [b'4', ..] => "Visa",
            [b'5', b'1'..=b'5', ..] | [b'2', ..] => "Mastercard",
            [b'3', b'4' | b'7', ..] => "American Express",
            _ => "Card",
        }
    }
}

/// Whether the digits pass the Luhn check every card number carries.
fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 { if d * 2 > 9 { d * 2 - 9 } else { d * 2 } } else { d }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Reads and checks the card's details (`number`, `expiry` as `MM/YY`, `cvc`) against the
/// month `today` (year, month): each bad detail is an `invalid` naming it.
pub fn read_card(details: &[(String, String)], today: (u32, u32)) -> Result<Card, PaymentError> {
    let get = |name: &str| details.iter().find(|(n, _)| n == name).map(|(_, v)| v.trim());
    if let Some((name, _)) = details.iter().find(|(n, _)| !["number", "expiry", "cvc"].contains(&n.as_str())) {
        return Err(invalid(name, "is not a detail of a card (number, expiry, cvc)"));
    }
    let number: String =
        get("number").ok_or_else(|| invalid("number", "is required"))?.chars().filter(|c| *c != ' ' && *c != '-').collect();
    if !(12..=19).contains(&number.len()) || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("number", "must be 12 to 19 digits"));
    }
    if !luhn(&number) {
        return Err(invalid("number", "is not a valid card number (its check digit is wrong)"));
    }
    let expiry = get("expiry").ok_or_else(|| invalid("expiry", "is required"))?;
    let (month, year) = expiry
        .split_once('/')
        .and_then(|(m, y)| Some((m.trim().parse::<u32>().ok()?, y.trim().parse::<u32>().ok()?)))
        .filter(|(m, y)| (1..=12).contains(m) && *y < 100)
        .ok_or_else(|| invalid("expiry", "must be the month and year as MM/YY"))?;
    if (2000 + year, month) < today {
        return Err(invalid("expiry", "has passed"));
    }
    let cvc = get("cvc").ok_or_else(|| invalid("cvc", "is required"))?;
    if !(3..=4).contains(&cvc.len()) || !cvc.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("cvc", "must be the 3 or 4 digits on the card"));
    }
    Ok(Card { number })
}

/// What the gateway answers for an authorisation of `charge` with `card` (the slow card's
/// wait is left to the caller).
pub fn answer(card: &Card, charge: &Charge) -> Result<Authorisation, PaymentError> {
    if charge.amount <= 0 {
        return Err(invalid("amount", "must be more than zero"));
    }
    match card.number.as_str() {
        DECLINED => Err(PaymentError::Declined("The card was declined by its issuer. Try another card.".into())),
        INSUFFICIENT_FUNDS => Err(PaymentError::InsufficientFunds("The card's account cannot cover this amount. Try another card.".into())),
        UNAVAILABLE => Err(PaymentError::Unavailable("The card network did not answer.".into())),
        _ => Ok(Authorisation {
            reference: format!("{PREFIX}{}_{}", charge.order_id, card.last4()),
            summary: format!("{} ending {}", card.brand(), card.last4()),
            capture_on: CapturePoint::Shipment,
        }),
    }
}

/// This month as (year, month), from the clock.
fn this_month() -> (u32, u32) {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs();
    let date = shop_domain::time::rfc3339_utc(now);
    let year = date[..4].parse().unwrap_or(1970);
    let month = date[5..7].parse().unwrap_or(1);
    (year, month)
}

fn ours(reference: &str) -> Result<(), PaymentError> {
    if reference.starts_with(PREFIX) { Ok(()) } else { Err(invalid("reference", "is not a test card payment")) }
}

struct TestCard;

impl Guest for TestCard {
    fn authorise(method: String, charge: Charge, details: Vec<(String, String)>) -> Result<Authorisation, PaymentError> {
        served(&method)?;
        let card = read_card(&details, this_month())?;
        if card.number == SLOW {
            let wait = config::get("test_card_slow_ms").and_then(|v| v.trim().parse().ok()).unwrap_or(SLOW_MS);
            std::thread::sleep(std::time::Duration::from_millis(wait));
        }
        answer(&card, &charge)
    }

    fn capture(method: String, reference: String, _charge: Charge) -> Result<(), PaymentError> {
        served(&method)?;
        ours(&reference)?;
        if reference.ends_with(&CAPTURE_DECLINED[12..]) {
            return Err(PaymentError::Declined("The card issuer refused to collect this payment.".into()));
        }
        Ok(())
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

use shop::platform::config;

export!(TestCard);

#[cfg(test)]
mod tests {
    use super::*;

    fn card(number: &str, expiry: &str, cvc: &str) -> Vec<(String, String)> {
        vec![("number".into(), number.into()), ("expiry".into(), expiry.into()), ("cvc".into(), cvc.into())]
    }

    fn bad_field(result: Result<Card, PaymentError>) -> String {
        match result {
            Err(PaymentError::Invalid(f)) => f.field,
            other => panic!("{other:?}"),
        }
    }

    const TODAY: (u32, u32) = (2026, 12);

    #[test]
    fn a_card_is_checked_as_a_gateway_would() {
        assert_eq!(read_card(&card("4242 4242 4242 4242", "12/26", "123"), TODAY).unwrap().number, "4242424242424242");
        assert_eq!(bad_field(read_card(&card("4242424242424241", "12/26", "123"), TODAY)), "number");
        assert_eq!(bad_field(read_card(&card("4242abc", "12/26", "123"), TODAY)), "number");
        assert_eq!(bad_field(read_card(&card("4242424242424242", "11/26", "123"), TODAY)), "expiry");
        assert_eq!(bad_field(read_card(&card("4242424242424242", "13/30", "123"), TODAY)), "expiry");
        assert_eq!(bad_field(read_card(&card("4242424242424242", "1230", "123"), TODAY)), "expiry");
        assert_eq!(bad_field(read_card(&card("4242424242424242", "01/27", "12"), TODAY)), "cvc");
        assert_eq!(bad_field(read_card(&[("pin".into(), "1".into())], TODAY)), "pin");
        assert_eq!(bad_field(read_card(&[], TODAY)), "number");
    }

    #[test]
    fn the_scripted_numbers_answer_as_documented() {
        let charge = Charge { order_id: "o1".into(), amount: 100, currency: "SAR".into() };
        let answer_for = |number: &str| answer(&Card { number: number.into() }, &charge);
        let approved = answer_for("4242424242424242").unwrap();
        assert_eq!((approved.reference.as_str(), approved.summary.as_str()), ("tc_o1_4242", "Visa ending 4242"));
        assert!(matches!(approved.capture_on, CapturePoint::Shipment));
        assert!(matches!(answer_for(DECLINED), Err(PaymentError::Declined(_))));
        assert!(matches!(answer_for(INSUFFICIENT_FUNDS), Err(PaymentError::InsufficientFunds(_))));
        assert!(matches!(answer_for(UNAVAILABLE), Err(PaymentError::Unavailable(_))));
        assert_eq!(answer_for("5555555555554444").unwrap().summary, "Mastercard ending 4444");
        for number in [DECLINED, INSUFFICIENT_FUNDS, UNAVAILABLE, SLOW, CAPTURE_DECLINED, "5555555555554444"] {
            assert!(luhn(number), "{number}");
        }
    }
}
