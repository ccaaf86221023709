//! Personal data at the province: retention that keeps only daily counts, and a record of every
//! trace and purge that names nobody. Real PostgreSQL, the real server binary, real kiosks.

use std::time::Duration;

use chrono::{TimeZone, Utc};

use crate::harness::*;
use crate::{start, A, B, T};
use qrgate_core::model::Direction;

#[test]
fn old_events_become_daily_counts_and_every_trace_and_purge_is_recorded_without_names() {
    let pg = Postgres::start(false);
    let gate = Kiosk::init(A, "a-gate-1", 11);
    let other = Kiosk::init(B, "b-gate-1", 12);
    for k in [&gate, &other] {
        k.register(&pg.url, &k.enterprise);
    }
    gate.add_events(4, 2, start());
    other.add_events(2, 1, start());
    {
        let keeping = Server::start(&pg.url, 0);
        gate.sync(&keeping.url, T).unwrap();
        other.sync(&keeping.url, T).unwrap();
        assert_eq!(pg.count("SELECT COUNT(*) FROM events"), 6, "retention 0 keeps everything");

        let http = reqwest::blocking::Client::new();
        let get = |path: &str| http.get(format!("{}{path}", keeping.url)).bearer_auth(QUERY_TOKEN).send().unwrap();
        let before =
            get(&format!("/api/v1/province/daily?from=2025-03-03&to=2025-03-03&enterprise={A}")).text().unwrap();
        assert!(before.contains("\"total\":4"), "{before}");
        let traced =
            get(&format!("/api/v1/province/contacts?enterprise={A}&person=NV0001&from=2025-03-03&to=2025-03-03"));
        assert_eq!(traced.status(), 200);
        let record: serde_json::Value = get(&format!("/api/v1/province/processing?enterprise={A}")).json().unwrap();
        assert_eq!(record[0]["action"], "trace");
        assert_eq!(record[0]["enterprise"], A);
        assert_eq!(record[0]["people"], 1, "the trace named one contact");
        assert!(!record.to_string().contains("NV0001"), "the record says a trace was made, not whom: {record}");
        let none: serde_json::Value = get(&format!("/api/v1/province/processing?enterprise={B}")).json().unwrap();
        assert_eq!(none, serde_json::json!([]), "one enterprise's record holds none of another's traces");

        // The same server with 90 days' retention: March 2025 is long past, so the purge at start
        // turns its events into counts, and the day reads the same.
        drop(keeping);
        let purging = Server::start_with(&pg.url, 0, &["--retention-days", "90"]);
        wait_for("the purge at start", Duration::from_secs(30), || {
            (pg.count("SELECT COUNT(*) FROM events") == 0).then_some(())
        });
        let get = |path: &str| http.get(format!("{}{path}", purging.url)).bearer_auth(QUERY_TOKEN).send().unwrap();
        let after =
            get(&format!("/api/v1/province/daily?from=2025-03-03&to=2025-03-03&enterprise={A}")).text().unwrap();
        assert_eq!(after, before, "a purged day reads as it did from its events");
        assert_eq!(pg.count("SELECT COUNT(*) FROM daily_counts"), 2, "a day of each enterprise");
        let record: serde_json::Value = get(&format!("/api/v1/province/processing?enterprise={A}")).json().unwrap();
        assert_eq!((record[0]["action"].as_str(), record[0]["actor"].as_str()), (Some("purge"), Some("retention")));
        assert_eq!(record[0]["people"], 2, "two workers' events went");
        let contacts =
            get(&format!("/api/v1/province/contacts?enterprise={A}&person=NV0001&from=2025-03-03&to=2025-03-03"))
                .json::<serde_json::Value>()
                .unwrap();
        assert_eq!(contacts, serde_json::json!([]), "nobody can be traced through purged events");

        // A kiosk that was offline pushes an old event late: it is counted once, on its day.
        gate.add_events(1, 1, start() + chrono::Duration::hours(1));
        gate.sync(&purging.url, T).unwrap();
        drop(purging);
        let again = Server::start_with(&pg.url, 0, &["--retention-days", "90"]);
        wait_for("the late event purged", Duration::from_secs(30), || {
            (pg.count("SELECT COUNT(*) FROM events") == 0).then_some(())
        });
        let get = |path: &str| http.get(format!("{}{path}", again.url)).bearer_auth(QUERY_TOKEN).send().unwrap();
        let late = get(&format!("/api/v1/province/daily?from=2025-03-03&to=2025-03-03&enterprise={A}")).text().unwrap();
        assert!(late.contains("\"total\":5"), "{late}");
    }
}

#[test]
fn a_visitor_in_at_one_gate_and_out_at_another_is_one_person_to_contact_tracing() {
    const CARD: &str = "079090001234|025123456|Nguyễn Văn An|15031990|Nam|12 Lê Lợi, Quận 1|15082021";
    let pg = Postgres::start(false);
    let server = Server::start(&pg.url, 0);
    let gate1 = Kiosk::init(A, "a-gate-1", 21);
    let gate2 = Kiosk::join(&gate1, "a-gate-2", 22);
    for k in [&gate1, &gate2] {
        k.register(&pg.url, A);
    }
    // The visitor comes in at gate 1 at 07:30 (gate time); a worker passes gate 2 in and out at
    // 08:00 and 08:01; the visitor leaves by gate 2 at 09:30, once gate 2 has heard from gate 1.
    let (came, visitor) = gate1.visit(CARD, start() + chrono::Duration::hours(7));
    assert_eq!(came, Direction::In);
    gate1.sync(&server.url, T).unwrap();
    gate2.add_events(2, 1, start() + chrono::Duration::hours(7) + chrono::Duration::minutes(30));
    gate2.sync(&server.url, T).unwrap();
    let (went, same) = gate2.visit(CARD, start() + chrono::Duration::hours(9));
    assert_eq!(same, visitor, "gate 2 names the visitor as gate 1 did");
    assert_eq!(went, Direction::Out, "so gate 2 knows they are inside and lets them out");
    gate2.sync(&server.url, T).unwrap();
    assert_eq!(pg.count("SELECT COUNT(DISTINCT person_ref) FROM events WHERE person_kind = 'visitor'"), 1);

    let http = reqwest::blocking::Client::new();
    let contacts: serde_json::Value = http
        .get(format!(
            "{}/api/v1/province/contacts?enterprise={A}&person={visitor}&kind=visitor&from=2025-03-03&to=2025-03-03",
            server.url
        ))
        .bearer_auth(QUERY_TOKEN)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let list = contacts.as_array().unwrap_or_else(|| panic!("{contacts}"));
    assert_eq!(list.len(), 1, "the worker who passed gate 2 while the visitor was inside: {contacts}");
    assert_eq!(list[0]["person_ref"], "NV0000");
    assert_eq!(list[0]["overlap_minutes"], 1);
    assert_eq!(list[0]["gates"], serde_json::json!(["Cổng A"]), "where they met: {contacts}");
    // The province holds the visitor's id, never the number.
    assert_eq!(pg.count("SELECT COUNT(*) FROM events WHERE person_ref LIKE '%079090001234%'"), 0);
}

#[test]
fn the_province_traces_a_visitor_by_cccd_number_and_keeps_no_number() {
    const CARD: &str = "079090001234|025123456|Nguyễn Văn An|15031990|Nam|12 Lê Lợi, Quận 1|15082021";
    let pg = Postgres::start(false);
    // The province's trace secret, made as its IT would; its public key goes into kiosk.conf.
    let keys = tempfile::tempdir().unwrap();
    let secret = keys.path().join("trace.key");
    let made = std::process::Command::new(server_exe())
        .args(["trace-key", "new", "--out", secret.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let public = std::process::Command::new(server_exe())
        .args(["trace-key", "public", "--key", secret.to_str().unwrap()])
        .output()
        .unwrap();
    let public = String::from_utf8(public.stdout).unwrap().trim().to_string();
    assert_eq!(public.len(), 64, "{public}");
    assert!(String::from_utf8_lossy(&made.stdout).contains(&public));
    let again = std::process::Command::new(server_exe())
        .args(["trace-key", "new", "--out", secret.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!again.status.success(), "an existing secret is never replaced");

    let server = Server::start_with(&pg.url, 0, &["--trace-key", secret.to_str().unwrap()]);
    let gate = Kiosk::init(A, "a-gate-1", 31);
    gate.register(&pg.url, A);
    let conf = gate.data.config_path();
    let text = std::fs::read_to_string(&conf).unwrap();
    assert!(text.contains("trace_key = \"\""), "kiosk.conf documents the setting");
    std::fs::write(&conf, text.replace("trace_key = \"\"", &format!("trace_key = \"{public}\""))).unwrap();

    // A gate of the same enterprise set up apart, with a visitor key of its own: the same visitor
    // has another id there, but the same number.
    let apart = Kiosk::init(A, "a-gate-9", 32);
    apart.register(&pg.url, A);
    let conf9 = apart.data.config_path();
    let text9 = std::fs::read_to_string(&conf9).unwrap();
    std::fs::write(&conf9, text9.replace("trace_key = \"\"", &format!("trace_key = \"{public}\""))).unwrap();

    // The visitor is inside gate 1 from 07:00 to 08:30 (a worker passes at 07:30 and 07:31), then
    // at the gate set apart from 12:00 (the same worker passes there at 12:30 and 12:31).
    let at = |h: i64, m: i64| start() + chrono::Duration::hours(h) + chrono::Duration::minutes(m);
    let (_, visitor) = gate.visit(CARD, at(7, 0));
    gate.add_events(2, 1, at(7, 30));
    assert_eq!(gate.visit(CARD, at(8, 30)).0, Direction::Out);
    let (_, elsewhere) = apart.visit(CARD, at(12, 0));
    assert_ne!(elsewhere, visitor, "another visitor key, another id");
    apart.add_events(2, 1, at(12, 30));
    let round = gate.sync_for_kiosk(&server.url).unwrap();
    assert_eq!(round.visitors_traced, 1);
    assert_eq!(gate.sync_for_kiosk(&server.url).unwrap().visitors_traced, 0, "each number goes once");
    assert_eq!(apart.sync_for_kiosk(&server.url).unwrap().visitors_traced, 1);
    assert_eq!(pg.count("SELECT COUNT(*) FROM visitor_tags"), 2);
    for table in ["visitor_tags", "events", "processing_log"] {
        let found = pg.count(&format!("SELECT COUNT(*) FROM {table} t WHERE t::text LIKE '%079090001234%'"));
        assert_eq!(found, 0, "no number in {table}");
    }

    let http = reqwest::blocking::Client::new();
    let trace = |cccd: &str| {
        http.get(format!(
            "{}/api/v1/province/contacts?enterprise={A}&cccd={cccd}&from=2025-03-03&to=2025-03-03",
            server.url
        ))
        .bearer_auth(QUERY_TOKEN)
        .send()
        .unwrap()
    };
    let found = trace("079090001234");
    assert_eq!(found.status(), 200);
    let contacts: serde_json::Value = found.json().unwrap();
    assert_eq!(contacts[0]["person_ref"], "NV0000", "{contacts}");
    assert_eq!(contacts[0]["overlap_minutes"], 2, "a minute at each gate, under either id: {contacts}");
    assert_eq!(contacts.as_array().unwrap().len(), 1);
    let unknown = trace("079090009999");
    assert_eq!(unknown.status(), 400);
    assert!(unknown.text().unwrap().contains("no visitor with this number"));
    assert_eq!(trace("12345").status(), 400, "not a CCCD number");
    let record: serde_json::Value = http
        .get(format!("{}/api/v1/province/processing?enterprise={A}", server.url))
        .bearer_auth(QUERY_TOKEN)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(record[0]["detail"].as_str().unwrap().contains("by CCCD number, not found"), "{record}");
    assert_eq!(record[0]["people"], 0);
    assert!(record[1]["detail"].as_str().unwrap().contains("by CCCD number from"), "{record}");
    assert_eq!(record[1]["people"], 1);
    assert!(!record.to_string().contains("079090001234") && !record.to_string().contains(&visitor), "{record}");

    // The server's logs name nobody: no number, no name of the card.
    let log = server.log();
    assert!(!log.is_empty(), "the server logged its start at least");
    assert!(!log.contains("079090001234") && !log.contains("Nguyễn Văn An"), "{log}");

    // Past retention the visitor's events go, and their tags with them: nobody is found by number.
    drop(server);
    let purging = Server::start_with(&pg.url, 0, &["--retention-days", "90", "--trace-key", secret.to_str().unwrap()]);
    wait_for("the purge at start", Duration::from_secs(30), || {
        (pg.count("SELECT COUNT(*) FROM visitor_tags") == 0).then_some(())
    });
    assert_eq!(pg.count("SELECT COUNT(*) FROM events"), 0);
    let gone = http
        .get(format!(
            "{}/api/v1/province/contacts?enterprise={A}&cccd=079090001234&from=2025-03-03&to=2025-03-03",
            purging.url
        ))
        .bearer_auth(QUERY_TOKEN)
        .send()
        .unwrap();
    assert_eq!(gone.status(), 400);
}

/// The partitions of `events` by name, as the catalogue lists them.
fn months(pg: &Postgres) -> Vec<String> {
    let text = pg.query(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = 'events'::regclass ORDER BY c.relname",
    );
    text.lines().map(str::to_string).collect()
}

#[test]
fn a_month_past_the_horizon_goes_as_a_partition_and_its_days_stay_as_counts() {
    let pg = Postgres::start(false);
    let server = Server::start(&pg.url, 0);
    let gate = Kiosk::init(A, "a-gate-1", 41);
    gate.register(&pg.url, A);
    // March and April 2025 are beyond push's reach from today: their months are made as the
    // hourly job makes the coming ones, and the events go into them rather than the default.
    pg.query("SELECT events_month('2025-03-01'), events_month('2025-04-17')");
    gate.add_events(4, 2, start());
    let april = |day: u32| Utc.with_ymd_and_hms(2025, 4, day, 1, 0, 0).unwrap();
    gate.add_events(2, 1, april(10));
    gate.add_events(6, 3, april(20));
    gate.sync(&server.url, T).unwrap();
    let months_before = months(&pg);
    assert!(months_before.contains(&"events_2025_03".to_string()), "{months_before:?}");
    assert_eq!(pg.count("SELECT COUNT(*) FROM events_2025_03"), 4);
    assert_eq!(pg.count("SELECT COUNT(*) FROM events_2025_04"), 8);
    assert_eq!(pg.count("SELECT COUNT(*) FROM events_default"), 0);
    let days = "SELECT string_agg(day || ' ' || entries || ' ' || exits || ' ' || total, ', ' ORDER BY day)
                FROM (SELECT (to_timestamp((at_ms + 25200000) / 1000.0) AT TIME ZONE 'UTC')::date AS day,
                             COUNT(*) FILTER (WHERE direction = 'in') AS entries,
                             COUNT(*) FILTER (WHERE direction = 'out') AS exits, COUNT(*) AS total
                      FROM events GROUP BY 1) d WHERE day < '2025-04-15'";
    let live = pg.query(days);
    assert_eq!(live, "2025-03-03 2 2 4, 2025-04-10 1 1 2");

    // 90 days kept on 14 July 2025 (10:00 at the gate): the horizon is 15 April's midnight. March
    // ended before it and goes whole; April straddles it and loses its days before the 15th.
    let now = Utc.with_ymd_and_hms(2025, 7, 14, 3, 0, 0).unwrap().timestamp_millis();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let purged = runtime
        .block_on(async {
            let pool = qrgate_server::pool(&pg.url, 2).unwrap();
            qrgate_server::privacy::purge(&pool, now, 90).await
        })
        .unwrap();
    assert_eq!((purged.events, purged.people), (6, 2), "March's 4 events and April 10th's 2, of two workers");
    let months_after = months(&pg);
    assert!(!months_after.contains(&"events_2025_03".to_string()), "March dropped as a partition: {months_after:?}");
    assert_eq!(pg.count("SELECT COUNT(*) FROM pg_class WHERE relname = 'events_2025_03'"), 0);
    assert!(months_after.contains(&"events_2025_04".to_string()), "April straddles the horizon: {months_after:?}");
    assert_eq!(pg.count("SELECT COUNT(*) FROM events_2025_04"), 6, "April 20th's events stay");
    let kept = pg.query(
        "SELECT string_agg(day || ' ' || entries || ' ' || exits || ' ' || total, ', ' ORDER BY day) FROM daily_counts",
    );
    assert_eq!(kept, live, "the days purged read as they did from their events");
    let record =
        pg.query("SELECT enterprise || ' ' || people || ' ' || detail FROM processing_log WHERE action = 'purge'");
    assert!(record.starts_with(&format!("{A} 2 6 events before 2025-04-15T00:00:00+07:00")), "{record}");
}
