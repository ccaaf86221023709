//! The camera's frame at a scan, kept for HR (`[camera] snapshots`): who tried a revoked or a
//! borrowed badge can be seen afterwards. Personal data: deleted after `[privacy]
//! snapshot_retention_days` and with the person's details (`qrgate_core::privacy`).
//!
//! Encoding happens outside the desk's lock; only the insert takes it.

use std::io::Cursor;

use image::GrayImage;
use qrgate_core::config::Snapshots;
use qrgate_core::gate::Decision;

use crate::error::{Error, Result};

/// Wide enough to recognise a face and a badge, small enough to keep a week of refusals.
pub const WIDTH: u32 = 640;
const JPEG_QUALITY: u8 = 80;

/// Whether this decision keeps its frame: a new event (not a scan shown again) of the kind
/// kiosk.conf asks for (`[camera] snapshots`).
pub fn wanted(snapshots: Snapshots, decision: &Decision) -> bool {
    !decision.debounced && snapshots.keeps(decision.verdict)
}

/// The frame as a JPEG at most [`WIDTH`] wide.
pub fn jpeg(frame: &GrayImage) -> Result<Vec<u8>> {
    let small;
    let frame = if frame.width() > WIDTH {
        let height = (u64::from(frame.height()) * u64::from(WIDTH) / u64::from(frame.width())).max(1) as u32;
        small = image::imageops::resize(frame, WIDTH, height, image::imageops::FilterType::Triangle);
        &small
    } else {
        frame
    };
    let mut bytes = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(Cursor::new(&mut bytes), JPEG_QUALITY);
    frame.write_with_encoder(encoder).map_err(|e| Error::invalid("snapshot", e.to_string()))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_720p_frame_is_kept_640_wide() {
        let frame = image::GrayImage::from_fn(1280, 720, |x, y| image::Luma([((x ^ y) % 256) as u8]));
        let jpeg = super::jpeg(&frame).unwrap();
        let back = image::load_from_memory_with_format(&jpeg, image::ImageFormat::Jpeg).unwrap();
        assert_eq!((back.width(), back.height()), (640, 360));
    }
}
