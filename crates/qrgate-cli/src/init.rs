//! `qrgate init`: create a kiosk's data directory.

use std::path::PathBuf;

use qrgate_core::badge::BadgePublicKey;
use qrgate_core::datadir::{DataDir, InitOptions, VISITOR_KEY};
use qrgate_core::model::{GateMode, KioskId, TaxCode};
use qrgate_core::privacy::VisitorKey;
use qrgate_desk::{Error, Result};

use crate::Outcome;

#[derive(clap::Args)]
pub struct Args {
    /// The enterprise's tax code (mã số doanh nghiệp): 10 digits, or 13 for a branch.
    #[arg(long, value_name = "TAXCODE")]
    enterprise: TaxCode,
    /// The enterprise's name as printed on badges, e.g. "Công ty TNHH May Thành Công".
    #[arg(long)]
    name: String,
    /// This kiosk's id, as the province will register it (letters, digits, - _ .).
    #[arg(long, value_name = "ID")]
    kiosk_id: KioskId,
    /// The gate's name on screens and reports.
    #[arg(long, value_name = "NAME")]
    gate: Option<String>,
    /// in, out, or auto (direction from the person's last event).
    #[arg(long)]
    mode: Option<GateMode>,
    /// Write the enterprise's secret badge signing key here instead of the data directory,
    /// e.g. on HR's machine or a USB stick, so this kiosk holds only the public key.
    #[arg(long, value_name = "DIR")]
    keys: Option<PathBuf>,
    /// Use the enterprise's existing badge key (a badge-signing.pub file from the first kiosk)
    /// instead of making a new one: for the second and further gates of an enterprise.
    #[arg(long, value_name = "FILE", conflicts_with = "keys")]
    badge_pubkey: Option<PathBuf>,
    /// The enterprise's visitor key (visitor.key from the first kiosk's keys/), with
    /// --badge-pubkey; by default the visitor.key beside the badge public key file.
    #[arg(long, value_name = "FILE", requires = "badge_pubkey")]
    visitor_key: Option<PathBuf>,
}

pub fn run(args: Args, data: &DataDir) -> Result<Outcome> {
    let name = args.name.trim().to_string();
    if name.is_empty() {
        return Err(Error::invalid("enterprise name", "empty"));
    }
    let badge_public_key = match &args.badge_pubkey {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| Error::io(path.clone())(e))?;
            Some(BadgePublicKey::from_file_text(&text)?)
        }
        None => None,
    };
    let visitor_key_path = args.visitor_key.clone().or_else(|| {
        args.badge_pubkey.as_ref().map(|p| p.parent().unwrap_or(std::path::Path::new(".")).join(VISITOR_KEY))
    });
    let visitor_key = match &visitor_key_path {
        Some(path) => Some(VisitorKey::read(path)?.ok_or_else(|| {
            Error::invalid(
                "visitor key",
                format!(
                    "{} not found: copy {VISITOR_KEY} from the first kiosk's keys/ beside the badge public key, \
                     or give it with --visitor-key FILE",
                    path.display()
                ),
            )
        })?),
        None => None,
    };
    let options = InitOptions {
        enterprise: args.enterprise,
        enterprise_name: name,
        kiosk_id: args.kiosk_id,
        gate: args.gate,
        mode: args.mode,
        keys_dir: args.keys,
        badge_public_key,
        visitor_key,
    };
    let report = data.init(options, &mut rand::rngs::OsRng, chrono::Utc::now())?;
    println!("Initialised {}", data.root.display());
    println!("  database        {}", report.database.display());
    println!("  settings        {}", report.config.display());
    println!("  badge key (pub) {}", report.badge_public_key.display());
    match &report.badge_signing_key {
        Some(p) => println!("  badge key (SECRET, keep safe) {}", p.display()),
        None => println!("  this kiosk verifies badges only: no signing key here"),
    }
    println!("  visitor key (SECRET, copy to the enterprise's further gates) {}", report.visitor_key.display());
    println!("  kiosk public key {}", report.kiosk_public_key);
    println!("Next: qrgate roster import FILE");
    Ok(Outcome::Done)
}
