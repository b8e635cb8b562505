//! Money: whole minor units (halalas, cents, fils) of an ISO 4217 currency. No floats.

use crate::FieldErrors;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The currencies the shop accepts, with their minor-unit exponent (ISO 4217).
pub const CURRENCIES: &[(&str, u32)] = &[
    ("AED", 2),
    ("BHD", 3),
    ("CAD", 2),
    ("CHF", 2),
    ("CNY", 2),
    ("DZD", 2),
    ("EGP", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("INR", 2),
    ("IQD", 3),
    ("JOD", 3),
    ("JPY", 0),
    ("KWD", 3),
    ("LBP", 2),
    ("LYD", 3),
    ("MAD", 2),
    ("OMR", 3),
    ("PKR", 2),
    ("QAR", 2),
    ("SAR", 2),
    ("SDG", 2),
    ("TND", 3),
    ("TRY", 2),
    ("USD", 2),
    ("YER", 2),
];

/// The largest amount accepted, in minor units (10¹² minor units: ten billion in most currencies).
pub const MAX_AMOUNT: i64 = 1_000_000_000_000;

/// An amount of money.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    /// Whole minor units, never negative.
    pub amount: i64,
    /// The ISO 4217 code, upper case.
    pub currency: String,
}

impl Money {
    /// The number of minor-unit digits of this currency.
    pub fn exponent(&self) -> u32 {
        exponent(&self.currency).unwrap_or(2)
    }

    /// The amount in major units as text with the currency's decimals (`1234` SAR → `12.34`).
    pub fn decimal(&self) -> String {
        let exponent = self.exponent();
        if exponent == 0 {
            return self.amount.to_string();
        }
        let scale = 10_i64.pow(exponent);
        format!("{}.{:0width$}", self.amount / scale, self.amount % scale, width = exponent as usize)
    }

    /// Reads `{"amount": <minor units>, "currency": "SAR"}` at `field`, recording each problem.
    pub fn parse(value: Option<&Value>, field: &str, errors: &mut FieldErrors) -> Option<Self> {
        let Some(object) = value.and_then(Value::as_object) else {
            match value {
                None | Some(Value::Null) => errors.push(field, "is required"),
                Some(_) => errors.push(field, "must be an object with `amount` (whole minor units) and `currency`"),
            }
            return None;
        };
        for key in object.keys().filter(|k| !matches!(k.as_str(), "amount" | "currency")) {
            errors.push(format!("{field}.{key}"), "is not a field of a price (amount, currency)");
        }
        let amount = match object.get("amount") {
            Some(Value::Number(n)) => match n.as_i64() {
                Some(a) if (0..=MAX_AMOUNT).contains(&a) => Some(a),
                Some(_) => {
                    errors.push(format!("{field}.amount"), format!("must be from 0 to {MAX_AMOUNT} minor units"));
                    None
                }
                None => {
                    errors.push(format!("{field}.amount"), "must be a whole number of minor units (e.g. 1999 for 19.99), not a fraction");
                    None
                }
            },
            None | Some(Value::Null) => {
                errors.push(format!("{field}.amount"), "is required");
                None
            }
            Some(_) => {
                errors.push(format!("{field}.amount"), "must be a whole number of minor units (e.g. 1999 for 19.99)");
                None
            }
        };
        let currency = match object.get("currency") {
            Some(Value::String(code)) if exponent(code).is_some() => Some(code.clone()),
            Some(Value::String(_)) => {
                errors.push(format!("{field}.currency"), "must be a supported ISO 4217 code in capitals, such as SAR or USD");
                None
            }
            None | Some(Value::Null) => {
                errors.push(format!("{field}.currency"), "is required");
                None
            }
            Some(_) => {
                errors.push(format!("{field}.currency"), "must be a string such as SAR");
                None
            }
        };
        Some(Self { amount: amount?, currency: currency? })
    }
}

/// The minor-unit exponent of a supported currency.
pub fn exponent(code: &str) -> Option<u32> {
    CURRENCIES.iter().find(|(c, _)| *c == code).map(|(_, e)| *e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: Value) -> (Option<Money>, Vec<String>) {
        let mut errors = FieldErrors::new();
        let money = Money::parse(Some(&value), "price", &mut errors);
        (money, errors.into_vec().into_iter().map(|e| e.field).collect())
    }

    #[test]
    fn amounts_are_whole_minor_units_of_a_known_currency() {
        assert_eq!(parse(json!({"amount": 1999, "currency": "SAR"})).0.unwrap().decimal(), "19.99");
        assert_eq!(parse(json!({"amount": 1500, "currency": "KWD"})).0.unwrap().decimal(), "1.500");
        assert_eq!(parse(json!({"amount": 500, "currency": "JPY"})).0.unwrap().decimal(), "500");
        assert_eq!(parse(json!({"amount": 19.99, "currency": "SAR"})).1, ["price.amount"]);
        assert_eq!(parse(json!({"amount": -1, "currency": "sar"})).1, ["price.amount", "price.currency"]);
        assert_eq!(parse(json!({"amount": 1, "currency": "SAR", "tax": 1})).1, ["price.tax"]);
        assert_eq!(parse(json!("19.99")).1, ["price"]);
    }
}
