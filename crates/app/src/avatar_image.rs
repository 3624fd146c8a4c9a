//! Profile pictures: decoded with limits (size, pixels, allocation), turned upright, cropped
//! square and re-encoded as 256 px and 64 px PNG — re-encoding keeps no metadata (EXIF, GPS).
//! Where the results are kept is [`crate::avatars::AvatarFiles`].

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, imageops::FilterType};
use std::io::Cursor;

/// Largest upload accepted, in bytes (5 MiB).
pub const MAX_UPLOAD: usize = 5 * 1024 * 1024;
/// Most pixels a picture may have (40 megapixels): larger ones are refused before decoding.
pub const MAX_PIXELS: u64 = 40_000_000;
/// The sizes kept, in pixels (square).
pub const SIZES: [u32; 2] = [256, 64];

/// Why a picture was refused; the message is for the person who uploaded it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AvatarError {
    #[error("is empty: choose a picture file")]
    Empty,
    #[error("is not a JPEG, PNG, WebP or GIF picture")]
    NotAPicture,
    #[error("has {0} megapixels; at most 40 are accepted")]
    TooManyPixels(u64),
    #[error("could not be read as a picture (it may be damaged or cut off)")]
    Damaged,
}

/// The two square PNGs made from an upload.
pub struct Processed {
    /// `(size, png bytes)` for each of [`SIZES`].
    pub images: Vec<(u32, Vec<u8>)>,
}

/// Decodes `bytes` with limits, applies its orientation, crops the centre square and encodes each size.
pub fn process(bytes: &[u8]) -> Result<Processed, AvatarError> {
    if bytes.is_empty() {
        return Err(AvatarError::Empty);
    }
    let format = image::guess_format(bytes).map_err(|_| AvatarError::NotAPicture)?;
    if !matches!(format, ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP | ImageFormat::Gif) {
        return Err(AvatarError::NotAPicture);
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(20_000);
    limits.max_image_height = Some(20_000);
    // Decompression bombs: no single allocation beyond what 40 MP of RGBA needs.
    limits.max_alloc = Some(MAX_PIXELS * 4 + 16 * 1024 * 1024);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| match e {
        image::ImageError::Limits(_) => AvatarError::TooManyPixels(0),
        _ => AvatarError::Damaged,
    })?;
    let (w, h) = decoder.dimensions();
    let pixels = u64::from(w) * u64::from(h);
    if pixels > MAX_PIXELS {
        return Err(AvatarError::TooManyPixels(pixels.div_ceil(1_000_000)));
    }
    if w == 0 || h == 0 {
        return Err(AvatarError::Damaged);
    }
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| match e {
        image::ImageError::Limits(_) => AvatarError::TooManyPixels(pixels.div_ceil(1_000_000)),
        _ => AvatarError::Damaged,
    })?;
    img.apply_orientation(orientation);
    let side = img.width().min(img.height());
    // A view of the centre square, not a copy: the full-size picture is held once.
    let square = image::imageops::crop_imm(&img, (img.width() - side) / 2, (img.height() - side) / 2, side, side);
    let largest = image::imageops::resize(&*square, SIZES[0], SIZES[0], FilterType::Lanczos3);
    drop(img);
    let mut images = Vec::new();
    for size in SIZES {
        let resized = if size == SIZES[0] {
            largest.clone()
        } else {
            image::imageops::resize(&largest, size, size, FilterType::Lanczos3)
        };
        let mut out = Cursor::new(Vec::new());
        resized.write_to(&mut out, ImageFormat::Png).map_err(|_| AvatarError::Damaged)?;
        images.push((size, out.into_inner()));
    }
    Ok(Processed { images })
}
