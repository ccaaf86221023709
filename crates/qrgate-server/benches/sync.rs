//! Sync figures on the real thing (PostgreSQL with fsync on, the server binary, loopback):
//! `drain` — 1,000,000 events waiting in one kiosk reach the server;
//! `ingest` — 10 kiosks push signed batches at once, events stored per second;
//! `trace` — contact tracing over 10,000,000 stored events.
//! Run: cargo bench -p qrgate-server --bench sync [-- drain|ingest|trace]

#[path = "../tests/harness/mod.rs"]
mod harness;

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use harness::*;
use qrgate_core::model::Direction;
use qrgate_protocol::{Nonce, PushRequest, RequestAuth, WireEvent, PUSH_PATH};
use rand::RngCore;

const A: &str = "0101234567";

fn main() {
    let wanted: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let run = |name: &str| wanted.is_empty() || wanted.iter().any(|w| w == name);
    if run("drain") {
        drain(std::env::var("QRGATE_BENCH_DRAIN").ok().and_then(|n| n.parse().ok()).unwrap_or(1_000_000));
    }
    if run("ingest") {
        ingest(10, 100);
    }
    if run("trace") {
        trace();
    }
}

fn drain(n: usize) {
    let pg = Postgres::start(true);
    let server = Server::start(&pg.url, 0);
    let gate = Kiosk::init(A, "gate-1", 1);
    gate.register(&pg.url, A);
    let t = Instant::now();
    let start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    for chunk in 0..n / 100_000 {
        gate.add_events(100_000, 2000, start + chrono::Duration::minutes(chunk as i64 * 100_000));
    }
    println!("drain: {n} events written to the kiosk in {:.1} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let round = gate.sync(&server.url, Duration::from_secs(60)).unwrap();
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(round.pushed, n);
    assert_eq!(pg.count("SELECT count(*) FROM events"), n as u64);
    println!(
        "drain: {n} waiting events reached the server in {secs:.1} s ({:.0} events/s; target ≤ 60 s)",
        n as f64 / secs
    );
}

fn ingest(kiosks: usize, batches: usize) {
    let pg = Postgres::start(true);
    let server = Server::start(&pg.url, 0);
    let gates: Vec<Kiosk> = (0..kiosks).map(|i| Kiosk::init(A, &format!("gate-{i}"), i as u64)).collect();
    for g in &gates {
        g.register(&pg.url, A);
    }
    // Bodies made ahead, so the figure is the server's: verify, inflate, parse, insert.
    let at = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap().timestamp_millis();
    let tz = chrono::FixedOffset::east_opt(7 * 3600).unwrap();
    let work: Vec<(String, ed25519_dalek::SigningKey, Vec<Vec<u8>>)> = gates
        .iter()
        .map(|g| {
            let bodies = (0..batches)
                .map(|b| {
                    let events: Vec<WireEvent> = (0..1000)
                        .map(|i| {
                            let at = tz.timestamp_millis_opt(at + (b * 1000 + i) as i64 * 1000).unwrap();
                            let direction = if b % 2 == 0 { Direction::In } else { Direction::Out };
                            let draft = event(uuid::Uuid::now_v7(), &format!("NV{:05}", i), direction, at);
                            on_the_wire(draft, &g.kiosk_id, (b * 1000 + i) as i64)
                        })
                        .collect();
                    let request = PushRequest { enterprise: A.into(), events, workers: vec![], visitors: vec![] };
                    qrgate_protocol::gzip(&serde_json::to_vec(&request).unwrap())
                })
                .collect();
            (g.kiosk_id.clone(), g.data.kiosk_key().unwrap(), bodies)
        })
        .collect();
    let url = format!("{}{PUSH_PATH}", server.url);
    let t = Instant::now();
    let threads: Vec<_> = work
        .into_iter()
        .map(|(kiosk, key, bodies)| {
            let url = url.clone();
            std::thread::spawn(move || {
                let http = reqwest::blocking::Client::new();
                for body in bodies {
                    let mut nonce = [0u8; 16];
                    rand::rngs::OsRng.fill_bytes(&mut nonce);
                    let auth = RequestAuth::sign(
                        &key,
                        &kiosk,
                        "POST",
                        PUSH_PATH,
                        Utc::now().timestamp_millis(),
                        Nonce(nonce),
                        &body,
                    );
                    let mut req = http.post(&url).header("content-encoding", "gzip").body(body);
                    for (k, v) in auth.headers() {
                        req = req.header(k, v);
                    }
                    let resp = req.send().unwrap();
                    assert_eq!(resp.status(), 200, "{}", resp.text().unwrap());
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let secs = t.elapsed().as_secs_f64();
    let total = kiosks * batches * 1000;
    assert_eq!(pg.count("SELECT count(*) FROM events"), total as u64);
    println!(
        "ingest: {total} events from {kiosks} concurrent kiosks in {secs:.1} s = {:.0} events/s (target ≥ 50,000)",
        total as f64 / secs
    );
}

fn trace() {
    let pg = Postgres::start(true);
    let server = Server::start(&pg.url, 0);
    let t = Instant::now();
    // 100 enterprises × 1,000 workers × 50 days × (in, out) = 10,000,000 events in three
    // shifts; secondary indexes dropped during the load and rebuilt after, as a bulk load would.
    let indexes = pg.query(
        "SELECT string_agg(indexdef, ';') FROM pg_indexes WHERE tablename = 'events' AND indexname <> 'events_pkey'",
    );
    pg.query("DROP INDEX events_for_pull; DROP INDEX events_by_time");
    pg.query(
        "INSERT INTO enterprises (tax_code, name) SELECT lpad(e::text, 10, '0'), 'Doanh nghiệp ' || e FROM generate_series(1, 100) e;
         INSERT INTO events (id, enterprise, kiosk_id, seq, gate, person_kind, person_ref, direction, at_ms, offset_s, method, verdict)
         SELECT lpad(to_hex(((e * 50 + d) * 1000 + w) * 2 + io), 32, '0')::uuid, lpad(e::text, 10, '0'), 'k' || e,
                (d * 1000 + w) * 2 + io, 'Cổng', 'worker', 'NV' || lpad(w::text, 4, '0'),
                CASE io WHEN 0 THEN 'in' ELSE 'out' END,
                1704067200000 - 25200000 + d * 86400000::int8 + (w % 3) * 28800000 + 21600000
                    + ((w * 7919) % 1800000) + io * (28800000 + ((w * 104729 + d * 31) % 3600000)),
                25200, 'badge', 'accepted'
         FROM generate_series(1, 100) e, generate_series(0, 49) d, generate_series(0, 999) w, generate_series(0, 1) io",
    );
    // pg_indexes names a partitioned table's index ON ONLY the parent: built so, no partition
    // would get one.
    pg.query(&indexes.replace(" ON ONLY ", " ON "));
    pg.query("VACUUM ANALYZE events");
    let n = pg.count("SELECT count(*) FROM events");
    println!("trace: {n} events loaded and indexed in {:.0} s", t.elapsed().as_secs_f64());
    let http = reqwest::blocking::Client::new();
    for (label, from, to) in [
        ("1 day", "2024-01-20", "2024-01-20"),
        ("7 days", "2024-01-14", "2024-01-20"),
        ("30 days", "2024-01-01", "2024-01-30"),
    ] {
        let mut times = Vec::new();
        let mut contacts = 0;
        for _ in 0..5 {
            let t = Instant::now();
            let resp = http
                .get(format!(
                    "{}/api/v1/province/contacts?enterprise=0000000042&person=NV0007&from={from}&to={to}",
                    server.url
                ))
                .bearer_auth(QUERY_TOKEN)
                .send()
                .unwrap();
            assert_eq!(resp.status(), 200);
            contacts = resp.json::<serde_json::Value>().unwrap().as_array().unwrap().len();
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "trace: contacts of one worker over {label} among {n} events: {contacts} people, median {:.0} ms, worst {:.0} ms (target ≤ 1000 ms)",
            times[2], times[4]
        );
    }
}
