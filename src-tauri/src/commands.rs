//! The window's commands: each one a call into the desk or the office (qrgate-desk), its answer or
//! its error handed back through the boundary's types (`view`). Time and ids are made here, at the
//! edge.
//!
//! Nothing slow runs on the main thread, which draws the window: anything that checks a PIN
//! (argon2), reads a file or writes one is an async command whose work runs on a blocking thread
//! ([`off_main`]). Only a decision takes the desk's lock; the office's work never does.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, MutexGuard};

use chrono::{NaiveDate, Utc};
use qrgate_core::model::Method;
use qrgate_desk::desk::{Desk, ManualRequest, VisitorForm};
use qrgate_desk::office::Office;
use qrgate_desk::requests::{self, Erased};
use qrgate_hr::export::{ExportSummary, Format, Subject};
use qrgate_hr::print::Selection;
use serde::Deserialize;
use tauri::{AppHandle, Emitter, State};
use uuid::Uuid;

use crate::view::{Evacuee, Failure, FoundWorker, Imported, KeptFrame, Operator, Screen, Shown, Status, Written};
use crate::{held, pipeline, scanned, Shell};

type Answer<T> = Result<T, Failure>;

fn desk<'a>(shell: &'a State<'_, Shell>) -> MutexGuard<'a, Desk> {
    held(&shell.desk)
}

/// Runs `work` on a thread made for blocking work, never the window's main thread nor the async
/// runtime's few workers.
pub async fn off_main<T: Send + 'static>(work: impl FnOnce() -> Answer<T> + Send + 'static) -> Answer<T> {
    tauri::async_runtime::spawn_blocking(work).await.map_err(Failure::system)?
}

/// The `[privacy]` retention rules, at start and every hour after, for as long as the kiosk runs:
/// a kiosk that runs for months never keeps a visitor past their days. Logs counts only.
fn retention(office: &Office) -> ! {
    loop {
        match office.retention(Utc::now()) {
            Ok(p) if p.visitors + p.former_workers > 0 => eprintln!(
                "qrgate-kiosk: retention: erased {} visitor(s) and {} former worker(s)",
                p.visitors, p.former_workers
            ),
            Ok(_) => {}
            Err(e) => eprintln!("qrgate-kiosk: retention: error[{}]: {e}", e.code()),
        }
        std::thread::sleep(std::time::Duration::from_secs(3600));
    }
}

/// The screen is up: start the frame loop and the sync link (once), and say what to show.
#[tauri::command]
pub fn screen_ready(shell: State<'_, Shell>, app: AppHandle) -> Answer<Screen> {
    let cameras = std::mem::take(&mut *held(&shell.pending));
    if !cameras.is_empty() {
        let ready_ms = shell.started.elapsed().as_millis();
        eprintln!("qrgate-kiosk: measure: screen ready {ready_ms} ms after start");
        if let Some(m) = &shell.measure {
            m.start(ready_ms as u64, shell.previews[0].clone(), app.clone());
        }
        // Before the first frame: no decision may find the gate's outputs not yet there.
        let config = desk(&shell).gate.config.clone();
        if let Some(t) = crate::turnstile::start(&config, &shell.data, app.clone(), shell.gate.clone()) {
            let _ = shell.turnstile.set(t);
        }
        let heartbeats = Arc::new(pipeline::Heartbeats::new(cameras.len()));
        for (index, frames) in cameras.into_iter().enumerate() {
            let (desk, preview, beats) = (shell.desk.clone(), shell.previews[index].clone(), heartbeats.clone());
            let (frames_app, gate) = (app.clone(), shell.gate.clone());
            let name = if index == 0 { "frames".to_string() } else { format!("frames-{}", index + 1) };
            std::thread::Builder::new()
                .name(name)
                .spawn(move || pipeline::supervise(frames, index, beats, desk, preview, frames_app, gate))
                .map_err(Failure::system)?;
        }
        shell.sync.start(app);
        let office = shell.office.clone();
        std::thread::Builder::new()
            .name("retention".into())
            .spawn(move || retention(&office))
            .map_err(Failure::system)?;
    }
    Ok(Screen {
        heading: shell.heading.clone(),
        inside: desk(&shell).inside_counts(Utc::now())?.into(),
        admin_pin: shell.office.has_admin_pin(),
    })
}

/// A USB scanner typed a QR text and Enter.
#[tauri::command]
pub async fn scan_typed(text: String, shell: State<'_, Shell>, app: AppHandle) -> Answer<()> {
    let desk = shell.desk.clone();
    off_main(move || {
        scanned(&desk, &app, text.trim(), Method::Badge, None, None);
        Ok(())
    })
    .await
}

/// The disk and the link to the province, polled by the screen.
#[tauri::command]
pub fn status(shell: State<'_, Shell>) -> Status {
    shell.sync.status()
}

#[tauri::command]
pub async fn visitor_confirm(form: Uuid, filled: VisitorForm, shell: State<'_, Shell>, app: AppHandle) -> Answer<()> {
    let desk = shell.desk.clone();
    off_main(move || {
        let shown = {
            let mut desk = held(&desk);
            let decision = desk.confirm_visitor(form, &filled, Utc::now(), Uuid::now_v7())?;
            crate::turnstile::follow(&app, &decision);
            Shown {
                decision: decision.into(),
                frame_ms: None,
                inside: desk.inside_counts(Utc::now())?.into(),
                lane: None,
            }
        };
        let _ = app.emit("decision", shown);
        Ok(())
    })
    .await
}

#[tauri::command]
pub fn visitor_cancel(form: Uuid, shell: State<'_, Shell>) {
    desk(&shell).cancel_visitor(form);
}

#[tauri::command]
pub async fn roster_search(query: String, shell: State<'_, Shell>) -> Answer<Vec<FoundWorker>> {
    let office = shell.office.clone();
    off_main(move || Ok(office.search(&query)?.into_iter().map(FoundWorker::from).collect())).await
}

/// A manual entry: the guard's PIN is checked first, by the office; the desk is taken only for
/// the decision.
#[tauri::command]
pub async fn manual_entry(request: ManualRequest, shell: State<'_, Shell>, app: AppHandle) -> Answer<()> {
    let (desk, office) = (shell.desk.clone(), shell.office.clone());
    off_main(move || {
        let operator = office.guard(&request.pin, Utc::now())?;
        let shown = {
            let mut desk = held(&desk);
            let decision = desk.manual_entry(&request, &operator, Utc::now(), Uuid::now_v7())?;
            crate::turnstile::follow(&app, &decision);
            Shown {
                decision: decision.into(),
                frame_ms: None,
                inside: desk.inside_counts(Utc::now())?.into(),
                lane: None,
            }
        };
        let _ = app.emit("decision", shown);
        Ok(())
    })
    .await
}

/// Leaving the kiosk: the admin PIN, then the process ends.
#[tauri::command]
pub async fn leave(pin: String, shell: State<'_, Shell>, app: AppHandle) -> Answer<()> {
    let office = shell.office.clone();
    let who = off_main(move || Ok(office.may_leave(&pin, Utc::now())?)).await?;
    eprintln!("qrgate-kiosk: closed by {}", who.map_or("(no admin PIN set)".into(), |o| o.name));
    shell.leaving.store(true, Ordering::SeqCst);
    app.exit(0);
    Ok(())
}

/// The screen painted a decision (`--measure` only): frame-to-screen latency.
#[tauri::command]
pub fn shown(frame_ms: i64, shown_ms: i64, shell: State<'_, Shell>) {
    if let Some(m) = &shell.measure {
        m.shown(shown_ms - frame_ms);
    }
}

// ---- HR pages ------------------------------------------------------------------------------

#[tauri::command]
pub async fn hr_open(pin: String, shell: State<'_, Shell>) -> Answer<Operator> {
    let office = shell.office.clone();
    off_main(move || Ok(office.open_hr(&pin, Utc::now())?.into())).await
}

#[tauri::command]
pub fn hr_close(shell: State<'_, Shell>) {
    shell.office.close_hr();
}

/// A roster file picked in the window, as its name and bytes; written where the core reads it.
#[tauri::command]
pub async fn hr_import_roster(
    name: String,
    bytes: Vec<u8>,
    deactivate_missing: bool,
    shell: State<'_, Shell>,
) -> Answer<Imported> {
    let office = shell.office.clone();
    off_main(move || {
        let ext = Path::new(&name).extension().and_then(|e| e.to_str()).unwrap_or("csv").to_ascii_lowercase();
        let file = tempfile::Builder::new().suffix(&format!(".{ext}")).tempfile().map_err(Failure::system)?;
        std::fs::write(file.path(), &bytes).map_err(Failure::system)?;
        Ok(office.import_roster(file.path(), deactivate_missing, Utc::now())?.into())
    })
    .await
}

/// Photos picked in the window (pictures, or ZIPs of them), as names and bytes.
#[tauri::command]
pub async fn hr_import_photos(files: Vec<PickedFile>, shell: State<'_, Shell>) -> Answer<usize> {
    let office = shell.office.clone();
    off_main(move || Ok(office.import_photos(files.into_iter().map(|f| (f.name, f.bytes)).collect(), Utc::now())?))
        .await
}

/// The newest camera snapshots of refused scans, for the HR pages.
#[tauri::command]
pub async fn hr_snapshots(shell: State<'_, Shell>) -> Answer<Vec<KeptFrame>> {
    let office = shell.office.clone();
    off_main(move || Ok(office.kept_snapshots(Utc::now())?.into_iter().map(KeptFrame::from).collect())).await
}

/// A file the HR page read from a file picker.
#[derive(Deserialize)]
pub struct PickedFile {
    name: String,
    bytes: Vec<u8>,
}

/// Which badges HR asked for.
#[derive(Deserialize)]
#[serde(tag = "by", content = "value", rename_all = "snake_case")]
pub enum Which {
    All,
    Department(String),
    Employee(String),
}

fn written(summary: ExportSummary) -> Written {
    let opened = open_file(&summary.path);
    Written { path: summary.path, rows: summary.rows, opened }
}

/// Opens a written file with the desktop's viewer (`$QRGATE_OPEN` names another program).
fn open_file(path: &Path) -> bool {
    let opener = std::env::var("QRGATE_OPEN").unwrap_or_else(|_| "xdg-open".into());
    std::process::Command::new(opener).arg(path).spawn().is_ok()
}

#[tauri::command]
pub async fn hr_issue_badges(which: Which, shell: State<'_, Shell>) -> Answer<Written> {
    let selection = match which {
        Which::All => Selection::All,
        Which::Department(d) => Selection::Department(d.trim().to_string()),
        Which::Employee(code) => Selection::Employee(code.parse().map_err(Failure::from)?),
    };
    let (office, exports) = (shell.office.clone(), shell.exports.clone());
    off_main(move || Ok(written(office.issue_badges(&selection, &exports, Utc::now())?))).await
}

#[tauri::command]
pub async fn hr_revoke(code: String, shell: State<'_, Shell>) -> Answer<u32> {
    let office = shell.office.clone();
    off_main(move || Ok(office.revoke_badge(&code, Utc::now())?)).await
}

#[tauri::command]
pub async fn hr_evacuation(shell: State<'_, Shell>) -> Answer<Vec<Evacuee>> {
    let office = shell.office.clone();
    off_main(move || Ok(office.evacuation_list(Utc::now())?.into_iter().map(Evacuee::from).collect())).await
}

#[tauri::command]
pub async fn hr_evacuation_pdf(shell: State<'_, Shell>) -> Answer<Written> {
    let (office, exports) = (shell.office.clone(), shell.exports.clone());
    off_main(move || Ok(written(office.evacuation_pdf(&exports, Utc::now())?))).await
}

#[tauri::command]
pub async fn hr_export_attendance(day: NaiveDate, format: String, shell: State<'_, Shell>) -> Answer<Written> {
    let format = if format == "csv" { Format::Csv } else { Format::Xlsx };
    let (office, exports) = (shell.office.clone(), shell.exports.clone());
    off_main(move || Ok(written(office.export_attendance(day, format, &exports, Utc::now())?))).await
}

/// The monthly timesheet (bảng chấm công) of the month `day` falls in.
#[tauri::command]
pub async fn hr_export_timesheet(day: NaiveDate, format: String, shell: State<'_, Shell>) -> Answer<Written> {
    let format = if format == "csv" { Format::Csv } else { Format::Xlsx };
    let (office, exports) = (shell.office.clone(), shell.exports.clone());
    off_main(move || Ok(written(office.export_timesheet(day, format, &exports, Utc::now())?))).await
}

#[tauri::command]
pub async fn hr_export_visitors(day: NaiveDate, shell: State<'_, Shell>) -> Answer<Written> {
    let (office, exports) = (shell.office.clone(), shell.exports.clone());
    off_main(move || Ok(written(office.export_visitors(day, &exports, Utc::now())?))).await
}

/// The person a request is about: `employee` with a code, or `cccd` with a card's number.
fn person(kind: &str, id: &str) -> qrgate_desk::Result<Subject> {
    match kind {
        "cccd" => requests::visitor(id),
        _ => requests::worker(id),
    }
}

/// What the kiosk holds about one person, as XLSX (their right to see it).
#[tauri::command]
pub async fn hr_privacy_show(kind: String, id: String, shell: State<'_, Shell>) -> Answer<Written> {
    let (office, exports) = (shell.office.clone(), shell.exports.clone());
    off_main(move || Ok(written(office.show_person(&person(&kind, &id)?, &exports, Utc::now())?))).await
}

/// Erases one person's details at their request; answers how many visitor records went (0 for
/// a former worker, whose code stays).
#[tauri::command]
pub async fn hr_privacy_erase(kind: String, id: String, shell: State<'_, Shell>) -> Answer<usize> {
    let office = shell.office.clone();
    off_main(move || {
        Ok(match office.erase_person(&person(&kind, &id)?, Utc::now())? {
            Erased::Visitor(n) => n,
            Erased::Worker(_) => 0,
        })
    })
    .await
}
