//! The shopper's messages about an order: written here, in the order's language (Arabic
//! right to left in the HTML part), and queued in the outbox for the host to deliver
//! (`shop_domain::mail`). Queuing never fails the request that caused it: a message that
//! cannot be queued is logged and the order stands.

use api_kit::store::{Collection, Stored};
use shop_domain::Money;
use shop_domain::mail::{OUTBOX, OutboxMessage, escape_html};
use shop_domain::orders::{PaymentMethod, StoredOrder};

/// The outbox.
const MESSAGES: Collection<OutboxMessage> = Collection::new(OUTBOX);

/// Which message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The order is placed and paid (or accepted for cash on delivery).
    Confirmation,
    /// The order has shipped.
    Shipped,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::Confirmation => "confirmation",
            Self::Shipped => "shipped",
        }
    }
}

/// The words of a message, in one language.
struct Words {
    confirmed: &'static str,
    shipped: &'static str,
    thanks: &'static str,
    on_its_way: &'static str,
    order: &'static str,
    total: &'static str,
    payment: &'static str,
    ship_to: &'static str,
    note: &'static str,
    next: &'static str,
    cash_on_delivery: &'static str,
}

const ENGLISH: Words = Words {
    confirmed: "Your order {order} is confirmed",
    shipped: "Your order {order} has shipped",
    thanks: "Thank you for your order, {name}.",
    on_its_way: "Your order is on its way to {city}, {name}.",
    order: "Order",
    total: "Total",
    payment: "Payment",
    ship_to: "Shipping to",
    note: "A note from the shop",
    next: "We will write again when it ships.",
    cash_on_delivery: "Cash on delivery",
};

const ARABIC: Words = Words {
    confirmed: "تم تأكيد طلبك {order}",
    shipped: "تم شحن طلبك {order}",
    thanks: "شكرًا لطلبك يا {name}.",
    on_its_way: "طلبك في الطريق إلى {city} يا {name}.",
    order: "الطلب",
    total: "الإجمالي",
    payment: "الدفع",
    ship_to: "الشحن إلى",
    note: "ملاحظة من المتجر",
    next: "سنراسلك مجددًا عند شحن الطلب.",
    cash_on_delivery: "الدفع عند الاستلام",
};

fn amount(money: &Money) -> String {
    format!("{} {}", money.decimal(), money.currency)
}

/// The message `kind` about `order`, in its language.
pub fn render(order: &Stored<StoredOrder>, kind: Kind, note: Option<&str>) -> OutboxMessage {
    let body = &order.body;
    let arabic = body.language == "ar";
    let words = if arabic { &ARABIC } else { &ENGLISH };
    let short = &order.id[..order.id.len().min(8)];
    let address = &body.shipping_address;
    let subject = match kind {
        Kind::Confirmation => words.confirmed,
        Kind::Shipped => words.shipped,
    }
    .replace("{order}", short);
    let opening = match kind {
        Kind::Confirmation => words.thanks.replace("{name}", &address.name),
        Kind::Shipped => words.on_its_way.replace("{name}", &address.name).replace("{city}", &address.city),
    };
    let lines: Vec<(String, String)> = body
        .lines
        .iter()
        .map(|line| {
            let name =
                if arabic { line.name.ar.as_ref().or(line.name.en.as_ref()) } else { line.name.en.as_ref().or(line.name.ar.as_ref()) };
            (format!("{} × {}", line.quantity, name.map_or(line.slug.as_str(), String::as_str)), amount(&line.line_total))
        })
        .collect();
    let payment = if body.payment.method.as_str() == PaymentMethod::CASH_ON_DELIVERY {
        words.cash_on_delivery.to_owned()
    } else {
        body.payment.summary.clone().unwrap_or_else(|| body.payment.method.as_str().to_owned())
    };
    let destination = [address.lines.join(", "), address.city.clone(), address.country.clone()].join(", ");
    let mut facts = vec![(words.total, amount(&body.total)), (words.payment, payment), (words.ship_to, destination)];
    if let Some(note) = note {
        facts.push((words.note, note.to_owned()));
    }
    let closing = (kind == Kind::Confirmation).then_some(words.next);

    let mut text = format!("{opening}\n\n{}: {}\n\n", words.order, order.id);
    for (what, cost) in &lines {
        text.push_str(&format!("{what}  {cost}\n"));
    }
    text.push('\n');
    for (label, value) in &facts {
        text.push_str(&format!("{label}: {value}\n"));
    }
    if let Some(closing) = closing {
        text.push_str(&format!("\n{closing}\n"));
    }

    let (lang, dir, align) = if arabic { ("ar", "rtl", "left") } else { ("en", "ltr", "right") };
    let mut html = format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\" dir=\"{dir}\">\n<head><meta charset=\"utf-8\"><title>{}</title></head>\n<body style=\"font-family: sans-serif; line-height: 1.5\">\n<p>{}</p>\n<p>{}: <strong>{}</strong></p>\n<table role=\"presentation\" cellpadding=\"4\">\n",
        escape_html(&subject),
        escape_html(&opening),
        words.order,
        escape_html(&order.id)
    );
    for (what, cost) in &lines {
        html.push_str(&format!("<tr><td>{}</td><td style=\"text-align: {align}\">{}</td></tr>\n", escape_html(what), escape_html(cost)));
    }
    html.push_str("</table>\n");
    for (label, value) in &facts {
        html.push_str(&format!("<p>{label}: {}</p>\n", escape_html(value)));
    }
    if let Some(closing) = closing {
        html.push_str(&format!("<p>{closing}</p>\n"));
    }
    html.push_str("</body>\n</html>\n");
    OutboxMessage::queued(body.email.clone(), subject, text, html, lang, format!("order:{}:{}", order.id, kind.name()))
}

/// Queues the message `kind` about `order` once (a second call finds it queued).
pub fn queue(order: &Stored<StoredOrder>, kind: Kind, note: Option<&str>) {
    let message = render(order, kind, note);
    let id = format!("{}-{}", order.id, kind.name());
    match MESSAGES.insert(Some(&id), &message) {
        Ok(Ok(_)) => {}
        Ok(Err(error)) if api_kit::store::duplicate_index(&error).is_some() => {}
        Ok(Err(error)) => eprintln!("orders: the {} message of order {} was not queued: {error:?}", kind.name(), order.id),
        Err(problem) => eprintln!("orders: the {} message of order {} was not queued: {}", kind.name(), order.id, problem.title),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shop_domain::orders::{Address, OrderLine, OrderStatus, Payment, StockState};
    use shop_domain::{Money, Translations};

    fn order(language: &str) -> Stored<StoredOrder> {
        let sar = |amount| Money { amount, currency: "SAR".into() };
        let body = StoredOrder {
            customer: "u1".into(),
            email: "layla@example.com".into(),
            language: language.into(),
            lines: vec![OrderLine {
                product: "p1".into(),
                slug: "lamp".into(),
                name: Translations { en: Some("Desk <lamp>".into()), ar: Some("مصباح مكتب".into()) },
                unit_price: sar(4200),
                quantity: 2,
                line_total: sar(8400),
            }],
            subtotal: sar(8400),
            total: sar(8400),
            shipping_address: Address {
                name: "ليلى".into(),
                phone: "+966551234567".into(),
                lines: vec!["شارع الملك فهد ١٢".into()],
                city: "الرياض".into(),
                region: None,
                postal_code: None,
                country: "SA".into(),
            },
            payment: Payment::pending(PaymentMethod::parse("cash_on_delivery").unwrap(), sar(8400)),
            status: OrderStatus::Paid,
            stock: StockState::Held,
            history: Vec::new(),
            payment_due: None,
            request_fingerprint: None,
            created_at: "2026-12-07T10:00:00.000000Z".into(),
            updated_at: "2026-12-07T10:00:00.000000Z".into(),
        };
        Stored { id: "0123456789abcdef".into(), version: 3, body }
    }

    #[test]
    fn english_messages_read_left_to_right_with_the_order_and_its_total() {
        let message = render(&order("en"), Kind::Confirmation, None);
        assert_eq!(message.subject, "Your order 01234567 is confirmed");
        assert_eq!(
            (message.to.as_str(), message.language.as_str(), message.about.as_str()),
            ("layla@example.com", "en", "order:0123456789abcdef:confirmation")
        );
        assert!(message.text.contains("2 × Desk <lamp>  84.00 SAR") && message.text.contains("Total: 84.00 SAR"), "{}", message.text);
        assert!(message.html.contains("<html lang=\"en\" dir=\"ltr\">") && message.html.contains("Desk &lt;lamp&gt;"), "{}", message.html);
        assert!(message.text.contains("Payment: Cash on delivery"));
    }

    #[test]
    fn arabic_messages_read_right_to_left_in_arabic() {
        let message = render(&order("ar"), Kind::Shipped, Some("DHL 123"));
        assert_eq!(message.subject, "تم شحن طلبك 01234567");
        assert!(message.html.contains("<html lang=\"ar\" dir=\"rtl\">"), "{}", message.html);
        assert!(message.text.contains("2 × مصباح مكتب") && message.text.contains("طلبك في الطريق إلى الرياض"), "{}", message.text);
        assert!(message.text.contains("ملاحظة من المتجر: DHL 123") && message.text.contains("الدفع: الدفع عند الاستلام"));
    }
}
