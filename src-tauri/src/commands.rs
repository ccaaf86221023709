//! The window's commands: each one a call into the desk (qrgate-desk), its answer or its error
//! handed back through the boundary's types (`view`). Time and ids are made here, at the edge.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::MutexGuard;

use chrono::{NaiveDate, Utc};
use qrgate_core::model::Method;
use qrgate_desk::desk::{Desk, ManualRequest, VisitorForm};
use qrgate_hr::export::{ExportSummary, Format};
use qrgate_hr::print::Selection;
use serde::Deserialize;
use tauri::{AppHandle, Emitter, State};
use uuid::Uuid;

use crate::view::{Evacuee, Failure, FoundWorker, Imported, Operator, Screen, Shown, Status, Written};
use crate::{pipeline, scanned, Shell};

type Answer<T> = Result<T, Failure>;

fn desk<'a>(shell: &'a State<'_, Shell>) -> MutexGuard<'a, Desk> {
    shell.desk.lock().expect("desk lock")
}

/// The screen is up: start the frame loop and the sync link (once), and say what to show.
#[tauri::command]
pub fn screen_ready(shell: State<'_, Shell>, app: AppHandle) -> Answer<Screen> {
    if let Some(frames) = shell.pending.lock().expect("pending lock").take() {
        let ready_ms = shell.started.elapsed().as_millis();
        eprintln!("qrgate-kiosk: measure: screen ready {ready_ms} ms after start");
        if let Some(m) = &shell.measure {
            m.start(ready_ms as u64, shell.preview.clone(), app.clone());
        }
        let (desk, preview) = (shell.desk.clone(), shell.preview.clone());
        let frames_app = app.clone();
        std::thread::Builder::new()
            .name("frames".into())
            .spawn(move || pipeline::run(frames.spec, frames.fps, frames.decode_every, desk, preview, frames_app))
            .map_err(Failure::system)?;
        shell.sync.start(app);
    }
    let desk = desk(&shell);
    Ok(Screen {
        heading: shell.heading.clone(),
        inside: desk.inside_counts(Utc::now())?.into(),
        admin_pin: desk.has_admin_pin(),
    })
}

/// A USB scanner typed a QR text and Enter.
#[tauri::command]
pub fn scan_typed(text: String, shell: State<'_, Shell>, app: AppHandle) {
    scanned(&shell.desk, &app, text.trim(), Method::Badge, None);
}

/// The disk and the link to the province, polled by the screen.
#[tauri::command]
pub fn status(shell: State<'_, Shell>) -> Status {
    shell.sync.status()
}

#[tauri::command]
pub fn visitor_confirm(form: Uuid, filled: VisitorForm, shell: State<'_, Shell>, app: AppHandle) -> Answer<()> {
    let shown = {
        let mut desk = desk(&shell);
        let decision = desk.confirm_visitor(form, &filled, Utc::now(), Uuid::now_v7())?;
        Shown { decision: decision.into(), frame_ms: None, inside: desk.inside_counts(Utc::now())?.into() }
    };
    let _ = app.emit("decision", shown);
    Ok(())
}

#[tauri::command]
pub fn visitor_cancel(form: Uuid, shell: State<'_, Shell>) {
    desk(&shell).cancel_visitor(form);
}

#[tauri::command]
pub fn roster_search(query: String, shell: State<'_, Shell>) -> Answer<Vec<FoundWorker>> {
    Ok(desk(&shell).search(&query)?.into_iter().map(FoundWorker::from).collect())
}

#[tauri::command]
pub fn manual_entry(request: ManualRequest, shell: State<'_, Shell>, app: AppHandle) -> Answer<()> {
    let shown = {
        let mut desk = desk(&shell);
        let decision = desk.manual_entry(&request, Utc::now(), Uuid::now_v7())?;
        Shown { decision: decision.into(), frame_ms: None, inside: desk.inside_counts(Utc::now())?.into() }
    };
    let _ = app.emit("decision", shown);
    Ok(())
}

/// Leaving the kiosk: the admin PIN, then the process ends.
#[tauri::command]
pub fn leave(pin: String, shell: State<'_, Shell>, app: AppHandle) -> Answer<()> {
    let who = desk(&shell).may_leave(&pin, Utc::now())?;
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
pub fn hr_open(pin: String, shell: State<'_, Shell>) -> Answer<Operator> {
    Ok(desk(&shell).open_hr(&pin, Utc::now())?.into())
}

#[tauri::command]
pub fn hr_close(shell: State<'_, Shell>) {
    desk(&shell).close_hr();
}

/// A roster file picked in the window, as its name and bytes; written where the core reads it.
#[tauri::command]
pub fn hr_import_roster(
    name: String,
    bytes: Vec<u8>,
    deactivate_missing: bool,
    shell: State<'_, Shell>,
) -> Answer<Imported> {
    let ext = Path::new(&name).extension().and_then(|e| e.to_str()).unwrap_or("csv").to_ascii_lowercase();
    let file = tempfile::Builder::new().suffix(&format!(".{ext}")).tempfile().map_err(Failure::system)?;
    std::fs::write(file.path(), &bytes).map_err(Failure::system)?;
    Ok(desk(&shell).import_roster(file.path(), deactivate_missing, Utc::now())?.into())
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
pub fn hr_issue_badges(which: Which, shell: State<'_, Shell>) -> Answer<Written> {
    let selection = match which {
        Which::All => Selection::All,
        Which::Department(d) => Selection::Department(d.trim().to_string()),
        Which::Employee(code) => Selection::Employee(code.parse().map_err(Failure::from)?),
    };
    Ok(written(desk(&shell).issue_badges(&selection, &shell.exports, Utc::now())?))
}

#[tauri::command]
pub fn hr_revoke(code: String, shell: State<'_, Shell>) -> Answer<u32> {
    Ok(desk(&shell).revoke_badge(&code, Utc::now())?)
}

#[tauri::command]
pub fn hr_evacuation(shell: State<'_, Shell>) -> Answer<Vec<Evacuee>> {
    Ok(desk(&shell).evacuation_list(Utc::now())?.into_iter().map(Evacuee::from).collect())
}

#[tauri::command]
pub fn hr_evacuation_pdf(shell: State<'_, Shell>) -> Answer<Written> {
    Ok(written(desk(&shell).evacuation_pdf(&shell.exports, Utc::now())?))
}

#[tauri::command]
pub fn hr_export_attendance(day: NaiveDate, format: String, shell: State<'_, Shell>) -> Answer<Written> {
    let format = if format == "csv" { Format::Csv } else { Format::Xlsx };
    Ok(written(desk(&shell).export_attendance(day, format, &shell.exports, Utc::now())?))
}

#[tauri::command]
pub fn hr_export_visitors(day: NaiveDate, shell: State<'_, Shell>) -> Answer<Written> {
    Ok(written(desk(&shell).export_visitors(day, &shell.exports, Utc::now())?))
}
