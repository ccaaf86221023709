//! Decision → relay pulse at a gate: 500 workers each hold a badge up to `qrgate scan` (replayed
//! frames), with an LCUS relay board played on a pseudo-terminal; the scan's own `--stats` give
//! frame → committed event and decision → contact closed, and the board's side counts the bytes.
//!
//!   cargo bench -p qrgate-cli --bench turnstile
//!
//! Each badge is in view for two frames then gone for one, at 10 frames a second: one scan every
//! 300 ms, longer than the 200 ms pulse, so each pulse's latency is its own and not the queue's.

use std::process::Command;
use std::time::{Duration, Instant};

use chrono::Utc;
use qrgate_core::datadir::DataDir;
use qrgate_hr::print::{issue, Selection};
use qrgate_scan::synth::{empty_gate_frame, held_badge_frame};
use qrgate_testkit::pty::Pty;
use serde_json::Value;

/// `QRGATE_BENCH_WORKERS` runs fewer (or more) for a quick look.
fn workers() -> usize {
    std::env::var("QRGATE_BENCH_WORKERS").ok().and_then(|n| n.parse().ok()).unwrap_or(500)
}

fn qrgate(data: &std::path::Path, args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_qrgate")).arg("--data").arg(data).args(args).output().unwrap();
    assert!(out.status.success(), "qrgate {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

fn main() {
    let workers = workers();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    qrgate(&data, &["init", "--enterprise", "0101234567", "--name", "Bench", "--kiosk-id", "gate-1"]);
    let mut roster = String::from("Mã NV;Họ và tên;Bộ phận;Ca;Số điện thoại;Trạng thái\n");
    for i in 0..workers {
        roster.push_str(&format!("NV{i:05};Công Nhân {i};May;CA1;;1\n"));
    }
    let roster_path = dir.path().join("roster.csv");
    std::fs::write(&roster_path, roster).unwrap();
    qrgate(&data, &["roster", "import", roster_path.to_str().unwrap()]);
    let texts: Vec<String> = {
        let data_dir = DataDir::new(&data);
        let key = data_dir.badge_signing_key(None).unwrap();
        let (mut store, _) = data_dir.open().unwrap();
        let today = Utc::now().date_naive();
        issue(&mut store, &key, &Selection::All, today, None, Utc::now()).unwrap().into_iter().map(|c| c.text).collect()
    };
    assert_eq!(texts.len(), workers);

    let frames = dir.path().join("frames");
    std::fs::create_dir_all(&frames).unwrap();
    let started = Instant::now();
    let mut n = 0;
    for (i, text) in texts.iter().enumerate() {
        for k in 0..2 {
            held_badge_frame(10 * i as u64 + k, text).save(frames.join(format!("{n:05}.png"))).unwrap();
            n += 1;
        }
        empty_gate_frame(i as u64).save(frames.join(format!("{n:05}.png"))).unwrap();
        n += 1;
    }
    eprintln!("{n} frames drawn in {:.0} s", started.elapsed().as_secs_f64());

    let mut board = Pty::open();
    let conf = data.join("kiosk.conf");
    let text = std::fs::read_to_string(&conf).unwrap();
    let wired = format!("port = \"{}\"\nin = 1\nout = 2\n", board.path().display());
    std::fs::write(
        &conf,
        text.replacen("driver = \"none\"\n", "driver = \"lcus\"\n", 1).replacen("port = \"\"\n", &wired, 1),
    )
    .unwrap();
    // The board stays plugged in until the scan has ended (the replay loads its frames first).
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let counter = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut bytes = 0;
            loop {
                let (got, _) = board.read(4096, Duration::from_millis(500));
                if got.is_empty() && done.load(std::sync::atomic::Ordering::SeqCst) {
                    return bytes;
                }
                bytes += got.len();
            }
        })
    };
    let source = format!("dir:{}", frames.display());
    let out = qrgate(&data, &["scan", "--source", &source, "--fps", "10", "--frames", &n.to_string(), "--stats"]);
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let bytes = counter.join().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stats: Value = stderr
        .lines()
        .find_map(|l| serde_json::from_str::<Value>(l).ok().filter(|v| v.get("stats").is_some()))
        .expect("the stats line")["stats"]
        .clone();
    let decisions = String::from_utf8_lossy(&out.stdout).lines().count();
    for line in stderr.lines().filter(|l| l.contains("\"turnstile\"")).take(4) {
        println!("  {line}");
    }
    println!(
        "turnstile bench: {workers} workers, {decisions} decisions, {} pulses, {} bytes on the board",
        stats["pulses"], bytes
    );
    println!("  frame → event committed (ms): {}", stats["frame_to_event_ms"]);
    println!("  decision → relay closed (ms): {}", stats["decision_to_pulse_ms"]);
    println!("  decode per frame (ms):        {}", stats["decode_ms"]);
}
