//! What each console page shows, gathered from the database at a given time. Who is inside and
//! the daily counts come from the province's own queries (`province`), so a page and the JSON
//! answer never disagree; only what no query answered yet is asked here.

use std::collections::HashMap;

use chrono::{NaiveDate, TimeZone, Utc};
use sqlx::PgPool;

use crate::error::{Error, Result};
use crate::province;

/// Days the enterprise page's chart and gate list reach back, today included.
pub const CHART_DAYS: u64 = 30;

/// The Vietnamese calendar day of an instant.
pub fn vietnam_day(ms: i64) -> NaiveDate {
    let utc = Utc.timestamp_millis_opt(ms).single().unwrap_or_default();
    utc.with_timezone(&chrono_tz::Asia::Ho_Chi_Minh).date_naive()
}

#[derive(Debug, Clone, PartialEq)]
pub struct Overview {
    pub today: NaiveDate,
    pub enterprises: Vec<EnterpriseLine>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnterpriseLine {
    pub tax_code: String,
    pub name: String,
    pub inside: usize,
    pub events_today: i64,
    pub kiosks: Vec<KioskLine>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct KioskLine {
    pub kiosk_id: String,
    pub revoked: bool,
    /// When the server last accepted a signed request of the kiosk (`kiosk_health`).
    pub last_sync_ms: Option<i64>,
    /// No sync for more than an hour, or never ([`crate::health::is_silent`]).
    pub silent: bool,
    /// From the kiosk's last health report; empty until it sent one.
    pub version: Option<String>,
    pub clock_offset_ms: Option<i64>,
    pub events_waiting: Option<i64>,
    pub last_error: Option<String>,
}

/// Every enterprise (or the one an enterprise viewer is limited to): people inside now, events
/// today, its kiosks.
pub async fn overview(pool: &PgPool, only: Option<&str>, now_ms: i64) -> Result<Overview> {
    let today = vietnam_day(now_ms);
    let names: Vec<(String, String)> = sqlx::query_as(
        "SELECT tax_code, name FROM enterprises WHERE ($1::text IS NULL OR tax_code = $1) ORDER BY name, tax_code",
    )
    .bind(only)
    .fetch_all(pool)
    .await?;
    // Counts only: naming a province's people inside, to count them, cost more than the page.
    let inside: HashMap<String, usize> = province::inside_counts(pool, only, now_ms, province::INSIDE_WINDOW_MS)
        .await?
        .into_iter()
        .map(|(enterprise, n)| (enterprise, n.max(0) as usize))
        .collect();
    let events: HashMap<String, i64> =
        province::daily(pool, only, today, today).await?.into_iter().map(|d| (d.enterprise, d.total)).collect();
    let mut kiosks = kiosks(pool, only, now_ms).await?;
    Ok(Overview {
        today,
        enterprises: names
            .into_iter()
            .map(|(tax_code, name)| EnterpriseLine {
                inside: inside.get(&tax_code).copied().unwrap_or(0),
                events_today: events.get(&tax_code).copied().unwrap_or(0),
                kiosks: kiosks.remove(&tax_code).unwrap_or_default(),
                tax_code,
                name,
            })
            .collect(),
    })
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnterprisePage {
    pub tax_code: String,
    pub name: String,
    pub today: NaiveDate,
    pub inside_workers: usize,
    pub inside_visitors: usize,
    pub gates: Vec<GateLine>,
    /// The last [`CHART_DAYS`] days, oldest first, today last, days without events at 0.
    pub days: Vec<DayCount>,
    pub kiosks: Vec<KioskLine>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GateLine {
    pub gate: String,
    pub kiosk_id: String,
    pub inside: usize,
    pub last_event_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DayCount {
    pub day: NaiveDate,
    pub entries: i64,
}

/// One enterprise's page: its gates, who is inside by kind and by gate, its entries per day.
pub async fn enterprise(pool: &PgPool, tax_code: &str, now_ms: i64) -> Result<EnterprisePage> {
    let name: Option<(String,)> =
        sqlx::query_as("SELECT name FROM enterprises WHERE tax_code = $1").bind(tax_code).fetch_optional(pool).await?;
    let (name,) = name.ok_or_else(|| Error::UnknownEnterprise(tax_code.into()))?;
    let today = vietnam_day(now_ms);
    let first = today - chrono::Days::new(CHART_DAYS - 1);

    let people = province::inside(pool, Some(tax_code), now_ms, province::INSIDE_WINDOW_MS).await?;
    let mut inside_by_gate: HashMap<(String, String), usize> = HashMap::new();
    for person in &people {
        *inside_by_gate.entry((person.gate.clone(), person.kiosk_id.clone())).or_default() += 1;
    }
    let gates: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT gate, kiosk_id, MAX(at_ms) FROM events
         WHERE enterprise = $1 AND at_ms >= $2 AND at_ms <= $3
         GROUP BY gate, kiosk_id ORDER BY gate, kiosk_id",
    )
    .bind(tax_code)
    .bind(province::day_start_ms(first))
    .bind(now_ms)
    .fetch_all(pool)
    .await?;

    let entries: HashMap<String, i64> =
        province::daily(pool, Some(tax_code), first, today).await?.into_iter().map(|d| (d.day, d.entries)).collect();
    let days = first
        .iter_days()
        .take(CHART_DAYS as usize)
        .map(|day| DayCount { day, entries: entries.get(&day.to_string()).copied().unwrap_or(0).max(0) })
        .collect();

    Ok(EnterprisePage {
        inside_workers: people.iter().filter(|p| p.person_kind == "worker").count(),
        inside_visitors: people.iter().filter(|p| p.person_kind == "visitor").count(),
        gates: gates
            .into_iter()
            .map(|(gate, kiosk_id, last_event_ms)| GateLine {
                inside: inside_by_gate.get(&(gate.clone(), kiosk_id.clone())).copied().unwrap_or(0),
                gate,
                kiosk_id,
                last_event_ms,
            })
            .collect(),
        days,
        kiosks: kiosks(pool, Some(tax_code), now_ms).await?.remove(tax_code).unwrap_or_default(),
        tax_code: tax_code.into(),
        name,
        today,
    })
}

/// Each enterprise's kiosks with their health: the last sync and the last report (one row per
/// kiosk, no walk over its events).
async fn kiosks(pool: &PgPool, only: Option<&str>, now_ms: i64) -> Result<HashMap<String, Vec<KioskLine>>> {
    type Row = (String, String, bool, Option<i64>, Option<String>, Option<i64>, Option<i64>, Option<String>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT k.enterprise, k.kiosk_id, k.revoked_at IS NOT NULL, h.last_sync_at_ms, h.version,
                h.clock_offset_ms, h.events_waiting, h.last_error
         FROM kiosks k LEFT JOIN kiosk_health h USING (kiosk_id)
         WHERE ($1::text IS NULL OR k.enterprise = $1)
         ORDER BY k.enterprise, k.kiosk_id",
    )
    .bind(only)
    .fetch_all(pool)
    .await?;
    let mut by_enterprise: HashMap<String, Vec<KioskLine>> = HashMap::new();
    for (enterprise, kiosk_id, revoked, last_sync_ms, version, clock_offset_ms, events_waiting, last_error) in rows {
        let silent = crate::health::is_silent(last_sync_ms, now_ms);
        by_enterprise.entry(enterprise).or_default().push(KioskLine {
            kiosk_id,
            revoked,
            last_sync_ms,
            silent,
            version,
            clock_offset_ms,
            events_waiting,
            last_error,
        });
    }
    Ok(by_enterprise)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_day_is_vietnams() {
        // 2025-03-02 17:00 UTC is already the 3rd at the gate (+07:00), and 16:59:59.999 is not.
        let midnight = province::day_start_ms(NaiveDate::from_ymd_opt(2025, 3, 3).unwrap());
        assert_eq!(vietnam_day(midnight), NaiveDate::from_ymd_opt(2025, 3, 3).unwrap());
        assert_eq!(vietnam_day(midnight - 1), NaiveDate::from_ymd_opt(2025, 3, 2).unwrap());
    }
}
