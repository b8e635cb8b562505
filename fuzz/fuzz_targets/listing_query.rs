//! `GET /api/products?…`: the query string (any bytes, as the host passes them on).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(query) = std::str::from_utf8(data) {
        catalog::fuzzing::listing_query(query);
    }
});
