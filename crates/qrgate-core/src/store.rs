//! The kiosk's SQLite database: identity, badge keys, roster, visitors and the append-only event log.
//!
//! Durability rule: an accepted event is committed with `synchronous=FULL` in WAL mode before the
//! gate answers, so a power cut after the green screen cannot lose it.

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, Row, Transaction};
use uuid::Uuid;

use crate::badge::BadgePublicKey;
use crate::error::{Error, Result};
use crate::model::{ClockFlag, Direction, EmployeeCode, KioskId, Method, PersonRef, TaxCode, Verdict};
/// The guard screen's counters; they live with the rule that makes them (`crate::presence`).
pub use crate::presence::InsideCounts;

/// `sync_state` key: the highest sequence number the province holds from this kiosk, as sync
/// last heard it. Own events are numbered above it as well as above the log's own.
const SEQ_FLOOR: &str = "province_seq";
/// `sync_state` key, present from a restore until sync has heard the province's numbering.
const RESTORED: &str = "restored_unheard_ms";
/// How far a restored kiosk's numbering jumps past its backup's: more events than any gate
/// writes between a backup and its restore (one a second for 136 years), and far under the
/// protocol's ceiling (2^53), so the numbers the old PC sent after the backup are never reused.
pub const RESTORE_SEQ_GAP: i64 = 1 << 32;
/// The next own sequence number (`?1` the kiosk, `?2` [`SEQ_FLOOR`]): above the log's and the floor.
const NEXT_SEQ: &str = "SELECT MAX(COALESCE((SELECT MAX(seq) FROM events WHERE kiosk_id = ?1), 0),
                                 COALESCE((SELECT CAST(value AS INTEGER) FROM sync_state WHERE key = ?2), 0)) + 1";

/// A photo imported, replaced or erased here waits for the other gates (`?1` the code, `?2` its
/// version); a newer change of the same worker's photo replaces an older one still waiting.
const PHOTO_WAITS: &str = "INSERT INTO photo_outbox (code, version_ms) VALUES (?1, ?2)
     ON CONFLICT (code) DO UPDATE SET version_ms = MAX(photo_outbox.version_ms, excluded.version_ms)";

/// `PRAGMA application_id`: "QRGT". A database without it is not ours.
const APPLICATION_ID: i32 = 0x5152_4754;

/// Each entry moves the schema one version forward; `PRAGMA user_version` counts them.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE identity (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    enterprise TEXT NOT NULL,
    enterprise_name TEXT NOT NULL,
    kiosk_id TEXT NOT NULL,
    kiosk_public_key TEXT NOT NULL,
    visitor_salt BLOB NOT NULL,
    created_at_ms INTEGER NOT NULL
);
CREATE TABLE badge_keys (
    key_id INTEGER PRIMARY KEY,
    enterprise TEXT NOT NULL,
    public_key TEXT NOT NULL
);
CREATE TABLE workers (
    code TEXT PRIMARY KEY,
    full_name TEXT NOT NULL,
    department TEXT NOT NULL DEFAULT '',
    shift TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 1,
    badge_serial INTEGER NOT NULL DEFAULT 0,
    updated_at_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX workers_by_department ON workers(department);
CREATE TABLE visitors (
    id TEXT PRIMARY KEY,
    number_hash TEXT,
    number TEXT,
    old_number TEXT,
    full_name TEXT,
    birth_date TEXT,
    sex TEXT,
    address TEXT,
    issued TEXT,
    host TEXT,
    purpose TEXT,
    phone TEXT,
    first_seen_ms INTEGER NOT NULL,
    last_seen_ms INTEGER NOT NULL,
    purged_at_ms INTEGER
);
CREATE INDEX visitors_by_number ON visitors(number_hash);
CREATE TABLE events (
    rowid_ INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    kiosk_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    gate TEXT NOT NULL,
    person_kind TEXT,
    person_ref TEXT,
    direction TEXT,
    at_ms INTEGER NOT NULL,
    offset_s INTEGER NOT NULL,
    method TEXT NOT NULL,
    verdict TEXT NOT NULL,
    reason TEXT,
    badge_serial INTEGER,
    operator TEXT,
    note TEXT,
    UNIQUE (kiosk_id, seq)
);
CREATE INDEX events_by_person ON events(person_kind, person_ref, at_ms);
CREATE INDEX events_by_time ON events(at_ms);
CREATE TRIGGER events_are_append_only_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_are_append_only_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
"#,
    r#"
-- Sync with the province (qrgate-sync): events stay append-only; what was sent lives beside them.
CREATE TABLE synced (event_id TEXT PRIMARY KEY, synced_at_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE sync_rejected (
    event_id TEXT PRIMARY KEY,
    code TEXT NOT NULL,
    message TEXT NOT NULL,
    at_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
"#,
    r#"
-- A visitor's answers to the enterprise's health questions (JSON), purged with their other details.
ALTER TABLE visitors ADD COLUMN health TEXT;
"#,
    r#"
-- Who is inside, kept beside the log so that neither the gate nor the guard screen reads history
-- (crate::presence). One row per person: their latest passage, the newest accepted event with a
-- direction, newest by event time, then kiosk id and sequence number, so events that arrive late
-- and out of order from other gates end in the same row whatever order they came in.
CREATE TABLE presence (
    person_kind TEXT NOT NULL,
    person_ref TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    at_ms INTEGER NOT NULL,
    kiosk_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    event INTEGER NOT NULL, -- events.rowid_ of that passage
    PRIMARY KEY (person_kind, person_ref)
) WITHOUT ROWID;
-- The entries still open: what the counts and the evacuation list read, newest last.
CREATE INDEX presence_entries ON presence(at_ms, person_kind) WHERE direction = 'in';
INSERT INTO presence (person_kind, person_ref, direction, at_ms, kiosk_id, seq, event)
SELECT person_kind, person_ref, direction, at_ms, kiosk_id, seq, rowid_ FROM (
    SELECT person_kind, person_ref, direction, at_ms, kiosk_id, seq, rowid_,
           row_number() OVER (PARTITION BY person_kind, person_ref
                              ORDER BY at_ms DESC, kiosk_id DESC, seq DESC) AS newest
    FROM events
    WHERE verdict = 'accepted' AND direction IN ('in', 'out')
      AND person_kind IS NOT NULL AND person_ref IS NOT NULL
) WHERE newest = 1;
-- A trigger, not code in each writer: the gate's own events, other gates' events from sync and
-- seeded demo data all move the table in the transaction that inserts them, and none can forget.
CREATE TRIGGER presence_follows_events AFTER INSERT ON events
WHEN NEW.verdict = 'accepted' AND NEW.direction IN ('in', 'out')
     AND NEW.person_kind IS NOT NULL AND NEW.person_ref IS NOT NULL
BEGIN
    INSERT INTO presence (person_kind, person_ref, direction, at_ms, kiosk_id, seq, event)
    VALUES (NEW.person_kind, NEW.person_ref, NEW.direction, NEW.at_ms, NEW.kiosk_id, NEW.seq, NEW.rowid_)
    ON CONFLICT (person_kind, person_ref) DO UPDATE SET
        direction = excluded.direction, at_ms = excluded.at_ms, kiosk_id = excluded.kiosk_id,
        seq = excluded.seq, event = excluded.event
    WHERE (excluded.at_ms, excluded.kiosk_id, excluded.seq) > (presence.at_ms, presence.kiosk_id, presence.seq);
END;
"#,
    r#"
-- Clocks that jump (issue 17). Within one kiosk the order events were written (seq) is the truth
-- about which came last, whatever its clock said; between kiosks only their times can tell.
-- So a person's latest passage is replaced by a later-written event of the same kiosk, or by a
-- later-timed event of another one. With clocks that only move forward this is the time order the
-- table kept before; a kiosk whose clock jumped to 2099 and back no longer pins its workers'
-- direction to the one event dated 2099.
DROP TRIGGER presence_follows_events;
CREATE TRIGGER presence_follows_events AFTER INSERT ON events
WHEN NEW.verdict = 'accepted' AND NEW.direction IN ('in', 'out')
     AND NEW.person_kind IS NOT NULL AND NEW.person_ref IS NOT NULL
BEGIN
    INSERT INTO presence (person_kind, person_ref, direction, at_ms, kiosk_id, seq, event)
    VALUES (NEW.person_kind, NEW.person_ref, NEW.direction, NEW.at_ms, NEW.kiosk_id, NEW.seq, NEW.rowid_)
    ON CONFLICT (person_kind, person_ref) DO UPDATE SET
        direction = excluded.direction, at_ms = excluded.at_ms, kiosk_id = excluded.kiosk_id,
        seq = excluded.seq, event = excluded.event
    WHERE CASE WHEN excluded.kiosk_id = presence.kiosk_id THEN excluded.seq > presence.seq
               ELSE (excluded.at_ms, excluded.kiosk_id, excluded.seq) > (presence.at_ms, presence.kiosk_id, presence.seq)
          END;
END;
-- The table again under that rule: the log replayed in the order it was written, as the trigger
-- would have seen it.
DELETE FROM presence;
INSERT INTO presence (person_kind, person_ref, direction, at_ms, kiosk_id, seq, event)
SELECT person_kind, person_ref, direction, at_ms, kiosk_id, seq, rowid_ FROM events
WHERE verdict = 'accepted' AND direction IN ('in', 'out') AND person_kind IS NOT NULL AND person_ref IS NOT NULL
ORDER BY rowid_
ON CONFLICT (person_kind, person_ref) DO UPDATE SET
    direction = excluded.direction, at_ms = excluded.at_ms, kiosk_id = excluded.kiosk_id,
    seq = excluded.seq, event = excluded.event
WHERE CASE WHEN excluded.kiosk_id = presence.kiosk_id THEN excluded.seq > presence.seq
           ELSE (excluded.at_ms, excluded.kiosk_id, excluded.seq) > (presence.at_ms, presence.kiosk_id, presence.seq)
      END;
-- Debounce asks for this kiosk's last-written event about a person: one index seek.
CREATE INDEX events_written ON events(person_kind, person_ref, kiosk_id, seq);

-- What the kiosk knows of time. good_ms: the newest time it trusts (the last event it wrote with
-- a time it did not doubt, or the province's time when sync last heard it); offset_ms: the
-- province's clock minus the kiosk's, NULL until a server answered; learned_ms: when (province time).
CREATE TABLE clock (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    good_ms INTEGER,
    offset_ms INTEGER,
    learned_ms INTEGER
);
INSERT INTO clock (id, good_ms)
VALUES (1, (SELECT MAX(at_ms) FROM events WHERE kiosk_id = (SELECT kiosk_id FROM identity)));
-- Each event carries what its kiosk knew of its clock when it wrote it, for the province.
ALTER TABLE events ADD COLUMN clock_offset_ms INTEGER;
ALTER TABLE events ADD COLUMN clock_flag TEXT CHECK (clock_flag IN ('behind', 'ahead'));

-- The roster's changes numbered by a counter, not stamped with the wall clock: a clock stepped
-- back no longer hides a revocation from the next push (qrgate-sync keeps the last number sent).
ALTER TABLE workers ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;
UPDATE workers SET change_seq = n
FROM (SELECT code AS c, row_number() OVER (ORDER BY updated_at_ms, code) AS n FROM workers)
WHERE code = c;
CREATE TABLE roster_changes (id INTEGER PRIMARY KEY CHECK (id = 1), last INTEGER NOT NULL);
INSERT INTO roster_changes (id, last) VALUES (1, (SELECT COUNT(*) FROM workers));
CREATE INDEX workers_by_change ON workers(change_seq);
-- Triggers, so that every writer (roster import, revocation, sync, demo) numbers its changes.
-- Only what travels to the province counts as a change: re-importing the same roster sends nothing.
CREATE TRIGGER roster_change_on_insert AFTER INSERT ON workers
BEGIN
    UPDATE roster_changes SET last = last + 1;
    UPDATE workers SET change_seq = (SELECT last FROM roster_changes) WHERE code = NEW.code;
END;
CREATE TRIGGER roster_change_on_update AFTER UPDATE OF full_name, department, shift, active, badge_serial ON workers
WHEN OLD.full_name IS NOT NEW.full_name OR OLD.department IS NOT NEW.department OR OLD.shift IS NOT NEW.shift
     OR OLD.active IS NOT NEW.active OR OLD.badge_serial IS NOT NEW.badge_serial
BEGIN
    UPDATE roster_changes SET last = last + 1;
    UPDATE workers SET change_seq = (SELECT last FROM roster_changes) WHERE code = NEW.code;
END;
-- The push mark moves from milliseconds to that counter: everything stamped up to it was sent.
INSERT INTO sync_state (key, value)
SELECT 'roster_pushed_seq',
       (SELECT COALESCE(MAX(change_seq), 0) FROM workers WHERE updated_at_ms <= CAST(value AS INTEGER))
FROM sync_state WHERE key = 'roster_pushed_ms';
DELETE FROM sync_state WHERE key = 'roster_pushed_ms';
"#,
    // qrgate-hr's shift schedules (issue 15): HR's rota overrides the roster's shift day by day,
    // and a worker's first day, so the days before it are not absences.
    r#"
-- One planned day of one worker: `shift` names a kiosk.conf shift, NULL is a weekly day off.
-- A day without a row follows the roster's shift. `day` is YYYY-MM-DD in the gate's zone.
CREATE TABLE schedule (
    code TEXT NOT NULL,
    day TEXT NOT NULL,
    shift TEXT,
    imported_at_ms INTEGER NOT NULL,
    PRIMARY KEY (code, day)
) WITHOUT ROWID;
CREATE INDEX schedule_by_day ON schedule(day);
-- The day the worker joined (YYYY-MM-DD), NULL when the roster never said. Kept on this kiosk:
-- attendance needs it, the province does not, so it is no roster change to sync.
ALTER TABLE workers ADD COLUMN started TEXT;
"#,
    r#"
-- Personal data (Law 91/2025/QH15, Decree 356/2025/ND-CP). The record of processing: who did what
-- with personal data, when, to how many people; never the data itself (crate::privacy).
CREATE TABLE processing_log (
    id INTEGER PRIMARY KEY,
    at_ms INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    people INTEGER NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
-- A visitor was told the notice and agreed: when, and which notice (a digest of its text).
ALTER TABLE visitors ADD COLUMN consent_at_ms INTEGER;
ALTER TABLE visitors ADD COLUMN notice_digest TEXT;
-- A former worker whose personal details were erased: the code and the events stay (payroll).
ALTER TABLE workers ADD COLUMN erased_at_ms INTEGER;
"#,
    // A month's attendance reads every worker's plan of some fifty days: by day, with the shift in
    // the index itself, that is one range of one index, where the old index cost a seek into the
    // table for each of a million rows.
    r#"
CREATE INDEX schedule_by_day_with_shift ON schedule(day, code, shift, imported_at_ms);
DROP INDEX schedule_by_day;
-- qrgate-hr's overtime of past months, for the timesheet's yearly total: December's sheet would
-- otherwise recompute eleven months of 20,000 workers. A month is reused only while nothing that
-- shaped it changed: no event of its days written since (`events_to`, the highest events.rowid_
-- when it was computed) and the same `basis` (the rules, the roster's and the plans' marks).
CREATE TABLE overtime_months (
    month TEXT NOT NULL, -- YYYY-MM
    code TEXT NOT NULL,
    minutes INTEGER NOT NULL,
    PRIMARY KEY (month, code)
) WITHOUT ROWID;
CREATE TABLE overtime_months_made (
    month TEXT PRIMARY KEY,
    events_to INTEGER NOT NULL,
    basis TEXT NOT NULL
);
"#,
    // When a consenting visitor's number went to the province sealed to its trace key
    // (qrgate-sync): each number goes once.
    r#"
ALTER TABLE visitors ADD COLUMN traced_at_ms INTEGER;
"#,
    // Workers' photos for the guard screen (qrgate-hr::photos): a small JPEG each, personal data
    // erased with the worker's details; never synced in clear.
    r#"
CREATE TABLE photos (
    code TEXT PRIMARY KEY,
    jpeg BLOB NOT NULL,
    imported_at_ms INTEGER NOT NULL
) WITHOUT ROWID;
-- The camera's frame at a scan (`[camera] snapshots`), by the event it led to: personal data,
-- deleted after `[privacy] snapshot_retention_days` and with the person's details.
CREATE TABLE snapshots (
    event_id TEXT NOT NULL UNIQUE,
    jpeg BLOB NOT NULL,
    at_ms INTEGER NOT NULL
);
CREATE INDEX snapshots_by_time ON snapshots(at_ms);
"#,
    r#"
-- Passage sensors (issue 18). The gate opened for an accepted event, but nobody went through in
-- time: a follow-up event says so and names it, and the log stays append-only. Attendance and
-- presence read an accepted event with such a follow-up as a passage that did not happen.
ALTER TABLE events ADD COLUMN follows TEXT CHECK ((verdict = 'not_passed') = (follows IS NOT NULL));
CREATE INDEX events_followed ON events(follows) WHERE follows IS NOT NULL;
-- The person's row stood on the passage that did not happen: it goes back to their latest one that
-- did. Looked for newest first through events_by_person, so the first passage found ends it.
CREATE TRIGGER presence_forgets_unpassed AFTER INSERT ON events
WHEN NEW.verdict = 'not_passed' AND NEW.person_kind IS NOT NULL AND NEW.person_ref IS NOT NULL
BEGIN
    DELETE FROM presence
    WHERE person_kind = NEW.person_kind AND person_ref = NEW.person_ref
      AND event = (SELECT rowid_ FROM events WHERE id = NEW.follows);
    INSERT INTO presence (person_kind, person_ref, direction, at_ms, kiosk_id, seq, event)
    SELECT e.person_kind, e.person_ref, e.direction, e.at_ms, e.kiosk_id, e.seq, e.rowid_
    FROM events e INDEXED BY events_by_person
    WHERE e.person_kind = NEW.person_kind AND e.person_ref = NEW.person_ref
      AND e.verdict = 'accepted' AND e.direction IN ('in', 'out')
      AND NOT EXISTS (SELECT 1 FROM events f WHERE f.follows = e.id)
      AND NOT EXISTS (SELECT 1 FROM presence p WHERE p.person_kind = NEW.person_kind AND p.person_ref = NEW.person_ref)
    ORDER BY e.at_ms DESC, e.kiosk_id DESC, e.seq DESC
    LIMIT 1;
END;
"#,
    r#"
-- Two lanes on one kiosk (issue 18): which camera an event was read by, 1 or 2 as kiosk.conf lists
-- its [[camera]] lanes; NULL on a one-camera gate, for typed scans and for manual entries. No CHECK:
-- SQLite would test it against every row already written (14 s on a year of a 20,000-worker
-- factory, a minute from a cold disk), while a plain column is added in the schema alone; the
-- value comes only from config::Lane, whose number is checked when kiosk.conf is read.
ALTER TABLE events ADD COLUMN lane INTEGER;
"#,
    r#"
-- Photos travel sealed to the enterprise's other gates (qrgate-sync, issue 18). A photo imported
-- or replaced here, or erased here, waits in this outbox until the province has it. version_ms is
-- the photo's import time, or for an erasure a moment after the photo it erases: the newest
-- version of a worker's photo wins at every gate. A photo pulled from another gate is not put here.
CREATE TABLE photo_outbox (
    code TEXT PRIMARY KEY,
    version_ms INTEGER NOT NULL
) WITHOUT ROWID;
-- The latest erasure of each worker's photo, here or at another gate: an older copy of the photo
-- arriving later (the server may send any it once had) does not bring the face back.
CREATE TABLE photo_erased (
    code TEXT PRIMARY KEY,
    version_ms INTEGER NOT NULL
) WITHOUT ROWID;
-- Photos imported before photos travelled go to the other gates too.
INSERT INTO photo_outbox (code, version_ms) SELECT code, imported_at_ms FROM photos;
"#,
];

/// A kept camera frame, as HR's list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptSnapshot {
    pub event_id: Uuid,
    pub at: DateTime<Utc>,
    pub refused: bool,
    /// The refusal's reason code.
    pub reason: Option<String>,
    pub person: Option<PersonRef>,
    /// A worker's name from the roster (visitors stay unnamed here).
    pub name: Option<String>,
}

/// Who this kiosk is. Written once by `init`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub enterprise: TaxCode,
    pub enterprise_name: String,
    pub kiosk_id: KioskId,
    /// Hex of the kiosk's Ed25519 public key, which the province registers.
    pub kiosk_public_key: String,
}

/// A person on the roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worker {
    pub code: EmployeeCode,
    pub full_name: String,
    pub department: String,
    pub shift: String,
    pub phone: String,
    pub active: bool,
    /// The serial of the badge now valid; 0 until one is issued. Older serials are refused.
    pub badge_serial: u32,
    /// The first working day, when the roster gave one: attendance shows no day before it.
    pub started: Option<NaiveDate>,
}

/// One gate event: what happened, where, to whom and what the gate answered. Never changed once
/// stored.
///
/// The gate and the store share this one type. The gate makes a draft ([`Event::draft`]) with
/// every fact it knows; [`Store::append_event`] completes it with the two it cannot know — this
/// kiosk's id and the next sequence number, which only the writing transaction can take without
/// a gap or a twin — and returns it as stored. Events that come complete (other gates' pulled
/// events, demo data) go in as they are through [`Store::insert_events`]. A second "new event"
/// type would declare the same eleven facts again for the sake of two numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub id: Uuid,
    /// Empty on a draft.
    pub kiosk_id: String,
    /// 0 on a draft; from 1 up per kiosk once stored.
    pub seq: i64,
    pub gate: String,
    pub person: Option<PersonRef>,
    pub direction: Option<Direction>,
    pub at: DateTime<FixedOffset>,
    pub method: Method,
    pub verdict: Verdict,
    /// The refusal reason, or on an accepted event the warning the guard saw (anti-passback).
    pub reason: Option<String>,
    pub badge_serial: Option<u32>,
    pub operator: Option<String>,
    pub note: Option<String>,
    /// The province's clock minus the kiosk's, as the kiosk knew it when it wrote the event
    /// (ms; `None` until sync first heard the server). Filled in by [`Store::append_event`].
    pub clock_offset_ms: Option<i64>,
    /// Set when the event's time is far from what the kiosk knew to be the time
    /// ([`crate::model::ClockFlag`]). Filled in by [`Store::append_event`].
    pub clock_flag: Option<ClockFlag>,
    /// On a `not_passed` follow-up: the accepted event whose passage did not happen.
    pub follows: Option<Uuid>,
    /// The lane whose camera read it, on a two-lane gate.
    pub lane: Option<u8>,
}

impl Event {
    /// A new event at `gate` about nobody in particular yet, for [`Store::append_event`] to
    /// complete; the caller sets what else it knows (person, direction, reason...).
    pub fn draft(
        id: Uuid,
        gate: impl Into<String>,
        at: DateTime<FixedOffset>,
        method: Method,
        verdict: Verdict,
    ) -> Event {
        Event {
            id,
            kiosk_id: String::new(),
            seq: 0,
            gate: gate.into(),
            person: None,
            direction: None,
            at,
            method,
            verdict,
            reason: None,
            badge_serial: None,
            operator: None,
            note: None,
            clock_offset_ms: None,
            clock_flag: None,
            follows: None,
            lane: None,
        }
    }

    /// Reads the columns of [`EVENT_COLUMNS`], in that order, from the first column of `r`; a
    /// query may select more columns after them.
    pub fn from_row(r: &Row<'_>) -> rusqlite::Result<Event> {
        let id: String = r.get(0)?;
        let kind: Option<String> = r.get(4)?;
        let key: Option<String> = r.get(5)?;
        let person = match (kind, key) {
            (Some(k), Some(v)) => Some(
                PersonRef::from_parts(&k, &v)
                    .map_err(|_| rusqlite::Error::InvalidColumnType(5, v, rusqlite::types::Type::Text))?,
            ),
            _ => None,
        };
        let direction: Option<String> = r.get(6)?;
        let at_ms: i64 = r.get(7)?;
        let offset_s: i32 = r.get(8)?;
        let offset = FixedOffset::east_opt(offset_s).unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero"));
        let at =
            offset.timestamp_millis_opt(at_ms).single().ok_or(rusqlite::Error::IntegralValueOutOfRange(7, at_ms))?;
        Ok(Event {
            id: id.parse().map_err(|_| rusqlite::Error::InvalidColumnType(0, id, rusqlite::types::Type::Text))?,
            kiosk_id: r.get(1)?,
            seq: r.get(2)?,
            gate: r.get(3)?,
            person,
            direction: direction.and_then(|d| d.parse().ok()),
            at,
            method: text_column(r, 9)?,
            verdict: text_column(r, 10)?,
            reason: r.get(11)?,
            badge_serial: r.get(12)?,
            operator: r.get(13)?,
            note: r.get(14)?,
            clock_offset_ms: r.get(15)?,
            clock_flag: match r.get::<_, Option<String>>(16)? {
                Some(_) => Some(text_column(r, 16)?),
                None => None,
            },
            follows: match r.get::<_, Option<String>>(17)? {
                Some(id) => Some(
                    id.parse().map_err(|_| rusqlite::Error::InvalidColumnType(17, id, rusqlite::types::Type::Text))?,
                ),
                None => None,
            },
            lane: r.get(18)?,
        })
    }

    /// The values of [`EVENT_COLUMNS`], in that order, as [`INSERT_EVENT`] binds them (more than
    /// the sixteen a tuple of parameters can hold).
    fn params(&self) -> impl rusqlite::Params + '_ {
        use rusqlite::ToSql;
        let values: [Box<dyn ToSql + '_>; 19] = [
            Box::new(self.id.to_string()),
            Box::new(self.kiosk_id.as_str()),
            Box::new(self.seq),
            Box::new(self.gate.as_str()),
            Box::new(self.person.as_ref().map(PersonRef::kind)),
            Box::new(self.person.as_ref().map(PersonRef::key)),
            Box::new(self.direction.map(Direction::as_str)),
            Box::new(self.at.timestamp_millis()),
            Box::new(self.at.offset().local_minus_utc()),
            Box::new(self.method.as_str()),
            Box::new(self.verdict.as_str()),
            Box::new(self.reason.as_deref()),
            Box::new(self.badge_serial),
            Box::new(self.operator.as_deref()),
            Box::new(self.note.as_deref()),
            Box::new(self.clock_offset_ms),
            Box::new(self.clock_flag.map(ClockFlag::as_str)),
            Box::new(self.follows.map(|id| id.to_string())),
            Box::new(self.lane),
        ];
        rusqlite::params_from_iter(values)
    }
}

/// A visitor's stored details; `None` fields were purged or never given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visitor {
    pub id: String,
    pub number: Option<String>,
    pub full_name: Option<String>,
    pub birth_date: Option<String>,
    pub address: Option<String>,
    pub host: Option<String>,
    pub purpose: Option<String>,
    pub phone: Option<String>,
    pub health: Vec<crate::model::HealthAnswer>,
}

/// A handle on one open kiosk database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    identity: Identity,
}

fn open_flags() -> OpenFlags {
    OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI
}

fn foreign(path: &Path, why: impl Into<String>) -> Error {
    Error::ForeignDatabase { path: path.to_path_buf(), why: why.into() }
}

fn classify_open_error(path: &Path, e: rusqlite::Error) -> Error {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => foreign(path, "the file is not an SQLite database"),
        Some(rusqlite::ErrorCode::DatabaseCorrupt) => foreign(path, "the database file is corrupted"),
        Some(rusqlite::ErrorCode::ReadOnly) | Some(rusqlite::ErrorCode::CannotOpen) => {
            Error::ReadOnly { path: path.to_path_buf(), why: e.to_string() }
        }
        _ => Error::Store(e),
    }
}

fn configure(conn: &Connection, path: &Path) -> Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let mode: String =
        conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0)).map_err(|e| classify_open_error(path, e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::ReadOnly { path: path.to_path_buf(), why: format!("cannot use WAL (journal mode {mode})") });
    }
    // secure_delete: what a purge or an erase removes is overwritten with zeros in the file, not
    // left in free space for anyone who reads the raw bytes (Law 91/2025/QH15: erasure that erases).
    conn.execute_batch("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON;")?;
    Ok(())
}

/// The schema this build writes: `PRAGMA user_version` of a database it has opened.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let known = SCHEMA_VERSION;
    if version > known {
        return Err(Error::SchemaTooNew { found: version, known });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql).map_err(|e| classify_open_error(path, e))?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(unix)]
fn owner_only(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(Error::io(path))
}

#[cfg(not(unix))]
fn owner_only(_path: &Path, _mode: u32) -> Result<()> {
    Ok(())
}

/// Makes a directory readable by its owner only, creating it when missing.
pub fn create_private_dir(path: &Path) -> Result<()> {
    std::fs::create_dir_all(path).map_err(Error::io(path))?;
    owner_only(path, 0o700)
}

/// Writes a file readable by its owner only; refuses to overwrite.
pub fn write_private_file(path: &Path, contents: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(Error::io(path))?;
    file.write_all(contents).and_then(|()| file.sync_all()).map_err(Error::io(path))
}

impl Store {
    /// Creates a new database at `path`; it must not exist yet.
    pub fn create(path: &Path, identity: &Identity, visitor_salt: &[u8; 32], now: DateTime<Utc>) -> Result<Store> {
        if path.exists() {
            return Err(Error::AlreadyInitialised(path.to_path_buf()));
        }
        let flags = open_flags() | OpenFlags::SQLITE_OPEN_CREATE;
        let mut conn = Connection::open_with_flags(path, flags).map_err(|e| classify_open_error(path, e))?;
        owner_only(path, 0o600)?;
        conn.pragma_update(None, "application_id", APPLICATION_ID).map_err(|e| classify_open_error(path, e))?;
        configure(&conn, path)?;
        migrate(&mut conn, path)?;
        conn.execute(
            "INSERT INTO identity (id, enterprise, enterprise_name, kiosk_id, kiosk_public_key, visitor_salt, created_at_ms)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                identity.enterprise.as_str(),
                identity.enterprise_name,
                identity.kiosk_id.as_str(),
                identity.kiosk_public_key,
                &visitor_salt[..],
                now.timestamp_millis()
            ],
        )?;
        Ok(Store { conn, path: path.to_path_buf(), identity: identity.clone() })
    }

    /// Opens an existing database, checking that it is a QR Gate database and migrating it forward.
    pub fn open(path: &Path) -> Result<Store> {
        if !path.exists() {
            return Err(Error::NotInitialised(path.parent().unwrap_or(path).to_path_buf()));
        }
        let mut conn = Connection::open_with_flags(path, open_flags()).map_err(|e| classify_open_error(path, e))?;
        let app: i32 =
            conn.query_row("PRAGMA application_id", [], |r| r.get(0)).map_err(|e| classify_open_error(path, e))?;
        if app != APPLICATION_ID {
            return Err(foreign(path, "it is an SQLite database of some other program"));
        }
        configure(&conn, path)?;
        migrate(&mut conn, path)?;
        let identity = conn
            .query_row("SELECT enterprise, enterprise_name, kiosk_id, kiosk_public_key FROM identity", [], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
            })
            .optional()?
            .ok_or_else(|| foreign(path, "it has no kiosk identity"))?;
        let identity = Identity {
            enterprise: identity.0.parse().map_err(|_| foreign(path, "its enterprise tax code is invalid"))?,
            enterprise_name: identity.1,
            kiosk_id: identity.2.parse().map_err(|_| foreign(path, "its kiosk id is invalid"))?,
            kiosk_public_key: identity.3,
        };
        Ok(Store { conn, path: path.to_path_buf(), identity })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// Direct access for queries that belong to one module (attendance, exports) and need no
    /// method here; writes to `events` still go through [`Store::append_event`].
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    pub fn visitor_salt(&self) -> Result<Vec<u8>> {
        Ok(self.conn.query_row("SELECT visitor_salt FROM identity", [], |r| r.get(0))?)
    }

    // ---- badge keys -------------------------------------------------------------------------

    pub fn add_badge_key(&self, key: &BadgePublicKey) -> Result<()> {
        if key.enterprise != self.identity.enterprise {
            return Err(Error::invalid(
                "badge public key",
                format!("it belongs to enterprise {}, this kiosk to {}", key.enterprise, self.identity.enterprise),
            ));
        }
        self.conn.execute(
            "INSERT INTO badge_keys (key_id, enterprise, public_key) VALUES (?1, ?2, ?3)
             ON CONFLICT (key_id) DO UPDATE SET enterprise = excluded.enterprise, public_key = excluded.public_key",
            params![key.key_id, key.enterprise.as_str(), key.to_file_text()],
        )?;
        Ok(())
    }

    pub fn badge_keys(&self) -> Result<Vec<BadgePublicKey>> {
        let mut stmt = self.conn.prepare_cached("SELECT public_key FROM badge_keys ORDER BY key_id")?;
        let texts = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
        texts.iter().map(|t| BadgePublicKey::from_file_text(t)).collect()
    }

    // ---- roster -----------------------------------------------------------------------------

    pub fn worker(&self, code: &EmployeeCode) -> Result<Option<Worker>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT code, full_name, department, shift, phone, active, badge_serial, started FROM workers WHERE code = ?1",
        )?;
        Ok(stmt.query_row([code.as_str()], worker_from_row).optional()?)
    }

    /// Workers in code order, filtered by department and/or code when given.
    pub fn workers(&self, department: Option<&str>, code: Option<&EmployeeCode>) -> Result<Vec<Worker>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT code, full_name, department, shift, phone, active, badge_serial, started FROM workers
             WHERE (?1 IS NULL OR department = ?1) AND (?2 IS NULL OR code = ?2) ORDER BY code",
        )?;
        let rows = stmt.query_map(params![department, code.map(|c| c.as_str())], worker_from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// A worker's photo (JPEG), if HR imported one.
    pub fn photo(&self, code: &EmployeeCode) -> Result<Option<Vec<u8>>> {
        let mut stmt = self.conn.prepare_cached("SELECT jpeg FROM photos WHERE code = ?1")?;
        Ok(stmt.query_row([code.as_str()], |r| r.get(0)).optional()?)
    }

    /// Stores photos (JPEG) by code, replacing older ones, all in one transaction; each waits in
    /// the photo outbox for the enterprise's other gates.
    pub fn put_photos(&mut self, photos: &[(EmployeeCode, Vec<u8>)], now: DateTime<Utc>) -> Result<()> {
        self.transaction(|tx| {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO photos (code, jpeg, imported_at_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT (code) DO UPDATE SET jpeg = excluded.jpeg, imported_at_ms = excluded.imported_at_ms",
            )?;
            let mut outbox = tx.prepare_cached(PHOTO_WAITS)?;
            for (code, jpeg) in photos {
                stmt.execute(params![code.as_str(), jpeg, now.timestamp_millis()])?;
                outbox.execute(params![code.as_str(), now.timestamp_millis()])?;
            }
            Ok(())
        })
    }

    /// Takes a photo (or an erasure, `None`) another gate made at `version_ms`, when it is newer
    /// than what this kiosk has or waits to send of that worker; returns whether it changed
    /// anything. A photo of a worker whose details were erased here is not taken back.
    pub fn put_pulled_photo(&mut self, code: &EmployeeCode, version_ms: i64, jpeg: Option<&[u8]>) -> Result<bool> {
        self.transaction(|tx| {
            // SQLite's MAX of several values is NULL when any is: none here is -1.
            let (newest, erased): (i64, bool) = tx.query_row(
                "SELECT MAX(COALESCE((SELECT imported_at_ms FROM photos WHERE code = ?1), -1),
                            COALESCE((SELECT version_ms FROM photo_outbox WHERE code = ?1), -1),
                            COALESCE((SELECT version_ms FROM photo_erased WHERE code = ?1), -1)),
                        EXISTS (SELECT 1 FROM workers WHERE code = ?1 AND erased_at_ms IS NOT NULL)",
                [code.as_str()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            if newest >= version_ms || (erased && jpeg.is_some()) {
                return Ok(false);
            }
            let changed = match jpeg {
                Some(jpeg) => tx.execute(
                    "INSERT INTO photos (code, jpeg, imported_at_ms) VALUES (?1, ?2, ?3)
                     ON CONFLICT (code) DO UPDATE SET jpeg = excluded.jpeg, imported_at_ms = excluded.imported_at_ms",
                    params![code.as_str(), jpeg, version_ms],
                )?,
                None => {
                    tx.execute(
                        "INSERT INTO photo_erased (code, version_ms) VALUES (?1, ?2)
                         ON CONFLICT (code) DO UPDATE SET version_ms = excluded.version_ms",
                        params![code.as_str(), version_ms],
                    )?;
                    tx.execute("DELETE FROM photos WHERE code = ?1", [code.as_str()])?
                }
            };
            // What waited here is older than what the other gate made: it would lose everywhere.
            tx.execute("DELETE FROM photo_outbox WHERE code = ?1", [code.as_str()])?;
            Ok(changed > 0)
        })
    }

    /// Keeps the camera's frame (JPEG) of the scan that wrote `event_id`.
    pub fn put_snapshot(&self, event_id: Uuid, jpeg: &[u8], at: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO snapshots (event_id, jpeg, at_ms) VALUES (?1, ?2, ?3)",
            params![event_id.to_string(), jpeg, at.timestamp_millis()],
        )?;
        Ok(())
    }

    /// The newest kept snapshots, with what their scans decided and whom they named (a
    /// worker's name from the roster): HR's list of refused scans.
    pub fn kept_snapshots(&self, limit: u32) -> Result<Vec<KeptSnapshot>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT e.id, e.at_ms, e.verdict, e.reason, e.person_kind, e.person_ref, w.full_name
             FROM snapshots s JOIN events e ON e.id = s.event_id
             LEFT JOIN workers w ON e.person_kind = 'worker' AND w.code = e.person_ref
             ORDER BY s.at_ms DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit], |r| {
            let id: String = r.get(0)?;
            let kind: Option<String> = r.get(4)?;
            Ok((
                id,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get(3)?,
                kind,
                r.get::<_, Option<String>>(5)?,
                r.get(6)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, at_ms, verdict, reason, kind, person, name) = row?;
            out.push(KeptSnapshot {
                event_id: id.parse().map_err(|_| Error::invalid("event id", id.clone()))?,
                at: DateTime::from_timestamp_millis(at_ms).unwrap_or_default(),
                refused: verdict == "refused",
                reason,
                person: match (kind.as_deref(), person) {
                    (Some(kind), Some(key)) => PersonRef::from_parts(kind, &key).ok(),
                    _ => None,
                },
                name,
            });
        }
        Ok(out)
    }

    /// The snapshot of the scan that wrote `event_id`, if one was kept.
    pub fn snapshot(&self, event_id: Uuid) -> Result<Option<Vec<u8>>> {
        let mut stmt = self.conn.prepare_cached("SELECT jpeg FROM snapshots WHERE event_id = ?1")?;
        Ok(stmt.query_row([event_id.to_string()], |r| r.get(0)).optional()?)
    }

    pub fn worker_count(&self) -> Result<u64> {
        Ok(self.conn.query_row("SELECT COUNT(*) FROM workers", [], |r| r.get(0))?)
    }

    /// Runs `f` inside one transaction: everything or nothing.
    pub fn transaction<T, E: From<rusqlite::Error>>(
        &mut self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let tx = self.conn.transaction()?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Gives every selected worker without a badge the serial 1, and returns them.
    pub fn issue_badges(&mut self, workers: &[Worker], now: DateTime<Utc>) -> Result<Vec<Worker>> {
        self.transaction(|tx| {
            let mut stmt = tx.prepare_cached(
                "UPDATE workers SET badge_serial = 1, updated_at_ms = ?2 WHERE code = ?1 AND badge_serial = 0",
            )?;
            let mut out = Vec::with_capacity(workers.len());
            for w in workers {
                stmt.execute(params![w.code.as_str(), now.timestamp_millis()])?;
                out.push(Worker { badge_serial: w.badge_serial.max(1), ..w.clone() });
            }
            Ok(out)
        })
    }

    /// Bumps a worker's badge serial so every badge printed before is refused; returns the new serial.
    pub fn revoke_badge(&mut self, code: &EmployeeCode, now: DateTime<Utc>) -> Result<u32> {
        let serial: Option<u32> = self
            .conn
            .query_row(
                "UPDATE workers SET badge_serial = badge_serial + 1, updated_at_ms = ?2 WHERE code = ?1 RETURNING badge_serial",
                params![code.as_str(), now.timestamp_millis()],
                |r| r.get(0),
            )
            .optional()?;
        serial.ok_or_else(|| Error::UnknownEmployee(code.to_string()))
    }

    /// Raises the serial this kiosk knows when a newer, validly signed badge shows up first.
    pub fn learn_badge_serial(&self, code: &EmployeeCode, serial: u32, now: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "UPDATE workers SET badge_serial = ?2, updated_at_ms = ?3 WHERE code = ?1 AND badge_serial < ?2",
            params![code.as_str(), serial, now.timestamp_millis()],
        )?;
        Ok(())
    }

    // ---- visitors ---------------------------------------------------------------------------

    pub fn visitor_by_number_hash(&self, hash: &str) -> Result<Option<String>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id FROM visitors WHERE number_hash = ?1 AND purged_at_ms IS NULL ORDER BY last_seen_ms DESC LIMIT 1",
        )?;
        Ok(stmt.query_row([hash], |r| r.get(0)).optional()?)
    }

    pub fn visitor(&self, id: &str) -> Result<Option<Visitor>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, number, full_name, birth_date, address, host, purpose, phone, health FROM visitors WHERE id = ?1",
        )?;
        Ok(stmt
            .query_row([id], |r| {
                Ok(Visitor {
                    id: r.get(0)?,
                    number: r.get(1)?,
                    full_name: r.get(2)?,
                    birth_date: r.get(3)?,
                    address: r.get(4)?,
                    host: r.get(5)?,
                    purpose: r.get(6)?,
                    phone: r.get(7)?,
                    health: r
                        .get::<_, Option<String>>(8)?
                        .and_then(|h| serde_json::from_str(&h).ok())
                        .unwrap_or_default(),
                })
            })
            .optional()?)
    }

    // ---- clock ------------------------------------------------------------------------------

    /// The province's clock minus this kiosk's (ms), as sync last heard it; `None` if never.
    pub fn clock_offset(&self) -> Result<Option<i64>> {
        Ok(self.conn.query_row("SELECT offset_ms FROM clock", [], |r| r.get(0))?)
    }

    /// Records the province's time `server_ms` and how far this kiosk's clock is from it. The
    /// province's time becomes the kiosk's last known good time, so after a clock that jumped
    /// far ahead and back, events stop being flagged as soon as the kiosk hears the server.
    pub fn learn_server_time(&self, server_ms: i64, offset_ms: i64) -> Result<()> {
        self.conn
            .execute("UPDATE clock SET good_ms = ?1, offset_ms = ?2, learned_ms = ?1", params![server_ms, offset_ms])?;
        Ok(())
    }

    // ---- the province's numbering ------------------------------------------------------------

    /// Marks this kiosk as restored from a backup at `restored`: the province may hold events of
    /// this kiosk written after the backup was taken, with sequence numbers this database never
    /// saw, and would refuse a new event under one of them as a twin. So the next number jumps
    /// [`RESTORE_SEQ_GAP`] past the backup's: the gate records at once, network or not, and sync
    /// later raises the numbering to the province's if that is higher still
    /// ([`Store::learn_province_seq`]).
    pub fn number_past_backup(&mut self, restored: DateTime<Utc>) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO sync_state (key, value)
             SELECT ?1, MAX(COALESCE((SELECT MAX(seq) FROM events WHERE kiosk_id = ?3), 0),
                            COALESCE((SELECT CAST(value AS INTEGER) FROM sync_state WHERE key = ?1), 0)) + ?2
             WHERE true
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![SEQ_FLOOR, RESTORE_SEQ_GAP, self.identity.kiosk_id.as_str()],
        )?;
        tx.execute(
            "INSERT INTO sync_state (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![RESTORED, restored.timestamp_millis().to_string()],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The sequence number the next own event will take.
    pub fn next_own_seq(&self) -> Result<i64> {
        Ok(self.conn.query_row(NEXT_SEQ, params![self.identity.kiosk_id.as_str(), SEQ_FLOOR], |r| r.get(0))?)
    }

    /// When this kiosk was restored, until sync has heard the province's numbering.
    pub fn restored_unheard(&self) -> Result<Option<DateTime<Utc>>> {
        let ms: Option<String> =
            self.conn.query_row("SELECT value FROM sync_state WHERE key = ?1", [RESTORED], |r| r.get(0)).optional()?;
        Ok(ms.and_then(|ms| ms.parse().ok()).and_then(DateTime::from_timestamp_millis))
    }

    /// Takes the highest sequence number the province holds from this kiosk: the next own event
    /// is numbered above it (and above this database's own).
    pub fn learn_province_seq(&mut self, highest: i64) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO sync_state (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = MAX(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
            params![SEQ_FLOOR, highest.max(0).to_string()],
        )?;
        tx.execute("DELETE FROM sync_state WHERE key = ?1", [RESTORED])?;
        tx.commit()?;
        Ok(())
    }

    // ---- events -----------------------------------------------------------------------------

    /// The newest event about `person`, optionally only at this kiosk or only accepted ones.
    pub fn last_event(&self, person: &PersonRef, this_kiosk_only: bool, accepted_only: bool) -> Result<Option<Event>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {EVENT_COLUMNS} FROM events INDEXED BY events_by_person
             WHERE person_kind = ?1 AND person_ref = ?2
               AND (?3 IS NULL OR kiosk_id = ?3)
               AND (?4 = 0 OR verdict = 'accepted')
             ORDER BY at_ms DESC, rowid_ DESC LIMIT 1"
        ))?;
        let kiosk = this_kiosk_only.then(|| self.identity.kiosk_id.as_str());
        Ok(stmt.query_row(params![person.kind(), person.key(), kiosk, accepted_only], Event::from_row).optional()?)
    }

    /// The event about `person` this kiosk wrote last, by its sequence number: the order the
    /// scans happened in, whatever the clock said (debounce asks this).
    pub fn last_written(&self, person: &PersonRef) -> Result<Option<Event>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {EVENT_COLUMNS} FROM events INDEXED BY events_written
             WHERE person_kind = ?1 AND person_ref = ?2 AND kiosk_id = ?3
             ORDER BY seq DESC LIMIT 1"
        ))?;
        Ok(stmt
            .query_row(params![person.kind(), person.key(), self.identity.kiosk_id.as_str()], Event::from_row)
            .optional()?)
    }

    pub fn event(&self, id: &Uuid) -> Result<Option<Event>> {
        let mut stmt = self.conn.prepare_cached(&format!("SELECT {EVENT_COLUMNS} FROM events WHERE id = ?1"))?;
        Ok(stmt.query_row([id.to_string()], Event::from_row).optional()?)
    }

    /// Events in time order, from (inclusive) to (exclusive).
    pub fn events_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Event>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE at_ms >= ?1 AND at_ms < ?2 ORDER BY at_ms, rowid_"
        ))?;
        let rows = stmt.query_map(params![from.timestamp_millis(), to.timestamp_millis()], Event::from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Every event about `person`, in time order (what a person's request to see their data lists).
    pub fn events_of(&self, person: &PersonRef) -> Result<Vec<Event>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {EVENT_COLUMNS} FROM events INDEXED BY events_by_person
             WHERE person_kind = ?1 AND person_ref = ?2 ORDER BY at_ms, rowid_"
        ))?;
        let rows = stmt.query_map(params![person.kind(), person.key()], Event::from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    pub fn event_count(&self) -> Result<u64> {
        Ok(self.conn.query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))?)
    }

    /// Writes one event of this kiosk, durably, and returns it as stored: the draft completed
    /// with this kiosk's id and its next sequence number.
    pub fn append_event(&mut self, draft: Event) -> Result<Event> {
        let tx = self.conn.transaction()?;
        let stored = insert_own_event(&tx, &self.identity.kiosk_id, draft)?;
        tx.commit()?;
        Ok(stored)
    }

    /// Writes the follow-up of an accepted passage nobody went through (the passage sensor saw
    /// no one within its time): same gate, person, direction and way of identifying, verdict
    /// `not_passed`, naming the entry. `None`, and nothing written, when `entry` is not this
    /// kiosk's accepted passage or already has its follow-up.
    pub fn append_not_passed(&mut self, entry: Uuid, id: Uuid, at: DateTime<FixedOffset>) -> Result<Option<Event>> {
        let tx = self.conn.transaction()?;
        let followed = tx
            .prepare_cached(&format!(
                "SELECT {EVENT_COLUMNS} FROM events e
                 WHERE id = ?1 AND kiosk_id = ?2 AND verdict = 'accepted' AND direction IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM events f WHERE f.follows = e.id)"
            ))?
            .query_row(params![entry.to_string(), self.identity.kiosk_id.as_str()], Event::from_row)
            .optional()?;
        let Some(followed) = followed else { return Ok(None) };
        let mut draft = Event::draft(id, followed.gate, at, followed.method, Verdict::NotPassed);
        draft.person = followed.person;
        draft.direction = followed.direction;
        draft.badge_serial = followed.badge_serial;
        draft.follows = Some(entry);
        let stored = insert_own_event(&tx, &self.identity.kiosk_id, draft)?;
        tx.commit()?;
        Ok(Some(stored))
    }

    /// Writes a visitor's details and their event in one transaction.
    pub fn append_visitor_event(&mut self, visitor: &VisitorRecord<'_>, draft: Event) -> Result<Event> {
        let health =
            (!visitor.health.is_empty()).then(|| serde_json::to_string(visitor.health).expect("plain data serialises"));
        let tx = self.conn.transaction()?;
        let at = draft.at.timestamp_millis();
        tx.execute(
            "INSERT INTO visitors (id, number_hash, number, old_number, full_name, birth_date, sex, address, issued,
                                   host, purpose, phone, first_seen_ms, last_seen_ms, health,
                                   consent_at_ms, notice_digest)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?14, ?15, ?16)
             ON CONFLICT (id) DO UPDATE SET
                 host = COALESCE(excluded.host, host), purpose = COALESCE(excluded.purpose, purpose),
                 phone = COALESCE(excluded.phone, phone), health = COALESCE(excluded.health, health),
                 consent_at_ms = COALESCE(excluded.consent_at_ms, consent_at_ms),
                 notice_digest = COALESCE(excluded.notice_digest, notice_digest),
                 last_seen_ms = excluded.last_seen_ms",
            params![
                visitor.id,
                visitor.number_hash,
                visitor.card.number.full(),
                visitor.card.old_number,
                visitor.card.full_name,
                visitor.card.birth_date.to_string(),
                visitor.card.sex,
                visitor.card.address,
                visitor.card.issued.map(|d| d.to_string()),
                visitor.host,
                visitor.purpose,
                visitor.phone,
                at,
                health,
                visitor.consent.map(|_| at),
                visitor.consent
            ],
        )?;
        let stored = insert_own_event(&tx, &self.identity.kiosk_id, draft)?;
        tx.commit()?;
        Ok(stored)
    }

    /// Bulk insert for seeding and for events that come from other gates: one transaction,
    /// ids already present are skipped. Returns how many were new.
    pub fn insert_events(&mut self, events: &[Event]) -> Result<usize> {
        let tx = self.conn.transaction()?;
        let mut inserted = 0;
        {
            let mut stmt = tx.prepare_cached(INSERT_EVENT)?;
            for e in events {
                inserted += stmt.execute(e.params())?;
            }
        }
        tx.commit()?;
        Ok(inserted)
    }
}

/// A visitor as the gate writes them: the card, plus what the guard added.
pub struct VisitorRecord<'a> {
    pub id: &'a str,
    pub number_hash: &'a str,
    pub card: &'a crate::cccd::CccdCard,
    pub host: Option<&'a str>,
    pub purpose: Option<&'a str>,
    pub phone: Option<&'a str>,
    /// Empty when the enterprise asks no health questions (then nothing is stored).
    pub health: &'a [crate::model::HealthAnswer],
    /// The digest of the notice the visitor agreed to, when they arrived now.
    pub consent: Option<&'a str>,
}

// A macro, not a `const`, so that the insert below is spelled from the same list at compile time.
macro_rules! event_columns {
    () => {
        "id, kiosk_id, seq, gate, person_kind, person_ref, direction, at_ms, offset_s, method, verdict, reason, \
         badge_serial, operator, note, clock_offset_ms, clock_flag, follows, lane"
    };
}

/// The `events` columns an [`Event`] is made of, in the order [`Event::from_row`] reads them:
/// `SELECT {EVENT_COLUMNS} FROM events ...`.
pub const EVENT_COLUMNS: &str = event_columns!();

const INSERT_EVENT: &str = concat!(
    "INSERT OR IGNORE INTO events (",
    event_columns!(),
    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)"
);

/// How far an event's time may be from the kiosk's last known good time before it is flagged:
/// more than any clock drifts, less than any clock that was reset or set by hand by a day.
pub const CLOCK_FAR_MS: i64 = 24 * 3600 * 1000;

/// Whether an event written at `at_ms` has a time to doubt, given the kiosk's last known good
/// time and its known offset from the province (both `None` when never known).
pub fn clock_flag(at_ms: i64, good_ms: Option<i64>, offset_ms: Option<i64>) -> Option<ClockFlag> {
    match offset_ms {
        Some(o) if o < -CLOCK_FAR_MS => return Some(ClockFlag::Ahead),
        Some(o) if o > CLOCK_FAR_MS => return Some(ClockFlag::Behind),
        _ => {}
    }
    good_ms.filter(|good| at_ms < good.saturating_sub(CLOCK_FAR_MS)).map(|_| ClockFlag::Behind)
}

/// Completes a draft with this kiosk's id and next sequence number, whatever the draft carried,
/// and with what the kiosk knows of its clock; a time it does not doubt becomes its good time.
fn insert_own_event(tx: &Transaction<'_>, kiosk: &KioskId, draft: Event) -> Result<Event> {
    let seq: i64 = tx.prepare_cached(NEXT_SEQ)?.query_row(params![kiosk.as_str(), SEQ_FLOOR], |r| r.get(0))?;
    let (good_ms, offset_ms): (Option<i64>, Option<i64>) =
        tx.prepare_cached("SELECT good_ms, offset_ms FROM clock")?.query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let at_ms = draft.at.timestamp_millis();
    let clock_flag = clock_flag(at_ms, good_ms, offset_ms);
    let event = Event { kiosk_id: kiosk.to_string(), seq, clock_offset_ms: offset_ms, clock_flag, ..draft };
    let n = tx.prepare_cached(INSERT_EVENT)?.execute(event.params())?;
    if n == 0 {
        return Err(Error::invalid("event id", format!("{} is already stored", event.id)));
    }
    if clock_flag.is_none() {
        tx.prepare_cached("UPDATE clock SET good_ms = MAX(COALESCE(good_ms, ?1), ?1)")?.execute([at_ms])?;
    }
    Ok(event)
}

fn text_column<T: std::str::FromStr>(r: &Row<'_>, i: usize) -> rusqlite::Result<T> {
    let s: String = r.get(i)?;
    s.parse().map_err(|_| rusqlite::Error::InvalidColumnType(i, s, rusqlite::types::Type::Text))
}

fn worker_from_row(r: &Row<'_>) -> rusqlite::Result<Worker> {
    Ok(Worker {
        code: text_column(r, 0)?,
        full_name: r.get(1)?,
        department: r.get(2)?,
        shift: r.get(3)?,
        phone: r.get(4)?,
        active: r.get(5)?,
        badge_serial: r.get(6)?,
        started: r.get::<_, Option<String>>(7)?.and_then(|d| d.parse().ok()),
    })
}
