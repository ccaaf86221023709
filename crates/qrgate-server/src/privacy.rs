//! Personal data at the province (Law 91/2025/QH15, Decree 356/2025/ND-CP): events that name
//! people are kept for a configured number of days, then only each enterprise's daily counts stay;
//! the record of processing lists every trace and every purge, without the personal data itself.

use serde::Serialize;
use sqlx::PgPool;

use crate::error::Result;
use crate::province::{day_counts, instant, DAY_MS, VIETNAM_OFFSET_MS};

/// What one purge removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Purged {
    pub events: i64,
    pub people: i64,
}

/// The columns the purge counts and names people by.
const COUNTED: &str = "enterprise, person_kind, person_ref, at_ms, verdict, direction, clock_flag, clock_offset_ms";

/// Removes the events of Vietnamese days that ended more than `keep_days` before `now_ms`, keeping
/// their daily counts (added to any counts kept before, so an event that arrives late for an old
/// day still counts once), and writes a line per enterprise in the record — all in one transaction.
///
/// Months that ended before the horizon go whole: their rows are counted, then the partition is
/// dropped. Only the month that straddles the horizon and the default partition (clocks years
/// off) are deleted from row by row.
pub async fn purge(pool: &PgPool, now_ms: i64, keep_days: u32) -> Result<Purged> {
    // Whole days only: a day's count is either all kept or all from events, never half of each.
    let today = (now_ms + VIETNAM_OFFSET_MS).div_euclid(DAY_MS);
    let horizon = (today - i64::from(keep_days)) * DAY_MS - VIETNAM_OFFSET_MS;
    let mut tx = pool.begin().await?;
    let months = crate::months::list(&mut tx).await?;
    let dropped: Vec<crate::months::Month> = months.iter().filter(|m| m.to_ms <= horizon).cloned().collect();
    let whole: Vec<&str> = dropped.iter().map(|m| m.table.as_str()).collect();
    let straddling = months.iter().filter(|m| m.from_ms < horizon && horizon < m.to_ms).map(|m| m.table.as_str());
    // Table names from the catalogue, made by `events_month` as events_YYYY_MM; quoted all the same.
    let mut pieces = Vec::new();
    let mut gone = Vec::new();
    for (i, table) in straddling.chain(["events_default"]).enumerate() {
        pieces.push(format!("deleted_{i} AS (DELETE FROM \"{table}\" WHERE at_ms < $1 RETURNING {COUNTED})"));
        gone.push(format!("SELECT {COUNTED} FROM deleted_{i}"));
    }
    gone.extend(whole.iter().map(|table| format!("SELECT {COUNTED} FROM \"{table}\"")));
    let per_enterprise: Vec<(String, i64, i64)> = sqlx::query_as(&format!(
        "WITH {}, gone AS ({}), kept AS (
             INSERT INTO daily_counts (enterprise, day, entries, exits, refused, total, clock_off)
             SELECT enterprise, DATE '1970-01-01' + day::int4, entries, exits, refused, total, clock_off
             FROM (SELECT {} FROM gone GROUP BY 1, 2) c
             ON CONFLICT (enterprise, day) DO UPDATE SET
                 entries = daily_counts.entries + excluded.entries,
                 exits = daily_counts.exits + excluded.exits,
                 refused = daily_counts.refused + excluded.refused,
                 total = daily_counts.total + excluded.total,
                 clock_off = daily_counts.clock_off + excluded.clock_off
             RETURNING 1
         )
         SELECT enterprise, COUNT(*)::int8,
                COUNT(DISTINCT (person_kind, person_ref)) FILTER (WHERE person_ref IS NOT NULL)::int8
         FROM gone GROUP BY enterprise ORDER BY enterprise",
        pieces.join(", "),
        gone.join(" UNION ALL "),
        day_counts()
    ))
    .bind(horizon)
    .fetch_all(&mut *tx)
    .await?;
    if !whole.is_empty() {
        // Dropping a month waits for every query reading `events`, and holds new ones while it
        // waits: rather than stall the province behind a long one, give up and try next hour.
        sqlx::query("SET LOCAL lock_timeout = '10s'").execute(&mut *tx).await?;
        let tables: Vec<String> = whole.iter().map(|t| format!("\"{t}\"")).collect();
        sqlx::query(&format!("DROP TABLE {}", tables.join(", "))).execute(&mut *tx).await?;
    }
    // A person whose kept presence was purged has no event left that counts.
    sqlx::query("DELETE FROM presence WHERE at_ms < $1").bind(horizon).execute(&mut *tx).await?;
    // A visitor's tag goes with the last of their events: nobody is found by number through it.
    sqlx::query(
        "DELETE FROM visitor_tags t WHERE NOT EXISTS (
             SELECT 1 FROM events e WHERE e.enterprise = t.enterprise AND e.person_kind = 'visitor'
                                      AND e.person_ref = t.person_ref)",
    )
    .execute(&mut *tx)
    .await?;
    let mut purged = Purged::default();
    for (enterprise, events, people) in &per_enterprise {
        sqlx::query(
            "INSERT INTO processing_log (actor, action, enterprise, people, detail)
             VALUES ('retention', 'purge', $1, $2, $3)",
        )
        .bind(enterprise)
        .bind(people)
        .bind(format!("{events} events before {} kept as daily counts", instant(horizon)))
        .execute(&mut *tx)
        .await?;
        purged.events += events;
        purged.people += people;
    }
    tx.commit().await?;
    crate::months::forget(&dropped);
    Ok(purged)
}

/// Writes that someone traced a person's contacts: who (the credential used), which enterprise,
/// how many people the answer named, and the period — not whom.
pub async fn record_trace<'e>(
    db: impl sqlx::PgExecutor<'e>,
    actor: &str,
    enterprise: &str,
    people: usize,
    detail: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO processing_log (actor, action, enterprise, people, detail) VALUES ($1, 'trace', $2, $3, $4)",
    )
    .bind(actor)
    .bind(enterprise)
    .bind(people as i64)
    .bind(detail)
    .execute(db)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Processing {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub enterprise: Option<String>,
    pub people: i64,
    pub detail: String,
}

/// The record, newest first, of one enterprise or of all.
pub async fn log(pool: &PgPool, enterprise: Option<&str>, limit: i64) -> Result<Vec<Processing>> {
    let rows: Vec<(i64, String, String, Option<String>, i64, String)> = sqlx::query_as(
        "SELECT (extract(epoch FROM at) * 1000)::int8, actor, action, enterprise, people, detail
         FROM processing_log WHERE ($1::text IS NULL OR enterprise = $1)
         ORDER BY at DESC, id DESC LIMIT $2",
    )
    .bind(enterprise)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Processing { at: instant(r.0), actor: r.1, action: r.2, enterprise: r.3, people: r.4, detail: r.5 })
        .collect())
}
