//! The decision at the gate: from one scanned text to a durable event, in DESIGN.md's order.
//!
//! decode → parse → enterprise → key → signature → person → serial → expiry → active →
//! debounce → direction → anti-passback → write → answer. The enterprise is checked before the
//! key because a kiosk holds no other enterprise's keys: "another enterprise's badge" tells the
//! guard more than "unknown key".

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::badge::{self, BadgeError};
use crate::cccd::{self, CccdCard, CccdError};
use crate::config::{Config, Lane};
use crate::error::Result;
use crate::model::{ClockFlag, Direction, EmployeeCode, GateMode, Method, PassbackPolicy, PersonRef, Verdict};
use crate::presence::InsideRule;
use crate::store::{Event, Store, VisitorRecord, Worker};

/// Why the gate refused someone, or warned the guard. The code is stable: the UI, the exports
/// and the province switch on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    NotABadge,
    BadgeDamaged,
    UnknownBadgeVersion,
    OtherEnterprise,
    UnknownKey,
    BadSignature,
    UnknownPerson,
    Revoked,
    Expired,
    Inactive,
    InvalidCccd,
    AntiPassback,
    NoConsent,
}

impl Reason {
    pub const ALL: [Reason; 13] = [
        Reason::NotABadge,
        Reason::BadgeDamaged,
        Reason::UnknownBadgeVersion,
        Reason::OtherEnterprise,
        Reason::UnknownKey,
        Reason::BadSignature,
        Reason::UnknownPerson,
        Reason::Revoked,
        Reason::Expired,
        Reason::Inactive,
        Reason::InvalidCccd,
        Reason::AntiPassback,
        Reason::NoConsent,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Reason::NotABadge => "not_a_badge",
            Reason::BadgeDamaged => "badge_damaged",
            Reason::UnknownBadgeVersion => "unknown_badge_version",
            Reason::OtherEnterprise => "other_enterprise",
            Reason::UnknownKey => "unknown_key",
            Reason::BadSignature => "bad_signature",
            Reason::UnknownPerson => "unknown_person",
            Reason::Revoked => "revoked",
            Reason::Expired => "expired",
            Reason::Inactive => "inactive",
            Reason::InvalidCccd => "invalid_cccd",
            Reason::AntiPassback => "anti_passback",
            Reason::NoConsent => "no_consent",
        }
    }

    pub fn from_code(code: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// What reached the gate: a camera, a USB scanner typing, or a guard's manual entry.
#[derive(Debug, Clone)]
pub struct Scan<'a> {
    pub text: &'a str,
    /// `Badge` for a camera or scanner; `Phone` when the source knows it read a screen.
    pub method: Method,
    pub manual: Option<ManualEntry<'a>>,
    /// What the guard added for a visitor (host, purpose, phone).
    pub visitor: VisitorDetails<'a>,
    /// The lane whose camera read it, on a two-lane gate: its direction is the scan's.
    pub lane: Option<Lane>,
}

impl<'a> Scan<'a> {
    pub fn camera(text: &'a str) -> Scan<'a> {
        Scan { text, method: Method::Badge, manual: None, visitor: VisitorDetails::default(), lane: None }
    }
}

/// A guard letting someone through by hand: the text is an employee code.
#[derive(Debug, Clone)]
pub struct ManualEntry<'a> {
    pub operator: &'a str,
    pub reason: &'a str,
    pub direction: Option<Direction>,
}

#[derive(Debug, Clone, Default)]
pub struct VisitorDetails<'a> {
    pub host: Option<&'a str>,
    pub purpose: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub health: &'a [crate::model::HealthAnswer],
    /// The guard's word that the visitor was told the notice and agreed: the digest of the notice
    /// they were shown ([`crate::config::PrivacyConfig::notice_digest`]). Silence is not consent.
    pub consent: Option<&'a str>,
}

/// The person as the guard sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonView {
    pub kind: &'static str,
    /// Employee code, or the visitor's masked ID number.
    pub code: String,
    pub name: String,
    pub department: Option<String>,
}

/// A visitor's card as the registration form shows it: the ID number masked, never whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VisitorArrival {
    pub name: String,
    pub masked_number: String,
    pub birth_date: chrono::NaiveDate,
    pub sex: String,
    pub address: String,
    /// What the visitor told the guard on an earlier visit still on record, to fill the form again.
    pub host: Option<String>,
    pub purpose: Option<String>,
    pub phone: Option<String>,
    /// The enterprise's questions (kiosk.conf `[visitors]`), to be answered yes or no.
    pub health_questions: Vec<String>,
    /// The notice the guard tells the visitor before they agree (kiosk.conf `[privacy] notice`).
    pub notice: String,
}

/// The gate's answer.
#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    pub verdict: Verdict,
    pub reason: Option<Reason>,
    /// Accepted, but the guard should look (anti-passback in `warn`).
    pub warning: Option<Reason>,
    pub direction: Option<Direction>,
    pub person: Option<PersonView>,
    /// The event written; for a debounced scan, the earlier event shown again.
    pub event_id: Uuid,
    pub time: DateTime<FixedOffset>,
    /// True when nothing new was recorded because the same person scanned moments ago.
    pub debounced: bool,
    /// The event's time is far from what the kiosk knew to be the time (its clock jumped):
    /// the guard should check the kiosk's clock; the province sees the same flag on the event.
    pub clock_flag: Option<ClockFlag>,
}

/// Records that nobody went through the opening made for the accepted event `entry` (the
/// passage sensor saw no one in time): its follow-up event, at `now` in the gate's zone. `None`
/// when `entry` is not this kiosk's accepted passage or already has one.
pub fn record_not_passed(
    store: &mut Store,
    zone: chrono_tz::Tz,
    entry: Uuid,
    now: DateTime<Utc>,
    id: Uuid,
) -> Result<Option<Event>> {
    let at = chrono::SubsecRound::trunc_subsecs(now, 3).with_timezone(&zone).fixed_offset();
    store.append_not_passed(entry, id, at)
}

/// Everything the gate needs besides the store; built once per kiosk start.
pub struct Gate {
    pub config: Config,
    keys: Vec<badge::BadgePublicKey>,
    visitor_salt: Vec<u8>,
    visitor_key: Option<crate::privacy::VisitorKey>,
}

enum Who {
    Worker(Worker, Option<u32>),
    Visitor(Box<CccdCard>),
}

/// Who the scan identified, or why the gate refuses before knowing more.
type Identified = std::result::Result<Who, Refusal>;

struct Refusal {
    reason: Reason,
    person: Option<PersonRef>,
    view: Option<PersonView>,
    serial: Option<u32>,
}

impl Refusal {
    fn anonymous(reason: Reason) -> Refusal {
        Refusal { reason, person: None, view: None, serial: None }
    }
}

fn worker_view(w: &Worker) -> PersonView {
    PersonView {
        kind: "worker",
        code: w.code.to_string(),
        name: w.full_name.clone(),
        department: Some(w.department.clone()),
    }
}

impl Gate {
    pub fn new(store: &Store, config: Config) -> Result<Gate> {
        Ok(Gate { config, keys: store.badge_keys()?, visitor_salt: store.visitor_salt()?, visitor_key: None })
    }

    /// Visitors named by the enterprise's key (see [`crate::privacy::VisitorKey`]); without one
    /// (a kiosk set up before the key existed) each visitor gets an id of this kiosk's own.
    pub fn with_visitor_key(mut self, key: Option<crate::privacy::VisitorKey>) -> Gate {
        self.visitor_key = key;
        self
    }

    /// Decides on one scan and records it. `id` is the new event's id (made by the caller),
    /// `now` the moment of the scan.
    pub fn check(&self, store: &mut Store, scan: &Scan<'_>, now: DateTime<Utc>, id: Uuid) -> Result<Decision> {
        // The store keeps milliseconds; answer with the time as it will be read back.
        let now = chrono::SubsecRound::trunc_subsecs(now, 3);
        self.check_texts(scan)?;
        let offset = self.offset(now);
        let at = now.with_timezone(&offset);
        let who = match self.identify(store, scan, at)? {
            Ok(who) => who,
            Err(refusal) => return self.refuse(store, scan, refusal, None, at, id),
        };
        let (person, view, serial) = match &who {
            Who::Worker(w, serial) => (PersonRef::Worker(w.code.clone()), worker_view(w), *serial),
            Who::Visitor(card) => (
                PersonRef::Visitor(self.visitor_id(store, card, id)?),
                PersonView {
                    kind: "visitor",
                    code: card.number.masked(),
                    name: card.full_name.clone(),
                    department: None,
                },
                None,
            ),
        };
        if let Who::Worker(w, _) = &who {
            if !w.active {
                let refusal = Refusal { reason: Reason::Inactive, person: Some(person), view: Some(view), serial };
                return self.refuse(store, scan, refusal, None, at, id);
            }
        }
        if scan.manual.is_none() {
            if let Some(earlier) = self.debounced(store, &person, now)? {
                return Ok(Decision {
                    verdict: earlier.verdict,
                    reason: earlier
                        .reason
                        .as_deref()
                        .and_then(Reason::from_code)
                        .filter(|_| earlier.verdict == Verdict::Refused),
                    warning: earlier
                        .reason
                        .as_deref()
                        .and_then(Reason::from_code)
                        .filter(|_| earlier.verdict == Verdict::Accepted),
                    direction: earlier.direction,
                    person: Some(view),
                    event_id: earlier.id,
                    time: earlier.at,
                    debounced: true,
                    clock_flag: earlier.clock_flag,
                });
            }
        }
        let (direction, last_direction) =
            self.direction(store, &person, now, scan.manual.as_ref().and_then(|m| m.direction), scan.lane)?;
        let passback = last_direction == Some(direction);
        let policy = if scan.manual.is_some() {
            // A guard who enters someone by hand has looked at them: warn, never block.
            self.config.gate.anti_passback.min_warn()
        } else {
            self.config.gate.anti_passback
        };
        if matches!(who, Who::Visitor(_)) && direction == Direction::In && scan.visitor.consent.is_none() {
            // Law 91/2025/QH15: no details of a visitor who was not told the notice and did not
            // agree; the refusal names nobody, so nothing of the card is kept.
            let refusal = Refusal { reason: Reason::NoConsent, person: None, view: Some(view), serial: None };
            return self.refuse(store, scan, refusal, Some(direction), at, id);
        }
        let warning = match (passback, policy) {
            (true, PassbackPolicy::Block) => {
                let refusal = Refusal { reason: Reason::AntiPassback, person: Some(person), view: Some(view), serial };
                return self.refuse(store, scan, refusal, Some(direction), at, id);
            }
            (true, PassbackPolicy::Warn) => Some(Reason::AntiPassback),
            _ => None,
        };
        let event = Event {
            person: Some(person.clone()),
            direction: Some(direction),
            reason: warning.map(|w| w.code().to_string()),
            badge_serial: serial,
            ..self.draft(scan, id, at, self.method(scan, &who), Verdict::Accepted)
        };
        let stored = match &who {
            Who::Worker(w, Some(serial)) => {
                if *serial > w.badge_serial {
                    store.learn_badge_serial(&w.code, *serial, now)?;
                }
                store.append_event(event)?
            }
            Who::Worker(_, None) => store.append_event(event)?,
            Who::Visitor(card) => {
                let PersonRef::Visitor(visitor_id) = &person else { unreachable!("visitor ref") };
                let hash = self.number_hash(card);
                let record = VisitorRecord {
                    id: visitor_id,
                    number_hash: &hash,
                    card,
                    host: scan.visitor.host,
                    purpose: scan.visitor.purpose,
                    phone: scan.visitor.phone,
                    health: scan.visitor.health,
                    consent: scan.visitor.consent,
                };
                store.append_visitor_event(&record, event)?
            }
        };
        Ok(Decision {
            verdict: Verdict::Accepted,
            reason: None,
            warning,
            direction: Some(direction),
            person: Some(view),
            event_id: stored.id,
            time: stored.at,
            debounced: false,
            clock_flag: stored.clock_flag,
        })
    }

    /// A CCCD card whose holder is arriving: what the kiosk's registration form shows before
    /// anything is recorded. `None` for every other text (and for a visitor leaving, or one who
    /// scanned moments ago), which goes through [`Gate::check`] as it is.
    pub fn visitor_arrival(
        &self,
        store: &Store,
        text: &str,
        lane: Option<Lane>,
        now: DateTime<Utc>,
    ) -> Result<Option<VisitorArrival>> {
        let today = now.with_timezone(&self.offset(now)).date_naive();
        let Ok(card) = cccd::parse(text, today) else { return Ok(None) };
        let earlier = match store.visitor_by_number_hash(&self.number_hash(&card))? {
            Some(id) => {
                let person = PersonRef::Visitor(id);
                if self.debounced(store, &person, now)?.is_some()
                    || self.direction(store, &person, now, None, lane)?.0 == Direction::Out
                {
                    return Ok(None);
                }
                store.visitor(person.key())?
            }
            // Nobody on record: the lane or the gate's mode alone says which way they go.
            None if lane.map_or(self.config.gate.mode == GateMode::Out, |l| l.direction == Direction::Out) => {
                return Ok(None)
            }
            None => None,
        };
        Ok(Some(VisitorArrival {
            name: card.full_name.clone(),
            masked_number: card.number.masked(),
            birth_date: card.birth_date,
            sex: card.sex.clone(),
            address: card.address.clone(),
            host: earlier.as_ref().and_then(|v| v.host.clone()),
            purpose: earlier.as_ref().and_then(|v| v.purpose.clone()),
            phone: earlier.and_then(|v| v.phone),
            health_questions: self.config.visitors.health_questions.clone(),
            notice: self.config.privacy.notice_text(&store.identity().enterprise_name),
        }))
    }

    /// Which way this person is going now, and which way their last accepted event went (for
    /// anti-passback). `manual` is a guard's choice, which wins over the lane's direction, which
    /// wins over the gate's mode.
    fn direction(
        &self,
        store: &Store,
        person: &PersonRef,
        now: DateTime<Utc>,
        manual: Option<Direction>,
        lane: Option<Lane>,
    ) -> Result<(Direction, Option<Direction>)> {
        // The one rule of "inside" (an entry older than the longest stay is a forgotten exit), so
        // `auto` never turns tomorrow's arrival into an exit and agrees with the guard's counts.
        let last_direction = InsideRule::of(&self.config).standing(store.passage(person)?.as_ref(), now);
        let direction = match (manual.or(lane.map(|l| l.direction)), self.config.gate.mode) {
            (Some(d), _) => d,
            (None, GateMode::In) => Direction::In,
            (None, GateMode::Out) => Direction::Out,
            (None, GateMode::Auto) => last_direction.map_or(Direction::In, Direction::flip),
        };
        Ok((direction, last_direction))
    }

    /// The texts this gate writes into an event, by the one rule the server and other kiosks
    /// apply (`qrgate_protocol::check`): an event the gate records is one the province takes.
    fn check_texts(&self, scan: &Scan<'_>) -> Result<()> {
        use qrgate_protocol::check::{text, Field};
        let manual = scan.manual.as_ref();
        let texts = [
            (Field::Gate, Some(self.config.gate.name.as_str())),
            (Field::Operator, manual.map(|m| m.operator)),
            (Field::Note, manual.map(|m| m.reason)),
        ];
        for (field, value) in texts {
            if let Some(value) = value {
                text(field, value).map_err(|e| crate::Error::invalid(field.name(), e.problem.to_string()))?;
            }
        }
        Ok(())
    }

    /// This gate's new event `id` at `at`, signed by the guard when they entered it by hand.
    fn draft(&self, scan: &Scan<'_>, id: Uuid, at: DateTime<FixedOffset>, method: Method, verdict: Verdict) -> Event {
        Event {
            operator: scan.manual.as_ref().map(|m| m.operator.to_string()),
            note: scan.manual.as_ref().map(|m| m.reason.to_string()),
            lane: scan.lane.map(|l| l.number),
            ..Event::draft(id, self.config.gate.name.clone(), at, method, verdict)
        }
    }

    fn offset(&self, now: DateTime<Utc>) -> FixedOffset {
        use chrono::Offset;
        now.with_timezone(&self.config.time.timezone).offset().fix()
    }

    fn method(&self, scan: &Scan<'_>, who: &Who) -> Method {
        match (scan.manual.is_some(), who) {
            (true, _) => Method::Manual,
            (false, Who::Visitor(_)) => Method::Cccd,
            (false, Who::Worker(_, None)) => Method::Legacy,
            (false, Who::Worker(_, Some(_))) => scan.method,
        }
    }

    /// Steps decode to active: who is this, and may they pass at all? The outer error is the
    /// store failing; the inner one is a refusal.
    fn identify(&self, store: &Store, scan: &Scan<'_>, at: DateTime<FixedOffset>) -> Result<Identified> {
        let text = scan.text;
        if scan.manual.is_some() {
            return self.worker_by_code(store, text.trim());
        }
        let signed = match badge::parse(text) {
            Ok(signed) => signed,
            Err(BadgeError::NotABadge) => return self.not_a_badge(store, text, at.date_naive()),
            Err(BadgeError::Damaged(_)) => return Ok(Err(Refusal::anonymous(Reason::BadgeDamaged))),
            Err(BadgeError::UnknownVersion(_)) => return Ok(Err(Refusal::anonymous(Reason::UnknownBadgeVersion))),
        };
        let b = &signed.badge;
        if b.enterprise != store.identity().enterprise {
            return Ok(Err(Refusal::anonymous(Reason::OtherEnterprise)));
        }
        let Some(key) = self.keys.iter().find(|k| k.key_id == b.key_id) else {
            return Ok(Err(Refusal::anonymous(Reason::UnknownKey)));
        };
        if !signed.verify(&key.key) {
            return Ok(Err(Refusal::anonymous(Reason::BadSignature)));
        }
        let Some(worker) = store.worker(&b.employee)? else {
            return Ok(Err(Refusal::anonymous(Reason::UnknownPerson)));
        };
        let refuse = |reason| Refusal {
            reason,
            person: Some(PersonRef::Worker(worker.code.clone())),
            view: Some(worker_view(&worker)),
            serial: Some(b.serial),
        };
        if b.serial < worker.badge_serial || worker.badge_serial == 0 && b.serial == 0 {
            return Ok(Err(refuse(Reason::Revoked)));
        }
        if b.expires.is_some_and(|d| d < at.date_naive()) {
            return Ok(Err(refuse(Reason::Expired)));
        }
        Ok(Ok(Who::Worker(worker, Some(b.serial))))
    }

    fn not_a_badge(&self, store: &Store, text: &str, today: NaiveDate) -> Result<Identified> {
        match cccd::parse(text, today) {
            Ok(card) => return Ok(Ok(Who::Visitor(Box::new(card)))),
            Err(CccdError::Invalid(_)) => return Ok(Err(Refusal::anonymous(Reason::InvalidCccd))),
            Err(CccdError::NotACard) => {}
        }
        if self.config.gate.accept_legacy_codes {
            if let Ok(code) = text.trim().parse::<EmployeeCode>() {
                if let Some(w) = store.worker(&code)? {
                    return Ok(Ok(Who::Worker(w, None)));
                }
            }
        }
        Ok(Err(Refusal::anonymous(Reason::NotABadge)))
    }

    fn worker_by_code(&self, store: &Store, code: &str) -> Result<Identified> {
        let found = match code.parse::<EmployeeCode>() {
            Ok(code) => store.worker(&code)?,
            Err(_) => None,
        };
        Ok(found.map(|w| Who::Worker(w, None)).ok_or(Refusal::anonymous(Reason::UnknownPerson)))
    }

    /// The scan this one repeats, if any: the last one this kiosk wrote about the person (in
    /// the order written, so a clock that just stepped back still finds it), within the window
    /// either way (08:00:00 then 07:59:55 is the same passage seen twice).
    fn debounced(&self, store: &Store, person: &PersonRef, now: DateTime<Utc>) -> Result<Option<Event>> {
        let window = chrono::Duration::seconds(i64::from(self.config.gate.debounce_seconds));
        Ok(store.last_written(person)?.filter(|e| now.signed_duration_since(e.at).abs() < window))
    }

    fn number_hash(&self, card: &CccdCard) -> String {
        crate::privacy::visitor_number_hash(&self.visitor_salt, card.number.full())
    }

    /// The visitor's opaque id: the enterprise's pseudonym of their number; on a kiosk without the
    /// enterprise's key, the id they had on an earlier visit still on record, or one made from
    /// this event's id.
    fn visitor_id(&self, store: &Store, card: &CccdCard, event_id: Uuid) -> Result<String> {
        if let Some(key) = &self.visitor_key {
            return Ok(key.pseudonym(card.number.full()));
        }
        Ok(match store.visitor_by_number_hash(&self.number_hash(card))? {
            Some(id) => id,
            None => format!("v-{}", event_id.simple()),
        })
    }

    fn refuse(
        &self,
        store: &mut Store,
        scan: &Scan<'_>,
        refusal: Refusal,
        direction: Option<Direction>,
        at: DateTime<FixedOffset>,
        id: Uuid,
    ) -> Result<Decision> {
        let method = if scan.manual.is_some() { Method::Manual } else { scan.method };
        let stored = store.append_event(Event {
            person: refusal.person,
            direction,
            reason: Some(refusal.reason.code().to_string()),
            badge_serial: refusal.serial,
            ..self.draft(scan, id, at, method, Verdict::Refused)
        })?;
        Ok(Decision {
            verdict: Verdict::Refused,
            reason: Some(refusal.reason),
            warning: None,
            direction,
            person: refusal.view,
            event_id: stored.id,
            time: stored.at,
            debounced: false,
            clock_flag: stored.clock_flag,
        })
    }
}

impl PassbackPolicy {
    fn min_warn(self) -> PassbackPolicy {
        match self {
            PassbackPolicy::Block => PassbackPolicy::Warn,
            other => other,
        }
    }
}
