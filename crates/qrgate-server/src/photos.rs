//! Workers' photos between an enterprise's gates: the server keeps each kiosk's sealed photos and
//! erasures, the newest version of each, and hands them to the enterprise's other kiosks.
//!
//! It cannot read them and never tries: the key is the enterprise's (derived from its visitor
//! key, which never reaches the province) and the id is a keyed hash of the employee code. Only
//! the shape is checked here (id, version, size); what a photo holds is the receiving kiosk's to
//! check. No province query reads the table.

use qrgate_protocol::photo::{
    PhotoProblem, PhotoPullRequest, PhotoPullResponse, PhotoPushRequest, PhotoPushResponse, WirePhoto,
    MAX_BATCH_PHOTOS, MAX_SEALED_PHOTO_BYTES,
};
use sqlx::PgPool;

use crate::error::{Error, Result};
use crate::sync::{page, same_enterprise, Kiosk, PullOrder};

/// A version from further ahead than this would win over every change made after it.
const AHEAD_MS: i64 = 24 * 3600 * 1000;

/// Stores a kiosk's photos received at `now_ms`, each only when newer than the one kept; every id
/// of the push is answered stored, since the server then holds that version or a newer one. One
/// photo of the wrong shape refuses the push (the kiosk halves it to find that one).
pub async fn push(pool: &PgPool, kiosk: &Kiosk, request: PhotoPushRequest, now_ms: i64) -> Result<PhotoPushResponse> {
    same_enterprise(kiosk, &request.enterprise)?;
    if request.photos.len() > MAX_BATCH_PHOTOS {
        return Err(Error::BatchTooLarge { count: request.photos.len(), max: MAX_BATCH_PHOTOS });
    }
    for photo in &request.photos {
        photo.check(now_ms.saturating_add(AHEAD_MS)).map_err(|problem| refusal(photo, problem))?;
    }
    let mut tx = pool.begin().await?;
    let mut stored = Vec::with_capacity(request.photos.len());
    for photo in request.photos {
        sqlx::query(
            "INSERT INTO photos (enterprise, photo_id, version_ms, sealed, deleted, kiosk_id)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (enterprise, photo_id) DO UPDATE SET
                 version_ms = excluded.version_ms, sealed = excluded.sealed, deleted = excluded.deleted,
                 kiosk_id = excluded.kiosk_id, tx = pg_current_xact_id(), change_seq = nextval('photo_changes')
             WHERE excluded.version_ms > photos.version_ms",
        )
        .bind(&kiosk.enterprise)
        .bind(&photo.id)
        .bind(photo.version_ms)
        .bind(&photo.sealed)
        .bind(photo.erased)
        .bind(&kiosk.kiosk_id)
        .execute(&mut *tx)
        .await?;
        stored.push(photo.id);
    }
    tx.commit().await?;
    Ok(PhotoPushResponse { stored })
}

/// The photo's id is not echoed: it may be anything a caller sent.
fn refusal(photo: &WirePhoto, problem: PhotoProblem) -> Error {
    match problem {
        PhotoProblem::TooLarge => Error::PhotoTooLarge { size: photo.sealed.len(), max: MAX_SEALED_PHOTO_BYTES },
        PhotoProblem::BadId => Error::invalid("photo", "the id is not 64 lowercase hex digits"),
        PhotoProblem::BadVersion => {
            Error::invalid("photo", "the version is before 2000 or more than a day ahead of the server's clock")
        }
        PhotoProblem::TooSmall => Error::invalid("photo", "the sealed bytes are shorter than any seal"),
    }
}

const PHOTOS: PullOrder = PullOrder {
    table: "photos",
    seq: "change_seq",
    columns: "photo_id, version_ms, sealed, deleted",
    // A kiosk has the photos it sent; one another gate replaced since names that gate.
    sender: Some("kiosk_id"),
};

#[derive(sqlx::FromRow)]
struct PhotoRow {
    photo_id: String,
    version_ms: i64,
    sealed: Vec<u8>,
    deleted: bool,
}

/// The newest version of each photo the enterprise's other gates changed after the cursor.
pub async fn pull(pool: &PgPool, kiosk: &Kiosk, request: PhotoPullRequest) -> Result<PhotoPullResponse> {
    same_enterprise(kiosk, &request.enterprise)?;
    // One snapshot, as for events: the cursor moved past what was read never passes a row
    // committed in between.
    let mut db = pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY").await?;
    sqlx::query("SET LOCAL enable_sort = off").execute(&mut *db).await?;
    let (rows, cursor, more) =
        page::<PhotoRow>(&mut db, &PHOTOS, kiosk, &request.after, MAX_BATCH_PHOTOS as i64).await?;
    db.commit().await?;
    let photos = rows
        .into_iter()
        .map(|r| WirePhoto { id: r.photo_id, version_ms: r.version_ms, sealed: r.sealed, erased: r.deleted })
        .collect();
    Ok(PhotoPullResponse { photos, cursor, more })
}
