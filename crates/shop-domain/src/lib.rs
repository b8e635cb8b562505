//! Domain types shared by the shop's components and storefront.
//!
//! Parse, don't validate: each type's constructor checks its input once, so a value of the
//! type is known to be valid wherever it travels. Validation errors carry the field path
//! they concern, for `application/problem+json` answers that name the bad field.
#![deny(missing_docs)]

pub mod accounts;
pub mod blob_key;
pub mod catalog;
pub mod fields;
pub mod localized;
pub mod mail;
pub mod money;
pub mod orders;
pub mod problem;
pub mod slug;
pub mod time;

pub use fields::{FieldError, FieldErrors};
pub use localized::{LocalizedText, TextRules, Translations};
pub use money::Money;
pub use problem::Problem;
pub use slug::Slug;
