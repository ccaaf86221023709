//! The kiosk window: a thin Tauri shell that feeds frames and typed scans to the gate engine and
//! pushes each decision to the guard screen in ui/. It decides nothing itself.

mod launch;
mod pipeline;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use qrgate_core::datadir::DataDir;
use qrgate_core::gate::{Decision, Gate, Scan};
use qrgate_core::kiosk::{self, DemoSize, InsideCounts};
use qrgate_core::model::Method;
use qrgate_core::store::Store;
use qrgate_scan::{Fps, SourceSpec};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, State};

/// The engine's state, shared by the frame loop and the window's commands.
pub struct Kiosk {
    store: Store,
    gate: Gate,
}

/// What the window's commands share.
struct Shell {
    kiosk: Arc<Mutex<Kiosk>>,
    /// The frame loop waits for the screen: a decision made before the window listens is lost.
    pending: Mutex<Option<(SourceSpec, Fps)>>,
    heading: Heading,
    /// Kept alive so a demo's temporary directory lasts as long as the kiosk.
    _temp: Option<tempfile::TempDir>,
    /// When the process started, for the window-ready time printed once the screen is up.
    started: std::time::Instant,
}

#[derive(Clone, Serialize)]
struct Heading {
    enterprise: String,
    gate: String,
    kiosk_id: String,
    /// The kiosk's time zone (IANA name): the screen's clock shows the gate's time, like its events.
    timezone: String,
    demo: bool,
}

/// A decision as the screen gets it.
#[derive(Serialize, Clone)]
struct Shown {
    decision: Decision,
    /// Milliseconds since the epoch when the frame entered the pipeline (camera scans only).
    frame_ms: Option<i64>,
    inside: InsideCounts,
}

/// An error the screen can switch on (`code`) and show (`message`).
#[derive(Serialize, Clone)]
struct Failure {
    code: String,
    message: String,
}

impl From<qrgate_core::Error> for Failure {
    fn from(e: qrgate_core::Error) -> Failure {
        Failure { code: e.code().to_string(), message: e.to_string() }
    }
}

/// One scan through the gate and onto the screen; a storage failure is an alert, never silence.
pub fn decide(kiosk: &Mutex<Kiosk>, app: &AppHandle, text: &str, method: Method, entered: Option<DateTime<Utc>>) {
    let outcome = {
        let mut k = kiosk.lock().expect("kiosk lock");
        let Kiosk { store, gate } = &mut *k;
        let scan = Scan { method, ..Scan::camera(text) };
        gate.check(store, &scan, Utc::now(), uuid::Uuid::now_v7())
            .and_then(|decision| Ok(Shown { decision, frame_ms: entered.map(|t| t.timestamp_millis()), inside: kiosk::inside_counts(store)? }))
    };
    match outcome {
        Ok(shown) => {
            let _ = app.emit("decision", shown);
        }
        Err(e) => {
            let _ = app.emit("alert", Failure::from(e));
        }
    }
}

#[derive(Serialize)]
struct Screen {
    heading: Heading,
    inside: InsideCounts,
}

/// The screen is up: start the frame loop (once) and say what to show.
#[tauri::command]
fn screen_ready(shell: State<'_, Shell>, app: AppHandle) -> Result<Screen, Failure> {
    if let Some((spec, fps)) = shell.pending.lock().expect("pending lock").take() {
        eprintln!("qrgate-kiosk: measure: screen ready {} ms after start", shell.started.elapsed().as_millis());
        let kiosk = shell.kiosk.clone();
        std::thread::Builder::new()
            .name("frames".into())
            .spawn(move || pipeline::run(spec, fps, kiosk, app))
            .map_err(|e| Failure { code: "thread".into(), message: e.to_string() })?;
    }
    let inside = kiosk::inside_counts(&shell.kiosk.lock().expect("kiosk lock").store)?;
    Ok(Screen { heading: shell.heading.clone(), inside })
}

/// A USB scanner typed a QR text and Enter.
#[tauri::command]
fn scan_typed(text: String, shell: State<'_, Shell>, app: AppHandle) {
    decide(&shell.kiosk, &app, text.trim(), Method::Badge, None);
}

fn open(launch: &launch::Launch, started: std::time::Instant) -> Result<Shell, String> {
    let temp = match (&launch.data, launch.demo) {
        (None, true) => Some(tempfile::Builder::new().prefix("qrgate-demo-").tempdir().map_err(|e| e.to_string())?),
        _ => None,
    };
    let root = match (&temp, &launch.data) {
        (Some(t), _) => t.path().join("kiosk"),
        (None, Some(d)) => d.clone(),
        (None, None) => dirs::data_dir().unwrap_or_else(|| PathBuf::from(".")).join("qrgate"),
    };
    let data = DataDir::new(root);
    let demo_frames = if launch.demo {
        let script = kiosk::prepare_demo(&data, DemoSize::default(), &mut rand::rngs::OsRng, Utc::now()).map_err(|e| e.to_string())?;
        eprintln!("qrgate-kiosk: demo enterprise in {} (ready {} ms after start)", data.root.display(), started.elapsed().as_millis());
        Some((SourceSpec::Replay { path: script.frames }, Fps::new(script.fps).map_err(|e| e.to_string())?))
    } else {
        None
    };
    let (store, config) = data.open().map_err(|e| e.to_string())?;
    let heading = Heading {
        enterprise: store.identity().enterprise_name.clone(),
        gate: config.gate.name.clone(),
        kiosk_id: store.identity().kiosk_id.to_string(),
        timezone: config.time.timezone.to_string(),
        demo: launch.demo,
    };
    let gate = Gate::new(&store, config).map_err(|e| e.to_string())?;
    let default_fps = Fps::new(15.0).expect("15 fps is a valid rate");
    let (spec, fps) = match (launch.source.clone(), demo_frames) {
        (Some(spec), _) => (spec, launch.fps.unwrap_or(default_fps)),
        (None, Some((spec, demo_fps))) => (spec, launch.fps.unwrap_or(demo_fps)),
        (None, None) => (SourceSpec::Camera { index: 0 }, launch.fps.unwrap_or(default_fps)),
    };
    Ok(Shell {
        kiosk: Arc::new(Mutex::new(Kiosk { store, gate })),
        pending: Mutex::new(Some((spec, fps))),
        heading,
        _temp: temp,
        started,
    })
}

fn main() {
    let started = std::time::Instant::now();
    let launch = match launch::parse(std::env::args().skip(1), std::env::var("QRGATE_DATA").ok()) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("qrgate-kiosk: {e}\n\n{}", launch::USAGE);
            std::process::exit(2);
        }
    };
    let shell = match open(&launch, started) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("qrgate-kiosk: {e}");
            std::process::exit(3);
        }
    };
    let windowed = launch.windowed;
    tauri::Builder::default()
        .manage(shell)
        .invoke_handler(tauri::generate_handler![screen_ready, scan_typed])
        .setup(move |app| {
            if let Some(window) = app.get_webview_window("main") {
                window.set_fullscreen(!windowed)?;
            }
            Ok(())
        })
        .run(tauri::generate_context!())
        .expect("the kiosk window failed to start");
}
