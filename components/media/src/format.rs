//! Which image format some bytes are, from their first bytes alone.
//!
//! A file's name and its declared media type are never consulted: an HTML page renamed
//! `photo.jpg` is HTML.

/// The formats the pipeline accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JPEG (JFIF or Exif).
    Jpeg,
    /// PNG, with or without alpha.
    Png,
    /// WebP, lossy or lossless.
    WebP,
}

impl Format {
    /// The format's short name, as reported to callers.
    pub fn name(self) -> &'static str {
        match self {
            Self::Jpeg => "jpeg",
            Self::Png => "png",
            Self::WebP => "webp",
        }
    }

    /// The format the bytes are in, or a description of what they look like instead.
    pub fn detect(bytes: &[u8]) -> Result<Self, &'static str> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Ok(Self::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Ok(Self::Png)
        } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
            Ok(Self::WebP)
        } else {
            Err(describe(bytes))
        }
    }
}

/// Whether a JPEG's structure is whole: its segments chain from the start-of-image marker to
/// an end-of-image marker, through every scan's entropy-coded data. Decoders are lenient
/// about truncation (they fill the missing part with grey); a truncated upload is refused.
pub fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let mut i = 2;
    while i + 1 < bytes.len() {
        if bytes[i] != 0xFF {
            return false;
        }
        let marker = bytes[i + 1];
        match marker {
            0xFF => i += 1,
            0xD9 => return true,
            0x01 | 0xD0..=0xD7 => i += 2,
            _ => {
                let Some(length) = bytes.get(i + 2..i + 4).map(|b| usize::from(u16::from_be_bytes([b[0], b[1]]))) else { return false };
                if length < 2 {
                    return false;
                }
                i += 2 + length;
                if marker == 0xDA {
                    // Entropy-coded data runs to the next marker that is neither a stuffed
                    // 0xFF00 nor a restart marker.
                    while i + 1 < bytes.len() && !(bytes[i] == 0xFF && bytes[i + 1] != 0 && !(0xD0..=0xD7).contains(&bytes[i + 1])) {
                        i += 1;
                    }
                }
            }
        }
    }
    false
}

/// A few words on what unaccepted bytes look like, for the error message.
fn describe(bytes: &[u8]) -> &'static str {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace()).map_or(&[][..], |i| &bytes[i..]);
    let lower: Vec<u8> = start.iter().take(16).map(u8::to_ascii_lowercase).collect();
    if bytes.is_empty() {
        "the file is empty"
    } else if bytes.starts_with(b"GIF8") {
        "it is a GIF"
    } else if bytes.starts_with(b"%PDF") {
        "it is a PDF"
    } else if lower.starts_with(b"<!doctype html") || lower.starts_with(b"<html") || lower.starts_with(b"<script") {
        "it looks like HTML"
    } else if lower.starts_with(b"<?xml") || lower.starts_with(b"<svg") {
        "it looks like XML or SVG"
    } else if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        "it looks like HEIC, AVIF or another ISO media file"
    } else {
        "its first bytes match no accepted format"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_signature() {
        assert_eq!(Format::detect(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), Ok(Format::Jpeg));
        assert_eq!(Format::detect(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Ok(Format::Png));
        assert_eq!(Format::detect(b"RIFF\x10\0\0\0WEBPVP8 "), Ok(Format::WebP));
    }

    #[test]
    fn a_jpeg_must_reach_its_end_marker() {
        // SOI, a 4-byte APP0, SOS (length 3 + 1 byte), entropy data with a stuffed FF00 and
        // a restart marker, then EOI.
        let whole = [0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 1, 2, 0xFF, 0xDA, 0, 3, 9, 5, 0xFF, 0, 7, 0xFF, 0xD0, 8, 0xFF, 0xD9];
        assert!(jpeg_is_complete(&whole));
        for cut in 3..whole.len() {
            assert!(!jpeg_is_complete(&whole[..cut]), "cut at {cut}");
        }
        // Data after the end marker (some cameras append some) is allowed.
        assert!(jpeg_is_complete(&[&whole[..], b"trailer"].concat()));
        assert!(!jpeg_is_complete(&[0xFF, 0xD8, 0x00, 0x00]));
    }

    #[test]
    fn refuses_and_describes_everything_else() {
        assert_eq!(Format::detect(b""), Err("the file is empty"));
        assert_eq!(Format::detect(b"  <!DOCTYPE html><html>"), Err("it looks like HTML"));
        assert_eq!(Format::detect(b"<svg xmlns=\"\">"), Err("it looks like XML or SVG"));
        assert_eq!(Format::detect(b"GIF89a\x01\0"), Err("it is a GIF"));
        assert_eq!(Format::detect(b"RIFF\x10\0\0\0WAVEfmt "), Err("its first bytes match no accepted format"));
        // A JPEG signature cut short is not a JPEG.
        assert!(Format::detect(&[0xFF, 0xD8]).is_err());
    }
}
