//! Frames to QR payloads for the gate: sources, preprocessing and guarded rqrr decoding.

pub mod clock;
pub mod decode;
mod error;
mod guard;
pub mod finder;
pub mod preprocess;
pub mod synth;

pub use clock::{Clock, MonotonicClock, StoppedClock};
pub use decode::{decode, decode_frame, Code, DecodeOptions, FrameDecode};
pub use error::Error;
