//! The kiosks' health: each kiosk's last report kept (with the clock offset measured here), the
//! province's list of its kiosks, and the counts /metrics exports. A kiosk's last sync is moved
//! where requests are authenticated (`sync::authenticate`), so every accepted request counts.
//!
//! Every function takes the time as an argument; the HTTP edge reads the clock once per request.

use qrgate_protocol::health::{HealthAnswer, HealthReport};
use serde::Serialize;
use sqlx::PgPool;

use crate::error::{Error, Result};
use crate::province::instant;
use crate::sync::{same_enterprise, Kiosk};

/// A kiosk with no accepted request for longer than this is silent: an hour is four rounds of a
/// kiosk whose network comes and goes, and far beyond the 15 s a connected kiosk rests between.
pub const SILENT_AFTER_MS: i64 = 3_600_000;

/// Whether a kiosk last synced at `last_sync_ms` (none: never) is silent at `now_ms`: no sync
/// for more than [`SILENT_AFTER_MS`]. /metrics counts by the same rule in SQL ([`silent_sql`]).
pub fn is_silent(last_sync_ms: Option<i64>, now_ms: i64) -> bool {
    last_sync_ms.is_none_or(|last| now_ms.saturating_sub(last) > SILENT_AFTER_MS)
}

/// [`is_silent`] in SQL, over `kiosk_health h` and the time in parameter `now`.
fn silent_sql(now: &str) -> String {
    format!("(h.last_sync_at_ms IS NULL OR {now}::int8 - h.last_sync_at_ms > {SILENT_AFTER_MS})")
}

/// Keeps `kiosk`'s report, arrived at `now_ms`, over the one before; answers the clock offset
/// measured. A report older than the one kept (two crossing on the way) is not kept.
pub async fn report(pool: &PgPool, kiosk: &Kiosk, report: HealthReport, now_ms: i64) -> Result<HealthAnswer> {
    same_enterprise(kiosk, &report.enterprise)?;
    let checked = report.check(now_ms).map_err(Error::BadHealthReport)?;
    let r = checked.get();
    // Both within a century of each other (checked): no overflow.
    let clock_offset_ms = now_ms - r.clock_ms;
    sqlx::query(
        "INSERT INTO kiosk_health (kiosk_id, last_sync_at_ms, received_at_ms, clock_offset_ms, version, gate,
                                   events_waiting, camera, turnstile, free_disk_bytes, last_error, last_error_at_ms,
                                   last_restart_at_ms, last_restart_reason)
         VALUES ($1, $2, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (kiosk_id) DO UPDATE SET
             last_sync_at_ms = GREATEST(kiosk_health.last_sync_at_ms, excluded.last_sync_at_ms),
             received_at_ms = excluded.received_at_ms, clock_offset_ms = excluded.clock_offset_ms,
             version = excluded.version, gate = excluded.gate, events_waiting = excluded.events_waiting,
             camera = excluded.camera, turnstile = excluded.turnstile, free_disk_bytes = excluded.free_disk_bytes,
             last_error = excluded.last_error, last_error_at_ms = excluded.last_error_at_ms,
             last_restart_at_ms = excluded.last_restart_at_ms, last_restart_reason = excluded.last_restart_reason
         WHERE kiosk_health.received_at_ms IS NULL OR kiosk_health.received_at_ms <= excluded.received_at_ms",
    )
    .bind(&kiosk.kiosk_id)
    .bind(now_ms)
    .bind(clock_offset_ms)
    .bind(&r.version)
    .bind(&r.gate)
    .bind(checked.events_waiting())
    .bind(checked.camera().as_str())
    .bind(checked.turnstile().as_str())
    .bind(checked.free_disk_bytes())
    .bind(r.last_error.as_ref().map(|e| &e.text))
    .bind(r.last_error.as_ref().map(|e| e.at_ms))
    .bind(r.last_restart.as_ref().map(|e| e.at_ms))
    .bind(r.last_restart.as_ref().map(|e| &e.text))
    .execute(pool)
    .await?;
    Ok(HealthAnswer { clock_offset_ms })
}

/// One kiosk in the province's list. Everything from its report is empty until it sent one.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KioskHealth {
    pub enterprise: String,
    pub enterprise_name: String,
    pub kiosk_id: String,
    pub gate: Option<String>,
    pub version: Option<String>,
    /// `online`, or `silent`: no sync for more than an hour (or never).
    pub status: &'static str,
    pub last_sync: Option<String>,
    /// The server's clock minus the kiosk's, measured at its last report (ms; positive: the
    /// kiosk is behind).
    pub clock_offset_ms: Option<i64>,
    pub events_waiting: Option<i64>,
    pub camera: Option<String>,
    pub turnstile: Option<String>,
    pub free_disk_bytes: Option<i64>,
    pub last_error: Option<String>,
    /// On the kiosk's clock, as it told it.
    pub last_error_at: Option<String>,
    /// On the kiosk's clock, as it told it.
    pub last_restart: Option<String>,
    pub last_restart_reason: Option<String>,
    /// When its last report arrived.
    pub reported_at: Option<String>,
}

/// The columns of [`KioskHealth`] in its order, the CSV's header.
pub const KIOSK_COLUMNS: [&str; 17] = [
    "enterprise",
    "enterprise_name",
    "kiosk_id",
    "gate",
    "version",
    "status",
    "last_sync",
    "clock_offset_ms",
    "events_waiting",
    "camera",
    "turnstile",
    "free_disk_bytes",
    "last_error",
    "last_error_at",
    "last_restart",
    "last_restart_reason",
    "reported_at",
];

/// Every registered kiosk that is not revoked (of `enterprise`, when given), its health as of
/// `now_ms`; by enterprise, then kiosk id.
pub async fn kiosks(pool: &PgPool, enterprise: Option<&str>, now_ms: i64) -> Result<Vec<KioskHealth>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        enterprise: String,
        enterprise_name: String,
        kiosk_id: String,
        gate: Option<String>,
        version: Option<String>,
        last_sync_at_ms: Option<i64>,
        clock_offset_ms: Option<i64>,
        events_waiting: Option<i64>,
        camera: Option<String>,
        turnstile: Option<String>,
        free_disk_bytes: Option<i64>,
        last_error: Option<String>,
        last_error_at_ms: Option<i64>,
        last_restart_at_ms: Option<i64>,
        last_restart_reason: Option<String>,
        received_at_ms: Option<i64>,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT k.enterprise, COALESCE(e.name, '') AS enterprise_name, k.kiosk_id, h.gate, h.version,
                h.last_sync_at_ms, h.clock_offset_ms, h.events_waiting, h.camera, h.turnstile, h.free_disk_bytes,
                h.last_error, h.last_error_at_ms, h.last_restart_at_ms, h.last_restart_reason, h.received_at_ms
         FROM kiosks k
         LEFT JOIN kiosk_health h ON h.kiosk_id = k.kiosk_id
         LEFT JOIN enterprises e ON e.tax_code = k.enterprise
         WHERE k.revoked_at IS NULL AND ($1::text IS NULL OR k.enterprise = $1)
         ORDER BY k.enterprise, k.kiosk_id",
    )
    .bind(enterprise)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| KioskHealth {
            enterprise: r.enterprise,
            enterprise_name: r.enterprise_name,
            kiosk_id: r.kiosk_id,
            gate: r.gate,
            version: r.version,
            status: if is_silent(r.last_sync_at_ms, now_ms) { "silent" } else { "online" },
            last_sync: r.last_sync_at_ms.map(instant),
            clock_offset_ms: r.clock_offset_ms,
            events_waiting: r.events_waiting,
            camera: r.camera,
            turnstile: r.turnstile,
            free_disk_bytes: r.free_disk_bytes,
            last_error: r.last_error,
            last_error_at: r.last_error_at_ms.map(instant),
            last_restart: r.last_restart_at_ms.map(instant),
            last_restart_reason: r.last_restart_reason,
            reported_at: r.received_at_ms.map(instant),
        })
        .collect())
}

/// How many kiosks are registered (not revoked) and how many of them are silent at `now_ms`:
/// counts only, for /metrics, which anyone who reaches the server may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KioskCounts {
    pub registered: i64,
    pub silent: i64,
}

pub async fn counts(pool: &PgPool, now_ms: i64) -> Result<KioskCounts> {
    let (registered, silent): (i64, i64) = sqlx::query_as(&format!(
        "SELECT COUNT(*), COUNT(*) FILTER (WHERE {})
         FROM kiosks k LEFT JOIN kiosk_health h ON h.kiosk_id = k.kiosk_id
         WHERE k.revoked_at IS NULL",
        silent_sql("$1")
    ))
    .bind(now_ms)
    .fetch_one(pool)
    .await?;
    Ok(KioskCounts { registered, silent })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silent_is_more_than_an_hour_without_a_sync_or_never() {
        let now = 1_750_000_000_000;
        assert!(!is_silent(Some(now), now));
        assert!(!is_silent(Some(now - SILENT_AFTER_MS), now), "an hour exactly is not more than an hour");
        assert!(is_silent(Some(now - SILENT_AFTER_MS - 1), now));
        assert!(is_silent(None, now), "a kiosk that never synced is silent");
        assert!(!is_silent(Some(now + 60_000), now), "a sync after the time asked about is no silence");
        assert!(is_silent(Some(i64::MIN), i64::MAX), "no wrap at the ends of time");
        assert_eq!(silent_sql("$2"), "(h.last_sync_at_ms IS NULL OR $2::int8 - h.last_sync_at_ms > 3600000)");
    }
}
