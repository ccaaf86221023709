//! The kiosk window: a thin Tauri shell that feeds frames and typed scans to the kiosk's desk
//! (qrgate-desk) and pushes what it decides to the guard screen in ui/. It decides nothing itself.

mod commands;
mod demo_camera;
mod launch;
mod measure;
mod pipeline;
mod preview;
mod setup;
mod sync;
mod turnstile;
mod view;

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use chrono::{DateTime, Utc};
use qrgate_core::config::Lane;
use qrgate_core::datadir::DataDir;
use qrgate_core::model::Method;
use qrgate_desk::demo_script::{self, DemoSize};
use qrgate_desk::desk::{Desk, Scanned};
use qrgate_desk::office::Office;
use qrgate_scan::{Fps, SourceSpec};
use tauri::{AppHandle, Emitter, Manager, WindowEvent};

use view::{DemoPins, Failure, Heading, Shown, VisitorArriving};

/// What the window's commands share.
pub struct Shell {
    /// The gate's side, on the gate's connection: held only for a decision (or a form, a search).
    desk: Arc<Mutex<Desk>>,
    /// PINs and HR's work, on connections of their own: never waits for the desk.
    office: Arc<Office>,
    /// The frame loop waits for the screen: a decision made before the window listens is lost.
    /// One frame loop per camera (two on a two-lane gate), started by the screen.
    pending: Mutex<Vec<Frames>>,
    heading: Heading,
    /// Each camera's latest frame for the screen, in kiosk.conf's order.
    previews: Vec<Arc<preview::Preview>>,
    sync: sync::Link,
    /// The gate's live state (cameras, turnstile), kept by the frame loops and the turnstile and
    /// told to the province by the sync loop's health reports.
    gate: qrgate_sync::GateCell,
    /// The turnstile kiosk.conf names, started with the frame loop (it reports to the screen).
    turnstile: OnceLock<qrgate_turnstile::Turnstile>,
    data: DataDir,
    /// Set once the admin PIN let someone leave: the window may close.
    leaving: AtomicBool,
    /// Where HR's exports and badge sheets are written.
    exports: PathBuf,
    measure: Option<Arc<measure::Measure>>,
    /// Kept alive so a demo's temporary directory lasts as long as the kiosk.
    _temp: Option<tempfile::TempDir>,
    /// When the process started, for the window-ready time.
    started: std::time::Instant,
    /// This run's mark in the data directory, taken away when the kiosk stops on purpose.
    run: Mutex<Option<qrgate_core::supervision::Run>>,
}

/// Where frames come from, how many a second, and how far apart the decoder reads them.
pub struct Frames {
    /// The lane of a two-lane gate whose camera this is.
    lane: Option<Lane>,
    spec: SourceSpec,
    fps: Fps,
    decode_every: std::time::Duration,
}

/// Takes a lock even if a thread panicked while holding it. Every value the kiosk guards with a
/// lock is whole between statements (the desk's store rolls back an unfinished transaction on
/// its own), so one panic must not turn every later command into another panic.
pub fn held<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One scan (camera or USB scanner) through the desk and onto the screen: a decision, or a
/// visitor's registration form. A storage failure is an alert, never silence. Returns the
/// decision, if it came to one.
pub fn scanned(
    desk: &Mutex<Desk>,
    app: &AppHandle,
    text: &str,
    method: Method,
    lane: Option<Lane>,
    entered: Option<DateTime<Utc>>,
) -> Option<qrgate_core::gate::Decision> {
    let outcome = {
        let asked = std::time::Instant::now();
        let mut desk = held(desk);
        if let Some(m) = &app.state::<Shell>().measure {
            m.desk_waited(asked.elapsed());
        }
        let now = Utc::now();
        desk.scan_in_lane(text, method, lane, now, uuid::Uuid::now_v7()).and_then(|s| Ok((s, desk.inside_counts(now)?)))
    };
    match outcome {
        Ok((Scanned::Decided { decision }, inside)) => {
            turnstile::follow(app, &decision);
            let frame_ms = entered.map(|t| t.timestamp_millis());
            let lane = lane.map(|l| l.number);
            let shown = Shown { decision: decision.clone().into(), frame_ms, inside: inside.into(), lane };
            let _ = app.emit("decision", shown);
            Some(decision)
        }
        Ok((Scanned::VisitorForm { form, card }, _)) => {
            let _ = app.emit("visitor_form", VisitorArriving { form, card: card.into() });
            None
        }
        Err(e) => {
            let _ = app.emit("alert", Failure::from(e));
            None
        }
    }
}

/// The data directory the kiosk was asked for, when it is not the demo's temporary one.
fn data_dir(launch: &launch::Launch) -> Option<DataDir> {
    match (&launch.data, launch.demo) {
        (Some(d), _) => Some(DataDir::new(d)),
        (None, true) => None,
        (None, false) => Some(DataDir::new(dirs::data_dir().unwrap_or_else(|| PathBuf::from(".")).join("qrgate"))),
    }
}

fn open(launch: &launch::Launch, started: std::time::Instant) -> Result<Shell, String> {
    let (temp, data) = match data_dir(launch) {
        Some(data) => (None, data),
        None => {
            let temp = tempfile::Builder::new().prefix("qrgate-demo-").tempdir().map_err(|e| e.to_string())?;
            let data = DataDir::new(temp.path().join("kiosk"));
            (Some(temp), data)
        }
    };
    let demo_frames = if launch.demo {
        let size = DemoSize { workers: launch.workers, days: launch.days };
        let script = demo_script::prepare_demo(&data, size, &mut rand::rngs::OsRng, Utc::now(), &mut demo_camera::draw)
            .map_err(|e| e.to_string())?;
        eprintln!(
            "qrgate-kiosk: demo enterprise in {} (ready {} ms after start)",
            data.root.display(),
            started.elapsed().as_millis()
        );
        Some((SourceSpec::Replay { path: script.frames }, Fps::new(script.fps).map_err(|e| e.to_string())?))
    } else {
        None
    };
    let desk = Desk::open(data.clone()).map_err(|e| e.to_string())?;
    let office = Office::open(data.clone()).map_err(|e| e.to_string())?;
    let (run, restarted) =
        qrgate_core::supervision::Run::begin(&data, "the kiosk window", Utc::now()).map_err(|e| e.to_string())?;
    if let Some(r) = &restarted {
        eprintln!("qrgate-kiosk: started again at {}: {}", r.at, r.why());
    }
    let config = desk.gate.config.clone();
    let identity = desk.store.identity().clone();
    let heading = Heading {
        enterprise: identity.enterprise_name.clone(),
        gate: config.gate.name.clone(),
        kiosk_id: identity.kiosk_id.to_string(),
        timezone: config.time.timezone.to_string(),
        language: view::language(config.screen.language),
        kiosk_mode: config.screen.kiosk_mode && !launch.windowed,
        demo: launch.demo,
        demo_pins: launch
            .demo
            .then_some(DemoPins { guard: demo_script::DEMO_GUARD.1, admin: demo_script::DEMO_ADMIN.1 }),
        measure: launch.measure.is_some(),
        version: env!("CARGO_PKG_VERSION"),
        restarted: restarted.map(view::RestartSeen::from),
        lanes: config.lanes().into_iter().filter_map(|(_, lane)| lane).collect(),
    };
    // Each camera kiosk.conf lists, the first one replaced by --source or the demo's frames.
    let mut demo_frames = demo_frames;
    let mut pending = Vec::new();
    for (n, (camera, lane)) in config.lanes().into_iter().enumerate() {
        let which = if lane.is_some() { format!("[[camera]] {}", n + 1) } else { "[camera]".to_string() };
        let configured = || -> Result<(SourceSpec, Fps), String> {
            let spec = camera.source.parse().map_err(|e| format!("kiosk.conf {which} source: {e}"))?;
            Ok((spec, Fps::new(camera.fps).map_err(|e| format!("kiosk.conf {which} fps: {e}"))?))
        };
        let first = n == 0;
        let (spec, fps) = match (launch.source.clone().filter(|_| first), demo_frames.take().filter(|_| first)) {
            (Some(spec), _) => (spec, launch.fps.map_or_else(|| configured().map(|c| c.1), Ok)?),
            (None, Some((spec, demo_fps))) => (spec, launch.fps.unwrap_or(demo_fps)),
            (None, None) => {
                let (spec, fps) = configured()?;
                (spec, launch.fps.unwrap_or(fps))
            }
        };
        let decode_every = std::time::Duration::from_secs_f64(1.0 / camera.decode_fps);
        pending.push(Frames { lane, spec, fps, decode_every });
    }
    let server = launch.server.clone().unwrap_or_else(|| config.sync.server.clone());
    let gate = qrgate_sync::GateCell::default();
    Ok(Shell {
        desk: Arc::new(Mutex::new(desk)),
        office: Arc::new(office),
        previews: pending.iter().map(|_| Arc::new(preview::Preview::default())).collect(),
        pending: Mutex::new(pending),
        heading,
        sync: sync::Link::new(data.clone(), server, config.screen.low_disk_mb, gate.clone()),
        gate,
        turnstile: OnceLock::new(),
        data: data.clone(),
        leaving: AtomicBool::new(false),
        exports: data.root.join("exports"),
        measure: launch
            .measure
            .map(|d| Arc::new(measure::Measure::new(d, launch.measure_export.then(|| data.clone())))),
        _temp: temp,
        started,
        run: Mutex::new(Some(run)),
    })
}

fn main() {
    let started = std::time::Instant::now();
    // The guard screen is a flat page: WebKit's GL compositing buys it nothing, and on a kiosk PC
    // without a GPU driver (software GL) it costs a third of a core for the preview alone.
    // Set before any thread starts; an explicit setting in the environment wins.
    if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
    let launch = match launch::parse(std::env::args().skip(1), std::env::var("QRGATE_DATA").ok()) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("qrgate-kiosk: {e}\n\n{}", launch::USAGE);
            std::process::exit(2);
        }
    };
    // An empty data directory (a gate PC's first start) opens on the setup page; the guard
    // screen's state exists once the page has set the directory up.
    let (first_start, shell) = match data_dir(&launch).filter(|d| !launch.demo && !d.database().exists()) {
        Some(data) => {
            eprintln!("qrgate-kiosk: {} is not set up yet: showing the setup page", data.root.display());
            (setup::FirstStart::waiting(data, launch.clone(), started), None)
        }
        None => match open(&launch, started) {
            Ok(shell) => (setup::FirstStart::done(shell.data.clone()), Some(shell)),
            Err(e) => {
                eprintln!("qrgate-kiosk: {e}");
                std::process::exit(3);
            }
        },
    };
    let kiosk_mode = shell.as_ref().map_or(!launch.windowed, |s| s.heading.kiosk_mode);
    let mut builder = tauri::Builder::default().manage(first_start);
    if let Some(shell) = shell {
        builder = builder.manage(shell);
    }
    builder
        .register_asynchronous_uri_scheme_protocol("kiosk", |ctx, request, responder| {
            let Some(shell) = ctx.app_handle().try_state::<Shell>() else {
                return responder.respond(preview::picture(Ok(None)));
            };
            let path = request.uri().path();
            // Photos and snapshots are database reads: off the main thread, on the office's connection.
            if let Some(code) = path.strip_prefix("/photo/") {
                let (office, code) = (shell.office.clone(), code.to_string());
                std::thread::spawn(move || responder.respond(preview::picture(office.photo(&code))));
            } else if let Some(event) = path.strip_prefix("/snapshot/") {
                let (office, event) = (shell.office.clone(), event.to_string());
                std::thread::spawn(move || responder.respond(preview::picture(office.snapshot(&event, Utc::now()))));
            } else {
                // The second lane's camera is /preview-2.bmp; everything else the first's.
                let (lane, path) = match path {
                    "/preview-2.bmp" => (1, "/preview.bmp"),
                    other => (0, other),
                };
                match shell.previews.get(lane) {
                    Some(preview) => responder.respond(preview::serve(preview, path, request.uri().query())),
                    None => responder.respond(preview::picture(Ok(None))),
                }
            }
        })
        .invoke_handler(tauri::generate_handler![
            commands::screen_ready,
            commands::scan_typed,
            commands::status,
            commands::visitor_confirm,
            commands::visitor_cancel,
            commands::roster_search,
            commands::manual_entry,
            commands::leave,
            commands::shown,
            commands::hr_open,
            commands::hr_close,
            commands::hr_import_roster,
            commands::hr_import_photos,
            commands::hr_snapshots,
            commands::hr_issue_badges,
            commands::hr_revoke,
            commands::hr_evacuation,
            commands::hr_evacuation_pdf,
            commands::hr_export_attendance,
            commands::hr_export_timesheet,
            commands::hr_export_visitors,
            commands::hr_privacy_show,
            commands::hr_privacy_erase,
            setup::setup_needed,
            setup::setup_keys,
            setup::setup_complete,
        ])
        .setup(move |app| {
            if let Some(window) = app.get_webview_window("main") {
                window.set_fullscreen(kiosk_mode)?;
            }
            // `systemctl stop` sends SIGTERM: the kiosk closes as it does when the admin leaves,
            // so the next start is not counted as a restart after a crash.
            let handle = app.handle().clone();
            let mut signals = signal_hook::iterator::Signals::new([signal_hook::consts::SIGTERM])?;
            std::thread::spawn(move || {
                if signals.forever().next().is_some() {
                    handle.exit(0);
                }
            });
            Ok(())
        })
        .on_window_event(move |window, event| {
            // In kiosk mode the window closes only after the admin PIN (the `leave` command);
            // any other close (Alt+F4, the window manager) asks the screen for the PIN instead.
            // The setup page closes freely: there is no PIN yet, and nothing to guard.
            if let (WindowEvent::CloseRequested { api, .. }, Some(shell)) = (event, window.try_state::<Shell>()) {
                if shell.heading.kiosk_mode && !shell.leaving.load(std::sync::atomic::Ordering::SeqCst) {
                    api.prevent_close();
                    let _ = window.emit("leave_requested", ());
                }
            }
        })
        .build(tauri::generate_context!())
        .expect("the kiosk window failed to start")
        .run(|app, event| {
            if let tauri::RunEvent::Exit = event {
                if let Some(run) = app.try_state::<Shell>().and_then(|shell| held(&shell.run).take()) {
                    run.finish();
                }
            }
        });
}
