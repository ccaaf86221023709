//! What each console page shows, gathered from the database at a given time. Who is inside and
//! the daily counts come from the province's own queries (`province`), so a page and the JSON
//! answer never disagree; only what no query answered yet is asked here.

use std::collections::HashMap;

use chrono::{NaiveDate, TimeZone, Utc};
use sqlx::PgPool;

use crate::error::{Error, Result};
use crate::privacy;
use crate::province::{self, Contact};

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

/// Every enterprise (or the one a viewer is limited to) as (tax code, name), by name: the
/// choices of a form.
pub async fn enterprises(pool: &PgPool, only: Option<&str>) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT tax_code, name FROM enterprises WHERE ($1::text IS NULL OR tax_code = $1) ORDER BY name, tax_code",
    )
    .bind(only)
    .fetch_all(pool)
    .await?)
}

/// The trace form as it was typed, written back into the page so nothing is typed twice.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TraceForm {
    pub enterprise: String,
    /// `worker` or `cccd`.
    pub kind: String,
    pub person: String,
    pub from: String,
    pub to: String,
}

/// The kiosk registration form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegisterForm {
    pub tax_code: String,
    pub enterprise_name: String,
    pub kiosk_id: String,
    pub public_key: String,
}

/// The new account form as typed; never its passwords.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountForm {
    pub login: String,
    pub display_name: String,
    pub role: String,
    pub enterprise: String,
}

/// How the contacts are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortBy {
    /// Longest together first.
    #[default]
    Minutes,
    /// By name where the roster gives one, else by code.
    Name,
    /// Earliest first overlap first.
    First,
}

impl SortBy {
    pub const ALL: [SortBy; 3] = [SortBy::Minutes, SortBy::Name, SortBy::First];

    pub fn parse(text: Option<&str>) -> SortBy {
        SortBy::ALL.into_iter().find(|s| Some(s.as_str()) == text).unwrap_or_default()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SortBy::Minutes => "minutes",
            SortBy::Name => "name",
            SortBy::First => "first",
        }
    }
}

/// Sorts contacts; ties by kind and code, so an order is the same every time.
pub fn sort_contacts(rows: &mut [Contact], by: SortBy) {
    let tie = |a: &Contact, b: &Contact| (&a.person_kind, &a.person_ref).cmp(&(&b.person_kind, &b.person_ref));
    match by {
        SortBy::Minutes => rows.sort_by(|a, b| b.overlap_minutes.cmp(&a.overlap_minutes).then_with(|| tie(a, b))),
        SortBy::Name => {
            let key = |c: &Contact| c.full_name.as_deref().unwrap_or(&c.person_ref).to_lowercase();
            rows.sort_by(|a, b| key(a).cmp(&key(b)).then_with(|| tie(a, b)))
        }
        // RFC 3339 at one offset sorts as the instants do.
        SortBy::First => rows.sort_by(|a, b| a.first_overlap.cmp(&b.first_overlap).then_with(|| tie(a, b))),
    }
}

/// A trace's answer as the page shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Traced {
    pub tax_code: String,
    pub enterprise_name: String,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub contacts: Vec<Contact>,
    pub sort: SortBy,
}

/// One kiosk on the kiosks page.
#[derive(Debug, Clone, PartialEq)]
pub struct KioskRow {
    pub tax_code: String,
    pub enterprise_name: String,
    pub kiosk_id: String,
    pub registered_ms: i64,
    pub revoked_ms: Option<i64>,
    pub last_sync_ms: Option<i64>,
    pub silent: bool,
}

/// Every kiosk (or one enterprise's), by enterprise name and kiosk id.
pub async fn kiosk_rows(pool: &PgPool, only: Option<&str>, now_ms: i64) -> Result<Vec<KioskRow>> {
    type Row = (String, String, String, i64, Option<i64>, Option<i64>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT k.enterprise, e.name, k.kiosk_id, (extract(epoch FROM k.added_at) * 1000)::int8,
                (extract(epoch FROM k.revoked_at) * 1000)::int8, h.last_sync_at_ms
         FROM kiosks k JOIN enterprises e ON e.tax_code = k.enterprise
         LEFT JOIN kiosk_health h USING (kiosk_id)
         WHERE ($1::text IS NULL OR k.enterprise = $1)
         ORDER BY e.name, k.enterprise, k.kiosk_id",
    )
    .bind(only)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| KioskRow {
            silent: crate::health::is_silent(r.5, now_ms),
            tax_code: r.0,
            enterprise_name: r.1,
            kiosk_id: r.2,
            registered_ms: r.3,
            revoked_ms: r.4,
            last_sync_ms: r.5,
        })
        .collect())
}

/// One kiosk's enterprise, for the revocation's confirmation: (tax code, name, revoked).
pub async fn kiosk(pool: &PgPool, kiosk_id: &str) -> Result<Option<(String, String, bool)>> {
    Ok(sqlx::query_as(
        "SELECT k.enterprise, e.name, k.revoked_at IS NOT NULL FROM kiosks k
         JOIN enterprises e ON e.tax_code = k.enterprise WHERE k.kiosk_id = $1",
    )
    .bind(kiosk_id)
    .fetch_optional(pool)
    .await?)
}

/// Lines of the record of processing an enterprise's page shows at most.
pub const PROCESSING_LINES: i64 = 1000;

#[derive(Debug, Clone, PartialEq)]
pub struct ProcessingPage {
    pub tax_code: String,
    pub name: String,
    pub lines: Vec<privacy::Processing>,
}

/// One enterprise's record of processing, newest first.
pub async fn processing(pool: &PgPool, tax_code: &str) -> Result<ProcessingPage> {
    let name: Option<(String,)> =
        sqlx::query_as("SELECT name FROM enterprises WHERE tax_code = $1").bind(tax_code).fetch_optional(pool).await?;
    let (name,) = name.ok_or_else(|| Error::UnknownEnterprise(tax_code.into()))?;
    let lines = privacy::log(pool, Some(tax_code), PROCESSING_LINES).await?;
    Ok(ProcessingPage { tax_code: tax_code.into(), name, lines })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact(code: &str, name: Option<&str>, minutes: i64, first: &str) -> Contact {
        Contact {
            person_kind: "worker".into(),
            person_ref: code.into(),
            full_name: name.map(String::from),
            gates: vec![],
            overlap_minutes: minutes,
            first_overlap: first.into(),
        }
    }

    #[test]
    fn contacts_sort_three_ways() {
        let mut rows = vec![
            contact("NV3", Some("Trần Bình"), 20, "2025-03-03T11:40:00+07:00"),
            contact("NV1", None, 90, "2025-03-03T09:00:00+07:00"),
            contact("NV2", Some("An Lê"), 20, "2025-03-03T08:10:00+07:00"),
        ];
        let order = |rows: &[Contact]| rows.iter().map(|c| c.person_ref.as_str()).collect::<Vec<_>>().join(" ");
        sort_contacts(&mut rows, SortBy::Minutes);
        assert_eq!(order(&rows), "NV1 NV2 NV3");
        sort_contacts(&mut rows, SortBy::Name);
        assert_eq!(order(&rows), "NV2 NV1 NV3", "An Lê, then the code NV1, then Trần Bình");
        sort_contacts(&mut rows, SortBy::First);
        assert_eq!(order(&rows), "NV2 NV1 NV3");
        assert_eq!(SortBy::parse(Some("first")), SortBy::First);
        assert_eq!(SortBy::parse(Some("nonsense")), SortBy::Minutes);
    }

    #[test]
    fn the_day_is_vietnams() {
        // 2025-03-02 17:00 UTC is already the 3rd at the gate (+07:00), and 16:59:59.999 is not.
        let midnight = province::day_start_ms(NaiveDate::from_ymd_opt(2025, 3, 3).unwrap());
        assert_eq!(vietnam_day(midnight), NaiveDate::from_ymd_opt(2025, 3, 3).unwrap());
        assert_eq!(vietnam_day(midnight - 1), NaiveDate::from_ymd_opt(2025, 3, 2).unwrap());
    }
}
