//! Image uploads (R6): the type is sniffed from the bytes, never taken from the name;
//! only PNG, JPEG, GIF and WebP, at most 2 MB.

pub const MAX_IMAGE_BYTES: usize = 2 * 1024 * 1024;

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
}
