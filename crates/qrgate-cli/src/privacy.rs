//! `qrgate privacy`: a person's requests (see, erase), retention, and the record of processing
//! (Law 91/2025/QH15, Decree 356/2025/ND-CP).

use std::path::PathBuf;

use chrono::Utc;
use qrgate_core::datadir::DataDir;
use qrgate_core::privacy::{self, Action, Processing};
use qrgate_core::store::Store;
use qrgate_desk::requests::{self, Erased};
use qrgate_desk::Result;
use qrgate_hr::export::{self, Format, Subject};

use crate::Outcome;

#[derive(clap::Subcommand)]
pub enum PrivacyCommand {
    /// Everything this kiosk holds about one person (details and gate events), for their request
    /// to see it: JSON, or XLSX with a sheet of details and a sheet of events.
    #[command(after_help = "Example: qrgate privacy show --cccd 079090001234 --format xlsx --out du-lieu.xlsx")]
    Show {
        #[command(flatten)]
        who: Who,
        #[arg(long, value_enum)]
        format: SubjectFormat,
        /// The file to write; replaced whole, or left as it was if the export fails.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Erase a person's details now, at their request. A visitor: number, name, birth date,
    /// address and phone. A former worker (marked as left in the roster): name and phone; the
    /// code and the gate events stay as payroll records. The bytes are overwritten on disk.
    #[command(after_help = "Example: qrgate privacy erase --cccd 079090001234")]
    Erase {
        #[command(flatten)]
        who: Who,
    },
    /// Erase what is past its retention: visitors last seen more than [privacy]
    /// visitor_retention_days ago, workers who left more than former_worker_retention_days ago.
    Purge,
    /// The notice a guard tells a visitor (kiosk.conf [privacy] notice, or the default), printed;
    /// with --pdf, an A4 page to post at the gate and give workers at roster import.
    #[command(after_help = "Example: qrgate privacy notice --pdf thong-bao.pdf")]
    Notice {
        #[arg(long, value_name = "FILE")]
        pdf: Option<PathBuf>,
    },
    /// The record of processing: exports of whole ID numbers, requests, erasures and purges —
    /// who, when, how many people; never the personal data itself.
    Log {
        /// How many of the newest lines.
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
}

/// One person: a worker by employee code or a visitor by CCCD number.
#[derive(clap::Args)]
#[group(required = true, multiple = false)]
pub struct Who {
    /// A worker's employee code.
    #[arg(long, value_name = "CODE")]
    employee: Option<String>,
    /// A visitor's 12-digit CCCD number.
    #[arg(long, value_name = "NUMBER")]
    cccd: Option<String>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum SubjectFormat {
    Json,
    Xlsx,
}

impl Who {
    fn subject(&self) -> Result<Subject> {
        match (&self.employee, &self.cccd) {
            (Some(code), _) => requests::worker(code),
            (_, Some(number)) => requests::visitor(number),
            (None, None) => unreachable!("clap requires one of --employee and --cccd"),
        }
    }
}

/// Who runs the command, for the record: the system user (the command has no PIN; the data
/// directory is readable by its owner only).
fn actor() -> String {
    let user = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "?".into());
    format!("qrgate ({user})")
}

pub fn record(store: &Store, action: Action, people: u64, detail: &str) -> Result<()> {
    let entry = Processing { at: Utc::now(), actor: actor(), action, people, detail: detail.to_string() };
    Ok(privacy::record(store, &entry)?)
}

pub fn run(cmd: PrivacyCommand, data: &DataDir) -> Result<Outcome> {
    let (store, config) = data.open()?;
    let now = Utc::now();
    match cmd {
        PrivacyCommand::Show { who, format, out } => {
            let format = match format {
                SubjectFormat::Json => Format::Json,
                SubjectFormat::Xlsx => Format::Xlsx,
            };
            let summary = requests::show(&store, &config, &who.subject()?, format, &out, &actor(), now)?;
            println!("Wrote {} row(s) to {}", summary.rows, summary.path.display());
        }
        PrivacyCommand::Erase { who } => match requests::erase(&store, &who.subject()?, &actor(), now)? {
            Erased::Visitor(n) => {
                println!("Erased the details of this visitor ({n} record(s)); their gate events stay, anonymous.")
            }
            Erased::Worker(code) => {
                println!("Erased the name and phone of {code}; the code and gate events stay as payroll records.")
            }
        },
        PrivacyCommand::Purge => purge(&store, &config, now)?,
        PrivacyCommand::Notice { pdf } => {
            let notice = config.privacy.notice_text(&store.identity().enterprise_name);
            match pdf {
                Some(out) => {
                    let summary = export::notice_pdf(&notice, &out)?;
                    println!("Wrote the notice to {}", summary.path.display());
                }
                None => println!("{notice}"),
            }
        }
        PrivacyCommand::Log { limit } => {
            let tz = config.time.timezone;
            for p in privacy::log(&store, limit)? {
                println!(
                    "{}  {:<16} {:>6} người  {}  {}",
                    p.at.with_timezone(&tz).format("%d/%m/%Y %H:%M"),
                    p.action.code(),
                    p.people,
                    p.actor,
                    p.detail
                );
            }
        }
    }
    Ok(Outcome::Done)
}

/// Retention, as `qrgate privacy purge` (and the older `qrgate visitors purge`) runs it.
pub fn purge(store: &Store, config: &qrgate_core::config::Config, now: chrono::DateTime<Utc>) -> Result<()> {
    let purged = privacy::retention(store, &config.privacy, now, &actor())?;
    println!(
        "Purged the details of {} visitor(s) last seen more than {} day(s) ago",
        purged.visitors, config.privacy.visitor_retention_days
    );
    if config.privacy.former_worker_retention_days > 0 {
        println!(
            "Erased the names and phones of {} former worker(s) who left more than {} day(s) ago",
            purged.former_workers, config.privacy.former_worker_retention_days
        );
    }
    println!(
        "Deleted {} camera snapshot(s) older than {} day(s)",
        purged.snapshots, config.privacy.snapshot_retention_days
    );
    Ok(())
}
