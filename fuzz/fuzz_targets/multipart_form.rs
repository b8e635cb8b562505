//! `multipart/form-data` uploads: the input's first line is the `Content-Type` (with its
//! boundary), the rest the body. Read with the image routes' limits; what is accepted keeps
//! them, what is refused is a 400, 413 or 422 naming why.
#![no_main]

use api_kit::multipart::{FormLimits, parse_form};
use futures_util::FutureExt;

const LIMITS: FormLimits = FormLimits { fields: &["images"], max_parts: 4, max_part_bytes: 4096 };

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let Ok(content_type) = std::str::from_utf8(&data[..split]) else { return };
    let body = bytes::Bytes::copy_from_slice(data.get(split + 1..).unwrap_or_default());
    let read = parse_form(content_type, body, &LIMITS).now_or_never().expect("a whole body is read without waiting");
    match read {
        Ok(parts) => {
            assert!((1..=LIMITS.max_parts).contains(&parts.len()));
            for part in parts {
                assert_eq!(part.name, "images");
                assert!(part.bytes.len() as u64 <= LIMITS.max_part_bytes);
            }
        }
        Err(problem) => {
            assert!(matches!(problem.status, 400 | 413 | 422), "{problem:?}");
            assert!(problem.status == 400 || !problem.errors.is_empty(), "{problem:?} names the field");
        }
    }
});
