//! The demo catalogue: 8 categories and 200 bilingual products, created through the public
//! API as an admin (so every product passes the catalog component's own validation).
//!
//! Seeding is idempotent: a category or product whose slug exists already is left alone, so
//! running it twice (or after a crash halfway) ends with the same catalogue.

use anyhow::{Context, bail};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;

/// The catalogue's source: categories with base products, each sold in four variants.
const CATALOG: &str = include_str!("catalog.json");

#[derive(Deserialize)]
struct Catalog {
    variants: HashMap<String, Vec<Variant>>,
    categories: Vec<Category>,
}

#[derive(Deserialize)]
struct Variant {
    en: String,
    ar: String,
    percent: i64,
}

#[derive(Deserialize)]
struct Category {
    slug: String,
    en: String,
    ar: String,
    variants: String,
    products: Vec<Base>,
}

#[derive(Deserialize)]
struct Base {
    en: String,
    ar: String,
    price: i64,
    den: String,
    dar: String,
}

/// What a seeding run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SeedReport {
    /// Categories and products created by this run.
    pub created: usize,
    /// Those found already present (by slug).
    pub present: usize,
}

/// A price in halalas that ends in .95, like a shop's.
fn shop_price(base: i64, percent: i64) -> i64 {
    ((base * percent / 100 + 50) / 100).max(1) * 100 - 5
}

/// A small deterministic number from text (stock levels that look real and stay the same
/// from run to run).
fn spread(text: &str, modulo: u64) -> u64 {
    text.bytes().fold(1469598103934665603u64, |h, b| (h ^ u64::from(b)).wrapping_mul(1099511628211)) % modulo
}

/// The requests that make the demo catalogue: categories first, then products.
pub fn requests() -> anyhow::Result<Vec<(&'static str, Value)>> {
    let catalog: Catalog = serde_json::from_str(CATALOG).context("the demo catalogue does not parse")?;
    let mut out = Vec::new();
    for (order, category) in catalog.categories.iter().enumerate() {
        out.push((
            "/api/categories",
            json!({"slug": category.slug, "name": {"en": category.en, "ar": category.ar}, "sort_order": order + 1}),
        ));
    }
    let mut n = 0;
    for category in &catalog.categories {
        let variants = catalog.variants.get(&category.variants).with_context(|| format!("no variant set {}", category.variants))?;
        for (b, base) in category.products.iter().enumerate() {
            for (v, variant) in variants.iter().enumerate() {
                n += 1;
                let en = format!("{} {}", base.en, variant.en);
                let price = shop_price(base.price, variant.percent);
                let mut product = json!({
                    "name": {"en": en, "ar": format!("{} {}", base.ar, variant.ar)},
                    "description": {
                        "en": format!("{}\n\n{}: {}.", base.den, category_word(&category.variants, "en"), variant.en),
                        "ar": format!("{}\n\n{}: {}.", base.dar, category_word(&category.variants, "ar"), variant.ar),
                    },
                    "price": {"amount": price, "currency": "SAR"},
                    "stock": if n % 9 == 0 { 0 } else { 1 + spread(&en, 60) },
                    "category": category.slug,
                    "featured": v == 1 && b % 3 == 0,
                    "status": "published",
                });
                if n % 7 == 0 {
                    product["compare_at_price"] = json!({"amount": price * 125 / 100, "currency": "SAR"});
                }
                out.push(("/api/products", product));
            }
        }
    }
    Ok(out)
}

fn category_word(variants: &str, lang: &str) -> &'static str {
    match (variants, lang) {
        ("weight", "en") => "Weight",
        ("weight", _) => "الوزن",
        ("volume", "en") => "Volume",
        ("volume", _) => "الحجم",
        ("colour", "en") => "Colour",
        ("colour", _) => "اللون",
        ("size", "en") => "Size",
        ("size", _) => "المقاس",
        (_, "en") => "Edition",
        _ => "الطبعة",
    }
}

/// Seeds the catalogue on the shop at `base_url` (e.g. `http://127.0.0.1:5000`), signing in
/// with an admin's credentials; `progress` is told after each request (done, of total).
pub async fn seed(base_url: &str, email: &str, password: &str, progress: impl Fn(usize, usize)) -> anyhow::Result<SeedReport> {
    let client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(30)).build()?;
    let login = client
        .post(format!("{base_url}/api/auth/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .with_context(|| format!("no shop answers at {base_url}"))?;
    if !login.status().is_success() {
        bail!("signing in as {email} failed ({}): {}", login.status(), login.text().await.unwrap_or_default());
    }
    let session: Value = login.json().await?;
    let token = session["access_token"].as_str().context("the sign-in answer has no access token")?.to_owned();
    let requests = requests()?;
    let total = requests.len();
    let mut report = SeedReport::default();
    for (done, (path, body)) in requests.into_iter().enumerate() {
        let response = client.post(format!("{base_url}{path}")).bearer_auth(&token).json(&body).send().await?;
        match response.status().as_u16() {
            201 => report.created += 1,
            // The slug exists: seeded before.
            409 => report.present += 1,
            status => bail!("POST {path} answered {status}: {}", response.text().await.unwrap_or_default()),
        }
        progress(done + 1, total);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_has_eight_categories_and_two_hundred_products() {
        let requests = requests().unwrap();
        let products: Vec<&Value> = requests.iter().filter(|(p, _)| *p == "/api/products").map(|(_, b)| b).collect();
        assert_eq!(requests.len() - products.len(), 8);
        assert_eq!(products.len(), 200);
        let mut names: Vec<&str> = products.iter().map(|p| p["name"]["en"].as_str().unwrap()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 200, "every product has its own name");
        for product in products {
            assert!(product["name"]["ar"].as_str().unwrap().chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)));
            assert!(product["price"]["amount"].as_i64().unwrap() % 100 == 95);
        }
    }
}
