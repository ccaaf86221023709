//! The gate's outputs as the window drives them: started with the frame loop, told each decision
//! once its event is committed, and its health pushed to the guard screen (the `turnstile` event),
//! kept for `qrgate sync --status` and in the gate's cell for sync's health report. An opening nobody went through is recorded as its entry's
//! follow-up and told to the guard screen (the `not_passed` event).

use chrono::Utc;
use qrgate_core::config::Config;
use qrgate_core::datadir::DataDir;
use qrgate_core::gate::Decision;
use qrgate_sync::{DeviceState, GateCell};
use qrgate_turnstile::{Seen, Turnstile};
use tauri::{AppHandle, Emitter, Manager};

use crate::Shell;

/// Starts the turnstile kiosk.conf names, if any; `gate` hears its state (absent when none).
pub fn start(config: &Config, data: &DataDir, app: AppHandle, gate: GateCell) -> Option<Turnstile> {
    let path = data.turnstile_health();
    let told_gate = gate.clone();
    let zone = config.time.timezone;
    let rule = qrgate_core::presence::InsideRule::of(config);
    let database = data.database();
    let told = app.clone();
    let started = Turnstile::start(
        &config.turnstile,
        move |health| {
            if let Some(problem) = &health.problem {
                eprintln!("qrgate-kiosk: turnstile: {} cannot be reached: {problem}", health.device);
            }
            let state = if health.reachable { DeviceState::Working } else { DeviceState::Failing };
            let problem = health.problem.as_ref().map(|p| format!("turnstile: {}: {p}", health.device));
            told_gate.set_turnstile(state, problem.as_deref(), Utc::now());
            // Kept before it is shown, so the screen never says more than `sync --status` can.
            if let Err(e) = (Seen { health: health.clone(), at: Utc::now() }).save(&path) {
                eprintln!("qrgate-kiosk: the turnstile's status cannot be kept in {}: {e}", path.display());
            }
            let _ = app.emit("turnstile", health);
        },
        move |entry| {
            // Its own connection: the turnstile's thread must not wait for the desk's lock. The
            // counts change with it: the person is back where they were before the opening.
            let written = qrgate_core::store::Store::open(&database).and_then(|mut store| {
                let now = Utc::now();
                let event = qrgate_core::gate::record_not_passed(&mut store, zone, entry, now, uuid::Uuid::now_v7())?;
                event.map(|e| Ok((e, store.inside_counts(rule, now)?))).transpose()
            });
            match written {
                Ok(Some((event, inside))) => {
                    let _ = told.emit("not_passed", crate::view::NotPassed::of(&event, inside.into()));
                }
                Ok(None) => {}
                Err(e) => eprintln!("qrgate-kiosk: an opening nobody went through could not be recorded: {e}"),
            }
        },
    );
    if started.is_none() {
        gate.set_turnstile(DeviceState::Absent, None, Utc::now());
    }
    started
}

/// Opens the gate if `decision` lets someone through. Called after the desk returned it, so
/// after its event was committed.
pub fn follow(app: &AppHandle, decision: &Decision) {
    if let Some(turnstile) = app.state::<Shell>().turnstile.get() {
        turnstile.follow(decision);
    }
}
