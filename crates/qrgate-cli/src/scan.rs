//! `qrgate scan`: the gate loop without a window — frames, decoder, sighting tracker, gate
//! engine, turnstile — printing one decision per line, the same path the kiosk window runs.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use qrgate_core::datadir::DataDir;
use qrgate_core::gate::Scan;
use qrgate_core::supervision::{Run, Watchdog};
use qrgate_desk::{snapshot, Error, Result};
use qrgate_scan::{
    decode_frame, open_source, Clock, DecodeOptions, Fps, MonotonicClock, SightingTracker, SourceSpec, SourceState,
};
use serde_json::json;

use crate::check::decision_json;
use crate::Outcome;

/// A code out of view this long counts as gone: shown again afterwards, it is a new scan (the
/// gate's own debounce still decides whether that records anything).
const FORGET_AFTER: Duration = Duration::from_millis(1500);

/// Longest sleep between looking at the stop conditions while a camera is down.
const MAX_IDLE: Duration = Duration::from_millis(100);

#[derive(clap::Args)]
#[command(after_help = "Each decision line is the JSON of `qrgate check --json` plus \"frame\" (the frame's \
sequence number) and \"latency_ms\" (from the frame leaving the source to the event committed). \
Source states (starting, live, lost, reopening) go to standard error as JSON lines; a lost camera is \
reopened with backoff, the run goes on. With a [turnstile] in kiosk.conf, each accepted decision pulses \
its output once the event is committed, and the turnstile's health goes to standard error as \
{\"turnstile\": …} lines.")]
pub struct Args {
    /// Where frames come from: camera:N (V4L2 device N) or dir:PATH (a folder of images, in name
    /// order, or one image; looped).
    #[arg(long, value_name = "camera:N|dir:PATH")]
    source: SourceSpec,
    /// Frames per second to take from the source.
    #[arg(long, value_name = "F", default_value = "30")]
    fps: Fps,
    /// Stop after this many frames (tests, demos, measurements). Default: run until stopped.
    #[arg(long, value_name = "N", conflicts_with = "seconds")]
    frames: Option<u64>,
    /// Stop after this many seconds.
    #[arg(long, value_name = "S", value_parser = parse_seconds)]
    seconds: Option<f64>,
    /// At the end, print a summary to standard error: frames, events, decode time,
    /// frame-to-committed-event latency and, with a turnstile, decision-to-pulse latency (p50, p95, max).
    #[arg(long)]
    stats: bool,
    /// On a two-lane gate (kiosk.conf lists `[[camera]]` twice): which lane this camera is, 1 or
    /// 2. Its scans go that lane's direction, open that direction's output, and record the lane.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=2))]
    lane: Option<u8>,
    /// For the watchdog's test only: after this many frames the loop hangs (never returns, never
    /// exits), as a decode or a database write stuck for good would.
    #[arg(long, value_name = "N", hide = true)]
    hang_after_frames: Option<u64>,
}

fn parse_seconds(s: &str) -> std::result::Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("{s:?} is not a positive number of seconds")),
    }
}

fn source_name(spec: &SourceSpec) -> String {
    match spec {
        SourceSpec::Camera { index } => format!("camera:{index}"),
        SourceSpec::Replay { path } => format!("dir:{}", path.display()),
    }
}

fn scan_error(e: qrgate_scan::Error) -> Error {
    Error::invalid("frame source", format!("{e} [{}]", e.code()))
}

pub fn run(args: Args, data: &DataDir) -> Result<Outcome> {
    let (store, config) = data.open()?;
    // Marked while it runs, so a start after a crash, a kill or the watchdog says so.
    let (run, restarted) = Run::begin(data, "qrgate scan", Utc::now())?;
    if let Some(r) = restarted {
        eprintln!("{}", json!({ "restarted": r, "why": r.why() }));
    }
    let mut watchdog = Watchdog::from_env();
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        // Only SIGKILL, SIGSTOP and the like are refused a handler.
        signal_hook::flag::register(signal, stop.clone()).expect("SIGTERM and SIGINT take a handler");
    }
    let scanned = scan(args, data, store, config, &mut watchdog, &stop);
    // An error is a stop the program made too: only a panic or a kill leaves the mark behind.
    watchdog.stopping();
    run.finish();
    scanned
}

fn scan(
    args: Args,
    data: &DataDir,
    mut store: qrgate_core::store::Store,
    config: qrgate_core::config::Config,
    watchdog: &mut Watchdog,
    stop: &AtomicBool,
) -> Result<Outcome> {
    let lane = match args.lane {
        None => None,
        Some(n) => Some(config.lanes().get(usize::from(n) - 1).and_then(|(_, lane)| *lane).ok_or_else(|| {
            Error::invalid("lane", format!("kiosk.conf has no lane {n}: a two-lane gate lists [[camera]] twice"))
        })?),
    };
    let turnstile = start_turnstile(&config, data);
    let gate = data.gate(&store, config)?;
    let mut source = open_source(&args.source, args.fps).map_err(scan_error)?;
    let name = source_name(&args.source);
    let clock = MonotonicClock::new();
    let stop_at = args.seconds.map(Duration::from_secs_f64);
    let options = DecodeOptions::default();
    let mut tracker = SightingTracker::new(FORGET_AFTER);
    let mut state: Option<SourceState> = None;
    let mut frames = 0u64;
    let mut decode_ms = Vec::new();
    let mut latency_ms = Vec::new();
    watchdog.ready();
    loop {
        // From the loop itself: a hung decode or a stuck database write stops the pings.
        watchdog.alive(std::time::Instant::now());
        let now = clock.now();
        let stopped = stop.load(Ordering::Relaxed);
        if stopped || args.frames.is_some_and(|n| frames >= n) || stop_at.is_some_and(|s| now >= s) {
            break;
        }
        let polled = source.poll(now).map_err(scan_error)?;
        let current = source.state();
        if state.as_ref() != Some(&current) {
            let mut line = serde_json::to_value(&current).expect("state serialises");
            line["source"] = json!(name);
            eprintln!("{line}");
            state = Some(current);
        }
        let Some(frame) = polled else {
            let wait = source.next_due().saturating_sub(clock.now()).min(MAX_IDLE);
            std::thread::sleep(wait);
            continue;
        };
        frames += 1;
        if args.hang_after_frames.is_some_and(|n| frames > n) {
            loop {
                std::thread::park();
            }
        }
        let taken = clock.now();
        let decoded = decode_frame(&frame.luma, &options, &clock);
        decode_ms.push(ms(clock.now().saturating_sub(taken)));
        for text in tracker.observe(frame.at, &decoded.texts()) {
            let scan = Scan { lane, ..Scan::camera(&text) };
            let decision = gate.check(&mut store, &scan, Utc::now(), uuid::Uuid::now_v7())?;
            // The event is committed: only now may the gate open.
            if let Some(t) = &turnstile {
                t.follow(&decision);
            }
            let latency = ms(clock.now().saturating_sub(taken));
            if snapshot::wanted(gate.config.camera().snapshots, &decision) {
                store.put_snapshot(decision.event_id, &snapshot::jpeg(&frame.luma)?, Utc::now())?;
            }
            latency_ms.push(latency);
            let mut line = decision_json(&decision);
            line["frame"] = json!(frame.seq);
            if let Some(l) = lane {
                line["lane"] = json!(l.number);
            }
            line["latency_ms"] = json!((latency * 100.0).round() / 100.0);
            println!("{line}");
        }
    }
    let mut pulse_ms: Vec<f64> = turnstile.map(|t| t.finish().into_iter().map(ms).collect()).unwrap_or_default();
    if args.stats {
        eprintln!(
            "{}",
            json!({
                "stats": {
                    "source": name,
                    "frames": frames,
                    "events": latency_ms.len(),
                    "decode_ms": summary(&mut decode_ms),
                    "frame_to_event_ms": summary(&mut latency_ms),
                    "pulses": pulse_ms.len(),
                    "decision_to_pulse_ms": summary(&mut pulse_ms),
                }
            })
        );
    }
    Ok(Outcome::Done)
}

/// The turnstile kiosk.conf names, its health told on standard error and kept for
/// `qrgate sync --status`; an opening nobody went through recorded as its entry's follow-up.
pub fn start_turnstile(config: &qrgate_core::config::Config, data: &DataDir) -> Option<qrgate_turnstile::Turnstile> {
    let path = data.turnstile_health();
    let database = data.database();
    let zone = config.time.timezone;
    // A line when the device comes or goes, not one per pulse; the file keeps the counts.
    let last = std::sync::Mutex::new(None);
    qrgate_turnstile::Turnstile::start(
        &config.turnstile,
        move |health| {
            // The file first: whoever reads the line and then asks `sync --status` finds the same state.
            if let Err(e) = (qrgate_turnstile::Seen { health: health.clone(), at: Utc::now() }).save(&path) {
                eprintln!("{}", json!({ "turnstile_status_not_saved": e.to_string() }));
            }
            let state = Some((health.reachable, health.problem.clone()));
            let mut seen = last.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if *seen != state {
                eprintln!("{}", json!({ "turnstile": health }));
                *seen = state;
            }
        },
        move |entry| {
            // Its own connection: this runs on the turnstile's thread, beside the frame loop's writes.
            let written = qrgate_core::store::Store::open(&database).and_then(|mut store| {
                qrgate_core::gate::record_not_passed(&mut store, zone, entry, Utc::now(), uuid::Uuid::now_v7())
            });
            match written {
                Ok(Some(event)) => eprintln!("{}", json!({ "not_passed": { "event": event.id, "follows": entry } })),
                Ok(None) => {}
                Err(e) => {
                    eprintln!("{}", json!({ "not_passed_not_recorded": { "follows": entry, "error": e.to_string() } }))
                }
            }
        },
    )
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// p50, p95 and max by nearest rank; null when nothing was measured.
fn summary(values: &mut [f64]) -> serde_json::Value {
    if values.is_empty() {
        return serde_json::Value::Null;
    }
    values.sort_by(f64::total_cmp);
    let rank = |p: f64| values[((p * values.len() as f64).ceil() as usize).clamp(1, values.len()) - 1];
    let round = |v: f64| (v * 100.0).round() / 100.0;
    json!({ "p50": round(rank(0.50)), "p95": round(rank(0.95)), "max": round(values[values.len() - 1]) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_takes_nearest_ranks() {
        let mut v: Vec<f64> = (1..=20).rev().map(f64::from).collect();
        assert_eq!(summary(&mut v), json!({ "p50": 10.0, "p95": 19.0, "max": 20.0 }));
        assert_eq!(summary(&mut [7.0]), json!({ "p50": 7.0, "p95": 7.0, "max": 7.0 }));
        assert_eq!(summary(&mut []), serde_json::Value::Null);
    }
}
