//! `qrgate-kiosk --measure SECONDS`: runs the kiosk as usual for that long once the screen is
//! up, then prints what a gate lives with and exits: window ready time, frame-to-screen latency
//! of each decision (p50, p95), the CPU the kiosk took (its own process and WebKit's, which
//! draws the preview), as a share of one core, and the kiosk process's resident memory at the
//! start and the end of the run (a kiosk runs for months: its memory must not creep).
//!
//! With `--measure-export`, HR's month of attendance is exported over and over during the run,
//! as the office does it (a connection of its own, a blocking thread, never the desk), and the
//! longest any decision waited for the desk's lock is printed beside the latencies.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use qrgate_core::datadir::DataDir;
use qrgate_hr::attendance::DayRange;
use qrgate_hr::export::{self, Format};
use tauri::AppHandle;

use crate::preview::Preview;

pub struct Measure {
    length: Duration,
    latencies: Mutex<Vec<i64>>,
    /// The longest wait for the desk's lock before a decision, in microseconds.
    desk_wait_us: Mutex<u128>,
    /// Set: export a month's attendance from this data directory, again and again, while measuring.
    export: Option<DataDir>,
}

impl Measure {
    pub fn new(length: Duration, export: Option<DataDir>) -> Measure {
        Measure { length, latencies: Mutex::new(Vec::new()), desk_wait_us: Mutex::new(0), export }
    }

    /// The screen painted a decision `ms` after its frame entered the pipeline.
    pub fn shown(&self, ms: i64) {
        crate::held(&self.latencies).push(ms);
    }

    /// A decision waited this long for the desk's lock.
    pub fn desk_waited(&self, wait: Duration) {
        let mut longest = crate::held(&self.desk_wait_us);
        *longest = (*longest).max(wait.as_micros());
    }

    /// Called once the screen is ready: measures for the set length, prints, and ends the kiosk.
    pub fn start(self: &std::sync::Arc<Self>, ready_ms: u64, preview: std::sync::Arc<Preview>, app: AppHandle) {
        let me = self.clone();
        let _ = std::thread::Builder::new().name("measure".into()).spawn(move || {
            // From the first frame (a replay folder loads its images first), and after a second of
            // settling: the steady state, not the start.
            let waiting = Instant::now();
            while !preview.has_frame() && waiting.elapsed() < Duration::from_secs(120) {
                std::thread::sleep(Duration::from_millis(50));
            }
            std::thread::sleep(Duration::from_secs(1));
            crate::held(&me.latencies).clear();
            *crate::held(&me.desk_wait_us) = 0;
            let stop = Arc::new(AtomicBool::new(false));
            let exports = me.export.clone().map(|data| {
                let stop = stop.clone();
                std::thread::spawn(move || export_month_until(&data, &stop))
            });
            let sent = || preview.sent.load(std::sync::atomic::Ordering::Relaxed);
            let (t0, cpu0, sent0, rss0) = (Instant::now(), cpu_ticks(), sent(), rss_kib());
            std::thread::sleep(me.length);
            let (elapsed, cpu1, sent1, rss1) = (t0.elapsed(), cpu_ticks(), sent(), rss_kib());
            stop.store(true, Ordering::SeqCst);
            let exports = exports.map(|t| t.join().unwrap_or_default());
            let share =
                |a: u64, b: u64| b.saturating_sub(a) as f64 / ticks_per_second() / elapsed.as_secs_f64() * 100.0;
            let (own, web) = (share(cpu0.0, cpu1.0), share(cpu0.1, cpu1.1));
            let mut lat = crate::held(&me.latencies).clone();
            lat.sort_unstable();
            let pct = |p: f64| lat.get(((lat.len() as f64 * p).ceil() as usize).saturating_sub(1)).copied();
            let show = |v: Option<i64>| v.map_or("-".to_string(), |v| format!("{v} ms"));
            println!("window ready        {ready_ms} ms after start");
            println!("preview             {:.1} frames/s on screen", (sent1 - sent0) as f64 / elapsed.as_secs_f64());
            println!("decisions shown     {}", lat.len());
            println!(
                "frame → screen      p50 {}  p95 {}  max {}",
                show(pct(0.50)),
                show(pct(0.95)),
                show(lat.last().copied())
            );
            println!(
                "CPU                 {:.1}% of one core over {:.1} s: kiosk {own:.1}%, its WebKit processes {web:.1}%",
                own + web,
                elapsed.as_secs_f64()
            );
            println!("desk lock           longest wait before a decision {} µs", *crate::held(&me.desk_wait_us));
            if let Some(runs) = exports {
                let each = runs.iter().map(|d| format!("{:.1} s", d.as_secs_f64())).collect::<Vec<_>>().join(", ");
                println!("HR exports          {} of a month's attendance during the run ({each})", runs.len());
            }
            println!(
                "kiosk RSS           {:.1} MiB at the start, {:.1} MiB at the end ({:+.1}%)",
                rss0 as f64 / 1024.0,
                rss1 as f64 / 1024.0,
                (rss1 as f64 - rss0 as f64) / rss0.max(1) as f64 * 100.0
            );
            app.exit(0);
        });
    }
}

/// Exports the last 30 days' attendance as XLSX, again and again until `stop`, on a connection of
/// its own as the office does; returns how long each complete export took.
fn export_month_until(data: &DataDir, stop: &AtomicBool) -> Vec<Duration> {
    let mut took = Vec::new();
    let Ok((store, config)) = data.open() else { return took };
    let yesterday = Utc::now().with_timezone(&config.time.timezone).date_naive() - chrono::Duration::days(1);
    let Ok(days) = DayRange::new(yesterday - chrono::Duration::days(29), yesterday) else { return took };
    let out = std::env::temp_dir().join(format!("qrgate-measure-export-{}.xlsx", std::process::id()));
    while !stop.load(Ordering::SeqCst) {
        let t = Instant::now();
        match export::attendance(&store, &config, days, None, Format::Xlsx, &out, &mut |_, _| {}) {
            Ok(_) if !stop.load(Ordering::SeqCst) => took.push(t.elapsed()),
            Ok(_) => {}
            Err(e) => {
                eprintln!("qrgate-kiosk: measure: the export failed: {e}");
                break;
            }
        }
    }
    let _ = std::fs::remove_file(&out);
    took
}

/// The kiosk process's resident memory (VmRSS), in KiB; 0 when /proc does not say.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| l.strip_prefix("VmRSS:").map(|v| v.trim().trim_end_matches("kB").trim().to_string()))
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn ticks_per_second() -> f64 {
    // SAFETY: sysconf reads a constant of the running system and has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 {
        t as f64
    } else {
        100.0
    }
}

/// User and system CPU ticks of this process, and of every process it started (WebKit's web and
/// network processes run as its descendants).
fn cpu_ticks() -> (u64, u64) {
    let me = std::process::id();
    let procs: Vec<(u32, u32, u64)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // The command name may hold spaces and brackets: fields start after its last ')'.
            let rest = &stat[stat.rfind(')')? + 2..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ppid = f.get(1)?.parse().ok()?;
            let ticks = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
            Some((pid, ppid, ticks))
        })
        .collect();
    let mut family = vec![me];
    let mut i = 0;
    while i < family.len() {
        let parent = family[i];
        family.extend(procs.iter().filter(|p| p.1 == parent).map(|p| p.0));
        i += 1;
    }
    let own = procs.iter().find(|p| p.0 == me).map_or(0, |p| p.2);
    let all: u64 = procs.iter().filter(|p| family.contains(&p.0)).map(|p| p.2).sum();
    (own, all - own)
}
