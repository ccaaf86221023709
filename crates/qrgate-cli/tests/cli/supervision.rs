//! `qrgate scan` under a service manager: systemd's notify protocol on a real datagram socket
//! (ready, the watchdog's pings from the frame loop, stopping), and a start after a kill that
//! `qrgate sync --status` reports as a restart.

use std::os::unix::net::UnixDatagram;
use std::process::{Command, Stdio};
use std::time::Duration;

use qrgate_scan::synth::empty_gate_frame;

use crate::support::Site;

/// What the service manager would read: the next state the kiosk sent.
fn heard(manager: &UnixDatagram) -> String {
    let mut buf = [0u8; 128];
    let n = manager.recv(&mut buf).expect("a notification within the timeout");
    String::from_utf8(buf[..n].to_vec()).unwrap()
}

fn scan(site: &Site, socket: &std::path::Path, seconds: &str) -> Command {
    let folder = site.path("replay");
    std::fs::create_dir_all(&folder).unwrap();
    empty_gate_frame(3).save(folder.join("000.png")).unwrap();
    let mut scan = Command::new(env!("CARGO_BIN_EXE_qrgate"));
    scan.args(["--data", site.data().to_str().unwrap(), "scan", "--source"])
        .arg(format!("dir:{}", folder.display()))
        .args(["--fps", "20", "--seconds", seconds])
        .env("NOTIFY_SOCKET", socket)
        // A ping every 50 ms: a test reads several in a second.
        .env("WATCHDOG_USEC", "100000")
        .env_remove("WATCHDOG_PID");
    scan
}

#[test]
fn the_frame_loop_notifies_ready_then_pings_and_a_killed_run_is_reported_as_a_restart() {
    let site = Site::new();
    site.init();
    let socket = site.path("notify");
    let manager = UnixDatagram::bind(&socket).unwrap();
    manager.set_read_timeout(Some(Duration::from_secs(20))).unwrap();

    // A run that ends by itself: ready, pings, stopping; no restart afterwards.
    let out = scan(&site, &socket, "0.5").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(heard(&manager), "READY=1");
    let mut states = vec![heard(&manager)];
    while states.last().map(String::as_str) != Some("STOPPING=1") {
        states.push(heard(&manager));
    }
    assert!(states.len() >= 3 && states[..states.len() - 1].iter().all(|s| s == "WATCHDOG=1"), "{states:?}");
    let status = site.ok(&["sync", "--status"]).stdout;
    assert!(!status.contains("last restart"), "{status}");

    // `systemctl stop` sends SIGTERM: the run stops itself, and that is no restart either.
    let mut stopped = scan(&site, &socket, "120").stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    assert_eq!(heard(&manager), "READY=1");
    let term = Command::new("kill").args(["-TERM", &stopped.id().to_string()]).status().unwrap();
    assert!(term.success());
    assert!(stopped.wait().unwrap().success(), "SIGTERM ends the scan as a clean stop");
    while heard(&manager) != "STOPPING=1" {}
    let first = scan(&site, &socket, "0.2").output().unwrap();
    assert!(!String::from_utf8_lossy(&first.stderr).contains("restarted"));
    while heard(&manager) != "STOPPING=1" {}

    // A run killed mid-way (SIGKILL: a crash, the watchdog) leaves its mark; the next start says
    // it restarted.
    let mut killed = scan(&site, &socket, "120").stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    assert_eq!(heard(&manager), "READY=1");
    killed.kill().unwrap();
    killed.wait().unwrap();
    let out = scan(&site, &socket, "0.2").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("\"restarted\"") && stderr.contains("without stopping itself"), "{stderr}");
    let status = site.ok(&["sync", "--status"]).stdout;
    assert!(status.contains("last restart: qrgate scan at "), "{status}");
}

#[test]
fn a_frame_loop_that_hangs_stops_the_pings_and_the_watchdogs_kill_is_reported_as_a_restart() {
    let site = Site::new();
    site.init();
    let socket = site.path("notify");
    let manager = UnixDatagram::bind(&socket).unwrap();
    manager.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    // The unit's WatchdogSec as systemd passes it (0.4 s), naming the unit's main process: here
    // this test, as the compositor is under the gate PC's unit, the kiosk its child.
    let watchdog_sec = Duration::from_millis(400);
    let mut hung = scan(&site, &socket, "120");
    hung.args(["--hang-after-frames", "10"])
        .env("WATCHDOG_USEC", watchdog_sec.as_micros().to_string())
        .env("WATCHDOG_PID", std::process::id().to_string());
    let mut hung = hung.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    assert_eq!(heard(&manager), "READY=1");
    assert_eq!(heard(&manager), "WATCHDOG=1", "the frame loop pings while frames flow");

    // The loop hangs after its tenth frame: the pings stop, the process does not end. What
    // systemd's watchdog sees is a whole WatchdogSec (three here) without a ping.
    manager.set_read_timeout(Some(3 * watchdog_sec)).unwrap();
    let mut buf = [0u8; 128];
    let mut pings_before_the_hang = 1;
    while let Ok(n) = manager.recv(&mut buf) {
        assert_eq!(&buf[..n], b"WATCHDOG=1");
        pings_before_the_hang += 1;
        assert!(pings_before_the_hang < 50, "the loop never hung: the pings go on");
    }
    assert!(hung.try_wait().unwrap().is_none(), "hung, not ended: only the watchdog ends it");

    // systemd's part: WatchdogSignal (SIGABRT by default), then Restart=always starts it again,
    // and the new run knows the last one did not stop by itself.
    let abort = Command::new("kill").args(["-ABRT", &hung.id().to_string()]).status().unwrap();
    assert!(abort.success());
    assert!(!hung.wait().unwrap().success());
    let again = scan(&site, &socket, "0.2").output().unwrap();
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(again.status.success(), "{stderr}");
    assert!(stderr.contains("\"restarted\"") && stderr.contains("without stopping itself"), "{stderr}");
    let status = site.ok(&["sync", "--status"]).stdout;
    assert!(status.contains("last restart: qrgate scan at "), "{status}");
}
