//! `qrgate backup` and `qrgate restore`: a kiosk in one file, taken while it runs, and a
//! replacement PC set up from it.

use std::path::PathBuf;

use qrgate_core::backup::BackupOptions;
use qrgate_core::datadir::DataDir;
use qrgate_desk::Result;

use crate::Outcome;

#[derive(clap::Args)]
pub struct BackupArgs {
    /// The archive to write (replaced whole if it exists), e.g. /media/usb/gate-1.qrgate.zip.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Take the enterprise's secret badge signing key too (only a kiosk that issues badges
    /// holds it). Without it the archive cannot mint badges, whoever finds it.
    #[arg(long)]
    with_signing_key: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct RestoreArgs {
    /// The archive `qrgate backup` wrote.
    #[arg(value_name = "FILE")]
    archive: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run_backup(args: BackupArgs, data: &DataDir) -> Result<Outcome> {
    let options = BackupOptions { with_signing_key: args.with_signing_key };
    let report = qrgate_core::backup::backup(data, &args.out, options, chrono::Utc::now())?;
    if args.json {
        println!("{}", serde_json::to_string(&report).expect("plain data serialises"));
    } else {
        println!("Backed up kiosk {} to {} ({} bytes)", report.kiosk_id, report.path.display(), report.bytes);
        println!("  {} events; files: {}", report.events, report.files.join(", "));
        if !args.with_signing_key {
            println!("  the secret badge signing key is not in it (--with-signing-key takes it)");
        }
        println!("It holds the kiosk's keys and personal data: keep it as safe as the gate PC's own disk.");
    }
    Ok(Outcome::Done)
}

pub fn run_restore(args: RestoreArgs, data: &DataDir) -> Result<Outcome> {
    let report = qrgate_core::backup::restore(&args.archive, data, chrono::Utc::now())?;
    if args.json {
        println!("{}", serde_json::to_string(&report).expect("plain data serialises"));
    } else {
        println!(
            "Restored kiosk {} of {} into {} (backup of {}, {} events)",
            report.kiosk_id,
            report.enterprise,
            data.root.display(),
            report.taken_at.to_rfc3339(),
            report.events
        );
        println!("  files: {}", report.files.join(", "));
    }
    if !args.json {
        println!(
            "  the gate records at once: its next event is number {}, past any number the old PC could have sent \
             after the backup; its unsent events go to the province at the next sync (kept there once)",
            report.next_seq
        );
    }
    Ok(Outcome::Done)
}
