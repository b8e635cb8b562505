//! Test images made in the tests (photo-like gradients, EXIF orientation, alpha, bombs), and
//! a look at the files the host stored. Shared by the `api` and `crash` test binaries.
#![allow(dead_code)]

use image::{ImageEncoder, Rgb, RgbImage, Rgba, RgbaImage};
use std::io::Cursor;
use std::path::Path;

/// A `width`×`height` RGB picture: the left half red-ish, the right half blue-ish, with a
/// gradient and some texture so the encoders have work to do.
pub fn halves(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        let shade = ((x * 7 + y * 13) % 40) as u8;
        if x < width / 2 { Rgb([200 + shade / 2, 30 + shade, 30]) } else { Rgb([30, 40 + shade, 200 + shade / 2]) }
    })
}

/// JPEG bytes of an RGB picture (quality 90).
pub fn jpeg(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(image).unwrap();
    out
}

/// PNG bytes of an RGBA picture.
pub fn png_rgba(image: &RgbaImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(image.as_raw(), image.width(), image.height(), image::ExtendedColorType::Rgba8)
        .unwrap();
    out
}

/// Lossless WebP bytes of an RGB picture (the `image` crate encodes only lossless).
pub fn webp(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut out)
        .write_image(image.as_raw(), image.width(), image.height(), image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

/// An RGBA picture whose left half is fully transparent and right half opaque green.
pub fn half_transparent(width: u32, height: u32) -> RgbaImage {
    RgbaImage::from_fn(width, height, |x, _| if x < width / 2 { Rgba([255, 255, 255, 0]) } else { Rgba([20, 180, 60, 255]) })
}

/// Inserts an Exif APP1 segment with the given orientation (1–8) right after the JPEG's
/// start-of-image marker.
pub fn with_exif_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    // Big-endian TIFF: header, one IFD entry (0x0112 SHORT 1 = orientation), no next IFD.
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    tiff.extend_from_slice(&1u16.to_be_bytes());
    tiff.extend_from_slice(&0x0112u16.to_be_bytes());
    tiff.extend_from_slice(&3u16.to_be_bytes());
    tiff.extend_from_slice(&1u32.to_be_bytes());
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&0u32.to_be_bytes());
    let mut segment = b"Exif\0\0".to_vec();
    segment.extend(tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((segment.len() + 2) as u16).to_be_bytes());
    out.extend(segment);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// A decompression bomb: a valid tiny PNG whose header declares `width`×`height` pixels.
pub fn png_bomb(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    image::codecs::png::PngEncoder::new(&mut bytes).write_image(&[0, 0, 0], 1, 1, image::ExtendedColorType::Rgb8).unwrap();
    // IHDR's data starts at 16 (8 signature + 4 length + 4 type) and is 13 bytes long.
    bytes[16..20].copy_from_slice(&width.to_be_bytes());
    bytes[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.to_be_bytes());
    bytes
}

/// Decodes WebP bytes (asserting they are WebP) into RGBA.
pub fn decode_webp(bytes: &[u8]) -> RgbaImage {
    assert!(bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP", "not WebP");
    image::ImageReader::with_format(Cursor::new(bytes), image::ImageFormat::WebP).decode().unwrap().into_rgba8()
}

/// Every file under a directory (the uploads), relative to it, sorted.
pub fn files_under(root: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.push(path.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}
