//! The kiosk under a service manager: systemd's notify protocol (ready, then the watchdog's pings
//! from the loop whose hang it must catch) and a record of each start that followed a stop the
//! kiosk did not make itself (a crash, a kill, the watchdog, a power cut), for the guard screen and
//! `qrgate sync --status`.

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::datadir::{replace_private_file, DataDir};
use crate::error::{Error, Result};

/// The pings systemd's watchdog expects, sent to `NOTIFY_SOCKET` when the service manager set one.
pub struct Watchdog {
    socket: Option<(UnixDatagram, String)>,
    /// Half the manager's `WatchdogSec`: a ping late by a whole frame still arrives in time.
    every: Option<Duration>,
    last: Option<Instant>,
}

impl Watchdog {
    /// As the service manager set this process up (`NOTIFY_SOCKET`, `WATCHDOG_USEC`,
    /// `WATCHDOG_PID`); without them every call does nothing.
    pub fn from_env() -> Watchdog {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let socket = var("NOTIFY_SOCKET").and_then(|path| UnixDatagram::unbound().ok().map(|s| (s, path)));
        // The watchdog names the unit's main process. Under `cage` (the gate PC's unit) that is
        // the compositor, whose one client is this kiosk: the pings come from the kiosk, and the
        // unit's NotifyAccess=all lets systemd take them.
        let ours = var("WATCHDOG_PID").is_none_or(|pid| {
            pid == std::process::id().to_string() || pid == std::os::unix::process::parent_id().to_string()
        });
        let every = var("WATCHDOG_USEC")
            .and_then(|usec| usec.parse::<u64>().ok())
            .filter(|usec| *usec > 0 && ours)
            .map(|usec| Duration::from_micros(usec / 2));
        Watchdog { socket, every, last: None }
    }

    /// The kiosk is up: the manager counts it started from now.
    pub fn ready(&self) {
        self.send("READY=1");
    }

    /// The loop went round once more; pings when half the watchdog's time has passed since the
    /// last ping. Call it from the loop itself: a timer thread would ping on while the loop hangs.
    pub fn alive(&mut self, now: Instant) {
        let Some(every) = self.every else { return };
        if self.last.is_none_or(|last| now.duration_since(last) >= every) {
            self.send("WATCHDOG=1");
            self.last = Some(now);
        }
    }

    /// The kiosk is stopping on purpose.
    pub fn stopping(&self) {
        self.send("STOPPING=1");
    }

    fn send(&self, state: &str) {
        let Some((socket, path)) = &self.socket else { return };
        // An abstract socket's name starts with '@' in the variable and with a NUL on the wire.
        let sent = match path.strip_prefix('@') {
            Some(name) => {
                use std::os::linux::net::SocketAddrExt;
                std::os::unix::net::SocketAddr::from_abstract_name(name)
                    .and_then(|address| socket.send_to_addr(state.as_bytes(), &address))
            }
            None => socket.send_to(state.as_bytes(), path),
        };
        // The manager going away must not take the gate with it; it will restart the kiosk anyway.
        let _ = sent;
    }
}

/// A run of one of the kiosk's programs, marked in the data directory while it lasts.
pub struct Run {
    marker: PathBuf,
}

/// What a running program writes when it starts and deletes when it stops on purpose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Marker {
    program: String,
    pid: u32,
    started: DateTime<Utc>,
}

/// A start that followed a stop the kiosk did not make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Restart {
    /// When the program started again.
    pub at: DateTime<Utc>,
    /// "the kiosk window" or "qrgate scan".
    pub program: String,
    /// When the run that ended without stopping had started.
    pub previous_start: DateTime<Utc>,
}

impl Restart {
    /// Why, in words: the kiosk cannot tell a crash from a kill or a power cut, only that it did
    /// not stop itself.
    pub fn why(&self) -> &'static str {
        "the previous run ended without stopping itself (a crash, the watchdog, a kill or a power cut)"
    }
}

/// Whether process `pid` is alive on this machine (another instance of the program, not a dead one).
fn alive(pid: u32) -> bool {
    pid != std::process::id() && Path::new("/proc").join(pid.to_string()).exists()
}

impl Run {
    /// Marks `program` as running from `now`. When the previous run's mark is still there and
    /// its process is gone, that run ended without stopping itself: the restart is kept in the
    /// data directory and returned.
    pub fn begin(data: &DataDir, program: &str, now: DateTime<Utc>) -> Result<(Run, Option<Restart>)> {
        let marker = data.running_mark(program);
        let previous: Option<Marker> = match std::fs::read(&marker) {
            Ok(bytes) => serde_json::from_slice(&bytes).ok(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(Error::io(&marker)(e)),
        };
        let restart = previous.filter(|p| !alive(p.pid)).map(|p| Restart {
            at: now,
            program: program.to_string(),
            previous_start: p.started,
        });
        if let Some(restart) = &restart {
            let json = serde_json::to_vec_pretty(restart).expect("a restart serialises");
            replace_private_file(&data.last_restart(), &json)?;
        }
        let mark = Marker { program: program.to_string(), pid: std::process::id(), started: now };
        replace_private_file(&marker, &serde_json::to_vec_pretty(&mark).expect("a marker serialises"))?;
        Ok((Run { marker }, restart))
    }

    /// The program stops on purpose: the next start is no restart. Not done on drop, so a panic
    /// that unwinds still counts as the unclean stop it is.
    pub fn finish(self) {
        let _ = std::fs::remove_file(&self.marker);
    }
}

/// The latest restart kept in the data directory, if any.
pub fn last_restart(data: &DataDir) -> Result<Option<Restart>> {
    let path = data.last_restart();
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| Error::io(&path)(std::io::Error::new(std::io::ErrorKind::InvalidData, e))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(&path)(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_that_finished_is_no_restart_and_one_that_did_not_is() {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir { root: dir.path().to_path_buf() };
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let (run, restart) = Run::begin(&data, "qrgate scan", t("2026-12-02T01:00:00Z")).unwrap();
        assert_eq!(restart, None);
        run.finish();
        let (run, restart) = Run::begin(&data, "qrgate scan", t("2026-12-02T02:00:00Z")).unwrap();
        assert_eq!(restart, None, "the last run stopped itself");
        // The process is gone without finishing: the marker stays, naming a pid that is no more.
        drop(run);
        let stale = Marker { program: "qrgate scan".into(), pid: u32::MAX, started: t("2026-12-02T02:00:00Z") };
        std::fs::write(data.running_mark("qrgate scan"), serde_json::to_vec(&stale).unwrap()).unwrap();
        let (_run, restart) = Run::begin(&data, "qrgate scan", t("2026-12-02T03:00:00Z")).unwrap();
        let restart = restart.expect("a restart");
        assert_eq!((restart.at, restart.previous_start), (t("2026-12-02T03:00:00Z"), t("2026-12-02T02:00:00Z")));
        assert_eq!(last_restart(&data).unwrap(), Some(restart));
    }

    #[test]
    fn the_watchdog_pings_the_managers_socket_at_half_its_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let manager = UnixDatagram::bind(&path).unwrap();
        manager.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut dog = Watchdog {
            socket: Some((UnixDatagram::unbound().unwrap(), path.display().to_string())),
            every: Some(Duration::from_secs(10)),
            last: None,
        };
        let read = || {
            let mut buf = [0u8; 64];
            let n = manager.recv(&mut buf).unwrap();
            String::from_utf8(buf[..n].to_vec()).unwrap()
        };
        dog.ready();
        assert_eq!(read(), "READY=1");
        let start = Instant::now();
        dog.alive(start);
        dog.alive(start + Duration::from_secs(9));
        dog.alive(start + Duration::from_secs(10));
        dog.stopping();
        assert_eq!([read(), read(), read()], ["WATCHDOG=1", "WATCHDOG=1", "STOPPING=1"]);
        let silent = Watchdog { socket: None, every: None, last: None };
        silent.ready();
    }
}
