//! Blob keys: the names of stored files (`shop:platform/blobs`), served at `/uploads/{key}`.
//!
//! Every store of blobs (the host's directory, Spin's key-value store) and every server of
//! `/uploads/*` (the host, and the `uploads` component under Spin) applies the same rules, so
//! a key is a safe relative path everywhere and an upload is answered alike: a [`BlobKey`]
//! is parsed once where a key enters (a component's call, a request's path) and is valid
//! wherever it travels after.

use serde::{Deserialize, Serialize};

/// How long browsers and proxies may keep an upload: a year, never revalidated (keys name
/// their content: a new image is a new key).
pub const CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

/// An upload's Content-Security-Policy: even rendered as a page, it could run nothing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; sandbox";

/// The path blobs are served under: a key's URL is this prefix and the key.
pub const URL_PREFIX: &str = "/uploads/";

/// The longest key accepted, in bytes.
pub const MAX_KEY_LEN: usize = 255;

/// The name of a stored file: `/`-separated segments of `[a-z0-9._-]`, none empty and none
/// starting with `.` (so no `.`, `..` or hidden files), 1 to [`MAX_KEY_LEN`] bytes. A value
/// of this type is a safe relative path on every store of blobs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BlobKey(String);

/// Why a string is not a blob key (it carries the string, for the caller's error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid blob key {0:?}: it must be /-separated segments of a-z, 0-9, '.', '-' and '_', none empty or starting with '.', at most {MAX_KEY_LEN} bytes"
)]
pub struct InvalidBlobKey(pub String);

impl BlobKey {
    /// Parses a key, refusing anything that is not one.
    pub fn parse(raw: impl Into<String>) -> Result<Self, InvalidBlobKey> {
        let raw = raw.into();
        let valid = (1..=MAX_KEY_LEN).contains(&raw.len())
            && raw.split('/').all(|segment| {
                !segment.is_empty()
                    && !segment.starts_with('.')
                    && segment.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_'))
            });
        if valid { Ok(Self(raw)) } else { Err(InvalidBlobKey(raw)) }
    }

    /// The key of the blob a URL of this shop names (`/uploads/{key}`); None for any other
    /// URL.
    pub fn from_url(url: &str) -> Option<Self> {
        Self::parse(url.strip_prefix(URL_PREFIX)?).ok()
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The path it is served at.
    pub fn url(&self) -> String {
        format!("{URL_PREFIX}{}", self.0)
    }

    /// Its ETag: the key names the content, so it is a strong validator.
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.0)
    }

    /// Its media type, by the extension (the keys are the components' own).
    pub fn content_type(&self) -> &'static str {
        match self.0.rsplit_once('.').map(|(_, ext)| ext) {
            Some("webp") => "image/webp",
            Some("jpg" | "jpeg") => "image/jpeg",
            Some("png") => "image/png",
            _ => "application/octet-stream",
        }
    }
}

impl std::fmt::Display for BlobKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for BlobKey {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for BlobKey {
    type Error = InvalidBlobKey;

    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse(raw)
    }
}

impl From<BlobKey> for String {
    fn from(key: BlobKey) -> Self {
        key.0
    }
}

/// Whether a request's `If-None-Match` value (if any) already names this ETag, so the answer
/// is 304.
pub fn is_fresh(if_none_match: Option<&str>, etag: &str) -> bool {
    if_none_match.is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_safe_relative_paths() {
        assert_eq!(BlobKey::parse("products/0193/abc-640.webp").map(|k| k.to_string()), Ok("products/0193/abc-640.webp".to_owned()));
        for bad in ["", "/abs", "a//b", "../x", "a/./b", ".hidden", "A.webp", "a%2fb", "a b", "a/", &"a".repeat(256)] {
            assert_eq!(BlobKey::parse(bad), Err(InvalidBlobKey(bad.to_owned())), "{bad:?}");
        }
        assert!(BlobKey::parse("a".repeat(255)).is_ok());
    }

    #[test]
    fn a_key_has_one_url_and_a_url_of_another_place_has_no_key() {
        let key = BlobKey::parse("products/p/1.webp").unwrap();
        assert_eq!(key.url(), "/uploads/products/p/1.webp");
        assert_eq!(BlobKey::from_url(&key.url()), Some(key));
        for other in ["https://elsewhere/x.webp", "/uploads/../x", "/uploads/", "/api/products"] {
            assert_eq!(BlobKey::from_url(other), None, "{other}");
        }
    }

    #[test]
    fn keys_travel_as_strings_and_are_checked_when_read() {
        let key = BlobKey::parse("a/b.png").unwrap();
        assert_eq!(serde_json::to_string(&key).unwrap(), "\"a/b.png\"");
        assert_eq!(serde_json::from_str::<BlobKey>("\"a/b.png\"").unwrap(), key);
        assert!(serde_json::from_str::<BlobKey>("\"../b.png\"").is_err());
    }

    #[test]
    fn the_key_is_the_validator() {
        let tag = BlobKey::parse("products/p/a.webp").unwrap().etag();
        assert_eq!(tag, "\"products/p/a.webp\"");
        assert!(is_fresh(Some("\"x\", \"products/p/a.webp\""), &tag));
        assert!(is_fresh(Some("*"), &tag));
        assert!(!is_fresh(Some("\"products/p/b.webp\""), &tag));
        assert!(!is_fresh(None, &tag));
    }

    #[test]
    fn types_follow_the_extension() {
        let type_of = |key: &str| BlobKey::parse(key).unwrap().content_type();
        assert_eq!(type_of("products/p/abc.webp"), "image/webp");
        assert_eq!(type_of("a.png"), "image/png");
        assert_eq!(type_of("b.jpeg"), "image/jpeg");
        assert_eq!(type_of("noext"), "application/octet-stream");
        assert_eq!(type_of("a.html"), "application/octet-stream");
    }
}
