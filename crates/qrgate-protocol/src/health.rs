//! A kiosk's health as it tells the province at the end of each sync round: its version, what
//! still waits to be sent, its own clock as it reads it, its camera and turnstile, its disk, and
//! its last error and restart. The province lists its kiosks from these (a kiosk gone silent
//! is one whose reports and syncs stopped).
//!
//! The clock travels uncorrected: the request is signed on the corrected clock (so it is taken),
//! and the body says what the kiosk's own clock read when it was sent, so the server measures
//! the offset itself (its receive time minus that reading) instead of trusting the kiosk's word.

use serde::{Deserialize, Serialize};

use crate::check::{self, Field, FieldError};

/// POST: this kiosk's health now. Signed like a push; a server older than this path answers 404,
/// which the kiosk takes calmly.
pub const HEALTH_PATH: &str = "/api/v1/health";

/// What a camera or a turnstile is doing, as a report tells it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DeviceState {
    /// The kiosk has no turnstile (or no camera) set up.
    Absent,
    /// It works: frames arrive, the device answers its probe.
    Working,
    /// Nobody has said yet (a kiosk starting, or `qrgate sync`, which watches no camera).
    #[default]
    Unknown,
    /// Set up, and not working: the guard screen shows a red alert meanwhile.
    Failing,
}

impl DeviceState {
    /// Every state, in the order of how much it needs someone's attention.
    pub const ALL: [DeviceState; 4] =
        [DeviceState::Absent, DeviceState::Working, DeviceState::Unknown, DeviceState::Failing];

    /// The state's one word on the wire, in the province's answers and its database.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceState::Absent => "absent",
            DeviceState::Working => "working",
            DeviceState::Unknown => "unknown",
            DeviceState::Failing => "failing",
        }
    }

    pub fn parse(text: &str) -> Option<DeviceState> {
        DeviceState::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// Something that happened to the kiosk, when (on the kiosk's own clock, uncorrected) and in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    pub at_ms: i64,
    pub text: String,
}

/// One health report as it travels. States stay plain strings on the wire, like an event's
/// fields, so a word this server does not know is refused with a reason and not as bad JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthReport {
    /// The enterprise the kiosk believes it belongs to; the server refuses a report unless it is
    /// the one the kiosk was registered with.
    pub enterprise: String,
    /// The kiosk's program version.
    pub version: String,
    /// The gate's name, as kiosk.conf says it; absent when the sender does not know it.
    #[serde(default)]
    pub gate: Option<String>,
    /// The kiosk's own events the province has not got yet.
    pub events_waiting: u64,
    /// The kiosk's own clock when it sent the report (ms since the epoch), uncorrected.
    pub clock_ms: i64,
    /// A [`DeviceState`] word.
    pub camera: String,
    /// A [`DeviceState`] word.
    pub turnstile: String,
    /// Bytes free on the data directory's disk; absent when it could not be read.
    #[serde(default)]
    pub free_disk_bytes: Option<u64>,
    /// The latest problem the kiosk knows of, in words ([`Field::ErrorText`]).
    #[serde(default)]
    pub last_error: Option<Incident>,
    /// The last time the kiosk started again after a stop it did not make, and why
    /// ([`Field::RestartReason`]).
    #[serde(default)]
    pub last_restart: Option<Incident>,
}

/// What the server answers to a report it stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthAnswer {
    /// The server's clock when the report arrived minus the kiosk's reading in it (ms):
    /// positive, the kiosk's clock is behind.
    pub clock_offset_ms: i64,
}

/// Why a report cannot be taken. The server answers every one with the code
/// `bad_health_report` and these words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthProblem {
    /// A text too long, empty where it must not be, or with a control character.
    Text(FieldError),
    /// `device`'s state is not a [`DeviceState`] word.
    State { device: &'static str },
    /// `what` is a clock reading a century or more from the receiver's clock.
    Clock { what: &'static str },
    /// `what` is a count beyond anything a kiosk holds.
    Count { what: &'static str },
}

impl std::fmt::Display for HealthProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HealthProblem::Text(e) => write!(f, "{e}"),
            HealthProblem::State { device } => {
                let words: Vec<&str> = DeviceState::ALL.iter().map(|s| s.as_str()).collect();
                write!(f, "the {device}'s state is not one of {}", words.join(", "))
            }
            HealthProblem::Clock { what } => write!(f, "{what} is a century or more from the receiver's clock"),
            HealthProblem::Count { what } => write!(f, "{what} is beyond anything a kiosk holds"),
        }
    }
}

impl std::error::Error for HealthProblem {}

/// A report that passed [`HealthReport::check`]: the server stores only these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedHealth {
    report: HealthReport,
    camera: DeviceState,
    turnstile: DeviceState,
}

impl CheckedHealth {
    pub fn get(&self) -> &HealthReport {
        &self.report
    }

    pub fn camera(&self) -> DeviceState {
        self.camera
    }

    pub fn turnstile(&self) -> DeviceState {
        self.turnstile
    }

    /// Events waiting, as the province's bigint column holds them ([`HealthReport::check`]
    /// bounded them far below its end).
    pub fn events_waiting(&self) -> i64 {
        i64::try_from(self.report.events_waiting).expect("checked")
    }

    pub fn free_disk_bytes(&self) -> Option<i64> {
        self.report.free_disk_bytes.map(|b| i64::try_from(b).expect("checked"))
    }
}

impl HealthReport {
    /// Checks a report on arrival at `now_ms` (the receiver's clock): texts by the protocol's one
    /// rule ([`check::text`]), states from the closed list, clock readings within a century of
    /// the receiver's clock ([`check::clock_reading`]), counts within what the province stores.
    pub fn check(self, now_ms: i64) -> Result<CheckedHealth, HealthProblem> {
        let text = |field, value: &str| check::text(field, value).map_err(HealthProblem::Text);
        text(Field::Version, &self.version)?;
        if let Some(gate) = &self.gate {
            text(Field::Gate, gate)?;
        }
        if let Some(e) = &self.last_error {
            text(Field::ErrorText, &e.text)?;
        }
        if let Some(r) = &self.last_restart {
            text(Field::RestartReason, &r.text)?;
        }
        let state = |device, word: &str| DeviceState::parse(word).ok_or(HealthProblem::State { device });
        let camera = state("camera", &self.camera)?;
        let turnstile = state("turnstile", &self.turnstile)?;
        let readings = [
            ("clock_ms", Some(self.clock_ms)),
            ("last_error.at_ms", self.last_error.as_ref().map(|e| e.at_ms)),
            ("last_restart.at_ms", self.last_restart.as_ref().map(|r| r.at_ms)),
        ];
        for (what, reading) in readings {
            if reading.is_some_and(|ms| !check::clock_reading(ms, now_ms)) {
                return Err(HealthProblem::Clock { what });
            }
        }
        // No kiosk holds more events than it has numbers for; no disk holds more bytes than a
        // bigint counts.
        if self.events_waiting > crate::MAX_SEQ as u64 {
            return Err(HealthProblem::Count { what: "events_waiting" });
        }
        if self.free_disk_bytes.is_some_and(|b| b > i64::MAX as u64) {
            return Err(HealthProblem::Count { what: "free_disk_bytes" });
        }
        Ok(CheckedHealth { report: self, camera, turnstile })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::TextProblem;

    const NOW: i64 = 1_750_000_000_000;

    fn report() -> HealthReport {
        HealthReport {
            enterprise: "0101234567".into(),
            version: "0.2.0".into(),
            gate: Some("Cổng chính".into()),
            events_waiting: 12,
            clock_ms: NOW - 3 * 3_600_000,
            camera: "working".into(),
            turnstile: "absent".into(),
            free_disk_bytes: Some(40_000_000_000),
            last_error: Some(Incident { at_ms: NOW - 60_000, text: "offline: connection refused".into() }),
            last_restart: Some(Incident { at_ms: NOW - 86_400_000, text: "the kiosk window: a crash".into() }),
        }
    }

    #[test]
    fn a_good_report_passes_typed() {
        let checked = report().check(NOW).unwrap();
        assert_eq!(checked.get(), &report());
        assert_eq!((checked.camera(), checked.turnstile()), (DeviceState::Working, DeviceState::Absent));
        assert_eq!((checked.events_waiting(), checked.free_disk_bytes()), (12, Some(40_000_000_000)));
        let bare = HealthReport { gate: None, free_disk_bytes: None, last_error: None, last_restart: None, ..report() };
        bare.check(NOW).unwrap();
        // A kiosk whose battery died reads 1970: still a clock, and its offset is measured.
        HealthReport { clock_ms: 0, ..report() }.check(NOW).unwrap();
    }

    #[test]
    fn states_have_one_word_each() {
        for state in DeviceState::ALL {
            assert_eq!(DeviceState::parse(state.as_str()), Some(state));
        }
        assert_eq!(DeviceState::default(), DeviceState::Unknown);
        assert_eq!(DeviceState::ALL.iter().max(), Some(&DeviceState::Failing), "failing needs attention most");
        assert_eq!(DeviceState::parse("Working"), None);
    }

    #[test]
    fn each_bad_field_is_named() {
        type Case = (fn(&mut HealthReport), HealthProblem);
        let text = |field, problem| HealthProblem::Text(FieldError { field, problem });
        let cases: Vec<Case> = vec![
            (|r| r.version = String::new(), text(Field::Version, TextProblem::Empty)),
            (|r| r.version = "1".repeat(33), text(Field::Version, TextProblem::TooLong { max: 32 })),
            (|r| r.gate = Some("A\nB".into()), text(Field::Gate, TextProblem::ControlCharacter { character: '\n' })),
            (
                |r| r.last_error.as_mut().unwrap().text = "x".repeat(501),
                text(Field::ErrorText, TextProblem::TooLong { max: 500 }),
            ),
            (
                |r| r.last_error.as_mut().unwrap().text = "\u{1b}[2Jforged".into(),
                text(Field::ErrorText, TextProblem::ControlCharacter { character: '\u{1b}' }),
            ),
            (
                |r| r.last_error.as_mut().unwrap().text = "a\0b".into(),
                text(Field::ErrorText, TextProblem::ControlCharacter { character: '\0' }),
            ),
            (|r| r.last_restart.as_mut().unwrap().text = String::new(), text(Field::RestartReason, TextProblem::Empty)),
            (|r| r.camera = "sleeping".into(), HealthProblem::State { device: "camera" }),
            (|r| r.turnstile = String::new(), HealthProblem::State { device: "turnstile" }),
            (|r| r.clock_ms = i64::MIN, HealthProblem::Clock { what: "clock_ms" }),
            (|r| r.clock_ms = i64::MAX, HealthProblem::Clock { what: "clock_ms" }),
            (|r| r.last_error.as_mut().unwrap().at_ms = i64::MIN, HealthProblem::Clock { what: "last_error.at_ms" }),
            (
                |r| r.last_restart.as_mut().unwrap().at_ms = i64::MAX,
                HealthProblem::Clock { what: "last_restart.at_ms" },
            ),
            (|r| r.events_waiting = u64::MAX, HealthProblem::Count { what: "events_waiting" }),
            (|r| r.free_disk_bytes = Some(u64::MAX), HealthProblem::Count { what: "free_disk_bytes" }),
        ];
        for (change, problem) in cases {
            let mut r = report();
            change(&mut r);
            assert_eq!(r.clone().check(NOW).unwrap_err(), problem, "{r:?}");
        }
        let e = HealthReport { camera: "x".into(), ..report() }.check(NOW).unwrap_err();
        assert_eq!(e.to_string(), "the camera's state is not one of absent, working, unknown, failing");
        let e = HealthReport { version: "1".repeat(40), ..report() }.check(NOW).unwrap_err();
        assert_eq!(e.to_string(), "version is longer than 32 characters");
    }

    #[test]
    fn a_report_travels_and_older_fields_default() {
        let text = serde_json::to_vec(&report()).unwrap();
        assert_eq!(crate::from_json::<HealthReport>(&text, "health report").unwrap(), report());
        let bare: HealthReport = crate::from_json(
            br#"{"enterprise":"0101234567","version":"0.2.0","events_waiting":0,"clock_ms":1,"camera":"unknown","turnstile":"unknown"}"#,
            "health report",
        )
        .unwrap();
        assert_eq!((bare.gate, bare.free_disk_bytes, bare.last_error, bare.last_restart), (None, None, None, None));
    }
}
