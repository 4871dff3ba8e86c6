//! Image uploads (R6): the type is sniffed from the bytes, never taken from the name;
//! only PNG, JPEG, GIF and WebP, at most 2 MB and 4,096 pixels a side. What is stored is
//! not what was sent: the image is decoded and encoded again (a JPEG as JPEG, anything
//! else as PNG), so whatever rode along after or inside the pixels is gone.

pub const MAX_IMAGE_BYTES: usize = 2 * 1024 * 1024;
/// The largest width or height accepted (an avatar or a card image needs far less).
pub const MAX_SIDE: u32 = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageKind {
    Png,
    Jpeg,
    Gif,
    Webp,
}

impl ImageKind {
    pub fn content_type(self) -> &'static str {
        match self {
            ImageKind::Png => "image/png",
            ImageKind::Jpeg => "image/jpeg",
            ImageKind::Gif => "image/gif",
            ImageKind::Webp => "image/webp",
        }
    }

    pub fn from_content_type(value: &str) -> Option<Self> {
        [
            ImageKind::Png,
            ImageKind::Jpeg,
            ImageKind::Gif,
            ImageKind::Webp,
        ]
        .into_iter()
        .find(|k| k.content_type() == value)
    }
}

/// The image type of `bytes`, or a message for the upload field.
pub fn sniff(bytes: &[u8]) -> Result<ImageKind, String> {
    if bytes.is_empty() {
        return Err("The file is empty.".into());
    }
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err("Images can be at most 2 MB.".into());
    }
    let kind = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(ImageKind::Png)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageKind::Jpeg)
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some(ImageKind::Gif)
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(ImageKind::Webp)
    } else {
        None
    };
    kind.ok_or_else(|| "Upload a PNG, JPEG, GIF or WebP image.".into())
}

/// Decodes `bytes` (already sniffed as `kind`) within the size limits and encodes the
/// pixels again; the kind and bytes to store, or a message for the upload field. CPU work:
/// call it off the async threads.
#[cfg(feature = "ssr")]
pub fn reencode(kind: ImageKind, bytes: &[u8]) -> Result<(ImageKind, Vec<u8>), String> {
    use image::{ImageFormat, ImageReader};
    let format = match kind {
        ImageKind::Png => ImageFormat::Png,
        ImageKind::Jpeg => ImageFormat::Jpeg,
        ImageKind::Gif => ImageFormat::Gif,
        ImageKind::Webp => ImageFormat::WebP,
    };
    let unreadable =
        || "The image could not be read. Upload a PNG, JPEG, GIF or WebP image.".to_string();
    let mut reader = ImageReader::with_format(std::io::Cursor::new(bytes), format);
    reader.limits(limits());
    let too_big = || format!("Images can be at most {MAX_SIDE} × {MAX_SIDE} pixels.");
    // The header first: an absurd size is refused before any pixel is allocated.
    let (w, h) = reader.into_dimensions().map_err(|e| match e {
        image::ImageError::Limits(_) => too_big(),
        _ => unreadable(),
    })?;
    if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE {
        return Err(too_big());
    }
    let mut reader = ImageReader::with_format(std::io::Cursor::new(bytes), format);
    reader.limits(limits());
    let pixels = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => too_big(),
        _ => unreadable(),
    })?;
    let mut out = std::io::Cursor::new(Vec::new());
    let stored = if kind == ImageKind::Jpeg {
        let rgb = pixels.to_rgb8();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
            .encode_image(&rgb)
            .map_err(|_| unreadable())?;
        ImageKind::Jpeg
    } else {
        pixels
            .write_to(&mut out, ImageFormat::Png)
            .map_err(|_| unreadable())?;
        ImageKind::Png
    };
    Ok((stored, out.into_inner()))
}

#[cfg(feature = "ssr")]
fn limits() -> image::Limits {
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(128 * 1024 * 1024);
    limits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_the_four_kinds() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest").unwrap(), ImageKind::Png);
        assert_eq!(
            sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]).unwrap(),
            ImageKind::Jpeg
        );
        assert_eq!(sniff(b"GIF89a....").unwrap(), ImageKind::Gif);
        assert_eq!(sniff(b"GIF87a....").unwrap(), ImageKind::Gif);
        assert_eq!(sniff(b"RIFF\x10\0\0\0WEBPVP8 ").unwrap(), ImageKind::Webp);
    }

    #[test]
    fn refuses_everything_else() {
        for bad in [
            &b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>"[..],
            b"<?xml version=\"1.0\"?><svg/>",
            b"<html><script>alert(1)</script>",
            b"%PDF-1.7",
            b"RIFF\x10\0\0\0WAVEfmt ",
            b"\x89PNX",
            b"GIF90a",
            b"",
        ] {
            assert!(sniff(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn refuses_more_than_2_mb() {
        let mut big = b"\x89PNG\r\n\x1a\n".to_vec();
        big.resize(MAX_IMAGE_BYTES, 0);
        assert!(sniff(&big).is_ok());
        big.push(0);
        assert_eq!(sniff(&big).unwrap_err(), "Images can be at most 2 MB.");
    }

    #[cfg(feature = "ssr")]
    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbaImage::from_pixel(w, h, image::Rgba([10, 20, 30, 255]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn a_real_image_is_stored_as_its_pixels_only() {
        let mut sent = png(3, 2);
        sent.extend_from_slice(b"<html><script>alert(1)</script></html>");
        let (kind, stored) = reencode(ImageKind::Png, &sent).unwrap();
        assert_eq!(kind, ImageKind::Png);
        assert!(
            !stored.windows(7).any(|w| w == b"<script"),
            "the trailer is gone"
        );
        let back = image::load_from_memory(&stored).unwrap();
        assert_eq!((back.width(), back.height()), (3, 2));
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn a_header_that_declares_absurd_dimensions_is_refused() {
        // A valid PNG signature and IHDR chunk claiming 50,000 × 50,000, then nothing.
        let png = crate::backend::testing::png_header_claiming(50_000, 50_000);
        let e = reencode(ImageKind::Png, &png).unwrap_err();
        assert!(e.contains("4096"), "{e}");
        // A GIF header followed by HTML is not an image.
        // (Its width and height are the bytes of "<h" and "tm".)
        let e = reencode(ImageKind::Gif, b"GIF89a<html><script>alert(1)</script>").unwrap_err();
        assert!(e.contains("could not be read") || e.contains("4096"), "{e}");
        let e = reencode(ImageKind::Gif, b"GIF89a\x01\x00\x01\x00<html>").unwrap_err();
        assert!(e.contains("could not be read"), "{e}");
    }
}
