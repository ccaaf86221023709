//! The kiosk's link to the province and its disk, as the guard screen shows them: the sync loop
//! (qrgate-sync) on its own thread and database connection, and the free space left for events.

use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Mutex};

use qrgate_core::datadir::DataDir;
use qrgate_sync::{GateCell, SyncStatus};
use tauri::{AppHandle, Emitter};

use crate::view::{self, Status};

pub struct Link {
    data: DataDir,
    server: String,
    low_disk_mb: u64,
    /// The gate's live state, which the frame loops and the turnstile keep: each round's health
    /// report tells it to the province.
    gate: GateCell,
    latest: Arc<Mutex<Option<SyncStatus>>>,
    /// Held for the kiosk's life: the loop stops when its sender is dropped.
    keep: Mutex<Option<Sender<qrgate_sync::Signal>>>,
}

impl Link {
    pub fn new(data: DataDir, server: String, low_disk_mb: u64, gate: GateCell) -> Link {
        Link {
            data,
            server: server.trim().to_string(),
            low_disk_mb,
            gate,
            latest: Arc::default(),
            keep: Mutex::new(None),
        }
    }

    /// Starts the sync loop when a server is configured. Its own connection to the database:
    /// a slow province never holds up the gate.
    pub fn start(&self, app: AppHandle) {
        if self.server.is_empty() {
            return;
        }
        let (tx, signals) = channel();
        *crate::held(&self.keep) = Some(tx);
        let (data, server, latest, gate) =
            (self.data.clone(), self.server.clone(), self.latest.clone(), self.gate.clone());
        let spawned = std::thread::Builder::new().name("sync".into()).spawn(move || {
            let mut report = |status: &SyncStatus| {
                *crate::held(&latest) = Some(status.clone());
                let _ = app.emit("sync", view::Sync::from(status.clone()));
            };
            let result = data.open().map_err(qrgate_sync::Error::Core).and_then(|(mut store, config)| {
                let client = qrgate_sync::client_for(&data, &store, &server, std::time::Duration::from_secs(30))?;
                let settings = qrgate_sync::Settings { gate, ..qrgate_sync::Settings::for_kiosk(&config) };
                let mut rng = rand::rngs::OsRng;
                qrgate_sync::run_loop(
                    &mut store,
                    &client,
                    &qrgate_core::SystemClock,
                    &mut rng,
                    &settings,
                    &signals,
                    &mut report,
                )
            });
            if let Err(e) = result {
                eprintln!("qrgate-kiosk: sync stopped: {e}");
                report(&SyncStatus {
                    last_error: Some(qrgate_sync::LastError {
                        code: e.detail_code().into(),
                        message: e.to_string(),
                        at: chrono::Utc::now(),
                    }),
                    ..SyncStatus::default()
                });
            }
        });
        if let Err(e) = spawned {
            eprintln!("qrgate-kiosk: sync thread: {e}");
        }
    }

    pub fn status(&self) -> Status {
        let free = self.data.free_bytes().ok().map(|b| b / 1_000_000);
        Status {
            disk_free_mb: free,
            low_disk: free.is_some_and(|mb| mb < self.low_disk_mb),
            sync_configured: !self.server.is_empty(),
            sync: crate::held(&self.latest).clone().map(view::Sync::from),
        }
    }
}
