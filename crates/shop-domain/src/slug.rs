//! URL slugs: `lowercase-ascii-words`.

use serde::{Deserialize, Serialize};

/// The longest slug accepted.
pub const MAX_SLUG_LEN: usize = 80;

/// A URL-safe identifier: lowercase ASCII letters and digits in words joined by single
/// hyphens, 1 to [`MAX_SLUG_LEN`] characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

/// Why a string is not a slug.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    /// The string is empty.
    #[error("must not be empty")]
    Empty,
    /// The string is longer than [`MAX_SLUG_LEN`].
    #[error("must be at most {MAX_SLUG_LEN} characters")]
    TooLong,
    /// The string has a character or hyphen placement a slug may not have.
    #[error("may contain only lowercase letters a-z, digits and single hyphens between words")]
    BadCharacters,
}

impl Slug {
    /// Parses a slug, refusing anything that is not already in slug form.
    pub fn parse(raw: &str) -> Result<Self, SlugError> {
        if raw.is_empty() {
            return Err(SlugError::Empty);
        }
        if raw.len() > MAX_SLUG_LEN {
            return Err(SlugError::TooLong);
        }
        let well_formed = raw.split('-').all(|word| !word.is_empty() && word.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        if well_formed { Ok(Self(raw.to_owned())) } else { Err(SlugError::BadCharacters) }
    }

    /// Derives a slug from free text (typically an English name): ASCII letters and digits
    /// are kept, lowercased; every other run of characters becomes one hyphen. Returns
    /// `None` when nothing usable remains (e.g. an Arabic-only name).
    pub fn from_text(text: &str) -> Option<Self> {
        let mut slug = String::with_capacity(text.len());
        for c in text.chars() {
            if c.is_ascii_alphanumeric() {
                if slug.len() == MAX_SLUG_LEN {
                    break;
                }
                slug.push(c.to_ascii_lowercase());
            } else if !slug.is_empty() && !slug.ends_with('-') {
                slug.push('-');
            }
        }
        let trimmed = slug.trim_end_matches('-');
        Self::parse(trimmed).ok()
    }

    /// The slug as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Slug {
    type Error = SlugError;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse(&raw)
    }
}

impl From<Slug> for String {
    fn from(slug: Slug) -> Self {
        slug.0
    }
}

impl std::fmt::Display for Slug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_words_joined_by_hyphens() {
        assert_eq!(Slug::parse("home-and-garden-2").unwrap().as_str(), "home-and-garden-2");
    }

    #[test]
    fn refuses_bad_forms() {
        assert_eq!(Slug::parse(""), Err(SlugError::Empty));
        for bad in ["Home", "a--b", "-a", "a-", "a b", "ümlaut", "a/b"] {
            assert_eq!(Slug::parse(bad), Err(SlugError::BadCharacters), "{bad}");
        }
        assert_eq!(Slug::parse(&"a".repeat(MAX_SLUG_LEN + 1)), Err(SlugError::TooLong));
    }

    #[test]
    fn derives_from_names() {
        assert_eq!(Slug::from_text("  Home & Garden!  ").unwrap().as_str(), "home-garden");
        assert_eq!(Slug::from_text("إلكترونيات"), None);
    }

    proptest! {
        #[test]
        fn derived_slugs_always_parse(text in ".{0,200}") {
            if let Some(slug) = Slug::from_text(&text) {
                prop_assert!(Slug::parse(slug.as_str()).is_ok());
            }
        }
    }
}
