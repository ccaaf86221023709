//! Attendance export benchmark: 20,000 workers, one day and 31 days as XLSX, and the month's
//! timesheet as XLSX and CSV, and the next month's (whose year's overtime needs this month's:
//! computed once, then reused); prints time and peak memory. The workers of the factory floor
//! rotate CA1 → CA2 → CA3 week by week on an imported shift schedule, Sunday off; the office
//! keeps HC.
//!
//! Run: `cargo bench -p qrgate-hr --bench attendance` (`QRGATE_BENCH_WORKERS` to change the size;
//! `QRGATE_BENCH_DIR` keeps the seeded kiosk there and reuses it on the next run, its kept months
//! of overtime forgotten first so every run measures the same work; `QRGATE_BENCH_ONLY=timesheet`
//! measures the timesheets alone).
//! Targets from the issues: one day (≥ 80,000 events) in ≤ 2 s and ≤ 300 MB peak; 31 days in ≤ 30 s;
//! the month's timesheet (with its walk from 1 January for the year's overtime) as XLSX in ≤ 10 s
//! and ≤ 300 MB.
//! Peak memory is the process's VmHWM, reset before each export through /proc/self/clear_refs.

use std::time::Instant;

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, TimeZone, Utc, Weekday};
use qrgate_core::config::Config;
use qrgate_core::model::{Direction, Method, PersonRef, Verdict};
use qrgate_core::store::{Event, Identity, Store};
use qrgate_hr::attendance::{self, DayRange, Detail};
use qrgate_hr::export::{self, Format};
use qrgate_hr::roster::{self, RosterRow};
use qrgate_hr::schedule::{self, Planned, ScheduleRow};
use qrgate_hr::timesheet::{self, Month};
use rand::{Rng, SeedableRng};
use uuid::Uuid;

const DEPARTMENTS: [&str; 8] = ["May 1", "May 2", "Cắt", "Hoàn thiện", "Kho", "QC", "Bảo trì", "Văn phòng"];
const SHIFTS: [(&str, u32, u32); 4] =
    [("HC", 8 * 60, 17 * 60), ("CA1", 6 * 60, 14 * 60), ("CA2", 14 * 60, 22 * 60), ("CA3", 22 * 60, 30 * 60)];

fn peak_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// This process's CPU seconds so far (user and system): a figure other processes on a shared
/// machine disturb less than the wall clock.
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command's closing parenthesis; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let ticks: f64 = rest.split_whitespace().skip(11).take(2).filter_map(|v| v.parse::<f64>().ok()).sum();
    ticks / 100.0
}

fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// A day of a big factory: most people come, many go out for lunch, some scan twice, forget an
/// out, come late or leave early; Sunday only a few work.
fn seed(store: &mut Store, workers: usize, first: NaiveDate, days: u32) -> usize {
    let offset = FixedOffset::east_opt(7 * 3600).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let now = Utc::now();
    let rows: Vec<RosterRow> = (0..workers)
        .map(|i| RosterRow {
            row: i + 2,
            code: format!("NV{:05}", i + 1).parse().unwrap(),
            full_name: format!("Nguyễn Thị Công Nhân {}", i + 1),
            department: DEPARTMENTS[i % DEPARTMENTS.len()].into(),
            shift: SHIFTS[if i % DEPARTMENTS.len() == 7 { 0 } else { 1 + i % 3 }].0.into(),
            phone: String::new(),
            active: true,
            started: None,
        })
        .collect();
    roster::import(store, &rows, false, now, &mut |_, _| {}).unwrap();
    // The rota, imported as HR would: each floor worker's week on one shift, the next week on the
    // next, Sundays off.
    let rotating = |i: usize, day: NaiveDate| -> Option<Planned> {
        if i % DEPARTMENTS.len() == 7 {
            return None;
        }
        if day.weekday() == Weekday::Sun {
            return Some(Planned::DayOff);
        }
        let week = day.iso_week().week() as usize;
        Some(Planned::Shift(SHIFTS[1 + (i + week) % 3].0.into()))
    };
    let plan: Vec<ScheduleRow> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| ScheduleRow {
            row: r.row,
            code: r.code.clone(),
            days: (0..days).map(|d| first + Duration::days(i64::from(d))).map(|d| (d, rotating(i, d))).collect(),
        })
        .collect();
    schedule::import(store, &plan, None, now).unwrap();
    let mut n: u128 = 0;
    let mut total = 0;
    for d in 0..days {
        let day = first + Duration::days(i64::from(d));
        let sunday = day.weekday() == Weekday::Sun;
        let midnight = offset.from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap()).unwrap();
        let mut events = Vec::with_capacity(workers * 5);
        for (i, row) in rows.iter().enumerate() {
            if rng.gen_bool(if sunday { 0.9 } else { 0.02 }) {
                continue;
            }
            let shift = match rotating(i, day) {
                Some(Planned::Shift(s)) => s,
                // A Sunday worked keeps the week's shift.
                Some(Planned::DayOff) => {
                    let Some(Planned::Shift(s)) = rotating(i, day - Duration::days(1)) else { unreachable!() };
                    s
                }
                None => row.shift.clone(),
            };
            let (_, start, end) = SHIFTS.iter().find(|s| s.0 == shift).copied().unwrap();
            let person = PersonRef::Worker(row.code.clone());
            let gate =
                |rng: &mut rand_chacha::ChaCha8Rng| if rng.gen_bool(0.2) { "Cổng phụ" } else { "Cổng chính" };
            let at = |minute: i64, rng: &mut rand_chacha::ChaCha8Rng| {
                midnight + Duration::seconds(minute * 60 + rng.gen_range(0..60))
            };
            let mut push = |direction: Direction, t: DateTime<FixedOffset>, gate: &str, verdict: Verdict| {
                n += 1;
                events.push(Event {
                    id: Uuid::from_u128(n),
                    kiosk_id: if gate == "Cổng phụ" { "gate-2".into() } else { "gate-1".into() },
                    seq: n as i64,
                    gate: gate.into(),
                    person: Some(person.clone()),
                    direction: Some(direction),
                    at: t,
                    method: Method::Badge,
                    verdict,
                    reason: (verdict == Verdict::Refused).then(|| "revoked".into()),
                    badge_serial: Some(1),
                    operator: None,
                    note: None,
                    clock_offset_ms: None,
                    clock_flag: None,
                    follows: None,
                    lane: None,
                });
            };
            let (start, end) = (i64::from(start), i64::from(end));
            let arrive = start + rng.gen_range(-25..12);
            push(Direction::In, at(arrive, &mut rng), gate(&mut rng), Verdict::Accepted);
            if rng.gen_bool(0.15) {
                push(Direction::In, at(arrive, &mut rng) + Duration::seconds(40), gate(&mut rng), Verdict::Accepted);
            }
            if rng.gen_bool(0.01) {
                push(Direction::In, at(arrive, &mut rng), "Cổng chính", Verdict::Refused);
            }
            let lunch = start + (end - start) / 2 + rng.gen_range(-30..30);
            push(Direction::Out, at(lunch, &mut rng), gate(&mut rng), Verdict::Accepted);
            push(Direction::In, at(lunch + rng.gen_range(25..50), &mut rng), gate(&mut rng), Verdict::Accepted);
            if !rng.gen_bool(0.03) || i % 97 == 0 {
                push(Direction::Out, at(end + rng.gen_range(-15..90), &mut rng), gate(&mut rng), Verdict::Accepted);
            }
        }
        events.sort_by_key(|e| e.at);
        total += events.len();
        store.insert_events(&events).unwrap();
    }
    total
}

fn main() {
    let workers: usize = std::env::var("QRGATE_BENCH_WORKERS").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    let dir = tempfile::tempdir().unwrap();
    let kept = std::env::var_os("QRGATE_BENCH_DIR").map(std::path::PathBuf::from);
    let db =
        kept.as_ref().map_or_else(|| dir.path().join("qrgate.db"), |d| d.join(format!("attendance-w{workers}.db")));
    let identity = Identity {
        enterprise: "0312345678".parse().unwrap(),
        enterprise_name: "Công ty TNHH May mặc Sao Mai".into(),
        kiosk_id: "gate-1".parse().unwrap(),
        kiosk_public_key: "00".repeat(32),
    };
    let config = Config::default();
    // 31 days of October 2026 plus the day before, so the first day's night shift has its eve.
    let first = NaiveDate::from_ymd_opt(2026, 9, 30).unwrap();
    if !db.exists() {
        // Seeded under another name and renamed when whole, so a run cut short is not reused.
        let partial = db.with_extension("partial");
        if let Some(d) = &kept {
            std::fs::create_dir_all(d).unwrap();
        }
        let _ = std::fs::remove_file(&partial);
        let mut store = Store::create(&partial, &identity, &[1; 32], Utc::now()).unwrap();
        let t = Instant::now();
        let events = seed(&mut store, workers, first, 32);
        println!("seeded {workers} workers, {events} events over 32 days in {:.1} s", t.elapsed().as_secs_f64());
        drop(store);
        std::fs::rename(&partial, &db).unwrap();
    } else {
        println!("reusing {} ({workers} workers, 32 days)", db.display());
    }
    let store = Store::open(&db).unwrap();
    store.connection().execute_batch("DELETE FROM overtime_months; DELETE FROM overtime_months_made;").unwrap();

    let day = NaiveDate::from_ymd_opt(2026, 10, 21).unwrap();
    let from =
        FixedOffset::east_opt(7 * 3600).unwrap().from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap()).unwrap();
    let that_day =
        store.events_between(from.with_timezone(&Utc), (from + Duration::days(1)).with_timezone(&Utc)).unwrap().len();

    let month =
        DayRange::new(NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(), NaiveDate::from_ymd_opt(2026, 10, 31).unwrap())
            .unwrap();
    let roster = store.workers(None, None).unwrap();
    let all = std::env::var("QRGATE_BENCH_ONLY").map_or(true, |only| only != "timesheet");
    reset_peak();
    let t = Instant::now();
    let mut rows = 0;
    attendance::for_each_day(&store, &config, &roster, DayRange::one(day).unwrap(), Detail::Full, &mut |_, d| {
        rows += d.len();
        Ok(())
    })
    .unwrap();
    println!("attendance only, 1 day: {rows} rows in {:.2} s, peak {:.0} MB", t.elapsed().as_secs_f64(), peak_mb());

    let attendance_exports = if all {
        vec![
            ("1 day  ", DayRange::one(day).unwrap(), Format::Xlsx, "day.xlsx"),
            ("1 day  ", DayRange::one(day).unwrap(), Format::Csv, "day.csv"),
            ("31 days", month, Format::Xlsx, "month.xlsx"),
        ]
    } else {
        Vec::new()
    };
    for (what, days, format, name) in attendance_exports {
        let out = dir.path().join(name);
        reset_peak();
        let t = Instant::now();
        let s = export::attendance(&store, &config, days, None, format, &out, &mut |_, _| {}).unwrap();
        let secs = t.elapsed().as_secs_f64();
        let size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
        println!(
            "export attendance {what} {format}: {} rows ({that_day} events on the day) in {secs:.2} s, peak {:.0} MB, file {size:.1} MB",
            s.rows,
            peak_mb()
        );
    }

    for (format, name) in [(Format::Xlsx, "timesheet.xlsx"), (Format::Csv, "timesheet.csv")] {
        let out = dir.path().join(name);
        reset_peak();
        let (t, cpu) = (Instant::now(), cpu_secs());
        let s =
            timesheet::export(&store, &config, Month::parse("2026-10").unwrap(), None, format, &out, &mut |_, _| {})
                .unwrap();
        let secs = t.elapsed().as_secs_f64();
        let size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
        println!(
            "export timesheet 2026-10 {format}: {} workers in {secs:.2} s ({:.2} s of CPU), peak {:.0} MB, file {size:.1} MB",
            s.rows,
            cpu_secs() - cpu,
            peak_mb()
        );
    }

    // November's sheet needs October's overtime for the year's total: the first export computes
    // it over the 20,000 workers' worked days and keeps it, the second reuses it.
    for run in ["first (computes October's overtime)", "again (reuses it)"] {
        let out = dir.path().join("november.xlsx");
        reset_peak();
        let t = Instant::now();
        timesheet::export(&store, &config, Month::parse("2026-11").unwrap(), None, Format::Xlsx, &out, &mut |_, _| {})
            .unwrap();
        println!("export timesheet 2026-11 xlsx, {run}: {:.2} s, peak {:.0} MB", t.elapsed().as_secs_f64(), peak_mb());
    }
}
