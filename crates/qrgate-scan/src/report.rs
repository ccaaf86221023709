//! Decoding image files for the `qrgate decode` command: one JSON-ready report per file, and
//! opening a frame source from its `--source` spec.

use std::path::Path;
use std::time::Duration;

use crate::pixels::load_luma;
use serde::Serialize;

use crate::clock::{Clock, MonotonicClock};
use crate::decode::{decode_frame, DecodeOptions};
use crate::source::{Fps, FrameSource, ReplaySource, SourceSpec};
use crate::Error;

/// The decoded texts of one image file and the decode time (image already loaded).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecodeReport {
    pub path: String,
    pub texts: Vec<String>,
    pub ms: f64,
}

/// One line of `qrgate decode --jsonl`: the report, or the file's error; the run goes on.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum DecodeLine {
    Decoded(DecodeReport),
    Failed { path: String, error: String, code: &'static str },
}

/// Options for a still image: unlike a live frame, there is no next frame coming, so it gets a
/// larger budget, all of it for the whole-frame passes when the finder scan framed nothing.
pub fn still_options() -> DecodeOptions {
    DecodeOptions { budget: Duration::from_millis(1500), exhaustive: false, evidenceless_share: 1 }
}

/// Decodes one image file; `ms` covers decoding only.
pub fn decode_file(path: &Path) -> Result<DecodeReport, Error> {
    let luma = load_luma(path)?;
    let clock = MonotonicClock::new();
    let start = clock.now();
    let decoded = decode_frame(&luma, &still_options(), &clock);
    let ms = clock.now().saturating_sub(start).as_secs_f64() * 1000.0;
    Ok(DecodeReport { path: path.display().to_string(), texts: decoded.texts(), ms: (ms * 100.0).round() / 100.0 })
}

/// `decode_file` as a line that always serialises: what `qrgate decode --jsonl` prints.
pub fn decode_path(path: &Path) -> DecodeLine {
    match decode_file(path) {
        Ok(report) => DecodeLine::Decoded(report),
        Err(e) => DecodeLine::Failed { path: path.display().to_string(), error: e.to_string(), code: e.code() },
    }
}

/// Opens the source a `--source` spec names; replay runs at `fps`, a camera at its own rate.
pub fn open_source(spec: &SourceSpec, fps: Fps) -> Result<Box<dyn FrameSource>, Error> {
    match spec {
        SourceSpec::Replay { path } => Ok(Box::new(ReplaySource::open(path, fps)?)),
        #[cfg(feature = "camera")]
        SourceSpec::Camera { index } => {
            let device = crate::camera::v4l::V4lCamera::new(*index);
            Ok(Box::new(crate::camera::CameraSource::new(device, crate::camera::Backoff::default(), fps.interval())))
        }
        #[cfg(not(feature = "camera"))]
        SourceSpec::Camera { .. } => Err(Error::CameraNotBuilt),
    }
}
