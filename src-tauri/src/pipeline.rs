//! The frame loop on its own thread: frames → decode → sighting tracker → desk → the window,
//! each frame then left for the camera preview.
//!
//! The loop is supervised: a panic anywhere in it is a red alert on the screen (the `pipeline`
//! event) and the loop starts again, camera and all, a moment later. A gate whose scanning
//! stopped silently is the failure a guard cannot see.
//!
//! A code held in view for many frames is one sighting, so the gate sees it once; the gate's own
//! debounce covers a badge shown twice in a row. Each change of the camera's state is told to the
//! screen and kept in the gate's cell, which sync's health report reads.

use qrgate_core::supervision::Watchdog;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use qrgate_scan::{decode_frame, open_source, DecodeOptions, MonotonicClock, SightingTracker, SourceState};
use tauri::{AppHandle, Emitter};

use image::GrayImage;
use qrgate_core::config::Snapshots;
use qrgate_desk::desk::Desk;
use qrgate_desk::snapshot;
use qrgate_sync::{DeviceState, GateCell};

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

/// A frame loop that has not gone round for this long is hung: the watchdog hears no more.
const HUNG_AFTER: Duration = Duration::from_secs(10);
/// A loop that ended (its source could not be opened) is no longer waited for.
const ENDED: u64 = u64::MAX;

/// When each frame loop last went round (ms since the kiosk started them), so that systemd's
/// watchdog, fed by the first loop, stops hearing from the kiosk when either lane hangs.
pub struct Heartbeats {
    since: Instant,
    beats: Vec<AtomicU64>,
}

impl Heartbeats {
    pub fn new(loops: usize) -> Heartbeats {
        Heartbeats { since: Instant::now(), beats: (0..loops).map(|_| AtomicU64::new(0)).collect() }
    }

    fn beat(&self, index: usize, now: Instant) {
        self.beats[index].store(now.duration_since(self.since).as_millis() as u64, Ordering::Relaxed);
    }

    fn ended(&self, index: usize) {
        self.beats[index].store(ENDED, Ordering::Relaxed);
    }

    /// Every loop that still runs went round within [`HUNG_AFTER`].
    fn all_going(&self, now: Instant) -> bool {
        let now = now.duration_since(self.since).as_millis() as u64;
        let limit = HUNG_AFTER.as_millis() as u64;
        self.beats.iter().map(|b| b.load(Ordering::Relaxed)).all(|b| b == ENDED || now.saturating_sub(b) < limit)
    }
}

/// Runs frame loop `index` (one per camera) for the kiosk's life, starting it again after each
/// panic.
pub fn supervise(
    frames: Frames,
    index: usize,
    heartbeats: Arc<Heartbeats>,
    desk: Arc<Mutex<Desk>>,
    preview: Arc<Preview>,
    app: AppHandle,
    gate: GateCell,
) {
    // systemd's watchdog is fed from the first loop while every loop goes round, so a hung
    // decode or desk in either lane stops the pings and the kiosk is restarted; a loop that
    // panics and starts again keeps going round.
    let mut watchdog = (index == 0).then(Watchdog::from_env);
    if let Some(w) = &watchdog {
        w.ready();
    }
    let mut beat = |now: Instant| {
        heartbeats.beat(index, now);
        if let Some(w) = watchdog.as_mut().filter(|_| heartbeats.all_going(now)) {
            w.alive(now);
        }
    };
    keep_running(
        || run(&frames, index, &desk, &preview, &app, &gate, &mut beat),
        |restarts, why| {
            eprintln!("qrgate-kiosk: the frame loop panicked ({why}); starting it again (restart {restarts})");
            let _ = app.emit("pipeline", Restarted { restarts, detail: why });
        },
        RESTART_AFTER,
    );
    heartbeats.ended(index);
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
    frames: &Frames,
    index: usize,
    desk: &Mutex<Desk>,
    preview: &Preview,
    app: &AppHandle,
    gate: &GateCell,
    beat: &mut impl FnMut(Instant),
) {
    let lane = frames.lane;
    let camera = |state: &SourceState| {
        let (device, problem) = device_state(state);
        let problem = problem.map(|p| match lane {
            Some(l) => format!("lane {}: {p}", l.number),
            None => p,
        });
        gate.set_camera(index, device, problem.as_deref(), Utc::now());
        Camera { lane: lane.map(|l| l.number), ..Camera::from(state) }
    };
    let mut source = match open_source(&frames.spec, frames.fps) {
        Ok(s) => s,
        Err(e) => {
            let _ = app.emit("camera", camera(&SourceState::Lost { reason: e.to_string() }));
            return;
        }
    };
    let decode_every = frames.decode_every;
    let clock = MonotonicClock::new();
    let started = Instant::now();
    let options = DecodeOptions::default();
    let mut tracker = SightingTracker::new(FORGET_AFTER);
    // Read once: kiosk.conf is read at start, and the frame loop need not take the desk for it.
    let snapshots = {
        let config = &crate::held(desk).gate.config;
        let index = lane.map_or(0, |l| usize::from(l.number) - 1);
        config.cameras.get(index).unwrap_or(config.camera()).snapshots
    };
    let mut shown_state: Option<SourceState> = None;
    let mut last_decode: Option<Duration> = None;
    loop {
        beat(Instant::now());
        let state = source.state();
        if shown_state.as_ref() != Some(&state) {
            let _ = app.emit("camera", camera(&state));
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
                    let decided = scanned(desk, app, &text, qrgate_core::model::Method::Badge, lane, Some(entered));
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
                let _ = app.emit("camera", camera(&SourceState::Lost { reason: e.to_string() }));
                shown_state = None;
                std::thread::sleep(LONGEST_WAIT);
            }
        }
    }
}

/// A camera's state as the health report tells it, and its problem in words when it has one.
fn device_state(state: &SourceState) -> (DeviceState, Option<String>) {
    match state {
        SourceState::Starting => (DeviceState::Unknown, None),
        SourceState::Live => (DeviceState::Working, None),
        SourceState::Lost { reason } => (DeviceState::Failing, Some(format!("camera lost: {reason}"))),
        SourceState::Reopening { .. } => (DeviceState::Failing, None),
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
    fn a_lost_camera_is_failing_with_its_reason() {
        assert_eq!(device_state(&SourceState::Live), (DeviceState::Working, None));
        assert_eq!(device_state(&SourceState::Starting), (DeviceState::Unknown, None));
        assert_eq!(device_state(&SourceState::Reopening { attempt: 2 }), (DeviceState::Failing, None));
        let (state, problem) = device_state(&SourceState::Lost { reason: "/dev/video0 unplugged".into() });
        assert_eq!((state, problem.as_deref()), (DeviceState::Failing, Some("camera lost: /dev/video0 unplugged")));
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
