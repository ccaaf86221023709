//! The frame loop on its own thread: frames → decode → sighting tracker → desk → the window,
//! each frame then left for the camera preview.
//!
//! A code held in view for many frames is one sighting, so the gate sees it once; the gate's own
//! debounce covers a badge shown twice in a row.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use qrgate_scan::{
    decode_frame, open_source, DecodeOptions, Fps, MonotonicClock, SightingTracker, SourceSpec, SourceState,
};
use tauri::{AppHandle, Emitter};

use qrgate_desk::desk::Desk;

use crate::preview::Preview;
use crate::scanned;
use crate::view::Camera;

/// A code out of view this long counts as gone: a hand lowering a badge, not a dropped frame.
const FORGET_AFTER: Duration = Duration::from_millis(1000);
/// The longest the loop sleeps, so a camera's changes of state reach the screen promptly.
const LONGEST_WAIT: Duration = Duration::from_millis(100);
const SLACK: Duration = Duration::from_millis(5);

/// `fps` frames a second from the source, of which at most `decode_every` apart are decoded;
/// every frame goes to the preview.
pub fn run(
    spec: SourceSpec,
    fps: Fps,
    decode_every: Duration,
    desk: Arc<Mutex<Desk>>,
    preview: Arc<Preview>,
    app: AppHandle,
) {
    let mut source = match open_source(&spec, fps) {
        Ok(s) => s,
        Err(e) => {
            let _ = app.emit("camera", Camera::from(&SourceState::Lost { reason: e.to_string() }));
            return;
        }
    };
    let clock = MonotonicClock::new();
    let started = Instant::now();
    let options = DecodeOptions::default();
    let mut tracker = SightingTracker::new(FORGET_AFTER);
    let mut shown_state: Option<SourceState> = None;
    let mut last_decode: Option<Duration> = None;
    loop {
        let state = source.state();
        if shown_state.as_ref() != Some(&state) {
            let _ = app.emit("camera", Camera::from(&state));
            shown_state = Some(state);
        }
        match source.poll(started.elapsed()) {
            Ok(Some(frame)) => {
                // A few milliseconds' slack: frames due exactly `decode_every` apart are not skipped.
                if last_decode.is_some_and(|t| frame.at.saturating_sub(t) + SLACK < decode_every) {
                    preview.offer(frame.luma);
                    continue;
                }
                last_decode = Some(frame.at);
                // Wall-clock time the frame entered the pipeline: the screen stamps when it showed
                // the decision, and the difference is the latency the guard lives with.
                let entered = Utc::now();
                let found = decode_frame(&frame.luma, &options, &clock);
                for text in tracker.observe(frame.at, &found.texts()) {
                    scanned(&desk, &app, &text, qrgate_core::model::Method::Badge, Some(entered));
                }
                // After the decision, so showing the frame never delays it.
                preview.offer(frame.luma);
            }
            Ok(None) => {
                let wait = source.next_due().saturating_sub(started.elapsed());
                std::thread::sleep(wait.min(LONGEST_WAIT));
            }
            Err(e) => {
                let _ = app.emit("camera", Camera::from(&SourceState::Lost { reason: e.to_string() }));
                shown_state = None;
                std::thread::sleep(LONGEST_WAIT);
            }
        }
    }
}
