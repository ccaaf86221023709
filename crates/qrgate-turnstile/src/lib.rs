//! The gate's outputs: what opens the turnstile, barrier or door on a green decision.
//!
//! Four kinds of wiring, each with its device's own protocol: LCUS USB relay boards (a 4-byte
//! frame per switch over a CH340 serial port), Modbus RTU relay modules on RS-485 (write single
//! coil, through `rmodbus`), the gate PC's GPIO lines (the kernel's character device, through
//! `gpiocdev`) and a door controller's HTTP call. [`Turnstile`] runs the device on a thread of its
//! own, so a pulse's 200 ms never hold up the next decision, and reports whether the device can
//! be reached. The caller pulses only after the decision's event is committed: the turnstile never
//! lets anyone through whom the log does not hold.

mod door;
mod error;
mod gpio;
mod lcus;
mod modbus;
mod serial;
mod worker;

use std::time::Duration;

use qrgate_core::config::{TurnstileConfig, TurnstileDriver};
use qrgate_core::gate::Decision;
use qrgate_core::model::{Direction, Verdict};

pub use error::{Error, Result};
pub use lcus::frame as lcus_frame;
pub use worker::{Health, Seen, Turnstile};

/// One of the gate's outputs, named after the decision that closes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Output {
    /// An accepted entry.
    In,
    /// An accepted exit.
    Out,
    /// A refusal (optional: a buzzer or a light).
    Alarm,
}

impl Output {
    pub fn name(self) -> &'static str {
        match self {
            Output::In => "in",
            Output::Out => "out",
            Output::Alarm => "alarm",
        }
    }
}

impl std::str::FromStr for Output {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Output, String> {
        match s {
            "in" => Ok(Output::In),
            "out" => Ok(Output::Out),
            "alarm" => Ok(Output::Alarm),
            _ => Err(format!("{s:?} is not an output: in, out or alarm")),
        }
    }
}

/// The output a decision closes, if any. A debounced scan (the same person moments ago) opens
/// nothing: the first scan already did, and a second opening would let a second person through on
/// one badge.
pub fn output_for(decision: &Decision) -> Option<Output> {
    if decision.debounced {
        return None;
    }
    match (decision.verdict, decision.direction) {
        (Verdict::Accepted, Some(Direction::In)) => Some(Output::In),
        (Verdict::Accepted, Some(Direction::Out)) => Some(Output::Out),
        (Verdict::Accepted, None) => None,
        (Verdict::Refused, _) => Some(Output::Alarm),
        (Verdict::NotPassed, _) => None,
    }
}

/// A device that closes and opens the gate's contacts.
trait Device: Send {
    /// Closes (`on`) or opens the contact wired to `output`.
    fn set(&mut self, output: Output, on: bool) -> Result<()>;
    /// Whether the device is still there, without moving any contact.
    fn probe(&mut self) -> Result<()>;
    /// Whether the passage sensor sees someone now (kiosk.conf's `passage`); a device without
    /// sensor inputs is never configured with one.
    fn passage(&mut self) -> Result<bool> {
        Ok(false)
    }
    /// A door controller times its own opening: one call, no second one to release it.
    fn momentary(&self) -> bool {
        false
    }
}

/// How the configured device is named in messages: its driver and where it is.
pub fn describe(config: &TurnstileConfig) -> String {
    match config.driver {
        TurnstileDriver::None => "no turnstile".into(),
        TurnstileDriver::Lcus => format!("the LCUS relay board on {}", config.port),
        TurnstileDriver::Modbus => format!("the Modbus relay module {} on {}", config.unit, config.port),
        TurnstileDriver::Gpio => format!("the GPIO lines of {}", config.chip),
        TurnstileDriver::Http => "the door controller".into(),
    }
}

/// Opens the configured device; `None` when kiosk.conf sets none.
fn open(config: &TurnstileConfig) -> Option<Result<Box<dyn Device>>> {
    let device: Result<Box<dyn Device>> = match config.driver {
        TurnstileDriver::None => return None,
        TurnstileDriver::Lcus => lcus::Board::open(config).map(|d| Box::new(d) as Box<dyn Device>),
        TurnstileDriver::Modbus => modbus::Module::open(config).map(|d| Box::new(d) as Box<dyn Device>),
        TurnstileDriver::Gpio => gpio::Lines::open(config).map(|d| Box::new(d) as Box<dyn Device>),
        TurnstileDriver::Http => door::Door::open(config).map(|d| Box::new(d) as Box<dyn Device>),
    };
    Some(device)
}

/// The configured wire of `output`, or why there is none.
fn wire(config: &TurnstileConfig, output: Output) -> Result<u16> {
    let wired = match output {
        Output::In => config.entry,
        Output::Out => config.exit,
        Output::Alarm => config.alarm,
    };
    wired.ok_or(Error::NotWired { output: output.name() })
}

/// Whether kiosk.conf wires `output` at all (a refusal pulses nothing without an alarm).
pub fn is_wired(config: &TurnstileConfig, output: Output) -> bool {
    match config.driver {
        TurnstileDriver::None => false,
        TurnstileDriver::Http => door::url(config, output).is_some(),
        _ => wire(config, output).is_ok(),
    }
}

/// One pulse on `output`, now, on a device opened for it and closed after: the installer's
/// `qrgate turnstile test`. Returns how long the contact was closed.
pub fn pulse_once(config: &TurnstileConfig, output: Output) -> Result<Duration> {
    if !is_wired(config, output) {
        return match config.driver {
            TurnstileDriver::None => Err(Error::NotConfigured),
            _ => Err(Error::NotWired { output: output.name() }),
        };
    }
    let mut device = open(config).ok_or(Error::NotConfigured)??;
    let mut closed_at = None;
    let length = Duration::from_millis(config.pulse_ms.into());
    let mut stuck = None;
    worker::pulse(device.as_mut(), output, length, &mut stuck, || closed_at = Some(std::time::Instant::now()))?;
    Ok(closed_at.map(|t| t.elapsed()).unwrap_or_default())
}
