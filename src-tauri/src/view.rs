//! The window's boundary: every value the screen receives, as the screen reads it.
//!
//! The crates' types change for their own reasons; the screen's JavaScript should not have to
//! follow. So each value crossing into ui/ is a struct here, serialised on purpose, built by a
//! `From` from the domain type. Machine values only (codes, field names, numbers, instants):
//! every word the guard or HR reads comes from ui/i18n.

use std::path::PathBuf;

use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
use qrgate_core::Code;
use serde::Serialize;
use uuid::Uuid;

/// What the screen needs at the start: who it is, where, and in which language and time zone.
#[derive(Clone, Serialize)]
pub struct Heading {
    pub enterprise: String,
    pub gate: String,
    pub kiosk_id: String,
    /// The kiosk's time zone (IANA name): every time on the screen is the gate's time, like its events.
    pub timezone: String,
    /// "vi" or "en".
    pub language: &'static str,
    pub kiosk_mode: bool,
    pub demo: bool,
    /// The demo's PINs, shown on its screen; never a real kiosk's.
    pub demo_pins: Option<DemoPins>,
    /// The screen reports when it showed each decision (`--measure`).
    pub measure: bool,
    /// This kiosk's version, in the footer: what the installer and provincial IT ask first.
    pub version: &'static str,
    /// This start followed a stop the kiosk did not make (a crash, the watchdog, a power cut).
    pub restarted: Option<RestartSeen>,
    /// A two-lane gate's lanes, side by side on the screen; empty for one camera.
    pub lanes: Vec<qrgate_core::config::Lane>,
}

/// When the kiosk started again after a stop it did not make, and when that run had started.
#[derive(Clone, Serialize)]
pub struct RestartSeen {
    pub at: DateTime<Utc>,
    pub previous_start: DateTime<Utc>,
}

impl From<qrgate_core::supervision::Restart> for RestartSeen {
    fn from(r: qrgate_core::supervision::Restart) -> RestartSeen {
        RestartSeen { at: r.at, previous_start: r.previous_start }
    }
}

#[derive(Clone, Serialize)]
pub struct DemoPins {
    pub guard: &'static str,
    pub admin: &'static str,
}

#[derive(Serialize)]
pub struct Screen {
    pub heading: Heading,
    pub inside: Inside,
    /// False until someone runs `qrgate pin set --role admin`: the screen says the kiosk is unprotected.
    pub admin_pin: bool,
}

/// How many people are inside now.
#[derive(Serialize, Clone, Copy)]
pub struct Inside {
    pub workers: usize,
    pub visitors: usize,
}

impl From<qrgate_core::store::InsideCounts> for Inside {
    fn from(c: qrgate_core::store::InsideCounts) -> Inside {
        Inside { workers: c.workers, visitors: c.visitors }
    }
}

/// A decision as the screen gets it (the `decision` event).
#[derive(Serialize, Clone)]
pub struct Shown {
    pub decision: Decided,
    /// Milliseconds since the epoch when the frame entered the pipeline (camera scans only).
    pub frame_ms: Option<i64>,
    pub inside: Inside,
    /// The lane whose camera read it, on a two-lane gate; none for a typed or manual entry.
    pub lane: Option<u8>,
}

/// An opening nobody went through (the `not_passed` event): the accepted event it follows.
#[derive(Serialize, Clone)]
pub struct NotPassed {
    pub follows: Option<Uuid>,
    pub event_id: Uuid,
    /// Who is inside now that the opening did not count.
    pub inside: Inside,
}

impl NotPassed {
    pub fn of(event: &qrgate_core::store::Event, inside: Inside) -> NotPassed {
        NotPassed { follows: event.follows, event_id: event.id, inside }
    }
}

/// The gate's answer: `verdict` "accepted" or "refused", `reason` and `warning` refusal codes
/// (the screen's `reasons` words), `direction` "in" or "out".
#[derive(Serialize, Clone)]
pub struct Decided {
    pub verdict: &'static str,
    pub reason: Option<&'static str>,
    pub warning: Option<&'static str>,
    pub direction: Option<&'static str>,
    pub person: Option<Person>,
    pub event_id: Uuid,
    /// The instant with the kiosk's offset when it was recorded.
    pub time: DateTime<FixedOffset>,
    pub debounced: bool,
    /// `behind` or `ahead`: the kiosk doubts this event's time (its clock jumped).
    pub clock_flag: Option<&'static str>,
}

impl From<qrgate_core::gate::Decision> for Decided {
    fn from(d: qrgate_core::gate::Decision) -> Decided {
        Decided {
            verdict: d.verdict.as_str(),
            reason: d.reason.map(|r| r.code()),
            warning: d.warning.map(|r| r.code()),
            direction: d.direction.map(|x| x.as_str()),
            person: d.person.map(Person::from),
            event_id: d.event_id,
            time: d.time,
            debounced: d.debounced,
            clock_flag: d.clock_flag.map(|f| f.as_str()),
        }
    }
}

/// Who a decision was about: a worker (code, department) or a visitor (masked ID number).
#[derive(Serialize, Clone)]
pub struct Person {
    pub kind: PersonKind,
    pub code: String,
    pub name: String,
    pub department: Option<String>,
}

#[derive(Serialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
pub enum PersonKind {
    Worker,
    Visitor,
}

impl From<qrgate_core::gate::PersonView> for Person {
    fn from(p: qrgate_core::gate::PersonView) -> Person {
        let kind = if p.kind == "visitor" { PersonKind::Visitor } else { PersonKind::Worker };
        Person { kind, code: p.code, name: p.name, department: p.department }
    }
}

/// A visitor arriving (the `visitor_form` event): the guard fills the form and confirms or
/// cancels it with `form`.
#[derive(Serialize, Clone)]
pub struct VisitorArriving {
    pub form: Uuid,
    pub card: VisitorCard,
}

/// The visitor's card as the form shows it: the ID number masked, never whole.
#[derive(Serialize, Clone)]
pub struct VisitorCard {
    pub name: String,
    pub masked_number: String,
    pub birth_date: chrono::NaiveDate,
    pub address: String,
    pub host: Option<String>,
    pub purpose: Option<String>,
    pub phone: Option<String>,
    /// The enterprise's own questions, in the words kiosk.conf gives them.
    pub health_questions: Vec<String>,
    /// The privacy notice the guard tells the visitor before they agree.
    pub notice: String,
}

impl From<qrgate_core::gate::VisitorArrival> for VisitorCard {
    fn from(v: qrgate_core::gate::VisitorArrival) -> VisitorCard {
        VisitorCard {
            name: v.name,
            masked_number: v.masked_number,
            birth_date: v.birth_date,
            address: v.address,
            host: v.host,
            purpose: v.purpose,
            phone: v.phone,
            health_questions: v.health_questions,
            notice: v.notice,
        }
    }
}

/// A worker found by the manual entry's search.
#[derive(Serialize)]
pub struct FoundWorker {
    pub code: String,
    pub name: String,
    pub department: String,
    pub active: bool,
}

impl From<qrgate_desk::desk::Found> for FoundWorker {
    fn from(f: qrgate_desk::desk::Found) -> FoundWorker {
        FoundWorker { code: f.code, name: f.name, department: f.department, active: f.active }
    }
}

/// Who opened the HR pages.
#[derive(Serialize)]
pub struct Operator {
    pub name: String,
    /// "guard" or "admin".
    pub role: &'static str,
}

impl From<qrgate_desk::pin::Operator> for Operator {
    fn from(o: qrgate_desk::pin::Operator) -> Operator {
        use qrgate_desk::pin::Role;
        let role = match o.role {
            Role::Guard => "guard",
            Role::Admin => "admin",
        };
        Operator { name: o.name, role }
    }
}

/// The screen's language code for kiosk.conf's `[screen] language`.
pub fn language(l: qrgate_core::config::Language) -> &'static str {
    use qrgate_core::config::Language;
    match l {
        Language::Vi => "vi",
        Language::En => "en",
    }
}

/// What a roster import changed.
#[derive(Serialize)]
pub struct Imported {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub deactivated: usize,
}

impl From<qrgate_hr::roster::ImportSummary> for Imported {
    fn from(s: qrgate_hr::roster::ImportSummary) -> Imported {
        Imported { added: s.added, updated: s.updated, unchanged: s.unchanged, deactivated: s.deactivated }
    }
}

/// A file the kiosk wrote for HR, and whether it was opened for them.
#[derive(Serialize)]
pub struct Written {
    pub path: PathBuf,
    pub rows: u64,
    pub opened: bool,
}

/// A kept camera frame on the HR pages: when, why, who; the picture is
/// `kiosk://localhost/snapshot/<event_id>`.
#[derive(Serialize)]
pub struct KeptFrame {
    pub event_id: uuid::Uuid,
    pub at: chrono::DateTime<chrono::Utc>,
    pub refused: bool,
    pub reason: Option<String>,
    /// Employee code or the visitor's opaque id; none when the scan named nobody.
    pub who: Option<String>,
    pub name: Option<String>,
}

impl From<qrgate_core::store::KeptSnapshot> for KeptFrame {
    fn from(k: qrgate_core::store::KeptSnapshot) -> KeptFrame {
        KeptFrame {
            event_id: k.event_id,
            at: k.at,
            refused: k.refused,
            reason: k.reason,
            who: k.person.map(|p| p.key().to_string()),
            name: k.name,
        }
    }
}

/// One person inside, on the evacuation list: a worker by department, a visitor by host.
#[derive(Serialize)]
pub struct Evacuee {
    pub kind: PersonKind,
    /// Employee code, or the visitor's masked ID number.
    pub code: String,
    pub name: String,
    /// The worker's department, or the visitor's host.
    pub unit: String,
    /// When they came in, on the gate's clock.
    pub since: NaiveDateTime,
    pub gate: String,
    /// "inside", or "probably_left" when their shift ended hours ago: the screen lists them apart.
    pub status: &'static str,
}

impl From<qrgate_hr::export::InsideRow> for Evacuee {
    fn from(r: qrgate_hr::export::InsideRow) -> Evacuee {
        // The export names the kind in the printed list's Vietnamese; the screen gets the machine kind.
        let kind = if r.kind == "Khách" { PersonKind::Visitor } else { PersonKind::Worker };
        Evacuee {
            kind,
            code: r.code,
            name: r.name,
            unit: r.unit,
            since: r.since,
            gate: r.gate,
            status: r.status.code(),
        }
    }
}

/// The camera's state (the `camera` event): "starting", "live", "lost", "reopening".
#[derive(Serialize, Clone, PartialEq, Eq)]
pub struct Camera {
    /// Which lane's camera, on a two-lane gate.
    pub lane: Option<u8>,
    pub state: &'static str,
    pub attempt: Option<u32>,
    /// The system's own description of a lost camera, for whoever repairs it, not the guard.
    pub detail: Option<String>,
}

impl From<&qrgate_scan::SourceState> for Camera {
    fn from(s: &qrgate_scan::SourceState) -> Camera {
        use qrgate_scan::SourceState;
        let (state, attempt, detail) = match s {
            SourceState::Starting => ("starting", None, None),
            SourceState::Live => ("live", None, None),
            SourceState::Lost { reason } => ("lost", None, Some(reason.clone())),
            SourceState::Reopening { attempt } => ("reopening", Some(*attempt), None),
        };
        Camera { lane: None, state, attempt, detail }
    }
}

/// The frame loop panicked and was started again (the `pipeline` event): a red alert.
#[derive(Serialize, Clone)]
pub struct Restarted {
    /// Restarts since the kiosk started.
    pub restarts: u32,
    /// The panic's own message, for whoever repairs the kiosk; the guard reads the screen's words.
    pub detail: String,
}

/// The disk and the link to the province, as the status bar polls them.
#[derive(Serialize, Clone)]
pub struct Status {
    pub disk_free_mb: Option<u64>,
    /// Below kiosk.conf's `low_disk_mb`: an alert.
    pub low_disk: bool,
    /// False when no server is set: the screen says so instead of "offline".
    pub sync_configured: bool,
    pub sync: Option<Sync>,
}

/// The link to the province (also the `sync` event).
#[derive(Serialize, Clone)]
pub struct Sync {
    pub online: bool,
    /// An instant (UTC): the screen shows it on the gate's clock.
    pub last_success: Option<DateTime<Utc>>,
    pub waiting: u64,
    pub rejected: u64,
    pub last_error: Option<SyncError>,
    /// The province's clock minus the kiosk's (ms): the screen says "N minutes off" beyond two.
    pub clock_offset_ms: Option<i64>,
    /// The province refused the roster; events still flow.
    pub roster_error: Option<SyncError>,
}

/// The last failure of the link: a code the screen has words for, and the sync client's own
/// description for whoever repairs it.
#[derive(Serialize, Clone)]
pub struct SyncError {
    pub code: String,
    pub detail: String,
    pub at: DateTime<Utc>,
}

impl From<qrgate_sync::SyncStatus> for Sync {
    fn from(s: qrgate_sync::SyncStatus) -> Sync {
        Sync {
            online: s.online,
            last_success: s.last_success,
            waiting: s.waiting,
            rejected: s.rejected,
            last_error: s.last_error.map(|e| SyncError { code: e.code, detail: e.message, at: e.at }),
            clock_offset_ms: s.clock_offset_ms,
            roster_error: s.roster_error.map(|e| SyncError { code: e.code, detail: e.message, at: e.at }),
        }
    }
}

/// An error the screen switches on (`code`, from the one closed list) and explains from its
/// `detail` (a bad field's machine name, a roster file's bad rows, the tries left after a wrong
/// PIN). `message` is the crates' English, for logs and whoever repairs the kiosk; the screen
/// shows its own words for the code.
#[derive(Serialize, Clone, Debug)]
pub struct Failure {
    pub code: Code,
    pub message: String,
    pub detail: Detail,
}

/// What the screen needs beyond the code to say what went wrong.
#[derive(Serialize, Clone, Debug, Default)]
#[serde(untagged)]
pub enum Detail {
    #[default]
    None,
    /// `invalid_input`: which field, by machine name ("phone", "employee_code", "host_and_purpose").
    Field { field: String },
    /// `roster_bad_rows`: every bad row and what is wrong in it.
    Rows { rows: Vec<BadRow> },
    /// `roster_unreadable`: what is wrong with the file as a whole (`qrgate_hr::FileProblem`,
    /// serialised as the screen's `roster_file_problems` words expect).
    File { problem: qrgate_hr::FileProblem },
    /// `photos_bad_files`: the bad files, by name as HR picked them.
    Files { files: Vec<String> },
    /// `wrong_pin`.
    TriesLeft { tries_left: u32 },
    /// `pin_locked`.
    LockedFor { seconds: i64 },
}

/// A bad roster row: its spreadsheet number and its problems, each a code and its values
/// (`qrgate_hr::RowProblem`, serialised as the screen's `roster_problems` words expect).
#[derive(Serialize, Clone, Debug)]
pub struct BadRow {
    pub row: usize,
    pub problems: Vec<qrgate_hr::RowProblem>,
}

impl From<qrgate_desk::Error> for Failure {
    fn from(e: qrgate_desk::Error) -> Failure {
        use qrgate_desk::pin::PinRefusal;
        use qrgate_desk::Error;
        let detail = match &e {
            Error::Core(qrgate_core::Error::Invalid { what, .. })
            | Error::Hr(qrgate_hr::Error::Core(qrgate_core::Error::Invalid { what, .. })) => {
                Detail::Field { field: what.replace(' ', "_") }
            }
            Error::Hr(qrgate_hr::Error::RosterRows(rows)) => Detail::Rows {
                rows: rows.iter().map(|r| BadRow { row: r.row, problems: r.problems.clone() }).collect(),
            },
            Error::Hr(qrgate_hr::Error::RosterFile(problem)) => Detail::File { problem: problem.clone() },
            Error::Hr(qrgate_hr::Error::Photos(bad)) => {
                Detail::Files { files: bad.iter().map(|b| b.file.clone()).collect() }
            }
            Error::Pin(PinRefusal::Wrong { tries_left }) => Detail::TriesLeft { tries_left: *tries_left },
            Error::Pin(PinRefusal::Locked { seconds }) => Detail::LockedFor { seconds: *seconds },
            _ => Detail::None,
        };
        Failure { code: e.code(), message: e.to_string(), detail }
    }
}

impl From<qrgate_core::Error> for Failure {
    fn from(e: qrgate_core::Error) -> Failure {
        qrgate_desk::Error::from(e).into()
    }
}

impl Failure {
    /// A failure of the window's own machinery (a temporary file, a thread).
    pub fn system(message: impl ToString) -> Failure {
        Failure { code: Code::Io, message: message.to_string(), detail: Detail::None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decision_crosses_as_codes() {
        let d = qrgate_core::gate::Decision {
            verdict: qrgate_core::model::Verdict::Refused,
            reason: Some(qrgate_core::gate::Reason::Revoked),
            warning: None,
            direction: Some(qrgate_core::model::Direction::Out),
            person: None,
            event_id: Uuid::nil(),
            time: chrono::DateTime::parse_from_rfc3339("2026-12-01T07:59:30+07:00").unwrap(),
            debounced: false,
            clock_flag: None,
        };
        let json = serde_json::to_value(Decided::from(d)).unwrap();
        assert_eq!(
            (&json["verdict"], &json["reason"], &json["direction"]),
            (&"refused".into(), &"revoked".into(), &"out".into())
        );
        assert_eq!(json["time"], "2026-12-01T07:59:30+07:00");
        assert_eq!(language(qrgate_core::config::Language::En), "en");
    }

    #[test]
    fn a_bad_field_is_named_by_machine_name() {
        let e = qrgate_desk::Error::invalid("host and purpose", "both are needed");
        let json = serde_json::to_value(Failure::from(e)).unwrap();
        assert_eq!(json["code"], "invalid_input");
        assert_eq!(json["detail"], serde_json::json!({"field": "host_and_purpose"}));
    }

    #[test]
    fn roster_rows_carry_codes_and_values() {
        let rows = vec![qrgate_hr::RowError {
            row: 3,
            problems: vec![qrgate_hr::RowProblem::BadPhone { value: "12ab".into() }],
        }];
        let json =
            serde_json::to_value(Failure::from(qrgate_desk::Error::Hr(qrgate_hr::Error::RosterRows(rows)))).unwrap();
        assert_eq!(json["code"], "roster_bad_rows");
        assert_eq!(
            json["detail"],
            serde_json::json!({"rows": [{"row": 3, "problems": [{"code": "bad_phone", "value": "12ab"}]}]})
        );
    }

    #[test]
    fn a_file_refused_as_a_whole_says_why_by_code() {
        let problem = qrgate_hr::FileProblem::NotUtf8 { line: 4 };
        let e = qrgate_desk::Error::Hr(qrgate_hr::Error::RosterFile(problem));
        let json = serde_json::to_value(Failure::from(e)).unwrap();
        assert_eq!(json["code"], "roster_unreadable");
        assert_eq!(json["detail"], serde_json::json!({"problem": {"code": "not_utf8", "line": 4}}));
    }

    #[test]
    fn a_wrong_pin_says_the_tries_left_and_a_closed_form_has_its_code() {
        let wrong = qrgate_desk::Error::Pin(qrgate_desk::pin::PinRefusal::Wrong { tries_left: 2 });
        assert_eq!(serde_json::to_value(Failure::from(wrong)).unwrap()["detail"], serde_json::json!({"tries_left": 2}));
        let closed = serde_json::to_value(Failure::from(qrgate_desk::Error::FormClosed)).unwrap();
        assert_eq!((closed["code"].as_str(), closed["detail"].is_null()), (Some("form_closed"), true));
    }

    #[test]
    fn an_evacuee_is_a_worker_or_a_visitor_by_machine_kind() {
        let row = |kind| qrgate_hr::export::InsideRow {
            kind,
            code: "X".into(),
            name: "An".into(),
            unit: "Kho".into(),
            since: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap().and_hms_opt(7, 0, 0).unwrap(),
            gate: "Cổng 1".into(),
            since_text: "01/12/2026 07:00".into(),
            shift: Some("CA1".into()),
            shift_end: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap().and_hms_opt(14, 0, 0),
            status: qrgate_hr::export::InsideStatus::ProbablyLeft,
        };
        assert_eq!(Evacuee::from(row("Khách")).status, "probably_left");
        assert_eq!(Evacuee::from(row("Khách")).kind, PersonKind::Visitor);
        assert_eq!(Evacuee::from(row("Công nhân")).kind, PersonKind::Worker);
    }
}
