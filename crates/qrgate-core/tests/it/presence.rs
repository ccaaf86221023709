//! Who is inside, through real SQLite files: the presence table against a recomputation from the
//! whole log, the migration that builds it for an existing database, and the longest-stay rule.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Duration, FixedOffset, Utc};
use proptest::prelude::*;
use qrgate_core::model::{Direction, GateMode, Method, PersonRef, Verdict};
use qrgate_core::presence::{InsideCounts, InsideRule};
use qrgate_core::store::{Event, Identity, Store, EVENT_COLUMNS};
use uuid::Uuid;

use qrgate_testkit::{at, Kiosk};

fn identity() -> Identity {
    Identity {
        enterprise: "0101234567".parse().unwrap(),
        enterprise_name: "Công ty TNHH Thử Nghiệm".into(),
        kiosk_id: "gate-1".parse().unwrap(),
        kiosk_public_key: "00".repeat(32),
    }
}

fn new_store(path: &Path) -> Store {
    Store::create(path, &identity(), &[7; 32], at("2026-11-01T00:00:00Z")).unwrap()
}

fn base() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-11-25T06:00:00+07:00").unwrap()
}

/// Each person's latest passage as the table should hold it, worked out from every stored event
/// with none of the store's code: (person kind, person ref) → (direction, at_ms, kiosk, seq). The
/// log is replayed in the order it was written; an event replaces the passage when its kiosk wrote
/// it later (same kiosk: higher seq, whatever the clock said) or, from another kiosk, when its time
/// is later (then kiosk id, then seq).
type Latest = BTreeMap<(String, String), (String, i64, String, i64)>;

fn recomputed(store: &Store) -> Latest {
    let mut stmt = store.connection().prepare(&format!("SELECT {EVENT_COLUMNS} FROM events ORDER BY rowid_")).unwrap();
    let events: Vec<Event> = stmt.query_map([], Event::from_row).unwrap().map(Result::unwrap).collect();
    let mut latest = Latest::new();
    for e in events {
        let (Some(person), Some(direction), Verdict::Accepted) = (&e.person, e.direction, e.verdict) else { continue };
        let candidate = (direction.as_str().to_string(), e.at.timestamp_millis(), e.kiosk_id.clone(), e.seq);
        let key = (person.kind().to_string(), person.key().to_string());
        let newer = |old: &(String, i64, String, i64)| {
            if candidate.2 == old.2 {
                candidate.3 > old.3
            } else {
                (candidate.1, &candidate.2, candidate.3) > (old.1, &old.2, old.3)
            }
        };
        if latest.get(&key).is_none_or(newer) {
            latest.insert(key, candidate);
        }
    }
    latest
}

fn table(store: &Store) -> Latest {
    let mut stmt = store
        .connection()
        .prepare(
            "SELECT p.person_kind, p.person_ref, p.direction, p.at_ms, p.kiosk_id, p.seq, e.at_ms, e.kiosk_id, e.seq
             FROM presence p JOIN events e ON e.rowid_ = p.event",
        )
        .unwrap();
    let rows = stmt
        .query_map([], |r| {
            // The row must point at the very event it copies.
            assert_eq!(
                (r.get::<_, i64>(3)?, r.get::<_, String>(4)?, r.get::<_, i64>(5)?),
                (r.get(6)?, r.get(7)?, r.get(8)?)
            );
            Ok(((r.get(0)?, r.get(1)?), (r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
        })
        .unwrap();
    rows.map(Result::unwrap).collect()
}

/// Inside at `now` by the rule, from the recomputation.
fn inside_by_hand(latest: &Latest, rule: InsideRule, now: DateTime<Utc>) -> Vec<(String, String)> {
    let (oldest, newest) = (rule.oldest_stay(now).timestamp_millis(), rule.newest_stay(now).timestamp_millis());
    latest
        .iter()
        .filter(|(_, (d, at, _, _))| d == "in" && (oldest..=newest).contains(at))
        .map(|(k, _)| k.clone())
        .collect()
}

/// One event as a test writes it: who, which way, when (minutes after 06:00), accepted or not.
#[derive(Debug, Clone)]
struct Step {
    person: Option<usize>,
    direction: Option<Direction>,
    minute: i64,
    accepted: bool,
}

fn step() -> impl Strategy<Value = Step> {
    (
        prop::option::weighted(0.95, 0usize..5),
        prop::option::weighted(0.9, prop::bool::ANY.prop_map(|b| if b { Direction::In } else { Direction::Out })),
        // A narrow range, so that events of different gates often fall on the same millisecond.
        0i64..40,
        prop::bool::weighted(0.8),
    )
        .prop_map(|(person, direction, minute, accepted)| Step { person, direction, minute, accepted })
}

fn person(i: usize) -> PersonRef {
    if i == 4 {
        PersonRef::Visitor("v-0190a1b2c3d4".into())
    } else {
        PersonRef::Worker(format!("NV00{i}").parse().unwrap())
    }
}

fn event(s: &Step, kiosk: &str, seq: i64) -> Event {
    let verdict = if s.accepted { Verdict::Accepted } else { Verdict::Refused };
    Event {
        kiosk_id: kiosk.into(),
        seq,
        person: s.person.map(person),
        direction: s.direction,
        ..Event::draft(Uuid::now_v7(), "Cổng", base() + Duration::minutes(s.minute), Method::Badge, verdict)
    }
}

/// What happens to a kiosk: its own scans, and batches from other gates that arrive late, out of
/// order and sometimes twice.
#[derive(Debug, Clone)]
enum Happening {
    Local(Step),
    Synced { kiosk: usize, steps: Vec<Step>, resend_earlier: bool },
}

fn happening() -> impl Strategy<Value = Happening> {
    prop_oneof![
        step().prop_map(Happening::Local),
        (0usize..2, prop::collection::vec(step(), 1..6), prop::bool::weighted(0.3))
            .prop_map(|(kiosk, steps, resend_earlier)| Happening::Synced { kiosk, steps, resend_earlier }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn the_table_is_what_the_whole_log_says(happenings in prop::collection::vec(happening(), 1..40), hours in -30i64..30) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kiosk.db");
        let mut store = new_store(&path);
        let mut next_seq = [0i64; 2];
        let mut sent: Vec<Event> = Vec::new();
        for h in &happenings {
            match h {
                Happening::Local(s) => {
                    let draft = Event { kiosk_id: String::new(), seq: 0, ..event(s, "", 0) };
                    store.append_event(draft).unwrap();
                }
                Happening::Synced { kiosk, steps, resend_earlier } => {
                    let name = ["gate-2", "gate-3"][*kiosk];
                    let mut batch: Vec<Event> = steps
                        .iter()
                        .map(|s| {
                            next_seq[*kiosk] += 1;
                            event(s, name, next_seq[*kiosk])
                        })
                        .collect();
                    if *resend_earlier {
                        batch.extend(sent.iter().take(3).cloned());
                    }
                    store.insert_events(&batch).unwrap();
                    sent.extend(batch);
                }
            }
        }
        let latest = recomputed(&store);
        prop_assert_eq!(&table(&store), &latest);

        let rule = InsideRule::new(24);
        let now = base().with_timezone(&Utc) + Duration::hours(hours);
        let expected = inside_by_hand(&latest, rule, now);
        let inside: Vec<(String, String)> = store
            .inside(rule, now)
            .unwrap()
            .into_iter()
            .map(|(p, e)| {
                assert_eq!(e.direction, Some(Direction::In));
                (p.kind().to_string(), p.key().to_string())
            })
            .collect();
        prop_assert_eq!(&inside, &expected);
        let counts = store.inside_counts(rule, now).unwrap();
        let workers = expected.iter().filter(|(k, _)| k == "worker").count();
        prop_assert_eq!(counts, InsideCounts { workers, visitors: expected.len() - workers });

        // A second connection, as the next start of the kiosk, reads the same.
        drop(store);
        let reopened = Store::open(&path).unwrap();
        prop_assert_eq!(table(&reopened), latest);
    }
}

#[test]
fn a_late_exit_from_another_gate_does_not_undo_a_newer_entry() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(&dir.path().join("kiosk.db"));
    let who = Step { person: Some(0), direction: Some(Direction::In), minute: 30, accepted: true };
    store.append_event(event(&who, "", 0)).unwrap();
    // Yesterday's exit at gate 2 arrives only now.
    let late = Event {
        at: base() - Duration::hours(16),
        ..event(&Step { direction: Some(Direction::Out), ..who.clone() }, "gate-2", 9)
    };
    assert_eq!(store.insert_events(&[late]).unwrap(), 1);
    let passage = store.passage(&person(0)).unwrap().unwrap();
    assert_eq!((passage.direction, passage.kiosk_id.as_str()), (Direction::In, "gate-1"));
    // The same minute at two gates: the kiosk id decides, whichever arrived first.
    let tie_in = event(&Step { minute: 50, ..who.clone() }, "gate-3", 1);
    let tie_out = event(&Step { minute: 50, direction: Some(Direction::Out), ..who.clone() }, "gate-2", 10);
    store.insert_events(&[tie_in, tie_out]).unwrap();
    let passage = store.passage(&person(0)).unwrap().unwrap();
    assert_eq!((passage.direction, passage.kiosk_id.as_str()), (Direction::In, "gate-3"));
    assert_eq!(table(&store), recomputed(&store));
}

/// Takes away what schema versions 5 to 11 added (clock columns and table, the roster's change
/// counter, the write-order index; the shift schedule and start dates; the record of processing,
/// consent and erasure columns; the schedule's day index and the overtime of past months; the
/// visitors' trace mark; photos and snapshots; passage follow-ups), leaving a database as
/// version 4 made it.
fn back_to_version_4(conn: &rusqlite::Connection) {
    conn.execute_batch(
        "DROP TABLE photo_erased; DROP TABLE photo_outbox; ALTER TABLE events DROP COLUMN lane;
         DROP TRIGGER presence_forgets_unpassed; DROP INDEX events_followed; ALTER TABLE events DROP COLUMN follows;
         DROP TABLE photos; DROP TABLE snapshots; ALTER TABLE visitors DROP COLUMN traced_at_ms;
         DROP TABLE processing_log; ALTER TABLE visitors DROP COLUMN consent_at_ms;
         ALTER TABLE visitors DROP COLUMN notice_digest; ALTER TABLE workers DROP COLUMN erased_at_ms;
         DROP TABLE overtime_months; DROP TABLE overtime_months_made;
         DROP INDEX schedule_by_day_with_shift; DROP TABLE schedule; ALTER TABLE workers DROP COLUMN started;
         DROP INDEX events_written; DROP TABLE clock;
         ALTER TABLE events DROP COLUMN clock_offset_ms; ALTER TABLE events DROP COLUMN clock_flag;
         DROP TRIGGER roster_change_on_insert; DROP TRIGGER roster_change_on_update; DROP TABLE roster_changes;
         DROP INDEX workers_by_change; ALTER TABLE workers DROP COLUMN change_seq;
         PRAGMA user_version = 4;",
    )
    .unwrap();
}

#[test]
fn version_5_replays_a_jumped_clock_and_numbers_the_roster_after_its_old_mark() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kiosk.db");
    let mut store = new_store(&path);
    // This kiosk wrote NV000 in at 06:30, then, its clock set back, out at 06:10.
    let entry = Step { person: Some(0), direction: Some(Direction::In), minute: 30, accepted: true };
    let exit = Step { direction: Some(Direction::Out), minute: 10, ..entry.clone() };
    store.insert_events(&[event(&entry, "gate-1", 1), event(&exit, "gate-1", 2)]).unwrap();
    let conn = store.connection();
    for (code, ms) in [("NV1", 100), ("NV2", 200), ("NV3", 300)] {
        conn.execute("INSERT INTO workers (code, full_name, updated_at_ms) VALUES (?1, 'A', ?2)", (code, ms)).unwrap();
    }
    back_to_version_4(conn);
    // Version 4 kept the entry (the later time) and marked the roster sent up to 200 ms.
    conn.execute_batch(
        "UPDATE presence SET direction = 'in', at_ms = at_ms + 20 * 60000, seq = 1,
             event = (SELECT rowid_ FROM events WHERE seq = 1);
         INSERT INTO sync_state (key, value) VALUES ('roster_pushed_ms', '200');",
    )
    .unwrap();
    drop(store);
    let store = Store::open(&path).unwrap();
    let passage = store.passage(&person(0)).unwrap().unwrap();
    assert_eq!((passage.direction, passage.seq), (Direction::Out, 2), "the exit was written last");
    assert_eq!(table(&store), recomputed(&store));
    let mark: String = store
        .connection()
        .query_row("SELECT value FROM sync_state WHERE key = 'roster_pushed_seq'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mark, "2", "NV1 and NV2 were sent, NV3 waits");
}

#[test]
fn the_migration_builds_the_table_for_a_database_of_the_previous_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kiosk.db");
    let mut store = new_store(&path);
    let steps: Vec<Step> = (0..60)
        .map(|i| Step {
            person: Some(i % 5),
            direction: Some(if i % 3 == 0 { Direction::Out } else { Direction::In }),
            minute: (i as i64 * 37) % 600,
            accepted: i % 7 != 0,
        })
        .collect();
    let events: Vec<Event> =
        steps.iter().enumerate().map(|(i, s)| event(s, ["gate-1", "gate-2"][i % 2], i as i64 + 1)).collect();
    store.insert_events(&events).unwrap();
    // What version 3 was: the same tables without presence, its trigger and its index, nor what
    // version 5 added.
    back_to_version_4(store.connection());
    store
        .connection()
        .execute_batch("DROP TRIGGER presence_follows_events; DROP TABLE presence; PRAGMA user_version = 3;")
        .unwrap();
    drop(store);
    let old = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = old.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, 3);
    let tables: i64 =
        old.query_row("SELECT COUNT(*) FROM sqlite_master WHERE name = 'presence'", [], |r| r.get(0)).unwrap();
    assert_eq!(tables, 0, "a database of the previous schema has no presence table");
    drop(old);

    let store = Store::open(&path).unwrap();
    let version: i64 = store.connection().query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, qrgate_core::store::SCHEMA_VERSION);
    let latest = recomputed(&store);
    assert_eq!(latest.len(), 5);
    assert_eq!(table(&store), latest);
}

#[test]
fn an_entry_older_than_the_longest_stay_is_not_inside() {
    let mut k = Kiosk::new(GateMode::Auto, |c| c.attendance.longest_stay_hours = 12);
    let b = k.badge("NV001");
    let entry = k.check(&b, "2026-11-24T21:55:00+07:00");
    assert_eq!(entry.direction, Some(Direction::In));
    // Twelve hours on, still a stay (a long night with overtime); a millisecond later, not.
    assert_eq!(k.inside("2026-11-25T09:55:00+07:00").len(), 1);
    let counts = |k: &Kiosk, when: &str| k.store.inside_counts(InsideRule::of(&k.gate.config), at(when)).unwrap();
    assert_eq!(counts(&k, "2026-11-25T09:55:00+07:00"), InsideCounts { workers: 1, visitors: 0 });
    assert!(k.inside("2026-11-25T09:55:00.001+07:00").is_empty());
    assert_eq!(counts(&k, "2026-11-25T09:55:00.001+07:00"), InsideCounts::default());
    // And the gate answers from the same rule: the next scan is an arrival, not an exit.
    assert_eq!(k.check(&b, "2026-11-25T09:56:00+07:00").direction, Some(Direction::In));
    assert_eq!(k.inside("2026-11-25T09:56:00+07:00").len(), 1);
}

#[test]
fn an_entry_nobody_went_through_is_undone_by_its_follow_up_and_nothing_else_is() {
    let mut k = Kiosk::new(GateMode::Auto, |_| {});
    let b = k.badge("NV001");
    let zone = k.gate.config.time.timezone;
    assert_eq!(k.check(&b, "2026-11-24T07:00:00+07:00").direction, Some(Direction::In));
    assert_eq!(k.check(&b, "2026-11-24T17:00:00+07:00").direction, Some(Direction::Out));
    let back = k.check(&b, "2026-11-24T18:00:00+07:00");
    assert_eq!(back.direction, Some(Direction::In));
    assert_eq!(k.inside("2026-11-24T18:00:05+07:00").len(), 1);

    // The sensor saw nobody go through: a follow-up, and NV001 is out again, as before the scan.
    let follow_up = qrgate_core::gate::record_not_passed(
        &mut k.store,
        zone,
        back.event_id,
        at("2026-11-24T18:00:10+07:00"),
        Uuid::now_v7(),
    )
    .unwrap()
    .expect("the entry is this kiosk's accepted passage");
    assert_eq!(follow_up.verdict, Verdict::NotPassed);
    assert_eq!(follow_up.follows, Some(back.event_id));
    assert_eq!(follow_up.direction, Some(Direction::In));
    assert_eq!(follow_up.person, Some(PersonRef::Worker("NV001".parse().unwrap())));
    assert_eq!(follow_up.at.offset().local_minus_utc(), 7 * 3600, "written in the gate's zone");
    assert!(k.inside("2026-11-24T18:00:15+07:00").is_empty());
    assert_eq!(
        k.store.passage(&PersonRef::Worker("NV001".parse().unwrap())).unwrap().unwrap().direction,
        Direction::Out
    );
    // The log is append-only: the entry is still there, and the next scan is an arrival again.
    assert_eq!(k.store.event(&back.event_id).unwrap().unwrap().verdict, Verdict::Accepted);
    assert_eq!(k.check(&b, "2026-11-24T18:05:00+07:00").direction, Some(Direction::In));

    // One follow-up per opening; none for a refusal or an event this kiosk does not hold.
    let again = qrgate_core::gate::record_not_passed(
        &mut k.store,
        zone,
        back.event_id,
        at("2026-11-24T18:06:00+07:00"),
        Uuid::now_v7(),
    );
    assert_eq!(again.unwrap(), None);
    let refused = k.check("not a badge", "2026-11-24T18:07:00+07:00");
    assert_eq!(refused.verdict, Verdict::Refused);
    for entry in [refused.event_id, Uuid::now_v7()] {
        let none = qrgate_core::gate::record_not_passed(
            &mut k.store,
            zone,
            entry,
            at("2026-11-24T18:08:00+07:00"),
            Uuid::now_v7(),
        );
        assert_eq!(none.unwrap(), None);
    }
    // The table refuses a follow-up without the event it follows, and the reverse.
    let bare = k.store.connection().execute(
        "INSERT INTO events (id, kiosk_id, seq, gate, at_ms, offset_s, method, verdict, follows)
         VALUES ('x', 'k', 999, 'g', 0, 0, 'badge', ?1, ?2)",
        ("not_passed", None::<String>),
    );
    assert!(bare.unwrap_err().to_string().contains("CHECK"));
    let named = k.store.connection().execute(
        "INSERT INTO events (id, kiosk_id, seq, gate, at_ms, offset_s, method, verdict, follows)
         VALUES ('x', 'k', 999, 'g', 0, 0, 'badge', ?1, ?2)",
        ("accepted", Some(back.event_id.to_string())),
    );
    assert!(named.unwrap_err().to_string().contains("CHECK"));
}
