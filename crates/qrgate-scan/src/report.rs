//! Decoding image files for the `qrgate decode` command: one JSON-ready report per file, and
//! opening a frame source from its `--source` spec.

use std::path::Path;
use std::time::Duration;

use crate::pixels::load_luma;
use serde::Serialize;

use crate::clock::{Clock, MonotonicClock};
use crate::code::bytes_to_text;
use crate::decode::{decode_frame, DecodeOptions};
use crate::payload::{self, Joined, Part};
use crate::source::{Fps, FrameSource, ReplaySource, SourceSpec};
use crate::Error;

/// The decoded texts of one image file and the decode time (image already loaded).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecodeReport {
    pub path: String,
    pub texts: Vec<String>,
    pub ms: f64,
    /// The codes of the image that are parts of a message spread over several codes whose other
    /// parts the image does not hold (their texts are in `texts` too); `join_across` joins them
    /// with other images' parts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<Part>,
}

/// A structured-append sequence gathered across the images of one `qrgate decode` run.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum SequenceLine {
    /// Every part was there: the message, joined in order.
    Joined { sequence: Sequence, paths: Vec<String>, text: String },
    /// Some parts were not found in any image: `missing` are their indices (from 0, as a part's
    /// `index`); the error names them from 1, for a person.
    Incomplete { sequence: Sequence, paths: Vec<String>, missing: Vec<u8>, error: String, code: &'static str },
}

/// Which sequence: how many parts, and the parity of the whole message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Sequence {
    pub total: u8,
    pub parity: u8,
}

/// The parts the reports hold, joined per sequence, in the order each sequence first appeared;
/// `paths` are the images that held its parts.
pub fn join_across(reports: &[DecodeReport]) -> Vec<SequenceLine> {
    let parts = reports.iter().flat_map(|r| r.parts.iter());
    payload::join(parts)
        .into_iter()
        .map(|joined| {
            let (total, parity) = match &joined {
                Joined::Whole { total, parity, .. } | Joined::Incomplete { total, parity, .. } => (*total, *parity),
            };
            let paths = reports
                .iter()
                .filter(|r| r.parts.iter().any(|p| p.total == total && p.parity == parity))
                .map(|r| r.path.clone())
                .collect();
            let sequence = Sequence { total, parity };
            match joined {
                Joined::Whole { bytes, .. } => SequenceLine::Joined { sequence, paths, text: bytes_to_text(&bytes) },
                Joined::Incomplete { missing, .. } => {
                    let named: Vec<String> = missing.iter().map(|i| (i + 1).to_string()).collect();
                    SequenceLine::Incomplete {
                        error: format!(
                            "structured append incomplete: part(s) {} of {total} not found",
                            named.join(", ")
                        ),
                        sequence,
                        paths,
                        missing,
                        code: "incomplete_sequence",
                    }
                }
            }
        })
        .collect()
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
    let parts = decoded.codes.iter().filter_map(|c| c.part.clone()).collect();
    Ok(DecodeReport {
        path: path.display().to_string(),
        texts: decoded.texts(),
        ms: (ms * 100.0).round() / 100.0,
        parts,
    })
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
