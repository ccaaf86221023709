//! A kiosk in one file: `backup` copies a data directory while its kiosk runs, `restore` sets up a
//! replacement PC from the copy, into an empty data directory, whole or not at all.
//!
//! The archive is a ZIP (deflate): the database, kiosk.conf, the PINs file and keys/, and last a
//! `manifest.json` naming each file with its size and SHA-256. A ZIP keeps its directory at the
//! end and a CRC per file, so a copy cut short or flipped anywhere does not open or does not
//! check; the manifest adds what a CRC cannot say (every file is there, and is the one the
//! backup wrote). Anyone can list it with `unzip -l`; it holds keys and personal data, so it is
//! written owner-only and belongs on a medium kept like the gate's own disk.
//!
//! The database is copied with `VACUUM INTO`, not the online backup API page by page: one
//! statement in one read transaction is one consistent snapshot, and in WAL mode it never holds
//! up the gate's writer, whereas a stepped backup starts again from the first page whenever
//! another connection writes (a busy gate writes every few seconds). `VACUUM INTO` also writes
//! no free pages, so nothing erased (Law 91/2025/QH15) travels in the copy.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::datadir::{DataDir, CONFIG, DATABASE, KEYS, KIOSK_KEY, PINS};
use crate::error::{Error, Result};
use crate::store::{create_private_dir, Store};

/// The archive's last entry: what the backup holds.
pub const MANIFEST: &str = "manifest.json";
const FORMAT: &str = "qrgate-backup";
const VERSION: u32 = 1;
/// A manifest names a handful of files; anything longer is not one of ours.
const MANIFEST_MAX_BYTES: u64 = 64 * 1024;
/// Leftovers of a restore that stopped (a power cut) start with this, inside the data directory.
const STAGING_PREFIX: &str = ".restoring-";

/// A file the archive may hold, by its name there (and its path under the data directory).
struct Kept {
    name: &'static str,
    required: bool,
}

/// keys/ files by their names in the archive, which are their paths in the data directory
/// (a test holds them to `datadir`'s names).
const KIOSK_KEY_ENTRY: &str = "keys/kiosk.key";
const BADGE_PUBLIC_KEY_ENTRY: &str = "keys/badge-signing.pub";
const VISITOR_KEY_ENTRY: &str = "keys/visitor.key";
const BADGE_SIGNING_KEY_ENTRY: &str = "keys/badge-signing.key";

/// Every name an archive may hold besides the manifest; the database is restored last.
fn kept(with_signing_key: bool) -> Vec<Kept> {
    let mut files = vec![
        Kept { name: CONFIG, required: true },
        Kept { name: PINS, required: false },
        Kept { name: KIOSK_KEY_ENTRY, required: true },
        Kept { name: BADGE_PUBLIC_KEY_ENTRY, required: false },
        Kept { name: VISITOR_KEY_ENTRY, required: false },
    ];
    if with_signing_key {
        files.push(Kept { name: BADGE_SIGNING_KEY_ENTRY, required: true });
    }
    files.push(Kept { name: DATABASE, required: true });
    files
}

/// The names a restore accepts: what any backup may hold.
fn known_name(name: &str) -> bool {
    kept(true).iter().any(|k| k.name == name)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Manifest {
    format: String,
    version: u32,
    kiosk_id: String,
    enterprise: String,
    taken_at: DateTime<Utc>,
    events: u64,
    files: Vec<ManifestFile>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ManifestFile {
    name: String,
    bytes: u64,
    sha256: String,
}

/// What `backup` is asked.
#[derive(Debug, Clone, Copy, Default)]
pub struct BackupOptions {
    /// Take the enterprise's secret badge signing key too. Off by default: a gate PC stolen with
    /// its backup stick should not let anyone mint badges.
    pub with_signing_key: bool,
}

/// What a backup holds, for the person who made it.
#[derive(Debug, Clone, Serialize)]
pub struct BackupReport {
    pub path: PathBuf,
    pub kiosk_id: String,
    pub events: u64,
    pub files: Vec<String>,
    pub bytes: u64,
}

/// What a restore set up.
#[derive(Debug, Clone, Serialize)]
pub struct RestoreReport {
    pub kiosk_id: String,
    pub enterprise: String,
    pub taken_at: DateTime<Utc>,
    pub events: u64,
    pub files: Vec<String>,
    /// The next event's sequence number: past the backup's by [`crate::store::RESTORE_SEQ_GAP`],
    /// so no number the old PC sent after the backup is taken again ([`Store::number_past_backup`]).
    pub next_seq: i64,
}

/// A reader that hashes and counts what passes through it.
struct Hashing<R> {
    inner: R,
    hash: Sha256,
    bytes: u64,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

impl<R> Hashing<R> {
    fn new(inner: R) -> Hashing<R> {
        Hashing { inner, hash: Sha256::new(), bytes: 0 }
    }

    fn digest(self) -> String {
        hex::encode(self.hash.finalize())
    }
}

fn zip_error(path: &Path) -> impl Fn(zip::result::ZipError) -> Error + '_ {
    move |e| match e {
        zip::result::ZipError::Io(e) => Error::io(path)(e),
        other => Error::Io { path: path.to_path_buf(), source: std::io::Error::other(other) },
    }
}

/// Writes one archive of `data` at `out` (replacing a file there whole, or leaving it as it was).
/// The kiosk may be running: its database is read in one snapshot that does not stop the gate.
pub fn backup(data: &DataDir, out: &Path, options: BackupOptions, now: DateTime<Utc>) -> Result<BackupReport> {
    let (store, _config) = data.open()?;
    let out_dir = match out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let scratch = tempfile::Builder::new().prefix(".qrgate-backup-").tempdir_in(out_dir).map_err(Error::io(out_dir))?;
    let copy = scratch.path().join(DATABASE);
    let copy_text = copy.to_str().ok_or_else(|| Error::invalid("--out", "the path is not UTF-8"))?;
    store.connection().execute("VACUUM INTO ?1", [copy_text]).map_err(|e| Error::from(e).on_disk(out_dir))?;
    drop(store);
    let (kiosk_id, enterprise, events) = {
        let copied = rusqlite::Connection::open_with_flags(&copy, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        integrity(&copied).map_err(|why| Error::BackupDamaged { path: copy.clone(), why })?;
        let (kiosk_id, enterprise): (String, String) =
            copied.query_row("SELECT kiosk_id, enterprise FROM identity", [], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let events: u64 = copied.query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))?;
        (kiosk_id, enterprise, events)
    };

    let mut partial =
        tempfile::Builder::new().prefix(".").suffix(".partial").tempfile_in(out_dir).map_err(Error::io(out_dir))?;
    let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(partial.as_file_mut()));
    let stored = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o600)
        .large_file(true);
    let mut files = Vec::new();
    for k in kept(options.with_signing_key) {
        let source = if k.name == DATABASE { copy.clone() } else { data.root.join(k.name) };
        let file = match std::fs::File::open(&source) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !k.required => continue,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && k.name == BADGE_SIGNING_KEY_ENTRY => {
                return Err(Error::NoSigningKey(source))
            }
            Err(e) => return Err(Error::io(&source)(e)),
        };
        zip.start_file(k.name, stored).map_err(zip_error(out))?;
        let mut reading = Hashing::new(std::io::BufReader::new(file));
        std::io::copy(&mut reading, &mut zip).map_err(Error::io(out))?;
        files.push(ManifestFile { name: k.name.to_string(), bytes: reading.bytes, sha256: reading.digest() });
    }
    let manifest = Manifest {
        format: FORMAT.into(),
        version: VERSION,
        kiosk_id: kiosk_id.clone(),
        enterprise,
        taken_at: now,
        events,
        files,
    };
    zip.start_file(MANIFEST, stored).map_err(zip_error(out))?;
    zip.write_all(&serde_json::to_vec_pretty(&manifest).expect("plain data serialises")).map_err(Error::io(out))?;
    let mut writer = zip.finish().map_err(zip_error(out))?;
    writer.flush().map_err(Error::io(out))?;
    drop(writer);
    partial.as_file().sync_all().map_err(Error::io(out))?;
    let bytes = partial.as_file().metadata().map_err(Error::io(out))?.len();
    partial.persist(out).map_err(|e| Error::io(out)(e.error))?;
    std::fs::File::open(out_dir).and_then(|d| d.sync_all()).map_err(Error::io(out_dir))?;
    Ok(BackupReport {
        path: out.to_path_buf(),
        kiosk_id,
        events,
        files: manifest.files.into_iter().map(|f| f.name).collect(),
        bytes,
    })
}

/// `PRAGMA integrity_check`'s first complaint, if any.
fn integrity(conn: &rusqlite::Connection) -> std::result::Result<(), String> {
    let first: String =
        conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).map_err(|e| format!("the database: {e}"))?;
    if first == "ok" {
        Ok(())
    } else {
        Err(format!("the database fails its integrity check: {first}"))
    }
}

/// Sets up the kiosk of `archive` in `data`, which must be empty or missing. Everything is
/// unpacked and checked in a directory of its own inside `data` first (sizes, SHA-256, the
/// database's integrity and identity, kiosk.conf, the kiosk key), then moved into place with
/// the database last, so a damaged archive leaves `data` as it was.
pub fn restore(archive: &Path, data: &DataDir, now: DateTime<Utc>) -> Result<RestoreReport> {
    refuse_unless_empty(&data.root)?;
    let made_here = !data.root.exists();
    let restored = restore_checked(archive, data, now);
    if restored.is_err() && made_here {
        // Only ever empty here: the staging directory inside went with its TempDir.
        let _ = std::fs::remove_dir(&data.root);
    }
    restored
}

fn restore_checked(archive: &Path, data: &DataDir, now: DateTime<Utc>) -> Result<RestoreReport> {
    let damaged = |why: String| Error::BackupDamaged { path: archive.to_path_buf(), why };
    let file = std::fs::File::open(archive).map_err(Error::io(archive))?;
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file))
        .map_err(|e| damaged(format!("not a whole ZIP file: {e}")))?;
    let manifest = read_manifest(&mut zip).map_err(&damaged)?;
    for name in zip.file_names_raw() {
        let name = String::from_utf8_lossy(name);
        if name != MANIFEST && !manifest.files.iter().any(|f| f.name == name) {
            return Err(damaged(format!("it holds {name:?}, which its manifest does not name")));
        }
    }

    create_private_dir(&data.root)?;
    let staging =
        tempfile::Builder::new().prefix(STAGING_PREFIX).tempdir_in(&data.root).map_err(Error::io(&data.root))?;
    create_private_dir(&staging.path().join(KEYS))?;
    for f in &manifest.files {
        let target = staging.path().join(&f.name);
        unpack(&mut zip, f, &target).map_err(|e| match e {
            Unpack::Damaged(why) => damaged(format!("{}: {why}", f.name)),
            Unpack::Local(e) => e,
        })?;
    }

    let staged = DataDir::new(staging.path());
    Config::load(&staged.config_path())?;
    staged.kiosk_key().map_err(|e| damaged(format!("{KEYS}/{KIOSK_KEY}: {e}")))?;
    let next_seq = {
        let mut store = Store::open(&staged.database())?;
        integrity(store.connection()).map_err(&damaged)?;
        let identity = store.identity();
        if identity.kiosk_id.as_str() != manifest.kiosk_id || identity.enterprise.as_str() != manifest.enterprise {
            return Err(damaged(format!(
                "its manifest is kiosk {} of {}, its database kiosk {} of {}",
                manifest.kiosk_id, manifest.enterprise, identity.kiosk_id, identity.enterprise
            )));
        }
        store.number_past_backup(now)?;
        store.next_own_seq()?
    };

    let files: Vec<String> = manifest.files.iter().map(|f| f.name.clone()).collect();
    move_into_place(staging.path(), &data.root)?;
    Ok(RestoreReport {
        kiosk_id: manifest.kiosk_id,
        enterprise: manifest.enterprise,
        taken_at: manifest.taken_at,
        events: manifest.events,
        files,
        next_seq,
    })
}

/// A data directory a restore may fill: missing, or holding nothing but what a restore that
/// stopped part-way left in its own staging directory (removed here).
fn refuse_unless_empty(root: &Path) -> Result<()> {
    let entries = match std::fs::read_dir(root) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(root)(e)),
    };
    let mut holds = Vec::new();
    for entry in entries {
        let entry = entry.map_err(Error::io(root))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(STAGING_PREFIX) && entry.path().is_dir() {
            std::fs::remove_dir_all(entry.path()).map_err(Error::io(entry.path()))?;
        } else {
            holds.push(name);
        }
    }
    holds.sort();
    match holds.as_slice() {
        [] => Ok(()),
        [one] => Err(Error::DataDirNotEmpty { path: root.to_path_buf(), holds: one.clone() }),
        [first, rest @ ..] => {
            Err(Error::DataDirNotEmpty { path: root.to_path_buf(), holds: format!("{first} and {} more", rest.len()) })
        }
    }
}

fn read_manifest<R: Read + std::io::Seek>(zip: &mut zip::ZipArchive<R>) -> std::result::Result<Manifest, String> {
    let entry = zip.by_name(MANIFEST).map_err(|_| format!("it has no {MANIFEST}"))?;
    let mut text = Vec::new();
    entry.take(MANIFEST_MAX_BYTES + 1).read_to_end(&mut text).map_err(|e| format!("{MANIFEST}: {e}"))?;
    if text.len() as u64 > MANIFEST_MAX_BYTES {
        return Err(format!("{MANIFEST} is too long"));
    }
    let manifest: Manifest = serde_json::from_slice(&text).map_err(|e| format!("{MANIFEST}: {e}"))?;
    if manifest.format != FORMAT {
        return Err(format!("{MANIFEST} is not a QR Gate backup's"));
    }
    if manifest.version != VERSION {
        return Err(format!(
            "it is format {} and this QR Gate reads format {VERSION}: restore it with the QR Gate that made it",
            manifest.version
        ));
    }
    let mut names = std::collections::HashSet::new();
    for f in &manifest.files {
        if !known_name(&f.name) || !names.insert(f.name.as_str()) {
            return Err(format!("{MANIFEST} names {:?}, which is no file of a kiosk (or twice)", f.name));
        }
    }
    for k in kept(false).iter().filter(|k| k.required) {
        if !names.contains(k.name) {
            return Err(format!("it lacks {}", k.name));
        }
    }
    Ok(manifest)
}

enum Unpack {
    /// The archive's fault.
    Damaged(String),
    /// This machine's (its disk).
    Local(Error),
}

/// Writes one file of the archive at `target`, owner-only, checking its size and SHA-256.
fn unpack<R: Read + std::io::Seek>(
    zip: &mut zip::ZipArchive<R>,
    expected: &ManifestFile,
    target: &Path,
) -> std::result::Result<(), Unpack> {
    let entry = zip.by_name(&expected.name).map_err(|_| Unpack::Damaged("missing".into()))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut out = options.open(target).map_err(|e| Unpack::Local(Error::io(target)(e)))?;
    // One byte more than the manifest says is enough to know it is not the file it names.
    let mut reading = Hashing::new(entry.take(expected.bytes + 1));
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match reading.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            // The ZIP reader reports a bad CRC or cut deflate stream as an I/O error of its own.
            Err(e) => return Err(Unpack::Damaged(e.to_string())),
        };
        out.write_all(&buf[..n]).map_err(|e| Unpack::Local(Error::io(target)(e)))?;
    }
    out.sync_all().map_err(|e| Unpack::Local(Error::io(target)(e)))?;
    let bytes = reading.bytes;
    if bytes != expected.bytes {
        return Err(Unpack::Damaged(format!("{bytes} bytes where the manifest says {}", expected.bytes)));
    }
    if reading.digest() != expected.sha256 {
        return Err(Unpack::Damaged("its SHA-256 is not the manifest's".into()));
    }
    Ok(())
}

/// Moves the checked files from `staging` into `root`, the database last: `DataDir::open` takes
/// a directory without one for uninitialised, so until the last rename nothing uses what came.
/// A failure part-way takes back what was moved.
fn move_into_place(staging: &Path, root: &Path) -> Result<()> {
    let mut names: Vec<String> = std::fs::read_dir(staging)
        .map_err(Error::io(staging))?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<std::io::Result<_>>()
        .map_err(Error::io(staging))?;
    // The database after everything else, its WAL (if SQLite left one) just before it.
    names.sort_by_key(|n| (n.starts_with(DATABASE), n == DATABASE));
    let mut moved = Vec::new();
    for name in &names {
        let (from, to) = (staging.join(name), root.join(name));
        if let Err(e) = std::fs::rename(&from, &to) {
            for back in moved.iter().rev() {
                let _ = std::fs::rename(root.join(back), staging.join(back));
            }
            return Err(Error::io(&to)(e));
        }
        moved.push(name.clone());
    }
    std::fs::File::open(root).and_then(|d| d.sync_all()).map_err(Error::io(root))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datadir::{BADGE_PUBLIC_KEY, BADGE_SIGNING_KEY, VISITOR_KEY};

    #[test]
    fn the_archive_names_keys_where_the_data_directory_keeps_them() {
        for (entry, file) in [
            (KIOSK_KEY_ENTRY, KIOSK_KEY),
            (BADGE_PUBLIC_KEY_ENTRY, BADGE_PUBLIC_KEY),
            (VISITOR_KEY_ENTRY, VISITOR_KEY),
            (BADGE_SIGNING_KEY_ENTRY, BADGE_SIGNING_KEY),
        ] {
            assert_eq!(entry, format!("{KEYS}/{file}"));
        }
    }
}
