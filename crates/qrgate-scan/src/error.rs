//! The one error type of the scan crate, with stable machine codes the UI can switch on.

use std::path::PathBuf;

/// Everything that can go wrong between a camera or an image file and a decoded text.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read image {path}: {reason}")]
    ImageRead { path: PathBuf, reason: String },
    #[error("cannot decode image {path}: {reason}")]
    ImageFormat { path: PathBuf, reason: String },
    #[error("image {width}x{height} is outside the accepted size")]
    ImageSize { width: u32, height: u32 },
    #[error("frame buffer of {got} bytes does not match {width}x{height} {format}")]
    FrameBuffer { width: u32, height: u32, format: &'static str, got: usize },
    #[error("replay source {path} holds no images")]
    ReplayEmpty { path: PathBuf },
    #[error("invalid replay rate {fps} frames per second")]
    ReplayRate { fps: String },
    #[error("invalid frame source {given:?}: expected camera:N or dir:PATH")]
    SourceSpec { given: String },
    #[error("camera {index} unavailable: {reason}")]
    CameraUnavailable { index: u32, reason: String },
    #[error("camera {index} lost: {reason}")]
    CameraLost { index: u32, reason: String },
    #[error("camera support is not built in (feature `camera`)")]
    CameraNotBuilt,
    #[error("cannot write {path}: {reason}")]
    Write { path: PathBuf, reason: String },
}

impl Error {
    /// A stable code for logs, JSON output and the UI; never changes once published.
    pub fn code(&self) -> &'static str {
        match self {
            Error::ImageRead { .. } => "image_read",
            Error::ImageFormat { .. } => "image_format",
            Error::ImageSize { .. } => "image_size",
            Error::FrameBuffer { .. } => "frame_buffer",
            Error::ReplayEmpty { .. } => "replay_empty",
            Error::ReplayRate { .. } => "replay_rate",
            Error::SourceSpec { .. } => "source_spec",
            Error::CameraUnavailable { .. } => "camera_unavailable",
            Error::CameraLost { .. } => "camera_lost",
            Error::CameraNotBuilt => "camera_not_built",
            Error::Write { .. } => "write",
        }
    }
}
