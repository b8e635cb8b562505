//! The media pipeline on untrusted bytes: JPEG, PNG and WebP decoding, resizing and WebP
//! encoding. Run with libFuzzer's `-malloc_limit_mb` at the media component's memory cap
//! (`SHOP_MEDIA_MEMORY_LIMIT_MB`, 256): no allocation may go past it. The pixel limit is
//! lower than the shop's (so each run is short); the decoders' allocation limit follows it.
#![no_main]

use media::pipeline::{Limits, PipelineError, process};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let limits = Limits { widths: vec![32, 160], quality: 50, max_bytes: 1 << 20, max_pixels: 1 << 20 };
    match process(data, &limits) {
        Ok(output) => {
            assert!(u64::from(output.width) * u64::from(output.height) <= limits.max_pixels);
            assert!(!output.variants.is_empty());
            for variant in &output.variants {
                assert!(variant.width <= output.width.max(1) && variant.height >= 1);
                assert!(variant.bytes.starts_with(b"RIFF") && variant.bytes.get(8..12) == Some(b"WEBP"), "a WebP file");
            }
        }
        Err(PipelineError::InvalidOptions(why)) => panic!("the options are valid: {why}"),
        Err(_) => {}
    }
});
