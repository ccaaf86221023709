//! The kiosk's desk: what the window asks of the engine besides "decide on this scan": visitor
//! registration forms, manual entries and leaving behind PINs, and the HR pages.
//!
//! The window holds no state that matters: a visitor's CCCD text waits here while the guard fills
//! the form (the window sees only the masked number), and the HR pages stay open only for
//! [`HR_OPEN_FOR`] after the admin PIN.

use std::collections::VecDeque;
use std::path::Path;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::pin::{Operator, PinLock, Pins, Role};
use qrgate_core::datadir::DataDir;
use qrgate_core::gate::{Decision, Gate, ManualEntry, Scan, VisitorArrival, VisitorDetails};
use qrgate_core::model::{Direction, EmployeeCode, HealthAnswer, Method};
use qrgate_core::presence::InsideRule;
use qrgate_core::store::{InsideCounts, Store, Worker};
use qrgate_hr::attendance::DayRange;
use qrgate_hr::export::{self, ExportSummary, Format, InsideRow};
use qrgate_hr::print::{self, Selection};
use qrgate_hr::roster::{self, ImportSummary};

/// How long the HR pages stay open after the admin PIN without being closed.
pub const HR_OPEN_FOR: Duration = Duration::minutes(10);
/// Registration forms open at once: a guard does not fill more than a few; older ones are dropped.
const OPEN_FORMS: usize = 8;

/// The kiosk's engine and what the window is in the middle of.
pub struct Desk {
    pub data: DataDir,
    pub store: Store,
    pub gate: Gate,
    pins: Pins,
    lock: PinLock,
    forms: VecDeque<(Uuid, String)>,
    hr: Option<(Operator, DateTime<Utc>)>,
}

/// What a scan led to.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Scanned {
    Decided {
        decision: Decision,
    },
    /// A visitor arriving: the guard fills the form and confirms (or cancels) with `form`.
    VisitorForm {
        form: Uuid,
        card: VisitorArrival,
    },
}

/// What the guard adds to a visitor's card.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct VisitorForm {
    pub host: String,
    pub purpose: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub health: Vec<HealthAnswer>,
}

/// A guard letting a worker through by hand.
#[derive(Debug, Clone, Deserialize)]
pub struct ManualRequest {
    pub code: String,
    pub direction: Direction,
    pub reason: String,
    pub pin: String,
}

/// A worker as the manual-entry search lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Found {
    pub code: String,
    pub name: String,
    pub department: String,
    pub active: bool,
}

impl From<Worker> for Found {
    fn from(w: Worker) -> Found {
        Found { code: w.code.to_string(), name: w.full_name, department: w.department, active: w.active }
    }
}

impl Desk {
    pub fn open(data: DataDir) -> Result<Desk> {
        let (store, config) = data.open()?;
        let gate = Gate::new(&store, config)?;
        let pins = Pins::load(&data.root)?;
        Ok(Desk { data, store, gate, pins, lock: PinLock::default(), forms: VecDeque::new(), hr: None })
    }

    /// A camera or USB-scanner read: decided at once, or a visitor's registration form.
    pub fn scan(&mut self, text: &str, method: Method, now: DateTime<Utc>, id: Uuid) -> Result<Scanned> {
        if let Some(card) = self.gate.visitor_arrival(&self.store, text, now)? {
            let form = id;
            // The same card shown again replaces its open form instead of opening a second one.
            self.forms.retain(|(_, t)| t != text);
            if self.forms.len() == OPEN_FORMS {
                self.forms.pop_front();
            }
            self.forms.push_back((form, text.to_string()));
            return Ok(Scanned::VisitorForm { form, card });
        }
        let scan = Scan { method, ..Scan::camera(text) };
        Ok(Scanned::Decided { decision: self.gate.check(&mut self.store, &scan, now, id)? })
    }

    /// The guard confirmed a visitor's form: the visitor goes in.
    pub fn confirm_visitor(
        &mut self,
        form: Uuid,
        filled: &VisitorForm,
        now: DateTime<Utc>,
        id: Uuid,
    ) -> Result<Decision> {
        let at = self.forms.iter().position(|(f, _)| *f == form).ok_or(Error::FormClosed)?;
        let host = filled.host.trim();
        let purpose = filled.purpose.trim();
        let phone = filled.phone.trim();
        if host.is_empty() || purpose.is_empty() {
            return Err(Error::invalid("host and purpose", "both are needed"));
        }
        let phone_ok =
            (9..=12).contains(&phone.len()) && phone.trim_start_matches('+').bytes().all(|b| b.is_ascii_digit());
        if !phone.is_empty() && !phone_ok {
            return Err(Error::invalid("phone", "9 to 12 digits, e.g. 0912345678"));
        }
        let questions = &self.gate.config.visitors.health_questions;
        let answered = questions.iter().all(|q| filled.health.iter().any(|a| &a.question == q));
        if !answered || filled.health.len() != questions.len() {
            return Err(Error::invalid("health answers", "answer every health question"));
        }
        let text = self.forms[at].1.clone();
        let scan = Scan {
            visitor: VisitorDetails {
                host: Some(host),
                purpose: Some(purpose),
                phone: (!phone.is_empty()).then_some(phone),
                health: &filled.health,
            },
            ..Scan::camera(&text)
        };
        let decision = self.gate.check(&mut self.store, &scan, now, id)?;
        self.forms.remove(at);
        Ok(decision)
    }

    /// The guard closed the form: the visitor did not come in, nothing is recorded.
    pub fn cancel_visitor(&mut self, form: Uuid) {
        self.forms.retain(|(f, _)| *f != form);
    }

    /// Workers matching `query` by code or name, for a manual entry.
    pub fn search(&self, query: &str) -> Result<Vec<Found>> {
        Ok(roster::search(&self.store, query, 20)?.into_iter().map(Found::from).collect())
    }

    /// A manual entry: the guard's PIN names the operator written into the event.
    pub fn manual_entry(&mut self, request: &ManualRequest, now: DateTime<Utc>, id: Uuid) -> Result<Decision> {
        let reason = request.reason.trim();
        if reason.is_empty() {
            return Err(Error::invalid("reason", "say why the worker is let through by hand"));
        }
        let code: EmployeeCode = request.code.parse()?;
        let operator = self.lock.attempt(&self.pins, &request.pin, Role::Guard, now)?;
        let scan = Scan {
            method: Method::Manual,
            manual: Some(ManualEntry { operator: &operator.name, reason, direction: Some(request.direction) }),
            ..Scan::camera(code.as_str())
        };
        Ok(self.gate.check(&mut self.store, &scan, now, id)?)
    }

    /// The admin PIN, asked before the kiosk closes. With no admin PIN set yet the kiosk can be
    /// left (the screen says no PIN protects it).
    pub fn may_leave(&mut self, pin: &str, now: DateTime<Utc>) -> Result<Option<Operator>> {
        if !self.pins.has_admin() {
            return Ok(None);
        }
        Ok(Some(self.lock.attempt(&self.pins, pin, Role::Admin, now)?))
    }

    pub fn has_admin_pin(&self) -> bool {
        self.pins.has_admin()
    }

    /// Opens the HR pages for [`HR_OPEN_FOR`].
    pub fn open_hr(&mut self, pin: &str, now: DateTime<Utc>) -> Result<Operator> {
        if !self.pins.has_admin() {
            return Err(Error::NoAdminPin);
        }
        let operator = self.lock.attempt(&self.pins, pin, Role::Admin, now)?;
        self.hr = Some((operator.clone(), now + HR_OPEN_FOR));
        Ok(operator)
    }

    pub fn close_hr(&mut self) {
        self.hr = None;
    }

    /// Who opened the HR pages, while they are open; each HR action keeps them open longer.
    fn hr(&mut self, now: DateTime<Utc>) -> Result<Operator> {
        match &mut self.hr {
            Some((op, until)) if *until > now => {
                *until = now + HR_OPEN_FOR;
                Ok(op.clone())
            }
            _ => {
                self.hr = None;
                Err(Error::PinRequired)
            }
        }
    }

    /// How many are inside at `now`, for the guard screen: one indexed count, whatever the history.
    pub fn inside_counts(&self, now: DateTime<Utc>) -> Result<InsideCounts> {
        Ok(self.store.inside_counts(InsideRule::of(&self.gate.config), now)?)
    }

    // ---- HR pages ---------------------------------------------------------------------------

    /// A roster file HR picked: all or nothing, bad rows named by spreadsheet row.
    pub fn import_roster(
        &mut self,
        file: &Path,
        deactivate_missing: bool,
        now: DateTime<Utc>,
    ) -> Result<ImportSummary> {
        self.hr(now)?;
        let rows = roster::read_file(file, &self.gate.config)?;
        Ok(roster::import(&mut self.store, &rows, deactivate_missing, now, &mut |_, _| {})?)
    }

    /// Signs badges for `selection` and writes the printable sheet into `out_dir`.
    pub fn issue_badges(&mut self, selection: &Selection, out_dir: &Path, now: DateTime<Utc>) -> Result<ExportSummary> {
        self.hr(now)?;
        let key = self.data.badge_signing_key(None)?;
        let today = self.today(now);
        let cards = print::issue(&mut self.store, &key, selection, today, None, now)?;
        let title = self.store.identity().enterprise_name.clone();
        let path = out_dir.join(format!("the-{}-{}.pdf", today.format("%Y%m%d"), now.format("%H%M%S")));
        create_dir(out_dir)?;
        print::badge_sheet_pdf(&cards, &title, &path)?;
        Ok(ExportSummary { path, rows: cards.len() as u64 })
    }

    /// Revokes `code`'s badge: its printed badges stop working at every gate. Returns the new serial.
    pub fn revoke_badge(&mut self, code: &str, now: DateTime<Utc>) -> Result<u32> {
        self.hr(now)?;
        Ok(self.store.revoke_badge(&code.parse()?, now)?)
    }

    /// Who is inside at `now`: those surely inside, workers by department, then visitors (numbers
    /// masked); then those whose shift ended hours ago.
    pub fn evacuation_list(&mut self, now: DateTime<Utc>) -> Result<Vec<InsideRow>> {
        self.hr(now)?;
        Ok(export::inside_rows(&self.store, &self.gate.config, now)?)
    }

    /// The evacuation list as a PDF to print.
    pub fn evacuation_pdf(&mut self, out_dir: &Path, now: DateTime<Utc>) -> Result<ExportSummary> {
        self.hr(now)?;
        create_dir(out_dir)?;
        let path = out_dir.join(format!("so-tan-{}.pdf", self.local(now).format("%Y%m%d-%H%M%S")));
        Ok(export::inside(&self.store, &self.gate.config, now, Format::Pdf, &path, &mut |_, _| {})?)
    }

    /// One day's attendance (XLSX or CSV) into `out_dir`.
    pub fn export_attendance(
        &mut self,
        day: NaiveDate,
        format: Format,
        out_dir: &Path,
        now: DateTime<Utc>,
    ) -> Result<ExportSummary> {
        self.hr(now)?;
        create_dir(out_dir)?;
        let path = out_dir.join(format!("cham-cong-{}.{}", day.format("%Y-%m-%d"), format.as_str()));
        Ok(export::attendance(
            &self.store,
            &self.gate.config,
            DayRange::one(day)?,
            None,
            format,
            &path,
            &mut |_, _| {},
        )?)
    }

    /// One day's visitors with their whole ID numbers: HR's list, never the guard's.
    pub fn export_visitors(&mut self, day: NaiveDate, out_dir: &Path, now: DateTime<Utc>) -> Result<ExportSummary> {
        self.hr(now)?;
        create_dir(out_dir)?;
        let path = out_dir.join(format!("khach-{}.xlsx", day.format("%Y-%m-%d")));
        Ok(export::visitors(
            &self.store,
            &self.gate.config,
            DayRange::one(day)?,
            true,
            Format::Xlsx,
            &path,
            &mut |_, _| {},
        )?)
    }

    /// The gate's calendar day at `now`.
    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        self.local(now).date()
    }

    fn local(&self, now: DateTime<Utc>) -> chrono::NaiveDateTime {
        now.with_timezone(&self.gate.config.time.timezone).naive_local()
    }
}

fn create_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(Error::io(dir))
}
