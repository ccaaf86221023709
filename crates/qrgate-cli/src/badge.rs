//! `qrgate badge`: issue (PDF sheet + phone PNGs), revoke, and show a badge's QR text.

use std::path::PathBuf;

use chrono::{NaiveDate, Utc};
use qrgate_core::datadir::DataDir;
use qrgate_core::model::EmployeeCode;
use qrgate_desk::{Error, Result};
use qrgate_hr::print::{self, Selection};

use crate::Outcome;

#[derive(clap::Args)]
#[group(required = true, multiple = false)]
pub struct Which {
    /// Every active worker.
    #[arg(long)]
    all: bool,
    /// The active workers of one department (as written in the roster).
    #[arg(long, value_name = "D")]
    department: Option<String>,
    /// One worker.
    #[arg(long, value_name = "CODE")]
    employee: Option<EmployeeCode>,
}

impl Which {
    fn selection(self) -> Selection {
        match (self.all, self.department, self.employee) {
            (_, Some(d), _) => Selection::Department(d),
            (_, _, Some(c)) => Selection::Employee(c),
            _ => Selection::All,
        }
    }
}

#[derive(clap::Subcommand)]
pub enum BadgeCommand {
    /// Sign badges and write an A4 PDF sheet of cut-out cards (and one PNG per person for phones).
    /// A worker who never had a badge gets serial 1; reprinting keeps the current serial.
    Issue {
        #[command(flatten)]
        which: Which,
        /// The printable A4 sheet.
        #[arg(long, value_name = "OUT.pdf")]
        pdf: PathBuf,
        /// Also write <code>.png per person here, to send to their phone.
        #[arg(long, value_name = "DIR")]
        png_dir: Option<PathBuf>,
        /// Where the secret badge signing key is (default: the data directory's keys/).
        #[arg(long, value_name = "DIR")]
        keys: Option<PathBuf>,
        /// The badges stop working after this day (YYYY-MM-DD). Default: no expiry.
        #[arg(long, value_name = "YYYY-MM-DD")]
        expires: Option<NaiveDate>,
    },
    /// Revoke a worker's badge: the serial goes up by one, so every badge printed before is refused.
    /// Issue a new badge afterwards with `qrgate badge issue --employee CODE`.
    Revoke { code: EmployeeCode },
    /// Print the QR text of a worker's current badge (what a phone shows, what a USB scanner types).
    Text {
        code: EmployeeCode,
        #[arg(long, value_name = "DIR")]
        keys: Option<PathBuf>,
    },
}

fn today(data: &DataDir) -> Result<NaiveDate> {
    let (_, config) = data.open()?;
    Ok(Utc::now().with_timezone(&config.time.timezone).date_naive())
}

pub fn run(cmd: BadgeCommand, data: &DataDir) -> Result<Outcome> {
    match cmd {
        BadgeCommand::Issue { which, pdf, png_dir, keys, expires } => {
            let today = today(data)?;
            if expires.is_some_and(|e| e <= today) {
                return Err(Error::invalid("--expires", "must be after today"));
            }
            let key = data.badge_signing_key(keys.as_deref())?;
            let (mut store, _) = data.open()?;
            let cards = print::issue(&mut store, &key, &which.selection(), today, expires, Utc::now())?;
            let title = format!("{} — thẻ nhân viên", store.identity().enterprise_name);
            print::badge_sheet_pdf(&cards, &title, &pdf)?;
            println!("Wrote {} badge(s) to {}", cards.len(), pdf.display());
            if let Some(dir) = png_dir {
                std::fs::create_dir_all(&dir).map_err(|e| Error::io(dir.clone())(e))?;
                for card in &cards {
                    let path = dir.join(format!("{}.png", card.code.replace('/', "_")));
                    let png = print::badge_png(card)?;
                    if let Err(e) = std::fs::write(&path, png) {
                        // A cut-off PNG would be sent to a phone as if it were a badge.
                        let _ = std::fs::remove_file(&path);
                        return Err(Error::io(path)(e));
                    }
                }
                println!("Wrote {} PNG(s) to {}", cards.len(), dir.display());
            }
        }
        BadgeCommand::Revoke { code } => {
            let (mut store, _) = data.open()?;
            let serial = store.revoke_badge(&code, Utc::now())?;
            println!("Revoked the badges of {code}: only serial {serial} will work once issued.");
            println!("Print it with: qrgate badge issue --employee {code} --pdf {code}.pdf");
        }
        BadgeCommand::Text { code, keys } => {
            let today = today(data)?;
            let key = data.badge_signing_key(keys.as_deref())?;
            let (mut store, _) = data.open()?;
            let cards = print::issue(&mut store, &key, &Selection::Employee(code), today, None, Utc::now())?;
            println!("{}", cards[0].text);
        }
    }
    Ok(Outcome::Done)
}
