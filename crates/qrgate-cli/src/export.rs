//! `qrgate export`: attendance, the raw event log, who is inside now and the visitor log, to a file.

use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use qrgate_core::datadir::DataDir;
use qrgate_core::privacy::Action;
use qrgate_desk::Error;
use qrgate_hr::attendance::DayRange;
use qrgate_hr::export::{self, ExportSummary, Format};

#[derive(clap::Subcommand)]
pub enum ExportCommand {
    /// Daily attendance per worker: shift, first in, last out, worked, late, early-leave and
    /// overtime minutes, status and gates. XLSX: a summary sheet with totals per department, then
    /// a sheet per day. CSV: one table, UTF-8 with BOM.
    #[command(after_help = "Example: qrgate export attendance --date 2026-11-25 --format xlsx --out cham-cong.xlsx")]
    Attendance {
        /// The (first) attendance day, YYYY-MM-DD. A night shift belongs to the day it began.
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
        date: NaiveDate,
        /// The last day, inclusive, for a range (at most 366 days).
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
        to: Option<NaiveDate>,
        /// Only this department, spelt as in the roster.
        #[arg(long, value_name = "D")]
        department: Option<String>,
        #[arg(long, value_enum)]
        format: TableFormat,
        /// The file to write; replaced whole, or left as it was if the export fails.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// The monthly timesheet (bảng chấm công, form 01a-LĐTL style): a row per worker, a symbol per
    /// day (+ present, M late, V absent, T missing punch, NT weekly day off, L holiday), totals of
    /// days worked, hours of each kind (normal, overtime on a working day, a day off, a holiday; by
    /// day and night) and lateness, a legend and the signature block. XLSX prints on A4 landscape,
    /// one page wide; CSV: the same numbers, UTF-8 with BOM.
    #[command(
        after_help = "Example: qrgate export timesheet --month 2026-11 --format xlsx --out bang-cham-cong-11.xlsx"
    )]
    Timesheet {
        /// The month, YYYY-MM.
        #[arg(long, value_name = "YYYY-MM")]
        month: String,
        /// Only this department, spelt as in the roster.
        #[arg(long, value_name = "D")]
        department: Option<String>,
        #[arg(long, value_enum)]
        format: TableFormat,
        /// The file to write; replaced whole, or left as it was if the export fails.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// The raw event log of every gate, refusals included, from one day to another (inclusive).
    #[command(
        after_help = "Example: qrgate export events --from 2026-11-01 --to 2026-11-30 --format csv --out su-kien.csv"
    )]
    Events {
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
        from: NaiveDate,
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
        to: NaiveDate,
        #[arg(long, value_enum)]
        format: TableFormat,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// The evacuation list: everyone inside, workers and visitors, with the day and time each came
    /// in (gate time). An entry older than [attendance] longest_stay_hours is a forgotten exit and
    /// not listed; workers whose shift ended more than 4 hours ago are listed apart, as "probably
    /// left without scanning out".
    #[command(after_help = "Example: qrgate export inside --format pdf --out so-tan.pdf")]
    Inside {
        #[arg(long, value_enum)]
        format: ListFormat,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Who was inside at this moment (RFC 3339, e.g. 2026-11-25T01:30:00+07:00). Default: now.
        #[arg(long, value_name = "RFC3339", value_parser = crate::check::parse_time)]
        at: Option<DateTime<Utc>>,
    },
    /// The visitor log: name, host, purpose, in and out. CCCD numbers are masked, birth dates and
    /// phones left out, unless --full.
    #[command(after_help = "Example: qrgate export visitors --date 2026-11-25 --format xlsx --out khach.xlsx")]
    Visitors {
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
        date: NaiveDate,
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
        to: Option<NaiveDate>,
        /// Show full CCCD numbers, birth dates and phones (personal data, Law 91/2025/QH15: the
        /// export is written in the record of processing, `qrgate privacy log`).
        #[arg(long)]
        full: bool,
        #[arg(long, value_enum)]
        format: TableFormat,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

/// The formats of a table export.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum TableFormat {
    Xlsx,
    Csv,
}

/// The formats of a list meant for print as well.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ListFormat {
    Xlsx,
    Csv,
    Pdf,
}

impl From<TableFormat> for Format {
    fn from(f: TableFormat) -> Format {
        match f {
            TableFormat::Xlsx => Format::Xlsx,
            TableFormat::Csv => Format::Csv,
        }
    }
}

impl From<ListFormat> for Format {
    fn from(f: ListFormat) -> Format {
        match f {
            ListFormat::Xlsx => Format::Xlsx,
            ListFormat::Csv => Format::Csv,
            ListFormat::Pdf => Format::Pdf,
        }
    }
}

pub(crate) fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| format!("{text:?} is not a date like 2026-11-25 (year-month-day)"))
}

/// The days from `--date`/`--from` to `--to`, with the flags named when they are the wrong way round.
pub(crate) fn range(first: NaiveDate, last: Option<NaiveDate>, first_flag: &str) -> Result<DayRange, Error> {
    let last = last.unwrap_or(first);
    if last < first {
        return Err(Error::invalid("--to", format!("{last} is before {first_flag} {first}")));
    }
    Ok(DayRange::new(first, last)?)
}

/// A bar on stderr while the export runs; indicatif draws nothing when stderr is not a terminal.
fn bar(what: &'static str) -> ProgressBar {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} ({eta})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message(what);
    bar
}

pub fn run(cmd: ExportCommand, data: &DataDir) -> Result<(), Error> {
    let (store, config) = data.open()?;
    let progress = match &cmd {
        ExportCommand::Attendance { .. } | ExportCommand::Timesheet { .. } => bar("days"),
        ExportCommand::Events { .. } | ExportCommand::Visitors { .. } => bar("days"),
        ExportCommand::Inside { .. } => bar("people"),
    };
    let mut tick = |done: u64, total: u64| {
        progress.set_length(total);
        progress.set_position(done);
    };
    let summary: ExportSummary = match cmd {
        ExportCommand::Attendance { date, to, department, format, out } => {
            let days = range(date, to, "--date")?;
            export::attendance(&store, &config, days, department.as_deref(), format.into(), &out, &mut tick)?
        }
        ExportCommand::Timesheet { month, department, format, out } => {
            let month = qrgate_hr::timesheet::Month::parse(&month)?;
            qrgate_hr::timesheet::export(&store, &config, month, department.as_deref(), format.into(), &out, &mut tick)?
        }
        ExportCommand::Events { from, to, format, out } => {
            let days = range(from, Some(to), "--from")?;
            export::events(&store, &config, days, format.into(), &out, &mut tick)?
        }
        ExportCommand::Inside { format, out, at } => {
            export::inside(&store, &config, at.unwrap_or_else(Utc::now), format.into(), &out, &mut tick)?
        }
        ExportCommand::Visitors { date, to, full, format, out } => {
            let days = range(date, to, "--date")?;
            let summary = export::visitors(&store, &config, days, full, format.into(), &out, &mut tick)?;
            if full {
                // Whole ID numbers left the kiosk: the record of processing says who, when, how many.
                let detail = format!("visitors {} to {}", days.first(), days.last());
                crate::privacy::record(&store, Action::ExportFullIds, summary.rows, &detail)?;
            }
            summary
        }
    };
    progress.finish_and_clear();
    println!("Wrote {} row(s) to {}", summary.rows, summary.path.display());
    Ok(())
}
