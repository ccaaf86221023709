//! Frames to QR payloads for the gate: camera and replay sources, preprocessing, guarded rqrr
//! decoding and the sighting tracker that turns a code held in view into one event.

pub mod camera;
pub mod clock;
pub mod code;
pub mod decode;
mod error;
pub mod finder;
pub mod grid;
mod guard;
pub mod payload;
pub mod pixels;
pub mod preprocess;
pub mod report;
pub mod rqrr_pass;
pub mod source;
#[cfg(feature = "synth")]
pub mod synth;
pub mod tracker;

pub use camera::{Backoff, CameraDevice, CameraSource};
#[cfg(unix)]
pub use clock::ThreadCpuClock;
pub use clock::{Clock, MonotonicClock, StoppedClock};
pub use code::Code;
pub use decode::{decode, decode_frame, DecodeOptions, FrameDecode};
pub use error::Error;
pub use pixels::load_luma;
pub use report::{decode_file, decode_path, open_source, DecodeReport};
pub use source::{Fps, Frame, FrameSource, ReplaySource, SourceSpec, SourceState};
pub use tracker::SightingTracker;
