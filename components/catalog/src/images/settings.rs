//! The image settings: component variables, each with a default.

use super::FIELD;
use crate::shop::platform::{config, media};
use shop_domain::Problem;

/// The image settings (component variables, each with a default).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Widths of the WebP variants (`image_widths`, default `320,640,1024,1600`).
    pub widths: Vec<u32>,
    /// WebP quality (`image_quality`, default 80).
    pub quality: u8,
    /// The largest file accepted (`image_max_bytes`, default 10 MiB).
    pub max_bytes: u64,
    /// The most pixels a source may have (`image_max_pixels`, default 40 million).
    pub max_pixels: u64,
    /// Files in one request (`image_max_files`, default 10).
    pub max_files: usize,
    /// Images one product may have (`image_max_per_product`, default 24).
    pub max_per_product: usize,
    /// How old an unfinished journal entry must be before it is swept
    /// (`image_sweep_after_seconds`, default 600: longer than any upload may run).
    pub sweep_after_ms: u64,
}

impl Settings {
    /// Reads the settings; a malformed variable is an operator's mistake (500, logged).
    pub fn load() -> Result<Self, Problem> {
        fn number<T: std::str::FromStr>(name: &str, default: T) -> Result<T, Problem> {
            match config::get(name) {
                None => Ok(default),
                Some(text) if text.trim().is_empty() => Ok(default),
                Some(text) => text.trim().parse().map_err(|_| misconfigured(name, &text)),
            }
        }
        let widths = match config::get("image_widths").filter(|t| !t.trim().is_empty()) {
            None => vec![320, 640, 1024, 1600],
            Some(text) => text
                .split(',')
                .map(|w| w.trim().parse::<u32>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| misconfigured("image_widths", &text))?,
        };
        let settings = Self {
            widths,
            quality: number("image_quality", 80u8)?,
            max_bytes: number("image_max_bytes", 10u64 << 20)?,
            max_pixels: number("image_max_pixels", 40_000_000u64)?,
            max_files: number("image_max_files", 10usize)?,
            max_per_product: number("image_max_per_product", 24usize)?,
            sweep_after_ms: number("image_sweep_after_seconds", 600u64)?.saturating_mul(1000),
        };
        if settings.quality > 100 {
            return Err(misconfigured("image_quality", &settings.quality.to_string()));
        }
        Ok(settings)
    }

    pub(super) fn options(&self) -> media::Options {
        media::Options { widths: self.widths.clone(), quality: self.quality, max_bytes: self.max_bytes, max_pixels: self.max_pixels }
    }

    /// What upload forms may carry, with `extra` fields besides the image files.
    pub fn form(&self, extra: usize) -> api_kit::multipart::FormLimits {
        api_kit::multipart::FormLimits {
            fields: if extra > 0 { &[FIELD, "product"] } else { &[FIELD] },
            max_parts: self.max_files + extra,
            // Parts over the image limit are refused as they are read, before any processing.
            max_part_bytes: self.max_bytes.max(1 << 20),
        }
    }
}

pub(super) fn misconfigured(name: &str, value: &str) -> Problem {
    eprintln!("catalog: the variable {name} has an unusable value {value:?}");
    Problem::internal()
}
