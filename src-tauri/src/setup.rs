//! The setup page's commands: a kiosk started on an empty data directory asks for its enterprise,
//! its gate and the first admin PIN (qrgate-desk's `setup`, the same init as `qrgate init`), then
//! runs as the gate in the same window, with nobody at a terminal.

use std::sync::Mutex;

use chrono::Utc;
use qrgate_core::datadir::DataDir;
use qrgate_desk::setup::{self, FoundKeys, SetupForm};
use tauri::{AppHandle, Manager, State};

use crate::commands::off_main;
use crate::launch::Launch;
use crate::view::Failure;
use crate::{held, open};

/// The kiosk's start, while its data directory waits to be set up.
pub struct FirstStart {
    data: DataDir,
    /// Taken when the setup is done: what the kiosk needs to open its data directory.
    waiting: Mutex<Option<Waiting>>,
}

struct Waiting {
    launch: Launch,
    started: std::time::Instant,
}

impl FirstStart {
    /// A kiosk whose data directory is already set up: nothing waits.
    pub fn done(data: DataDir) -> FirstStart {
        FirstStart { data, waiting: Mutex::new(None) }
    }

    pub fn waiting(data: DataDir, launch: Launch, started: std::time::Instant) -> FirstStart {
        FirstStart { data, waiting: Mutex::new(Some(Waiting { launch, started })) }
    }
}

/// Whether the page to show is the setup page rather than the guard screen.
#[tauri::command]
pub fn setup_needed(first: State<'_, FirstStart>) -> bool {
    held(&first.waiting).is_some()
}

/// The enterprise's keys on the USB sticks plugged in now.
#[tauri::command]
pub async fn setup_keys() -> Result<Vec<FoundKeys>, Failure> {
    off_main(|| {
        let mounts = std::fs::read_to_string("/proc/mounts").map_err(Failure::system)?;
        Ok(setup::find_keys(&setup::removable_roots(&mounts)))
    })
    .await
}

/// Sets the data directory up from the page's form and opens it: the next page is the guard
/// screen. A refused form writes nothing and says which field.
#[tauri::command]
pub async fn setup_complete(form: SetupForm, app: AppHandle) -> Result<(), Failure> {
    off_main(move || {
        let first = app.state::<FirstStart>();
        // Held throughout, so a second press of the button waits and then finds the work done.
        let mut waiting = held(&first.waiting);
        let Some(w) = waiting.as_ref() else {
            return Err(qrgate_core::Error::AlreadyInitialised(first.data.root.clone()).into());
        };
        let checked = form.check()?;
        setup::set_up(&first.data, checked, &mut rand::rngs::OsRng, Utc::now())?;
        let shell = open(&w.launch, w.started).map_err(Failure::system)?;
        eprintln!(
            "qrgate-kiosk: set up from the setup page as kiosk {} in {}",
            shell.heading.kiosk_id,
            first.data.root.display()
        );
        let full_screen = shell.heading.kiosk_mode;
        app.manage(shell);
        *waiting = None;
        if let Some(window) = app.get_webview_window("main") {
            window.set_fullscreen(full_screen).map_err(Failure::system)?;
        }
        Ok(())
    })
    .await
}
