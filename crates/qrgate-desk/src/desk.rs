//! The kiosk's desk: the gate's side of the kiosk, on the gate's own database connection: scans,
//! visitor registration forms, manual entries, the counts the guard screen shows.
//!
//! The window holds no state that matters: a visitor's CCCD text waits here while the guard fills
//! the form (the window sees only the masked number). PINs and the HR pages are the office's
//! ([`crate::office`]), on connections of their own, so neither a PIN's slow hash nor a month's
//! export ever waits for, or holds up, a decision.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::pin::Operator;
use qrgate_core::config::Lane;
use qrgate_core::datadir::DataDir;
use qrgate_core::gate::{Decision, Gate, ManualEntry, Scan, VisitorArrival, VisitorDetails};
use qrgate_core::model::{Direction, EmployeeCode, HealthAnswer, Method};
use qrgate_core::presence::InsideRule;
use qrgate_core::store::{InsideCounts, Store, Worker};

pub use crate::office::HR_OPEN_FOR;
/// Registration forms open at once: a guard does not fill more than a few; older ones are dropped.
const OPEN_FORMS: usize = 8;

/// The kiosk's engine and what the window is in the middle of.
pub struct Desk {
    pub data: DataDir,
    pub store: Store,
    pub gate: Gate,
    /// Open registration forms: the form, the card's text, the lane it was scanned at.
    forms: VecDeque<(Uuid, String, Option<Lane>)>,
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
    /// The guard told the visitor the notice and the visitor agreed (never assumed).
    #[serde(default)]
    pub consent: bool,
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
        let gate = data.gate(&store, config)?;
        Ok(Desk { data, store, gate, forms: VecDeque::new() })
    }

    /// A camera or USB-scanner read: decided at once, or a visitor's registration form.
    pub fn scan(&mut self, text: &str, method: Method, now: DateTime<Utc>, id: Uuid) -> Result<Scanned> {
        self.scan_in_lane(text, method, None, now, id)
    }

    /// A scan read by one lane's camera on a two-lane gate: the lane's direction is the scan's,
    /// and its event records the lane.
    pub fn scan_in_lane(
        &mut self,
        text: &str,
        method: Method,
        lane: Option<Lane>,
        now: DateTime<Utc>,
        id: Uuid,
    ) -> Result<Scanned> {
        if let Some(card) = self.gate.visitor_arrival(&self.store, text, lane, now)? {
            let form = id;
            // The same card shown again replaces its open form instead of opening a second one.
            self.forms.retain(|(_, t, _)| t != text);
            if self.forms.len() == OPEN_FORMS {
                self.forms.pop_front();
            }
            self.forms.push_back((form, text.to_string(), lane));
            return Ok(Scanned::VisitorForm { form, card });
        }
        let scan = Scan { method, lane, ..Scan::camera(text) };
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
        let at = self.forms.iter().position(|(f, _, _)| *f == form).ok_or(Error::FormClosed)?;
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
        if !filled.consent {
            return Err(Error::invalid("consent", "the visitor must be told the notice and agree"));
        }
        let privacy = &self.gate.config.privacy;
        let notice = privacy.notice_text(&self.store.identity().enterprise_name);
        let digest = qrgate_core::config::PrivacyConfig::notice_digest(&notice);
        let (text, lane) = (self.forms[at].1.clone(), self.forms[at].2);
        let scan = Scan {
            visitor: VisitorDetails {
                host: Some(host),
                purpose: Some(purpose),
                phone: (!phone.is_empty()).then_some(phone),
                health: &filled.health,
                consent: Some(&digest),
            },
            lane,
            ..Scan::camera(&text)
        };
        let decision = self.gate.check(&mut self.store, &scan, now, id)?;
        self.forms.remove(at);
        Ok(decision)
    }

    /// The guard closed the form: the visitor did not come in, nothing is recorded.
    pub fn cancel_visitor(&mut self, form: Uuid) {
        self.forms.retain(|(f, _, _)| *f != form);
    }

    /// A manual entry by `operator`, whose PIN the office checked ([`crate::office::Office::guard`])
    /// before the desk was taken: the slow hash never holds up the gate.
    pub fn manual_entry(
        &mut self,
        request: &ManualRequest,
        operator: &Operator,
        now: DateTime<Utc>,
        id: Uuid,
    ) -> Result<Decision> {
        let reason = request.reason.trim();
        if reason.is_empty() {
            return Err(Error::invalid("reason", "say why the worker is let through by hand"));
        }
        let code: EmployeeCode = request.code.parse()?;
        let scan = Scan {
            method: Method::Manual,
            manual: Some(ManualEntry { operator: &operator.name, reason, direction: Some(request.direction) }),
            ..Scan::camera(code.as_str())
        };
        Ok(self.gate.check(&mut self.store, &scan, now, id)?)
    }

    /// How many are inside at `now`, for the guard screen: one indexed count, whatever the history.
    pub fn inside_counts(&self, now: DateTime<Utc>) -> Result<InsideCounts> {
        Ok(self.store.inside_counts(InsideRule::of(&self.gate.config), now)?)
    }
}
