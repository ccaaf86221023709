//! Guard and admin PINs: one per operator, kept hashed (argon2id) in the data directory's
//! pins.toml, so the PIN that confirms a manual entry also says who made it.
//!
//! A guard's PIN confirms manual entries and visitor-free actions at the gate; an admin's PIN
//! does that too, and opens the HR pages and lets a person leave the kiosk.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

pub use crate::error::PinRefusal;
use crate::error::{Error, Result};
use qrgate_core::datadir::replace_private_file;

pub const PINS: &str = "pins.toml";

/// What a PIN lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manual entries at the gate.
    Guard,
    /// Everything a guard does, the HR pages, and leaving the kiosk.
    Admin,
}

impl FromStr for Role {
    type Err = Error;
    fn from_str(s: &str) -> Result<Role> {
        match s.trim().to_ascii_lowercase().as_str() {
            "guard" => Ok(Role::Guard),
            "admin" => Ok(Role::Admin),
            other => Err(Error::invalid("role", format!("{other:?}: expected guard or admin"))),
        }
    }
}

/// A PIN as typed: 4 to 12 digits. Never stored, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Pin(String);

impl std::fmt::Debug for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pin(****)")
    }
}

impl FromStr for Pin {
    type Err = Error;
    fn from_str(s: &str) -> Result<Pin> {
        let s = s.trim();
        if !(4..=12).contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::invalid("PIN", "a PIN is 4 to 12 digits"));
        }
        Ok(Pin(s.to_string()))
    }
}

/// Who a PIN belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Operator {
    pub name: String,
    pub role: Role,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct OperatorPin {
    name: String,
    role: Role,
    /// PHC string: algorithm, parameters, salt and hash.
    hash: String,
    set_at: DateTime<Utc>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PinFile {
    #[serde(default, rename = "operator")]
    operators: Vec<OperatorPin>,
}

/// The kiosk's PINs, as read from its data directory.
#[derive(Debug)]
pub struct Pins {
    path: PathBuf,
    file: PinFile,
}

impl Pins {
    /// Reads `pins.toml` in `dir`; none yet is an empty list.
    pub fn load(dir: &Path) -> Result<Pins> {
        let path = dir.join(PINS);
        let file = match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text)
                .map_err(|e| qrgate_core::Error::Config { path: path.clone(), why: e.to_string() })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => PinFile::default(),
            Err(e) => return Err(Error::io(&path)(e)),
        };
        Ok(Pins { path, file })
    }

    /// Writes the whole list, replacing the file atomically.
    pub fn save(&self) -> Result<()> {
        let text = toml::to_string(&self.file).map_err(|e| Error::invalid("PIN file", e.to_string()))?;
        let header = "# QR Gate PINs, hashed with argon2id. Change them with `qrgate pin set`, never by hand.\n\n";
        Ok(replace_private_file(&self.path, format!("{header}{text}").as_bytes())?)
    }

    /// Sets (or replaces) `name`'s PIN. Two operators cannot share a PIN: it would no longer
    /// say who made a manual entry.
    pub fn set(
        &mut self,
        name: &str,
        role: Role,
        pin: &Pin,
        rng: &mut (impl rand::RngCore + rand::CryptoRng),
        now: DateTime<Utc>,
    ) -> Result<()> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 64 {
            return Err(Error::invalid("operator name", "give the person's name, 1 to 64 characters"));
        }
        if let Some(other) = self.file.operators.iter().find(|o| o.name != name && matches(&o.hash, pin)) {
            return Err(Error::invalid(
                "PIN",
                format!("already used by another operator ({}); choose another", other.role_word()),
            ));
        }
        let mut salt = [0u8; 16];
        rng.fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(|e| Error::invalid("PIN salt", e.to_string()))?;
        let hash = Argon2::default()
            .hash_password(pin.0.as_bytes(), &salt)
            .map_err(|e| Error::invalid("PIN", e.to_string()))?
            .to_string();
        let entry = OperatorPin { name: name.to_string(), role, hash, set_at: now };
        match self.file.operators.iter_mut().find(|o| o.name == name) {
            Some(o) => *o = entry,
            None => self.file.operators.push(entry),
        }
        Ok(())
    }

    /// Removes `name`'s PIN; false when they had none.
    pub fn remove(&mut self, name: &str) -> bool {
        let before = self.file.operators.len();
        self.file.operators.retain(|o| o.name != name.trim());
        self.file.operators.len() != before
    }

    pub fn operators(&self) -> Vec<Operator> {
        self.file.operators.iter().map(|o| Operator { name: o.name.clone(), role: o.role }).collect()
    }

    /// Whether anyone can leave the kiosk or open the HR pages yet.
    pub fn has_admin(&self) -> bool {
        self.file.operators.iter().any(|o| o.role == Role::Admin)
    }

    /// The operator whose PIN this is, if their role allows `needed`.
    pub fn verify(&self, pin: &Pin, needed: Role) -> Option<Operator> {
        self.file
            .operators
            .iter()
            .filter(|o| o.role >= needed)
            .find(|o| matches(&o.hash, pin))
            .map(|o| Operator { name: o.name.clone(), role: o.role })
    }
}

impl OperatorPin {
    fn role_word(&self) -> &'static str {
        match self.role {
            Role::Guard => "a guard",
            Role::Admin => "an admin",
        }
    }
}

fn matches(hash: &str, pin: &Pin) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(pin.0.as_bytes(), &h).is_ok())
}

/// Wrong PINs in a row lock the PIN pad for a while, so a 4-digit PIN cannot be found by
/// trying them all at the gate.
#[derive(Debug, Clone, Default)]
pub struct PinLock {
    failures: u32,
    locked_until: Option<DateTime<Utc>>,
}

/// Wrong PINs allowed before the pad locks.
pub const TRIES: u32 = 5;
/// How long the pad stays locked.
pub const LOCKED_FOR: Duration = Duration::seconds(60);

impl PinLock {
    /// Tries `pin` unless the pad is locked; counts the failures.
    pub fn attempt(
        &mut self,
        pins: &Pins,
        pin: &str,
        needed: Role,
        now: DateTime<Utc>,
    ) -> Result<Operator, PinRefusal> {
        if let Some(until) = self.locked_until.filter(|u| *u > now) {
            return Err(PinRefusal::Locked { seconds: (until - now).num_seconds().max(1) });
        }
        let found = pin.parse::<Pin>().ok().and_then(|p| pins.verify(&p, needed));
        match found {
            Some(op) => {
                *self = PinLock::default();
                Ok(op)
            }
            None => {
                self.failures += 1;
                if self.failures >= TRIES {
                    self.failures = 0;
                    self.locked_until = Some(now + LOCKED_FOR);
                    return Err(PinRefusal::Locked { seconds: LOCKED_FOR.num_seconds() });
                }
                Err(PinRefusal::Wrong { tries_left: TRIES - self.failures })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-11-26T01:00:00Z".parse().unwrap()
    }

    #[test]
    fn pins_are_digits_and_never_printed() {
        assert!("12a4".parse::<Pin>().is_err());
        assert!("123".parse::<Pin>().is_err());
        assert!("1234567890123".parse::<Pin>().is_err());
        let pin: Pin = " 2468 ".parse().unwrap();
        assert_eq!(format!("{pin:?}"), "Pin(****)");
    }

    #[test]
    fn a_pin_names_its_operator_and_roles_nest() {
        let dir = tempfile::tempdir().unwrap();
        let mut pins = Pins::load(dir.path()).unwrap();
        assert!(!pins.has_admin());
        let rng = &mut rand::rngs::OsRng;
        pins.set("Trần Văn Bảo", Role::Guard, &"1357".parse().unwrap(), rng, now()).unwrap();
        pins.set("Lê Thị Hoa", Role::Admin, &"97531".parse().unwrap(), rng, now()).unwrap();
        pins.save().unwrap();

        let pins = Pins::load(dir.path()).unwrap();
        assert!(pins.has_admin());
        let text = std::fs::read_to_string(dir.path().join(PINS)).unwrap();
        assert!(!text.contains("1357") && text.contains("$argon2id$"), "{text}");
        let guard = pins.verify(&"1357".parse().unwrap(), Role::Guard).unwrap();
        assert_eq!(guard, Operator { name: "Trần Văn Bảo".into(), role: Role::Guard });
        assert_eq!(pins.verify(&"1357".parse().unwrap(), Role::Admin), None, "a guard cannot open the HR pages");
        assert_eq!(pins.verify(&"97531".parse().unwrap(), Role::Guard).unwrap().role, Role::Admin);
        assert_eq!(pins.verify(&"0000".parse().unwrap(), Role::Guard), None);
    }

    #[test]
    fn two_operators_cannot_share_a_pin_and_a_new_pin_replaces_the_old() {
        let dir = tempfile::tempdir().unwrap();
        let mut pins = Pins::load(dir.path()).unwrap();
        let rng = &mut rand::rngs::OsRng;
        pins.set("A", Role::Guard, &"1111".parse().unwrap(), rng, now()).unwrap();
        let err = pins.set("B", Role::Guard, &"1111".parse().unwrap(), rng, now()).unwrap_err();
        assert!(err.to_string().contains("already used"), "{err}");
        pins.set("A", Role::Guard, &"2222".parse().unwrap(), rng, now()).unwrap();
        assert_eq!(pins.verify(&"1111".parse().unwrap(), Role::Guard), None);
        assert_eq!(pins.operators().len(), 1);
        assert!(pins.remove("A") && !pins.remove("A"));
    }

    #[test]
    fn five_wrong_pins_lock_the_pad_for_a_minute() {
        let dir = tempfile::tempdir().unwrap();
        let mut pins = Pins::load(dir.path()).unwrap();
        pins.set("A", Role::Admin, &"4321".parse().unwrap(), &mut rand::rngs::OsRng, now()).unwrap();
        let mut lock = PinLock::default();
        for left in (1..TRIES).rev() {
            assert_eq!(lock.attempt(&pins, "0000", Role::Admin, now()), Err(PinRefusal::Wrong { tries_left: left }));
        }
        assert_eq!(lock.attempt(&pins, "0000", Role::Admin, now()), Err(PinRefusal::Locked { seconds: 60 }));
        // Locked: even the right PIN waits.
        let later = now() + Duration::seconds(30);
        assert_eq!(lock.attempt(&pins, "4321", Role::Admin, later), Err(PinRefusal::Locked { seconds: 30 }));
        let after = now() + Duration::seconds(61);
        assert_eq!(lock.attempt(&pins, "4321", Role::Admin, after).unwrap().name, "A");
    }
}
