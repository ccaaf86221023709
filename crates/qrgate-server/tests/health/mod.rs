//! Kiosks' health through the real server on a real PostgreSQL: a kiosk's report after its round,
//! the clock offset the server measures (a kiosk whose clock is off either way), silence asked
//! about an hour later (the time passed in, never slept), a report refused for its values, the
//! list as CSV with a hostile cell, /metrics' counts, and a report that fails losing no event.

use std::time::Duration;

use chrono::{DateTime, Utc};
use qrgate_core::Clock;
use qrgate_protocol::health::{HealthReport, Incident, HEALTH_PATH};
use qrgate_protocol::{Nonce, RequestAuth};
use qrgate_sync::{DeviceState, Settings};

use crate::harness::*;

const A: &str = "0101234567";
const B: &str = "0309876543";
const T: Duration = Duration::from_secs(20);

/// The system clock moved by a fixed amount: behind when negative.
struct Off(chrono::Duration);

impl Clock for Off {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.0
    }
}

/// One round as the kiosk window runs it: kiosk.conf's settings with the gate's live state.
fn round(kiosk: &Kiosk, url: &str, clock: &impl Clock, settings: &Settings) -> qrgate_sync::Result<qrgate_sync::Round> {
    let mut store = kiosk.store();
    let client = kiosk.client(url, T);
    qrgate_sync::sync_once(&mut store, &client, clock, &mut rand::rngs::OsRng, settings).map(|(r, _)| r)
}

fn settings(kiosk: &Kiosk) -> Settings {
    let (_, config) = kiosk.data.open().unwrap();
    Settings::for_kiosk(&config)
}

/// The province's list of kiosks after `query` (`enterprise=…`, `at=…`), as JSON.
fn kiosks(server: &Server, query: &str) -> Vec<serde_json::Value> {
    let answer = reqwest::blocking::Client::new()
        .get(format!("{}/api/v1/province/kiosks?{query}", server.url))
        .bearer_auth(QUERY_TOKEN)
        .send()
        .unwrap();
    assert_eq!(answer.status(), 200);
    answer.json().unwrap()
}

fn metrics(server: &Server) -> String {
    reqwest::blocking::get(format!("{}/metrics", server.url)).unwrap().text().unwrap()
}

/// A moment in the query string's form: RFC 3339 in UTC (`Z`, no `+` to escape).
fn at(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn near(value: &serde_json::Value, want_ms: i64, within_ms: i64) -> bool {
    value.as_i64().is_some_and(|v| v.abs_diff(want_ms) <= within_ms.unsigned_abs())
}

#[test]
fn a_kiosk_reports_its_health_and_the_province_measures_its_clock() {
    let pg = Postgres::start(false);
    let server = Server::start(&pg.url, 0);
    let behind = Kiosk::init(A, "a-gate-1", 1);
    let ahead = Kiosk::join(&behind, "a-gate-2", 2);
    let quiet = Kiosk::init(B, "b-gate-1", 3);
    for k in [&behind, &ahead, &quiet] {
        k.register(&pg.url, &k.enterprise);
    }
    // The first gate's clock three hours behind, its camera working and its relay board gone; the
    // second's ninety minutes ahead.
    let behind_settings = settings(&behind);
    let now = Utc::now();
    behind_settings.gate.set_camera(0, DeviceState::Working, None, now);
    behind_settings.gate.set_turnstile(
        DeviceState::Failing,
        Some("the LCUS relay board on /dev/ttyUSB0: No such file or directory"),
        now,
    );
    behind.add_events(3, 1, Utc::now());
    round(&behind, &server.url, &Off(-chrono::Duration::hours(3)), &behind_settings).unwrap();
    round(&ahead, &server.url, &Off(chrono::Duration::minutes(90)), &settings(&ahead)).unwrap();
    assert_eq!(behind.status().health_error, None);

    let list = kiosks(&server, &format!("enterprise={A}"));
    assert_eq!(list.len(), 2, "{list:?}");
    let (b, a) = (&list[0], &list[1]);
    assert_eq!((b["kiosk_id"].as_str(), a["kiosk_id"].as_str()), (Some("a-gate-1"), Some("a-gate-2")));
    // Measured by the server from the kiosk's own reading: the sign says which way, a few
    // seconds of slack for the trip and a loaded machine.
    assert!(near(&b["clock_offset_ms"], 3 * 3_600_000, 10_000), "behind: {b}");
    assert!(near(&a["clock_offset_ms"], -90 * 60_000, 10_000), "ahead: {a}");
    // The kiosk learned the same offset from the server's answers: both ends agree.
    let learned = behind.status().clock_offset_ms.unwrap();
    assert!(near(&b["clock_offset_ms"], learned, 10_000), "{learned} vs {b}");

    assert_eq!(b["enterprise"], A);
    assert_eq!(b["gate"], "Cổng a-gate-1");
    assert_eq!(b["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(b["status"], "online");
    assert_eq!(b["events_waiting"], 0, "the report comes after the round's push");
    assert_eq!((b["camera"].as_str(), b["turnstile"].as_str()), (Some("working"), Some("failing")));
    assert!(b["last_error"].as_str().unwrap().contains("/dev/ttyUSB0"), "{b}");
    assert!(b["free_disk_bytes"].as_i64().is_some_and(|n| n > 0), "{b}");
    assert_eq!(b["last_restart"], serde_json::Value::Null);
    // kiosk.conf names no turnstile at the second gate, and `sync` watches no camera there.
    assert_eq!((a["camera"].as_str(), a["turnstile"].as_str()), (Some("unknown"), Some("absent")));
    assert_eq!(a["last_error"], serde_json::Value::Null);

    // The other enterprise's kiosk never synced: listed, silent, with nothing reported.
    let all = kiosks(&server, "");
    assert_eq!(all.len(), 3);
    let q = all.iter().find(|k| k["kiosk_id"] == "b-gate-1").unwrap();
    assert_eq!(
        (q["status"].as_str(), &q["last_sync"], &q["version"]),
        (Some("silent"), &serde_json::Value::Null, &serde_json::Value::Null)
    );
}

#[test]
fn a_kiosk_that_stops_syncing_turns_silent_an_hour_later_and_metrics_count_it() {
    let pg = Postgres::start(false);
    let server = Server::start(&pg.url, 0);
    let gate = Kiosk::init(A, "a-gate-1", 1);
    let never = Kiosk::init(B, "b-gate-1", 2);
    let revoked = Kiosk::init(B, "b-gate-2", 3);
    for k in [&gate, &never, &revoked] {
        k.register(&pg.url, &k.enterprise);
    }
    assert!(server_cli(&pg.url, &["kiosk", "revoke", "--kiosk-id", "b-gate-2"]).0);
    let before = Utc::now();
    gate.sync(&server.url, T).unwrap();
    let after = Utc::now();

    let synced = &kiosks(&server, &format!("enterprise={A}"))[0];
    let last_sync = DateTime::parse_from_rfc3339(synced["last_sync"].as_str().unwrap()).unwrap();
    // The answer shows whole seconds.
    assert!(last_sync >= before - chrono::Duration::seconds(1) && last_sync <= after, "{synced}");
    // Asked about a moment an hour later, and a minute past it: the time is the question's.
    let asked = |t: DateTime<Utc>| kiosks(&server, &format!("enterprise={A}&at={}", at(t)))[0]["status"].clone();
    assert_eq!(asked(after + chrono::Duration::minutes(59)), "online");
    assert_eq!(asked(after + chrono::Duration::minutes(61)), "silent");
    assert_eq!(asked(before - chrono::Duration::hours(2)), "online", "a sync after the moment asked about");
    // A revoked kiosk is no longer the province's to watch.
    assert!(kiosks(&server, &format!("enterprise={B}")).iter().all(|k| k["kiosk_id"] != "b-gate-2"));

    let text = metrics(&server);
    assert!(text.contains("# TYPE qrgate_kiosks_registered gauge\nqrgate_kiosks_registered 2\n"), "{text}");
    assert!(text.contains("# TYPE qrgate_kiosks_silent gauge\nqrgate_kiosks_silent 1\n"), "{text}");
    assert!(!text.contains("b-gate") && !text.contains("a-gate"), "counts, never names: {text}");
    never.sync(&server.url, T).unwrap();
    assert!(metrics(&server).contains("qrgate_kiosks_silent 0\n"));
}

/// A report signed by `kiosk` as its client would sign it, sent at the kiosk's `now_ms`.
fn send_report(server: &Server, kiosk: &Kiosk, report: &HealthReport, now_ms: i64) -> (u16, serde_json::Value) {
    let body = qrgate_protocol::gzip(&serde_json::to_vec(report).unwrap());
    let mut nonce = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut nonce);
    let key = kiosk.data.kiosk_key().unwrap();
    let auth = RequestAuth::sign(&key, &kiosk.kiosk_id, "POST", HEALTH_PATH, now_ms, Nonce(nonce), &body);
    let mut request = reqwest::blocking::Client::new()
        .post(format!("{}{HEALTH_PATH}", server.url))
        .header("content-encoding", "gzip")
        .body(body);
    for (name, value) in auth.headers() {
        request = request.header(name, value);
    }
    let answer = request.send().unwrap();
    (answer.status().as_u16(), answer.json().unwrap())
}

#[test]
fn a_bad_report_is_refused_with_its_code_and_the_csv_escapes_a_hostile_cell() {
    let pg = Postgres::start(false);
    let server = Server::start(&pg.url, 0);
    let gate = Kiosk::init(A, "a-gate-1", 1);
    gate.register(&pg.url, A);
    let now = Utc::now().timestamp_millis();
    let good = HealthReport {
        enterprise: A.into(),
        version: "0.2.0".into(),
        gate: Some("@SUM(A1)".into()),
        events_waiting: 12,
        clock_ms: now,
        camera: "failing".into(),
        turnstile: "working".into(),
        free_disk_bytes: Some(7_000_000_000),
        last_error: Some(Incident {
            at_ms: now - 60_000, text: "=HYPERLINK(\"http://x\",\"Nhấn vào đây\")".into()
        }),
        last_restart: Some(Incident { at_ms: now - 3_600_000, text: "the kiosk window: a crash".into() }),
    };
    let (status, answer) = send_report(&server, &gate, &good, now);
    assert_eq!(status, 200, "{answer}");
    assert!(near(&answer["clock_offset_ms"], 0, 10_000), "{answer}");

    let refused: [(HealthReport, &str); 5] = [
        (
            HealthReport { last_error: Some(Incident { at_ms: now, text: "x".repeat(501) }), ..good.clone() },
            "last_error is longer than 500 characters",
        ),
        (
            HealthReport {
                last_error: Some(Incident { at_ms: now, text: "ok\u{1b}[2J\nforged line".into() }),
                ..good.clone()
            },
            "last_error contains the control character U+001B",
        ),
        (HealthReport { gate: Some("Cổng\0A".into()), ..good.clone() }, "gate contains the control character U+0000"),
        (HealthReport { camera: "sleeping".into(), ..good.clone() }, "the camera's state is not one of"),
        (HealthReport { clock_ms: i64::MIN, ..good.clone() }, "clock_ms is a century or more"),
    ];
    for (report, words) in refused {
        let (status, answer) = send_report(&server, &gate, &report, now);
        assert_eq!((status, answer["code"].as_str()), (422, Some("bad_health_report")), "{answer}");
        assert!(answer["message"].as_str().unwrap().contains(words), "{answer}");
    }
    let (status, answer) = send_report(&server, &gate, &HealthReport { enterprise: B.into(), ..good.clone() }, now);
    assert_eq!((status, answer["code"].as_str()), (403, Some("wrong_enterprise")));

    // Nothing refused touched the kept report.
    let kept = &kiosks(&server, &format!("enterprise={A}"))[0];
    assert_eq!((kept["events_waiting"].as_i64(), kept["camera"].as_str()), (Some(12), Some("failing")));
    assert_eq!(kept["last_error"], "=HYPERLINK(\"http://x\",\"Nhấn vào đây\")", "JSON carries the text as it is");
    assert_eq!(kept["last_restart_reason"], "the kiosk window: a crash");

    let text = reqwest::blocking::Client::new()
        .get(format!("{}/api/v1/province/kiosks?enterprise={A}&format=csv", server.url))
        .bearer_auth(QUERY_TOKEN)
        .send()
        .unwrap()
        .text()
        .unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, qrgate_server::health::KIOSK_COLUMNS);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1, "{text}");
    let cell = |name: &str| rows[0][header.iter().position(|h| h == name).unwrap()].to_string();
    assert_eq!(cell("last_error"), "'=HYPERLINK(\"http://x\",\"Nhấn vào đây\")", "a formula is text in a spreadsheet");
    assert_eq!(cell("gate"), "'@SUM(A1)");
    assert_eq!(
        (cell("kiosk_id"), cell("status"), cell("events_waiting")),
        ("a-gate-1".into(), "online".into(), "12".into())
    );
}

#[test]
fn a_report_that_fails_loses_no_event_and_the_status_says_so() {
    let pg = Postgres::start(false);
    let server = Server::start(&pg.url, 0);
    let gate = Kiosk::init(A, "a-gate-1", 1);
    gate.register(&pg.url, A);
    let proxy = Proxy::start(server.addr);
    proxy.set(Mode::Refuse { path: HEALTH_PATH, status: 500 });
    gate.add_events(5, 2, Utc::now());

    let round = gate.sync(&proxy.url, T).expect("a report that fails does not fail the round");
    assert_eq!(round.pushed, 5);
    assert_eq!(pg.event_ids(&gate.kiosk_id), gate.own_event_ids(), "every event is at the province");
    let status = gate.status();
    assert!(status.online && status.last_error.is_none(), "{status:?}");
    assert_eq!(status.waiting, 0);
    let e = status.health_error.expect("the failed report is in the status");
    assert_eq!(e.code, "database");
    assert!(proxy.requests_in(Mode::Refuse { path: HEALTH_PATH, status: 500 }) >= 3, "push, pull and the report");
    // The push and the pull marked the kiosk's last sync; no report arrived.
    let listed = &kiosks(&server, &format!("enterprise={A}"))[0];
    assert_eq!((listed["status"].as_str(), &listed["version"]), (Some("online"), &serde_json::Value::Null));

    // A server older than reports answers 404: nothing is wrong, nothing is kept as an error.
    proxy.set(Mode::Refuse { path: HEALTH_PATH, status: 404 });
    gate.add_events(2, 2, Utc::now());
    assert_eq!(gate.sync(&proxy.url, T).unwrap().pushed, 2);
    assert_eq!(gate.status().health_error, None);

    // And once the report goes through, the province has it.
    proxy.set(Mode::Forward);
    gate.sync(&proxy.url, T).unwrap();
    assert_eq!(gate.status().health_error, None);
    assert_eq!(pg.event_ids(&gate.kiosk_id), gate.own_event_ids());
    let listed = &kiosks(&server, &format!("enterprise={A}"))[0];
    assert_eq!(listed["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(listed["events_waiting"], 0);
}

/// At a shift change a kiosk's rounds come every few seconds: a report goes with the first, then
/// again only when the kiosk's state changed or a minute has passed by its clock.
#[test]
fn reports_go_once_a_minute_unless_the_kiosks_state_changed() {
    let pg = Postgres::start(false);
    let server = Server::start(&pg.url, 0);
    let gate = Kiosk::init(A, "a-gate-1", 1);
    gate.register(&pg.url, A);
    let settings = settings(&gate);
    let reports = || pg.query("SELECT count(*) OVER () || ' ' || received_at_ms || ' ' || camera FROM kiosk_health");
    let seconds = |s: i64| Off(chrono::Duration::seconds(s));

    round(&gate, &server.url, &seconds(0), &settings).unwrap();
    let first = reports();
    assert!(first.starts_with("1 ") && first.ends_with(" unknown"), "{first}");
    // Ten seconds on, with events pushed: the push marks the last sync, no report goes.
    gate.add_events(3, 1, Utc::now());
    assert_eq!(round(&gate, &server.url, &seconds(10), &settings).unwrap().pushed, 3);
    assert_eq!(reports(), first, "nothing changed within the minute");

    // The camera fails: the next round says so at once.
    settings.gate.set_camera(0, DeviceState::Failing, Some("camera unplugged"), Utc::now());
    round(&gate, &server.url, &seconds(20), &settings).unwrap();
    let changed = reports();
    assert!(changed.ends_with(" failing") && changed != first, "{changed}");
    round(&gate, &server.url, &seconds(30), &settings).unwrap();
    assert_eq!(reports(), changed);

    // A minute after the last report, one goes whatever changed.
    round(&gate, &server.url, &seconds(85), &settings).unwrap();
    assert_ne!(reports(), changed, "a report a minute at least");
    assert_eq!(gate.status().health_error, None);
}
