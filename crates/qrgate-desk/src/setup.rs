//! A gate PC's first start without a terminal: the window's setup form, checked once, becomes the
//! same `DataDir::init` that `qrgate init` runs, plus the first admin PIN (`qrgate pin set`).
//!
//! The enterprise's keys come pasted or from a USB stick: [`find_keys`] looks on the removable
//! media the kernel has mounted for the files the enterprise's first kiosk wrote.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use qrgate_core::badge::BadgePublicKey;
use qrgate_core::datadir::{DataDir, InitOptions, InitReport, BADGE_PUBLIC_KEY, VISITOR_KEY};
use qrgate_core::model::{GateMode, KioskId, TaxCode};
use qrgate_core::privacy::VisitorKey;
use serde::{Deserialize, Serialize};

use crate::pin::{Pin, Pins, Role};
use crate::{Error, Result};

/// The setup page's fields as typed. Empty key fields: this is the enterprise's first kiosk, which
/// makes the enterprise's keys.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetupForm {
    pub enterprise: String,
    pub enterprise_name: String,
    pub kiosk_id: String,
    pub gate: String,
    pub mode: String,
    pub badge_public_key: String,
    pub visitor_key: String,
    pub admin_name: String,
    pub pin: String,
    pub pin_again: String,
}

/// A setup form whose every field has been checked: nothing is written before all of them are.
pub struct Setup {
    options: InitOptions,
    admin_name: String,
    pin: Pin,
}

/// Relabels an engine refusal with the setup form's own field, so the page can point at it.
fn field<T>(what: &'static str, checked: qrgate_core::Result<T>) -> Result<T> {
    checked.map_err(|e| match e {
        qrgate_core::Error::Invalid { why, .. } => Error::invalid(what, why),
        other => Error::Core(other),
    })
}

/// An optional text field: blank is none.
fn given(text: &str) -> Option<&str> {
    Some(text.trim()).filter(|t| !t.is_empty())
}

impl SetupForm {
    pub fn check(self) -> Result<Setup> {
        let enterprise: TaxCode = field("tax code", self.enterprise.parse())?;
        let enterprise_name = self.enterprise_name.trim().to_string();
        if enterprise_name.is_empty() || enterprise_name.chars().count() > 200 {
            return Err(Error::invalid("enterprise name", "give the enterprise's name, as printed on badges"));
        }
        let kiosk_id: KioskId = field("kiosk id", self.kiosk_id.parse())?;
        let gate = given(&self.gate).map(str::to_string);
        if gate.as_ref().is_some_and(|g| g.chars().count() > 100) {
            return Err(Error::invalid("gate name", "at most 100 characters"));
        }
        let mode: Option<GateMode> = given(&self.mode).map(|m| field("gate mode", m.parse())).transpose()?;
        let badge_public_key = given(&self.badge_public_key)
            .map(|t| field("badge public key", BadgePublicKey::from_file_text(t)))
            .transpose()?;
        let visitor_key =
            given(&self.visitor_key).map(|t| field("visitor key", VisitorKey::from_file_text(t))).transpose()?;
        if badge_public_key.is_none() && visitor_key.is_some() {
            return Err(Error::invalid(
                "badge public key",
                "a visitor key comes with the enterprise's badge public key from its first kiosk",
            ));
        }
        if let Some(k) = &badge_public_key {
            if k.enterprise != enterprise {
                return Err(Error::invalid(
                    "badge public key",
                    format!("it is enterprise {}'s, not {enterprise}'s", k.enterprise),
                ));
            }
            if visitor_key.is_none() {
                return Err(Error::invalid(
                    "visitor key",
                    format!("a further gate needs the enterprise's {VISITOR_KEY} from its first kiosk's keys"),
                ));
            }
        }
        let admin_name = self.admin_name.trim().to_string();
        if admin_name.is_empty() || admin_name.chars().count() > 64 {
            return Err(Error::invalid("operator name", "give the admin's name, 1 to 64 characters"));
        }
        let pin: Pin = self.pin.parse()?;
        if self.pin_again.trim() != self.pin.trim() {
            return Err(Error::invalid("PIN again", "the two PINs differ"));
        }
        let options = InitOptions {
            enterprise,
            enterprise_name,
            kiosk_id,
            gate,
            mode,
            keys_dir: None,
            badge_public_key,
            visitor_key,
        };
        Ok(Setup { options, admin_name, pin })
    }
}

/// Initialises `data` as `qrgate init` does and gives it its first admin PIN.
pub fn set_up(
    data: &DataDir,
    setup: Setup,
    rng: &mut (impl rand::RngCore + rand::CryptoRng),
    now: DateTime<Utc>,
) -> Result<InitReport> {
    let report = data.init(setup.options, rng, now)?;
    let mut pins = Pins::load(&data.root)?;
    pins.set(&setup.admin_name, Role::Admin, &setup.pin, rng, now)?;
    pins.save()?;
    Ok(report)
}

/// The enterprise's keys as found on a stick: the public key, and the visitor key beside it when
/// it is there.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FoundKeys {
    pub folder: PathBuf,
    pub badge_public_key: String,
    pub visitor_key: Option<String>,
}

/// How deep under a mount point the keys may lie (`/media/stick/qrgate/keys/badge-signing.pub`).
const SEARCH_DEPTH: usize = 3;

/// Every folder under `roots` (to [`SEARCH_DEPTH`]) holding a badge public key that reads as
/// one, with its visitor key when beside it; ordered by path. Unreadable folders are skipped:
/// a stick's lost+found is none of the installer's business.
pub fn find_keys(roots: &[PathBuf]) -> Vec<FoundKeys> {
    let mut found = Vec::new();
    for root in roots {
        look(root, SEARCH_DEPTH, &mut found);
    }
    found.sort_by(|a, b| a.folder.cmp(&b.folder));
    found.dedup_by(|a, b| a.folder == b.folder);
    found
}

fn look(folder: &Path, depth: usize, found: &mut Vec<FoundKeys>) {
    let read = |name: &str| std::fs::read_to_string(folder.join(name)).ok();
    if let Some(text) = read(BADGE_PUBLIC_KEY).filter(|t| BadgePublicKey::from_file_text(t).is_ok()) {
        let visitor_key = read(VISITOR_KEY).filter(|t| VisitorKey::from_file_text(t).is_ok());
        found.push(FoundKeys { folder: folder.to_path_buf(), badge_public_key: text, visitor_key });
    }
    if depth == 0 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(folder) else { return };
    for entry in entries.flatten() {
        // Not through links: a stick must not lead the search across the machine.
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            look(&entry.path(), depth - 1, found);
        }
    }
}

/// The mount points of removable media in `/proc/mounts`' text: where desktops and udisks mount
/// sticks (`/media`, `/run/media`) and where an installer mounts one by hand (`/mnt`).
pub fn removable_roots(mounts: &str) -> Vec<PathBuf> {
    mounts
        .lines()
        .filter_map(|line| line.split_whitespace().nth(1))
        // /proc/mounts writes a space in a path as \040.
        .map(|point| point.replace("\\040", " "))
        .filter(|point| ["/media/", "/run/media/", "/mnt/"].iter().any(|p| point.starts_with(p)) || point == "/mnt")
        .map(PathBuf::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn form() -> SetupForm {
        SetupForm {
            enterprise: "0301234567".into(),
            enterprise_name: "Công ty TNHH May Thành Công".into(),
            kiosk_id: "cong-1".into(),
            gate: "Cổng chính".into(),
            mode: "auto".into(),
            admin_name: "Chị Lan".into(),
            pin: "4321".into(),
            pin_again: "4321".into(),
            ..SetupForm::default()
        }
    }

    fn refused_field(form: SetupForm) -> &'static str {
        match form.check() {
            Err(Error::Core(qrgate_core::Error::Invalid { what, .. })) => what,
            Err(e) => panic!("refused otherwise: {e}"),
            Ok(_) => panic!("accepted"),
        }
    }

    #[test]
    fn each_bad_field_is_named_and_nothing_is_written() {
        assert_eq!(refused_field(SetupForm { enterprise: "12345".into(), ..form() }), "tax code");
        assert_eq!(refused_field(SetupForm { enterprise_name: "  ".into(), ..form() }), "enterprise name");
        assert_eq!(refused_field(SetupForm { kiosk_id: "cổng 1".into(), ..form() }), "kiosk id");
        assert_eq!(refused_field(SetupForm { mode: "sideways".into(), ..form() }), "gate mode");
        assert_eq!(refused_field(SetupForm { badge_public_key: "not a key".into(), ..form() }), "badge public key");
        assert_eq!(refused_field(SetupForm { admin_name: "".into(), ..form() }), "operator name");
        assert_eq!(refused_field(SetupForm { pin: "12".into(), pin_again: "12".into(), ..form() }), "PIN");
        assert_eq!(refused_field(SetupForm { pin_again: "4322".into(), ..form() }), "PIN again");
    }

    #[test]
    fn the_first_gate_makes_the_keys_and_a_further_gate_takes_them_pasted() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let dir = tempfile::tempdir().unwrap();
        let (first, second) = (DataDir::new(dir.path().join("first")), DataDir::new(dir.path().join("second")));
        let report = set_up(&first, form().check().unwrap(), &mut rng, Utc::now()).unwrap();
        let pins = Pins::load(&first.root).unwrap();
        assert!(pins.has_admin());
        assert!(pins.verify(&"4321".parse().unwrap(), Role::Admin).is_some());
        let (_, config) = first.open().unwrap();
        assert_eq!(config.gate.name, "Cổng chính");

        // The second gate: the first one's keys pasted; a key of another enterprise is refused.
        let public = std::fs::read_to_string(&report.badge_public_key).unwrap();
        let visitor = std::fs::read_to_string(&report.visitor_key).unwrap();
        let further = || SetupForm {
            kiosk_id: "cong-2".into(),
            badge_public_key: public.clone(),
            visitor_key: visitor.clone(),
            ..form()
        };
        assert_eq!(refused_field(SetupForm { enterprise: "0309999999".into(), ..further() }), "badge public key");
        assert_eq!(refused_field(SetupForm { visitor_key: "".into(), ..further() }), "visitor key");
        set_up(&second, further().check().unwrap(), &mut rng, Utc::now()).unwrap();
        assert_eq!(std::fs::read_to_string(second.keys().join(VISITOR_KEY)).unwrap(), visitor);
        assert!(!second.keys().join(qrgate_core::datadir::BADGE_SIGNING_KEY).exists(), "a further gate only verifies");

        // A second setup of the same directory writes nothing over the first.
        let again = set_up(&first, form().check().unwrap(), &mut rng, Utc::now());
        assert!(matches!(again, Err(Error::Core(qrgate_core::Error::AlreadyInitialised(_)))));
    }

    #[test]
    fn keys_are_found_on_a_stick_mounted_where_sticks_are() {
        let mounts = "/dev/vda1 / ext4 rw 0 0\n\
                      /dev/sdb1 /media/qrgate/USB\\040HR vfat rw 0 0\n\
                      /dev/sdc1 /run/media/lan/STICK vfat rw 0 0\n\
                      proc /proc proc rw 0 0\n";
        assert_eq!(
            removable_roots(mounts),
            [PathBuf::from("/media/qrgate/USB HR"), PathBuf::from("/run/media/lan/STICK")]
        );

        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(8);
        let dir = tempfile::tempdir().unwrap();
        let first = DataDir::new(dir.path().join("first"));
        set_up(&first, form().check().unwrap(), &mut rng, Utc::now()).unwrap();
        let stick = dir.path().join("stick");
        let keys = stick.join("qrgate").join("keys");
        std::fs::create_dir_all(&keys).unwrap();
        for name in [BADGE_PUBLIC_KEY, VISITOR_KEY] {
            std::fs::copy(first.keys().join(name), keys.join(name)).unwrap();
        }
        // A file of that name that is no key is not offered.
        std::fs::create_dir_all(stick.join("junk")).unwrap();
        std::fs::write(stick.join("junk").join(BADGE_PUBLIC_KEY), "hello").unwrap();
        let found = find_keys(&[stick.clone(), dir.path().join("no-such-stick")]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].folder, keys);
        assert_eq!(
            found[0].visitor_key.as_deref(),
            Some(std::fs::read_to_string(first.keys().join(VISITOR_KEY)).unwrap().as_str())
        );
        assert!(found[0].badge_public_key.contains("public"));
    }
}
