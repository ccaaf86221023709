//! The JSON bodies of /api/v1 and the checks that turn an arriving event or worker into a trusted one.
//!
//! Fields stay plain strings on the wire so one bad event in a batch is refused on its own, with
//! a reason, instead of failing the whole batch at deserialisation.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{Error, Result};

/// One gate event as it travels. Same fields as the kiosk's `events` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireEvent {
    pub id: Uuid,
    pub kiosk_id: String,
    pub seq: i64,
    pub gate: String,
    pub person_kind: Option<String>,
    pub person_ref: Option<String>,
    pub direction: Option<String>,
    pub at_ms: i64,
    pub offset_s: i32,
    pub method: String,
    pub verdict: String,
    pub reason: Option<String>,
    pub badge_serial: Option<u32>,
    pub operator: Option<String>,
    pub note: Option<String>,
    /// The province's clock minus the kiosk's (ms) as the kiosk knew it when it wrote the event;
    /// absent when it never heard the server (and from kiosks older than this field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_offset_ms: Option<i64>,
    /// `behind` or `ahead`: the kiosk doubted the event's time when it wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_flag: Option<String>,
}

pub const CLOCK_FLAGS: &[&str] = &["behind", "ahead"];

/// A roster entry as it travels. No phone number: the province has no need for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireWorker {
    pub code: String,
    pub full_name: String,
    pub department: String,
    pub shift: String,
    pub active: bool,
    /// The current badge serial; a higher serial revokes every badge before it.
    pub badge_serial: u32,
}

/// Why one event of a batch was refused for good. The kiosk records it and does not send it again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRejection {
    pub id: Uuid,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushRequest {
    /// The enterprise the kiosk believes it belongs to; the server refuses the batch unless it is
    /// the one the kiosk was registered with.
    pub enterprise: String,
    pub events: Vec<WireEvent>,
    #[serde(default)]
    pub workers: Vec<WireWorker>,
}

/// The answer to a push: every id in `stored` is on the server (just now or before); every id
/// in `rejected` never will be. An id in neither was not handled and is sent again.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    pub stored: Vec<Uuid>,
    pub rejected: Vec<EventRejection>,
    pub workers_stored: usize,
}

/// Cursors are opaque to the kiosk: it keeps what the server gave and sends it back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequest {
    pub enterprise: String,
    pub events_after: String,
    pub roster_after: String,
    pub limit: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullResponse {
    /// Events of the kiosk's enterprise from its other gates.
    pub events: Vec<WireEvent>,
    pub workers: Vec<WireWorker>,
    pub events_cursor: String,
    pub roster_cursor: String,
    /// True when the server holds more than it sent: pull again at once.
    pub more: bool,
}

/// Every error answer of the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
}

pub const PERSON_KINDS: &[&str] = &["worker", "visitor"];
pub const DIRECTIONS: &[&str] = &["in", "out"];
pub const METHODS: &[&str] = &["badge", "phone", "cccd", "manual", "legacy"];
pub const VERDICTS: &[&str] = &["accepted", "refused"];

const MAX_TEXT: usize = 1000;

/// An event that passed [`WireEvent::check`]: the server stores only these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedEvent(WireEvent);

impl CheckedEvent {
    pub fn get(&self) -> &WireEvent {
        &self.0
    }
}

fn reject(id: Uuid, code: &str, message: impl Into<String>) -> EventRejection {
    EventRejection { id, code: code.to_string(), message: message.into() }
}

fn one_of(id: Uuid, field: &str, value: &str, allowed: &[&str]) -> std::result::Result<(), EventRejection> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(reject(id, &format!("bad_{field}"), format!("{field} {value:?} is not one of {}", allowed.join(", "))))
    }
}

impl WireEvent {
    /// Checks an event sent by `sender` (the authenticated kiosk). The rejection codes are
    /// stable: `wrong_kiosk`, `bad_person`, `bad_direction`, `bad_method`, `bad_verdict`, `bad_clock_flag`,
    /// `bad_time`, `too_long`.
    pub fn check(self, sender: &str) -> std::result::Result<CheckedEvent, EventRejection> {
        let id = self.id;
        if self.kiosk_id != sender {
            return Err(reject(
                id,
                "wrong_kiosk",
                format!("event of kiosk {:?} sent by kiosk {sender:?}", self.kiosk_id),
            ));
        }
        match (&self.person_kind, &self.person_ref) {
            (Some(k), Some(r)) if !r.is_empty() && r.len() <= 128 => one_of(id, "person", k, PERSON_KINDS)?,
            (None, None) => {}
            _ => return Err(reject(id, "bad_person", "person kind and reference must come together")),
        }
        if let Some(d) = &self.direction {
            one_of(id, "direction", d, DIRECTIONS)?;
        }
        one_of(id, "method", &self.method, METHODS)?;
        one_of(id, "verdict", &self.verdict, VERDICTS)?;
        if let Some(f) = &self.clock_flag {
            one_of(id, "clock_flag", f, CLOCK_FLAGS)?;
        }
        // 2000-01-01 to 2200-01-01: anything outside is a broken clock, not an event.
        // A clock offset beyond a century is no clock's.
        let offset_ok = self.clock_offset_ms.is_none_or(|o| o.unsigned_abs() < 100 * 366 * 86_400_000);
        if !(946_684_800_000..7_258_118_400_000).contains(&self.at_ms) || self.offset_s.abs() > 18 * 3600 || !offset_ok
        {
            return Err(reject(
                id,
                "bad_time",
                format!("time {} ms / offset {} s is out of range", self.at_ms, self.offset_s),
            ));
        }
        let texts = [Some(&self.gate), self.reason.as_ref(), self.operator.as_ref(), self.note.as_ref()];
        if texts.iter().flatten().any(|t| t.len() > MAX_TEXT) || self.seq < 0 {
            return Err(reject(
                id,
                "too_long",
                format!("a text field is longer than {MAX_TEXT} bytes or seq is negative"),
            ));
        }
        Ok(CheckedEvent(self))
    }
}

impl WireWorker {
    /// Checks a roster entry: employee codes are 1 to 32 of `A-Z 0-9 - _ . /`, upper-case.
    pub fn check(&self) -> Result<()> {
        let bad = |why: String| Error::BadJson { what: "roster entry", why };
        let ok_char = |c: char| c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.' | '/');
        if self.code.is_empty() || self.code.len() > 32 || !self.code.chars().all(ok_char) {
            return Err(bad(format!("employee code {:?} is not 1 to 32 of A-Z 0-9 - _ . /", self.code)));
        }
        if [&self.full_name, &self.department, &self.shift].iter().any(|t| t.len() > MAX_TEXT) {
            return Err(bad(format!("a text of worker {} is longer than {MAX_TEXT} bytes", self.code)));
        }
        Ok(())
    }
}

/// Parses a JSON body into `T`, naming what it should have been.
pub fn from_json<'a, T: Deserialize<'a>>(bytes: &'a [u8], what: &'static str) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| Error::BadJson { what, why: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn event() -> WireEvent {
        WireEvent {
            id: Uuid::from_u128(1),
            kiosk_id: "gate-1".into(),
            seq: 1,
            gate: "Cổng A".into(),
            person_kind: Some("worker".into()),
            person_ref: Some("NV001".into()),
            direction: Some("in".into()),
            at_ms: 1_750_000_000_000,
            offset_s: 7 * 3600,
            method: "badge".into(),
            verdict: "accepted".into(),
            reason: None,
            badge_serial: Some(1),
            operator: None,
            note: None,
            clock_offset_ms: Some(-3 * 3600 * 1000),
            clock_flag: None,
        }
    }

    #[test]
    fn good_event_passes() {
        assert_eq!(event().check("gate-1").unwrap().get(), &event());
    }

    #[test]
    fn each_bad_field_has_its_code() {
        type Case = (fn(&mut WireEvent), &'static str);
        let cases: Vec<Case> = vec![
            (|e| e.kiosk_id = "gate-2".into(), "wrong_kiosk"),
            (|e| e.person_ref = None, "bad_person"),
            (|e| e.person_kind = Some("robot".into()), "bad_person"),
            (|e| e.direction = Some("up".into()), "bad_direction"),
            (|e| e.method = "telepathy".into(), "bad_method"),
            (|e| e.verdict = "maybe".into(), "bad_verdict"),
            (|e| e.at_ms = 0, "bad_time"),
            (|e| e.clock_offset_ms = Some(i64::MIN), "bad_time"),
            (|e| e.clock_flag = Some("sideways".into()), "bad_clock_flag"),
            (|e| e.note = Some("x".repeat(2000)), "too_long"),
        ];
        for (change, code) in cases {
            let mut e = event();
            change(&mut e);
            assert_eq!(e.check("gate-1").unwrap_err().code, code);
        }
    }

    #[test]
    fn push_request_round_trips_and_workers_default() {
        let req = PushRequest { enterprise: "0101234567".into(), events: vec![event()], workers: vec![] };
        let text = serde_json::to_vec(&req).unwrap();
        assert_eq!(from_json::<PushRequest>(&text, "push").unwrap(), req);
        let bare: PushRequest = from_json(br#"{"enterprise":"0101234567","events":[]}"#, "push").unwrap();
        assert!(bare.workers.is_empty());
        assert!(matches!(from_json::<PushRequest>(b"{", "push"), Err(Error::BadJson { what: "push", .. })));
    }

    #[test]
    fn worker_codes_are_checked() {
        let mut w = WireWorker {
            code: "NV-001".into(),
            full_name: "Nguyễn Văn A".into(),
            department: "May".into(),
            shift: "A".into(),
            active: true,
            badge_serial: 2,
        };
        w.check().unwrap();
        w.code = "nv 1".into();
        assert!(w.check().is_err());
    }
}
