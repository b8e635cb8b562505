//! Lossy WebP encoding through libwebp's simple API (the same defaults as `cwebp -q N`).

use std::ffi::{c_int, c_void};

/// Why encoding failed.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    /// The dimensions do not fit libwebp's limits (16,383 pixels a side).
    #[error("{width}×{height} is too large to encode as WebP")]
    TooLarge { width: u32, height: u32 },
    /// libwebp returned nothing (out of memory or an invalid picture).
    #[error("the WebP encoder failed")]
    Failed,
}

/// The largest side WebP can store.
pub const MAX_SIDE: u32 = 16_383;

/// Encodes tightly packed 8-bit RGB (`channels == 3`) or RGBA (`channels == 4`) pixels as
/// lossy WebP at `quality` (0–100). Alpha is kept only when some pixel is not opaque.
pub fn webp(pixels: &[u8], width: u32, height: u32, channels: u8, quality: u8) -> Result<Vec<u8>, EncodeError> {
    if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
        return Err(EncodeError::TooLarge { width, height });
    }
    let stride = width as usize * channels as usize;
    assert!(channels == 3 || channels == 4, "only RGB and RGBA are encoded");
    assert!(pixels.len() >= stride * height as usize, "the buffer is smaller than the picture");
    let mut output: *mut u8 = std::ptr::null_mut();
    // SAFETY: the buffer holds `height` rows of `stride` bytes (checked above); libwebp only
    // reads it, and on success hands back a buffer we own until `WebPFree`.
    let length = unsafe {
        let encode = if channels == 4 { libwebp_sys::WebPEncodeRGBA } else { libwebp_sys::WebPEncodeRGB };
        encode(pixels.as_ptr(), width as c_int, height as c_int, stride as c_int, f32::from(quality), &mut output)
    };
    if length == 0 || output.is_null() {
        return Err(EncodeError::Failed);
    }
    // SAFETY: libwebp wrote `length` bytes at `output`; they are copied out, then freed once.
    let bytes = unsafe {
        let bytes = std::slice::from_raw_parts(output, length).to_vec();
        libwebp_sys::WebPFree(output.cast::<c_void>());
        bytes
    };
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_rgb_and_rgba() {
        let rgb = vec![200u8; 16 * 8 * 3];
        let out = webp(&rgb, 16, 8, 3, 80).unwrap();
        assert!(out.starts_with(b"RIFF") && &out[8..12] == b"WEBP");
        let mut rgba = vec![0u8; 16 * 8 * 4];
        rgba.chunks_mut(4).enumerate().for_each(|(i, px)| px.copy_from_slice(&[255, 0, 0, (i * 2) as u8]));
        let out = webp(&rgba, 16, 8, 4, 80).unwrap();
        // A translucent picture carries an alpha chunk (in the extended format).
        assert_eq!(&out[12..16], b"VP8X");
        assert!(out.windows(4).any(|w| w == b"ALPH"));
    }

    #[test]
    fn refuses_sides_webp_cannot_store() {
        assert!(matches!(webp(&[], 0, 1, 3, 80), Err(EncodeError::TooLarge { .. })));
        assert!(matches!(webp(&[], 20_000, 1, 3, 80), Err(EncodeError::TooLarge { .. })));
    }
}
