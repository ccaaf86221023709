//! `qrgate check`: one QR text through the gate, as a camera or a typing USB scanner delivers it.

use chrono::{DateTime, Utc};
use qrgate_core::config::PrivacyConfig;
use qrgate_core::datadir::DataDir;
use qrgate_core::gate::{Decision, ManualEntry, Scan, VisitorDetails};
use qrgate_core::model::{ClockFlag, Direction, Method, Verdict};
use qrgate_desk::{Error, Result};
use serde_json::json;

use crate::{messages, Outcome};

#[derive(clap::Args)]
pub struct Args {
    /// Print one JSON object instead of a line for people.
    #[arg(long)]
    json: bool,
    /// The moment of the scan (RFC 3339, e.g. 2026-11-25T07:58:00+07:00). Default: now.
    #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
    at: Option<DateTime<Utc>>,
    /// A manual entry by this guard: TEXT is then an employee code. Needs --reason.
    #[arg(long, value_name = "ID", requires = "reason")]
    operator: Option<String>,
    /// Why the manual entry was needed (forgotten badge, broken phone, ...).
    #[arg(long, value_name = "TEXT", requires = "operator")]
    reason: Option<String>,
    /// For a manual entry: in or out (default: from the gate mode or the last event).
    #[arg(long, requires = "operator")]
    direction: Option<Direction>,
    /// The scan came from a phone screen rather than a printed badge.
    #[arg(long, conflicts_with = "operator")]
    phone: bool,
    /// For a visitor's CCCD: whom they visit.
    #[arg(long)]
    host: Option<String>,
    /// For a visitor's CCCD: why they come.
    #[arg(long)]
    purpose: Option<String>,
    /// For a visitor's CCCD: their phone number.
    #[arg(long = "visitor-phone", value_name = "PHONE")]
    visitor_phone: Option<String>,
    /// For a visitor arriving: the guard told them the notice (`qrgate privacy notice`) and they
    /// agreed. Without it an arriving visitor is refused and nothing of their card is kept.
    #[arg(long)]
    consent: bool,
    /// The QR text (a badge, a CCCD card, or with --operator an employee code). `-` reads a line from stdin.
    text: String,
}

pub(crate) fn parse_time(s: &str) -> std::result::Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("{s:?} is not an RFC 3339 time like 2026-11-25T07:58:00+07:00 ({e})"))
}

/// The text as a person or scanner gave it. Longer than any QR can hold is not a scan.
fn scan_text(raw: String) -> Result<String> {
    let text = if raw == "-" {
        use std::io::BufRead;
        let mut line = Vec::new();
        std::io::stdin().lock().read_until(b'\n', &mut line).map_err(|e| Error::io("<stdin>")(e))?;
        String::from_utf8(line).map_err(|e| {
            Error::invalid(
                "QR text",
                format!(
                    "standard input is not UTF-8 text (byte {} is not); a scanner must type UTF-8",
                    e.utf8_error().valid_up_to() + 1
                ),
            )
        })?
    } else {
        raw
    };
    let text = text.trim_end_matches(['\r', '\n']).to_string();
    if text.len() > 7_089 {
        return Err(Error::invalid("QR text", format!("{} bytes is more than any QR code holds", text.len())));
    }
    Ok(text)
}

pub fn run(args: Args, data: &DataDir) -> Result<Outcome> {
    let text = scan_text(args.text)?;
    let (mut store, config) = data.open()?;
    let gate = data.gate(&store, config.clone())?;
    let manual = match (&args.operator, &args.reason) {
        (Some(operator), Some(reason)) => {
            if operator.trim().is_empty() || reason.trim().is_empty() {
                return Err(Error::invalid("manual entry", "operator and reason must not be empty"));
            }
            Some(ManualEntry { operator: operator.trim(), reason: reason.trim(), direction: args.direction })
        }
        _ => None,
    };
    let notice = config.privacy.notice_text(&store.identity().enterprise_name);
    let digest = PrivacyConfig::notice_digest(&notice);
    let scan = Scan {
        text: &text,
        method: if args.phone { Method::Phone } else { Method::Badge },
        manual,
        visitor: VisitorDetails {
            host: args.host.as_deref(),
            purpose: args.purpose.as_deref(),
            phone: args.visitor_phone.as_deref(),
            health: &[],
            consent: args.consent.then_some(digest.as_str()),
        },
        lane: None,
    };
    let now = args.at.unwrap_or_else(Utc::now);
    let decision = gate.check(&mut store, &scan, now, uuid::Uuid::now_v7())?;
    if args.json {
        println!("{}", decision_json(&decision));
    } else {
        println!("{}", decision_line(&decision));
    }
    Ok(match decision.verdict {
        Verdict::Accepted => Outcome::Done,
        // The gate decides accepted or refused; `not_passed` only ever follows an opening.
        Verdict::Refused | Verdict::NotPassed => Outcome::Refused,
    })
}

/// The decision as one JSON object: what scripts, the kiosk window and tests read.
pub fn decision_json(d: &Decision) -> serde_json::Value {
    let (vi, en) = d.reason.map(messages::reason).unwrap_or(("", ""));
    json!({
        "verdict": d.verdict,
        "reason": d.reason.map(|r| r.code()),
        "message_vi": (!vi.is_empty()).then_some(vi),
        "message_en": (!en.is_empty()).then_some(en),
        "warning": d.warning.map(|r| r.code()),
        "direction": d.direction,
        "person": d.person,
        "event_id": d.event_id.to_string(),
        "time": d.time.to_rfc3339(),
        "debounced": d.debounced,
        "clock_flag": d.clock_flag,
    })
}

fn decision_line(d: &Decision) -> String {
    let who = d
        .person
        .as_ref()
        .map(|p| match &p.department {
            Some(dep) if !dep.is_empty() => format!("{} {} ({dep})", p.code, p.name),
            _ => format!("{} {}", p.code, p.name),
        })
        .unwrap_or_default();
    let time = d.time.format("%Y-%m-%d %H:%M:%S");
    // The kiosk doubts its own clock: the line says so whatever the verdict.
    let clock = match d.clock_flag {
        Some(ClockFlag::Behind) => "  [clock went back: the kiosk's clock is wrong, check it]",
        Some(ClockFlag::Ahead) => "  [clock ahead: the kiosk's clock is wrong, check it]",
        None => "",
    };
    let line = match d.verdict {
        Verdict::Accepted => {
            let dir = d.direction.map(|x| x.as_str().to_uppercase()).unwrap_or_default();
            let mut line = format!("{dir:<3} {time}  {who}");
            if let Some(w) = d.warning {
                let (vi, en) = messages::reason(w);
                line.push_str(&format!("  [warning {}: {en} / {vi}]", w.code()));
            }
            if d.debounced {
                line.push_str("  (already recorded moments ago; nothing new recorded)");
            }
            line
        }
        Verdict::Refused => {
            let r = d.reason.expect("a refusal has a reason");
            let (vi, en) = messages::reason(r);
            format!("REFUSED {time}  {}: {en} / {vi}  {who}", r.code())
        }
        Verdict::NotPassed => format!("NOT PASSED {time}  {who}"),
    };
    line + clock
}

#[derive(clap::Subcommand)]
pub enum VisitorsCommand {
    /// Delete the personal details (CCCD number, name, address, phone) of visitors last seen
    /// more than [privacy] visitor_retention_days ago (and former workers', as `qrgate privacy
    /// purge`). Their gate events stay, anonymous.
    Purge,
}

pub fn run_visitors(cmd: VisitorsCommand, data: &DataDir) -> Result<Outcome> {
    match cmd {
        VisitorsCommand::Purge => {
            let (store, config) = data.open()?;
            crate::privacy::purge(&store, &config, Utc::now())?;
        }
    }
    Ok(Outcome::Done)
}
