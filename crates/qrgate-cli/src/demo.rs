//! `qrgate demo`: seed a realistic enterprise, or run the engine on one end to end, headless.

use chrono::{Duration, Utc};
use qrgate_core::config::PrivacyConfig;
use qrgate_core::datadir::DataDir;
use qrgate_core::gate::{ManualEntry, Scan, VisitorDetails};
use qrgate_desk::demo::{self, SeedOptions};
use qrgate_desk::{Error, Result};
use qrgate_hr::print::{self, Selection};
use rand::SeedableRng;

use crate::check::decision_json;
use crate::roster::progress_bar;
use crate::Outcome;

#[derive(clap::Subcommand)]
pub enum DemoCommand {
    /// Fill the data directory with a demo enterprise: a roster with Vietnamese names, departments
    /// and day/night shifts, and D days of events ending yesterday (lateness, early leaves, missing
    /// punches, double scans, refusals, visitors). Initialises the directory first when needed.
    Seed {
        #[arg(long, default_value_t = 200)]
        workers: usize,
        #[arg(long, default_value_t = 7)]
        days: u32,
        /// The random seed: the same seed gives the same enterprise.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Seed a demo enterprise, print its badges, and put a morning's scans through the gate,
    /// printing each decision: the whole engine, headless.
    Run {
        #[arg(long, default_value_t = 200)]
        workers: usize,
    },
}

fn ensure_initialised(data: &DataDir) -> Result<()> {
    if data.database().exists() {
        return Ok(());
    }
    let options = demo::init_options();
    data.init(options, &mut rand::rngs::OsRng, Utc::now())?;
    println!("Initialised a demo kiosk in {}", data.root.display());
    Ok(())
}

/// Seeds, and when the data directory did not exist before, takes it away again if the seed
/// fails: everything that could be checked was checked before the first write, but the disk can
/// still fill part-way, and a half-seeded directory would refuse the next `demo seed`.
fn seed(data: &DataDir, workers: usize, days: u32, seed: u64) -> Result<()> {
    let made_here = !data.root.exists();
    let result = seed_into(data, workers, days, seed);
    if result.is_err() && made_here {
        let _ = std::fs::remove_dir_all(&data.root);
    }
    result
}

fn seed_into(data: &DataDir, workers: usize, days: u32, seed: u64) -> Result<()> {
    ensure_initialised(data)?;
    let (mut store, config) = data.open()?;
    if store.worker_count()? > 0 {
        return Err(Error::invalid(
            "demo seed",
            format!("{} already has a roster; seed an empty data directory", data.root.display()),
        ));
    }
    let yesterday = (Utc::now().with_timezone(&config.time.timezone) - Duration::days(1)).date_naive();
    let options = SeedOptions { workers, days, last_day: yesterday, seed };
    let bar = progress_bar(u64::from(days) * (workers as u64 / 500).max(1) * 100, "seeding");
    let summary = demo::seed(&mut store, &config, &options, Utc::now(), &mut |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64)
    })?;
    bar.finish_and_clear();
    println!(
        "Seeded {} workers, {} events and {} visitors over {days} day(s) ending {yesterday}",
        summary.workers, summary.events, summary.visitors
    );
    Ok(())
}

pub fn run(cmd: DemoCommand, data: &DataDir) -> Result<Outcome> {
    match cmd {
        DemoCommand::Seed { workers, days, seed: s } => seed(data, workers, days, s)?,
        DemoCommand::Run { workers } => run_demo(data, workers)?,
    }
    Ok(Outcome::Done)
}

fn run_demo(data: &DataDir, workers: usize) -> Result<()> {
    seed(data, workers, 7, 1)?;
    let key = data.badge_signing_key(None)?;
    let (mut store, config) = data.open()?;
    let tz = config.time.timezone;
    let today = Utc::now().with_timezone(&tz).date_naive();
    let cards = print::issue(&mut store, &key, &Selection::All, today, None, Utc::now())?;
    let pdf = data.root.join("badges.pdf");
    print::badge_sheet_pdf(&cards, demo::ENTERPRISE_NAME, &pdf)?;
    println!("Printed {} badges to {}", cards.len(), pdf.display());

    let revoked = &cards[1];
    store.revoke_badge(&revoked.code.parse()?, Utc::now())?;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
    let visitor = demo::cccd_text(&mut rng);
    let stranger = {
        let other = qrgate_core::badge::BadgeSigningKey::generate(1, "0109999999".parse()?, &mut rand::rngs::OsRng);
        qrgate_core::badge::Badge {
            key_id: 1,
            enterprise: other.enterprise.clone(),
            employee: "NV00001".parse()?,
            serial: 1,
            issued: today,
            expires: None,
        }
        .sign(&other)?
    };
    // The guard tells the visitor the notice and they agree.
    let digest = PrivacyConfig::notice_digest(&config.privacy.notice_text(demo::ENTERPRISE_NAME));
    let registered = VisitorDetails {
        host: Some("Phòng Nhân sự"),
        purpose: Some("Phỏng vấn"),
        phone: None,
        health: &[],
        consent: Some(&digest),
    };
    let gate = data.gate(&store, config)?;
    // A morning shift change today, after the seeded days.
    let start = demo::wall_clock(&tz, today.and_hms_opt(6, 50, 0).expect("valid")).with_timezone(&Utc);
    let at = |s: i64| start + Duration::seconds(s);
    let manual = ManualEntry { operator: "bao-ve-1", reason: "quên thẻ", direction: None };
    let script: Vec<(&str, Scan<'_>, chrono::DateTime<Utc>)> = vec![
        ("a worker shows her badge", Scan::camera(&cards[0].text), at(0)),
        ("she holds it up a moment longer", Scan::camera(&cards[0].text), at(3)),
        ("a badge that was revoked", Scan::camera(&revoked.text), at(10)),
        ("another enterprise's badge", Scan::camera(&stranger), at(20)),
        (
            "a visitor's CCCD card, registered by the guard",
            Scan { visitor: registered, ..Scan::camera(&visitor) },
            at(30),
        ),
        ("a QR code from a poster", Scan::camera("https://example.com/khuyen-mai"), at(40)),
        (
            "a guard enters a worker who forgot his badge",
            Scan { manual: Some(manual), ..Scan::camera(&cards[2].code) },
            at(50),
        ),
        ("the visitor leaves", Scan::camera(&visitor), at(3600)),
        ("the first worker leaves at the end of her shift", Scan::camera(&cards[0].text), at(8 * 3600)),
    ];
    println!();
    for (what, scan, when) in script {
        let decision = gate.check(&mut store, &scan, when, uuid::Uuid::now_v7())?;
        println!("# {what}");
        println!("{}", decision_json(&decision));
    }
    println!();
    println!("Events stored: {}. Data directory: {}", store.event_count()?, data.root.display());
    Ok(())
}
