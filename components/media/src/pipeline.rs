//! Decode, orient, resize and encode: the whole path from untrusted bytes to WebP variants.
//!
//! Checks run cheapest first: options, byte length, format signature, then the header's
//! dimensions against the pixel limit, and only then are pixels decoded. Each variant is
//! resized from the decoded source *before* the EXIF orientation is applied, so a rotated
//! photo never needs a second full-size buffer.

use std::io::Cursor;

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader};

use crate::encode::{self, EncodeError};
use crate::format::Format;

/// What to produce and what to refuse.
#[derive(Debug, Clone)]
pub struct Limits {
    /// The widths wanted, in pixels.
    pub widths: Vec<u32>,
    /// Lossy WebP quality, 0–100.
    pub quality: u8,
    /// Inputs longer than this are refused unread.
    pub max_bytes: u64,
    /// Images of more pixels than this (from the header) are refused before decoding.
    pub max_pixels: u64,
}

/// The most widths one call may ask for.
pub const MAX_WIDTHS: usize = 8;
/// The narrowest width that may be asked for.
pub const MIN_WIDTH: u32 = 16;

/// One encoded output.
#[derive(Debug, Clone)]
pub struct Variant {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// WebP bytes.
    pub bytes: Vec<u8>,
}

/// A processed image.
#[derive(Debug, Clone)]
pub struct Output {
    /// The format detected from the bytes.
    pub format: Format,
    /// The source's width once oriented.
    pub width: u32,
    /// The source's height once oriented.
    pub height: u32,
    /// The outputs, narrowest first.
    pub variants: Vec<Variant>,
}

/// Why an image was refused.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// Not a JPEG, PNG or WebP.
    #[error("not a JPEG, PNG or WebP image: {0}")]
    Unsupported(&'static str),
    /// Over the byte limit.
    #[error("the file has {bytes} bytes; at most {max} are accepted")]
    TooLarge { bytes: u64, max: u64 },
    /// Over the pixel limit, or a side WebP cannot store.
    #[error("the image is {width}×{height} pixels; {limit}")]
    TooManyPixels { width: u32, height: u32, limit: String },
    /// Claims a format but does not decode.
    #[error("the {0}")]
    Corrupt(String),
    /// The options make no sense.
    #[error("invalid media options: {0}")]
    InvalidOptions(String),
}

impl Limits {
    fn check(&self) -> Result<(), PipelineError> {
        let invalid = |why: String| Err(PipelineError::InvalidOptions(why));
        if self.widths.is_empty() || self.widths.len() > MAX_WIDTHS {
            return invalid(format!("between 1 and {MAX_WIDTHS} widths are needed, not {}", self.widths.len()));
        }
        if let Some(width) = self.widths.iter().find(|w| !(MIN_WIDTH..=encode::MAX_SIDE).contains(w)) {
            return invalid(format!("width {width} is outside {MIN_WIDTH}–{}", encode::MAX_SIDE));
        }
        if self.quality > 100 {
            return invalid(format!("quality {} is above 100", self.quality));
        }
        if self.max_bytes == 0 || self.max_pixels == 0 {
            return invalid("the byte and pixel limits must be positive".to_owned());
        }
        Ok(())
    }
}

/// Processes one image under the limits.
pub fn process(bytes: &[u8], limits: &Limits) -> Result<Output, PipelineError> {
    limits.check()?;
    if bytes.len() as u64 > limits.max_bytes {
        return Err(PipelineError::TooLarge { bytes: bytes.len() as u64, max: limits.max_bytes });
    }
    let format = Format::detect(bytes).map_err(PipelineError::Unsupported)?;
    if format == Format::Jpeg && !crate::format::jpeg_is_complete(bytes) {
        return Err(PipelineError::Corrupt("JPEG is truncated: it ends before its end-of-image marker".to_owned()));
    }
    let corrupt = |error: ImageError| match error {
        ImageError::Limits(_) => PipelineError::Corrupt(format!("{} needs more memory to decode than its size allows", format.name())),
        other => PipelineError::Corrupt(format!("{} does not decode: {other}", format.name().to_uppercase())),
    };

    let mut reader = ImageReader::with_format(Cursor::new(bytes), image_format(format));
    let mut decode_limits = image::Limits::default();
    // Eight bytes a pixel covers 16-bit RGBA; the decoders refuse to allocate more.
    decode_limits.max_alloc = Some(limits.max_pixels.saturating_mul(8));
    reader.limits(decode_limits);
    let mut decoder = reader.into_decoder().map_err(corrupt)?;
    let (raw_width, raw_height) = decoder.dimensions();
    if u64::from(raw_width) * u64::from(raw_height) > limits.max_pixels {
        return Err(PipelineError::TooManyPixels {
            width: raw_width,
            height: raw_height,
            limit: format!("at most {} pixels are accepted", limits.max_pixels),
        });
    }
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let swaps =
        matches!(orientation, Orientation::Rotate90 | Orientation::Rotate270 | Orientation::Rotate90FlipH | Orientation::Rotate270FlipH);
    let (width, height) = if swaps { (raw_height, raw_width) } else { (raw_width, raw_height) };
    let widths = targets(&limits.widths, width);
    let widest = widths.last().copied().unwrap_or(width);
    // A JPEG is decoded straight at a smaller scale when the widest output allows (as
    // libvips does): a quarter of the pixels to decode at half size.
    let needed = (scaled_up(raw_width, widest, width), scaled_up(raw_height, widest, width));
    let scaled_jpeg =
        if format == Format::Jpeg && needed.0 <= raw_width / 2 { jpeg_at_least(bytes, needed, limits.max_pixels) } else { None };
    let source = match scaled_jpeg {
        Some(pixels) => pixels,
        None => {
            let source = DynamicImage::from_decoder(decoder).map_err(corrupt)?;
            if source.color().has_alpha() { Pixels::rgba(source) } else { Pixels::rgb(source) }
        }
    };

    let variants = widths
        .into_iter()
        .map(|target_width| {
            let target_height = scaled(height, target_width, width);
            let (raw_w, raw_h) = if swaps { (target_height, target_width) } else { (target_width, target_height) };
            let resized = source.resize(raw_w, raw_h);
            let (pixels, w, h) = resized.oriented(orientation);
            let bytes = encode::webp(&pixels, w, h, source.channels, limits.quality).map_err(|error| match error {
                EncodeError::TooLarge { width, height } => {
                    PipelineError::TooManyPixels { width, height, limit: format!("WebP stores at most {} pixels a side", encode::MAX_SIDE) }
                }
                EncodeError::Failed => PipelineError::Corrupt("image could not be encoded".to_owned()),
            })?;
            Ok(Variant { width: w, height: h, bytes })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Output { format, width, height, variants })
}

/// The widths to produce for a source `source_width` wide: every wanted width narrower than
/// the source, plus the source's own width when it is narrower than the widest wanted (never
/// upscaled). Ascending, without repeats.
pub fn targets(wanted: &[u32], source_width: u32) -> Vec<u32> {
    let mut widths: Vec<u32> = wanted.iter().copied().filter(|&w| w < source_width).collect();
    let widest = wanted.iter().copied().max().unwrap_or(source_width);
    widths.push(widest.min(source_width));
    widths.sort_unstable();
    widths.dedup();
    widths
}

/// `side` scaled by `to / from`, rounded, at least 1.
fn scaled(side: u32, to: u32, from: u32) -> u32 {
    ((u64::from(side) * u64::from(to) + u64::from(from) / 2) / u64::from(from)).max(1) as u32
}

/// `side` scaled by `to / from`, rounded up.
fn scaled_up(side: u32, to: u32, from: u32) -> u32 {
    (u64::from(side) * u64::from(to)).div_ceil(u64::from(from)) as u32
}

/// A JPEG decoded in the DCT domain at the smallest scale (1/8 steps) that is at least
/// `needed` (width, height), as RGB. `None` when the decoder cannot (CMYK or 16-bit
/// samples, or an error it will report again on the full-size path).
fn jpeg_at_least(bytes: &[u8], needed: (u32, u32), max_pixels: u64) -> Option<Pixels> {
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    decoder.set_max_decoding_buffer_size(usize::try_from(max_pixels.saturating_mul(3)).unwrap_or(usize::MAX));
    let (w, h) = (u16::try_from(needed.0).ok()?, u16::try_from(needed.1).ok()?);
    decoder.scale(w, h).ok()?;
    let data = decoder.decode().ok()?;
    let info = decoder.info()?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    let data = match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => data,
        jpeg_decoder::PixelFormat::L8 => data.iter().flat_map(|&l| [l, l, l]).collect(),
        _ => return None,
    };
    (data.len() == width as usize * height as usize * 3).then_some(Pixels { width, height, channels: 3, data })
}

fn image_format(format: Format) -> ImageFormat {
    match format {
        Format::Jpeg => ImageFormat::Jpeg,
        Format::Png => ImageFormat::Png,
        Format::WebP => ImageFormat::WebP,
    }
}

/// Tightly packed 8-bit RGB or RGBA pixels.
struct Pixels {
    width: u32,
    height: u32,
    channels: u8,
    data: Vec<u8>,
}

impl Pixels {
    fn rgb(image: DynamicImage) -> Self {
        let image = image.into_rgb8();
        Self { width: image.width(), height: image.height(), channels: 3, data: image.into_raw() }
    }

    fn rgba(image: DynamicImage) -> Self {
        let image = image.into_rgba8();
        Self { width: image.width(), height: image.height(), channels: 4, data: image.into_raw() }
    }

    fn pixel_type(&self) -> PixelType {
        if self.channels == 4 { PixelType::U8x4 } else { PixelType::U8x3 }
    }

    /// A Lanczos3 resize (premultiplying alpha when there is some), or a copy at full size.
    fn resize(&self, width: u32, height: u32) -> Self {
        if (width, height) == (self.width, self.height) {
            return Self { width, height, channels: self.channels, data: self.data.clone() };
        }
        let source = ImageRef::new(self.width, self.height, &self.data, self.pixel_type()).expect("the buffer matches its dimensions");
        let mut target = Image::new(width, height, self.pixel_type());
        let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
        Resizer::new().resize(&source, &mut target, &options).expect("same pixel type on both sides");
        Self { width, height, channels: self.channels, data: target.into_vec() }
    }

    /// The pixels with the EXIF orientation applied, and their dimensions.
    fn oriented(self, orientation: Orientation) -> (Vec<u8>, u32, u32) {
        if orientation == Orientation::NoTransforms {
            return (self.data, self.width, self.height);
        }
        let mut image = if self.channels == 4 {
            DynamicImage::ImageRgba8(image::RgbaImage::from_raw(self.width, self.height, self.data).expect("buffer size"))
        } else {
            DynamicImage::ImageRgb8(image::RgbImage::from_raw(self.width, self.height, self.data).expect("buffer size"))
        };
        image.apply_orientation(orientation);
        let (width, height) = (image.width(), image.height());
        (image.into_bytes(), width, height)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_never_upscale_and_keep_the_best_available() {
        let wanted = [320, 640, 1024, 1600];
        assert_eq!(targets(&wanted, 4000), vec![320, 640, 1024, 1600]);
        assert_eq!(targets(&wanted, 1600), vec![320, 640, 1024, 1600]);
        assert_eq!(targets(&wanted, 1200), vec![320, 640, 1024, 1200]);
        assert_eq!(targets(&wanted, 200), vec![200]);
        assert_eq!(targets(&[640, 320, 640], 5000), vec![320, 640]);
    }

    #[test]
    fn scaling_rounds_and_never_reaches_zero() {
        assert_eq!(scaled(3000, 1600, 4000), 1200);
        assert_eq!(scaled(1, 320, 4000), 1);
        assert_eq!(scaled(1001, 1, 2), 501);
    }

    #[test]
    fn options_are_checked_first() {
        let limits = |widths: Vec<u32>, quality| Limits { widths, quality, max_bytes: 1 << 20, max_pixels: 1 << 20 };
        for bad in [limits(vec![], 80), limits(vec![8], 80), limits(vec![320], 101), limits(vec![20_000], 80)] {
            assert!(matches!(process(b"", &bad), Err(PipelineError::InvalidOptions(_))), "{bad:?}");
        }
    }

    /// JPEG bytes of a picture whose top half is red and bottom half blue, with an Exif
    /// orientation.
    fn jpeg_top_red(width: u32, height: u32, orientation: u16) -> Vec<u8> {
        let image =
            image::RgbImage::from_fn(
                width,
                height,
                |_, y| if y < height / 2 { image::Rgb([220, 20, 20]) } else { image::Rgb([20, 20, 220]) },
            );
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90).encode_image(&image).unwrap();
        let mut exif = b"Exif\0\0MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01".to_vec();
        exif.extend_from_slice(&orientation.to_be_bytes());
        exif.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
        out.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
        out.extend(exif);
        out.extend_from_slice(&jpeg[2..]);
        out
    }

    #[test]
    fn a_large_rotated_jpeg_is_decoded_small_and_turned_upright() {
        // 1000×3400 stored, turned 90° clockwise to display: 3400×1000, red on the right.
        let bytes = jpeg_top_red(1000, 3400, 6);
        for widths in [vec![1600], vec![3400]] {
            let limits = Limits { widths: widths.clone(), quality: 80, max_bytes: 1 << 24, max_pixels: 1 << 24 };
            let output = process(&bytes, &limits).unwrap();
            assert_eq!((output.width, output.height), (3400, 1000));
            let variant = output.variants.last().unwrap();
            assert_eq!(variant.width, widths[0]);
            let decoded = image::load_from_memory_with_format(&variant.bytes, image::ImageFormat::WebP).unwrap().into_rgb8();
            assert_eq!((decoded.width(), decoded.height()), (variant.width, variant.height));
            let (left, right) = (
                decoded.get_pixel(decoded.width() / 8, decoded.height() / 2),
                decoded.get_pixel(decoded.width() * 7 / 8, decoded.height() / 2),
            );
            assert!(right[0] > 150 && right[2] < 100, "right is red: {right:?} ({widths:?})");
            assert!(left[2] > 150 && left[0] < 100, "left is blue: {left:?} ({widths:?})");
        }
    }
}
