//! `qrgate schedule`: import HR's shift schedule (the rota) and export it back.

use std::path::PathBuf;

use chrono::NaiveDate;
use qrgate_core::datadir::DataDir;
use qrgate_desk::Result;
use qrgate_hr::export::Format;
use qrgate_hr::schedule;

use crate::export::{parse_date, range, TableFormat};
use crate::Outcome;

#[derive(clap::Subcommand)]
pub enum ScheduleCommand {
    /// Import a schedule: a CSV (UTF-8, comma or semicolon) or XLSX grid with a column
    /// employee_code (Mã NV), optionally full_name, department, shift (read by people, not
    /// imported), then one column per day headed by its date (2026-11-23 or 23/11/2026). Each cell
    /// is a shift defined in kiosk.conf, NT for a weekly day off, or blank for the roster's shift.
    /// All or nothing: a file with any bad row changes nothing.
    #[command(after_help = "Example: qrgate schedule import lich-ca-12.xlsx --from 2026-12-01")]
    Import {
        file: PathBuf,
        /// The day the schedule is valid from: its columns before it are left as they were.
        /// Default: the file's first day.
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
        from: Option<NaiveDate>,
    },
    /// Export the schedule of a range of days (at most 366) in the layout `import` reads.
    #[command(after_help = "Example: qrgate schedule export --from 2026-12-01 --to 2026-12-31 --out lich-ca-12.xlsx")]
    Export {
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
        from: NaiveDate,
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
        to: NaiveDate,
        /// Only this department, spelt as in the roster.
        #[arg(long, value_name = "D")]
        department: Option<String>,
        /// Default: csv for a file named *.csv, else xlsx.
        #[arg(long, value_enum)]
        format: Option<TableFormat>,
        /// The file to write; replaced whole, or left as it was if the export fails.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

pub fn run(cmd: ScheduleCommand, data: &DataDir) -> Result<Outcome> {
    match cmd {
        ScheduleCommand::Import { file, from } => {
            let (mut store, config) = data.open()?;
            let rows = schedule::read_file(&file, &config, &store)?;
            let s = schedule::import(&mut store, &rows, from, chrono::Utc::now())?;
            println!(
                "Imported the schedule of {} worker(s): {} day(s) planned, {} cleared, {} before the valid-from day left as they were",
                s.workers, s.planned, s.cleared, s.skipped
            );
        }
        ScheduleCommand::Export { from, to, department, format, out } => {
            let (store, _) = data.open()?;
            let days = range(from, Some(to), "--from")?;
            let is_csv = out.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
            let format = format.map_or(if is_csv { Format::Csv } else { Format::Xlsx }, Format::from);
            let s = schedule::export(&store, days, department.as_deref(), format, &out)?;
            println!("Wrote {} row(s) to {}", s.rows, s.path.display());
        }
    }
    Ok(Outcome::Done)
}
