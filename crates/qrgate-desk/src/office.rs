//! The kiosk's office: PINs (manual entries, leaving, the HR pages) and HR's work behind the admin
//! PIN: roster imports, badge sheets, revocation, the evacuation list, exports.
//!
//! Nothing here touches the [`crate::desk::Desk`] the gate decides with. Each HR action opens a
//! connection of its own (WAL lets it read while the gate writes), so a month's export or a
//! badge sheet for everyone never waits for a decision and no decision waits for it; the office's
//! own locks are held only to read or update a few fields, never across a PIN's hash or a file.
//! All methods take `&self`, so the window can run them on any thread at once.

use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

use crate::desk::Found;
use crate::error::{Error, Result};
use crate::pin::{Operator, PinLock, Pins, Role};
use crate::requests::{self, Erased};
use qrgate_core::config::Config;
use qrgate_core::datadir::DataDir;
use qrgate_core::privacy::{self, Action, Processing, Purged};
use qrgate_core::store::Store;
use qrgate_hr::attendance::DayRange;
use qrgate_hr::export::{self, ExportSummary, Format, InsideRow, Subject};
use qrgate_hr::print::{self, Selection};
use qrgate_hr::roster::{self, ImportSummary};
use qrgate_hr::timesheet::{self, Month};

/// How long the HR pages stay open after the admin PIN without being closed.
pub const HR_OPEN_FOR: Duration = Duration::minutes(10);

/// PINs and the HR pages of one kiosk.
pub struct Office {
    data: DataDir,
    config: Config,
    pins: Pins,
    /// Held across a PIN's check: two PINs tried at once still count as two tries.
    lock: Mutex<PinLock>,
    /// Who opened the HR pages, and until when.
    session: Mutex<Option<(Operator, DateTime<Utc>)>>,
}

/// A lock whose holder panicked still guards consistent data here (a counter, an optional
/// session), so the office never stays locked after one panic.
fn held<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Office {
    /// Reads kiosk.conf and the PINs of the data directory.
    pub fn open(data: DataDir) -> Result<Office> {
        let config = Config::load(&data.config_path())?;
        let pins = Pins::load(&data.root)?;
        Ok(Office { data, config, pins, lock: Mutex::default(), session: Mutex::default() })
    }

    pub fn has_admin_pin(&self) -> bool {
        self.pins.has_admin()
    }

    fn attempt(&self, pin: &str, needed: Role, now: DateTime<Utc>) -> Result<Operator> {
        Ok(held(&self.lock).attempt(&self.pins, pin, needed, now)?)
    }

    /// The guard (or admin) a PIN names, for a manual entry.
    pub fn guard(&self, pin: &str, now: DateTime<Utc>) -> Result<Operator> {
        self.attempt(pin, Role::Guard, now)
    }

    /// The admin PIN, asked before the kiosk closes. With no admin PIN set yet the kiosk can be
    /// left (the screen says no PIN protects it).
    pub fn may_leave(&self, pin: &str, now: DateTime<Utc>) -> Result<Option<Operator>> {
        if !self.pins.has_admin() {
            return Ok(None);
        }
        Ok(Some(self.attempt(pin, Role::Admin, now)?))
    }

    /// Opens the HR pages for [`HR_OPEN_FOR`].
    pub fn open_hr(&self, pin: &str, now: DateTime<Utc>) -> Result<Operator> {
        if !self.pins.has_admin() {
            return Err(Error::NoAdminPin);
        }
        let operator = self.attempt(pin, Role::Admin, now)?;
        *held(&self.session) = Some((operator.clone(), now + HR_OPEN_FOR));
        Ok(operator)
    }

    pub fn close_hr(&self) {
        *held(&self.session) = None;
    }

    /// Who opened the HR pages, while they are open; each HR action keeps them open longer.
    fn hr(&self, now: DateTime<Utc>) -> Result<Operator> {
        let mut session = held(&self.session);
        match &mut *session {
            Some((op, until)) if *until > now => {
                *until = now + HR_OPEN_FOR;
                Ok(op.clone())
            }
            _ => {
                *session = None;
                Err(Error::PinRequired)
            }
        }
    }

    /// Workers matching `query` by code or name, for a manual entry (the guard's search, no HR
    /// session needed).
    pub fn search(&self, query: &str) -> Result<Vec<Found>> {
        Ok(roster::search(&self.store()?, query, 20)?.into_iter().map(Found::from).collect())
    }

    /// The office's own connection to the database, never the gate's.
    fn store(&self) -> Result<Store> {
        Ok(Store::open(&self.data.database()).map_err(|e| e.on_disk(&self.data.root))?)
    }

    /// A roster file HR picked: all or nothing, bad rows named by spreadsheet row. The file is
    /// read and checked before the database is touched; only the import itself writes.
    pub fn import_roster(&self, file: &Path, deactivate_missing: bool, now: DateTime<Utc>) -> Result<ImportSummary> {
        self.hr(now)?;
        let rows = roster::read_file(file, &self.config)?;
        Ok(roster::import(&mut self.store()?, &rows, deactivate_missing, now, &mut |_, _| {})?)
    }

    /// Photos HR picked (pictures, or ZIPs of them, by name and bytes): all or nothing, bad files
    /// named. Returns how many were stored.
    pub fn import_photos(&self, files: Vec<(String, Vec<u8>)>, now: DateTime<Utc>) -> Result<usize> {
        self.hr(now)?;
        Ok(qrgate_hr::photos::import_files(&mut self.store()?, files, now)?)
    }

    /// A worker's photo for the guard screen, on the office's connection: showing it never
    /// waits for the gate.
    pub fn photo(&self, code: &str) -> Result<Option<Vec<u8>>> {
        let code: qrgate_core::model::EmployeeCode = code.parse()?;
        Ok(self.store()?.photo(&code)?)
    }

    /// The newest camera snapshots kept at refused scans (`[camera] snapshots`), for HR.
    pub fn kept_snapshots(&self, now: DateTime<Utc>) -> Result<Vec<qrgate_core::store::KeptSnapshot>> {
        self.hr(now)?;
        Ok(self.store()?.kept_snapshots(100)?)
    }

    /// One snapshot's JPEG, while the HR pages are open.
    pub fn snapshot(&self, event_id: &str, now: DateTime<Utc>) -> Result<Option<Vec<u8>>> {
        self.hr(now)?;
        let id = event_id.parse().map_err(|_| Error::invalid("event id", "not an event id"))?;
        Ok(self.store()?.snapshot(id)?)
    }

    /// Signs badges for `selection` and writes the printable sheet into `out_dir`.
    pub fn issue_badges(&self, selection: &Selection, out_dir: &Path, now: DateTime<Utc>) -> Result<ExportSummary> {
        self.hr(now)?;
        let key = self.data.badge_signing_key(None)?;
        let today = self.today(now);
        let mut store = self.store()?;
        let cards = print::issue(&mut store, &key, selection, today, None, now)?;
        let title = store.identity().enterprise_name.clone();
        drop(store);
        let path = out_dir.join(format!("the-{}-{}.pdf", today.format("%Y%m%d"), now.format("%H%M%S")));
        create_dir(out_dir)?;
        print::badge_sheet_pdf(&cards, &title, &path)?;
        Ok(ExportSummary { path, rows: cards.len() as u64 })
    }

    /// Revokes `code`'s badge: its printed badges stop working at every gate. Returns the new serial.
    pub fn revoke_badge(&self, code: &str, now: DateTime<Utc>) -> Result<u32> {
        self.hr(now)?;
        Ok(self.store()?.revoke_badge(&code.parse()?, now)?)
    }

    /// Who is inside at `now`: those surely inside, workers by department, then visitors (numbers
    /// masked); then those whose shift ended hours ago.
    pub fn evacuation_list(&self, now: DateTime<Utc>) -> Result<Vec<InsideRow>> {
        self.hr(now)?;
        Ok(export::inside_rows(&self.store()?, &self.config, now)?)
    }

    /// The evacuation list as a PDF to print.
    pub fn evacuation_pdf(&self, out_dir: &Path, now: DateTime<Utc>) -> Result<ExportSummary> {
        self.hr(now)?;
        create_dir(out_dir)?;
        let path = out_dir.join(format!("so-tan-{}.pdf", self.local(now).format("%Y%m%d-%H%M%S")));
        Ok(export::inside(&self.store()?, &self.config, now, Format::Pdf, &path, &mut |_, _| {})?)
    }

    /// One day's attendance (XLSX or CSV) into `out_dir`.
    pub fn export_attendance(
        &self,
        day: NaiveDate,
        format: Format,
        out_dir: &Path,
        now: DateTime<Utc>,
    ) -> Result<ExportSummary> {
        self.hr(now)?;
        create_dir(out_dir)?;
        let path = out_dir.join(format!("cham-cong-{}.{}", day.format("%Y-%m-%d"), format.as_str()));
        let store = self.store()?;
        Ok(export::attendance(&store, &self.config, DayRange::one(day)?, None, format, &path, &mut |_, _| {})?)
    }

    /// The monthly timesheet (bảng chấm công) of the month `day` falls in, every worker.
    pub fn export_timesheet(
        &self,
        day: NaiveDate,
        format: Format,
        out_dir: &Path,
        now: DateTime<Utc>,
    ) -> Result<ExportSummary> {
        self.hr(now)?;
        create_dir(out_dir)?;
        let month = Month::new(day.year(), day.month())?;
        let path = out_dir.join(format!("bang-cham-cong-{}.{}", day.format("%Y-%m"), format.as_str()));
        let store = self.store()?;
        Ok(timesheet::export(&store, &self.config, month, None, format, &path, &mut |_, _| {})?)
    }

    /// One day's visitors with their whole ID numbers: HR's list, never the guard's.
    /// Written in the record of processing under the operator's name (Law 91/2025/QH15).
    pub fn export_visitors(&self, day: NaiveDate, out_dir: &Path, now: DateTime<Utc>) -> Result<ExportSummary> {
        let operator = self.hr(now)?;
        create_dir(out_dir)?;
        let path = out_dir.join(format!("khach-{}.xlsx", day.format("%Y-%m-%d")));
        let store = self.store()?;
        let summary =
            export::visitors(&store, &self.config, DayRange::one(day)?, true, Format::Xlsx, &path, &mut |_, _| {})?;
        let entry = Processing {
            at: now,
            actor: operator.name,
            action: Action::ExportFullIds,
            people: summary.rows,
            detail: format!("visitors {day}"),
        };
        privacy::record(&store, &entry)?;
        Ok(summary)
    }

    /// What the kiosk holds about one person, as XLSX in `out_dir` (the person's right to see it),
    /// written in the record of processing under the operator's name.
    pub fn show_person(&self, subject: &Subject, out_dir: &Path, now: DateTime<Utc>) -> Result<ExportSummary> {
        let operator = self.hr(now)?;
        create_dir(out_dir)?;
        // Named by the moment, never by the person: the file name shows in lists and on screen.
        let path = out_dir.join(format!("du-lieu-ca-nhan-{}.xlsx", self.local(now).format("%Y-%m-%d-%H%M%S")));
        let store = self.store()?;
        requests::show(&store, &self.config, subject, Format::Xlsx, &path, &operator.name, now)
    }

    /// Erases one person's details at their request, under the operator's name.
    pub fn erase_person(&self, subject: &Subject, now: DateTime<Utc>) -> Result<Erased> {
        let operator = self.hr(now)?;
        requests::erase(&self.store()?, subject, &operator.name, now)
    }

    /// The retention rules of `[privacy]`, run by the window every hour on a connection of its own.
    pub fn retention(&self, now: DateTime<Utc>) -> Result<Purged> {
        Ok(privacy::retention(&self.store()?, &self.config.privacy, now, "retention")?)
    }

    /// The gate's calendar day at `now`.
    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        self.local(now).date()
    }

    fn local(&self, now: DateTime<Utc>) -> chrono::NaiveDateTime {
        now.with_timezone(&self.config.time.timezone).naive_local()
    }
}

fn create_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(Error::io(dir))
}
