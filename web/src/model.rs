//! What the storefront reads from and writes to the shop's API, and its errors.

use crate::i18n::Lang;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};
pub use shop_domain::{FieldError, Money};

/// Text in both languages; Arabic falls back to English when it is missing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Text {
    /// English (always present).
    #[serde(default)]
    pub en: String,
    /// Arabic (may be empty on a draft).
    #[serde(default)]
    pub ar: String,
}

impl Text {
    /// The text in `lang`, or in English when that one is missing.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Ar if !self.ar.trim().is_empty() => &self.ar,
            _ => &self.en,
        }
    }
}

/// A category as a product names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryRef {
    /// Its id.
    pub id: String,
    /// Its slug (the URL of its page).
    pub slug: String,
    /// Its name.
    pub name: Text,
}

/// A category of the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Category {
    /// Its id.
    pub id: String,
    /// Its slug.
    pub slug: String,
    /// Its name.
    pub name: Text,
    /// Published products in it.
    #[serde(default)]
    pub product_count: u64,
    /// Its place in lists.
    #[serde(default)]
    pub sort_order: i64,
    /// The stored version.
    #[serde(default)]
    pub version: u64,
}

/// One size of an image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    /// Where the host serves it (`/uploads/…`).
    pub url: String,
    /// Pixels across.
    pub width: u32,
    /// Pixels down.
    pub height: u32,
}

/// A product image with its sizes, narrowest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Image {
    /// Its id within the product.
    pub id: String,
    /// The widest variant's width.
    pub width: u32,
    /// The widest variant's height.
    pub height: u32,
    /// The sizes.
    pub variants: Vec<Variant>,
}

impl Image {
    /// The `srcset` attribute: every variant with its width.
    pub fn srcset(&self) -> String {
        self.variants.iter().map(|v| format!("{} {}w", v.url, v.width)).collect::<Vec<_>>().join(", ")
    }

    /// The narrowest variant at least `width` pixels wide (or the widest there is).
    pub fn at_least(&self, width: u32) -> Option<&Variant> {
        self.variants.iter().find(|v| v.width >= width).or_else(|| self.variants.last())
    }
}

/// A product as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Product {
    /// Its id.
    pub id: String,
    /// Its slug (the URL of its page).
    pub slug: String,
    /// Its name.
    pub name: Text,
    /// Its description.
    #[serde(default)]
    pub description: Text,
    /// What it costs.
    pub price: Money,
    /// The "was" price, when it is on sale.
    #[serde(default)]
    pub compare_at_price: Option<Money>,
    /// Units in stock.
    #[serde(default)]
    pub stock: i64,
    /// Whether any are in stock.
    #[serde(default)]
    pub in_stock: bool,
    /// Its category.
    #[serde(default)]
    pub category: Option<CategoryRef>,
    /// Shown on the home page.
    #[serde(default)]
    pub featured: bool,
    /// `draft` or `published`.
    #[serde(default)]
    pub status: String,
    /// Its images, in order.
    #[serde(default)]
    pub images: Vec<Image>,
    /// The stored version.
    #[serde(default)]
    pub version: u64,
}

/// One page of products.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProductPage {
    /// The products on this page.
    pub items: Vec<Product>,
    /// Products across all pages.
    pub total: u64,
    /// This page's number, from 1.
    pub page: u64,
    /// Products per page.
    pub per_page: u64,
}

impl ProductPage {
    /// How many pages there are (at least one).
    pub fn pages(&self) -> u64 {
        self.total.div_ceil(self.per_page.max(1)).max(1)
    }
}

/// A user account, as admins see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// Its id.
    pub id: String,
    /// Its email.
    pub email: String,
    /// `admin` or `customer`.
    pub role: String,
    /// Whether it may sign in.
    #[serde(default)]
    pub disabled: bool,
    /// The stored version.
    #[serde(default)]
    pub version: u64,
}

/// One page of users.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserPage {
    /// The users on this page.
    pub items: Vec<User>,
    /// Users across all pages.
    pub total: u64,
}

/// Why a page or an action could not be done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// The API could not be reached, or failed (a 5xx).
    #[error("the shop's API is unavailable: {0}")]
    Unavailable(String),
    /// What was asked for does not exist.
    #[error("not found")]
    NotFound,
    /// Not signed in, or not an admin.
    #[error("sign-in required")]
    Unauthorized,
    /// The API refused the request; `errors` names the fields.
    #[error("{title}")]
    Refused {
        /// The HTTP status the API answered.
        status: u16,
        /// The problem's title.
        title: String,
        /// Its detail.
        detail: Option<String>,
        /// The invalid fields.
        errors: Vec<FieldError>,
    },
    /// The request from the browser was malformed or forged (CSRF).
    #[error("bad request: {0}")]
    BadRequest(String),
}

impl AppError {
    /// The messages for `field` and the fields under it (`price` covers `price.amount`), if
    /// the API named any.
    pub fn field(&self, field: &str) -> Option<String> {
        let AppError::Refused { errors, .. } = self else { return None };
        let messages: Vec<&str> = errors
            .iter()
            .filter(|e| e.field == field || e.field.strip_prefix(field).is_some_and(|rest| rest.starts_with('.') || rest.starts_with('[')))
            .map(|e| e.message.as_str())
            .collect();
        (!messages.is_empty()).then(|| messages.join("; "))
    }

    /// The HTTP status this error answers with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Unavailable(_) => 503,
            AppError::NotFound => 404,
            AppError::Unauthorized => 401,
            AppError::Refused { status, .. } => *status,
            AppError::BadRequest(_) => 400,
        }
    }

    /// Whether the API named any field.
    pub fn has_fields(&self) -> bool {
        matches!(self, AppError::Refused { errors, .. } if !errors.is_empty())
    }

    /// What to tell a person, in a sentence.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            AppError::Unavailable(_) => lang.t("error-unavailable"),
            AppError::NotFound => lang.t("not-found-text"),
            AppError::Unauthorized => lang.t("admin-not-allowed"),
            AppError::Refused { title, detail, .. } => detail.clone().unwrap_or_else(|| title.clone()),
            AppError::BadRequest(why) => why.clone(),
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Request(why) => AppError::Unavailable(why),
            other => AppError::BadRequest(other.to_string()),
        }
    }
}
