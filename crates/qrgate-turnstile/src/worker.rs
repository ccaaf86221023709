//! The turnstile's own thread: pulses in the order decided, a probe of the device between them,
//! and the device's health for the guard screen.
//!
//! A device that fails is dropped and opened again at the next probe or pulse, so a relay board
//! plugged back in works again without a restart. An output whose release failed is released
//! first thing after reopening: a turnstile must not stay open.
//!
//! With a passage sensor, each opening for an accepted event waits for someone to go through:
//! the sensor's rising edges are matched to the openings oldest first, and an opening left
//! unmatched past `passage_seconds` is reported as not passed. While the sensor cannot be read
//! nobody can say, so the openings waiting then are reported as nothing.

use std::collections::VecDeque;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use qrgate_core::config::{TurnstileConfig, TurnstileDriver};
use qrgate_core::gate::Decision;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::Result;
use crate::{describe, is_wired, open, output_for, Device, Output};

/// How often an idle device is looked at: an unplugged board is on the guard screen within this.
const PROBE_EVERY: Duration = Duration::from_secs(1);
/// How often the passage sensor is read while an opening waits for someone: a person crossing a
/// light barrier holds it for a few hundred milliseconds, a turnstile arm's switch about as long.
const SENSOR_EVERY: Duration = Duration::from_millis(20);
/// Pulse latencies kept for `--stats` and the benchmark; older ones are dropped.
const KEPT_LATENCIES: usize = 100_000;

/// What the guard screen and `qrgate sync --status` say about the turnstile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub driver: TurnstileDriver,
    /// The device in words, e.g. "the LCUS relay board on /dev/ttyUSB0".
    pub device: String,
    pub reachable: bool,
    /// Why it cannot be reached (or why its last pulse failed), in words.
    pub problem: Option<String>,
    pub pulses: u64,
    pub failed_pulses: u64,
}

enum Command {
    /// `awaiting`: the accepted event whose passage the sensor should see.
    Pulse { output: Output, decided: Instant, awaiting: Option<Uuid> },
}

/// An opening waiting for the sensor to see someone go through.
struct Opening {
    event: Uuid,
    until: Instant,
}

/// The gate's outputs, driven from a thread of their own.
pub struct Turnstile {
    commands: Option<mpsc::Sender<Command>>,
    /// From each decision handed over to its contact closing, the newest [`KEPT_LATENCIES`].
    latencies: Arc<Mutex<VecDeque<Duration>>>,
    thread: Option<JoinHandle<()>>,
    config: TurnstileConfig,
}

impl Turnstile {
    /// Starts the device kiosk.conf names; `None` when it names none. `on_change` hears each change
    /// of health, a pulse's count included (on the turnstile's thread), the first one as soon as
    /// the device was opened. With a passage sensor, `not_passed` hears the id of each accepted
    /// event whose opening nobody went through in time (on the same thread).
    pub fn start(
        config: &TurnstileConfig,
        on_change: impl Fn(&Health) + Send + 'static,
        not_passed: impl Fn(Uuid) + Send + 'static,
    ) -> Option<Turnstile> {
        if config.driver == TurnstileDriver::None {
            return None;
        }
        let health = Health {
            driver: config.driver,
            device: describe(config),
            reachable: false,
            problem: Some("not opened yet".into()),
            pulses: 0,
            failed_pulses: 0,
        };
        let latencies = Arc::new(Mutex::new(VecDeque::new()));
        let (commands, received) = mpsc::channel();
        let thread = {
            let latencies = latencies.clone();
            let config = config.clone();
            std::thread::Builder::new()
                .name("turnstile".into())
                .spawn(move || run(&config, &received, health, &latencies, &on_change, &not_passed))
                .expect("a thread starts")
        };
        Some(Turnstile { commands: Some(commands), latencies, thread: Some(thread), config: config.clone() })
    }

    /// Pulses the output `decision` calls for, if it is wired. Call it once the decision's event
    /// is committed; it returns at once.
    pub fn follow(&self, decision: &Decision) {
        if let Some(output) = output_for(decision).filter(|o| is_wired(&self.config, *o)) {
            let passes = matches!(output, Output::In | Output::Out);
            let awaiting = (passes && self.config.passage.is_some()).then_some(decision.event_id);
            self.send(output, awaiting);
        }
    }

    /// Pulses `output` after those already asked for; returns at once.
    pub fn pulse(&self, output: Output) {
        self.send(output, None);
    }

    fn send(&self, output: Output, awaiting: Option<Uuid>) {
        if let Some(commands) = &self.commands {
            let _ = commands.send(Command::Pulse { output, decided: Instant::now(), awaiting });
        }
    }

    /// Finishes the pulses asked for, then gives each one's time from the decision to the
    /// contact closing, oldest first.
    pub fn finish(mut self) -> Vec<Duration> {
        self.stop();
        std::mem::take(&mut *lock(&self.latencies)).into()
    }

    fn stop(&mut self) {
        self.commands = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The turnstile's health as a running kiosk last saw it, kept in the data directory for
/// `qrgate sync --status` (another process).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    pub health: Health,
    pub at: chrono::DateTime<chrono::Utc>,
}

impl Seen {
    /// Writes it whole and owner-only (a reader never sees half a file).
    pub fn save(&self, path: &std::path::Path) -> qrgate_core::Result<()> {
        let json = serde_json::to_vec_pretty(self).expect("health serialises");
        qrgate_core::datadir::replace_private_file(path, &json)
    }

    /// What was saved; `None` when no kiosk with a turnstile ran here.
    pub fn load(path: &std::path::Path) -> std::io::Result<Option<Seen>> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(std::io::Error::other),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl Drop for Turnstile {
    /// Finishes the pulses asked for (a contact closed is released) before the thread ends.
    fn drop(&mut self) {
        self.stop();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Closes `output` for `length` (a door controller: one call), telling `closed` the moment the
/// contact closed. A release that failed leaves the output in `stuck`.
pub(crate) fn pulse(
    device: &mut dyn Device,
    output: Output,
    length: Duration,
    stuck: &mut Option<Output>,
    closed: impl FnOnce(),
) -> Result<()> {
    device.set(output, true)?;
    closed();
    if !device.momentary() {
        std::thread::sleep(length);
        if let Err(e) = device.set(output, false) {
            *stuck = Some(output);
            return Err(e);
        }
    }
    Ok(())
}

/// The device, opened if it is not; an output left closed is released first.
fn ensure<'d>(
    config: &TurnstileConfig,
    device: &'d mut Option<Box<dyn Device>>,
    stuck: &mut Option<Output>,
) -> Result<&'d mut Box<dyn Device>> {
    if device.is_none() {
        let mut opened = open(config).expect("started with a driver")?;
        if let Some(output) = *stuck {
            opened.set(output, false)?;
            *stuck = None;
        }
        *device = Some(opened);
    }
    Ok(device.as_mut().expect("opened above"))
}

fn run(
    config: &TurnstileConfig,
    commands: &mpsc::Receiver<Command>,
    mut health: Health,
    latencies: &Mutex<VecDeque<Duration>>,
    on_change: &(impl Fn(&Health) + Send),
    not_passed: &(impl Fn(Uuid) + Send),
) {
    let length = Duration::from_millis(config.pulse_ms.into());
    let within = Duration::from_secs(config.passage_seconds.into());
    let mut openings: VecDeque<Opening> = VecDeque::new();
    let mut sensed = false;
    let mut device: Option<Box<dyn Device>> = None;
    let mut stuck: Option<Output> = None;
    // After a probe (`pulsed` false) or a pulse, its counts moved by the pulse's outcome.
    let mut report = |result: &Result<()>, pulsed: bool| {
        let before = health.clone();
        match (pulsed, result.is_ok()) {
            (true, true) => health.pulses += 1,
            (true, false) => health.failed_pulses += 1,
            (false, _) => {}
        }
        health.reachable = result.is_ok();
        health.problem = result.as_ref().err().map(|e| e.to_string());
        if health != before {
            on_change(&health);
        }
    };
    let opened = ensure(config, &mut device, &mut stuck).map(drop);
    report(&opened, false);
    loop {
        let wait = if openings.is_empty() { PROBE_EVERY } else { SENSOR_EVERY };
        let (result, pulsed) = match commands.recv_timeout(wait) {
            Ok(Command::Pulse { output, decided, awaiting }) => {
                let result = ensure(config, &mut device, &mut stuck).and_then(|d| {
                    pulse(d.as_mut(), output, length, &mut stuck, || {
                        let mut latencies = lock(latencies);
                        if latencies.len() == KEPT_LATENCIES {
                            latencies.pop_front();
                        }
                        latencies.push_back(decided.elapsed());
                    })
                });
                if let (Ok(()), Some(event)) = (&result, awaiting) {
                    openings.push_back(Opening { event, until: Instant::now() + within });
                }
                (result, true)
            }
            // Reading the sensor answers the probe's question too.
            Err(RecvTimeoutError::Timeout) if !openings.is_empty() => {
                let read = ensure(config, &mut device, &mut stuck).and_then(|d| d.passage());
                if let Ok(now) = read {
                    if now && !sensed {
                        openings.pop_front();
                    }
                    sensed = now;
                }
                (read.map(drop), false)
            }
            Err(RecvTimeoutError::Timeout) => (ensure(config, &mut device, &mut stuck).and_then(|d| d.probe()), false),
            Err(RecvTimeoutError::Disconnected) => return,
        };
        if result.is_err() {
            device = None;
            // Whether anyone went through while the sensor was out of reach cannot be known.
            openings.clear();
        }
        report(&result, pulsed);
        let now = Instant::now();
        while openings.front().is_some_and(|o| o.until <= now) {
            not_passed(openings.pop_front().expect("looked at").event);
        }
    }
}
