//! The kiosk's data directory: where the database, kiosk.conf and the keys live, and `init`.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use ed25519_dalek::SigningKey;

use crate::badge::{BadgePublicKey, BadgeSigningKey};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::gate::Gate;
use crate::model::{GateMode, KioskId, TaxCode};
use crate::privacy::VisitorKey;
use crate::store::{create_private_dir, write_private_file, Identity, Store};

pub const DATABASE: &str = "qrgate.db";
pub const CONFIG: &str = "kiosk.conf";
pub const KEYS: &str = "keys";
pub const KIOSK_KEY: &str = "kiosk.key";
pub const BADGE_SIGNING_KEY: &str = "badge-signing.key";
pub const BADGE_PUBLIC_KEY: &str = "badge-signing.pub";
/// The guards' and admins' PINs (argon2 hashes), which `qrgate_desk::pin` keeps.
pub const PINS: &str = "pins.toml";
/// The enterprise's visitor key ([`VisitorKey`]): secret, the same at every gate of the enterprise.
pub const VISITOR_KEY: &str = "visitor.key";

/// A data directory, whether or not it has been initialised.
#[derive(Debug, Clone)]
pub struct DataDir {
    pub root: PathBuf,
}

/// What `qrgate init` is told.
pub struct InitOptions {
    pub enterprise: TaxCode,
    pub enterprise_name: String,
    pub kiosk_id: KioskId,
    pub gate: Option<String>,
    pub mode: Option<GateMode>,
    /// Where the badge signing key is written (default: the data directory's keys/).
    pub keys_dir: Option<PathBuf>,
    /// Use this enterprise key instead of making one: a kiosk that only verifies badges.
    pub badge_public_key: Option<BadgePublicKey>,
    /// The enterprise's visitor key from its first kiosk; required with `badge_public_key` (a
    /// further gate of the enterprise), made anew otherwise.
    pub visitor_key: Option<VisitorKey>,
}

/// What `init` made, for the person who ran it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InitReport {
    pub database: PathBuf,
    pub config: PathBuf,
    pub kiosk_public_key: String,
    /// Where the secret badge key was written, when one was made.
    pub badge_signing_key: Option<PathBuf>,
    pub badge_public_key: PathBuf,
    /// The enterprise's visitor key in this kiosk's keys/: secret, copied to its further gates.
    pub visitor_key: PathBuf,
}

impl DataDir {
    pub fn new(root: impl Into<PathBuf>) -> DataDir {
        DataDir { root: root.into() }
    }

    pub fn database(&self) -> PathBuf {
        self.root.join(DATABASE)
    }

    /// Bytes free for this program on the data directory's disk: the guard is warned before a
    /// full disk stops the kiosk recording.
    pub fn free_bytes(&self) -> Result<u64> {
        let st = rustix::fs::statvfs(&self.root).map_err(|e| Error::io(&self.root)(e.into()))?;
        Ok(st.f_bavail.saturating_mul(st.f_frsize))
    }

    /// The turnstile's health as the running kiosk last saw it (JSON), for `qrgate sync --status`.
    pub fn turnstile_health(&self) -> PathBuf {
        self.root.join("turnstile.json")
    }

    /// The mark `program` keeps here while it runs ([`crate::supervision::Run`]).
    pub fn running_mark(&self, program: &str) -> PathBuf {
        let name: String = program.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
        self.root.join(format!("running-{name}.json"))
    }

    /// The last start that followed a stop the kiosk did not make (JSON).
    pub fn last_restart(&self) -> PathBuf {
        self.root.join("restart.json")
    }

    pub fn config_path(&self) -> PathBuf {
        self.root.join(CONFIG)
    }

    pub fn keys(&self) -> PathBuf {
        self.root.join(KEYS)
    }

    /// Opens the database and reads kiosk.conf.
    pub fn open(&self) -> Result<(Store, Config)> {
        if !self.database().exists() {
            return Err(Error::NotInitialised(self.root.clone()));
        }
        let config = Config::load(&self.config_path())?;
        let store = Store::open(&self.database()).map_err(|e| e.on_disk(&self.root))?;
        Ok((store, config))
    }

    /// Reads the secret badge key from `keys_dir` (default: the data directory's keys/).
    pub fn badge_signing_key(&self, keys_dir: Option<&Path>) -> Result<BadgeSigningKey> {
        let path = keys_dir.map_or_else(|| self.keys(), Path::to_path_buf).join(BADGE_SIGNING_KEY);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Error::NoSigningKey(path)),
            Err(e) => return Err(Error::io(&path)(e)),
        };
        BadgeSigningKey::from_file_text(&text)
    }

    /// The enterprise's visitor key, when this kiosk has one (a kiosk set up before it existed
    /// has none until `qrgate init`'s file is copied into keys/).
    pub fn visitor_key(&self) -> Result<Option<VisitorKey>> {
        VisitorKey::read(&self.keys().join(VISITOR_KEY))
    }

    /// The gate of this kiosk: its badge keys from the store, its visitor key from keys/.
    pub fn gate(&self, store: &Store, config: Config) -> Result<Gate> {
        Ok(Gate::new(store, config)?.with_visitor_key(self.visitor_key()?))
    }

    /// The kiosk's own signing key, for the requests it sends to the province.
    pub fn kiosk_key(&self) -> Result<SigningKey> {
        let path = self.keys().join(KIOSK_KEY);
        let text = std::fs::read_to_string(&path).map_err(Error::io(&path))?;
        let bytes = hex::decode(text.trim()).map_err(|_| Error::invalid("kiosk key", "not hex"))?;
        let seed: [u8; 32] = bytes.try_into().map_err(|_| Error::invalid("kiosk key", "not 32 bytes"))?;
        Ok(SigningKey::from_bytes(&seed))
    }

    /// Creates everything a kiosk needs. Refuses an initialised directory (one with a database:
    /// the database is made last). A run that stopped part-way (a full disk, a power cut) left
    /// only files of the data directory that nothing uses yet, so running `init` again replaces
    /// them; each is written whole or not at all. A badge signing key kept outside the data
    /// directory (`--keys`) is never replaced: it may already sign another gate's badges.
    pub fn init(
        &self,
        options: InitOptions,
        rng: &mut (impl rand::RngCore + rand::CryptoRng),
        now: DateTime<Utc>,
    ) -> Result<InitReport> {
        if self.database().exists() {
            return Err(Error::AlreadyInitialised(self.root.clone()));
        }
        if let Some(k) = &options.badge_public_key {
            if k.enterprise != options.enterprise {
                return Err(Error::invalid(
                    "badge public key",
                    format!("it is enterprise {}'s, not {}'s", k.enterprise, options.enterprise),
                ));
            }
        }
        if options.badge_public_key.is_some() && options.visitor_key.is_none() {
            return Err(Error::invalid(
                "visitor key",
                format!(
                    "a further gate of an enterprise needs the enterprise's {VISITOR_KEY} from its first kiosk's \
                     keys/ (or from the directory given to that kiosk's --keys), so that a visitor is one person \
                     at every gate"
                ),
            ));
        }
        create_private_dir(&self.root)?;
        create_private_dir(&self.keys())?;

        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        let kiosk_key = SigningKey::from_bytes(&seed);
        let kiosk_public_key = hex::encode(kiosk_key.verifying_key().to_bytes());
        replace_private_file(&self.keys().join(KIOSK_KEY), format!("{}\n", hex::encode(seed)).as_bytes())?;

        let (public, signing_path) = match options.badge_public_key {
            Some(public) => (public, None),
            None => {
                let key = BadgeSigningKey::generate(1, options.enterprise.clone(), rng);
                let dir = options.keys_dir.clone().unwrap_or_else(|| self.keys());
                create_private_dir(&dir)?;
                let path = dir.join(BADGE_SIGNING_KEY);
                if dir == self.keys() {
                    replace_private_file(&path, key.to_file_text().as_bytes())?;
                } else {
                    if path.exists() {
                        return Err(Error::invalid(
                            "--keys",
                            format!(
                                "{} already holds a badge signing key; give its public key with --badge-pubkey, \
                                 or choose an empty directory",
                                dir.display()
                            ),
                        ));
                    }
                    write_private_file(&path, key.to_file_text().as_bytes())?;
                    replace_private_file(&dir.join(BADGE_PUBLIC_KEY), key.public().to_file_text().as_bytes())?;
                }
                (key.public(), Some(path))
            }
        };
        let public_path = self.keys().join(BADGE_PUBLIC_KEY);
        replace_private_file(&public_path, public.to_file_text().as_bytes())?;
        // The first kiosk makes the enterprise's visitor key; where the badge signing key went
        // elsewhere (HR's USB stick), a copy goes with it, for the enterprise's further gates.
        let visitor_key = match options.visitor_key {
            Some(key) => key,
            None => {
                let key = VisitorKey::generate(rng);
                if let Some(dir) = options.keys_dir.as_ref().filter(|d| **d != self.keys()) {
                    replace_private_file(&dir.join(VISITOR_KEY), key.to_file_text().as_bytes())?;
                }
                key
            }
        };
        replace_private_file(&self.keys().join(VISITOR_KEY), visitor_key.to_file_text().as_bytes())?;

        let mut config = Config::default();
        if let Some(gate) = options.gate {
            config.gate.name = gate;
        }
        if let Some(mode) = options.mode {
            config.gate.mode = mode;
        }
        let config_path = self.config_path();
        replace_private_file(&config_path, config_text(&config).as_bytes())?;

        let mut salt = [0u8; 32];
        rng.fill_bytes(&mut salt);
        let identity = Identity {
            enterprise: options.enterprise,
            enterprise_name: options.enterprise_name,
            kiosk_id: options.kiosk_id,
            kiosk_public_key: kiosk_public_key.clone(),
        };
        let store = Store::create(&self.database(), &identity, &salt, now).map_err(|e| e.on_disk(&self.root))?;
        store.add_badge_key(&public).map_err(|e| e.on_disk(&self.root))?;
        Ok(InitReport {
            database: self.database(),
            config: config_path,
            kiosk_public_key,
            badge_signing_key: signing_path,
            badge_public_key: public_path,
            visitor_key: self.keys().join(VISITOR_KEY),
        })
    }
}

/// kiosk.conf as `init` writes it: the commented example with this kiosk's gate name and mode.
pub fn config_text(config: &Config) -> String {
    let example = include_str!("../../../kiosk.conf.example");
    let defaults = Config::default();
    example
        .lines()
        .map(|line| {
            if line.starts_with("name = ") && line.contains(&defaults.gate.name) {
                format!("name = {:?}", config.gate.name)
            } else if line.starts_with("mode = ") {
                format!("mode = \"{}\"", config.gate.mode)
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// Replaces a file readable by its owner only, whole or not at all: the new contents go to a
/// temporary sibling (owner-only from its creation), reach the disk, and are renamed over the
/// old file, so a crash or a full disk leaves the old file or the new one, never half of one.
pub fn replace_private_file(path: &Path, contents: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut temp = tempfile::Builder::new().prefix(".").suffix(".partial").tempfile_in(dir).map_err(Error::io(dir))?;
    // Through the plain file: tempfile's own writer names its temporary file in errors, and the
    // person knows only `path`.
    let file = temp.as_file_mut();
    file.write_all(contents).and_then(|()| file.sync_all()).map_err(Error::io(path))?;
    temp.persist(path).map_err(|e| Error::io(path)(e.error))?;
    // The rename is durable only once the directory's entry is.
    std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(Error::io(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_config_reads_back() {
        let mut c = Config::default();
        c.gate.name = "Cổng \"B\"".into();
        c.gate.mode = GateMode::Out;
        assert_eq!(Config::parse(&config_text(&c)).unwrap(), c);
    }
}
