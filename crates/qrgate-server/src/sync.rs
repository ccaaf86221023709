//! What a kiosk may do: register/revoke (province side), authenticate a request (which marks the
//! kiosk's last sync), push a batch, pull.
//!
//! Every function takes the time as an argument; the HTTP edge reads the clock once per request.

use std::sync::LazyLock;

use qrgate_protocol::trace::{SealedVisitor, TraceSecret, MAX_BATCH_VISITORS};
use qrgate_protocol::{EventRejection, PullRequest, PullResponse, PushRequest, PushResponse, RequestAuth, WireWorker};
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row};
use uuid::Uuid;

use crate::audit::{self, Action};
use crate::error::{Error, Result};
use crate::event::{self, StoredEvent};

/// A kiosk whose request has been authenticated: these are the facts the rest may trust.
#[derive(Debug, Clone)]
pub struct Kiosk {
    pub kiosk_id: String,
    pub enterprise: String,
}

/// What `kiosk add` is given, checked.
pub struct Registration {
    pub enterprise: String,
    pub enterprise_name: String,
    pub kiosk_id: String,
    pub public_key: [u8; 32],
}

impl Registration {
    pub fn parse(enterprise: &str, enterprise_name: &str, kiosk_id: &str, public_key: &str) -> Result<Registration> {
        let enterprise = qrgate_protocol::field::tax_code(enterprise).ok_or_else(|| {
            Error::invalid("tax code", format!("{enterprise:?} is not 10 digits, 13 digits or 10-3 digits"))
        })?;
        let name = enterprise_name.trim();
        if name.is_empty() {
            return Err(Error::invalid("enterprise name", "empty"));
        }
        let id = kiosk_id.trim();
        let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
        if id.is_empty() || id.len() > 64 || !id.chars().all(ok) {
            return Err(Error::invalid("kiosk id", format!("{id:?} is not 1 to 64 of letters, digits, - _ .")));
        }
        let key = qrgate_protocol::signing::parse_public_key(public_key)?;
        Ok(Registration { enterprise, enterprise_name: name.into(), kiosk_id: id.into(), public_key: key.to_bytes() })
    }
}

/// Registers a kiosk, and says so in the audit log: `by` is the console account that did it
/// (`None`: the command on the server).
pub async fn add_kiosk(pool: &PgPool, r: &Registration, now_ms: i64, by: Option<&str>) -> Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query("INSERT INTO enterprises (tax_code, name) VALUES ($1, $2) ON CONFLICT (tax_code) DO UPDATE SET name = excluded.name")
        .bind(&r.enterprise)
        .bind(&r.enterprise_name)
        .execute(&mut *tx)
        .await?;
    let added = sqlx::query(
        "INSERT INTO kiosks (kiosk_id, enterprise, public_key) VALUES ($1, $2, $3) ON CONFLICT (kiosk_id) DO NOTHING",
    )
    .bind(&r.kiosk_id)
    .bind(&r.enterprise)
    .bind(&r.public_key[..])
    .execute(&mut *tx)
    .await?;
    if added.rows_affected() == 0 {
        return Err(Error::KioskExists(r.kiosk_id.clone()));
    }
    let detail = format!("{} for {}", r.kiosk_id, r.enterprise);
    audit::record(&mut *tx, now_ms, by, Action::KioskRegister, &detail).await?;
    tx.commit().await?;
    Ok(())
}

/// Ends a kiosk: every request it signs from now on is refused. Its events stay. Recorded in
/// the audit log like a registration.
pub async fn revoke_kiosk(pool: &PgPool, kiosk_id: &str, now_ms: i64, by: Option<&str>) -> Result<()> {
    let mut tx = pool.begin().await?;
    let done = sqlx::query("UPDATE kiosks SET revoked_at = COALESCE(revoked_at, now()) WHERE kiosk_id = $1")
        .bind(kiosk_id)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(Error::UnknownKiosk(kiosk_id.into()));
    }
    audit::record(&mut *tx, now_ms, by, Action::KioskRevoke, kiosk_id).await?;
    tx.commit().await?;
    Ok(())
}

/// A request whose headers passed every check they can carry: a fresh timestamp, a registered
/// kiosk that is not revoked, a nonce not seen, and the kiosk's signature over them and the body's
/// hash. Only such a request gets its body read.
pub struct Admitted {
    kiosk: Kiosk,
}

impl Admitted {
    pub fn kiosk_id(&self) -> &str {
        &self.kiosk.kiosk_id
    }
}

/// The answer to whoever cannot prove to be a registered kiosk: the same for an unknown kiosk,
/// a revoked one and a bad signature, so an unsigned caller learns nothing of which kiosks exist.
fn not_authenticated() -> Error {
    Error::Protocol(qrgate_protocol::Error::BadSignature)
}

fn signature_refused(e: qrgate_protocol::Error) -> Error {
    match e {
        qrgate_protocol::Error::BadSignature => not_authenticated(),
        other => Error::Protocol(other),
    }
}

/// The checks made from the headers alone, before a byte of the body is read: the time, then
/// the kiosk (one indexed row), whether its nonce was seen, and the signature.
pub async fn admit(pool: &PgPool, auth: &RequestAuth, method: &str, path: &str, now_ms: i64) -> Result<Admitted> {
    auth.check_fresh(now_ms)?;
    let row: Option<(String, Vec<u8>, bool, bool)> = sqlx::query_as(
        "SELECT enterprise, public_key, revoked_at IS NOT NULL,
                EXISTS (SELECT 1 FROM nonces n WHERE n.kiosk_id = k.kiosk_id AND n.nonce = $2)
         FROM kiosks k WHERE kiosk_id = $1",
    )
    .bind(&auth.kiosk_id)
    .bind(&auth.nonce.0[..])
    .fetch_optional(pool)
    .await?;
    let Some((enterprise, key, revoked, seen)) = row else { return Err(not_authenticated()) };
    if revoked {
        return Err(not_authenticated());
    }
    let key = qrgate_protocol::signing::parse_public_key(&hex::encode(key))?;
    auth.verify(&key, method, path, now_ms).map_err(signature_refused)?;
    if seen {
        return Err(Error::NonceReused);
    }
    Ok(Admitted { kiosk: Kiosk { kiosk_id: auth.kiosk_id.clone(), enterprise } })
}

/// Accepts the body of an admitted request: it must be the one signed; then the nonce is
/// recorded so no instance takes the request again, and the kiosk's last sync is moved to
/// `now_ms` (the province's list of kiosks and /metrics tell silent kiosks by it), in the same
/// statement: one round trip for both.
///
/// That statement's commit does not wait for the disk (`synchronous_commit` off for its own
/// transaction): a crash may lose the last few nonces, which lets a replay of one of those
/// requests through once within its window, and every signed path takes a request twice
/// harmlessly (a push stores nothing twice, a pull reads, a report is overwritten). The events
/// themselves are committed in the push's own transaction, which waits as always. A pull then
/// waits for no disk at all, and a push once.
pub async fn authenticate(
    pool: &PgPool,
    admitted: Admitted,
    auth: &RequestAuth,
    body: &[u8],
    now_ms: i64,
) -> Result<Kiosk> {
    auth.check_body(body).map_err(signature_refused)?;
    let fresh: i64 = sqlx::query_scalar(
        "WITH fresh AS (
             INSERT INTO nonces (kiosk_id, nonce, expires_at_ms) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING RETURNING kiosk_id
         ), synced AS (
             INSERT INTO kiosk_health (kiosk_id, last_sync_at_ms) SELECT kiosk_id, $4 FROM fresh
             ON CONFLICT (kiosk_id) DO UPDATE
             SET last_sync_at_ms = GREATEST(kiosk_health.last_sync_at_ms, excluded.last_sync_at_ms)
         ), unwaited AS (
             SELECT set_config('synchronous_commit', 'off', true)
         )
         SELECT COUNT(*) FROM fresh, unwaited",
    )
    .bind(&auth.kiosk_id)
    .bind(&auth.nonce.0[..])
    .bind(now_ms.saturating_add(qrgate_protocol::NONCE_TTL_MS))
    .bind(now_ms)
    .fetch_one(pool)
    .await?;
    if fresh == 0 {
        return Err(Error::NonceReused);
    }
    Ok(admitted.kiosk)
}

/// Forgets nonces whose requests would be refused as stale anyway.
pub async fn expire_nonces(pool: &PgPool, now_ms: i64) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM nonces WHERE expires_at_ms < $1").bind(now_ms).execute(pool).await?.rows_affected())
}

pub(crate) fn same_enterprise(kiosk: &Kiosk, claimed: &str) -> Result<()> {
    if qrgate_protocol::field::tax_code(claimed).as_deref() != Some(kiosk.enterprise.as_str()) {
        return Err(Error::WrongEnterprise { claimed: claimed.into(), registered: kiosk.enterprise.clone() });
    }
    Ok(())
}

/// Stores a batch received at `now_ms`: events by id, once; roster entries keeping the highest
/// badge serial. Each event is checked alone: a bad one is answered with its code, the rest stored.
pub async fn push(
    pool: &PgPool,
    kiosk: &Kiosk,
    request: PushRequest,
    trace: Option<&TraceSecret>,
    now_ms: i64,
) -> Result<PushResponse> {
    same_enterprise(kiosk, &request.enterprise)?;
    if request.events.len() > qrgate_protocol::MAX_BATCH_EVENTS {
        return Err(Error::BatchTooLarge { count: request.events.len(), max: qrgate_protocol::MAX_BATCH_EVENTS });
    }
    if request.visitors.len() > MAX_BATCH_VISITORS {
        return Err(Error::BatchTooLarge { count: request.visitors.len(), max: MAX_BATCH_VISITORS });
    }
    if let Some(v) = request.visitors.iter().find(|v| !qrgate_protocol::check::visitor_ref(&v.id)) {
        return Err(Error::invalid("sealed visitor", format!("{:?} is not an opaque visitor id", v.id)));
    }
    for w in &request.workers {
        w.check().map_err(|e| Error::invalid("roster entry", e.to_string()))?;
    }
    let mut rejected = Vec::new();
    let mut checked = Vec::with_capacity(request.events.len());
    let mut seqs = std::collections::HashMap::new();
    for e in request.events {
        match e.check(&kiosk.kiosk_id, now_ms) {
            Ok(c) => match seqs.insert(c.get().seq, c.get().id) {
                Some(first) if first != c.get().id => rejected.push(twin(c.get().id, c.get().seq)),
                _ => checked.push(c),
            },
            Err(r) => rejected.push(r),
        }
    }
    // Before the push's transaction: making a month locks `events` in a way a transaction that
    // already wrote to it must not wait for.
    crate::months::make_for_push(pool, checked.iter().map(|c| c.get().at_ms), now_ms).await;
    let mut tx = pool.begin().await?;
    // Push reads only by key. A month's partition starts empty and grows by thousands of rows a
    // minute: a plan cached while it was small reads it whole for every push until the next
    // ANALYZE (seen in the province bench as 28 ms lookups and seconds of queueing), so this
    // transaction's statements, the presence trigger's included, are planned on their indexes.
    // One push of a kiosk at a time past this point: two batches racing could otherwise both
    // find a sequence number free and store twins. Both in one round trip.
    sqlx::query("SELECT set_config('enable_seqscan', 'off', true), pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(&kiosk.kiosk_id)
        .execute(&mut *tx)
        .await?;
    // What the province already holds of this batch, in one statement: the kiosk's events under
    // the batch's sequence numbers (a twin is another event under a number taken), and the events
    // under the batch's ids at any time. The key (id, at_ms) is unique per month only, so an id is
    // looked up through every month's key before the insert: the kiosk's own counts as stored (a
    // retry), another kiosk's is refused. Under the kiosk's lock, so a retry racing its first try
    // on another instance waits for it and finds it here.
    // Two branches rather than one OR: each reads its own index whatever the statistics say (an OR
    // planned on a young table read whole months).
    let held: Vec<(i64, Uuid, String)> = sqlx::query_as(
        "SELECT seq, id, kiosk_id FROM events WHERE kiosk_id = $1 AND seq = ANY($2)
         UNION ALL
         SELECT seq, id, kiosk_id FROM events WHERE id = ANY($3)",
    )
    .bind(&kiosk.kiosk_id)
    .bind(checked.iter().map(|c| c.get().seq).collect::<Vec<i64>>())
    .bind(checked.iter().map(|c| c.get().id).collect::<Vec<Uuid>>())
    .fetch_all(&mut *tx)
    .await?;
    let taken: std::collections::HashMap<i64, Uuid> =
        held.iter().filter(|(_, _, owner)| *owner == kiosk.kiosk_id).map(|(seq, id, _)| (*seq, *id)).collect();
    let owners: std::collections::HashMap<Uuid, String> = held.into_iter().map(|(_, id, owner)| (id, owner)).collect();
    let (checked, twins): (Vec<_>, Vec<_>) =
        checked.into_iter().partition(|c| taken.get(&c.get().seq).is_none_or(|id| *id == c.get().id));
    rejected.extend(twins.iter().map(|c| twin(c.get().id, c.get().seq)));
    let (known, checked): (Vec<_>, Vec<_>) = checked.into_iter().partition(|c| owners.contains_key(&c.get().id));
    let new = event::insert(&mut tx, &kiosk.enterprise, &checked).await?;
    let mut stored = new.clone();
    let fresh: std::collections::HashSet<Uuid> = new.iter().copied().collect();
    // Not new and not found before: another kiosk stored the same id and time in between.
    let raced = checked.iter().map(|c| c.get().id).filter(|id| !fresh.contains(id));
    for id in known.iter().map(|c| c.get().id).chain(raced) {
        match owners.get(&id) {
            Some(owner) if *owner == kiosk.kiosk_id => stored.push(id),
            _ => rejected.push(EventRejection {
                id,
                code: "id_conflict".into(),
                message: "another kiosk's event has this id".into(),
            }),
        }
    }
    // Under the kiosk's lock taken above, so two pushes never lower it.
    let stored_ids: std::collections::HashSet<Uuid> = stored.iter().copied().collect();
    let highest = checked.iter().chain(&known).filter(|c| stored_ids.contains(&c.get().id)).map(|c| c.get().seq).max();
    if let Some(highest) = highest {
        sqlx::query("UPDATE kiosks SET seq_high = GREATEST(seq_high, $2) WHERE kiosk_id = $1")
            .bind(&kiosk.kiosk_id)
            .bind(highest)
            .execute(&mut *tx)
            .await?;
    }
    let workers_stored = upsert_workers(&mut tx, kiosk, &request.workers).await?;
    let visitors_stored = match trace {
        Some(secret) => store_tags(&mut tx, kiosk, &request.visitors, secret).await?,
        None => Vec::new(),
    };
    tx.commit().await?;
    crate::metrics::pushed(new.len() as u64, (stored.len() - new.len()) as u64, rejected.len() as u64);
    Ok(PushResponse { stored, rejected, workers_stored, visitors_stored })
}

/// Opens each sealed number, keeps its tag under the visitor's id and forgets the number; returns
/// the ids kept. One that does not open (sealed to another key, not a number) is left out, and
/// the kiosk sends it again with a later push.
async fn store_tags(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    kiosk: &Kiosk,
    visitors: &[SealedVisitor],
    secret: &TraceSecret,
) -> Result<Vec<String>> {
    let mut kept = Vec::new();
    for v in visitors {
        let Some(number) = secret.open(&v.sealed) else { continue };
        sqlx::query(
            "INSERT INTO visitor_tags (enterprise, person_ref, tag) VALUES ($1, $2, $3)
             ON CONFLICT (enterprise, person_ref) DO UPDATE SET tag = excluded.tag, stored_at = now()",
        )
        .bind(&kiosk.enterprise)
        .bind(&v.id)
        .bind(secret.tag(&number))
        .execute(&mut **tx)
        .await?;
        kept.push(v.id.clone());
    }
    Ok(kept)
}

/// A second event of one kiosk with a sequence number already taken: the kiosk numbers its events
/// once, so one of the two was made up, and a pulling kiosk could keep only one of them.
fn twin(id: Uuid, seq: i64) -> EventRejection {
    EventRejection {
        id,
        code: "duplicate_seq".into(),
        message: format!("this kiosk already sent another event with seq {seq}"),
    }
}

async fn upsert_workers(tx: &mut sqlx::PgConnection, kiosk: &Kiosk, workers: &[WireWorker]) -> Result<usize> {
    if workers.is_empty() {
        return Ok(0);
    }
    let codes: Vec<&str> = workers.iter().map(|w| w.code.as_str()).collect();
    let names: Vec<&str> = workers.iter().map(|w| w.full_name.as_str()).collect();
    let departments: Vec<&str> = workers.iter().map(|w| w.department.as_str()).collect();
    let shifts: Vec<&str> = workers.iter().map(|w| w.shift.as_str()).collect();
    let active: Vec<bool> = workers.iter().map(|w| w.active).collect();
    let serials: Vec<i64> = workers.iter().map(|w| i64::from(w.badge_serial)).collect();
    // Only a real change moves the row forward in the pull order, so a kiosk echoing back what
    // it pulled does not start an endless round trip; the serial only ever rises (revocation).
    let done = sqlx::query(
        "INSERT INTO workers (enterprise, code, full_name, department, shift, active, badge_serial, updated_by)
         SELECT DISTINCT ON (u.code) $1, u.code, u.name, u.dept, u.shift, u.active, u.serial, $2
         FROM UNNEST($3::text[], $4::text[], $5::text[], $6::text[], $7::bool[], $8::int8[])
              WITH ORDINALITY AS u(code, name, dept, shift, active, serial, n)
         ORDER BY u.code, u.n DESC
         ON CONFLICT (enterprise, code) DO UPDATE SET
             full_name = excluded.full_name, department = excluded.department, shift = excluded.shift,
             active = excluded.active,
             badge_serial = CASE WHEN excluded.badge_serial > workers.badge_serial
                                  AND excluded.badge_serial - workers.badge_serial <= $9
                                 THEN excluded.badge_serial ELSE workers.badge_serial END,
             updated_by = excluded.updated_by, tx = pg_current_xact_id(), change_seq = nextval('roster_changes')
         WHERE (workers.full_name, workers.department, workers.shift, workers.active)
                   IS DISTINCT FROM (excluded.full_name, excluded.department, excluded.shift, excluded.active)
            OR (excluded.badge_serial > workers.badge_serial
                AND excluded.badge_serial - workers.badge_serial <= $9)",
    )
    .bind(&kiosk.enterprise)
    .bind(&kiosk.kiosk_id)
    .bind(&codes)
    .bind(&names)
    .bind(&departments)
    .bind(&shifts)
    .bind(&active)
    .bind(&serials)
    // The step rule of `qrgate_protocol::check::serial_step`, in SQL where the current serial is.
    .bind(i64::from(qrgate_protocol::check::MAX_SERIAL_STEP))
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected() as usize)
}

/// A position in the pull order: (inserting transaction, sequence). "" is the beginning.
fn parse_cursor(text: &str) -> Result<(String, i64)> {
    if text.is_empty() {
        return Ok(("0".into(), 0));
    }
    // The cursor is not echoed: a kiosk sent it, and a megabyte of junk would come back.
    let bad = || Error::BadCursor;
    if !qrgate_protocol::cursor_ok(text) {
        return Err(bad());
    }
    let (tx, seq) = text.split_once(':').ok_or_else(bad)?;
    // Within the column types, or PostgreSQL would refuse the cast instead of us the cursor.
    let tx: u64 = tx.parse().map_err(|_| bad())?;
    Ok((tx.to_string(), seq.parse().map_err(|_| bad())?))
}

/// A table pull hands out in commit order: `tx` is the inserting transaction, `seq` orders
/// rows within one, and `(enterprise, tx, seq)` is indexed.
pub(crate) struct PullOrder {
    pub(crate) table: &'static str,
    pub(crate) seq: &'static str,
    pub(crate) columns: &'static str,
    /// The column naming the kiosk a row came from, when the kiosk never needs its own rows back.
    pub(crate) sender: Option<&'static str>,
}

static EVENTS: LazyLock<PullOrder> = LazyLock::new(|| PullOrder {
    table: "events",
    seq: "server_seq",
    columns: event::COLUMN_LIST.as_str(),
    sender: Some("kiosk_id"),
});

// A roster row changed by this kiosk still goes back to it: the server may have kept a higher
// badge serial than the one the kiosk sent.
const ROSTER: PullOrder = PullOrder {
    table: "workers",
    seq: "change_seq",
    columns: "code, full_name, department, shift, active, badge_serial",
    sender: None,
};

/// Up to `limit` rows after the cursor `after`, the cursor to send back, and whether a full page
/// came back (so more may follow). Runs inside the pull's one snapshot.
pub(crate) async fn page<T>(
    db: &mut sqlx::PgConnection,
    order: &PullOrder,
    kiosk: &Kiosk,
    after: &str,
    limit: i64,
) -> Result<(Vec<T>, String, bool)>
where
    T: for<'r> sqlx::FromRow<'r, PgRow>,
{
    let (tx, seq) = parse_cursor(after)?;
    let PullOrder { table, seq: seq_column, columns, sender } = order;
    let others = sender.map_or(String::new(), |column| format!("AND {column} <> $5"));
    // The transaction number goes out as text under another name: ordering by a text column
    // called `tx` would sort "100" before "99", sorting all that follows the cursor on every
    // page and skipping rows for good when transaction numbers gain a digit.
    let sql = format!(
        "SELECT tx::text AS cursor_tx, {seq_column} AS cursor_seq, {columns}
         FROM {table}
         WHERE enterprise = $1 AND (tx, {seq_column}) > ($2::text::xid8, $3)
           AND tx < pg_snapshot_xmin(pg_current_snapshot()) {others}
         ORDER BY tx, {seq_column}
         LIMIT $4"
    );
    let mut query = sqlx::query(&sql).bind(&kiosk.enterprise).bind(&tx).bind(seq).bind(limit);
    if sender.is_some() {
        query = query.bind(&kiosk.kiosk_id);
    }
    let rows: Vec<PgRow> = query.fetch_all(&mut *db).await?;
    let full = rows.len() as i64 == limit;
    let mut cursor = match rows.last() {
        Some(row) => {
            Some(format!("{}:{}", row.try_get::<String, _>("cursor_tx")?, row.try_get::<i64, _>("cursor_seq")?))
        }
        None => None,
    };
    if !full && sender.is_some() {
        // Everything after the cursor was read: move it past the kiosk's own rows too, so they
        // are not read again on the next pull. Below the snapshot's oldest running transaction
        // nothing can still appear, and the same snapshot answered the page.
        let end: Option<String> = sqlx::query_scalar(&format!(
            "SELECT tx::text || ':' || {seq_column} FROM {table}
             WHERE enterprise = $1 AND (tx, {seq_column}) > ($2::text::xid8, $3)
               AND tx < pg_snapshot_xmin(pg_current_snapshot())
             ORDER BY tx DESC, {seq_column} DESC
             LIMIT 1"
        ))
        .bind(&kiosk.enterprise)
        .bind(&tx)
        .bind(seq)
        .fetch_optional(&mut *db)
        .await?;
        cursor = end.or(cursor);
    }
    let rows = rows.iter().map(T::from_row).collect::<sqlx::Result<Vec<T>>>()?;
    Ok((rows, cursor.unwrap_or_else(|| after.to_string()), full))
}

#[derive(sqlx::FromRow)]
struct WorkerRow {
    code: String,
    full_name: String,
    department: String,
    shift: String,
    active: bool,
    badge_serial: i64,
}

impl From<WorkerRow> for WireWorker {
    fn from(r: WorkerRow) -> WireWorker {
        WireWorker {
            code: r.code,
            full_name: r.full_name,
            department: r.department,
            shift: r.shift,
            active: r.active,
            badge_serial: u32::try_from(r.badge_serial).unwrap_or(u32::MAX),
        }
    }
}

/// The enterprise's events from its other gates and its roster changes, after the cursors.
pub async fn pull(pool: &PgPool, kiosk: &Kiosk, request: PullRequest) -> Result<PullResponse> {
    same_enterprise(kiosk, &request.enterprise)?;
    let limit = request.limit.clamp(1, qrgate_protocol::MAX_PULL_ROWS as u32) as i64;
    // One snapshot for every statement, so a cursor moved to the end of what was read never
    // passes a row committed in between.
    let mut db = pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY").await?;
    // Rows pushed since the last ANALYZE lie beyond the statistics: the planner would believe a
    // handful follow the cursor and sort them all instead of reading the index in order.
    sqlx::query("SET LOCAL enable_sort = off").execute(&mut *db).await?;
    let (events, events_cursor, more_events) =
        page::<StoredEvent>(&mut db, &EVENTS, kiosk, &request.events_after, limit).await?;
    let (workers, roster_cursor, more_roster) =
        page::<WorkerRow>(&mut db, &ROSTER, kiosk, &request.roster_after, limit).await?;
    let own_seq: i64 = sqlx::query_scalar("SELECT seq_high FROM kiosks WHERE kiosk_id = $1")
        .bind(&kiosk.kiosk_id)
        .fetch_one(&mut *db)
        .await?;
    db.commit().await?;
    crate::metrics::pulled(events.len() as u64);
    Ok(PullResponse {
        events: events.into_iter().map(|e| e.0).collect(),
        workers: workers.into_iter().map(WireWorker::from).collect(),
        events_cursor,
        roster_cursor,
        more: more_events || more_roster,
        own_seq: Some(own_seq),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_are_checked() {
        assert_eq!(parse_cursor("").unwrap(), ("0".into(), 0));
        assert_eq!(parse_cursor("7345:12").unwrap(), ("7345".into(), 12));
        for bad in ["1", "x:1", "1:x", "1;DROP:1", "-1:2", "1:99999999999999999999", "99999999999999999999:1"] {
            assert!(parse_cursor(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn registrations_are_checked() {
        let key = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
        let r = Registration::parse("0101234567001", "Công ty A", "gate-1", key).unwrap();
        assert_eq!(r.enterprise, "0101234567-001");
        assert!(Registration::parse("123", "A", "gate-1", key).is_err());
        assert!(Registration::parse("0101234567", " ", "gate-1", key).is_err());
        assert!(Registration::parse("0101234567", "A", "gate 1", key).is_err());
        assert!(Registration::parse("0101234567", "A", "gate-1", "abcd").is_err());
    }
}
