//! The JSON bodies of product writes (`POST`, `PUT`, `PATCH /api/products…`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| catalog::fuzzing::product_body(data));
