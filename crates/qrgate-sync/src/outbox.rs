//! The kiosk side of sync in SQLite: which own events still wait, what the server stored or
//! refused, cursors and the status the guard screen shows, and applying what was pulled.
//!
//! Events are never touched: "waiting" means an own event with neither a `synced` nor a
//! `sync_rejected` row. A high-water mark (the rowid below which nothing waits) keeps finding
//! the next batch cheap when a million events have already been sent.

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use qrgate_core::model::{ClockFlag, Direction, Method, PersonRef, Verdict};
use qrgate_core::store::{Event, Store, EVENT_COLUMNS};
use qrgate_protocol::{EventRejection, PushResponse, WireEvent, WireWorker};
use rusqlite::{params, Connection, OptionalExtension};
use uuid::Uuid;

use crate::error::Result;

const MARK: &str = "outbox_after_rowid";
/// The last roster change number (`workers.change_seq`) the province has: a counter the store
/// moves on every change, never the wall clock, so a clock stepped back hides no revocation.
const ROSTER_MARK: &str = "roster_pushed_seq";
/// The province's last refusal of a roster push, as JSON of a [`crate::LastError`].
pub const ROSTER_ERROR: &str = "roster_error";
pub const EVENTS_CURSOR: &str = "pull_events_cursor";
pub const ROSTER_CURSOR: &str = "pull_roster_cursor";
pub const STATUS: &str = "status";
/// Why the last health report did not reach the province, as JSON of a [`crate::LastError`].
pub const HEALTH_ERROR: &str = "health_error";
/// The last health report the province took: when, and what it said of the kiosk's state.
pub const HEALTH_SENT: &str = "health_sent";

pub fn state(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn.query_row("SELECT value FROM sync_state WHERE key = ?1", [key], |r| r.get(0)).optional()?)
}

pub fn set_state(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO sync_state (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

fn mark(conn: &Connection) -> Result<i64> {
    Ok(state(conn, MARK)?.and_then(|v| v.parse().ok()).unwrap_or(0))
}

// `+e.kiosk_id` keeps SQLite off the (kiosk_id, seq) index: walking rowids up from the mark
// finds the next batch at once, while the index would sort every own event ever written.
const WAITING: &str = "FROM events e
     WHERE e.rowid_ > ?1 AND +e.kiosk_id = ?2
       AND NOT EXISTS (SELECT 1 FROM synced s WHERE s.event_id = e.id)
       AND NOT EXISTS (SELECT 1 FROM sync_rejected r WHERE r.event_id = e.id)";

/// How many of this kiosk's events the province has not got yet.
pub fn waiting(store: &Store) -> Result<u64> {
    let conn = store.connection();
    let kiosk = store.identity().kiosk_id.as_str();
    Ok(conn.query_row(&format!("SELECT COUNT(*) {WAITING}"), params![mark(conn)?, kiosk], |r| r.get(0))?)
}

/// How many events the province refused for good.
pub fn rejected_count(store: &Store) -> Result<u64> {
    Ok(store.connection().query_row("SELECT COUNT(*) FROM sync_rejected", [], |r| r.get(0))?)
}

/// An event the province refused, for the guard screen and `qrgate sync`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rejected {
    pub event_id: String,
    pub code: String,
    pub message: String,
    pub at: DateTime<Utc>,
}

pub fn rejected(store: &Store, limit: u32) -> Result<Vec<Rejected>> {
    let mut stmt = store.connection().prepare_cached(
        "SELECT event_id, code, message, at_ms FROM sync_rejected ORDER BY at_ms DESC, event_id LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit], |r| {
        Ok(Rejected {
            event_id: r.get(0)?,
            code: r.get(1)?,
            message: r.get(2)?,
            at: Utc.timestamp_millis_opt(r.get(3)?).single().unwrap_or_default(),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// The next events to send, oldest first, in their wire form, with the rowid each came from.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    pub events: Vec<WireEvent>,
    pub rowids: Vec<i64>,
}

/// At most `max_events` waiting events whose JSON together stays within `max_bytes`, from the
/// first one after rowid `after` (0: the oldest waiting).
pub fn next_batch(store: &Store, after: i64, max_events: usize, max_bytes: usize) -> Result<Batch> {
    let conn = store.connection();
    let kiosk = store.identity().kiosk_id.as_str();
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {EVENT_COLUMNS}, e.rowid_ {WAITING} ORDER BY e.rowid_ LIMIT ?3"))?;
    let mut rows = stmt.query(params![mark(conn)?.max(after), kiosk, max_events as i64])?;
    let mut batch = Batch::default();
    let mut bytes = 0;
    while let Some(r) = rows.next()? {
        let event = event_to_wire(Event::from_row(r)?);
        // The JSON text plus its separating comma.
        let size = serde_json::to_vec(&event).map(|v| v.len() + 1).unwrap_or(usize::MAX);
        if !batch.events.is_empty() && bytes + size > max_bytes {
            break;
        }
        bytes += size;
        batch.rowids.push(r.get("rowid_")?);
        batch.events.push(event);
    }
    Ok(batch)
}

/// Records the server's answer: stored events become synced, refused ones rejected, both in one
/// transaction with the high-water mark, so a crash leaves either all of it or none. Returns how
/// many events of the batch the answer settled; when all, the mark stands at its last row.
pub fn record(store: &mut Store, batch: &Batch, answer: &PushResponse, now: DateTime<Utc>) -> Result<usize> {
    let stored: std::collections::HashSet<Uuid> = answer.stored.iter().copied().collect();
    let refused: std::collections::HashMap<Uuid, &EventRejection> = answer.rejected.iter().map(|r| (r.id, r)).collect();
    let at = now.timestamp_millis();
    Ok(store.transaction(|tx| {
        let mut synced = tx.prepare_cached("INSERT OR IGNORE INTO synced (event_id, synced_at_ms) VALUES (?1, ?2)")?;
        let mut rejected = tx.prepare_cached(
            "INSERT OR IGNORE INTO sync_rejected (event_id, code, message, at_ms) VALUES (?1, ?2, ?3, ?4)",
        )?;
        let mut mark_to = None;
        let mut contiguous = true;
        let mut settled = 0;
        for (event, rowid) in batch.events.iter().zip(&batch.rowids) {
            let done = if stored.contains(&event.id) {
                synced.execute(params![event.id.to_string(), at])?;
                true
            } else if let Some(r) = refused.get(&event.id) {
                rejected.execute(params![event.id.to_string(), r.code, r.message, at])?;
                true
            } else {
                false
            };
            settled += usize::from(done);
            contiguous &= done;
            if contiguous {
                mark_to = Some(*rowid);
            }
        }
        if let Some(m) = mark_to {
            tx.execute(
                "INSERT INTO sync_state (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![MARK, m.to_string()],
            )?;
        }
        Ok::<_, qrgate_core::Error>(settled)
    })?)
}

/// Records one event as refused for good without the server having named it: the batch it was
/// alone in was refused as a whole.
pub fn reject(store: &Store, id: Uuid, code: &str, message: &str, now: DateTime<Utc>) -> Result<()> {
    store.connection().execute(
        "INSERT OR IGNORE INTO sync_rejected (event_id, code, message, at_ms) VALUES (?1, ?2, ?3, ?4)",
        params![id.to_string(), code, message, now.timestamp_millis()],
    )?;
    Ok(())
}

/// Roster changes the province has not got yet, oldest first: at most `max_workers` whose JSON
/// together stays within `max_bytes`, so a roster of any size goes in pushes the server takes.
/// Each comes with its change number; the last one sent is the mark to save after a push.
pub fn roster_changes(store: &Store, max_workers: usize, max_bytes: usize) -> Result<Vec<(WireWorker, i64)>> {
    let conn = store.connection();
    let since: i64 = state(conn, ROSTER_MARK)?.and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut stmt = conn.prepare_cached(
        "SELECT code, full_name, department, shift, active, badge_serial, change_seq FROM workers
         WHERE change_seq > ?1 ORDER BY change_seq LIMIT ?2",
    )?;
    let mut rows = stmt.query(params![since, max_workers as i64])?;
    let mut out = Vec::new();
    let mut bytes = 0;
    while let Some(r) = rows.next()? {
        let worker = WireWorker {
            code: r.get(0)?,
            full_name: r.get(1)?,
            department: r.get(2)?,
            shift: r.get(3)?,
            active: r.get(4)?,
            badge_serial: r.get(5)?,
        };
        let size = serde_json::to_vec(&worker).map(|v| v.len() + 1).unwrap_or(usize::MAX);
        if !out.is_empty() && bytes + size > max_bytes {
            break;
        }
        bytes += size;
        out.push((worker, r.get(6)?));
    }
    Ok(out)
}

/// Visitors with details on record whose number has not gone to the province, after `after` in
/// id order: (id, number).
pub fn untraced_visitors(store: &Store, after: &str, limit: usize) -> Result<Vec<(String, String)>> {
    let mut stmt = store.connection().prepare_cached(
        "SELECT id, number FROM visitors
         WHERE traced_at_ms IS NULL AND purged_at_ms IS NULL AND number IS NOT NULL AND id > ?1
         ORDER BY id LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![after, limit as i64], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Marks the visitors the province kept a tag of.
pub fn visitors_traced(store: &Store, ids: &[String], now: DateTime<Utc>) -> Result<()> {
    let tx = store.connection().unchecked_transaction()?;
    {
        let mut mark = tx.prepare_cached("UPDATE visitors SET traced_at_ms = ?2 WHERE id = ?1")?;
        for id in ids {
            mark.execute(params![id, now.timestamp_millis()])?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// The province has every roster change up to `mark`.
pub fn roster_pushed(store: &Store, mark: i64) -> Result<()> {
    set_state(store.connection(), ROSTER_MARK, &mark.to_string())
}

/// The newest roster change number in the store.
fn roster_newest(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT last FROM roster_changes", [], |r| r.get(0))?)
}

/// An event as it travels; [`event_from_wire`] is the way back.
pub fn event_to_wire(e: Event) -> WireEvent {
    WireEvent {
        id: e.id,
        kiosk_id: e.kiosk_id,
        seq: e.seq,
        gate: e.gate,
        person_kind: e.person.as_ref().map(|p| p.kind().to_string()),
        person_ref: e.person.as_ref().map(|p| p.key().to_string()),
        direction: e.direction.map(|d| d.as_str().to_string()),
        at_ms: e.at.timestamp_millis(),
        offset_s: e.at.offset().local_minus_utc(),
        method: e.method.as_str().to_string(),
        verdict: e.verdict.as_str().to_string(),
        reason: e.reason,
        badge_serial: e.badge_serial,
        operator: e.operator,
        note: e.note,
        clock_offset_ms: e.clock_offset_ms,
        clock_flag: e.clock_flag.map(|f| f.as_str().to_string()),
        follows: e.follows,
    }
}

/// An event from another gate, checked the way the core checks its own: one that does not
/// parse is skipped, never stored half-understood.
pub fn event_from_wire(w: WireEvent) -> Option<Event> {
    let person = match (&w.person_kind, &w.person_ref) {
        (Some(k), Some(r)) => Some(PersonRef::from_parts(k, r).ok()?),
        (None, None) => None,
        _ => return None,
    };
    let direction = match &w.direction {
        Some(d) => Some(d.parse::<Direction>().ok()?),
        None => None,
    };
    let offset = FixedOffset::east_opt(w.offset_s)?;
    let clock_flag = match &w.clock_flag {
        Some(f) => Some(f.parse::<ClockFlag>().ok()?),
        None => None,
    };
    Some(Event {
        id: w.id,
        kiosk_id: w.kiosk_id,
        seq: w.seq,
        gate: w.gate,
        person,
        direction,
        at: offset.timestamp_millis_opt(w.at_ms).single()?,
        method: w.method.parse::<Method>().ok()?,
        verdict: w.verdict.parse::<Verdict>().ok()?,
        reason: w.reason,
        badge_serial: w.badge_serial,
        operator: w.operator,
        note: w.note,
        clock_offset_ms: w.clock_offset_ms,
        clock_flag,
        follows: w.follows,
        // Which camera of a two-lane gate read it is the gate's own business: it does not travel.
        lane: None,
    })
}

/// What a pull brought, applied: other gates' events (for `auto` direction, anti-passback and
/// attendance) and roster changes. A badge serial only rises, so a revocation is never undone by
/// an older copy of the roster. Returns (events new here, events skipped, workers changed).
pub fn apply_pull(
    store: &mut Store,
    events: Vec<WireEvent>,
    workers: &[WireWorker],
    now: DateTime<Utc>,
) -> Result<(usize, usize, usize)> {
    let own = store.identity().kiosk_id.to_string();
    let total = events.len();
    // The server is checked like any kiosk: by the one shared validation, against this clock.
    let now_ms = now.timestamp_millis();
    let events: Vec<Event> = events
        .into_iter()
        .filter(|e| e.kiosk_id != own && e.check_fields(now_ms).is_ok())
        .filter_map(event_from_wire)
        .collect();
    let skipped = total - events.len();
    let inserted = store.insert_events(&events)?;
    let changed = store.transaction(|tx| {
        // What comes from the province need not go back to it: when nothing of this kiosk's own
        // was waiting before, the mark moves past the changes the pull made.
        let nothing_waiting = roster_newest(tx)? <= state(tx, ROSTER_MARK)?.and_then(|v| v.parse().ok()).unwrap_or(0);
        let mut stmt = tx.prepare_cached(
            "INSERT INTO workers (code, full_name, department, shift, active, badge_serial, updated_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (code) DO UPDATE SET
                 full_name = excluded.full_name, department = excluded.department, shift = excluded.shift,
                 active = excluded.active, badge_serial = MAX(badge_serial, excluded.badge_serial),
                 updated_at_ms = excluded.updated_at_ms
             WHERE full_name IS NOT excluded.full_name OR department IS NOT excluded.department
                OR shift IS NOT excluded.shift OR active IS NOT excluded.active
                OR excluded.badge_serial > badge_serial",
        )?;
        let mut serial = tx.prepare_cached("SELECT badge_serial FROM workers WHERE code = ?1")?;
        let mut changed = 0;
        for w in workers {
            if w.check().is_err() || w.code.parse::<qrgate_core::model::EmployeeCode>().is_err() {
                continue;
            }
            let current: Option<u32> = serial.query_row([&w.code], |r| r.get(0)).optional()?;
            if !qrgate_protocol::check::serial_step(current, w.badge_serial) {
                continue;
            }
            changed += stmt.execute(params![
                w.code,
                w.full_name,
                w.department,
                w.shift,
                w.active,
                w.badge_serial,
                now.timestamp_millis()
            ])?;
        }
        if nothing_waiting {
            set_state(tx, ROSTER_MARK, &roster_newest(tx)?.to_string())?;
        }
        Ok::<_, crate::Error>(changed)
    })?;
    Ok((inserted, skipped, changed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use qrgate_core::model::EmployeeCode;

    fn draft(n: u128, person: Option<PersonRef>) -> Event {
        let at = DateTime::parse_from_rfc3339("2026-11-25T06:58:12.345+07:00").unwrap();
        Event {
            person,
            direction: Some(Direction::In),
            reason: Some("anti_passback".into()),
            badge_serial: Some(2),
            operator: Some("Bảo vệ Hùng".into()),
            note: Some("quên thẻ".into()),
            ..Event::draft(Uuid::from_u128(n), "Cổng A", at, Method::Manual, Verdict::Accepted)
        }
    }

    #[test]
    fn an_event_goes_to_the_wire_and_back_unchanged() {
        let worker = PersonRef::Worker("NV001".parse::<EmployeeCode>().unwrap());
        for event in [
            draft(1, Some(worker)),
            draft(2, Some(PersonRef::Visitor(format!("v-{}", Uuid::from_u128(1).simple())))),
            draft(3, None),
        ] {
            let event = Event { kiosk_id: "gate-2".into(), seq: 41, ..event };
            let wire = event_to_wire(event.clone());
            assert_eq!((wire.at_ms, wire.offset_s), (event.at.timestamp_millis(), 7 * 3600));
            let now = wire.at_ms;
            assert_eq!(
                wire.clone().check("gate-2", now).map(|c| c.get().clone()),
                Ok(wire.clone()),
                "the server takes it"
            );
            assert_eq!(event_from_wire(wire), Some(event));
        }
    }

    #[test]
    fn a_wire_event_that_does_not_parse_is_not_taken() {
        let good = event_to_wire(draft(1, None));
        let bad: [fn(&mut WireEvent); 4] = [
            |w| w.person_kind = Some("worker".into()),
            |w| w.direction = Some("up".into()),
            |w| w.method = "telepathy".into(),
            |w| w.offset_s = 90_000,
        ];
        for spoil in bad {
            let mut w = good.clone();
            spoil(&mut w);
            assert_eq!(event_from_wire(w), None);
        }
    }

    #[test]
    fn the_next_batch_is_the_stored_events_in_their_wire_form() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = crate::test_store(dir.path());
        let first = store
            .append_event(draft(1, Some(PersonRef::Visitor(format!("v-{}", Uuid::from_u128(1).simple())))))
            .unwrap();
        let second = store.append_event(draft(2, None)).unwrap();
        assert_eq!((first.kiosk_id.as_str(), first.seq, second.seq), ("gate-1", 1, 2));
        let batch = next_batch(&store, 0, 10, usize::MAX).unwrap();
        assert_eq!(batch.events, vec![event_to_wire(first), event_to_wire(second)]);
        assert_eq!(batch.rowids, vec![1, 2]);
        assert_eq!(next_batch(&store, 1, 10, usize::MAX).unwrap().rowids, vec![2], "after a row already sent");
    }

    fn add_worker(store: &Store, code: &str) {
        store
            .connection()
            .execute(
                "INSERT INTO workers (code, full_name, updated_at_ms) VALUES (?1, 'Nguyễn Văn A', 1764000000000)",
                [code],
            )
            .unwrap();
    }

    #[test]
    fn a_revocation_made_with_the_clock_set_back_is_still_sent() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = crate::test_store(dir.path());
        add_worker(&store, "NV001");
        let changes = roster_changes(&store, 10, usize::MAX).unwrap();
        assert_eq!(changes.len(), 1);
        roster_pushed(&store, changes[0].1).unwrap();
        assert!(roster_changes(&store, 10, usize::MAX).unwrap().is_empty(), "sent, nothing waits");
        // The clock was stepped back 26 years when the badge was revoked.
        let code: qrgate_core::model::EmployeeCode = "NV001".parse().unwrap();
        let serial =
            store.revoke_badge(&code, DateTime::parse_from_rfc3339("2000-01-01T00:00:00Z").unwrap().into()).unwrap();
        let changes = roster_changes(&store, 10, usize::MAX).unwrap();
        assert_eq!(
            changes.iter().map(|(w, _)| (w.code.as_str(), w.badge_serial)).collect::<Vec<_>>(),
            [("NV001", serial)]
        );
    }

    #[test]
    fn roster_changes_come_in_pieces_that_fit() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::test_store(dir.path());
        for code in ["NV001", "NV002", "NV003"] {
            add_worker(&store, code);
        }
        let one = serde_json::to_vec(&roster_changes(&store, 1, usize::MAX).unwrap()[0].0).unwrap().len();
        let codes = |max_workers, max_bytes| -> Vec<String> {
            roster_changes(&store, max_workers, max_bytes).unwrap().into_iter().map(|(w, _)| w.code).collect()
        };
        assert_eq!(codes(10, usize::MAX), ["NV001", "NV002", "NV003"]);
        assert_eq!(codes(2, usize::MAX), ["NV001", "NV002"], "at most that many");
        assert_eq!(codes(10, 2 * one + 2), ["NV001", "NV002"], "within the bytes");
        assert_eq!(codes(10, 1), ["NV001"], "one too big for the limit still goes alone");
        // Re-importing the same values is no change; the province hears nothing new.
        let last = roster_changes(&store, 10, usize::MAX).unwrap().last().unwrap().1;
        roster_pushed(&store, last).unwrap();
        store.connection().execute("UPDATE workers SET full_name = full_name, updated_at_ms = 1", []).unwrap();
        assert!(codes(10, usize::MAX).is_empty());
    }
}
