//! The media component: a pure function from untrusted bytes to web-ready images.
//!
//! It imports nothing: no store, no clock, no files. A hostile image can at worst exhaust
//! this instance's own memory and time, which the host caps. The work itself lives in
//! [`pipeline`], plain Rust tested natively.

pub mod encode;
pub mod format;
pub mod pipeline;

wit_bindgen::generate!({
    path: "../../wit",
    world: "media-service",
    generate_all,
});

use exports::shop::platform::media::{Guest, ImageVariant, MediaError, Options, Processed};
use pipeline::{Limits, PipelineError};

struct Media;

impl Guest for Media {
    fn process_image(bytes: Vec<u8>, options: Options) -> Result<Processed, MediaError> {
        let limits =
            Limits { widths: options.widths, quality: options.quality, max_bytes: options.max_bytes, max_pixels: options.max_pixels };
        let output = pipeline::process(&bytes, &limits).map_err(|error| {
            let message = error.to_string();
            match error {
                PipelineError::Unsupported(_) => MediaError::UnsupportedFormat(message),
                PipelineError::TooLarge { .. } => MediaError::TooLarge(message),
                PipelineError::TooManyPixels { .. } => MediaError::TooManyPixels(message),
                PipelineError::Corrupt(_) => MediaError::Corrupt(message),
                PipelineError::InvalidOptions(_) => MediaError::InvalidOptions(message),
            }
        })?;
        Ok(Processed {
            source_format: output.format.name().to_owned(),
            width: output.width,
            height: output.height,
            variants: output.variants.into_iter().map(|v| ImageVariant { width: v.width, height: v.height, bytes: v.bytes }).collect(),
        })
    }
}

// A native fuzz build (`--cfg fuzzing`) links this crate's cdylib too, and no native linker
// takes the component model's export names (`shop:platform/…#…`): it exports nothing.
#[cfg(not(fuzzing))]
export!(Media);
