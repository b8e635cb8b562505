//! Numbers and prices as each language writes them: `SAR 1,234.50` in English,
//! `١٬٢٣٤٫٥٠ ر.س.` in Arabic (Arabic-Indic digits and separators, as CLDR's `ar`).

use crate::i18n::Lang;
use shop_domain::Money;

/// A whole number with grouping (`12,345` / `١٢٬٣٤٥`).
pub fn number(lang: Lang, value: i64) -> String {
    let sign = if value < 0 { "-" } else { "" };
    localize_digits(lang, &format!("{sign}{}", group(&value.unsigned_abs().to_string(), ',')))
}

/// A price in the language's style, with the currency's own number of decimals.
pub fn money(lang: Lang, price: &Money) -> String {
    let decimal = price.decimal();
    let (whole, fraction) = decimal.split_once('.').map_or((decimal.as_str(), None), |(w, f)| (w, Some(f)));
    let mut amount = group(whole, ',');
    if let Some(fraction) = fraction {
        amount.push('.');
        amount.push_str(fraction);
    }
    let code = price.currency.as_str();
    match lang {
        Lang::En => match symbol_en(code) {
            Some(symbol) => format!("{symbol}{amount}"),
            None => format!("{code}\u{a0}{amount}"),
        },
        Lang::Ar => format!("{}\u{a0}{}", localize_digits(lang, &amount), symbol_ar(code).unwrap_or(code)),
    }
}

/// A counted phrase (`24 products`, `٢٤ منتجًا`): the plural form is chosen by the number,
/// then the number is written in the language's digits.
pub fn counted(lang: Lang, key: &str, count: u64) -> String {
    localize_digits(lang, &lang.t_with(key, &[("count", fluent_bundle::FluentValue::from(count as i64))]))
}

/// A price typed by an admin (`12.5`, `١٢٫٥`) in minor units of `currency`, or why not.
pub fn parse_amount(text: &str, currency: &str) -> Result<i64, String> {
    let exponent = shop_domain::money::exponent(currency).ok_or("is not a currency the shop accepts")?;
    let ascii: String = text
        .trim()
        .chars()
        .map(|c| match c {
            '٠'..='٩' => char::from(b'0' + (c as u32 - '٠' as u32) as u8),
            '٫' => '.',
            '٬' | ',' => '\u{0}',
            c => c,
        })
        .filter(|c| *c != '\u{0}')
        .collect();
    let (whole, fraction) = ascii.split_once('.').unwrap_or((&ascii, ""));
    let valid = !whole.is_empty() && whole.chars().all(|c| c.is_ascii_digit()) && fraction.chars().all(|c| c.is_ascii_digit());
    if !valid {
        return Err("must be a number like 12.50".into());
    }
    if fraction.len() > exponent as usize {
        return Err(format!("has at most {exponent} decimals in {currency}"));
    }
    let scale = 10_i64.pow(exponent);
    let whole: i64 = whole.parse().map_err(|_| "is too large".to_string())?;
    let fraction: i64 =
        if fraction.is_empty() { 0 } else { format!("{fraction:0<width$}", width = exponent as usize).parse().unwrap_or(0) };
    whole.checked_mul(scale).and_then(|w| w.checked_add(fraction)).ok_or_else(|| "is too large".into())
}

fn group(digits: &str, separator: char) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(c);
    }
    out
}

/// Digits in the language's own script.
pub fn localize_digits(lang: Lang, text: &str) -> String {
    match lang {
        Lang::En => text.to_owned(),
        Lang::Ar => text
            .chars()
            .map(|c| match c {
                '0'..='9' => char::from_u32('٠' as u32 + (c as u32 - '0' as u32)).unwrap_or(c),
                ',' => '٬',
                '.' => '٫',
                c => c,
            })
            .collect(),
    }
}

fn symbol_en(code: &str) -> Option<&'static str> {
    Some(match code {
        "USD" => "$",
        "EUR" => "€",
        "GBP" => "£",
        "JPY" => "¥",
        "INR" => "₹",
        _ => return None,
    })
}

fn symbol_ar(code: &str) -> Option<&'static str> {
    Some(match code {
        "SAR" => "ر.س.\u{200f}",
        "AED" => "د.إ.\u{200f}",
        "KWD" => "د.ك.\u{200f}",
        "QAR" => "ر.ق.\u{200f}",
        "BHD" => "د.ب.\u{200f}",
        "OMR" => "ر.ع.\u{200f}",
        "EGP" => "ج.م.\u{200f}",
        "JOD" => "د.أ.\u{200f}",
        "USD" => "US$",
        "EUR" => "€",
        "GBP" => "UK£",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sar(amount: i64) -> Money {
        Money { amount, currency: "SAR".into() }
    }

    #[test]
    fn english_groups_thousands_and_keeps_the_decimals() {
        assert_eq!(money(Lang::En, &sar(123_450)), "SAR\u{a0}1,234.50");
        assert_eq!(money(Lang::En, &Money { amount: 5, currency: "USD".into() }), "$0.05");
        assert_eq!(money(Lang::En, &Money { amount: 1500, currency: "JPY".into() }), "¥1,500");
        assert_eq!(money(Lang::En, &Money { amount: 1_234_567, currency: "KWD".into() }), "KWD\u{a0}1,234.567");
        assert_eq!(number(Lang::En, 1_000_000), "1,000,000");
    }

    #[test]
    fn arabic_uses_arabic_indic_digits_and_separators() {
        assert_eq!(money(Lang::Ar, &sar(123_450)), "١٬٢٣٤٫٥٠\u{a0}ر.س.\u{200f}");
        assert_eq!(number(Lang::Ar, 24), "٢٤");
        assert_eq!(number(Lang::Ar, 1234), "١٬٢٣٤");
    }

    #[test]
    fn typed_prices_become_minor_units() {
        assert_eq!(parse_amount("12.5", "SAR"), Ok(1250));
        assert_eq!(parse_amount(" 1,234.05 ", "SAR"), Ok(123_405));
        assert_eq!(parse_amount("١٢٫٥", "SAR"), Ok(1250));
        assert_eq!(parse_amount("7", "KWD"), Ok(7000));
        assert!(parse_amount("1.234", "SAR").unwrap_err().contains("2 decimals"));
        assert!(parse_amount("abc", "SAR").is_err());
        assert!(parse_amount("-1", "SAR").is_err());
        assert!(parse_amount("", "SAR").is_err());
        assert!(parse_amount("1", "BTC").is_err(), "not a currency the shop accepts");
    }
}
