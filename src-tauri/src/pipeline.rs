//! The frame loop on its own thread: frames → decode → sighting tracker → desk → the window,
//! each frame then left for the camera preview.
//!
//! The loop is supervised: a panic anywhere in it is a red alert on the screen (the `pipeline`
//! event) and the loop starts again, camera and all, a moment later. A gate whose scanning
//! stopped silently is the failure a guard cannot see.
//!
//! A code held in view for many frames is one sighting, so the gate sees it once; the gate's own
//! debounce covers a badge shown twice in a row.

use qrgate_core::supervision::Watchdog;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use qrgate_scan::{
    decode_frame, open_source, DecodeOptions, Fps, MonotonicClock, SightingTracker, SourceSpec, SourceState,
};
use tauri::{AppHandle, Emitter};

use image::GrayImage;
use qrgate_core::config::Snapshots;
use qrgate_desk::desk::Desk;
use qrgate_desk::snapshot;

use crate::preview::Preview;
use crate::scanned;
use crate::view::{Camera, Restarted};
use crate::Frames;

/// A code out of view this long counts as gone: a hand lowering a badge, not a dropped frame.
const FORGET_AFTER: Duration = Duration::from_millis(1000);
/// The longest the loop sleeps, so a camera's changes of state reach the screen promptly.
const LONGEST_WAIT: Duration = Duration::from_millis(100);
const SLACK: Duration = Duration::from_millis(5);
/// The rest after a panic before the loop starts again: a panic on every frame must not spin.
const RESTART_AFTER: Duration = Duration::from_secs(1);

/// Runs the frame loop for the kiosk's life, starting it again after each panic.
pub fn supervise(frames: Frames, desk: Arc<Mutex<Desk>>, preview: Arc<Preview>, app: AppHandle) {
    // systemd's watchdog is fed from this loop, so a hung decode or desk stops the pings and the
    // kiosk is restarted; a loop that panics and starts again keeps feeding it.
    let mut watchdog = Watchdog::from_env();
    watchdog.ready();
    keep_running(
        || run(&frames.spec, frames.fps, frames.decode_every, &desk, &preview, &app, &mut watchdog),
        |restarts, why| {
            eprintln!("qrgate-kiosk: the frame loop panicked ({why}); starting it again (restart {restarts})");
            let _ = app.emit("pipeline", Restarted { restarts, detail: why });
        },
        RESTART_AFTER,
    );
}

/// Runs `work` again each time it panics, after telling `on_panic` how many restarts so far and
/// why; returns when `work` returns.
fn keep_running(mut work: impl FnMut(), mut on_panic: impl FnMut(u32, String), pause: Duration) {
    let mut restarts = 0;
    while let Err(payload) = std::panic::catch_unwind(AssertUnwindSafe(&mut work)) {
        restarts += 1;
        let why = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".into());
        on_panic(restarts, why);
        std::thread::sleep(pause);
    }
}

/// `fps` frames a second from the source, of which at most `decode_every` apart are decoded;
/// every frame goes to the preview.
fn run(
    spec: &SourceSpec,
    fps: Fps,
    decode_every: Duration,
    desk: &Mutex<Desk>,
    preview: &Preview,
    app: &AppHandle,
    watchdog: &mut Watchdog,
) {
    let mut source = match open_source(spec, fps) {
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
    // Read once: kiosk.conf is read at start, and the frame loop need not take the desk for it.
    let snapshots = crate::held(desk).gate.config.camera.snapshots;
    let mut shown_state: Option<SourceState> = None;
    let mut last_decode: Option<Duration> = None;
    loop {
        watchdog.alive(Instant::now());
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
                    let decided = scanned(desk, app, &text, qrgate_core::model::Method::Badge, Some(entered));
                    if let Some(decision) = decided {
                        keep_snapshot(desk, app, snapshots, &decision, &frame.luma);
                    }
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

/// The frame of a decision kiosk.conf keeps (`[camera] snapshots`), after the decision is on
/// the screen: encoded outside the desk's lock, stored under it. A failure is an alert.
fn keep_snapshot(
    desk: &Mutex<Desk>,
    app: &AppHandle,
    snapshots: Snapshots,
    decision: &qrgate_core::gate::Decision,
    frame: &GrayImage,
) {
    if !snapshot::wanted(snapshots, decision) {
        return;
    }
    let kept = snapshot::jpeg(frame)
        .and_then(|jpeg| Ok(crate::held(desk).store.put_snapshot(decision.event_id, &jpeg, Utc::now())?));
    if let Err(e) = kept {
        let _ = app.emit("alert", crate::view::Failure::from(e));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_loop_is_reported_and_started_again_until_it_returns() {
        let mut runs = 0;
        let mut reported = Vec::new();
        keep_running(
            || {
                runs += 1;
                if runs < 3 {
                    panic!("frame {runs} broke the decoder");
                }
            },
            |restarts, why| reported.push((restarts, why)),
            Duration::ZERO,
        );
        assert_eq!(runs, 3);
        assert_eq!(
            reported,
            vec![(1, "frame 1 broke the decoder".to_string()), (2, "frame 2 broke the decoder".to_string())]
        );
    }

    #[test]
    fn a_lock_held_by_a_thread_that_panicked_still_opens() {
        let lock = Arc::new(Mutex::new(7));
        let poisoner = lock.clone();
        let _ = std::thread::spawn(move || {
            let _guard = poisoner.lock().unwrap();
            panic!("a decision panicked with the desk held");
        })
        .join();
        assert!(lock.is_poisoned());
        assert_eq!(*crate::held(&lock), 7);
    }
}
