//! The months `events` is partitioned by (migration 0010): made ahead of need at start and every
//! hour, made on demand before a push whose events fall in a month without one, and listed for
//! the retention purge, which drops whole months. A month is a Vietnamese calendar month.
//!
//! Every function takes the time as an argument; nothing here reads the clock.

use std::collections::HashSet;
use std::sync::{LazyLock, Mutex};

use chrono::{Datelike, NaiveDate};
use sqlx::PgPool;

use crate::error::Result;
use crate::province::{DAY_MS, VIETNAM_OFFSET_MS};

/// Months made ahead of the current one: a push near a month's end, or a kiosk a day ahead,
/// finds its month there.
pub const AHEAD: u32 = 2;

/// How far back push makes a month for an event: a kiosk offline for a year still gets months.
/// An event older than this came from a clock years off, and goes to the default partition
/// rather than leave one more month to plan over (migration 0010 uses the same reach).
pub const ON_DEMAND_REACH_MS: i64 = 400 * DAY_MS;

/// How long making a month may wait for the locks it needs before push goes on without it (its
/// events then wait in the default partition until the hourly job makes the month).
const LOCK_WAIT: &str = "2s";

/// The months this process made or found made: a push asks the database only about others, so
/// the usual push (this month's events) costs no round trip for them. A month dropped since (by
/// another instance's purge) is still believed here: its late events then go to the default
/// partition, where the next purge deletes them as it would have from their month.
static KNOWN: LazyLock<Mutex<HashSet<NaiveDate>>> = LazyLock::new(Mutex::default);

fn known() -> std::sync::MutexGuard<'static, HashSet<NaiveDate>> {
    KNOWN.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The first day of the Vietnamese month holding the instant `ms`.
pub fn month_of(ms: i64) -> NaiveDate {
    let day = epoch() + chrono::Days::new((ms + VIETNAM_OFFSET_MS).div_euclid(DAY_MS).max(0) as u64);
    day.with_day(1).expect("every month has a first day")
}

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date")
}

fn epoch_days(day: NaiveDate) -> i32 {
    (day - epoch()).num_days() as i32
}

/// Makes the months holding these days, those missing; one transaction, bounded lock waits.
async fn make(pool: &PgPool, months: &[NaiveDate]) -> Result<()> {
    if months.is_empty() {
        return Ok(());
    }
    let days: Vec<i32> = months.iter().copied().map(epoch_days).collect();
    let mut tx = pool.begin().await?;
    sqlx::query(&format!("SET LOCAL lock_timeout = '{LOCK_WAIT}'")).execute(&mut *tx).await?;
    sqlx::query("SELECT events_month(DATE '1970-01-01' + d) FROM unnest($1::int4[]) d ORDER BY d")
        .bind(&days)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    known().extend(months.iter().copied());
    Ok(())
}

/// Months the retention purge dropped: made again if a late event needs one.
pub(crate) fn forget(dropped: &[Month]) {
    let mut known = known();
    for m in dropped {
        known.remove(&month_of(m.from_ms));
    }
}

/// The month of `now_ms` and the [`AHEAD`] after it, made if missing: at start and every hour.
pub async fn make_ahead(pool: &PgPool, now_ms: i64) -> Result<()> {
    let first = month_of(now_ms);
    let months: Vec<NaiveDate> = (0..=AHEAD).map(|k| first + chrono::Months::new(k)).collect();
    make(pool, &months).await
}

/// Before a push stores events at these instants: the months within [`ON_DEMAND_REACH_MS`] of
/// `now_ms` that lack a partition are made. A failure only sends the events to the default
/// partition, so it is logged and the push goes on.
pub async fn make_for_push(pool: &PgPool, instants: impl Iterator<Item = i64>, now_ms: i64) {
    let mut months: Vec<NaiveDate> =
        instants.filter(|at| *at >= now_ms.saturating_sub(ON_DEMAND_REACH_MS)).map(month_of).collect();
    months.sort();
    months.dedup();
    {
        let known = known();
        months.retain(|m| !known.contains(m));
    }
    if let Err(e) = make(pool, &months).await {
        eprintln!("qrgate-server: making the events' months: {e} (they wait in the default partition)");
    }
}

/// A month's partition of `events`: its table and the instants it holds, [from_ms, to_ms).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Month {
    pub table: String,
    pub from_ms: i64,
    pub to_ms: i64,
}

/// Every month's partition, oldest first (the default partition is none of them).
pub async fn list(db: &mut sqlx::PgConnection) -> Result<Vec<Month>> {
    // The bounds as PostgreSQL wrote them: FOR VALUES FROM ('x') TO ('y').
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.relname::text, pg_get_expr(c.relpartbound, c.oid)
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = 'events'::regclass AND pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'",
    )
    .fetch_all(db)
    .await?;
    let mut months: Vec<Month> = rows
        .into_iter()
        .filter_map(|(table, bound)| {
            let numbers: Vec<i64> = bound
                .split(|c: char| !c.is_ascii_digit())
                .filter(|s| !s.is_empty())
                .filter_map(|s| s.parse().ok())
                .collect();
            match numbers[..] {
                [from_ms, to_ms] => Some(Month { table, from_ms, to_ms }),
                _ => None,
            }
        })
        .collect();
    months.sort_by_key(|m| m.from_ms);
    Ok(months)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_begins_at_midnight_in_vietnam() {
        let first = crate::province::day_start_ms(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        assert_eq!(month_of(first), NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        // The last millisecond of 30 November at the gate (16:59:59.999 UTC) is November's.
        assert_eq!(month_of(first - 1), NaiveDate::from_ymd_opt(2026, 11, 1).unwrap());
    }
}
