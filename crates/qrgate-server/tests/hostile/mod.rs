//! Issue 11's cases, each on the real server and PostgreSQL: a hostile kiosk (signed requests
//! built by hand) and a hostile server (a socket in this test answering what it likes).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use chrono::Utc;
use qrgate_protocol::{Nonce, PullResponse, PushRequest, RequestAuth, WireEvent, WireWorker, PUSH_PATH};
use uuid::Uuid;

use super::harness::*;
use super::{raw_push, send, wire, A, T};

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

fn nonce() -> [u8; 16] {
    rand::random()
}

fn fresh(kiosk_id: &str, seq: i64) -> WireEvent {
    WireEvent { at_ms: now_ms() - 60_000, ..wire(kiosk_id, seq) }
}

fn codes(answer: &serde_json::Value) -> Vec<String> {
    answer["rejected"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap().to_string()).collect()
}

fn refused_by_code(server: &Server, code: &str) -> u64 {
    let metrics = reqwest::blocking::get(format!("{}/metrics", server.url)).unwrap().text().unwrap();
    let prefix = format!("qrgate_requests_refused_total{{code=\"{code}\"}} ");
    metrics.lines().find_map(|l| l.strip_prefix(&prefix)).map_or(0, |n| n.parse().unwrap())
}

/// Case 1 and the smaller ones of case 6: future-dated, absurd, twin and identifying events are
/// refused one by one with their codes; the good event beside them is stored and pulled.
#[test]
fn bad_events_are_refused_alone_with_their_codes() {
    let pg = Postgres::start(false);
    let server = Server::start(&pg.url, 0);
    let gate = Kiosk::init(A, "gate-h", 11);
    let other = Kiosk::init(A, "gate-o", 12);
    gate.register(&pg.url, A);
    other.register(&pg.url, A);
    let id = |e: &WireEvent| e.id.to_string();
    let good = fresh("gate-h", 1);
    let in_2198 = WireEvent { at_ms: 7_160_000_000_000, ..fresh("gate-h", 2) };
    let tomorrow_and_more = WireEvent { at_ms: now_ms() + 25 * 3_600_000, ..fresh("gate-h", 3) };
    let nul = WireEvent { note: Some("quên\0thẻ".into()), ..fresh("gate-h", 4) };
    let min_offset = WireEvent { offset_s: i32::MIN, ..fresh("gate-h", 5) };
    let min_time = WireEvent { at_ms: i64::MIN, ..fresh("gate-h", 6) };
    let cccd = WireEvent {
        person_kind: Some("visitor".into()),
        person_ref: Some("001234567890".into()),
        ..fresh("gate-h", 7)
    };
    let twin = WireEvent { id: Uuid::now_v7(), ..good.clone() };
    let batch = vec![in_2198, good.clone(), tomorrow_and_more, nul, min_offset, min_time, cccd, twin];
    let (body, auth) = raw_push(&gate, A, batch.clone(), now_ms(), nonce());
    let (status, answer) = send(&server, body, &auth);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["stored"], serde_json::json!([id(&good)]));
    assert_eq!(
        codes(&answer),
        ["future_time", "future_time", "bad_text", "bad_offset", "bad_time", "bad_person", "duplicate_seq"]
    );
    // The twin in a later batch is refused too; the first of the seq stays.
    let later_twin = WireEvent { id: Uuid::now_v7(), ..good.clone() };
    let (body, auth) = raw_push(&gate, A, vec![later_twin], now_ms(), nonce());
    assert_eq!(codes(&send(&server, body, &auth).1), ["duplicate_seq"]);
    assert_eq!(pg.count("SELECT count(*) FROM events"), 1);
    assert_eq!(refused_by_code(&server, "database"), 0, "no bad value is taken for a database fault");

    // The other gate pulls the one good event, and answers NV0001 as the good event says.
    let round = other.sync(&server.url, T).unwrap();
    assert_eq!(round.pulled_events, 1);
    assert!(other.store().event(&good.id).unwrap().is_some());
}

/// Case 2: one NUL that reached a kiosk's database (an older import) is refused alone, with a
/// code, never a 503: the other events of its batch are stored and nothing waits for ever.
#[test]
fn a_nul_never_stops_a_kiosks_sync() {
    let pg = Postgres::start(false);
    let server = Server::start(&pg.url, 0);
    let gate = Kiosk::init(A, "gate-n", 13);
    gate.register(&pg.url, A);
    gate.add_events(5, 2, Utc::now() - chrono::Duration::hours(1));
    let tz = chrono::FixedOffset::east_opt(7 * 3600).unwrap();
    let poisoned = qrgate_core::store::Event {
        note: Some("a\0b".into()),
        ..event(Uuid::now_v7(), "NV0001", qrgate_core::model::Direction::In, Utc::now().with_timezone(&tz))
    };
    let poisoned = gate.store().append_event(poisoned).unwrap();
    gate.add_events(5, 2, Utc::now() - chrono::Duration::minutes(30));
    let round = gate.sync(&server.url, T).unwrap();
    assert_eq!((round.pushed, round.rejected), (10, 1));
    assert_eq!(gate.status().waiting, 0);
    let rejected = qrgate_sync::outbox::rejected(&gate.store(), 10).unwrap();
    assert_eq!((rejected[0].event_id.clone(), rejected[0].code.as_str()), (poisoned.id.to_string(), "bad_text"));

    // A roster row with a NUL (it cannot come from `roster import` any more) is a 400 with a
    // code the kiosk shows, not a 503 it would retry for ever.
    let bad = WireWorker {
        code: "NV0001".into(),
        full_name: "An\0".into(),
        department: "May".into(),
        shift: String::new(),
        active: true,
        badge_serial: 1,
    };
    let body = qrgate_protocol::gzip(
        &serde_json::to_vec(&PushRequest {
            enterprise: A.into(),
            events: vec![],
            workers: vec![bad],
            visitors: vec![],
        })
        .unwrap(),
    );
    let auth = RequestAuth::sign(
        &gate.data.kiosk_key().unwrap(),
        "gate-n",
        "POST",
        PUSH_PATH,
        now_ms(),
        Nonce(nonce()),
        &body,
    );
    let (status, answer) = send(&server, body, &auth);
    assert_eq!((status, answer["code"].as_str()), (400, Some("invalid_input")), "{answer}");
    assert_eq!(refused_by_code(&server, "database"), 0);
}

/// A request for `kiosk` declaring `length` bytes of body and sending only `sent` of them,
/// signed with `key` (over the `length` spaces it would have sent) or, without one, carrying a
/// junk signature and body hash; returns the open stream.
fn slow_request(
    server: &Server,
    kiosk: &str,
    key: Option<&ed25519_dalek::SigningKey>,
    length: usize,
    sent: usize,
) -> TcpStream {
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let body = vec![b' '; length];
    let (stamp, nonce) = (now_ms(), Nonce(nonce()));
    let (hash, signature) = match key {
        Some(key) => {
            let auth = RequestAuth::sign(key, kiosk, "POST", PUSH_PATH, stamp, nonce, &body);
            (hex(&auth.body_sha256), hex(&auth.signature))
        }
        None => ("00".repeat(32), "00".repeat(64)),
    };
    let head = format!(
        "POST {PUSH_PATH} HTTP/1.1\r\nhost: x\r\ncontent-length: {length}\r\nx-qrgate-kiosk: {kiosk}\r\n\
         x-qrgate-timestamp: {stamp}\r\nx-qrgate-nonce: {}\r\nx-qrgate-body-sha256: {hash}\r\n\
         x-qrgate-signature: {signature}\r\n\r\n",
        nonce.to_hex(),
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&body[..sent]).unwrap();
    stream
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The status line and body of the answer on `stream`.
fn answer(stream: &mut TcpStream) -> (u16, String) {
    let mut text = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                text.extend_from_slice(&buf[..n]);
                let s = String::from_utf8_lossy(&text);
                if let Some((head, body)) = s.split_once("\r\n\r\n") {
                    let length = head
                        .lines()
                        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length: ").map(str::to_string))
                        .and_then(|n| n.trim().parse::<usize>().ok());
                    if length.is_some_and(|n| body.len() >= n) {
                        break;
                    }
                }
            }
            Err(e) => panic!("no answer: {e}"),
        }
    }
    let s = String::from_utf8_lossy(&text).to_string();
    let status = s.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, s.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default())
}

/// Case 3: bodies are read only for a request signed by a registered kiosk, within a timeout and
/// a number per kiosk; an unknown kiosk, a revoked one and a bad signature are answered alike,
/// before the body.
#[test]
fn bodies_cost_nothing_before_the_signature_passes() {
    let pg = Postgres::start(false);
    let server = Server::start_with(&pg.url, 0, &["--body-timeout", "2", "--requests-per-kiosk", "2"]);
    let gate = Kiosk::init(A, "gate-s", 14);
    gate.register(&pg.url, A);
    let gone = Kiosk::init(A, "gate-gone", 15);
    gone.register(&pg.url, A);
    assert!(server_cli(&pg.url, &["kiosk", "revoke", "--kiosk-id", "gate-gone"]).0);
    let key = gate.data.kiosk_key().unwrap();

    // Unknown, revoked, or registered with a signature that is not its own: answered at once,
    // with the body not even sent, alike. However many such callers come, none holds a slot.
    for (kiosk, key) in [("nobody", None), ("gate-gone", Some(&gone.data.kiosk_key().unwrap())), ("gate-s", None)] {
        for _ in 0..3 {
            let mut s = slow_request(&server, kiosk, key, 4 << 20, 0);
            let (status, body) = answer(&mut s);
            assert_eq!(status, 401, "{kiosk}: {body}");
            assert!(body.contains("\"code\":\"bad_signature\""), "{kiosk}: {body}");
        }
    }
    // Declared too large: refused before a byte is read.
    let mut s = slow_request(&server, "gate-s", Some(&key), (4 << 20) + 1, 0);
    assert_eq!(answer(&mut s).0, 413);
    // A body other than the one signed (the right length, other bytes) is a bad signature too.
    let mut s = TcpStream::connect(server.addr).unwrap();
    let auth = RequestAuth::sign(&key, "gate-s", "POST", PUSH_PATH, now_ms(), Nonce(nonce()), b"[1]");
    let mut head = format!("POST {PUSH_PATH} HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\n");
    for (name, value) in auth.headers() {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    s.write_all(format!("{head}\r\n[2]").as_bytes()).unwrap();
    let (status, body) = answer(&mut s);
    assert_eq!((status, body.contains("bad_signature")), (401, true), "{body}");

    // Two slow signed bodies hold the kiosk's two slots; a third is told to come back, at once.
    let mut first = slow_request(&server, "gate-s", Some(&key), 1000, 10);
    let mut second = slow_request(&server, "gate-s", Some(&key), 1000, 10);
    std::thread::sleep(Duration::from_millis(300)); // both reach the body read before the third
    let mut third = slow_request(&server, "gate-s", Some(&key), 1000, 10);
    let (status, body) = answer(&mut third);
    assert_eq!((status, body.contains("\"code\":\"busy\"")), (429, true), "{body}");
    // The slow ones are cut off by the body timeout, with a code.
    for s in [&mut first, &mut second] {
        let (status, body) = answer(s);
        assert_eq!((status, body.contains("body_timeout")), (408, true), "{body}");
    }
    // And the kiosk itself syncs as ever.
    gate.add_events(3, 1, Utc::now() - chrono::Duration::hours(1));
    assert_eq!(gate.sync(&server.url, T).unwrap().pushed, 3);
}

/// Case 5: a request stamped `i64::MIN` (or `i64::MAX`), validly signed, is stale.
#[test]
fn timestamps_at_the_ends_of_time_are_stale() {
    let pg = Postgres::start(false);
    let server = Server::start(&pg.url, 0);
    let gate = Kiosk::init(A, "gate-t", 16);
    gate.register(&pg.url, A);
    for stamp in [i64::MIN, i64::MAX, i64::MIN + 1] {
        let (body, auth) = raw_push(&gate, A, vec![fresh("gate-t", 1)], stamp, nonce());
        let (status, answer) = send(&server, body, &auth);
        assert_eq!((status, answer["code"].as_str()), (401, Some("stale_request")), "{stamp}");
    }
    assert_eq!(pg.count("SELECT count(*) FROM events"), 0);
}

/// Case 6: province queries check the token before their parameters, and answer JSON.
#[test]
fn province_queries_check_the_token_first_and_answer_json() {
    let pg = Postgres::start(false);
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, format!("{QUERY_TOKEN}\n")).unwrap();
    let server = Server::start_with(&pg.url, 0, &["--query-token-file", token_file.to_str().unwrap()]);
    let get = |uri: &str, token: Option<&str>| {
        let mut r = reqwest::blocking::Client::new().get(format!("{}{uri}", server.url));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        let resp = r.send().unwrap();
        (resp.status().as_u16(), resp.json::<serde_json::Value>().unwrap())
    };
    let bad = "/api/v1/province/daily?from=someday&to=2025-03-02";
    let (status, body) = get(bad, None);
    assert_eq!((status, body["code"].as_str()), (401, Some("query_unauthorized")));
    assert!(!body["message"].as_str().unwrap().contains("from"), "no field names to a caller without the token");
    let (status, body) = get(bad, Some(QUERY_TOKEN));
    assert_eq!((status, body["code"].as_str()), (400, Some("invalid_input")), "{body}");
    let (status, _) = get("/api/v1/province/daily?from=2025-03-01&to=2025-03-02", Some(QUERY_TOKEN));
    assert_eq!(status, 200, "the token from the file is the token");
}

/// A server of our own making that answers every request with `answer` (status line and
/// headers, then body), for as many requests as come.
fn hostile_server(answer: impl Fn() -> Vec<u8> + Send + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            // Read the request's head and its declared body, then answer and close.
            let mut seen = Vec::new();
            let mut buf = [0u8; 8192];
            while let Ok(n) = stream.read(&mut buf) {
                if n == 0 {
                    break;
                }
                seen.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&seen).to_string();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let length = head
                        .lines()
                        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length: ").map(str::to_string))
                        .and_then(|n| n.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    if seen.len() - head.len() - 4 >= length || body.len() >= length {
                        break;
                    }
                }
            }
            let _ = stream.write_all(&answer());
        }
    });
    url
}

fn plain(body: &[u8]) -> Vec<u8> {
    let mut out = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n".as_bytes().to_vec();
    out.extend_from_slice(body);
    out
}

/// Case 4 and the hostile server of cases 1 and 6: a pull answer of 9 MiB without a length,
/// a junk cursor, events dated year 1 and 3000, a 1,000,000-character name, a NUL in a name and
/// serial `u32::MAX` — the kiosk takes none of it, and takes the good rows beside it.
#[test]
fn a_hostile_server_cannot_fill_or_poison_a_kiosk() {
    let gate = Kiosk::init(A, "gate-k", 17);
    // This server answers every path with the same events' answer: without the visitor key the
    // kiosk has no photo key and asks for no photos (the photo tests are in `photos`).
    std::fs::remove_file(gate.data.keys().join("visitor.key")).unwrap();
    // Too large, and no content-length to tell it in advance.
    let url = hostile_server(|| plain(&vec![b' '; 9 << 20]));
    let err = gate.sync(&url, T).unwrap_err();
    assert!(matches!(err, qrgate_sync::Error::BadAnswer(_)), "{err}");

    // A junk cursor is not kept.
    let junk = PullResponse { events_cursor: "x".repeat(5000), ..Default::default() };
    let url = hostile_server(move || plain(&serde_json::to_vec(&junk).unwrap()));
    assert!(matches!(gate.sync(&url, T).unwrap_err(), qrgate_sync::Error::BadAnswer(_)));
    let saved = qrgate_sync::outbox::state(gate.store().connection(), qrgate_sync::outbox::EVENTS_CURSOR).unwrap();
    assert_eq!(saved, None);

    // Poison beside good rows: only the good rows are taken.
    let good = fresh("gate-x", 1);
    let mut events = vec![good.clone()];
    for at_ms in [-62_135_596_800_000, 32_503_680_000_000] {
        events.push(WireEvent { id: Uuid::now_v7(), at_ms, ..fresh("gate-x", 2) });
    }
    let worker = |code: &str, name: String, serial: u32| WireWorker {
        code: code.into(),
        full_name: name,
        department: "May".into(),
        shift: String::new(),
        active: true,
        badge_serial: serial,
    };
    let workers = vec![
        worker("NV0001", "Nguyễn Văn An".into(), 2),
        worker("NV0002", "B".repeat(1_000_000), 1),
        worker("NV0003", "C\0".into(), 1),
        worker("NV0004", "Dũng".into(), u32::MAX),
    ];
    let answer = PullResponse {
        events,
        workers,
        events_cursor: "10:1".into(),
        roster_cursor: "10:4".into(),
        more: false,
        own_seq: None,
    };
    let url = hostile_server(move || plain(&serde_json::to_vec(&answer).unwrap()));
    let round = gate.sync(&url, T).unwrap();
    assert_eq!((round.pulled_events, round.pulled_workers), (1, 1));
    let store = gate.store();
    assert!(store.event(&good.id).unwrap().is_some());
    let names: Vec<String> = store.workers(None, None).unwrap().into_iter().map(|w| w.code.to_string()).collect();
    assert!(names.contains(&"NV0001".to_string()));
    for bad in ["NV0002", "NV0003", "NV0004"] {
        assert!(!names.contains(&bad.to_string()), "{bad} taken");
    }
}

/// Case 4 on the real server: a cursor it refuses is dropped and the kiosk pulls everything
/// again from the beginning, getting every event once.
#[test]
fn a_refused_cursor_starts_the_pull_over() {
    let pg = Postgres::start(false);
    let server = Server::start(&pg.url, 0);
    let gate = Kiosk::init(A, "gate-c", 18);
    let other = Kiosk::init(A, "gate-d", 19);
    gate.register(&pg.url, A);
    other.register(&pg.url, A);
    other.add_events(4, 2, Utc::now() - chrono::Duration::hours(2));
    other.sync(&server.url, T).unwrap();
    // Right shape, out of the server's range: the server refuses it with `bad_cursor`.
    let conn = gate.store();
    qrgate_sync::outbox::set_state(conn.connection(), qrgate_sync::outbox::EVENTS_CURSOR, "99999999999999999999:1")
        .unwrap();
    let round = gate.sync(&server.url, T).unwrap();
    assert_eq!(round.pulled_events, 4);
    let cursor = qrgate_sync::outbox::state(gate.store().connection(), qrgate_sync::outbox::EVENTS_CURSOR).unwrap();
    assert_ne!(cursor.as_deref(), Some("99999999999999999999:1"));
    assert_eq!(gate.sync(&server.url, T).unwrap().pulled_events, 0, "and nothing twice");
}
