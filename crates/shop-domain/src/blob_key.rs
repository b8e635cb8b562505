//! Blob keys: the names of stored files (`shop:platform/blobs`), served at `/uploads/{key}`.
//!
//! Every store of blobs (the host's directory, Spin's key-value store) and every server of
//! `/uploads/*` (the host, and the `uploads` component under Spin) applies the same rules, so
//! a key is a safe relative path everywhere and an upload is answered alike.

/// How long browsers and proxies may keep an upload: a year, never revalidated (keys name
/// their content: a new image is a new key).
pub const CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

/// An upload's Content-Security-Policy: even rendered as a page, it could run nothing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; sandbox";

/// An upload's ETag: the key names the content, so it is a strong validator.
pub fn etag(key: &str) -> String {
    format!("\"{key}\"")
}

/// Whether a request's `If-None-Match` value (if any) already names this ETag, so the answer
/// is 304.
pub fn is_fresh(if_none_match: Option<&str>, etag: &str) -> bool {
    if_none_match.is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
}

/// Whether a key is valid: `/`-separated segments of `[a-z0-9._-]`, none empty, and none
/// starting with `.` (so no `.`, `..` or hidden files), at most 255 bytes.
pub fn is_valid(key: &str) -> bool {
    (1..=255).contains(&key.len())
        && key.split('/').all(|segment| {
            !segment.is_empty()
                && !segment.starts_with('.')
                && segment.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_'))
        })
}

/// The media type of a blob, by its key's extension (the keys are the components' own).
pub fn content_type(key: &str) -> &'static str {
    match key.rsplit_once('.').map(|(_, ext)| ext) {
        Some("webp") => "image/webp",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_safe_relative_paths() {
        assert!(is_valid("products/0193/abc-640.webp"));
        for bad in ["", "/abs", "a//b", "../x", "a/./b", ".hidden", "A.webp", "a%2fb", "a b", &"a".repeat(256)] {
            assert!(!is_valid(bad), "{bad:?}");
        }
    }

    #[test]
    fn the_key_is_the_validator() {
        let tag = etag("products/p/a.webp");
        assert_eq!(tag, "\"products/p/a.webp\"");
        assert!(is_fresh(Some("\"x\", \"products/p/a.webp\""), &tag));
        assert!(is_fresh(Some("*"), &tag));
        assert!(!is_fresh(Some("\"products/p/b.webp\""), &tag));
        assert!(!is_fresh(None, &tag));
    }

    #[test]
    fn types_follow_the_extension() {
        assert_eq!(content_type("products/p/abc.webp"), "image/webp");
        assert_eq!(content_type("a.png"), "image/png");
        assert_eq!(content_type("noext"), "application/octet-stream");
        assert_eq!(content_type("a.html"), "application/octet-stream");
    }
}
