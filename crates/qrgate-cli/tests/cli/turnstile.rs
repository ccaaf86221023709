//! The turnstile through the binary: `qrgate scan` over replayed frames with an LCUS relay board
//! played on a pseudo-terminal, byte for byte; `qrgate turnstile test`; the alert when the board
//! is pulled out, in the scan's output and in `qrgate sync --status`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use qrgate_scan::synth::{empty_gate_frame, held_badge_frame};
use qrgate_testkit::modbus::{Sensor, SENSOR_INPUT};
use qrgate_testkit::pty::Pty;
use serde_json::Value;

use crate::support::Site;

const ROSTER: &str = "Mã NV;Họ và tên;Bộ phận;Ca;Số điện thoại;Trạng thái
NV001;Nguyễn Thị Hương;May 1;CA1;0912345678;Đang làm
NV002;Trần Văn Dũng;Cắt;CA3;;1
";
const PATIENCE: Duration = Duration::from_secs(20);
const ON_1: [u8; 4] = [0xA0, 0x01, 0x01, 0xA2];
const OFF_1: [u8; 4] = [0xA0, 0x01, 0x00, 0xA1];

/// A kiosk with two workers whose kiosk.conf wires an LCUS board on `board`: in on channel 1,
/// out on channel 2, no alarm.
fn site_with_board(board: &Pty) -> Site {
    let site = Site::new();
    site.init();
    site.ok(&["roster", "import", &site.write("roster.csv", ROSTER.as_bytes())]);
    let conf = site.data().join("kiosk.conf");
    let text = std::fs::read_to_string(&conf).unwrap();
    let wired = format!("port = \"{}\"\nin = 1\nout = 2\n", board.path().display());
    let text = text.replacen("driver = \"none\"\n", "driver = \"lcus\"\n", 1).replacen("port = \"\"\n", &wired, 1);
    assert!(text.contains("driver = \"lcus\"") && text.contains("/dev/pts/"), "{text}");
    std::fs::write(&conf, text).unwrap();
    site
}

fn accepted_events_of(site: &Site, code: &str) -> i64 {
    let db = rusqlite::Connection::open_with_flags(
        site.data().join("qrgate.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    db.query_row("SELECT count(*) FROM events WHERE person_ref = ?1 AND verdict = 'accepted'", [code], |r| r.get(0))
        .unwrap()
}

#[test]
fn scan_pulses_the_entry_relay_after_the_event_is_committed_and_nothing_on_a_refusal() {
    let mut board = Pty::open();
    let site = site_with_board(&board);
    let a = site.ok(&["badge", "text", "NV001"]).stdout.trim().to_string();
    let b = site.ok(&["badge", "text", "NV002"]).stdout.trim().to_string();
    // NV001, then a code no kiosk signed (refused), then NV002; each held for three frames.
    let folder = site.path("replay");
    std::fs::create_dir_all(&folder).unwrap();
    let mut n = 0;
    for (who, text) in [a.as_str(), "QG1:NOT-A-BADGE-OF-THIS-ENTERPRISE", b.as_str()].iter().enumerate() {
        for k in 0..3 {
            held_badge_frame(100 * who as u64 + k, text).save(folder.join(format!("{n:03}.png"))).unwrap();
            n += 1;
        }
        empty_gate_frame(7_000 + who as u64).save(folder.join(format!("{n:03}.png"))).unwrap();
        n += 1;
    }
    let source = format!("dir:{}", folder.display());
    let scan = Command::new(env!("CARGO_BIN_EXE_qrgate"))
        .args(["--data", site.data().to_str().unwrap(), "scan", "--source", &source, "--fps", "50"])
        .args(["--frames", &n.to_string(), "--stats"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    // The board's side: the first byte of the first pulse, then the database at that moment.
    let (first, _) = board.read(4, PATIENCE);
    assert_eq!(first, ON_1, "an accepted entry closes channel 1");
    assert_eq!(accepted_events_of(&site, "NV001"), 1, "the event was committed before the relay moved");
    let (off, _) = board.read(4, PATIENCE);
    assert_eq!(off, OFF_1);
    let (second, _) = board.read(8, PATIENCE);
    assert_eq!(second, [ON_1, OFF_1].concat(), "NV002's entry");
    assert_eq!(accepted_events_of(&site, "NV002"), 1);

    let out = scan.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!board.readable(Duration::from_millis(300)), "the refusal pulsed nothing (no alarm wired)");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let verdicts: Vec<String> = stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["verdict"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(verdicts, ["accepted", "refused", "accepted"], "{stdout}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    let stats: Value = stderr
        .lines()
        .find_map(|l| serde_json::from_str::<Value>(l).ok().filter(|v| v.get("stats").is_some()))
        .expect("stats line");
    assert_eq!(stats["stats"]["pulses"], 2, "{stderr}");
    assert!(stats["stats"]["decision_to_pulse_ms"]["p50"].as_f64().is_some(), "{stderr}");

    let status = site.ok(&["sync", "--status"]).stdout;
    assert!(
        status.contains("turnstile: the LCUS relay board on /dev/pts/") && status.contains("reachable"),
        "{status}"
    );
    assert!(status.contains("2 pulses, 0 failed"), "{status}");

    // The refusal kept the camera's frame ([camera] snapshots = "refused"), the entries did not.
    let refused_id =
        stdout.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()).find(|d| d["verdict"] == "refused").unwrap()
            ["event_id"]
            .as_str()
            .unwrap()
            .to_string();
    let snapshots = || -> Vec<(String, Vec<u8>)> {
        let db = rusqlite::Connection::open(site.data().join("qrgate.db")).unwrap();
        let mut stmt = db.prepare("SELECT event_id, jpeg FROM snapshots").unwrap();
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        rows.map(Result::unwrap).collect()
    };
    let kept = snapshots();
    assert_eq!(kept.len(), 1, "one refusal, one snapshot");
    assert_eq!(kept[0].0, refused_id);
    assert_eq!(&kept[0].1[..3], [0xFF, 0xD8, 0xFF], "a JPEG");
    // Past its retention, the purge deletes it.
    let conf = site.data().join("kiosk.conf");
    let text = std::fs::read_to_string(&conf).unwrap();
    std::fs::write(&conf, text.replace("snapshot_retention_days = 7", "snapshot_retention_days = 0")).unwrap();
    let purged = site.ok(&["privacy", "purge"]).stdout;
    assert!(purged.contains("Deleted 1 camera snapshot(s) older than 0 day(s)"), "{purged}");
    assert!(snapshots().is_empty());
}

#[test]
fn turnstile_test_pulses_one_output_and_says_why_when_it_cannot() {
    let mut board = Pty::open();
    let site = site_with_board(&board);
    let r = site.ok(&["turnstile", "test", "out"]);
    assert!(r.stdout.contains("pulsed out on the LCUS relay board"), "{}", r.stdout);
    assert_eq!(board.read(8, PATIENCE).0, [[0xA0, 0x02, 0x01, 0xA3], [0xA0, 0x02, 0x00, 0xA2]].concat());

    let r = site.qrgate(&["turnstile", "test", "alarm"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("alarm output is not wired"), "{}", r.stderr);
    let r = site.qrgate(&["turnstile", "test", "sideways"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("in, out or alarm"), "{}", r.stderr);

    let port = board.path().display().to_string();
    board.unplug();
    let r = site.qrgate(&["turnstile", "test", "in"]);
    assert_eq!(r.code, 4, "a device that is not there is the machine's fault: {}", r.stderr);
    assert!(r.stderr.contains("turnstile_unreachable") && r.stderr.contains(&port), "{}", r.stderr);

    let bare = Site::new();
    bare.init();
    let r = bare.qrgate(&["turnstile", "test"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("no turnstile is set up"), "{}", r.stderr);
}

/// `qrgate scan` over the frames in `folder` for up to two minutes, its decisions on a pipe.
fn long_scan(site: &Site, folder: &std::path::Path, fps: &str) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_qrgate"))
        .args(["--data", site.data().to_str().unwrap(), "scan", "--source"])
        .arg(format!("dir:{}", folder.display()))
        .args(["--fps", fps, "--seconds", "120"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The JSON lines of `scan`'s standard error that have one of `keys`, as they come.
fn heard_on_stderr(scan: &mut std::process::Child, keys: &'static [&'static str]) -> mpsc::Receiver<Value> {
    let (lines, heard) = mpsc::channel::<Value>();
    let stderr = BufReader::new(scan.stderr.take().unwrap());
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str::<Value>(&line) {
                if keys.iter().any(|k| v.get(k).is_some()) && lines.send(v).is_err() {
                    return;
                }
            }
        }
    });
    heard
}

#[test]
fn a_board_pulled_out_mid_run_is_an_alert_in_the_scan_and_in_the_sync_status() {
    let board = Pty::open();
    let site = site_with_board(&board);
    let folder = site.path("replay");
    std::fs::create_dir_all(&folder).unwrap();
    empty_gate_frame(1).save(folder.join("000.png")).unwrap();
    let mut scan = long_scan(&site, &folder, "5");
    let heard = heard_on_stderr(&mut scan, &["turnstile"]);
    let next = || heard.recv_timeout(PATIENCE).expect("a turnstile line on standard error")["turnstile"].clone();
    assert_eq!(next()["reachable"], true);
    board.unplug();
    let down = next();
    assert_eq!(down["reachable"], false, "{down}");
    assert!(down["problem"].as_str().unwrap().contains("/dev/pts/"), "{down}");
    let status = site.ok(&["sync", "--status"]).stdout;
    assert!(status.contains("ALERT, not reachable"), "{status}");
    scan.kill().unwrap();
    scan.wait().unwrap();
}

#[test]
fn an_entry_nobody_went_through_gets_its_follow_up_and_leaves_nobody_inside() {
    let line = Pty::open();
    let site = Site::new();
    site.init();
    site.ok(&["roster", "import", &site.write("roster.csv", ROSTER.as_bytes())]);
    let conf = site.data().join("kiosk.conf");
    let text = std::fs::read_to_string(&conf).unwrap();
    let wired = format!("port = \"{}\"\nin = 0\npassage = {SENSOR_INPUT}\n", line.path().display());
    let text = text
        .replacen("driver = \"none\"\n", "driver = \"modbus\"\n", 1)
        .replacen("port = \"\"\n", &wired, 1)
        .replacen("passage_seconds = 10\n", "passage_seconds = 1\n", 1)
        // The replayed badge comes round again: those scans are repeats, not passages.
        .replacen("debounce_seconds = 10\n", "debounce_seconds = 600\n", 1);
    assert!(text.contains("passage_seconds = 1\n") && text.contains("debounce_seconds = 600"), "{text}");
    std::fs::write(&conf, text).unwrap();
    let (tx, written) = mpsc::channel();
    let _module = qrgate_testkit::modbus::module(line, 1, tx, Sensor::default());

    let badge = site.ok(&["badge", "text", "NV001"]).stdout.trim().to_string();
    let folder = site.path("replay");
    std::fs::create_dir_all(&folder).unwrap();
    for k in 0..3 {
        held_badge_frame(k, &badge).save(folder.join(format!("{k:03}.png"))).unwrap();
    }
    empty_gate_frame(9).save(folder.join("003.png")).unwrap();
    let mut scan = long_scan(&site, &folder, "10");
    let heard = heard_on_stderr(&mut scan, &["not_passed", "not_passed_not_recorded"]);
    assert_eq!(written.recv_timeout(PATIENCE).unwrap(), (0, true), "the entry opened the gate");
    assert_eq!(written.recv_timeout(PATIENCE).unwrap(), (0, false));
    let told = heard.recv_timeout(PATIENCE).expect("the follow-up's line");
    scan.kill().unwrap();
    let entry = BufReader::new(scan.stdout.take().unwrap())
        .lines()
        .map_while(Result::ok)
        .map(|l| serde_json::from_str::<Value>(&l).unwrap())
        .find(|d| d["verdict"] == "accepted")
        .expect("the entry's decision");
    scan.wait().unwrap();
    assert_eq!(told["not_passed"]["follows"], entry["event_id"], "{told}");

    let db = rusqlite::Connection::open_with_flags(
        site.data().join("qrgate.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let (verdict, direction, follows): (String, String, String) = db
        .query_row(
            "SELECT verdict, direction, follows FROM events WHERE id = ?1",
            [told["not_passed"]["event"].as_str().unwrap()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!((verdict.as_str(), direction.as_str()), ("not_passed", "in"));
    assert_eq!(follows, entry["event_id"].as_str().unwrap());

    // HR's lists: nobody inside, and the event log shows the opening as one nobody went through.
    let inside = site.path("inside.csv");
    site.ok(&["export", "inside", "--format", "csv", "--out", inside.to_str().unwrap()]);
    let inside = std::fs::read_to_string(inside).unwrap();
    assert!(!inside.contains("NV001"), "{inside}");
    let log = site.path("events.csv");
    // The day before too: the scan may have been the last second of yesterday at the gate.
    let day = |d: i64| {
        (chrono::Utc::now() + chrono::Duration::hours(7) + chrono::Duration::days(d)).format("%Y-%m-%d").to_string()
    };
    let (from, to) = (day(-1), day(0));
    site.ok(&["export", "events", "--from", &from, "--to", &to, "--format", "csv", "--out", log.to_str().unwrap()]);
    let log = std::fs::read_to_string(log).unwrap();
    assert!(log.lines().any(|l| l.contains("NV001") && l.contains("Không qua cổng")), "{log}");
}

#[test]
fn the_out_lane_of_a_two_lane_gate_lets_a_worker_out_on_its_own_output_and_records_its_lane() {
    let mut board = Pty::open();
    let site = site_with_board(&board);
    let badge = site.ok(&["badge", "text", "NV001"]).stdout.trim().to_string();
    let folder = site.path("replay");
    std::fs::create_dir_all(&folder).unwrap();
    for k in 0..3 {
        held_badge_frame(k, &badge).save(folder.join(format!("{k:03}.png"))).unwrap();
    }
    let source = format!("dir:{}", folder.display());
    let data = site.data();
    let scan_lane_2 = ["--data", data.to_str().unwrap(), "scan", "--source", &source, "--lane", "2"];

    // One camera: there is no lane 2 to be.
    let refused = site.qrgate(&scan_lane_2[2..]);
    assert_eq!(refused.code, 3, "{}", refused.stderr);
    assert!(refused.stderr.contains("no lane 2"), "{}", refused.stderr);

    // Two lanes: the first camera lets people in, the second out. `[gate] mode` stays auto,
    // which alone would make NV001's first scan an entry.
    let conf = site.data().join("kiosk.conf");
    let text = std::fs::read_to_string(&conf).unwrap();
    let lanes = text.replacen("[camera]\n", "[[camera]]\ndirection = \"in\"\n", 1)
        + "\n[[camera]]\nsource = \"camera:1\"\ndirection = \"out\"\n";
    std::fs::write(&conf, lanes).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_qrgate"))
        .args(scan_lane_2)
        .args(["--fps", "50", "--frames", "3"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (pulse, _) = board.read(8, PATIENCE);
    assert_eq!(pulse, [0xA0, 0x02, 0x01, 0xA3, 0xA0, 0x02, 0x00, 0xA2], "the OUT output (channel 2)");
    let decision: Value = serde_json::from_str(String::from_utf8(out.stdout).unwrap().lines().next().unwrap()).unwrap();
    assert_eq!((decision["direction"].as_str(), decision["lane"].as_u64()), (Some("out"), Some(2)));
    let db = rusqlite::Connection::open(site.data().join("qrgate.db")).unwrap();
    let (direction, lane): (String, i64) = db
        .query_row("SELECT direction, lane FROM events WHERE person_ref = 'NV001'", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_eq!((direction.as_str(), lane), ("out", 2));
}
