//! Where frames come from: the `FrameSource` trait, the replay source and source specs.

use std::path::{Path, PathBuf};
use std::time::Duration;

use image::GrayImage;

use crate::Error;

/// One 8-bit luma frame with its capture time and sequence number.
#[derive(Debug, Clone)]
pub struct Frame {
    pub seq: u64,
    /// Capture time on the source's clock (time since the source started).
    pub at: Duration,
    pub luma: GrayImage,
}

/// What a source is doing, for the guard screen: a lost camera must never be silent.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SourceState {
    Starting,
    Live,
    Lost { reason: String },
    Reopening { attempt: u32 },
}

/// Anything that yields frames: a camera, a replay folder.
pub trait FrameSource {
    /// The next frame due at or before `now`, `Ok(None)` when none is due yet.
    fn poll(&mut self, now: Duration) -> Result<Option<Frame>, Error>;
    /// When the next frame is due, so a loop can sleep until then.
    fn next_due(&self) -> Duration;
    fn state(&self) -> SourceState;
}

/// A checked frame rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fps(f64);

impl Fps {
    pub fn new(fps: f64) -> Result<Fps, Error> {
        if fps.is_finite() && (0.1..=240.0).contains(&fps) {
            Ok(Fps(fps))
        } else {
            Err(Error::ReplayRate { fps: fps.to_string() })
        }
    }

    pub fn interval(self) -> Duration {
        Duration::from_secs_f64(1.0 / self.0)
    }
}

impl std::str::FromStr for Fps {
    type Err = Error;
    fn from_str(s: &str) -> Result<Fps, Error> {
        s.trim().parse::<f64>().map_err(|_| Error::ReplayRate { fps: s.to_string() }).and_then(Fps::new)
    }
}

/// A parsed `--source` argument.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceSpec {
    Camera { index: u32 },
    Replay { path: PathBuf },
}

impl std::str::FromStr for SourceSpec {
    type Err = Error;
    fn from_str(s: &str) -> Result<SourceSpec, Error> {
        let bad = || Error::SourceSpec { given: s.to_string() };
        if let Some(n) = s.strip_prefix("camera:") {
            return n.parse().map(|index| SourceSpec::Camera { index }).map_err(|_| bad());
        }
        match s.strip_prefix("dir:") {
            Some(p) if !p.is_empty() => Ok(SourceSpec::Replay { path: PathBuf::from(p) }),
            _ => Err(bad()),
        }
    }
}

/// Image files in a folder (sorted by name) or one image, played in a loop at a fixed rate.
/// Images are decoded to luma once, up front, so replay timing is not disk timing.
#[derive(Debug)]
pub struct ReplaySource {
    /// Each distinct picture once.
    images: Vec<GrayImage>,
    /// Which picture each frame of the loop shows.
    order: Vec<usize>,
    interval: Duration,
    seq: u64,
    due: Duration,
}

const IMAGE_EXTENSIONS: [&str; 5] = ["png", "jpg", "jpeg", "bmp", "pgm"];

impl ReplaySource {
    pub fn open(path: &Path, fps: Fps) -> Result<ReplaySource, Error> {
        let files = if path.is_dir() {
            let entries = std::fs::read_dir(path)
                .map_err(|e| Error::ImageRead { path: path.to_path_buf(), reason: e.to_string() })?;
            let mut files: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.extension()
                        .and_then(|e| e.to_str())
                        .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
                })
                .collect();
            files.sort();
            files
        } else {
            vec![path.to_path_buf()]
        };
        // A script that shows one picture for many frames links those frames to one file: each
        // file is decoded and held once, however many frames show it.
        let (mut real, mut images, mut order) = (Vec::new(), Vec::new(), Vec::with_capacity(files.len()));
        for file in &files {
            let canonical = std::fs::canonicalize(file).unwrap_or_else(|_| file.clone());
            match real.iter().position(|p| *p == canonical) {
                Some(i) => order.push(i),
                None => {
                    images.push(crate::pixels::load_luma(file)?);
                    real.push(canonical);
                    order.push(images.len() - 1);
                }
            }
        }
        if order.is_empty() {
            return Err(Error::ReplayEmpty { path: path.to_path_buf() });
        }
        Ok(ReplaySource { images, order, interval: fps.interval(), seq: 0, due: Duration::ZERO })
    }

    /// A replay of frames already in memory (generated frames, tests).
    pub fn from_frames(frames: Vec<GrayImage>, fps: Fps) -> Result<ReplaySource, Error> {
        if frames.is_empty() {
            return Err(Error::ReplayEmpty { path: PathBuf::new() });
        }
        let order = (0..frames.len()).collect();
        Ok(ReplaySource { images: frames, order, interval: fps.interval(), seq: 0, due: Duration::ZERO })
    }

    /// Frames in the loop.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Distinct pictures held in memory.
    pub fn pictures(&self) -> usize {
        self.images.len()
    }
}

impl FrameSource for ReplaySource {
    fn poll(&mut self, now: Duration) -> Result<Option<Frame>, Error> {
        if now < self.due {
            return Ok(None);
        }
        let index = self.order[(self.seq % self.order.len() as u64) as usize];
        let frame = Frame { seq: self.seq, at: self.due, luma: self.images[index].clone() };
        self.seq += 1;
        // A late poll gets the frame that was due, then the schedule moves on from it, as a
        // camera does not queue up missed frames.
        self.due = (self.due + self.interval).max(now);
        Ok(Some(frame))
    }

    fn next_due(&self) -> Duration {
        self.due
    }

    fn state(&self) -> SourceState {
        SourceState::Live
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_specs_parse_and_reject() {
        assert_eq!("camera:0".parse::<SourceSpec>().unwrap(), SourceSpec::Camera { index: 0 });
        assert_eq!("dir:/tmp/x".parse::<SourceSpec>().unwrap(), SourceSpec::Replay { path: "/tmp/x".into() });
        for bad in ["camera:", "camera:-1", "dir:", "/tmp/x", "usb:0"] {
            assert_eq!(bad.parse::<SourceSpec>().unwrap_err().code(), "source_spec", "{bad}");
        }
    }

    #[test]
    fn frames_linked_to_one_picture_hold_it_once_and_play_in_order() {
        let dir = std::env::temp_dir().join(format!("qrgate-replay-links-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (a, b) = (dir.join("a.picture"), dir.join("b.picture"));
        GrayImage::from_pixel(4, 4, image::Luma([10])).save_with_format(&a, image::ImageFormat::Png).unwrap();
        GrayImage::from_pixel(4, 4, image::Luma([200])).save_with_format(&b, image::ImageFormat::Png).unwrap();
        for (i, target) in [&a, &a, &b, &a].iter().enumerate() {
            std::os::unix::fs::symlink(target, dir.join(format!("{i}.png"))).unwrap();
        }
        let mut replay = ReplaySource::open(&dir, "10".parse().unwrap()).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!((replay.len(), replay.pictures()), (4, 2));
        let mut seen = Vec::new();
        let mut now = Duration::ZERO;
        while seen.len() < 5 {
            if let Some(f) = replay.poll(now).unwrap() {
                seen.push(f.luma.get_pixel(0, 0)[0]);
            }
            now += Duration::from_millis(100);
        }
        assert_eq!(seen, vec![10, 10, 200, 10, 10]);
    }

    #[test]
    fn frame_rates_outside_reason_are_refused() {
        assert!("30".parse::<Fps>().is_ok());
        for bad in ["0", "-5", "nan", "1000", "fast"] {
            assert_eq!(bad.parse::<Fps>().unwrap_err().code(), "replay_rate", "{bad}");
        }
    }
}
