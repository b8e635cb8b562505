//! The JSON bodies of category writes (`POST`, `PUT /api/categories…`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| catalog::fuzzing::category_body(data));
