//! Carts and orders: what a shopper buys, where it goes, and where it stands.
//!
//! Prices are never taken from a client: a cart holds products and quantities, and every
//! amount in an order was computed by the server from the stored products, in minor units of
//! one currency.

use crate::{FieldErrors, Money, Translations};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The most units of one product in a cart or an order.
pub const MAX_QUANTITY: i64 = 99;
/// The most lines in a cart or an order.
pub const MAX_LINES: usize = 50;

/// One line of a cart: a product and how many.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartItem {
    /// The product's id (or slug, as sent; the server stores the id).
    pub product: String,
    /// How many, from 1 to [`MAX_QUANTITY`].
    pub quantity: i64,
}

impl CartItem {
    /// Reads `items`: an array of `{product, quantity}`, at most [`MAX_LINES`], each product
    /// named once (a product named twice is refused: the client meant one line), recording
    /// each problem under `items[i].field`.
    pub fn parse_list(value: Option<&Value>, errors: &mut FieldErrors) -> Vec<CartItem> {
        let items = match value {
            Some(Value::Array(items)) => items,
            Some(_) => {
                errors.push("items", "must be an array of {product, quantity}");
                return Vec::new();
            }
            None => {
                errors.push("items", "is required");
                return Vec::new();
            }
        };
        if items.len() > MAX_LINES {
            errors.push("items", format!("must have at most {MAX_LINES} lines"));
            return Vec::new();
        }
        let mut out: Vec<CartItem> = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let at = |field: &str| format!("items[{i}].{field}");
            let Some(object) = item.as_object() else {
                errors.push(format!("items[{i}]"), "must be an object with product and quantity");
                continue;
            };
            for unknown in object.keys().filter(|k| !matches!(k.as_str(), "product" | "quantity")) {
                errors.push(at(unknown), "is not a field of a cart line (product, quantity)");
            }
            let product = match object.get("product") {
                Some(Value::String(p)) if !p.trim().is_empty() && p.len() <= 128 => Some(p.trim().to_owned()),
                Some(_) => {
                    errors.push(at("product"), "must be a product's id or slug");
                    None
                }
                None => {
                    errors.push(at("product"), "is required");
                    None
                }
            };
            let quantity = match object.get("quantity") {
                Some(Value::Number(n)) => match n.as_i64().filter(|q| (1..=MAX_QUANTITY).contains(q)) {
                    Some(q) => Some(q),
                    None => {
                        errors.push(at("quantity"), format!("must be a whole number from 1 to {MAX_QUANTITY}"));
                        None
                    }
                },
                Some(_) => {
                    errors.push(at("quantity"), format!("must be a whole number from 1 to {MAX_QUANTITY}"));
                    None
                }
                None => {
                    errors.push(at("quantity"), "is required");
                    None
                }
            };
            if let (Some(product), Some(quantity)) = (product, quantity) {
                if out.iter().any(|line| line.product == product) {
                    errors.push(at("product"), "is already in an earlier line; give one line per product");
                } else {
                    out.push(CartItem { product, quantity });
                }
            }
        }
        out
    }
}

/// A signed-in shopper's cart as the store keeps it (the `carts` collection, one document
/// per user, under the user's id).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCart {
    /// Its lines, in the order they were added.
    #[serde(default)]
    pub items: Vec<CartItem>,
    /// When it last changed (RFC 3339).
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// Why a cart line cannot be bought as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineIssue {
    /// The product was removed or unpublished.
    Unavailable,
    /// Fewer units are in stock than the line asks for.
    InsufficientStock,
    /// Its price is in another currency than the cart's first line.
    OtherCurrency,
}

/// One line of a cart as shown: the stored product's current name and price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartLine {
    /// The product's id.
    pub product: String,
    /// Its slug, for links (empty when the product is gone).
    pub slug: String,
    /// Its name.
    pub name: Translations,
    /// Its price for one unit (absent when the product is gone).
    pub unit_price: Option<Money>,
    /// How many.
    pub quantity: i64,
    /// `unit_price × quantity` (absent when the product is gone).
    pub line_total: Option<Money>,
    /// Units in stock now.
    pub available: i64,
    /// Why the line cannot be bought as it is, if it cannot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue: Option<LineIssue>,
}

/// A cart as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cart {
    /// Its lines.
    pub items: Vec<CartLine>,
    /// The sum of the lines that can be bought (absent for an empty cart).
    pub subtotal: Option<Money>,
    /// How many units in all.
    pub item_count: i64,
    /// Whether every line can be bought as it is.
    pub ready: bool,
    /// The cart document's version (0 before its first save).
    pub version: u64,
}

/// A delivery address. Text in any script (Arabic included); the country an ISO 3166-1
/// alpha-2 code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// Who receives it.
    pub name: String,
    /// A phone number for the courier.
    pub phone: String,
    /// Street lines, one to three.
    pub lines: Vec<String>,
    /// The city.
    pub city: String,
    /// Region, province or state, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The postal code, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2, upper case (`SA`, `EG`, `AE`).
    pub country: String,
}

/// Text that is written by a person: trimmed, 1 to `max` characters, no control characters.
fn person_text(value: Option<&Value>, field: &str, max: usize, required: bool, errors: &mut FieldErrors) -> Option<String> {
    match value {
        None | Some(Value::Null) if !required => None,
        None | Some(Value::Null) => {
            errors.push(field, "is required");
            None
        }
        Some(Value::String(text)) => {
            let text = text.trim();
            if text.is_empty() && !required {
                None
            } else if text.is_empty() || text.chars().count() > max {
                errors.push(field, format!("must be 1 to {max} characters"));
                None
            } else if text.chars().any(char::is_control) {
                errors.push(field, "must not contain control characters");
                None
            } else {
                Some(text.to_owned())
            }
        }
        Some(_) => {
            errors.push(field, "must be a string");
            None
        }
    }
}

impl Address {
    /// Reads an address at `field`, recording each problem under `field.<name>`.
    pub fn parse(value: Option<&Value>, field: &str, errors: &mut FieldErrors) -> Option<Address> {
        let object = match value {
            Some(Value::Object(object)) => object,
            Some(_) => {
                errors.push(field, "must be an object with name, phone, lines, city and country");
                return None;
            }
            None => {
                errors.push(field, "is required");
                return None;
            }
        };
        let at = |name: &str| format!("{field}.{name}");
        const FIELDS: [&str; 7] = ["name", "phone", "lines", "city", "region", "postal_code", "country"];
        for unknown in object.keys().filter(|k| !FIELDS.contains(&k.as_str())) {
            errors.push(at(unknown), "is not a field of an address (name, phone, lines, city, region, postal_code, country)");
        }
        let name = person_text(object.get("name"), &at("name"), 100, true, errors);
        let phone = person_text(object.get("phone"), &at("phone"), 24, true, errors).filter(|phone| {
            let digits = phone.chars().filter(char::is_ascii_digit).count();
            let allowed = phone.chars().all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')'));
            let ok = allowed && (6..=15).contains(&digits) && !phone[1..].contains('+');
            if !ok {
                errors.push(at("phone"), "must be a phone number: 6 to 15 digits, with + - ( ) and spaces allowed");
            }
            ok
        });
        let lines = match object.get("lines") {
            Some(Value::Array(lines)) if (1..=3).contains(&lines.len()) => {
                let read: Vec<Option<String>> = lines
                    .iter()
                    .enumerate()
                    .map(|(i, line)| person_text(Some(line), &format!("{field}.lines[{i}]"), 100, true, errors))
                    .collect();
                read.into_iter().collect::<Option<Vec<String>>>()
            }
            Some(_) => {
                errors.push(at("lines"), "must be an array of one to three street lines");
                None
            }
            None => {
                errors.push(at("lines"), "is required");
                None
            }
        };
        let city = person_text(object.get("city"), &at("city"), 100, true, errors);
        let region = person_text(object.get("region"), &at("region"), 100, false, errors);
        let postal_code = person_text(object.get("postal_code"), &at("postal_code"), 16, false, errors);
        let country = match object.get("country") {
            Some(Value::String(code)) if code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()) => Some(code.clone()),
            Some(_) => {
                errors.push(at("country"), "must be an ISO 3166-1 alpha-2 code in capitals, such as SA or EG");
                None
            }
            None => {
                errors.push(at("country"), "is required");
                None
            }
        };
        Some(Address { name: name?, phone: phone?, lines: lines?, city: city?, region, postal_code, country: country? })
    }
}

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Checkout is taking its stock (a moment; an order left here by a crash is settled by
    /// housekeeping).
    Reserving,
    /// Checkout could not take the stock; nothing is held. Not shown to the shopper.
    Failed,
    /// Waiting for the payment; its stock is held until the payment is due.
    PendingPayment,
    /// Paid, or for cash on delivery accepted: to be shipped.
    Paid,
    /// On its way.
    Shipped,
    /// Received by the shopper.
    Delivered,
    /// Cancelled before shipping; its stock returned.
    Cancelled,
    /// Refunded; its stock returned.
    Refunded,
}

impl OrderStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [OrderStatus; 8] =
        [Self::Reserving, Self::Failed, Self::PendingPayment, Self::Paid, Self::Shipped, Self::Delivered, Self::Cancelled, Self::Refunded];

    /// The status as the API writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reserving => "reserving",
            Self::Failed => "failed",
            Self::PendingPayment => "pending_payment",
            Self::Paid => "paid",
            Self::Shipped => "shipped",
            Self::Delivered => "delivered",
            Self::Cancelled => "cancelled",
            Self::Refunded => "refunded",
        }
    }

    /// The status a word names.
    pub fn parse(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == word)
    }

    /// Whether an order may move from this status to `next` by a person's action (checkout
    /// and housekeeping make the others).
    pub fn may_become(self, next: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (self, next),
            (PendingPayment, Paid | Cancelled)
                | (Paid, Shipped | Cancelled | Refunded)
                | (Shipped, Delivered | Refunded)
                | (Delivered, Refunded)
        )
    }

    /// Whether the order's units are back in stock (or were never taken) in this status.
    pub fn returns_stock(self) -> bool {
        matches!(self, Self::Failed | Self::Cancelled | Self::Refunded)
    }

    /// Whether the shopper sees the order in their list (checkout's own states are hidden).
    pub fn shown_to_shopper(self) -> bool {
        !matches!(self, Self::Reserving | Self::Failed)
    }
}

/// How the shopper pays: the name of a payment method, `[a-z][a-z0-9_]{0,31}`. The shop offers
/// the methods it has a provider component for (`payments-<method>`): `cash_on_delivery` and
/// `test_card` ship with it, and a provider added later brings its own.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PaymentMethod(String);

impl PaymentMethod {
    /// Cash to the courier: accepted at checkout, collected on delivery.
    pub const CASH_ON_DELIVERY: &'static str = "cash_on_delivery";
    /// The test card provider: behaves like a card gateway's test mode.
    pub const TEST_CARD: &'static str = "test_card";

    /// The method a word names, if it is a well-formed method name.
    pub fn parse(word: &str) -> Option<Self> {
        let mut bytes = word.bytes();
        let well_formed = word.len() <= 32
            && bytes.next().is_some_and(|b| b.is_ascii_lowercase())
            && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        well_formed.then(|| Self(word.to_owned()))
    }

    /// The method as the API writes it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where the payment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentState {
    /// Nothing authorised yet (`failure` says why, when an attempt failed).
    Pending,
    /// Authorised (for cash on delivery: accepted); not collected yet.
    Authorised,
    /// Collected.
    Captured,
    /// Given back.
    Refunded,
    /// Nothing will be collected (the order was cancelled before).
    Voided,
}

/// When an authorised payment is collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CapturePoint {
    /// When the order ships.
    Shipment,
    /// When the order is delivered.
    Delivery,
}

/// The payment of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    /// How the shopper pays.
    pub method: PaymentMethod,
    /// Where it stands.
    pub state: PaymentState,
    /// The amount to collect.
    pub amount: Money,
    /// The provider's reference, once authorised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// What may be shown of it (`Visa ending 4242`, `Cash on delivery`), once authorised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// When it is collected, once authorised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capture_on: Option<CapturePoint>,
    /// Why the last attempt to pay failed, while the order waits for its payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

impl Payment {
    /// A payment by `method` of `amount`, not tried yet.
    pub fn pending(method: PaymentMethod, amount: Money) -> Self {
        Self { method, state: PaymentState::Pending, amount, reference: None, summary: None, capture_on: None, failure: None }
    }
}

/// One line of an order: what the product was called and cost when it was bought.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    /// The product's id.
    pub product: String,
    /// Its slug then.
    pub slug: String,
    /// Its name then.
    pub name: Translations,
    /// The price of one unit then.
    pub unit_price: Money,
    /// How many.
    pub quantity: i64,
    /// `unit_price × quantity`.
    pub line_total: Money,
}

/// One change of an order's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    /// The status it took.
    pub status: OrderStatus,
    /// When (RFC 3339).
    pub at: String,
    /// Who: a user's id, or `system` for checkout and housekeeping.
    pub by: String,
    /// Why, when someone said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Where an order's units stand in the products' stock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StockState {
    /// Not taken yet (checkout in progress).
    #[default]
    Taking,
    /// Taken from stock for this order.
    Held,
    /// Given back (or never taken).
    Returned,
}

/// An order as the store keeps it (the `orders` collection).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredOrder {
    /// The buyer's user id.
    pub customer: String,
    /// The buyer's email then (for admins' search and the messages).
    pub email: String,
    /// The language the shopper bought in (`en` or `ar`): messages are written in it.
    pub language: String,
    /// What was bought.
    pub lines: Vec<OrderLine>,
    /// The sum of the lines.
    pub subtotal: Money,
    /// What the shopper pays (the subtotal: shipping is free and taxes are included).
    pub total: Money,
    /// Where it goes.
    pub shipping_address: Address,
    /// The payment.
    pub payment: Payment,
    /// Where it stands.
    pub status: OrderStatus,
    /// Where its units stand.
    #[serde(default)]
    pub stock: StockState,
    /// Every status it had, oldest first.
    pub history: Vec<StatusChange>,
    /// When an unpaid order is cancelled and its stock returned (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_due: Option<String>,
    /// A fingerprint of the checkout request an `Idempotency-Key` was given with, so a key
    /// reused for another purchase is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_fingerprint: Option<String>,
    /// When it was placed (RFC 3339).
    pub created_at: String,
    /// When it last changed (RFC 3339).
    pub updated_at: String,
}

impl StoredOrder {
    /// Marks a checkout that could not take its stock, or never finished, as failed by the
    /// system, its units given back (the caller gives them back first).
    pub fn fail(&mut self, at: String, note: Option<String>) {
        self.status = OrderStatus::Failed;
        self.stock = StockState::Returned;
        self.history.push(StatusChange { status: OrderStatus::Failed, at, by: "system".into(), note });
    }
}

/// An order as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// Its id.
    pub id: String,
    /// Its version (the ETag of a read; `If-Match` of a status change).
    pub version: u64,
    /// The buyer's user id.
    pub customer: String,
    /// The buyer's email.
    pub email: String,
    /// The language the shopper bought in.
    pub language: String,
    /// What was bought.
    pub lines: Vec<OrderLine>,
    /// The sum of the lines.
    pub subtotal: Money,
    /// What the shopper pays.
    pub total: Money,
    /// Where it goes.
    pub shipping_address: Address,
    /// The payment.
    pub payment: Payment,
    /// Where it stands.
    pub status: OrderStatus,
    /// Every status it had, oldest first.
    pub history: Vec<StatusChange>,
    /// When an unpaid order is cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_due: Option<String>,
    /// When it was placed.
    pub created_at: String,
    /// When it last changed.
    pub updated_at: String,
}

impl Order {
    /// The public view of a stored order.
    pub fn of(id: &str, version: u64, stored: &StoredOrder) -> Self {
        let s = stored.clone();
        Self {
            id: id.to_owned(),
            version,
            customer: s.customer,
            email: s.email,
            language: s.language,
            lines: s.lines,
            subtotal: s.subtotal,
            total: s.total,
            shipping_address: s.shipping_address,
            payment: s.payment,
            status: s.status,
            history: s.history,
            payment_due: s.payment_due,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// One page of orders.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderPage {
    /// The orders of this page, newest first.
    pub items: Vec<Order>,
    /// How many match in all.
    pub total: u64,
    /// This page's number.
    pub page: u64,
    /// Orders per page.
    pub per_page: u64,
    /// Links to other pages.
    pub links: crate::catalog::PageLinks,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(errors: FieldErrors) -> Vec<String> {
        errors.into_vec().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn payment_methods_are_short_lowercase_words() {
        for good in ["cash_on_delivery", "test_card", "mada2"] {
            assert_eq!(PaymentMethod::parse(good).map(|m| m.as_str().to_owned()), Some(good.to_owned()));
        }
        for bad in ["", "Card", "2card", "test-card", "card ", &"a".repeat(33)] {
            assert_eq!(PaymentMethod::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn cart_lines_name_each_bad_field() {
        let mut errors = FieldErrors::new();
        let items = CartItem::parse_list(
            Some(&json!([
                {"product": "quill", "quantity": 2},
                {"product": "ink", "quantity": 0},
                {"product": "pad", "quantity": -1},
                {"product": "cap", "quantity": 1.5},
                {"product": "box", "quantity": 100},
                {"product": "", "quantity": 1},
                {"product": "quill", "quantity": 1},
                {"product": "nib", "quantity": "3"},
                {"product": "nib", "quantity": 3, "price": 1}
            ])),
            &mut errors,
        );
        // What could be read is kept beside the errors (the caller refuses the whole list).
        assert_eq!(items, vec![CartItem { product: "quill".into(), quantity: 2 }, CartItem { product: "nib".into(), quantity: 3 }]);
        assert_eq!(
            fields(errors),
            [
                "items[1].quantity",
                "items[2].quantity",
                "items[3].quantity",
                "items[4].quantity",
                "items[5].product",
                "items[6].product",
                "items[7].quantity",
                "items[8].price"
            ]
        );
    }

    #[test]
    fn addresses_take_arabic_and_refuse_what_a_courier_cannot_use() {
        let mut errors = FieldErrors::new();
        let address = Address::parse(
            Some(
                &json!({"name": " ليلى أحمد ", "phone": "+966 55 123 4567", "lines": ["شارع الملك فهد ١٢"], "city": "الرياض", "country": "SA"}),
            ),
            "shipping_address",
            &mut errors,
        );
        assert!(errors.is_empty(), "{errors:?}");
        let address = address.unwrap();
        assert_eq!((address.name.as_str(), address.city.as_str()), ("ليلى أحمد", "الرياض"));

        let mut errors = FieldErrors::new();
        let address = Address::parse(
            Some(&json!({"name": "", "phone": "call me", "lines": [], "city": "x\u{7}", "country": "sa", "floor": 2})),
            "shipping_address",
            &mut errors,
        );
        assert!(address.is_none());
        let mut got = fields(errors);
        got.sort();
        assert_eq!(
            got,
            [
                "shipping_address.city",
                "shipping_address.country",
                "shipping_address.floor",
                "shipping_address.lines",
                "shipping_address.name",
                "shipping_address.phone"
            ]
        );
    }

    #[test]
    fn only_lifecycle_steps_are_allowed() {
        use OrderStatus::*;
        assert!(PendingPayment.may_become(Paid));
        assert!(Paid.may_become(Shipped) && Shipped.may_become(Delivered) && Delivered.may_become(Refunded));
        assert!(Paid.may_become(Cancelled) && !Shipped.may_become(Cancelled));
        for terminal in [Cancelled, Refunded, Failed] {
            assert!(OrderStatus::ALL.iter().all(|next| !terminal.may_become(*next)), "{terminal:?}");
        }
        assert!(!Paid.may_become(PendingPayment) && !Delivered.may_become(Shipped) && !Paid.may_become(Reserving));
        for status in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(status.as_str()), Some(status));
            assert_eq!(serde_json::to_value(status).unwrap(), json!(status.as_str()));
        }
    }
}
