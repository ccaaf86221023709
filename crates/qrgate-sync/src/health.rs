//! The kiosk's health, told to the province at the end of every sync round that could reach it:
//! the gate's live state ([`GateCell`], which the window's frame loops and turnstile keep), what
//! waits in the outbox, the disk, the kiosk's own clock, and its last error and restart.
//!
//! A report is a nicety beside the events: a server older than the health path (404) is left
//! alone, and any other failure is kept as the status's `health_error`, never the round's.
//! While the kiosk's state stays the same, a report goes at most every [`HEALTH_EVERY`]: at a
//! shift change rounds come every few seconds, and a report each would add a third of the
//! province's requests for nothing it needs (it calls a kiosk silent after an hour).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use qrgate_core::datadir::DataDir;
use qrgate_core::store::Store;
use qrgate_core::Clock;
use qrgate_protocol::check::{fit, Field};
pub use qrgate_protocol::health::DeviceState;
use qrgate_protocol::health::{HealthReport, Incident};
use rand::{CryptoRng, RngCore};

use crate::error::{Error, Result};
use crate::{outbox, LastError, Round};

/// How often a report goes while nothing in the kiosk's state changed.
pub const HEALTH_EVERY: chrono::Duration = chrono::Duration::seconds(60);

/// The kiosk's version: every crate and package shares the workspace's one version.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The gate's live state, one per kiosk: the frame loops and the turnstile write it as things
/// change, the sync loop reads it for each report. Clones share one state.
#[derive(Debug, Clone, Default)]
pub struct GateCell(Arc<Mutex<GateState>>);

/// What the gate's devices last said.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GateState {
    /// Each camera's state by its place in kiosk.conf (two on a two-lane gate).
    cameras: BTreeMap<usize, DeviceState>,
    pub turnstile: DeviceState,
    /// The latest problem a device told, and when.
    pub problem: Option<(DateTime<Utc>, String)>,
}

impl GateState {
    /// The cameras as one state: the one that most needs attention, so a failing second lane is
    /// not hidden by a working first one.
    pub fn camera(&self) -> DeviceState {
        self.cameras.values().copied().max().unwrap_or_default()
    }
}

impl GateCell {
    /// A gate whose turnstile is known from the start (absent when kiosk.conf names none).
    pub fn with_turnstile(state: DeviceState) -> GateCell {
        GateCell(Arc::new(Mutex::new(GateState { turnstile: state, ..GateState::default() })))
    }

    /// Camera `index` is in `state` as of `now`; `problem` says why when it is not working.
    pub fn set_camera(&self, index: usize, state: DeviceState, problem: Option<&str>, now: DateTime<Utc>) {
        self.change(now, problem, |gate| {
            gate.cameras.insert(index, state);
        });
    }

    /// The turnstile is in `state` as of `now`; `problem` says why when it is not working.
    pub fn set_turnstile(&self, state: DeviceState, problem: Option<&str>, now: DateTime<Utc>) {
        self.change(now, problem, |gate| gate.turnstile = state);
    }

    pub fn get(&self) -> GateState {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn change(&self, now: DateTime<Utc>, problem: Option<&str>, set: impl FnOnce(&mut GateState)) {
        // A poisoned lock still holds a whole state: each change is one assignment.
        let mut gate = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        set(&mut gate);
        if let Some(problem) = problem {
            gate.problem = Some((now, problem.to_string()));
        }
    }
}

/// The round's end: the report, sent when due ([`is_due`]) unless the round found the province
/// unreachable (a report would only find it so too). Its outcome is kept as the status's `health_error`; only a
/// failure to keep that is an error here.
pub(crate) fn end_round(
    store: &Store,
    client: &crate::Client,
    clock: &impl Clock,
    rng: &mut (impl RngCore + CryptoRng),
    settings: &crate::Settings,
    round: &Result<Round>,
) -> Result<()> {
    if round.as_ref().is_err_and(Error::is_unavailable) {
        return Ok(());
    }
    let now = clock.now();
    let sent = report(store, settings, now, round).and_then(|r| {
        let state = StateSaid::of(&r);
        if !is_due(store, &state, now)? {
            return Ok(None);
        }
        client.health(&r, now.timestamp_millis(), crate::nonce(rng))?;
        Ok(Some(state))
    });
    let conn = store.connection();
    match sent {
        Ok(None) => {}
        Ok(Some(state)) => {
            conn.execute("DELETE FROM sync_state WHERE key = ?1", [outbox::HEALTH_ERROR])?;
            let sent = Sent { at_ms: now.timestamp_millis(), state };
            outbox::set_state(conn, outbox::HEALTH_SENT, &serde_json::to_string(&sent).expect("plain data"))?;
        }
        // A server older than the health path: nothing is wrong with this kiosk or with it.
        Err(Error::Refused { status: 404, .. }) => {
            conn.execute("DELETE FROM sync_state WHERE key = ?1", [outbox::HEALTH_ERROR])?;
        }
        Err(e) => {
            let error = LastError { code: e.detail_code().into(), message: e.to_string(), at: clock.now() };
            outbox::set_state(conn, outbox::HEALTH_ERROR, &serde_json::to_string(&error).expect("plain data"))?;
        }
    }
    Ok(())
}

/// What a report says of the kiosk's state, as against what changes by itself (the clock, the
/// events waiting, the free disk): a change here goes to the province at the round's end.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct StateSaid {
    version: String,
    gate: Option<String>,
    camera: String,
    turnstile: String,
    last_error: Option<(i64, String)>,
    last_restart: Option<(i64, String)>,
}

impl StateSaid {
    fn of(r: &HealthReport) -> StateSaid {
        let incident = |i: &Option<Incident>| i.as_ref().map(|i| (i.at_ms, i.text.clone()));
        StateSaid {
            version: r.version.clone(),
            gate: r.gate.clone(),
            camera: r.camera.clone(),
            turnstile: r.turnstile.clone(),
            last_error: incident(&r.last_error),
            last_restart: incident(&r.last_restart),
        }
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Sent {
    at_ms: i64,
    state: StateSaid,
}

/// A report is due when none was taken yet, the state changed since the last one, or that one is
/// [`HEALTH_EVERY`] old (or from a time ahead of now: the kiosk's clock was set back).
fn is_due(store: &Store, state: &StateSaid, now: DateTime<Utc>) -> Result<bool> {
    let Some(last) = saved::<Sent>(store, outbox::HEALTH_SENT)? else { return Ok(true) };
    let age = now.timestamp_millis() - last.at_ms;
    Ok(last.state != *state || !(0..HEALTH_EVERY.num_milliseconds()).contains(&age))
}

/// The report as of `now`, the kiosk's own clock, uncorrected: the server measures the offset.
fn report(
    store: &Store,
    settings: &crate::Settings,
    now: DateTime<Utc>,
    round: &Result<Round>,
) -> Result<HealthReport> {
    let gate = settings.gate.get();
    // The data directory is the database's own (`DataDir::database`).
    let data = store.path().parent().map(DataDir::new);
    let last_restart =
        data.as_ref().and_then(|d| qrgate_core::supervision::last_restart(d).ok().flatten()).map(|r| Incident {
            at_ms: r.at.timestamp_millis(),
            text: fit(Field::RestartReason, &format!("{}: {}", r.program, r.why())),
        });
    Ok(HealthReport {
        enterprise: store.identity().enterprise.to_string(),
        version: VERSION.into(),
        gate: settings.gate_name.as_deref().map(|g| fit(Field::Gate, g)).filter(|g| !g.is_empty()),
        events_waiting: outbox::waiting(store)?,
        clock_ms: now.timestamp_millis(),
        camera: gate.camera().as_str().into(),
        turnstile: gate.turnstile.as_str().into(),
        free_disk_bytes: data.and_then(|d| d.free_bytes().ok()),
        last_error: last_error(store, &gate, now, round)?,
        last_restart,
    })
}

/// The latest problem the kiosk knows of: this round's failure, the last round's (its status
/// is saved after this report), a roster the province refused, or what a device last told.
fn last_error(store: &Store, gate: &GateState, now: DateTime<Utc>, round: &Result<Round>) -> Result<Option<Incident>> {
    let previous = saved::<crate::SyncStatus>(store, outbox::STATUS)?.and_then(|s| s.last_error);
    let roster = saved::<LastError>(store, outbox::ROSTER_ERROR)?;
    let mut known: Vec<(DateTime<Utc>, String)> = Vec::new();
    if let Err(e) = round {
        known.push((now, format!("{}: {e}", e.detail_code())));
    }
    for e in [previous, roster].into_iter().flatten() {
        known.push((e.at, format!("{}: {}", e.code, e.message)));
    }
    known.extend(gate.problem.clone());
    Ok(known
        .into_iter()
        .max_by_key(|(at, _)| *at)
        .map(|(at, text)| Incident { at_ms: at.timestamp_millis(), text: fit(Field::ErrorText, &text) }))
}

/// What the outbox keeps under `key` as JSON; one that no longer reads is none.
fn saved<T: serde::de::DeserializeOwned>(store: &Store, key: &str) -> Result<Option<T>> {
    Ok(outbox::state(store.connection(), key)?.and_then(|s| serde_json::from_str(&s).ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_cameras_are_the_one_most_in_need_and_clones_share_the_gate() {
        let cell = GateCell::default();
        assert_eq!((cell.get().camera(), cell.get().turnstile), (DeviceState::Unknown, DeviceState::Unknown));
        let shared = cell.clone();
        let t = at("2026-11-25T08:00:00Z");
        shared.set_camera(0, DeviceState::Working, None, t);
        assert_eq!(cell.get().camera(), DeviceState::Working);
        shared.set_camera(1, DeviceState::Failing, Some("lane 2: no frames"), t);
        cell.set_camera(0, DeviceState::Working, None, t + chrono::Duration::seconds(1));
        assert_eq!(cell.get().camera(), DeviceState::Failing, "lane 1 working does not hide lane 2");
        assert_eq!(cell.get().problem, Some((t, "lane 2: no frames".into())), "a working camera clears no problem");
        cell.set_turnstile(DeviceState::Failing, Some("/dev/ttyUSB0: gone"), t + chrono::Duration::seconds(2));
        assert_eq!(shared.get().turnstile, DeviceState::Failing);
        assert_eq!(shared.get().problem.unwrap().1, "/dev/ttyUSB0: gone");
        assert_eq!(GateCell::with_turnstile(DeviceState::Absent).get().turnstile, DeviceState::Absent);
    }

    #[test]
    fn a_report_tells_the_latest_problem_fitted_and_the_kiosks_own_clock() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::test_store(dir.path());
        let settings = crate::Settings { gate_name: Some("Cổng\tchính".into()), ..crate::Settings::default() };
        let t0 = at("2026-11-25T08:00:00Z");
        let r = report(&store, &settings, t0, &Ok(Round::default())).unwrap();
        assert_eq!(r.clock_ms, t0.timestamp_millis());
        assert_eq!((r.version.as_str(), r.gate.as_deref()), (VERSION, Some("Cổng chính")));
        assert_eq!((r.camera.as_str(), r.turnstile.as_str(), r.events_waiting), ("unknown", "unknown", 0));
        assert!(r.free_disk_bytes.is_some_and(|b| b > 0));
        assert_eq!((r.last_error, r.last_restart), (None, None));

        // A device's problem an hour ago, then a round that fails now: the round's is the latest.
        settings.gate.set_turnstile(DeviceState::Failing, Some("relay\nboard gone"), t0 - chrono::Duration::hours(1));
        let r = report(&store, &settings, t0, &Ok(Round::default())).unwrap();
        let e = r.last_error.unwrap();
        assert_eq!(
            (e.at_ms, e.text.as_str()),
            ((t0 - chrono::Duration::hours(1)).timestamp_millis(), "relay board gone")
        );
        let refused = Error::Refused { status: 403, code: "wrong_enterprise".into(), message: "x".repeat(900) };
        let r = report(&store, &settings, t0, &Err(refused)).unwrap();
        let e = r.last_error.clone().unwrap();
        assert_eq!(e.at_ms, t0.timestamp_millis());
        assert!(e.text.starts_with("wrong_enterprise: the server refused"), "{}", e.text);
        assert_eq!(e.text.chars().count(), Field::ErrorText.max_chars(), "cut to what the province takes");
        let checked = r.clone().check(t0.timestamp_millis()).expect("the province takes what the kiosk makes");
        assert_eq!(checked.turnstile(), DeviceState::Failing);
    }

    #[test]
    fn a_report_tells_the_last_restart_kept_in_the_data_directory() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::test_store(dir.path());
        let data = DataDir::new(dir.path());
        let t0 = at("2026-11-25T07:00:00Z");
        let t1 = at("2026-11-25T07:30:00Z");
        // A run whose mark is still there when the next starts ended without stopping itself.
        let (_first, none) = qrgate_core::supervision::Run::begin(&data, "the kiosk window", t0).unwrap();
        assert_eq!(none, None);
        let (_second, restart) = qrgate_core::supervision::Run::begin(&data, "the kiosk window", t1).unwrap();
        assert!(restart.is_some());
        let r = report(&store, &crate::Settings::default(), t1, &Ok(Round::default())).unwrap();
        let restart = r.last_restart.clone().unwrap();
        assert_eq!(restart.at_ms, t1.timestamp_millis());
        assert!(
            restart.text.starts_with("the kiosk window: the previous run ended without stopping"),
            "{}",
            restart.text
        );
        r.check(t1.timestamp_millis()).unwrap();
    }
}
