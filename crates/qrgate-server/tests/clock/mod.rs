//! The roster at a real factory's size and a kiosk whose clock is off, through the real server:
//! a roster of 100,000 goes in pushes the server takes, a worker the server refuses is recorded
//! and holds no event back, and a kiosk three hours behind still syncs, knows it, and the province
//! sees by how much on every event it wrote since.

use std::time::Duration;

use chrono::{DateTime, Utc};
use qrgate_core::model::{Direction, Method, PersonRef, Verdict};
use qrgate_core::store::Event;
use qrgate_core::Clock;
use uuid::Uuid;

use crate::harness::*;

const A: &str = "0101234567";
const T: Duration = Duration::from_secs(60);

/// The system clock set back by a fixed amount: a gate PC whose CMOS battery died.
struct Behind(chrono::Duration);

impl Clock for Behind {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() - self.0
    }
}

fn sync_with(kiosk: &Kiosk, server: &Server, clock: &impl Clock) -> qrgate_sync::Result<qrgate_sync::Round> {
    let mut store = kiosk.store();
    let client = kiosk.client(&server.url, T);
    qrgate_sync::sync_once(&mut store, &client, clock, &mut rand::rngs::OsRng, &Default::default()).map(|(r, _)| r)
}

/// Writes an entry of `code` at the kiosk's `now`, as the gate does (numbered, with what the
/// kiosk knows of its clock).
fn entry(kiosk: &Kiosk, code: &str, now: DateTime<Utc>) -> Event {
    let at = now.with_timezone(&chrono::FixedOffset::east_opt(7 * 3600).unwrap());
    let draft = Event {
        person: Some(PersonRef::Worker(code.parse().unwrap())),
        direction: Some(Direction::In),
        ..Event::draft(Uuid::now_v7(), "Cổng A", at, Method::Badge, Verdict::Accepted)
    };
    kiosk.store().append_event(draft).unwrap()
}

#[test]
fn a_kiosk_three_hours_behind_still_syncs_and_the_province_sees_by_how_much() {
    let pg = Postgres::start(false);
    let server = Server::start(&pg.url, 0);
    let gate = Kiosk::init(A, "a-gate-1", 1);
    gate.register(&pg.url, A);
    let clock = Behind(chrono::Duration::hours(3));
    let before = entry(&gate, "NV0001", clock.now());
    assert_eq!(before.clock_offset_ms, None, "it has never heard the server");

    let round = sync_with(&gate, &server, &clock).expect("a clock 3 hours off still syncs");
    assert_eq!(round.pushed, 1);
    let status = gate.status();
    assert_eq!(status.last_error, None);
    let offset = status.clock_offset_ms.expect("the server's time was heard");
    assert!((offset - 3 * 3_600_000).abs() < 60_000, "{offset}");
    assert_eq!(status.clock_off_minutes(), Some(180));

    let after = entry(&gate, "NV0002", clock.now());
    assert_eq!(after.clock_offset_ms, Some(offset), "the event carries what the kiosk knew");
    assert_eq!(after.clock_flag, None, "three hours is off, not a jump");
    sync_with(&gate, &server, &clock).unwrap();
    let stored = pg.query("SELECT person_ref || ':' || COALESCE(clock_offset_ms::text, '-') FROM events ORDER BY seq");
    assert_eq!(stored.split_whitespace().collect::<Vec<_>>(), ["NV0001:-".to_string(), format!("NV0002:{offset}")]);

    let rows = server.inside(A);
    let offsets: Vec<_> =
        rows.as_array().unwrap().iter().map(|r| (r["person_ref"].clone(), r["clock_offset_ms"].clone())).collect();
    let want = [("NV0001", serde_json::Value::Null), ("NV0002", serde_json::Value::from(offset))];
    assert_eq!(offsets, want.map(|(code, o)| (serde_json::Value::from(code), o)));
    let today = (Utc::now() + chrono::Duration::hours(7)).date_naive();
    let http = reqwest::blocking::Client::new();
    let daily = http
        .get(format!(
            "{}/api/v1/province/daily?enterprise={A}&from={}&to={}&format=csv",
            server.url,
            today - chrono::Days::new(1),
            today
        ))
        .bearer_auth(QUERY_TOKEN)
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(daily.starts_with("enterprise,day,entries,exits,refused,total,clock_off\n"), "{daily}");
    let clock_off: u64 = daily.lines().skip(1).map(|l| l.rsplit(',').next().unwrap().parse::<u64>().unwrap()).sum();
    assert_eq!(clock_off, 1, "the one event written knowing the clock was off: {daily}");
}

#[test]
fn a_roster_of_100000_syncs_in_pushes_and_a_refused_worker_holds_no_event_back() {
    let pg = Postgres::start(false);
    let server = Server::start(&pg.url, 0);
    let gate = Kiosk::init(A, "a-gate-1", 1);
    gate.register(&pg.url, A);
    {
        let mut store = gate.store();
        store
            .transaction(|tx| {
                let mut add = tx.prepare(
                    "INSERT INTO workers (code, full_name, department, shift, active, badge_serial, updated_at_ms)
                     VALUES (?1, ?2, ?3, 'A', 1, 1, 0)",
                )?;
                for i in 0..100_000 {
                    add.execute((format!("NV{i:06}"), format!("Nguyễn Văn Công Nhân {i}"), "Phân xưởng may số 3"))?;
                }
                // What the server refuses (a department over 1,000 bytes), in the middle of it.
                add.execute(("NV-BAD", "Trần Thị Lỗi", "x".repeat(1001)))?;
                Ok::<_, qrgate_core::Error>(())
            })
            .unwrap();
    }
    gate.add_events(3, 3, Utc::now() - chrono::Duration::hours(1));

    let round = gate.sync(&server.url, T).expect("the round goes on past the refused worker");
    assert_eq!(round.pushed, 3, "the events went");
    assert_eq!(round.workers_pushed, 100_000);
    assert_eq!(pg.count(&format!("SELECT count(*) FROM workers WHERE enterprise = '{A}'")), 100_000);
    let status = gate.status();
    assert_eq!(status.waiting, 0);
    let refused = status.roster_error.expect("the refused worker is recorded");
    assert!(refused.message.contains("NV-BAD"), "{}", refused.message);

    // Nothing more to send: the refusal stays shown. Put right, the worker goes and it clears.
    assert_eq!(gate.sync(&server.url, T).unwrap().workers_pushed, 0);
    assert!(gate.status().roster_error.is_some());
    gate.store().connection().execute("UPDATE workers SET department = 'May' WHERE code = 'NV-BAD'", []).unwrap();
    assert_eq!(gate.sync(&server.url, T).unwrap().workers_pushed, 1);
    assert_eq!(gate.status().roster_error, None);
}
