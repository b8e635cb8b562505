//! What the storefront reads from and writes to the shop's API, and its errors.

use crate::i18n::Lang;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};
pub use shop_domain::{FieldError, Money};

pub use shop_domain::accounts::{Role, User, UserPage};
pub use shop_domain::catalog::{Category, CategorySummary, Image, ImageVariant, Product, ProductPage, ProductStatus};
pub use shop_domain::orders::{Address, Cart as ServerCart, CartLine, LineIssue, Order, OrderLine, OrderPage, OrderStatus, PaymentMethod};
pub use shop_domain::{LocalizedText, Translations};

/// Text in the language a page is shown in. Arabic falls back to English where it is
/// missing (a draft's, or one written before its translation).
pub trait InLang {
    /// The text in `lang`, or in English when that one is missing.
    fn in_lang(&self, lang: Lang) -> &str;
}

impl InLang for Translations {
    fn in_lang(&self, lang: Lang) -> &str {
        let english = self.en.as_deref().unwrap_or_default();
        match (lang, self.ar.as_deref()) {
            (Lang::Ar, Some(arabic)) if !arabic.trim().is_empty() => arabic,
            _ => english,
        }
    }
}

impl InLang for LocalizedText {
    fn in_lang(&self, lang: Lang) -> &str {
        match lang {
            Lang::Ar if !self.ar.trim().is_empty() => &self.ar,
            _ => &self.en,
        }
    }
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
