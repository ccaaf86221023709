//! `qrgate roster`: import HR's roster file and list who is on it.

use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressStyle};
use qrgate_core::datadir::DataDir;
use qrgate_desk::Result;
use qrgate_hr::roster;

use crate::Outcome;

#[derive(clap::Subcommand)]
pub enum RosterCommand {
    /// Import a CSV (UTF-8, comma or semicolon) or XLSX file. Columns: employee_code, full_name,
    /// department, shift, phone, active — or Mã NV, Họ và tên, Bộ phận, Ca, Số điện thoại, Trạng thái.
    /// All or nothing: a file with any bad row changes nothing.
    Import {
        file: PathBuf,
        /// Mark people who are not in the file as inactive (their badges stop working).
        #[arg(long)]
        deactivate_missing: bool,
    },
    /// List the roster (code, name, department, shift, active, badge serial).
    List {
        #[arg(long)]
        department: Option<String>,
    },
}

pub fn run(cmd: RosterCommand, data: &DataDir) -> Result<Outcome> {
    match cmd {
        RosterCommand::Import { file, deactivate_missing } => {
            let (mut store, config) = data.open()?;
            let rows = roster::read_file(&file, &config)?;
            let bar = progress_bar(rows.len() as u64, "importing");
            let summary = roster::import(&mut store, &rows, deactivate_missing, chrono::Utc::now(), &mut |done, _| {
                bar.set_position(done as u64)
            })?;
            bar.finish_and_clear();
            println!(
                "Imported {} rows: {} added, {} updated, {} unchanged, {} deactivated",
                rows.len(),
                summary.added,
                summary.updated,
                summary.unchanged,
                summary.deactivated
            );
        }
        RosterCommand::List { department } => {
            let (store, _) = data.open()?;
            for w in store.workers(department.as_deref(), None)? {
                println!(
                    "{}\t{}\t{}\t{}\t{}\tserial {}",
                    w.code,
                    w.full_name,
                    w.department,
                    w.shift,
                    if w.active { "active" } else { "inactive" },
                    w.badge_serial
                );
            }
        }
    }
    Ok(Outcome::Done)
}

/// A bar that stays hidden for jobs that finish in a moment, and when output is not a terminal.
pub fn progress_bar(total: u64, what: &'static str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} ({eta})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message(what);
    if total < 2_000 {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar
}
