//! Province-scale figures (issue 14, "Measured") on the real thing: a PostgreSQL cluster of its
//! own with fsync on, the release server binary, loopback.
//! `sustained` — 1,000 kiosks, each with its own key, push a small batch every few seconds and
//! pull, for a minute: events stored per second and push latencies; once without health reports,
//! once with them as kiosks send them: with the first round, then once a minute
//! (`qrgate_sync::health::HEALTH_EVERY`; their state does not change here).
//! `burst` — 200 kiosks come back from an outage at once, each with 10,000 events waiting: the
//! time until all are stored, push latencies, refusals and errors.
//! `stored` — 50 million events of a year (1.3 million workers, 300 enterprises) made in SQL, then
//! the console's overview and an enterprise page, "inside now" for the whole province and a
//! 14-day contact trace, each run several times.
//!
//! Run: cargo bench -p qrgate-server --bench province [-- sustained|burst|stored]
//! QRGATE_BENCH_SMALL=1 shrinks everything to try it in a minute. The cluster lives in
//! target/bench-province (target/bench-province-small); QRGATE_BENCH_REUSE=1 keeps it and the
//! stored events from the last run instead of starting over.

#[path = "../tests/harness/mod.rs"]
mod harness;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{FixedOffset, TimeZone, Utc};
use ed25519_dalek::SigningKey;
use harness::*;
use qrgate_core::model::Direction;
use qrgate_protocol::health::{HealthReport, HEALTH_PATH};
use qrgate_protocol::{Nonce, PullRequest, PullResponse, PushRequest, PushResponse, RequestAuth, PULL_PATH, PUSH_PATH};
use qrgate_server::province;
use rand::{Rng, RngCore};

/// How big each part is: the sizes, or small ones to try the bench quickly.
#[derive(Clone, Copy)]
struct Size {
    kiosks: usize,
    gates_per_enterprise: usize,
    period: Duration,
    batch: usize,
    sustained: Duration,
    burst_kiosks: usize,
    backlog: usize,
    stored_events: u64,
    workers: u64,
    enterprises: u64,
    runs: usize,
}

const FULL: Size = Size {
    kiosks: 1000,
    gates_per_enterprise: 5,
    period: Duration::from_secs(4),
    batch: 10,
    sustained: Duration::from_secs(60),
    burst_kiosks: 200,
    backlog: 10_000,
    stored_events: 50_000_000,
    workers: 1_300_000,
    enterprises: 300,
    runs: 7,
};

const SMALL: Size = Size {
    kiosks: 100,
    gates_per_enterprise: 5,
    period: Duration::from_secs(2),
    batch: 10,
    sustained: Duration::from_secs(10),
    burst_kiosks: 20,
    backlog: 2_000,
    stored_events: 500_000,
    workers: 13_000,
    enterprises: 30,
    runs: 3,
};

/// One line of the closing table: what, the figure, the floor.
type Line = (String, String, String);

fn main() {
    let wanted: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let run = |name: &str| wanted.is_empty() || wanted.iter().any(|w| w == name);
    let small = std::env::var("QRGATE_BENCH_SMALL").is_ok_and(|v| v == "1");
    let reuse = std::env::var("QRGATE_BENCH_REUSE").is_ok_and(|v| v == "1");
    let size = if small { SMALL } else { FULL };
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target").join(if small {
        "bench-province-small"
    } else {
        "bench-province"
    });
    if !reuse && dir.exists() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    // A province's server is tuned for its memory; the rest is PostgreSQL's defaults, fsync on.
    let pg = Postgres::start_in(
        &dir,
        true,
        &[
            "shared_buffers=2GB",
            "effective_cache_size=12GB",
            "work_mem=32MB",
            "maintenance_work_mem=1GB",
            "max_wal_size=8GB",
            "checkpoint_timeout=15min",
            // Where the database's time goes, printed after the sustained runs.
            "shared_preload_libraries=pg_stat_statements",
        ],
    );
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let mut table: Vec<Line> = Vec::new();
    if run("sustained") || run("burst") {
        let url = fresh_database(&pg, "load");
        sql(&url, "CREATE EXTENSION pg_stat_statements");
        let server = Server::start(&url, 0);
        if run("sustained") {
            for health in [false, true] {
                table.extend(runtime.block_on(sustained(&url, &server.url, size, health)));
            }
        }
        if run("burst") {
            table.extend(runtime.block_on(burst(&url, &server.url, size)));
        }
    }
    if run("stored") {
        table.extend(runtime.block_on(stored(&pg, size)));
    }
    println!();
    println!("{:<62} {:>22}  issue's floor", "figure", "measured");
    for (what, figure, floor) in &table {
        println!("{what:<62} {figure:>22}  {floor}");
    }
}

/// One value from a query on the database at `url`, through psql; the query on its standard
/// input, since a thousand kiosks' keys are more than one argument may hold.
fn sql(url: &str, query: &str) -> String {
    use std::io::Write;
    let mut psql = std::process::Command::new(pg_bin().join("psql"))
        .args(["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    psql.stdin.take().unwrap().write_all(query.as_bytes()).unwrap();
    let out = psql.wait_with_output().unwrap();
    assert!(out.status.success(), "psql {query}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A database of its own in the cluster, empty and migrated; its URL.
fn fresh_database(pg: &Postgres, name: &str) -> String {
    pg.query(&format!("DROP DATABASE IF EXISTS {name}"));
    pg.query(&format!("CREATE DATABASE {name}"));
    let url = pg.url.replace("/postgres", &format!("/{name}"));
    let (ok, out) = server_cli(&url, &["migrate"]);
    assert!(ok, "{out}");
    url
}

/// A simulated kiosk: its id, enterprise and key, registered with the province in SQL.
struct Gate {
    kiosk_id: String,
    enterprise: String,
    key: SigningKey,
}

/// `count` kiosks, `per_enterprise` to an enterprise, the enterprises numbered from `first + 1`.
fn register(url: &str, prefix: &str, count: usize, per_enterprise: usize, first: usize) -> Vec<Gate> {
    let gates: Vec<Gate> = (0..count)
        .map(|i| Gate {
            kiosk_id: format!("{prefix}-{i}"),
            enterprise: format!("{:010}", first + 1 + i / per_enterprise),
            key: {
                let mut seed = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut seed);
                SigningKey::from_bytes(&seed)
            },
        })
        .collect();
    let enterprises: Vec<String> =
        gates.iter().map(|g| format!("('{0}', 'Doanh nghiệp {0}')", g.enterprise)).collect::<Vec<_>>();
    let kiosks: Vec<String> = gates
        .iter()
        .map(|g| {
            format!("('{}', '{}', '\\x{}')", g.kiosk_id, g.enterprise, hex::encode(g.key.verifying_key().to_bytes()))
        })
        .collect();
    sql(
        url,
        &format!(
            "INSERT INTO enterprises (tax_code, name) VALUES {} ON CONFLICT DO NOTHING;
             INSERT INTO kiosks (kiosk_id, enterprise, public_key) VALUES {}",
            enterprises.join(", "),
            kiosks.join(", ")
        ),
    );
    gates
}

/// A signed POST of `body` by `gate`; its status, its body and how long it took.
async fn post(
    http: &reqwest::Client,
    server: &str,
    gate: &Gate,
    path: &str,
    body: Vec<u8>,
    gzipped: bool,
) -> (u16, Vec<u8>, Duration) {
    let mut nonce = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let auth =
        RequestAuth::sign(&gate.key, &gate.kiosk_id, "POST", path, Utc::now().timestamp_millis(), Nonce(nonce), &body);
    let mut request = http.post(format!("{server}{path}")).header("content-type", "application/json").body(body);
    if gzipped {
        request = request.header("content-encoding", "gzip");
    }
    for (k, v) in auth.headers() {
        request = request.header(k, v);
    }
    let t = Instant::now();
    match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            let bytes = response.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
            (status, bytes, t.elapsed())
        }
        Err(_) => (0, Vec::new(), t.elapsed()),
    }
}

/// A gzipped push of `n` events of `gate` numbered from `first_seq`, at the instants `at(i)`.
fn batch(gate: &Gate, first_seq: i64, n: usize, at: impl Fn(usize) -> i64) -> Vec<u8> {
    let tz = FixedOffset::east_opt(7 * 3600).unwrap();
    let mut rng = rand::thread_rng();
    let events = (0..n)
        .map(|i| {
            let when = tz.timestamp_millis_opt(at(i)).unwrap();
            let direction = if rng.gen_bool(0.5) { Direction::In } else { Direction::Out };
            let draft = event(uuid::Uuid::now_v7(), &format!("NV{:05}", rng.gen_range(0..5000)), direction, when);
            on_the_wire(draft, &gate.kiosk_id, first_seq + i as i64)
        })
        .collect();
    let request = PushRequest { enterprise: gate.enterprise.clone(), events, workers: vec![], visitors: vec![] };
    qrgate_protocol::gzip(&serde_json::to_vec(&request).unwrap())
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn ms(x: f64) -> String {
    format!("{x:.0} ms")
}

async fn sustained(url: &str, server: &str, size: Size, health: bool) -> Vec<Line> {
    let label = if health { "with health reports" } else { "without health reports" };
    let prefix = if health { "h" } else { "s" };
    // Enterprises of their own for each run, so a pull reads only this run's events.
    let first = if health { 1000 } else { 0 };
    let gates = register(url, prefix, size.kiosks, size.gates_per_enterprise, first);
    let before: u64 = sql(url, "SELECT count(*) FROM events").parse().unwrap();
    sql(url, "SELECT pg_stat_statements_reset()");
    let http = reqwest::Client::builder().pool_max_idle_per_host(size.kiosks).build().unwrap();
    let errors = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let until = started + size.sustained;
    let tasks: Vec<_> = gates
        .into_iter()
        .map(|gate| {
            let (http, server, errors) = (http.clone(), server.to_string(), errors.clone());
            tokio::spawn(async move {
                let mut pushes = Vec::new();
                let mut others = Vec::new();
                let mut cursor = String::new();
                let mut seq = 1;
                let mut reported: Option<Instant> = None;
                // Each kiosk keeps its own rhythm, started at a random point of the period.
                let phase = size.period.mul_f64(rand::thread_rng().gen::<f64>());
                let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + phase, size.period);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tick.tick().await;
                    if Instant::now() >= until {
                        break;
                    }
                    let now = Utc::now().timestamp_millis();
                    let body = batch(&gate, seq, size.batch, |i| now - 1000 * (size.batch - i) as i64);
                    let (status, answer, took) = post(&http, &server, &gate, PUSH_PATH, body, true).await;
                    match serde_json::from_slice::<PushResponse>(&answer) {
                        Ok(r) if status == 200 && r.stored.len() == size.batch => {
                            pushes.push(took);
                            seq += size.batch as i64;
                        }
                        _ => {
                            errors.fetch_add(1, Ordering::Relaxed);
                            continue;
                        }
                    }
                    let pull = PullRequest {
                        enterprise: gate.enterprise.clone(),
                        events_after: cursor.clone(),
                        roster_after: String::new(),
                        limit: 1000,
                    };
                    let (status, answer, took) =
                        post(&http, &server, &gate, PULL_PATH, serde_json::to_vec(&pull).unwrap(), false).await;
                    match serde_json::from_slice::<PullResponse>(&answer) {
                        Ok(r) if status == 200 => {
                            cursor = r.events_cursor;
                            others.push(took);
                        }
                        _ => {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    let every = qrgate_sync::health::HEALTH_EVERY.to_std().unwrap();
                    if health && reported.is_none_or(|at| at.elapsed() >= every) {
                        reported = Some(Instant::now());
                        let report = HealthReport {
                            enterprise: gate.enterprise.clone(),
                            version: "0.2.0".into(),
                            gate: Some("Cổng A".into()),
                            events_waiting: 0,
                            clock_ms: Utc::now().timestamp_millis(),
                            camera: "working".into(),
                            turnstile: "absent".into(),
                            free_disk_bytes: Some(20_000_000_000),
                            last_error: None,
                            last_restart: None,
                        };
                        let (status, _, took) =
                            post(&http, &server, &gate, HEALTH_PATH, serde_json::to_vec(&report).unwrap(), false).await;
                        if status == 200 {
                            others.push(took);
                        } else {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                (pushes, others)
            })
        })
        .collect();
    let mut pushes = Vec::new();
    let mut others = Vec::new();
    for task in tasks {
        let (p, o) = task.await.unwrap();
        pushes.extend(p);
        others.extend(o);
    }
    let secs = started.elapsed().as_secs_f64();
    let stored: u64 = sql(url, "SELECT count(*) FROM events").parse::<u64>().unwrap() - before;
    pushes.sort();
    others.sort();
    let rate = stored as f64 / secs;
    println!("sustained ({label}): the statements the database spent most time on:");
    println!(
        "{}",
        sql(
            url,
            "SELECT string_agg(format('  %8s calls %7s ms each %6s s in all  %s', calls, round(mean_exec_time::numeric, 2),
                                      round(total_exec_time::numeric / 1000, 1), left(regexp_replace(query, '[[:space:]]+', ' ', 'g'), 90)),
                               E'\n' ORDER BY total_exec_time DESC)
             FROM (SELECT * FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 10) s"
        )
    );
    let errors = errors.load(Ordering::Relaxed);
    println!(
        "sustained ({label}): {} kiosks, {} events stored in {secs:.0} s = {rate:.0} events/s; push p50 {:.0} ms, \
         p95 {:.0} ms, p99 {:.0} ms over {} pushes; pull/health p99 {:.0} ms; {errors} failed requests",
        size.kiosks,
        stored,
        percentile(&pushes, 0.5),
        percentile(&pushes, 0.95),
        percentile(&pushes, 0.99),
        pushes.len(),
        percentile(&others, 0.99),
    );
    vec![
        (format!("sustained, {label}: events stored/s"), format!("{rate:.0}"), "≥ 2,000".into()),
        (
            format!("sustained, {label}: push p50 / p95 / p99"),
            format!(
                "{:.0} / {:.0} / {:.0} ms",
                percentile(&pushes, 0.5),
                percentile(&pushes, 0.95),
                percentile(&pushes, 0.99)
            ),
            "p99 ≤ 250 ms".into(),
        ),
        (format!("sustained, {label}: failed requests"), errors.to_string(), "0".into()),
    ]
}

async fn burst(url: &str, server: &str, size: Size) -> Vec<Line> {
    let gates = register(url, "b", size.burst_kiosks, size.gates_per_enterprise, 2000);
    // The backlogs made ahead, so the figure is the server's: an outage's worth of events each,
    // one every 15 s before now, in batches of the protocol's largest.
    let now = Utc::now().timestamp_millis();
    let per = qrgate_protocol::MAX_BATCH_EVENTS;
    let work: Vec<(Gate, Vec<Vec<u8>>)> = gates
        .into_iter()
        .map(|gate| {
            let bodies = (0..size.backlog.div_ceil(per))
                .map(|b| {
                    let n = per.min(size.backlog - b * per);
                    batch(&gate, 1 + (b * per) as i64, n, |i| now - 15_000 * (size.backlog - b * per - i) as i64)
                })
                .collect();
            (gate, bodies)
        })
        .collect();
    let before: u64 = sql(url, "SELECT count(*) FROM events").parse().unwrap();
    let http = reqwest::Client::builder().pool_max_idle_per_host(size.burst_kiosks).build().unwrap();
    let (errors, refused) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let started = Instant::now();
    let tasks: Vec<_> = work
        .into_iter()
        .map(|(gate, bodies)| {
            let (http, server, errors, refused) = (http.clone(), server.to_string(), errors.clone(), refused.clone());
            tokio::spawn(async move {
                let mut pushes = Vec::new();
                for body in bodies {
                    let mut tries = 0;
                    loop {
                        let (status, _, took) = post(&http, &server, &gate, PUSH_PATH, body.clone(), true).await;
                        tries += 1;
                        match status {
                            200 => {
                                pushes.push(took);
                                break;
                            }
                            // The server's "busy, retry shortly": a kiosk backs off and sends again.
                            429 | 503 if tries < 100 => {
                                refused.fetch_add(1, Ordering::Relaxed);
                                let wait = rand::thread_rng().gen_range(100..500);
                                tokio::time::sleep(Duration::from_millis(wait)).await;
                            }
                            _ => {
                                errors.fetch_add(1, Ordering::Relaxed);
                                break;
                            }
                        }
                    }
                }
                pushes
            })
        })
        .collect();
    let mut pushes = Vec::new();
    for task in tasks {
        pushes.extend(task.await.unwrap());
    }
    let secs = started.elapsed().as_secs_f64();
    let stored: u64 = sql(url, "SELECT count(*) FROM events").parse::<u64>().unwrap() - before;
    pushes.sort();
    let (errors, refused) = (errors.load(Ordering::Relaxed), refused.load(Ordering::Relaxed));
    let expected = (size.burst_kiosks * size.backlog) as u64;
    println!(
        "burst: {} kiosks × {} events: {stored} of {expected} stored in {secs:.1} s ({:.0} events/s); push of {per} \
         events p50 {:.0} ms, p99 {:.0} ms; {refused} busy answers retried, {errors} errors; {} events in the default \
         partition",
        size.burst_kiosks,
        size.backlog,
        stored as f64 / secs,
        percentile(&pushes, 0.5),
        percentile(&pushes, 0.99),
        sql(url, "SELECT count(*) FROM events_default"),
    );
    vec![
        (
            format!("burst: {} kiosks × {} events, time to drain", size.burst_kiosks, size.backlog),
            format!("{secs:.1} s ({stored}/{expected})"),
            "(none given)".into(),
        ),
        ("burst: push p99 (1,000-event batches)".into(), ms(percentile(&pushes, 0.99)), "(none given)".into()),
        ("burst: busy answers retried / errors".into(), format!("{refused} / {errors}"), "errors 0".into()),
    ]
}

/// The Vietnamese day of an instant, as days since 1970-01-01.
fn vietnam_day(ms: i64) -> i64 {
    (ms + province::VIETNAM_OFFSET_MS).div_euclid(86_400_000)
}

/// Makes the year of events in SQL, unless a kept cluster has it; answers the database's URL and
/// the instant the questions are asked at (15:00 on the year's last day, the afternoon shift in).
fn make_year(pg: &Postgres, size: Size) -> (String, i64) {
    let url = pg.url.replace("/postgres", "/province");
    let made = pg.query("SELECT count(*) FROM pg_database WHERE datname = 'province'") == "1"
        && sql(&url, "SELECT count(*) FROM pg_tables WHERE tablename = 'bench_year'") == "1";
    if made {
        let now: i64 = sql(&url, "SELECT now_ms FROM bench_year").parse().unwrap();
        println!("stored: the year made by an earlier run is kept (QRGATE_BENCH_REUSE=1)");
        return (url, now);
    }
    let url = fresh_database(pg, "province");
    let t = Instant::now();
    let days: i64 = 365;
    let today = vietnam_day(Utc::now().timestamp_millis());
    let now = today * 86_400_000 - province::VIETNAM_OFFSET_MS + 15 * 3_600_000;
    let first = today - days + 1;
    let slots = size.stored_events.div_ceil(2 * days as u64) as i64;
    let (w, e) = (size.workers as i64, size.enterprises as i64);
    // Months for the whole year, as push would have made them as it went.
    sql(&url, &format!("SELECT events_month(DATE '1970-01-01' + d) FROM generate_series({first}, {today}) d"));
    // Loaded without indexes, which are built after, as a bulk load would.
    let indexes = sql(
        &url,
        "SELECT string_agg(indexdef, '; ') FROM pg_indexes WHERE tablename = 'events' AND indexname <> 'events_pkey'",
    );
    // The trigger that keeps `presence` too: it is made again from the year once loaded.
    sql(
        &url,
        "DROP INDEX events_for_pull, events_by_time, events_followed, events_by_kiosk, events_by_instant;
         ALTER TABLE events DROP CONSTRAINT events_pkey;
         ALTER TABLE events DISABLE TRIGGER events_presence",
    );
    sql(
        &url,
        &format!(
            "INSERT INTO enterprises (tax_code, name) SELECT lpad(e::text, 10, '0'), 'Doanh nghiệp ' || e
             FROM generate_series(1, {e}) e;
             INSERT INTO kiosks (kiosk_id, enterprise, public_key)
             SELECT 'k' || e || '-' || g, lpad(e::text, 10, '0'), decode(repeat('00', 32), 'hex')
             FROM generate_series(1, {e}) e, generate_series(0, 2) g;
             INSERT INTO kiosk_health (kiosk_id, last_sync_at_ms, received_at_ms, clock_offset_ms, version, events_waiting)
             SELECT kiosk_id, {now} - (hashtext(kiosk_id) & 1023) * 10000, {now} - 60000, 150, '0.2.0', 0 FROM kiosks;
             INSERT INTO workers (enterprise, code, full_name, department, shift, active, badge_serial, updated_by)
             SELECT lpad((w % {e} + 1)::text, 10, '0'), 'NV' || lpad(w::text, 7, '0'), 'Công nhân ' || w, 'May',
                    (w / {e} % 3)::text, true, 1, 'bench'
             FROM generate_series(0, {w} - 1) w;
             CREATE TABLE bench_year (now_ms bigint NOT NULL)"
        ),
    );
    // Each day a different set of workers comes in and goes out 8 hours later, in three shifts
    // (06:00, 14:00, 22:00) at one of three gates of their enterprise; nothing after `now`. Worker
    // w works for enterprise w % e + 1; its shift and gate are w's other digits, so every
    // enterprise has all three shifts.
    for month_start in (first..=today).step_by(31) {
        let month_end = (month_start + 31).min(today + 1);
        sql(
            &url,
            &format!(
                "INSERT INTO events (id, enterprise, kiosk_id, seq, gate, person_kind, person_ref, direction, at_ms,
                                     offset_s, method, verdict, clock_offset_ms)
                 SELECT lpad(to_hex(n), 32, '0')::uuid, lpad((w % {e} + 1)::text, 10, '0'),
                        'k' || (w % {e} + 1) || '-' || (w / {e} / 3 % 3), n, 'Cổng ' || (w / {e} / 3 % 3), 'worker',
                        'NV' || lpad(w::text, 7, '0'), CASE io WHEN 0 THEN 'in' ELSE 'out' END, at_ms, 25200, 'badge',
                        'accepted', 150
                 FROM (SELECT ((d - {first}) * {slots} + s) * 2 + io AS n, w, io,
                              d * 86400000 - 25200000 + 21600000 + (w / {e} % 3) * 28800000 + (w * 37 % 1800) * 1000
                                  + io * (28800000 + ((w * 53 + d) % 3600) * 1000) AS at_ms
                       FROM generate_series({month_start}::int8, {month_end} - 1) d,
                            generate_series(0::int8, {slots} - 1) s, generate_series(0, 1) io,
                            LATERAL (SELECT (s * 7919 + d * 104729) % {w} AS w) p) g
                 WHERE at_ms <= {now}"
            ),
        );
        println!(
            "stored: days {} to {} made ({:.0} s so far)",
            month_start - first + 1,
            month_end - first,
            t.elapsed().as_secs_f64()
        );
    }
    sql(&url, "ALTER TABLE events ADD PRIMARY KEY (id, at_ms)");
    // pg_indexes names a partitioned table's index ON ONLY the parent: built so, no partition
    // would get one.
    for index in indexes.split("; ") {
        sql(&url, &index.replace(" ON ONLY ", " ON "));
    }
    sql(&url, "SELECT presence_rebuild(); ALTER TABLE events ENABLE TRIGGER events_presence");
    println!("stored: indexes and presence built ({:.0} s so far)", t.elapsed().as_secs_f64());
    sql(&url, "VACUUM ANALYZE");
    sql(&url, &format!("INSERT INTO bench_year VALUES ({now})"));
    println!("stored: the year made, indexed and analysed in {:.0} s", t.elapsed().as_secs_f64());
    (url, now)
}

/// The first of `runs` runs of `question` (caches cold: the cluster has just started), then the
/// median and worst of all of them, in ms, and its last answer's size.
async fn timed<F, Fut>(runs: usize, mut question: F) -> (f64, f64, f64, usize)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    let mut times = Vec::new();
    let mut answer = 0;
    for _ in 0..runs {
        let t = Instant::now();
        answer = question().await;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let first = times[0];
    times.sort_by(f64::total_cmp);
    (first, times[times.len() / 2], times[times.len() - 1], answer)
}

async fn stored(pg: &Postgres, size: Size) -> Vec<Line> {
    let (url, now) = make_year(pg, size);
    let n: u64 = sql(&url, "SELECT count(*) FROM events").parse().unwrap();
    let default: u64 = sql(&url, "SELECT count(*) FROM events_default").parse().unwrap();
    let pool = qrgate_server::pool(&url, 4).unwrap();
    let enterprise = format!("{:010}", size.enterprises / 2);
    // Someone of that enterprise who came in for the afternoon shift today.
    let person = sql(
        &url,
        &format!(
            "SELECT person_ref FROM events WHERE enterprise = '{enterprise}' AND at_ms > {now} - 3600000
             AND at_ms <= {now} AND direction = 'in' ORDER BY at_ms DESC LIMIT 1"
        ),
    );
    let today = vietnam_day(now);
    let trace = province::Trace {
        enterprise: enterprise.clone(),
        person_kind: "worker".into(),
        person_ref: person.clone(),
        from_ms: (today - 13) * 86_400_000 - province::VIETNAM_OFFSET_MS,
        to_ms: (today + 1) * 86_400_000 - province::VIETNAM_OFFSET_MS,
        max_presence_ms: 16 * 3_600_000,
    };
    let runs = size.runs;
    let overview = timed(runs, || async {
        qrgate_server::console::view::overview(&pool, None, now).await.unwrap().enterprises.len()
    })
    .await;
    let page = timed(runs, || async {
        let p = qrgate_server::console::view::enterprise(&pool, &enterprise, now).await.unwrap();
        p.inside_workers + p.inside_visitors
    })
    .await;
    let inside =
        timed(runs, || async { province::inside(&pool, None, now, province::INSIDE_WINDOW_MS).await.unwrap().len() })
            .await;
    let contacts = timed(runs, || async { province::contacts(&pool, &trace).await.unwrap().len() }).await;
    println!(
        "stored: {n} events ({default} in the default partition), {} workers, {} enterprises",
        size.workers, size.enterprises
    );
    let line = |what: &str, (first, median, worst, answer): (f64, f64, f64, usize), floor: &str, of: &str| {
        println!(
            "stored: {what}: median {median:.0} ms, worst {worst:.0} ms of {runs} runs, the first {first:.0} ms \
             ({answer} {of})"
        );
        (
            format!("{what} ({n} events stored)"),
            format!("{median:.0} / {worst:.0} ms"),
            format!("{floor} (median / worst of {runs}; the first, cold, {first:.0} ms)"),
        )
    };
    vec![
        line("console overview", overview, "≤ 300 ms", "enterprises"),
        line("console enterprise page", page, "≤ 300 ms", "people inside"),
        line("inside now, whole province", inside, "≤ 1,000 ms", "people inside"),
        line("14-day contact trace", contacts, "≤ 1,000 ms", "contacts"),
    ]
}
