//! The demo enterprise the kiosk window opens on: its data, its PINs and replayable badge frames.
//!
//! The demo is a script a newcomer can watch without a camera: some empty frames, a worker's badge
//! held up, empty frames, a revoked badge, empty frames, in a loop. `script.json` beside the frames
//! says whose badges they are, so an end-to-end test can check the window against the roster
//! without asking the gate what it decided.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use image::{GrayImage, Luma};
use serde::{Deserialize, Serialize};

use crate::demo::{self, SeedOptions};
use crate::error::{Error, Result};
use crate::pin::{Pins, Role};
use qrgate_core::config::Config;
use qrgate_core::datadir::DataDir;
use qrgate_core::presence::InsideRule;
use qrgate_core::store::Store;
use qrgate_hr::print::{self, BadgeCard, Selection};

/// How big a demo enterprise to make.
#[derive(Debug, Clone, Copy)]
pub struct DemoSize {
    pub workers: usize,
    pub days: u32,
}

impl Default for DemoSize {
    fn default() -> DemoSize {
        DemoSize { workers: 200, days: 7 }
    }
}

/// A person whose badge the demo frames show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoPerson {
    pub code: String,
    pub name: String,
    pub department: String,
}

/// The demo's replay folder and whose badges are in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemoScript {
    pub frames: PathBuf,
    pub fps: f64,
    /// A worker outside the factory when the demo starts: the first scan lets them in.
    pub welcome: DemoPerson,
    /// A worker whose printed badge was revoked after printing: refused.
    pub revoked: DemoPerson,
}

/// The demo's PINs, shown on its screen: a guard's for manual entries, an admin's for the HR
/// pages and for leaving. A real kiosk's are set with `qrgate pin set`.
pub const DEMO_GUARD: (&str, &str) = ("Bảo vệ Demo", "1234");
pub const DEMO_ADMIN: (&str, &str) = ("Quản trị Demo", "9999");

const FRAMES_DIR: &str = "demo-frames";
const SCRIPT: &str = "script.json";
const FPS: f64 = 10.0;
/// Frames per step of the script at [`FPS`]: long empty stretches so each badge is a separate
/// sighting, and a first pause so the screen is up before the first badge arrives.
const LEAD_IN: usize = 20;
const HOLD: usize = 6;
const GAP: usize = 25;

/// Makes (or, on a restart, finds) the demo enterprise in `data`: initialised, seeded with a
/// roster and `size.days` days of events ending yesterday, every badge issued, one revoked, and
/// the replay frames written. `now` is the moment of preparation.
pub fn prepare_demo(
    data: &DataDir,
    size: DemoSize,
    rng: &mut (impl rand::RngCore + rand::CryptoRng),
    now: DateTime<Utc>,
) -> Result<DemoScript> {
    let script_path = data.root.join(FRAMES_DIR).join(SCRIPT);
    if data.database().exists() {
        let text = std::fs::read_to_string(&script_path).map_err(|_| {
            Error::invalid(
                "demo data directory",
                format!("{} holds a kiosk that is not a demo; start without --demo", data.root.display()),
            )
        })?;
        return serde_json::from_str(&text).map_err(|e| Error::invalid("demo script", e.to_string()));
    }
    let options = demo::init_options();
    data.init(options, rng, now)?;
    let mut pins = Pins::load(&data.root)?;
    pins.set(DEMO_GUARD.0, Role::Guard, &DEMO_GUARD.1.parse()?, rng, now)?;
    pins.set(DEMO_ADMIN.0, Role::Admin, &DEMO_ADMIN.1.parse()?, rng, now)?;
    pins.save()?;
    let (mut store, config) = data.open()?;
    let today = now.with_timezone(&config.time.timezone).date_naive();
    let seed = SeedOptions { workers: size.workers, days: size.days, last_day: today - Duration::days(1), seed: 1 };
    demo::seed(&mut store, &config, &seed, now, &mut |_, _| {})?;
    let key = data.badge_signing_key(None)?;
    let cards = print::issue(&mut store, &key, &Selection::All, today, None, now)?;

    let outside = outside_cards(&store, &config, &cards, now)?;
    let (welcome, revoked) = match outside.as_slice() {
        [w, r, ..] => (*w, *r),
        _ => return Err(Error::invalid("demo size", "needs at least two workers outside the factory")),
    };
    store.revoke_badge(&revoked.code.parse()?, now)?;

    let frames = data.root.join(FRAMES_DIR);
    write_frames(&frames, &[welcome, revoked])?;
    let script = DemoScript { frames, fps: FPS, welcome: person(welcome), revoked: person(revoked) };
    let json = serde_json::to_string_pretty(&script).map_err(|e| Error::invalid("demo script", e.to_string()))?;
    std::fs::write(&script_path, json).map_err(Error::io(&script_path))?;
    Ok(script)
}

fn person(card: &BadgeCard) -> DemoPerson {
    DemoPerson { code: card.code.clone(), name: card.full_name.clone(), department: card.department.clone() }
}

/// The cards of workers not inside at `now`, in roster order: their next scan is an entry.
fn outside_cards<'a>(
    store: &Store,
    config: &Config,
    cards: &'a [BadgeCard],
    now: DateTime<Utc>,
) -> Result<Vec<&'a BadgeCard>> {
    let inside: Vec<String> =
        store.inside(InsideRule::of(config), now)?.into_iter().map(|(p, _)| p.key().to_string()).collect();
    Ok(cards.iter().filter(|c| !inside.contains(&c.code)).collect())
}

/// Writes the looped script: lead-in, then for each card its badge held up and a gap.
fn write_frames(dir: &Path, cards: &[&BadgeCard]) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
    let badges = cards
        .iter()
        .map(|c| {
            let png = print::badge_png(c)?;
            image::load_from_memory(&png)
                .map(|i| i.to_luma8())
                .map_err(|e| Error::invalid("badge image", e.to_string()))
        })
        .collect::<Result<Vec<GrayImage>>>()?;
    let (w, h) = badges.iter().fold((0, 0), |(w, h), b| (w.max(b.width()), h.max(b.height())));
    // A mid-grey wall rather than white paper: nothing a decoder could mistake for a code.
    let empty = GrayImage::from_pixel(w, h, Luma([150]));
    let mut sequence: Vec<&GrayImage> = vec![&empty; LEAD_IN];
    for badge in &badges {
        sequence.extend(std::iter::repeat_n(badge, HOLD));
        sequence.extend(std::iter::repeat_n(&empty, GAP));
    }
    for (i, frame) in sequence.iter().enumerate() {
        let path = dir.join(format!("frame-{i:04}.png"));
        frame.save(&path).map_err(|e| Error::invalid("demo frame", format!("{}: {e}", path.display())))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use qrgate_core::gate::{Gate, Reason, Scan};
    use qrgate_core::model::{Direction, Verdict};

    fn qr_text_of(store: &mut Store, data: &DataDir, code: &str, now: DateTime<Utc>) -> String {
        let key = data.badge_signing_key(None).unwrap();
        let today = now.date_naive();
        print::issue(store, &key, &Selection::Employee(code.parse().unwrap()), today, None, now).unwrap()[0]
            .text
            .clone()
    }

    #[test]
    fn the_demo_lets_its_welcome_worker_in_and_refuses_the_revoked_badge() {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::new(dir.path().join("kiosk"));
        let now = "2026-11-25T00:30:00Z".parse::<DateTime<Utc>>().unwrap();
        let size = DemoSize { workers: 30, days: 2 };
        let script = prepare_demo(&data, size, &mut rand::rngs::OsRng, now).unwrap();
        assert_ne!(script.welcome.code, script.revoked.code);
        let frames = std::fs::read_dir(&script.frames)
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "png"))
            .count();
        assert_eq!(frames, LEAD_IN + 2 * (HOLD + GAP));

        let (mut store, config) = data.open().unwrap();
        let rule = InsideRule::of(&config);
        let later = now + Duration::minutes(1);
        let before = store.inside_counts(rule, later).unwrap();
        let gate = Gate::new(&store, config).unwrap();
        let welcome = qr_text_of(&mut store, &data, &script.welcome.code, later);
        let d = gate.check(&mut store, &Scan::camera(&welcome), later, uuid::Uuid::now_v7()).unwrap();
        assert_eq!((d.verdict, d.direction), (Verdict::Accepted, Some(Direction::In)));
        assert_eq!(d.person.unwrap().name, script.welcome.name);
        assert_eq!(
            store.inside_counts(rule, later).unwrap(),
            qrgate_core::store::InsideCounts { workers: before.workers + 1, ..before }
        );

        // A badge signed with the serial before the revocation, as printed on the demo frame.
        let key = data.badge_signing_key(None).unwrap();
        let old = qrgate_core::badge::Badge {
            key_id: key.key_id,
            enterprise: key.enterprise.clone(),
            employee: script.revoked.code.parse().unwrap(),
            serial: store.worker(&script.revoked.code.parse().unwrap()).unwrap().unwrap().badge_serial - 1,
            issued: now.date_naive(),
            expires: None,
        }
        .sign(&key)
        .unwrap();
        let d = gate.check(&mut store, &Scan::camera(&old), later, uuid::Uuid::now_v7()).unwrap();
        assert_eq!((d.verdict, d.reason), (Verdict::Refused, Some(Reason::Revoked)));

        // A restart on the same directory finds the same script instead of seeding again.
        drop(store);
        let again = prepare_demo(&data, size, &mut rand::rngs::OsRng, later).unwrap();
        assert_eq!(again, script);
    }

    #[test]
    fn a_kiosk_that_is_not_a_demo_is_not_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::new(dir.path().join("kiosk"));
        let now = "2026-11-25T00:30:00Z".parse::<DateTime<Utc>>().unwrap();
        let options = qrgate_core::datadir::InitOptions {
            enterprise: "0109999999".parse().unwrap(),
            enterprise_name: "Real".into(),
            kiosk_id: "gate-9".parse().unwrap(),
            gate: None,
            mode: None,
            keys_dir: None,
            badge_public_key: None,
        };
        data.init(options, &mut rand::rngs::OsRng, now).unwrap();
        let err = prepare_demo(&data, DemoSize::default(), &mut rand::rngs::OsRng, now).unwrap_err();
        assert!(err.to_string().contains("not a demo"), "{err}");
    }
}
