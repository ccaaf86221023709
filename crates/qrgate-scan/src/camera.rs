//! The camera source: a state machine that reports the camera's state and reopens a lost
//! camera with exponential backoff, over any `CameraDevice` (nokhwa V4L2 in production).

use std::time::Duration;

use image::GrayImage;

use crate::source::{Frame, FrameSource, SourceState};
use crate::Error;

/// The few things the gate needs from a camera driver.
pub trait CameraDevice {
    fn open(&mut self) -> Result<(), Error>;
    /// One frame as luma; an error means the camera is gone (unplugged, busy, no permission).
    fn grab(&mut self) -> Result<GrayImage, Error>;
    fn close(&mut self);
}

/// Delays between reopen attempts: doubling from `first` up to `max`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    pub first: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { first: Duration::from_millis(250), max: Duration::from_secs(8) }
    }
}

impl Backoff {
    /// The wait after the `failures`-th failed attempt in a row (1-based).
    pub fn delay(&self, failures: u32) -> Duration {
        let doubled = self.first.saturating_mul(1u32 << failures.saturating_sub(1).min(16));
        doubled.min(self.max)
    }
}

/// A camera that keeps itself open: `poll` never fails, it reports `Lost`/`Reopening` and
/// retries on schedule; time comes in from the caller.
pub struct CameraSource<D: CameraDevice> {
    device: D,
    backoff: Backoff,
    state: SourceState,
    failures: u32,
    retry_at: Duration,
    seq: u64,
    interval: Duration,
    due: Duration,
}

impl<D: CameraDevice> CameraSource<D> {
    /// `interval` is how often to grab when live (the camera's frame period).
    pub fn new(device: D, backoff: Backoff, interval: Duration) -> CameraSource<D> {
        CameraSource {
            device,
            backoff,
            state: SourceState::Starting,
            failures: 0,
            retry_at: Duration::ZERO,
            seq: 0,
            interval,
            due: Duration::ZERO,
        }
    }

    /// Consecutive failed opens since the camera was last live.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// A camera that was live (or never opened) is `Lost`, with the driver's reason; one that
    /// fails again while being reopened stays `Reopening`, numbered by the attempt to come, so
    /// the state the loop reads between polls shows that reopening is under way.
    fn fail(&mut self, now: Duration, reason: String) {
        self.failures += 1;
        self.retry_at = now + self.backoff.delay(self.failures);
        self.state = match self.state {
            SourceState::Reopening { .. } => SourceState::Reopening { attempt: self.failures },
            _ => SourceState::Lost { reason },
        };
    }
}

impl<D: CameraDevice> FrameSource for CameraSource<D> {
    fn poll(&mut self, now: Duration) -> Result<Option<Frame>, Error> {
        if !matches!(self.state, SourceState::Live) {
            if now < self.retry_at {
                return Ok(None);
            }
            if matches!(self.state, SourceState::Lost { .. }) {
                self.state = SourceState::Reopening { attempt: self.failures };
            }
            match self.device.open() {
                Ok(()) => {
                    self.state = SourceState::Live;
                    self.failures = 0;
                    self.due = now;
                }
                Err(e) => {
                    self.fail(now, e.to_string());
                    return Ok(None);
                }
            }
        }
        if now < self.due {
            return Ok(None);
        }
        match self.device.grab() {
            Ok(luma) => {
                let frame = Frame { seq: self.seq, at: now, luma };
                self.seq += 1;
                self.due = (self.due + self.interval).max(now);
                Ok(Some(frame))
            }
            Err(e) => {
                self.device.close();
                self.fail(now, e.to_string());
                Ok(None)
            }
        }
    }

    fn next_due(&self) -> Duration {
        if matches!(self.state, SourceState::Live) {
            self.due
        } else {
            self.retry_at
        }
    }

    fn state(&self) -> SourceState {
        self.state.clone()
    }
}

/// The V4L2 camera through nokhwa.
#[cfg(feature = "camera")]
pub mod v4l {
    use image::GrayImage;
    use nokhwa::utils::{CameraFormat, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType, Resolution};

    use super::CameraDevice;
    use crate::Error;

    /// YUYV first (luma is free), MJPEG second (cameras that only stream 720p compressed).
    const FORMATS: [FrameFormat; 2] = [FrameFormat::YUYV, FrameFormat::MJPEG];

    pub struct V4lCamera {
        index: u32,
        camera: Option<nokhwa::Camera>,
    }

    impl V4lCamera {
        pub fn new(index: u32) -> V4lCamera {
            V4lCamera { index, camera: None }
        }
    }

    impl CameraDevice for V4lCamera {
        fn open(&mut self) -> Result<(), Error> {
            let unavailable =
                |e: nokhwa::NokhwaError| Error::CameraUnavailable { index: self.index, reason: e.to_string() };
            let wanted = CameraFormat::new(Resolution::new(1280, 720), FrameFormat::YUYV, 30);
            let request = RequestedFormat::with_formats(RequestedFormatType::Closest(wanted), &FORMATS);
            let mut camera = nokhwa::Camera::new(CameraIndex::Index(self.index), request).map_err(unavailable)?;
            camera.open_stream().map_err(unavailable)?;
            self.camera = Some(camera);
            Ok(())
        }

        fn grab(&mut self) -> Result<GrayImage, Error> {
            let index = self.index;
            let camera = self.camera.as_mut().ok_or(Error::CameraLost { index, reason: "not open".into() })?;
            let buffer = camera.frame().map_err(|e| Error::CameraLost { index, reason: e.to_string() })?;
            let res = buffer.resolution();
            match buffer.source_frame_format() {
                FrameFormat::YUYV => crate::pixels::yuyv_luma(res.width(), res.height(), buffer.buffer()),
                FrameFormat::MJPEG => crate::pixels::mjpeg_luma(buffer.buffer()),
                FrameFormat::GRAY => {
                    GrayImage::from_raw(res.width(), res.height(), buffer.buffer().to_vec()).ok_or(Error::FrameBuffer {
                        width: res.width(),
                        height: res.height(),
                        format: "GRAY",
                        got: buffer.buffer().len(),
                    })
                }
                other => Err(Error::CameraLost { index, reason: format!("unsupported frame format {other}") }),
            }
        }

        fn close(&mut self) {
            if let Some(mut camera) = self.camera.take() {
                let _ = camera.stop_stream();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let b = Backoff { first: Duration::from_millis(100), max: Duration::from_millis(1000) };
        let delays: Vec<u128> = (1..=6).map(|n| b.delay(n).as_millis()).collect();
        assert_eq!(delays, vec![100, 200, 400, 800, 1000, 1000]);
        assert_eq!(b.delay(u32::MAX), Duration::from_millis(1000));
    }
}
