//! Benchmark: does a scan cost the same after a year of history as after a month?
//!
//! For each history length it opens (seeding once, then reusing) a demo site of
//! QRGATE_BENCH_WORKERS workers (20,000) and N days of events, and measures what the kiosk window
//! does for every badge (`Desk::scan`, then `Desk::inside_counts` for the guard screen's counters),
//! what `qrgate export inside` does (the evacuation list as CSV and PDF), and, as the peer, the
//! whole-log query that answered "who is inside" before the presence table.
//!
//! ```text
//! QRGATE_BENCH_DIR=/var/tmp/qrgate-bench cargo bench -p qrgate-desk --bench history
//! ```
//!
//! Environment:
//! - QRGATE_BENCH_DIR: where the seeded sites are kept (`w{workers}-d{days}/`) and reused by the
//!   next run; a year of 20,000 workers takes a few minutes to seed and ~4 GB. Without it, a
//!   temporary directory, seeded anew and removed.
//! - QRGATE_BENCH_HISTORIES: the history lengths in days, comma-separated (default "30,365").
//! - QRGATE_BENCH_WORKERS (20000), QRGATE_BENCH_SCANS (2000).
//! - QRGATE_BENCH_PEER=0 skips the whole-log peer query (seconds to minutes on a year).
//! - QRGATE_BENCH_MIGRATION=1 also times the schema migration that builds the presence table
//!   from the log, as an existing kiosk would meet it on upgrade.
//!
//! Each run appends its scans to the reused sites, after their newest event, so runs do not
//! repeat each other's moments; a few thousand events beside millions change nothing measurable.

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use qrgate_core::datadir::DataDir;
use qrgate_core::model::Method;
use qrgate_desk::demo::{self, SeedOptions};
use qrgate_desk::desk::Desk;
use qrgate_hr::export::{self, Format};
use qrgate_hr::print::{self, BadgeCard, Selection};
use rand::{Rng, SeedableRng};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

/// The demo site with `days` of history, seeded now unless an earlier run left it.
fn site(root: &Path, workers: usize, days: u32) -> DataDir {
    let data = DataDir::new(root.join(format!("w{workers}-d{days}")));
    if data.database().exists() {
        return data;
    }
    let start = Utc.with_ymd_and_hms(2025, 11, 1, 0, 0, 0).unwrap();
    data.init(demo::init_options(), &mut rand::rngs::OsRng, start).expect("init");
    let (mut store, config) = data.open().expect("open");
    let last_day = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    let t = Instant::now();
    let summary =
        demo::seed(&mut store, &config, &SeedOptions { workers, days, last_day, seed: 1 }, start, &mut |_, _| {})
            .expect("seed");
    eprintln!(
        "seeded {}: {} workers, {} events, {} visitors in {:.0} s",
        data.root.display(),
        summary.workers,
        summary.events,
        summary.visitors,
        t.elapsed().as_secs_f64()
    );
    data
}

struct Figures {
    days: u32,
    events: u64,
    scan: Vec<f64>,
    counts: Vec<f64>,
    inside: usize,
    csv: f64,
    pdf: f64,
    peer: Option<f64>,
    migration: Option<f64>,
}

fn measure(data: &DataDir, days: u32, scans: usize, out: &Path) -> Figures {
    let migration = (env("QRGATE_BENCH_MIGRATION", 0) == 1).then(|| time_migration(data));
    let mut desk = Desk::open(data.clone()).expect("desk");
    let newest: i64 = desk.store.connection().query_row("SELECT MAX(at_ms) FROM events", [], |r| r.get(0)).unwrap();
    let mut now = DateTime::<Utc>::from_timestamp_millis(newest).unwrap() + Duration::minutes(1);
    let key = data.badge_signing_key(None).expect("key");
    let cards: Vec<BadgeCard> =
        print::issue(&mut desk.store, &key, &Selection::All, now.date_naive(), None, now).expect("badges");
    let events = desk.store.event_count().unwrap();

    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(u64::from(days));
    let (mut scan, mut counts) = (Vec::with_capacity(scans), Vec::with_capacity(scans));
    for _ in 0..scans {
        let card = &cards[rng.gen_range(0..cards.len())];
        now += Duration::milliseconds(rng.gen_range(200..3_000));
        let t = Instant::now();
        desk.scan(&card.text, Method::Badge, now, uuid::Uuid::now_v7()).expect("scan");
        let decided = ms(t);
        let t = Instant::now();
        std::hint::black_box(desk.inside_counts(now).expect("counts"));
        counts.push(ms(t));
        scan.push(decided + counts.last().unwrap());
    }
    scan.sort_by(f64::total_cmp);
    counts.sort_by(f64::total_cmp);

    let config = desk.gate.config.clone();
    let export = |format: Format, name: &str| {
        let mut runs: Vec<(f64, u64)> = (0..3)
            .map(|_| {
                let t = Instant::now();
                let s = export::inside(&desk.store, &config, now, format, &out.join(name), &mut |_, _| {})
                    .expect("export inside");
                (ms(t), s.rows)
            })
            .collect();
        runs.sort_by(|a, b| a.0.total_cmp(&b.0));
        runs[1]
    };
    let (csv, inside) = export(Format::Csv, "so-tan.csv");
    let (pdf, _) = export(Format::Pdf, "so-tan.pdf");
    let peer = (env("QRGATE_BENCH_PEER", 1) == 1).then(|| whole_log_query(&desk));
    Figures { days, events, scan, counts, inside: inside as usize, csv, pdf, peer, migration }
}

/// What answered "who is inside" before the presence table: each person's newest accepted event,
/// found by scanning the whole log.
fn whole_log_query(desk: &Desk) -> f64 {
    let t = Instant::now();
    let n: i64 = desk
        .store
        .connection()
        .query_row(
            "SELECT COUNT(*) FROM events e
             WHERE rowid_ = (SELECT rowid_ FROM events x INDEXED BY events_by_person
                             WHERE x.person_kind = e.person_kind AND x.person_ref = e.person_ref
                               AND x.verdict = 'accepted'
                             ORDER BY x.at_ms DESC, x.rowid_ DESC LIMIT 1)
               AND e.direction = 'in'",
            [],
            |r| r.get(0),
        )
        .expect("peer query");
    std::hint::black_box(n);
    ms(t)
}

/// Puts the site back to schema version 3 (no presence table) and times the upgrade that
/// rebuilds it from the log.
fn time_migration(data: &DataDir) -> f64 {
    let conn = rusqlite::Connection::open(data.database()).expect("open");
    conn.execute_batch("DROP TRIGGER presence_follows_events; DROP TABLE presence; PRAGMA user_version = 3;")
        .expect("back to version 3");
    drop(conn);
    let t = Instant::now();
    data.open().expect("migrate");
    ms(t)
}

fn main() {
    let workers = env("QRGATE_BENCH_WORKERS", 20_000);
    let scans = env("QRGATE_BENCH_SCANS", 2_000);
    let histories: Vec<u32> = std::env::var("QRGATE_BENCH_HISTORIES")
        .unwrap_or_else(|_| "30,365".into())
        .split(',')
        .map(|d| d.trim().parse().expect("QRGATE_BENCH_HISTORIES: days like 30,365"))
        .collect();
    let temp;
    let root: PathBuf = match std::env::var_os("QRGATE_BENCH_DIR") {
        Some(dir) => dir.into(),
        None => {
            temp = tempfile::tempdir().expect("temp dir");
            temp.path().to_path_buf()
        }
    };
    std::fs::create_dir_all(&root).expect("bench dir");
    let out = tempfile::tempdir().expect("out dir");
    let figures: Vec<Figures> =
        histories.iter().map(|&days| measure(&site(&root, workers, days), days, scans, out.path())).collect();

    println!("{workers} workers; {scans} badge scans per history, each followed by the guard screen's counts");
    println!(
        "{:>8} {:>11} | {:>27} | {:>14} | {:>6} {:>9} {:>9} | {:>12} | {:>10}",
        "history",
        "events",
        "scan + counts p50/p95/p99 ms",
        "counts p50 ms",
        "inside",
        "csv ms",
        "pdf ms",
        "whole-log ms",
        "migrate ms"
    );
    for f in &figures {
        let opt = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.0}"));
        println!(
            "{:>6} d {:>11} | {:>8.2} {:>8.2} {:>9.2} | {:>14.3} | {:>6} {:>9.0} {:>9.0} | {:>12} | {:>10}",
            f.days,
            f.events,
            percentile(&f.scan, 0.50),
            percentile(&f.scan, 0.95),
            percentile(&f.scan, 0.99),
            percentile(&f.counts, 0.50),
            f.inside,
            f.csv,
            f.pdf,
            opt(f.peer),
            opt(f.migration)
        );
    }
}
