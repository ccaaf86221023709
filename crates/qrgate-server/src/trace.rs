//! A contact-tracing question and its one way to an answer, for the JSON API and the console
//! alike: the person checked (an employee code, a visitor's id, or a visitor's CCCD number found
//! through the tags kept of sealed numbers), the contacts from [`province::contacts`], and a line
//! in the record of processing and one in the audit log that say a trace was made and how many it
//! named, never whom.

use qrgate_protocol::trace::TraceSecret;
use sqlx::PgPool;

use crate::audit::{self, Action};
use crate::error::{Error, Result};
use crate::privacy;
use crate::province::{self, Contact, Trace};

/// Whom a trace is about, checked.
#[derive(Clone, PartialEq, Eq)]
pub enum Person {
    /// An employee code, as kiosks store it (capitals).
    Worker(String),
    /// A visitor's id (their pseudonym at the enterprise).
    Visitor(String),
    /// A visitor's 12-digit CCCD number: found through `visitor_tags`, never stored.
    Cccd(String),
}

// Never printed: whom a trace is about stays out of logs and panics.
impl std::fmt::Debug for Person {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Person::Worker(_) => "Worker(…)",
            Person::Visitor(_) => "Visitor(…)",
            Person::Cccd(_) => "Cccd(…)",
        })
    }
}

/// How long a stay with no exit scanned lasts unless asked otherwise: a long shift and its
/// overtime.
pub const DEFAULT_MAX_PRESENCE_MS: i64 = 16 * 3_600_000;

/// The longest employee code or visitor id a kiosk sends.
const MAX_REF: usize = 64;

impl Person {
    pub fn worker(text: &str) -> Result<Person> {
        Ok(Person::Worker(reference(text, "person")?.to_ascii_uppercase()))
    }

    pub fn visitor(text: &str) -> Result<Person> {
        Ok(Person::Visitor(reference(text, "person")?.to_string()))
    }

    pub fn cccd(text: &str) -> Result<Person> {
        let number = text.trim();
        if !qrgate_protocol::trace::is_cccd_number(number) {
            return Err(Error::invalid("cccd", "a CCCD number is 12 digits"));
        }
        Ok(Person::Cccd(number.into()))
    }

    /// What the records say of the person: the kind, never the person.
    pub fn kind_word(&self) -> &'static str {
        match self {
            Person::Worker(_) => "worker",
            Person::Visitor(_) => "visitor",
            Person::Cccd(_) => "visitor by CCCD number",
        }
    }
}

fn reference<'a>(text: &'a str, what: &'static str) -> Result<&'a str> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::invalid(what, "give the person (an employee code or a visitor's id) or cccd"));
    }
    if text.len() > MAX_REF || text.chars().any(char::is_control) {
        return Err(Error::invalid(what, format!("at most {MAX_REF} characters, no control characters")));
    }
    Ok(text)
}

/// A trace as asked: `period` is how the records write the period asked ("2025-03-01 to
/// 2025-03-02"), the bounds are the instants it covers, `to_ms` excluded.
#[derive(Debug, Clone)]
pub struct Question {
    pub enterprise: String,
    pub person: Person,
    pub from_ms: i64,
    pub to_ms: i64,
    pub max_presence_ms: i64,
    pub period: String,
}

impl Question {
    /// What the audit log says of a trace, after `what` (a download's kind, the API's mark): who
    /// asked is the line's account; here the enterprise, the kind of person, the period and how
    /// many people it named (`None`: a CCCD number not found), never whom.
    fn audit_detail(&self, found: Option<usize>, what: &str) -> String {
        let (enterprise, kind, period) = (&self.enterprise, self.person.kind_word(), &self.period);
        match found {
            Some(n) => format!("{what}{enterprise}: {kind} from {period}, {n} people"),
            None => format!("{what}{enterprise}: {kind} from {period}, not found"),
        }
    }
}

/// Who asked for a trace, as the two records name them.
#[derive(Debug, Clone, Copy)]
pub struct Asker<'a> {
    /// The record of processing's actor: an account's login, or "query token".
    pub actor: &'a str,
    /// The audit log's account; `None` for the server's own query token.
    pub login: Option<&'a str>,
    /// A trace shown, or a trace downloaded.
    pub action: Action,
    /// What the audit line's detail begins with: "CSV of ", "API: ".
    pub what: &'a str,
}

/// What a trace came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Contacts(Vec<Contact>),
    /// No visitor with this CCCD number at this enterprise (or their events were purged).
    NoSuchVisitor,
}

/// Answers `q`, asked by `asker` at `now_ms`, and writes it in the record of processing and the
/// audit log, in one transaction. A CCCD number is looked up through its tag under the
/// province's `secret`; looking it up is processing it, found or not, so a number not found is
/// recorded too.
pub async fn contacts(
    pool: &PgPool,
    secret: Option<&TraceSecret>,
    q: &Question,
    asker: Asker<'_>,
    now_ms: i64,
) -> Result<Answer> {
    let trace = |person_kind: &str, person_ref: &str| Trace {
        enterprise: q.enterprise.clone(),
        person_kind: person_kind.into(),
        person_ref: person_ref.into(),
        from_ms: q.from_ms,
        to_ms: q.to_ms,
        max_presence_ms: q.max_presence_ms,
    };
    let answer = match &q.person {
        Person::Worker(code) => Answer::Contacts(province::contacts(pool, &trace("worker", code)).await?),
        Person::Visitor(id) => Answer::Contacts(province::contacts(pool, &trace("visitor", id)).await?),
        Person::Cccd(number) => {
            let secret = secret.ok_or_else(|| {
                Error::invalid("cccd", "this server has no trace secret (serve --trace-key); trace by the visitor's id")
            })?;
            let ids = province::visitor_ids(pool, &q.enterprise, &secret.tag(number)).await?;
            if ids.is_empty() {
                Answer::NoSuchVisitor
            } else {
                Answer::Contacts(province::contacts_of_any(pool, &trace("visitor", ""), &ids).await?)
            }
        }
    };
    let (found, record) = match &answer {
        Answer::Contacts(rows) => (Some(rows.len()), format!("{} from {}", q.person.kind_word(), q.period)),
        Answer::NoSuchVisitor => (None, format!("{}, not found, from {}", q.person.kind_word(), q.period)),
    };
    let mut tx = pool.begin().await?;
    privacy::record_trace(&mut *tx, asker.actor, &q.enterprise, found.unwrap_or(0), &record).await?;
    let detail = q.audit_detail(found, asker.what);
    audit::record(&mut *tx, now_ms, asker.login, asker.action, &detail).await?;
    tx.commit().await?;
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_are_checked_and_never_printed() {
        assert_eq!(Person::worker(" nv0100 ").unwrap(), Person::Worker("NV0100".into()));
        assert_eq!(Person::cccd(" 079090001234 ").unwrap(), Person::Cccd("079090001234".into()));
        assert!(Person::cccd("12345").is_err());
        assert!(Person::worker("  ").is_err());
        assert!(Person::visitor(&"v".repeat(65)).is_err());
        assert!(Person::worker("NV\n1").is_err());
        let debug = format!("{:?}", Person::cccd("079090001234").unwrap());
        assert!(!debug.contains("0790"), "{debug}");
        assert_eq!(Person::cccd("079090001234").unwrap().kind_word(), "visitor by CCCD number");
    }
}
