//! Workers' photos between the enterprise's gates, sealed with the enterprise's photo key
//! (`qrgate_core::photo`): this kiosk's imports, replacements and erasures go out from the photo
//! outbox (table `photo_outbox`), the other gates' come in after a cursor of their own. A pulled
//! photo that does not open under the key is refused and counted, never stored; the newest
//! version of a worker's photo wins at every gate.
//!
//! Photos are personal data: nothing here logs or returns a photo, a code or an id; only counts.

use qrgate_core::model::EmployeeCode;
use qrgate_core::photo::PhotoKey;
use qrgate_core::store::Store;
use qrgate_core::Clock;
use qrgate_protocol::cursor_ok;
use qrgate_protocol::photo::{PhotoPullRequest, PhotoPushRequest, WirePhoto, MAX_BATCH_PHOTOS, MAX_SEALED_PHOTO_BYTES};
use rand::{CryptoRng, RngCore};
use rusqlite::params;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::outbox;
use crate::Round;

/// `sync_state` keys: the photo pull's cursor, and how many pulled photos were refused in all.
pub const PHOTOS_CURSOR: &str = "pull_photos_cursor";
pub const PHOTOS_REFUSED: &str = "photos_refused";
/// Present while a photo another gate erased may still sit in the WAL here.
const WIPE_PENDING: &str = "photos_wipe_pending";
/// At most this many photo pull answers in one round; the rest come in the next.
const MAX_PULL_PAGES: usize = 100;

/// One change waiting in the photo outbox: a photo, or its erasure (`jpeg` None).
#[derive(Clone)]
pub struct PhotoChange {
    pub code: EmployeeCode,
    pub version_ms: i64,
    pub jpeg: Option<Vec<u8>>,
}

// Debug without the face: a change may end up in a test's or a panic's message.
impl std::fmt::Debug for PhotoChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PhotoChange")
            .field("version_ms", &self.version_ms)
            .field("erased", &self.jpeg.is_none())
            .finish()
    }
}

/// How many photo changes of this kiosk wait for the province.
pub fn waiting(store: &Store) -> Result<u64> {
    Ok(store.connection().query_row("SELECT COUNT(*) FROM photo_outbox", [], |r| r.get(0))?)
}

/// How many photos pulled from the province did not open under the enterprise's key, in all.
pub fn refused(store: &Store) -> Result<u64> {
    Ok(outbox::state(store.connection(), PHOTOS_REFUSED)?.and_then(|v| v.parse().ok()).unwrap_or(0))
}

/// Up to `limit` waiting changes, oldest first.
pub fn changes(store: &Store, limit: usize) -> Result<Vec<PhotoChange>> {
    let mut stmt = store.connection().prepare_cached(
        "SELECT o.code, o.version_ms, p.jpeg FROM photo_outbox o LEFT JOIN photos p ON p.code = o.code
         ORDER BY o.version_ms, o.code LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit as i64], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (code, version_ms, jpeg) = row?;
        // Only the store's own checked codes are written to the outbox.
        let code = code.parse().map_err(|_| Error::Core(qrgate_core::Error::invalid("photo outbox", "a bad code")))?;
        out.push(PhotoChange { code, version_ms, jpeg });
    }
    Ok(out)
}

/// The province has these changes: each leaves the outbox unless a newer one of the same worker
/// came in meanwhile.
pub fn pushed(store: &Store, changes: &[PhotoChange]) -> Result<()> {
    let tx = store.connection().unchecked_transaction()?;
    {
        let mut done = tx.prepare_cached("DELETE FROM photo_outbox WHERE code = ?1 AND version_ms = ?2")?;
        for c in changes {
            done.execute(params![c.code.as_str(), c.version_ms])?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// Sends every waiting photo change, sealed, in pushes of at most [`MAX_BATCH_PHOTOS`]. A push
/// the server refuses for its content is halved until the one photo at fault is alone, which is
/// then dropped from the outbox and counted (a later import of that worker's photo is sent again).
pub(crate) fn push(
    store: &mut Store,
    client: &Client,
    key: &PhotoKey,
    clock: &impl Clock,
    rng: &mut (impl RngCore + CryptoRng),
    round: &mut Round,
) -> Result<()> {
    let enterprise = store.identity().enterprise.to_string();
    let mut limit = MAX_BATCH_PHOTOS;
    loop {
        let batch = changes(store, limit)?;
        if batch.is_empty() {
            return Ok(());
        }
        let sealed: Vec<WirePhoto> = batch
            .iter()
            .map(|c| WirePhoto {
                id: key.photo_id(&c.code),
                version_ms: c.version_ms,
                sealed: key.seal(&enterprise, &c.code, c.version_ms, c.jpeg.as_deref(), rng),
                erased: c.jpeg.is_none(),
            })
            .collect();
        // Never sent: the server would refuse it, and the guard screen's photo is far smaller.
        let too_large: Vec<PhotoChange> = batch
            .iter()
            .zip(&sealed)
            .filter(|(_, s)| s.sealed.len() > MAX_SEALED_PHOTO_BYTES)
            .map(|(c, _)| c.clone())
            .collect();
        if !too_large.is_empty() {
            pushed(store, &too_large)?;
            round.photos_not_sent += too_large.len();
            continue;
        }
        let request = PhotoPushRequest { enterprise: enterprise.clone(), photos: sealed };
        match client.push_photos(&request, clock.now().timestamp_millis(), crate::nonce(rng)) {
            Ok(answer) => {
                let stored: std::collections::HashSet<&str> = answer.stored.iter().map(String::as_str).collect();
                let settled: Vec<PhotoChange> = batch
                    .iter()
                    .zip(&request.photos)
                    .filter(|(_, w)| stored.contains(w.id.as_str()))
                    .map(|(c, _)| c.clone())
                    .collect();
                if settled.is_empty() {
                    return Err(Error::BadAnswer("the server answered without any photo of the push".into()));
                }
                pushed(store, &settled)?;
                round.photos_pushed += settled.len();
                limit = MAX_BATCH_PHOTOS;
            }
            // A province whose server does not carry photos yet: they wait here until it does.
            Err(Error::Refused { status: 404, .. }) => return Ok(()),
            Err(e) if e.blames_batch() && batch.len() > 1 => limit = batch.len() / 2,
            Err(e) if e.blames_batch() => {
                pushed(store, &batch)?;
                round.photos_not_sent += 1;
                limit = MAX_BATCH_PHOTOS;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Takes the other gates' photos after the cursor: each opened under the enterprise's key (one
/// that does not open is counted and passed over), then kept when newer than this kiosk's.
pub(crate) fn pull(
    store: &mut Store,
    client: &Client,
    key: &PhotoKey,
    clock: &impl Clock,
    rng: &mut (impl RngCore + CryptoRng),
    round: &mut Round,
) -> Result<()> {
    let enterprise = store.identity().enterprise.to_string();
    let mut started_over = false;
    let mut erased_here = false;
    for _ in 0..MAX_PULL_PAGES {
        let after = outbox::state(store.connection(), PHOTOS_CURSOR)?.filter(|c| cursor_ok(c)).unwrap_or_default();
        let request = PhotoPullRequest { enterprise: enterprise.clone(), after };
        let answer = match client.pull_photos(&request, clock.now().timestamp_millis(), crate::nonce(rng)) {
            Err(e) if e.refuses_cursor() && !started_over => {
                started_over = true;
                outbox::set_state(store.connection(), PHOTOS_CURSOR, "")?;
                continue;
            }
            Err(Error::Refused { status: 404, .. }) => break,
            answer => answer?,
        };
        if !cursor_ok(&answer.cursor) || answer.photos.len() > MAX_BATCH_PHOTOS {
            return Err(Error::BadAnswer(format!(
                "a photo pull answer holds at most {MAX_BATCH_PHOTOS} photos and a cursor made of digits"
            )));
        }
        let mut unopened = 0u64;
        for photo in &answer.photos {
            // The version is bound into the seal, so no bound on it is needed here but the shape's.
            let opened = photo
                .check(i64::MAX)
                .ok()
                .and_then(|()| key.open(&enterprise, &photo.id, photo.version_ms, &photo.sealed));
            let Some(opened) = opened else {
                unopened += 1;
                continue;
            };
            let erasure = opened.jpeg.is_none();
            if store.put_pulled_photo(&opened.code, photo.version_ms, opened.jpeg.as_deref())? {
                round.photos_pulled += 1;
                erased_here |= erasure;
            }
        }
        if unopened > 0 {
            let total = refused(store)?.saturating_add(unopened);
            outbox::set_state(store.connection(), PHOTOS_REFUSED, &total.to_string())?;
            round.photos_refused += unopened as usize;
        }
        // After the photos are kept: a crash in between pulls the same again, which changes nothing.
        outbox::set_state(store.connection(), PHOTOS_CURSOR, &answer.cursor)?;
        if !answer.more || answer.cursor == request.after {
            break;
        }
    }
    // Another gate's erasure erases here too: no byte of the photo left in the file or its WAL.
    // The mark outlives a checkpoint that a long reader held up, so the next round tries again.
    if erased_here {
        outbox::set_state(store.connection(), WIPE_PENDING, "1")?;
    }
    if outbox::state(store.connection(), WIPE_PENDING)?.is_some() {
        qrgate_core::privacy::wipe(store)?;
        store.connection().execute("DELETE FROM sync_state WHERE key = ?1", [WIPE_PENDING])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn ms(text: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(text).unwrap().timestamp_millis()
    }

    #[test]
    fn the_outbox_holds_imports_and_erasures_and_a_pulled_photo_wins_only_when_newer() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = crate::test_store(dir.path());
        let nv1: EmployeeCode = "NV001".parse().unwrap();
        let t0 = chrono::DateTime::parse_from_rfc3339("2026-11-25T08:00:00Z").unwrap().with_timezone(&Utc);
        store.put_photos(&[(nv1.clone(), b"jpeg-1".to_vec())], t0).unwrap();
        let waiting_now = changes(&store, 10).unwrap();
        assert_eq!(waiting_now.len(), 1);
        assert_eq!(
            (waiting_now[0].version_ms, waiting_now[0].jpeg.as_deref()),
            (t0.timestamp_millis(), Some(&b"jpeg-1"[..]))
        );

        // Older than what waits here: not taken, and what waits still goes.
        assert!(!store.put_pulled_photo(&nv1, ms("2026-11-25T07:00:00Z"), Some(b"older")).unwrap());
        assert_eq!(store.photo(&nv1).unwrap().unwrap(), b"jpeg-1");
        assert_eq!(waiting(&store).unwrap(), 1);

        pushed(&store, &waiting_now).unwrap();
        assert_eq!(waiting(&store).unwrap(), 0);

        // Newer: taken, and not sent back.
        assert!(store.put_pulled_photo(&nv1, ms("2026-11-25T09:00:00Z"), Some(b"newer")).unwrap());
        assert_eq!(store.photo(&nv1).unwrap().unwrap(), b"newer");
        assert_eq!(waiting(&store).unwrap(), 0);
        // The same again changes nothing.
        assert!(!store.put_pulled_photo(&nv1, ms("2026-11-25T09:00:00Z"), Some(b"newer")).unwrap());

        // A newer erasure removes it.
        assert!(store.put_pulled_photo(&nv1, ms("2026-11-25T10:00:00Z"), None).unwrap());
        assert_eq!(store.photo(&nv1).unwrap(), None);
        assert_eq!(waiting(&store).unwrap(), 0);
        // An older copy arriving after the erasure does not bring the face back; a newer one does.
        assert!(!store.put_pulled_photo(&nv1, ms("2026-11-25T09:30:00Z"), Some(b"older")).unwrap());
        assert_eq!(store.photo(&nv1).unwrap(), None);
        assert!(store.put_pulled_photo(&nv1, ms("2026-11-25T11:00:00Z"), Some(b"again")).unwrap());
        assert_eq!(store.photo(&nv1).unwrap().unwrap(), b"again");
    }
}
