//! The `qrgate` command: parses arguments, runs one job against a data directory, maps errors to exit codes.

mod backup;
mod badge;
mod check;
mod decode;
mod demo;
mod export;
mod holidays;
mod init;
mod messages;
mod photos;
mod pin;
mod privacy;
mod roster;
mod scan;
mod schedule;
mod sync;
mod turnstile;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use qrgate_core::datadir::DataDir;

/// QR Gate: an offline-first gate kiosk. Every headless job of a kiosk.
#[derive(Parser)]
#[command(name = "qrgate", version, about, long_about = None, propagate_version = true)]
struct Cli {
    /// The kiosk's data directory (database, kiosk.conf, keys).
    /// Default: the platform's data directory, e.g. ~/.local/share/qrgate.
    #[arg(long, global = true, env = "QRGATE_DATA", value_name = "DIR")]
    data: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a kiosk's data directory: database, kiosk.conf, badge signing key and kiosk key pair.
    Init(init::Args),
    /// Import the roster from HR's file.
    #[command(subcommand)]
    Roster(roster::RosterCommand),
    /// HR's shift schedule (rota): import it from a grid of workers × days, export it back.
    #[command(subcommand)]
    Schedule(schedule::ScheduleCommand),
    /// Print, export and revoke badges.
    #[command(subcommand)]
    Badge(badge::BadgeCommand),
    /// Workers' photos, shown beside the name on the guard screen.
    #[command(subcommand)]
    Photos(photos::PhotosCommand),
    /// Feed one QR text to the gate, as a camera scan or a USB scanner would, and print the decision.
    Check(check::Args),
    /// Read the QR codes in image files and print their texts (one line or JSON object per image).
    Decode(decode::Args),
    /// Run the gate on a camera or a replay folder: frames to decoded badges to decisions, one JSON line each.
    Scan(scan::Args),
    /// Demo data: a realistic enterprise with its roster and weeks of events.
    #[command(subcommand)]
    Demo(demo::DemoCommand),
    /// Visitor records: purge personal details past the retention period (as `privacy purge`).
    #[command(subcommand)]
    Visitors(check::VisitorsCommand),
    /// Personal data (Law 91/2025/QH15): a person's requests to see or erase their data,
    /// retention, and the record of processing.
    #[command(subcommand)]
    Privacy(privacy::PrivacyCommand),
    /// HR exports: daily attendance, the raw event log, who is inside now, the visitor log.
    Export {
        #[command(subcommand)]
        cmd: export::ExportCommand,
    },
    /// The public holidays of a year (Labour Code Art. 112, lunar ones included, and kiosk.conf [holidays]).
    Holidays(holidays::Args),
    /// Guards' and admins' PINs (manual entries, HR pages, leaving the kiosk).
    #[command(subcommand)]
    Pin(pin::PinCommand),
    /// Print this kiosk's id, enterprise and public key, for the province to register.
    Identity(sync::IdentityArgs),
    /// Send waiting events to the province and pull other gates' events and roster changes.
    Sync(sync::SyncArgs),
    /// Copy this kiosk (database, kiosk.conf, PINs, keys) into one archive, while it runs.
    Backup(backup::BackupArgs),
    /// Set up a replacement PC from a backup, into an empty data directory.
    Restore(backup::RestoreArgs),
    /// The turnstile, barrier or door the gate opens (kiosk.conf [turnstile]): pulse an output to test the wiring.
    #[command(subcommand)]
    Turnstile(turnstile::TurnstileCommand),
}

/// What a job ended with, beside success: a refused scan is not an error, but scripts want to know.
pub enum Outcome {
    Done,
    Refused,
}

fn data_dir(flag: Option<PathBuf>) -> DataDir {
    DataDir::new(flag.unwrap_or_else(|| dirs::data_dir().unwrap_or_else(|| PathBuf::from(".")).join("qrgate")))
}

/// Exit codes: 0 done or accepted, 1 refused at the gate (or, for sync, the server unreachable
/// or refusing), 2 bad arguments (clap),
/// 3 bad input or state (files, data directory, settings), 4 storage or system failure.
fn exit_code(code: qrgate_core::Code) -> u8 {
    if code.is_system() {
        4
    } else {
        3
    }
}

fn main() -> ExitCode {
    // Keys, the database and exports hold personal data: nothing we create is for other users.
    #[cfg(unix)]
    unsafe {
        libc::umask(0o077);
    }
    let cli = Cli::parse();
    let data = data_dir(cli.data);
    let result = match cli.command {
        Command::Init(args) => init::run(args, &data),
        Command::Roster(cmd) => roster::run(cmd, &data),
        Command::Schedule(cmd) => schedule::run(cmd, &data),
        Command::Badge(cmd) => badge::run(cmd, &data),
        Command::Photos(cmd) => photos::run(cmd, &data),
        Command::Check(args) => check::run(args, &data),
        Command::Decode(args) => decode::run(args),
        Command::Scan(args) => scan::run(args, &data),
        Command::Demo(cmd) => demo::run(cmd, &data),
        Command::Visitors(cmd) => check::run_visitors(cmd, &data),
        Command::Privacy(cmd) => privacy::run(cmd, &data),
        Command::Export { cmd } => export::run(cmd, &data).map(|()| Outcome::Done),
        Command::Holidays(args) => holidays::run(args, &data).map(|()| Outcome::Done),
        Command::Pin(cmd) => pin::run(cmd, &data),
        Command::Identity(args) => sync::run_identity(args, &data),
        Command::Sync(args) => sync::run_sync(args, &data),
        Command::Backup(args) => backup::run_backup(args, &data),
        Command::Restore(args) => backup::run_restore(args, &data),
        Command::Turnstile(cmd) => turnstile::run(cmd, &data),
    };
    match result {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Refused) => ExitCode::from(1),
        Err(e) => {
            eprintln!("qrgate: error[{}]: {e}", e.code());
            ExitCode::from(exit_code(e.code()))
        }
    }
}
