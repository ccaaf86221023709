//! Camera buffers and image files to 8-bit luma without colour work: QR codes need brightness only.

use std::path::Path;

use image::GrayImage;

use crate::Error;

/// YUYV (YUY2) is Y0 U Y1 V per two pixels: the luma is every other byte, no conversion.
pub fn yuyv_luma(width: u32, height: u32, buf: &[u8]) -> Result<GrayImage, Error> {
    let need = width as usize * height as usize * 2;
    if buf.len() < need {
        return Err(Error::FrameBuffer { width, height, format: "YUYV", got: buf.len() });
    }
    let luma = buf[..need].iter().step_by(2).copied().collect();
    Ok(GrayImage::from_raw(width, height, luma).expect("sized from dimensions"))
}

/// MJPEG frames are YCbCr JPEGs; asking the decoder for luma skips chroma upsampling and the
/// colour transform entirely.
pub fn mjpeg_luma(buf: &[u8]) -> Result<GrayImage, Error> {
    let bad = || Error::FrameBuffer { width: 0, height: 0, format: "MJPEG", got: buf.len() };
    let options =
        zune_core::options::DecoderOptions::default().jpeg_set_out_colorspace(zune_core::colorspace::ColorSpace::Luma);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(std::io::Cursor::new(buf), options);
    let pixels = decoder.decode().map_err(|_| bad())?;
    let info = decoder.info().ok_or_else(bad)?;
    GrayImage::from_raw(info.width as u32, info.height as u32, pixels).ok_or_else(bad)
}

/// Larger sides than this are refused before decoding: no camera at a gate makes them, and
/// the pixel buffer alone would be hundreds of megabytes.
const MAX_SIDE: u32 = 16_384;

/// Loads any supported image file as 8-bit luma.
pub fn load_luma(path: &Path) -> Result<GrayImage, Error> {
    let reader = image::ImageReader::open(path)
        .map_err(|e| Error::ImageRead { path: path.to_path_buf(), reason: e.to_string() })?;
    let reader = reader
        .with_guessed_format()
        .map_err(|e| Error::ImageRead { path: path.to_path_buf(), reason: e.to_string() })?;
    let (width, height) =
        reader.into_dimensions().map_err(|e| Error::ImageFormat { path: path.to_path_buf(), reason: e.to_string() })?;
    if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
        return Err(Error::ImageSize { width, height });
    }
    let img = image::ImageReader::open(path)
        .and_then(|r| r.with_guessed_format())
        .map_err(|e| Error::ImageRead { path: path.to_path_buf(), reason: e.to_string() })?
        .decode()
        .map_err(|e| Error::ImageFormat { path: path.to_path_buf(), reason: e.to_string() })?;
    Ok(img.to_luma8())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuyv_keeps_every_other_byte_and_checks_length() {
        let buf = [10, 128, 20, 128, 30, 90, 40, 90];
        let luma = yuyv_luma(4, 1, &buf).unwrap();
        assert_eq!(luma.as_raw(), &vec![10, 20, 30, 40]);
        assert_eq!(yuyv_luma(4, 2, &buf).unwrap_err().code(), "frame_buffer");
    }

    #[test]
    fn mjpeg_decodes_straight_to_luma() {
        let rgb =
            image::RgbImage::from_fn(
                16,
                8,
                |x, _| if x < 8 { image::Rgb([0, 0, 0]) } else { image::Rgb([255, 255, 255]) },
            );
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 95).encode_image(&rgb).unwrap();
        let luma = mjpeg_luma(&jpeg).unwrap();
        assert_eq!(luma.dimensions(), (16, 8));
        assert!(luma.get_pixel(2, 4)[0] < 30 && luma.get_pixel(13, 4)[0] > 225);
        assert_eq!(mjpeg_luma(b"not a jpeg").unwrap_err().code(), "frame_buffer");
    }
}
