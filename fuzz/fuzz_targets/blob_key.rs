//! The blob-key grammar: every key accepted is a safe relative path on every store of blobs.
#![no_main]

use shop_domain::blob_key::{BlobKey, MAX_KEY_LEN};
use std::path::{Component, Path};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let url_key = BlobKey::from_url(text);
    let Ok(key) = BlobKey::parse(text) else {
        assert!(url_key.is_none_or(|key| text.ends_with(key.as_str())));
        return;
    };
    let raw = key.as_str();
    assert!((1..=MAX_KEY_LEN).contains(&raw.len()));
    // Under any directory it names a file inside that directory, and only through plain names.
    assert!(Path::new(raw).components().all(|part| matches!(part, Component::Normal(name) if !name.is_empty())), "{raw:?}");
    assert!(!raw.starts_with('/') && !raw.contains("//") && !raw.split('/').any(|s| s == ".." || s == "."));
    // It reads back as itself, from its URL too, and through serde.
    assert_eq!(BlobKey::parse(raw), Ok(key.clone()));
    assert_eq!(BlobKey::from_url(&format!("/uploads/{raw}")), Some(key.clone()));
    let json = serde_json::to_string(&key).expect("a key serialises");
    assert_eq!(json, format!("\"{raw}\""), "a key's characters need no escaping");
    assert_eq!(serde_json::from_str::<BlobKey>(&json).ok(), Some(key));
});
