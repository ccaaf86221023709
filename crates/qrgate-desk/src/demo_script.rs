//! The demo enterprise the kiosk window opens on: its data, its PINs and replayable gate frames.
//!
//! The demo is a script a newcomer can watch without a camera, in a loop: an empty gate, a worker
//! holding up a printed badge (in), a revoked badge (refused), the first worker again on a phone
//! within the debounce (nothing new), another worker's phone in dark mode, a visitor who came in
//! earlier showing their citizen-ID card (out), empty moments between them. This module says what
//! each frame shows ([`Shot`]); the window draws the pictures (the scan crate's gate-frame
//! generator), so this crate stays free of it. `script.json` beside the frames says whose badges
//! they are, so an end-to-end test can check the window against the roster without asking the
//! gate what it decided.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use image::GrayImage;
use serde::{Deserialize, Serialize};

use crate::demo::{self, SeedOptions};
use crate::error::{Error, Result};
use crate::pin::{Pins, Role};
use qrgate_core::config::{Config, PrivacyConfig};
use qrgate_core::datadir::DataDir;
use qrgate_core::gate::{Gate, Scan, VisitorDetails};
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
    /// A worker outside who shows their badge on a phone in dark mode: in.
    pub phone: DemoPerson,
    /// The visitor inside when the demo starts, whose card the camera sees: out.
    pub visitor: String,
}

/// What one replayed frame shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shot {
    /// The gate with nobody holding up a code; the number picks one of a few views.
    Empty(u8),
    /// A printed badge with this QR text held up.
    Paper(String),
    /// The badge with this QR text on a phone, light or dark theme.
    Phone { text: String, dark: bool },
    /// A citizen-ID card with this QR text.
    Card(String),
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
/// roster and `size.days` days of events ending yesterday, every badge issued, one revoked, a
/// visitor inside, and the replay frames written, each picture drawn once by `draw`. `now` is
/// the moment of preparation.
pub fn prepare_demo(
    data: &DataDir,
    size: DemoSize,
    rng: &mut (impl rand::RngCore + rand::CryptoRng),
    now: DateTime<Utc>,
    draw: &mut dyn FnMut(&Shot) -> GrayImage,
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
    let (welcome, revoked, phone) = match outside.as_slice() {
        [w, r, p, ..] => (*w, *r, *p),
        _ => return Err(Error::invalid("demo size", "needs at least three workers outside the factory")),
    };
    store.revoke_badge(&revoked.code.parse()?, now)?;
    let gate = data.gate(&store, config)?;
    let (visitor, card) = visitor_inside(&mut store, gate, rng, now)?;

    let frames = data.root.join(FRAMES_DIR);
    let shots = [
        Shot::Paper(welcome.text.clone()),
        Shot::Paper(revoked.text.clone()),
        Shot::Phone { text: welcome.text.clone(), dark: false },
        Shot::Phone { text: phone.text.clone(), dark: true },
        Shot::Card(card),
    ];
    write_frames(&frames, &shots, draw)?;
    let script = DemoScript {
        frames,
        fps: FPS,
        welcome: person(welcome),
        revoked: person(revoked),
        phone: person(phone),
        visitor,
    };
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
    // A set: a 20,000-worker demo has thousands inside.
    let inside: std::collections::HashSet<String> =
        store.inside(InsideRule::of(config), now)?.into_iter().map(|(p, _)| p.key().to_string()).collect();
    Ok(cards.iter().filter(|c| !inside.contains(&c.code)).collect())
}

/// A visitor who came in an hour before `now`, registered by the guard: their card's next scan
/// is their way out. Returns their name and their card's QR text.
fn visitor_inside(
    store: &mut Store,
    gate: Gate,
    rng: &mut (impl rand::RngCore + rand::CryptoRng),
    now: DateTime<Utc>,
) -> Result<(String, String)> {
    let card = demo::cccd_text(rng);
    let name = card.split('|').nth(2).unwrap_or_default().to_string();
    // The demo's guard tells the notice, and the visitor agrees.
    let digest = PrivacyConfig::notice_digest(&gate.config.privacy.notice_text(&store.identity().enterprise_name));
    let scan = Scan {
        visitor: VisitorDetails {
            host: Some("Ban Giám đốc"),
            purpose: Some("Gặp khách hàng"),
            phone: None,
            health: &[],
            consent: Some(&digest),
        },
        ..Scan::camera(&card)
    };
    gate.check(store, &scan, now - Duration::hours(1), uuid::Uuid::now_v7())?;
    Ok((name, card))
}

/// Writes the looped script: a lead-in, then each shot held up for [`HOLD`] frames and a gap of
/// an empty gate. Each picture is drawn and written once (`shots/`); the frames are links to
/// them, so the replay holds each picture once however long it is shown.
fn write_frames(dir: &Path, shots: &[Shot], draw: &mut dyn FnMut(&Shot) -> GrayImage) -> Result<()> {
    let pictures = dir.join("shots");
    std::fs::create_dir_all(&pictures).map_err(Error::io(&pictures))?;
    let mut written: Vec<(Shot, String)> = Vec::new();
    let mut picture = |shot: Shot| -> Result<String> {
        if let Some((_, name)) = written.iter().find(|(s, _)| *s == shot) {
            return Ok(name.clone());
        }
        let name = format!("shots/{:02}.png", written.len());
        let path = dir.join(&name);
        draw(&shot).save(&path).map_err(|e| Error::invalid("demo frame", format!("{}: {e}", path.display())))?;
        written.push((shot, name.clone()));
        Ok(name)
    };
    let mut sequence: Vec<String> = vec![picture(Shot::Empty(0))?; LEAD_IN];
    for (i, shot) in shots.iter().enumerate() {
        let held = picture(shot.clone())?;
        sequence.extend(std::iter::repeat_n(held, HOLD));
        let empty = picture(Shot::Empty(1 + (i % 3) as u8))?;
        sequence.extend(std::iter::repeat_n(empty, GAP));
    }
    for (i, name) in sequence.iter().enumerate() {
        let link = dir.join(format!("frame-{i:04}.png"));
        std::os::unix::fs::symlink(name, &link).map_err(Error::io(&link))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use qrgate_core::gate::{Reason, Scan};
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
        let mut drawn = Vec::new();
        let mut draw = |shot: &Shot| {
            drawn.push(shot.clone());
            GrayImage::new(16, 9)
        };
        let script = prepare_demo(&data, size, &mut rand::rngs::OsRng, now, &mut draw).unwrap();
        assert_ne!(script.welcome.code, script.revoked.code);
        let frames = std::fs::read_dir(&script.frames)
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "png"))
            .count();
        assert_eq!(frames, LEAD_IN + 5 * (HOLD + GAP));
        // Each picture drawn once: four views of the empty gate, five things held up.
        assert_eq!(drawn.len(), 9, "{drawn:?}");
        assert_eq!(std::fs::read_dir(script.frames.join("shots")).unwrap().count(), 9);
        let Some(Shot::Card(card)) = drawn.iter().find(|s| matches!(s, Shot::Card(_))).cloned() else {
            panic!("a visitor's card is in the script")
        };

        let (mut store, config) = data.open().unwrap();
        let rule = InsideRule::of(&config);
        let later = now + Duration::minutes(1);
        let before = store.inside_counts(rule, later).unwrap();
        let gate = data.gate(&store, config).unwrap();
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

        // The visitor registered an hour ago leaves when their card is seen: no form, a decision.
        assert!(gate.visitor_arrival(&store, &card, None, later).unwrap().is_none());
        let d = gate.check(&mut store, &Scan::camera(&card), later, uuid::Uuid::now_v7()).unwrap();
        assert_eq!((d.verdict, d.direction), (Verdict::Accepted, Some(Direction::Out)));
        assert_eq!(d.person.unwrap().name, script.visitor);

        // A restart on the same directory finds the same script instead of seeding again.
        drop(store);
        let again = prepare_demo(&data, size, &mut rand::rngs::OsRng, later, &mut |_| unreachable!()).unwrap();
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
            visitor_key: None,
        };
        data.init(options, &mut rand::rngs::OsRng, now).unwrap();
        let err =
            prepare_demo(&data, DemoSize::default(), &mut rand::rngs::OsRng, now, &mut |_| unreachable!()).unwrap_err();
        assert!(err.to_string().contains("not a demo"), "{err}");
    }
}
