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
    /// On a `not_passed` follow-up (and only there): the accepted event, of the same kiosk,
    /// whose passage did not happen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follows: Option<Uuid>,
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
    /// Visitors' numbers sealed to the province's trace key ([`crate::trace`]), when the kiosk
    /// has that key; an older kiosk sends none.
    #[serde(default)]
    pub visitors: Vec<crate::trace::SealedVisitor>,
}

/// The answer to a push: every id in `stored` is on the server (just now or before); every id
/// in `rejected` never will be. An id in neither was not handled and is sent again.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    pub stored: Vec<Uuid>,
    pub rejected: Vec<EventRejection>,
    pub workers_stored: usize,
    /// The ids of the sealed visitors the server opened and kept a tag of.
    #[serde(default)]
    pub visitors_stored: Vec<String>,
}

/// Cursors are opaque to the kiosk: it keeps what the server gave and sends it back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequest {
    pub enterprise: String,
    pub events_after: String,
    pub roster_after: String,
    pub limit: u32,
}

/// Whether a pull cursor has the one shape servers of this protocol make: "" (the beginning)
/// or `transaction:sequence`, each a run of at most 20 digits. A kiosk keeps nothing else, so a
/// server cannot plant a cursor that breaks every later pull; a server refuses anything else
/// with `bad_cursor` and the kiosk starts over from "".
pub fn cursor_ok(text: &str) -> bool {
    let digits = |s: &str| (1..=20).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    text.is_empty() || text.split_once(':').is_some_and(|(tx, seq)| digits(tx) && digits(seq))
}

/// At most this many events and roster rows in one pull answer, each.
pub const MAX_PULL_ROWS: usize = 1000;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullResponse {
    /// Events of the kiosk's enterprise from its other gates.
    pub events: Vec<WireEvent>,
    pub workers: Vec<WireWorker>,
    pub events_cursor: String,
    pub roster_cursor: String,
    /// True when the server holds more than it sent: pull again at once.
    pub more: bool,
    /// The highest sequence number the province holds from the asking kiosk (0: none yet). A
    /// kiosk restored from an older backup numbers its next events above it, so none of them
    /// takes a number the province already holds for another event. Absent from older servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub own_seq: Option<i64>,
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
pub const VERDICTS: &[&str] = &["accepted", "refused", "not_passed"];

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

/// Every rejection code [`WireEvent::check`] gives, never reworded: the kiosk records and shows them.
pub const EVENT_REJECTION_CODES: &[&str] = &[
    "wrong_kiosk",
    "bad_person",
    "bad_direction",
    "bad_method",
    "bad_verdict",
    "bad_follows",
    "bad_clock_flag",
    "bad_time",
    "future_time",
    "bad_offset",
    "bad_seq",
    "bad_serial",
    "bad_reason",
    "bad_text",
    "too_long",
];

impl WireEvent {
    /// Checks an event sent by `sender` (the authenticated kiosk) on arrival at `now_ms` (the
    /// receiver's clock): [`WireEvent::check_fields`], and the event must be the sender's own.
    pub fn check(self, sender: &str, now_ms: i64) -> std::result::Result<CheckedEvent, EventRejection> {
        if self.kiosk_id != sender {
            return Err(reject(
                self.id,
                "wrong_kiosk",
                format!("event of kiosk {:?} sent by kiosk {sender:?}", self.kiosk_id),
            ));
        }
        self.check_fields(now_ms)?;
        Ok(CheckedEvent(self))
    }

    /// The checks every receiver makes, the server on a push and a kiosk on a pull, each against
    /// its own clock. The rejection codes are [`EVENT_REJECTION_CODES`].
    pub fn check_fields(&self, now_ms: i64) -> std::result::Result<(), EventRejection> {
        use crate::check::{self, Field, TextProblem, TimeProblem};
        let id = self.id;
        let kiosk_ok = (1..=64).contains(&self.kiosk_id.len())
            && self.kiosk_id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !kiosk_ok {
            return Err(reject(id, "bad_text", "kiosk id is not 1 to 64 of letters, digits, - _ ."));
        }
        match (self.person_kind.as_deref(), self.person_ref.as_deref()) {
            (Some("worker"), Some(r)) if check::employee_code(r) => {}
            (Some("visitor"), Some(r)) if check::visitor_ref(r) => {}
            (None, None) => {}
            _ => {
                return Err(reject(
                    id,
                    "bad_person",
                    "a person is a worker's employee code or a visitor's opaque id (v- and 32 hex digits)",
                ))
            }
        }
        if let Some(d) = &self.direction {
            one_of(id, "direction", d, DIRECTIONS)?;
        }
        one_of(id, "method", &self.method, METHODS)?;
        one_of(id, "verdict", &self.verdict, VERDICTS)?;
        if (self.verdict == "not_passed") != self.follows.is_some() {
            return Err(reject(id, "bad_follows", "a not_passed event names the event it follows, and only it does"));
        }
        if let Some(f) = &self.clock_flag {
            one_of(id, "clock_flag", f, CLOCK_FLAGS)?;
        }
        // A clock offset beyond a century is no clock's.
        if self.clock_offset_ms.is_some_and(|o| o.unsigned_abs() >= check::CENTURY_MS.unsigned_abs()) {
            return Err(reject(id, "bad_time", "the kiosk's clock offset is beyond a century"));
        }
        match check::event_time(self.at_ms, self.offset_s, now_ms) {
            Ok(()) => {}
            Err(TimeProblem::Future) => {
                return Err(reject(
                    id,
                    "future_time",
                    format!(
                        "time {} ms is more than {} h after the receiver's clock ({now_ms} ms)",
                        self.at_ms,
                        check::MAX_EVENT_AHEAD_MS / 3_600_000
                    ),
                ))
            }
            Err(TimeProblem::TooEarly) => {
                return Err(reject(id, "bad_time", format!("time {} ms is before the year 2000", self.at_ms)))
            }
            Err(TimeProblem::BadOffset) => {
                return Err(reject(id, "bad_offset", format!("offset {} s is no time zone's", self.offset_s)))
            }
        }
        if !(1..=crate::MAX_SEQ).contains(&self.seq) {
            return Err(reject(id, "bad_seq", format!("seq {} is not a kiosk's sequence number", self.seq)));
        }
        if self.badge_serial.is_some_and(|s| s > check::MAX_BADGE_SERIAL) {
            return Err(reject(id, "bad_serial", format!("badge serial is above {}", check::MAX_BADGE_SERIAL)));
        }
        if self.reason.as_deref().is_some_and(|r| !check::reason_code(r)) {
            return Err(reject(id, "bad_reason", "a reason is 1 to 64 of a-z 0-9 _"));
        }
        let texts = [
            (Field::Gate, Some(&self.gate)),
            (Field::Operator, self.operator.as_ref()),
            (Field::Note, self.note.as_ref()),
        ];
        for (field, value) in texts {
            if let Err(e) = check::text(field, value.map_or("", |v| v.as_str())) {
                let code = if matches!(e.problem, TextProblem::TooLong { .. }) { "too_long" } else { "bad_text" };
                return Err(reject(id, code, e.to_string()));
            }
        }
        Ok(())
    }
}

impl WireWorker {
    /// Checks a roster entry: the employee code (1 to 32 of `A-Z 0-9 - _ . /`, upper-case), its
    /// texts by [`crate::check::text`], and a badge serial no higher than the protocol takes.
    pub fn check(&self) -> Result<()> {
        use crate::check::{self, Field};
        let bad = |why: String| Error::BadJson { what: "roster entry", why };
        if !check::employee_code(&self.code) {
            let shown: String = self.code.chars().take(40).collect();
            return Err(bad(format!("employee code {shown:?} is not 1 to 32 of A-Z 0-9 - _ . /")));
        }
        for (field, value) in
            [(Field::FullName, &self.full_name), (Field::Department, &self.department), (Field::Shift, &self.shift)]
        {
            check::text(field, value).map_err(|e| bad(format!("worker {}: {e}", self.code)))?;
        }
        if self.badge_serial > check::MAX_BADGE_SERIAL {
            return Err(bad(format!("worker {}: badge serial is above {}", self.code, check::MAX_BADGE_SERIAL)));
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

    const NOW: i64 = 1_750_000_000_000;

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
            follows: None,
        }
    }

    #[test]
    fn cursors_have_one_shape() {
        for good in ["", "0:0", "7345:12", "18446744073709551615:9223372036854775807"] {
            assert!(cursor_ok(good), "{good}");
        }
        for bad in
            ["1", ":1", "1:", "x:1", "1:-2", "1;DROP:1", "1:2:3", &"9".repeat(21), &format!("1:{}", "9".repeat(21))]
        {
            assert!(!cursor_ok(bad), "{bad}");
        }
    }

    #[test]
    fn good_event_passes() {
        assert_eq!(event().check("gate-1", NOW).unwrap().get(), &event());
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
            (|e| e.verdict = "not_passed".into(), "bad_follows"),
            (|e| e.follows = Some(Uuid::from_u128(9)), "bad_follows"),
            (|e| e.at_ms = 0, "bad_time"),
            (|e| e.clock_offset_ms = Some(i64::MIN), "bad_time"),
            (|e| e.clock_flag = Some("sideways".into()), "bad_clock_flag"),
            (|e| e.at_ms = i64::MIN, "bad_time"),
            (|e| e.at_ms = NOW + 2 * 86_400_000, "future_time"),
            (|e| e.at_ms = i64::MAX, "future_time"),
            (|e| e.offset_s = i32::MIN, "bad_offset"),
            (|e| e.offset_s = 7 * 3600 + 1, "bad_offset"),
            (|e| e.seq = 0, "bad_seq"),
            (|e| e.seq = i64::MIN, "bad_seq"),
            (|e| e.seq = crate::MAX_SEQ + 1, "bad_seq"),
            (|e| e.badge_serial = Some(u32::MAX), "bad_serial"),
            (|e| e.reason = Some("Anti passback".into()), "bad_reason"),
            (|e| e.person_ref = Some("nv001".into()), "bad_person"),
            (|e| (e.person_kind, e.person_ref) = (Some("visitor".into()), Some("001234567890".into())), "bad_person"),
            (|e| e.gate = "Cổng\0A".into(), "bad_text"),
            (|e| e.operator = Some("a\nb".into()), "bad_text"),
            (|e| e.gate = String::new(), "bad_text"),
            (|e| e.kiosk_id = "gate 1".into(), "wrong_kiosk"),
            (|e| e.note = Some("x".repeat(2000)), "too_long"),
        ];
        for (change, code) in cases {
            let mut e = event();
            change(&mut e);
            assert!(EVENT_REJECTION_CODES.contains(&code));
            assert_eq!(e.clone().check("gate-1", NOW).unwrap_err().code, code, "{e:?}");
        }
    }

    #[test]
    fn push_request_round_trips_and_workers_default() {
        let req =
            PushRequest { enterprise: "0101234567".into(), events: vec![event()], workers: vec![], visitors: vec![] };
        let text = serde_json::to_vec(&req).unwrap();
        assert_eq!(from_json::<PushRequest>(&text, "push").unwrap(), req);
        let bare: PushRequest = from_json(br#"{"enterprise":"0101234567","events":[]}"#, "push").unwrap();
        assert!(bare.workers.is_empty());
        assert!(matches!(from_json::<PushRequest>(b"{", "push"), Err(Error::BadJson { what: "push", .. })));
    }

    #[test]
    fn worker_codes_are_checked() {
        let w = WireWorker {
            code: "NV-001".into(),
            full_name: "Nguyễn Văn A".into(),
            department: "May".into(),
            shift: "A".into(),
            active: true,
            badge_serial: 2,
        };
        w.check().unwrap();
        for spoil in [
            |w: &mut WireWorker| w.code = "nv 1".into(),
            |w: &mut WireWorker| w.full_name = "A\0".into(),
            |w: &mut WireWorker| w.full_name = String::new(),
            |w: &mut WireWorker| w.department = "x".repeat(101),
            |w: &mut WireWorker| w.badge_serial = u32::MAX,
        ] {
            let mut bad = w.clone();
            spoil(&mut bad);
            assert!(bad.check().is_err(), "{bad:?}");
        }
    }
}
