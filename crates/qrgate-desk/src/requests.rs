//! A person's requests under Law 91/2025/QH15: to see what the kiosk holds about them, and to
//! have it erased. The command and the HR pages both come here, so each request is done the same
//! way and written in the record of processing under whoever carried it out.

use std::path::Path;

use chrono::{DateTime, Utc};
use qrgate_core::config::Config;
use qrgate_core::model::EmployeeCode;
use qrgate_core::privacy::{self, Action, Processing};
use qrgate_core::store::Store;
use qrgate_hr::export::{self, ExportSummary, Format, Subject};

use crate::error::{Error, Result};

/// A worker, by employee code.
pub fn worker(code: &str) -> Result<Subject> {
    Ok(Subject::Worker(code.parse::<EmployeeCode>()?))
}

/// A visitor, by the 12-digit number on their card.
pub fn visitor(number: &str) -> Result<Subject> {
    let number = number.trim();
    if number.len() != 12 || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid("CCCD number", "12 digits, as printed on the card"));
    }
    Ok(Subject::Visitor(number.to_string()))
}

fn kind(subject: &Subject) -> &'static str {
    match subject {
        Subject::Worker(_) => "worker",
        Subject::Visitor(_) => "visitor",
    }
}

fn record(store: &Store, actor: &str, action: Action, subject: &Subject, now: DateTime<Utc>) -> Result<()> {
    let entry = Processing { at: now, actor: actor.to_string(), action, people: 1, detail: kind(subject).to_string() };
    Ok(privacy::record(store, &entry)?)
}

/// Everything held about the person (details and gate events) written to `out` as XLSX or JSON.
pub fn show(
    store: &Store,
    config: &Config,
    subject: &Subject,
    format: Format,
    out: &Path,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<ExportSummary> {
    let summary = export::subject(store, config, subject, format, out)?;
    record(store, actor, Action::SubjectExport, subject, now)?;
    Ok(summary)
}

/// What an erasure did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Erased {
    /// A visitor's details, in this many records; their gate events stay, anonymous.
    Visitor(usize),
    /// A former worker's name and phone; the code and gate events stay as payroll records.
    Worker(EmployeeCode),
}

/// Erases the person's details now. A visitor the kiosk holds nothing about, and a worker still
/// on the roster, are refused with a reason.
pub fn erase(store: &Store, subject: &Subject, actor: &str, now: DateTime<Utc>) -> Result<Erased> {
    let erased = match subject {
        Subject::Visitor(number) => match privacy::erase_visitor(store, number, now)? {
            0 => return Err(Error::invalid("person", "the kiosk holds no details about this CCCD number")),
            n => Erased::Visitor(n),
        },
        Subject::Worker(code) => {
            privacy::erase_worker(store, code, now)?;
            Erased::Worker(code.clone())
        }
    };
    record(store, actor, Action::Erase, subject, now)?;
    Ok(erased)
}
