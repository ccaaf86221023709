//! Personal data under Law 91/2025/QH15 and Decree 356/2025/ND-CP: erasure that leaves no bytes
//! behind, retention of former workers, and the record of processing.
//!
//! The record says who did what, when, to how many people; it never holds the personal data itself
//! (no number, no name), so it can be shown to the admin and kept for as long as the enterprise likes.

use chrono::{DateTime, TimeZone, Utc};
use hmac::{Hmac, Mac};
use rusqlite::params;
use sha2::{Digest, Sha256};

use crate::config::PrivacyConfig;
use crate::error::{Error, Result};
use crate::model::EmployeeCode;
use crate::store::Store;

/// What a former worker's name becomes when it is erased: the roster and the province keep a row
/// (the code stays for payroll), and every list shows plainly that the name was erased.
pub const ERASED_NAME: &str = "(đã xoá)";

/// The enterprise's visitor key: one secret every gate of the enterprise holds in keys/, never in
/// the database and never sent to the province, from which a visitor's pseudonym is made. So the
/// same visitor is the same person at every gate and in the province's contact tracing, while a
/// copy of a kiosk's database alone cannot be turned back into numbers by trying every one.
#[derive(Clone, PartialEq, Eq)]
pub struct VisitorKey([u8; 32]);

impl std::fmt::Debug for VisitorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VisitorKey(..)")
    }
}

impl VisitorKey {
    pub fn generate(rng: &mut (impl rand::RngCore + rand::CryptoRng)) -> VisitorKey {
        let mut key = [0u8; 32];
        rng.fill_bytes(&mut key);
        VisitorKey(key)
    }

    /// The file's text: 64 hex digits and a newline.
    pub fn to_file_text(&self) -> String {
        format!("{}\n", hex::encode(self.0))
    }

    pub fn from_file_text(text: &str) -> Result<VisitorKey> {
        let bad = || {
            Error::invalid("visitor key", "not 64 hex digits (a visitor.key file from the enterprise's first kiosk)")
        };
        let bytes = hex::decode(text.trim()).map_err(|_| bad())?;
        Ok(VisitorKey(bytes.try_into().map_err(|_| bad())?))
    }

    /// The key in the file at `path`; `None` when there is no such file.
    pub fn read(path: &std::path::Path) -> Result<Option<VisitorKey>> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(Some(VisitorKey::from_file_text(&text)?)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(path)(e)),
        }
    }

    /// A visitor's pseudonym: "v-" and the first 16 bytes of HMAC-SHA256(key, number), in hex.
    pub fn pseudonym(&self, number: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        mac.update(number.as_bytes());
        format!("v-{}", hex::encode(&mac.finalize().into_bytes()[..16]))
    }

    /// The keys workers' photos travel under between the enterprise's gates ([`crate::photo`]),
    /// derived from this one so the enterprise's IT copies one secret, not two.
    pub fn photo_key(&self) -> crate::photo::PhotoKey {
        crate::photo::PhotoKey::derive(&self.0)
    }
}

/// How a visitor's CCCD number is found again on this kiosk without being kept in an index: the
/// SHA-256 of the kiosk's secret salt and the number. Purged rows lose it, so they cannot be found.
pub fn visitor_number_hash(salt: &[u8], number: &str) -> String {
    let mut h = Sha256::new();
    h.update(salt);
    h.update(number.as_bytes());
    hex::encode(h.finalize())
}

/// The kinds of processing the record keeps (a closed list: the admin reads them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// An export that shows whole ID numbers, birth dates and phones.
    ExportFullIds,
    /// A person asked to see what the kiosk holds about them.
    SubjectExport,
    /// A person's details erased on request.
    Erase,
    /// Details erased because their retention ended.
    Purge,
}

impl Action {
    pub const ALL: [Action; 4] = [Action::ExportFullIds, Action::SubjectExport, Action::Erase, Action::Purge];

    pub fn code(self) -> &'static str {
        match self {
            Action::ExportFullIds => "export_full_ids",
            Action::SubjectExport => "subject_export",
            Action::Erase => "erase",
            Action::Purge => "purge",
        }
    }

    pub fn from_code(code: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.code() == code)
    }
}

/// One line of the record of processing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Processing {
    pub at: DateTime<Utc>,
    /// Who: the operator's name, `qrgate` and the system user for the command, or `retention`.
    pub actor: String,
    pub action: Action,
    /// How many people's data it touched.
    pub people: u64,
    /// What, without personal data: the export's kind and dates, "visitor" or "worker".
    pub detail: String,
}

pub fn record(store: &Store, entry: &Processing) -> Result<()> {
    store.connection().execute(
        "INSERT INTO processing_log (at_ms, actor, action, people, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![entry.at.timestamp_millis(), entry.actor, entry.action.code(), entry.people as i64, entry.detail],
    )?;
    Ok(())
}

/// The newest `limit` lines of the record, newest first.
pub fn log(store: &Store, limit: u32) -> Result<Vec<Processing>> {
    let mut stmt = store.connection().prepare(
        "SELECT at_ms, actor, action, people, detail FROM processing_log ORDER BY at_ms DESC, id DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(3)?, r.get(4)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (at, actor, action, people, detail) = row?;
        out.push(Processing {
            at: Utc.timestamp_millis_opt(at).single().unwrap_or_default(),
            actor,
            action: Action::from_code(&action)
                .ok_or_else(|| Error::invalid("processing record", format!("unknown action {action:?}")))?,
            people: people.max(0) as u64,
            detail,
        });
    }
    Ok(out)
}

/// Erases the details of every visitor record kept under this number (the person asked);
/// returns how many records. Their events stay, pointing at an id that no longer says who.
pub fn erase_visitor(store: &Store, number: &str, now: DateTime<Utc>) -> Result<usize> {
    let hash = visitor_number_hash(&store.visitor_salt()?, number);
    // Before the details go: the erasure clears the hash that finds the visitor's events.
    store.connection().execute(
        "DELETE FROM snapshots WHERE event_id IN (SELECT id FROM events WHERE person_kind = 'visitor'
         AND person_ref IN (SELECT id FROM visitors WHERE number_hash = ?1 AND purged_at_ms IS NULL))",
        [&hash],
    )?;
    let n = store.connection().execute(
        &format!("{ERASE_VISITOR_DETAILS} WHERE purged_at_ms IS NULL AND number_hash = ?1"),
        params![hash, now.timestamp_millis()],
    )?;
    // Only after an erasure: the checkpoint holds up the gate's writes while it runs.
    if n > 0 {
        wipe(store)?;
    }
    Ok(n)
}

/// Erases the details of visitors last seen before `cutoff` (retention); returns how many.
pub fn purge_visitors(store: &Store, cutoff: DateTime<Utc>, now: DateTime<Utc>) -> Result<usize> {
    let n = store.connection().execute(
        &format!("{ERASE_VISITOR_DETAILS} WHERE purged_at_ms IS NULL AND last_seen_ms < ?1"),
        params![cutoff.timestamp_millis(), now.timestamp_millis()],
    )?;
    // Only after an erasure: the checkpoint holds up the gate's writes while it runs.
    if n > 0 {
        wipe(store)?;
    }
    Ok(n)
}

/// The one statement that erases a visitor's details, whoever asks; `?2` is the moment.
const ERASE_VISITOR_DETAILS: &str = "UPDATE visitors SET number_hash = NULL, number = NULL, old_number = NULL,
    full_name = NULL, birth_date = NULL, sex = NULL, address = NULL, issued = NULL, phone = NULL, health = NULL,
    purged_at_ms = ?2";

/// Erases a former worker's name, phone, photo and snapshots; the code, department, shift and gate events stay,
/// because the enterprise must keep its payroll records (README: what is kept and why).
/// A worker still on the roster is refused: erasing them would leave a badge with no name.
pub fn erase_worker(store: &Store, code: &EmployeeCode, now: DateTime<Utc>) -> Result<()> {
    let worker = store.worker(code)?.ok_or_else(|| Error::UnknownEmployee(code.to_string()))?;
    if worker.active {
        return Err(Error::invalid(
            "erasure",
            format!("{code} is still an active worker; import the roster with them marked as left first"),
        ));
    }
    store.connection().execute(
        &format!("{ERASE_WORKER_DETAILS} WHERE code = ?1"),
        params![code.as_str(), now.timestamp_millis(), ERASED_NAME],
    )?;
    forget_erased_workers(store)?;
    wipe(store)
}

/// Erases the details of workers who left the roster before `cutoff` (by their last roster
/// change); returns how many.
pub fn purge_former_workers(store: &Store, cutoff: DateTime<Utc>, now: DateTime<Utc>) -> Result<usize> {
    let n = store.connection().execute(
        &format!("{ERASE_WORKER_DETAILS} WHERE active = 0 AND erased_at_ms IS NULL AND updated_at_ms < ?1"),
        params![cutoff.timestamp_millis(), now.timestamp_millis(), ERASED_NAME],
    )?;
    // Only after an erasure: the checkpoint holds up the gate's writes while it runs.
    if n > 0 {
        forget_erased_workers(store)?;
        wipe(store)?;
    }
    Ok(n)
}

/// Deletes the photos and snapshots of every worker whose details were erased: one statement
/// for a request and for the retention. Read from the photos and the snapshots kept (a roster's
/// worth, a week of refusals), each looked up by key, never from the events: a scan of every
/// worker's event is what SQLite picks for the plain join, a year of them at a real factory.
fn forget_erased_workers(store: &Store) -> Result<()> {
    // The erasure travels to the enterprise's other gates, which hold the photo too, as a
    // version later than the photo it erases.
    store.connection().execute_batch(
        "INSERT INTO photo_outbox (code, version_ms)
           SELECT p.code, MAX(w.erased_at_ms, p.imported_at_ms + 1) FROM photos p JOIN workers w ON w.code = p.code
           WHERE w.erased_at_ms IS NOT NULL
           ON CONFLICT (code) DO UPDATE SET version_ms = MAX(photo_outbox.version_ms, excluded.version_ms);
         INSERT INTO photo_erased (code, version_ms)
           SELECT o.code, o.version_ms FROM photo_outbox o
           WHERE o.code IN (SELECT p.code FROM photos p JOIN workers w ON w.code = p.code WHERE w.erased_at_ms IS NOT NULL)
           ON CONFLICT (code) DO UPDATE SET version_ms = MAX(photo_erased.version_ms, excluded.version_ms);
         DELETE FROM photos WHERE code IN
           (SELECT p.code FROM photos p JOIN workers w ON w.code = p.code WHERE w.erased_at_ms IS NOT NULL);
         DELETE FROM snapshots WHERE EXISTS
           (SELECT 1 FROM events e JOIN workers w ON w.code = e.person_ref
            WHERE e.id = snapshots.event_id AND e.person_kind = 'worker' AND w.erased_at_ms IS NOT NULL);",
    )?;
    Ok(())
}

/// Deletes the snapshots of scans before `cutoff` (retention); returns how many.
pub fn purge_snapshots(store: &Store, cutoff: DateTime<Utc>) -> Result<usize> {
    let n = store.connection().execute("DELETE FROM snapshots WHERE at_ms < ?1", [cutoff.timestamp_millis()])?;
    if n > 0 {
        wipe(store)?;
    }
    Ok(n)
}

/// `?2` is the moment, `?3` the erased name; `updated_at_ms` moves so the province hears of it.
const ERASE_WORKER_DETAILS: &str =
    "UPDATE workers SET full_name = ?3, phone = '', erased_at_ms = ?2, updated_at_ms = ?2";

/// What one run of the retention rules erased.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Purged {
    pub visitors: usize,
    pub former_workers: usize,
    pub snapshots: usize,
}

/// The retention rules of `[privacy]`, as the command and the kiosk window (hourly) run them:
/// visitors last seen more than `visitor_retention_days` ago, workers who left more than
/// `former_worker_retention_days` ago (0: never by itself), snapshots older than
/// `snapshot_retention_days`. Each erasure that touched someone is
/// written in the record of processing under `actor`.
pub fn retention(store: &Store, rules: &PrivacyConfig, now: DateTime<Utc>, actor: &str) -> Result<Purged> {
    let days = |n: u32| chrono::Duration::days(i64::from(n));
    let visitors = purge_visitors(store, now - days(rules.visitor_retention_days), now)?;
    let former_workers = match rules.former_worker_retention_days {
        0 => 0,
        n => purge_former_workers(store, now - days(n), now)?,
    };
    let snapshots = purge_snapshots(store, now - days(rules.snapshot_retention_days))?;
    for (people, detail) in [(visitors, "visitors"), (former_workers, "former workers"), (snapshots, "snapshots")] {
        if people > 0 {
            let entry = Processing {
                at: now,
                actor: actor.to_string(),
                action: Action::Purge,
                people: people as u64,
                detail: detail.into(),
            };
            record(store, &entry)?;
        }
    }
    Ok(Purged { visitors, former_workers, snapshots })
}

/// Makes an erasure final on disk: with `secure_delete` the database's free space already holds
/// zeros; the checkpoint copies the erased pages into the file and empties the WAL, which still
/// held the pages as they were before. A reader holding an old snapshot makes it wait
/// (busy_timeout); one that never lets go is an error rather than a silent half-erasure.
/// Sync calls it too, after another gate's erasure removed a photo here.
pub fn wipe(store: &Store) -> Result<()> {
    let (busy, _, _): (i64, i64, i64) = store
        .connection()
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    if busy != 0 {
        return Err(Error::invalid(
            "erasure",
            "the erased details are removed from the database but another program still reads an older copy; \
             run the command again when the kiosk is idle"
                .to_string(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn a_visitor_key_names_a_number_the_same_way_and_keeps_itself_out_of_sight() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let (key, other) = (VisitorKey::generate(&mut rng), VisitorKey::generate(&mut rng));
        let again = VisitorKey::from_file_text(&key.to_file_text()).unwrap();
        assert_eq!(again, key);
        let id = key.pseudonym("079090001234");
        assert_eq!(id, again.pseudonym("079090001234"), "the same at every gate holding the key");
        assert!(id.starts_with("v-") && id.len() == 34 && id[2..].bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
        assert_ne!(id, key.pseudonym("079090001235"));
        assert_ne!(id, other.pseudonym("079090001234"), "another enterprise's key gives another id");
        assert!(!id.contains("079090001234"));
        assert_eq!(format!("{key:?}"), "VisitorKey(..)", "logs never show the key");
        for bad in ["", "zz", &"ab".repeat(31), &"ab".repeat(33)] {
            assert!(VisitorKey::from_file_text(bad).is_err(), "{bad:?}");
        }
    }
}
