//! Blob keys: the names of stored files (`shop:platform/blobs`), served at `/uploads/{key}`.
//!
//! Every store of blobs (the host's directory, Spin's key-value store) and every server of
//! `/uploads/*` applies the same rule, so a key is a safe relative path everywhere.

/// Whether a key is valid: `/`-separated segments of `[a-z0-9._-]`, none empty, and none
/// starting with `.` (so no `.`, `..` or hidden files), at most 255 bytes.
pub fn is_valid(key: &str) -> bool {
    (1..=255).contains(&key.len())
        && key.split('/').all(|segment| {
            !segment.is_empty() && !segment.starts_with('.') && segment.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_'))
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
    fn types_follow_the_extension() {
        assert_eq!(content_type("products/p/abc.webp"), "image/webp");
        assert_eq!(content_type("a.png"), "image/png");
        assert_eq!(content_type("noext"), "application/octet-stream");
        assert_eq!(content_type("a.html"), "application/octet-stream");
    }
}
