//! Benchmark of the gate's check path (decision + durable commit) on a factory-sized store.
//!
//! `cargo bench -p qrgate-desk --bench check` seeds 20,000 workers and about 1,000,000 events
//! into a real SQLite file, then puts badge scans through `Gate::check` and prints p50/p99/max.
//! Environment: QRGATE_BENCH_WORKERS, QRGATE_BENCH_DAYS, QRGATE_BENCH_SCANS to change the sizes.

use std::time::Instant;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use qrgate_core::datadir::DataDir;
use qrgate_core::gate::{Gate, Scan};
use qrgate_core::model::Verdict;
use qrgate_desk::demo::{self, SeedOptions};
use qrgate_hr::print::{self, Selection};
use rand::{Rng, SeedableRng};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let workers = env("QRGATE_BENCH_WORKERS", 20_000);
    let days = env("QRGATE_BENCH_DAYS", 26) as u32;
    let scans = env("QRGATE_BENCH_SCANS", 3_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let data = DataDir::new(dir.path().join("data"));
    let start = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    data.init(demo::init_options(), &mut rand::rngs::OsRng, start).expect("init");
    let (mut store, config) = data.open().expect("open");
    let t = Instant::now();
    let last_day = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    let summary =
        demo::seed(&mut store, &config, &SeedOptions { workers, days, last_day, seed: 1 }, start, &mut |_, _| {})
            .expect("seed");
    println!(
        "seeded {} workers, {} events, {} visitors in {:.1} s",
        summary.workers,
        summary.events,
        summary.visitors,
        t.elapsed().as_secs_f64()
    );
    let key = data.badge_signing_key(None).expect("key");
    let cards = print::issue(&mut store, &key, &Selection::All, last_day, None, start).expect("badges");
    let gate = Gate::new(&store, config).expect("gate");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    let mut now = Utc.with_ymd_and_hms(2026, 11, 24, 23, 0, 0).unwrap();
    let mut times = Vec::with_capacity(scans);
    let mut accepted = 0;
    for _ in 0..scans {
        let card = &cards[rng.gen_range(0..cards.len())];
        now += Duration::milliseconds(rng.gen_range(200..3_000));
        let id = uuid::Uuid::now_v7();
        let t = Instant::now();
        let d = gate.check(&mut store, &Scan::camera(&card.text), now, id).expect("check");
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        accepted += usize::from(d.verdict == Verdict::Accepted && !d.debounced);
    }
    times.sort_by(f64::total_cmp);

    // The peer: the same database and pragmas, a bare one-row insert committed the same way.
    // What the disk's fsync costs; the gate's own work is the difference.
    let conn = store.connection();
    conn.execute_batch("CREATE TABLE bench_commit (id INTEGER PRIMARY KEY, body TEXT NOT NULL)").expect("table");
    let mut bare = Vec::with_capacity(scans);
    for i in 0..scans {
        let t = Instant::now();
        conn.execute_batch("BEGIN").expect("begin");
        conn.execute("INSERT INTO bench_commit (body) VALUES (?1)", [format!("{i:0>200}")]).expect("insert");
        conn.execute_batch("COMMIT").expect("commit");
        bare.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    bare.sort_by(f64::total_cmp);
    println!(
        "check (decision + durable commit, synchronous=FULL, WAL) over {} stored events: {scans} scans, {accepted} new accepted events",
        store.event_count().unwrap()
    );
    println!(
        "  p50 {:.3} ms   p99 {:.3} ms   max {:.3} ms   (floor: p99 <= 5 ms)",
        percentile(&times, 0.50),
        percentile(&times, 0.99),
        times.last().unwrap()
    );
    println!(
        "bare SQLite commit of one row, same file and pragmas (the disk's floor):\n  p50 {:.3} ms   p99 {:.3} ms   max {:.3} ms",
        percentile(&bare, 0.50),
        percentile(&bare, 0.99),
        bare.last().unwrap()
    );
}
