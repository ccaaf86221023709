//! The province's questions: who is inside each enterprise now, who was on site with a person,
//! how many events each enterprise had per day. Answers are rows, rendered as JSON or CSV.
//!
//! Presence is built from each person's accepted in/out events: an entry opens a stay, the
//! person's next event closes it; a stay with no later event ends after `max_presence`.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use qrgate_protocol::field::escape_cell;
use serde::Serialize;
use sqlx::PgPool;

use crate::error::{Error, Result};

/// Vietnam keeps +07:00 all year; days in these answers are Vietnamese calendar days.
pub const VIETNAM_OFFSET_MS: i64 = 7 * 3600 * 1000;
pub(crate) const DAY_MS: i64 = 86_400_000;
/// How far back "inside now" looks for a person's last entry unless asked otherwise: a stay
/// longer than a day is an exit nobody scanned.
pub const INSIDE_WINDOW_MS: i64 = 24 * 3_600_000;
/// A kiosk clock further than this from the province's is "off" (the guard screen says so too).
const CLOCK_OFF_MS: i64 = 2 * 60 * 1000;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Inside {
    pub enterprise: String,
    pub enterprise_name: String,
    pub person_kind: String,
    pub person_ref: String,
    pub full_name: Option<String>,
    pub since: String,
    pub gate: String,
    pub kiosk_id: String,
    /// How far the kiosk's clock was from the province's when it wrote the entry (ms, province
    /// minus kiosk); empty when the kiosk had not heard the server yet.
    pub clock_offset_ms: Option<i64>,
    /// `behind` or `ahead` when the kiosk doubted the entry's time.
    pub clock_flag: Option<String>,
}

/// Each person's last accepted, unfollowed entry or exit within ($2 - $3, $2], of enterprise $1
/// (or all): the rows "inside now" keeps those of that are entries, with the columns it shows.
///
/// Read off `presence` (migration 0010), which holds each person's last such event of all: when
/// it is at or before $2 it is also their last up to $2, so it answers if it falls in the window,
/// and nothing in the window does if it does not. Only the people whose kept event lies after $2
/// (a kiosk clock ahead, or a question about the past) are looked up in `events`, one by one.
/// The same people and rows as the window's events sorted per person, without sorting them.
const LAST_IN_WINDOW: &str = "
    SELECT enterprise, person_kind, person_ref, direction, at_ms, gate, kiosk_id, clock_offset_ms, clock_flag
    FROM presence
    WHERE at_ms > $2 - $3 AND at_ms <= $2 AND ($1::text IS NULL OR enterprise = $1)
    UNION ALL
    SELECT l.enterprise, l.person_kind, l.person_ref, l.direction, l.at_ms, l.gate, l.kiosk_id, l.clock_offset_ms,
           l.clock_flag
    FROM presence p
    CROSS JOIN LATERAL (
        SELECT enterprise, person_kind, person_ref, direction, at_ms, gate, kiosk_id, clock_offset_ms, clock_flag
        FROM events e
        WHERE e.enterprise = p.enterprise AND e.person_kind = p.person_kind AND e.person_ref = p.person_ref
          AND e.at_ms > $2 - $3 AND e.at_ms <= $2 AND e.verdict = 'accepted' AND e.direction IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM events f WHERE f.follows = e.id AND f.follows IS NOT NULL)
        ORDER BY e.at_ms DESC, e.server_seq DESC
        LIMIT 1
    ) l
    WHERE p.at_ms > $2 AND ($1::text IS NULL OR p.enterprise = $1)";

/// People whose last accepted event within `window_ms` before `now_ms` is an entry.
pub async fn inside(pool: &PgPool, enterprise: Option<&str>, now_ms: i64, window_ms: i64) -> Result<Vec<Inside>> {
    // enterprise, its name, person kind and reference, worker's name, since, gate, kiosk, clock
    type Row = (String, String, String, String, Option<String>, i64, String, String, Option<i64>, Option<String>);
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT l.enterprise, COALESCE(n.name, ''), l.person_kind, l.person_ref, w.full_name, l.at_ms, l.gate, l.kiosk_id,
                l.clock_offset_ms, l.clock_flag
         FROM ({LAST_IN_WINDOW}) l
         LEFT JOIN enterprises n ON n.tax_code = l.enterprise
         LEFT JOIN workers w ON l.person_kind = 'worker' AND w.enterprise = l.enterprise AND w.code = l.person_ref
         WHERE l.direction = 'in'
         ORDER BY l.enterprise, l.person_kind, l.person_ref"
    ))
    .bind(enterprise)
    .bind(now_ms)
    .bind(window_ms)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Inside {
            enterprise: r.0,
            enterprise_name: r.1,
            person_kind: r.2,
            person_ref: r.3,
            full_name: r.4,
            since: instant(r.5),
            gate: r.6,
            kiosk_id: r.7,
            clock_offset_ms: r.8,
            clock_flag: r.9,
        })
        .collect())
}

/// How many people [`inside`] names per enterprise, without naming them: the console's overview.
pub async fn inside_counts(
    pool: &PgPool,
    enterprise: Option<&str>,
    now_ms: i64,
    window_ms: i64,
) -> Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as(&format!(
        "SELECT enterprise, COUNT(*)::int8 FROM ({LAST_IN_WINDOW}) l WHERE direction = 'in' GROUP BY 1 ORDER BY 1"
    ))
    .bind(enterprise)
    .bind(now_ms)
    .bind(window_ms)
    .fetch_all(pool)
    .await?)
}

/// A contact-tracing question, checked.
#[derive(Debug, Clone)]
pub struct Trace {
    pub enterprise: String,
    pub person_kind: String,
    pub person_ref: String,
    pub from_ms: i64,
    pub to_ms: i64,
    pub max_presence_ms: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Contact {
    pub person_kind: String,
    pub person_ref: String,
    pub full_name: Option<String>,
    /// Where: the gates the contact came in by for the stays that overlapped, sorted.
    pub gates: Vec<String>,
    pub overlap_minutes: i64,
    pub first_overlap: String,
}

/// Everyone whose stays at the enterprise overlapped the person's within [from, to), with the
/// total overlap and where. One query: stays from in/out pairs over the time index, joined to the
/// person's.
pub async fn contacts(pool: &PgPool, t: &Trace) -> Result<Vec<Contact>> {
    // kind, reference, worker's name, gates, overlap and first overlap (ms). `f.follows IS NOT
    // NULL`: as in [`inside`], for the partial index.
    type Row = (String, String, Option<String>, Vec<String>, i64, i64);
    let rows: Vec<Row> = sqlx::query_as(
        "WITH ev AS (
             SELECT person_kind, person_ref, direction, at_ms,
                    lead(at_ms) OVER (PARTITION BY person_kind, person_ref ORDER BY at_ms) AS next_ms
             FROM events e
             WHERE enterprise = $1 AND at_ms >= $4 - $6 AND at_ms < $5 + $6
               AND verdict = 'accepted' AND direction IS NOT NULL AND person_kind IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM events f WHERE f.follows = e.id AND f.follows IS NOT NULL)
         ), stays AS (
             SELECT person_kind, person_ref, at_ms AS in_ms,
                    GREATEST(at_ms, $4) AS s,
                    LEAST(COALESCE(next_ms, at_ms + $6), at_ms + $6, $5) AS e
             FROM ev
             WHERE direction = 'in'
         ), mine AS (
             SELECT s, e FROM stays WHERE person_kind = $2 AND person_ref = $3 AND e > s
         )
         -- Where: the gates of the overlapping stays' entries, read for those entries alone, so
         -- the walk over the period stays on the time index.
         SELECT o.person_kind, o.person_ref, w.full_name,
                COALESCE((SELECT array_agg(DISTINCT g.gate ORDER BY g.gate) FROM events g
                          WHERE g.enterprise = $1 AND g.at_ms = ANY(array_agg(o.in_ms))
                            AND g.person_kind = o.person_kind AND g.person_ref = o.person_ref
                            AND g.verdict = 'accepted' AND g.direction = 'in'
                            AND NOT EXISTS (SELECT 1 FROM events f
                                            WHERE f.follows = g.id AND f.follows IS NOT NULL)), '{}'),
                SUM(LEAST(o.e, m.e) - GREATEST(o.s, m.s))::int8 AS overlap_ms,
                MIN(GREATEST(o.s, m.s))::int8 AS first_ms
         FROM stays o
         JOIN mine m ON o.s < m.e AND m.s < o.e
         LEFT JOIN workers w ON o.person_kind = 'worker' AND w.enterprise = $1 AND w.code = o.person_ref
         WHERE o.e > o.s AND NOT (o.person_kind = $2 AND o.person_ref = $3)
         GROUP BY o.person_kind, o.person_ref, w.full_name
         ORDER BY overlap_ms DESC, o.person_kind, o.person_ref",
    )
    .bind(&t.enterprise)
    .bind(&t.person_kind)
    .bind(&t.person_ref)
    .bind(t.from_ms)
    .bind(t.to_ms)
    .bind(t.max_presence_ms)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Contact {
            person_kind: r.0,
            person_ref: r.1,
            full_name: r.2,
            gates: r.3,
            // Rounded up: a 20-second overlap is still a contact, never "0 minutes".
            overlap_minutes: (r.4 + 59_999) / 60_000,
            first_overlap: instant(r.5),
        })
        .collect())
}

/// Every visitor id of `enterprise` a number's trace tag was kept under: one where the
/// enterprise's kiosks share the visitor key, one per kiosk where they did not; a kiosk cannot
/// hide one id behind another.
pub async fn visitor_ids(pool: &PgPool, enterprise: &str, tag: &str) -> Result<Vec<String>> {
    let ids: Vec<(String,)> = sqlx::query_as(
        "SELECT person_ref FROM visitor_tags WHERE enterprise = $1 AND tag = $2 ORDER BY person_ref LIMIT 100",
    )
    .bind(enterprise)
    .bind(tag)
    .fetch_all(pool)
    .await?;
    Ok(ids.into_iter().map(|(id,)| id).collect())
}

/// The contacts of one person known under several visitor ids (`t`'s kind and period, any of
/// `ids`): each contact once, its overlaps added up, none of the ids themselves.
pub async fn contacts_of_any(pool: &PgPool, t: &Trace, ids: &[String]) -> Result<Vec<Contact>> {
    let mut merged: Vec<Contact> = Vec::new();
    for id in ids {
        let one = Trace { person_kind: "visitor".into(), person_ref: id.clone(), ..t.clone() };
        for c in contacts(pool, &one).await? {
            if c.person_kind == "visitor" && ids.contains(&c.person_ref) {
                continue;
            }
            match merged.iter_mut().find(|m| m.person_kind == c.person_kind && m.person_ref == c.person_ref) {
                Some(m) => {
                    m.overlap_minutes += c.overlap_minutes;
                    m.gates.extend(c.gates);
                    m.gates.sort();
                    m.gates.dedup();
                    if c.first_overlap < m.first_overlap {
                        m.first_overlap = c.first_overlap;
                    }
                }
                None => merged.push(c),
            }
        }
    }
    merged.sort_by(|a, b| {
        b.overlap_minutes
            .cmp(&a.overlap_minutes)
            .then_with(|| (&a.person_kind, &a.person_ref).cmp(&(&b.person_kind, &b.person_ref)))
    });
    Ok(merged)
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Daily {
    pub enterprise: String,
    pub day: String,
    pub entries: i64,
    pub exits: i64,
    pub refused: i64,
    pub total: i64,
    /// Events whose kiosk doubted their time, or knew its clock more than two minutes off.
    pub clock_off: i64,
}

/// The counts of one enterprise's Vietnamese day over rows with the columns of `events`: the one
/// definition the live answer ([`daily`]) and the counts kept after a purge
/// ([`crate::privacy::purge`]) share, so a day reads the same before and after its events go.
pub(crate) fn day_counts() -> String {
    format!(
        "enterprise, (at_ms + {VIETNAM_OFFSET_MS}) / {DAY_MS} AS day,
         COUNT(*) FILTER (WHERE verdict = 'accepted' AND direction = 'in')
           - COUNT(*) FILTER (WHERE verdict = 'not_passed' AND direction = 'in') AS entries,
         COUNT(*) FILTER (WHERE verdict = 'accepted' AND direction = 'out')
           - COUNT(*) FILTER (WHERE verdict = 'not_passed' AND direction = 'out') AS exits,
         COUNT(*) FILTER (WHERE verdict = 'refused') AS refused,
         COUNT(*) AS total,
         COUNT(*) FILTER (WHERE clock_flag IS NOT NULL OR abs(clock_offset_ms) > {CLOCK_OFF_MS}) AS clock_off"
    )
}

/// Events per enterprise per Vietnamese calendar day, `from` to `to` inclusive: the events still
/// kept, plus the counts of days whose events were purged.
pub async fn daily(pool: &PgPool, enterprise: Option<&str>, from: NaiveDate, to: NaiveDate) -> Result<Vec<Daily>> {
    let start = day_start_ms(from);
    let end = day_start_ms(to) + DAY_MS;
    let rows: Vec<(String, i64, i64, i64, i64, i64, i64)> = sqlx::query_as(&format!(
        "SELECT enterprise, day, SUM(entries)::int8, SUM(exits)::int8, SUM(refused)::int8, SUM(total)::int8,
                SUM(clock_off)::int8
         FROM (
             SELECT {} FROM events
             WHERE at_ms >= $2 AND at_ms < $3 AND ($1::text IS NULL OR enterprise = $1)
             GROUP BY 1, 2
             UNION ALL
             SELECT enterprise, (day - DATE '1970-01-01')::int8, entries, exits, refused, total, clock_off
             FROM daily_counts
             WHERE day >= DATE '1970-01-01' + $4::int4 AND day <= DATE '1970-01-01' + $5::int4
               AND ($1::text IS NULL OR enterprise = $1)
         ) d
         GROUP BY 1, 2 ORDER BY 1, 2",
        day_counts()
    ))
    .bind(enterprise)
    .bind(start)
    .bind(end)
    .bind(epoch_days(from))
    .bind(epoch_days(to))
    .fetch_all(pool)
    .await?;
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    Ok(rows
        .into_iter()
        .map(|r| Daily {
            enterprise: r.0,
            day: (epoch + chrono::Days::new(r.1.max(0) as u64)).to_string(),
            entries: r.2,
            exits: r.3,
            refused: r.4,
            total: r.5,
            clock_off: r.6,
        })
        .collect())
}

/// A day as days since 1970-01-01, as `daily_counts` compares it.
fn epoch_days(day: NaiveDate) -> i32 {
    (day - NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date")).num_days().clamp(i32::MIN.into(), i32::MAX.into())
        as i32
}

/// Midnight of a Vietnamese day, in ms since the epoch.
pub fn day_start_ms(day: NaiveDate) -> i64 {
    day.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc().timestamp_millis() - VIETNAM_OFFSET_MS
}

/// An instant as the answer shows it: RFC 3339 at +07:00.
pub(crate) fn instant(ms: i64) -> String {
    let offset = chrono::FixedOffset::east_opt((VIETNAM_OFFSET_MS / 1000) as i32).expect("valid offset");
    match Utc.timestamp_millis_opt(ms).single() {
        Some(t) => t.with_timezone(&offset).to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        None => ms.to_string(),
    }
}

/// Reads `from`/`to` as given in a query string: RFC 3339, or a date meaning that day's start
/// (for `from`) or the next day's start (for `to`), Vietnamese time.
pub fn parse_bound(text: &str, what: &'static str, end_of_day: bool) -> Result<i64> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text.trim()) {
        return Ok(t.timestamp_millis());
    }
    let day = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| Error::invalid(what, format!("{text:?} is neither YYYY-MM-DD nor an RFC 3339 time")))?;
    Ok(day_start_ms(day) + if end_of_day { DAY_MS } else { 0 })
}

/// Rows as CSV with a header. Text cells go through the kiosk exports' own [`escape_cell`], so
/// a cell Excel would read as a formula gets a leading apostrophe.
pub fn to_csv<T: Serialize>(rows: &[T], header: &[&str]) -> Result<String> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| Error::Io { what: "writing CSV".into(), source: std::io::Error::other(e.to_string()) };
    out.write_record(header).map_err(io)?;
    for row in rows {
        let value = serde_json::to_value(row).map_err(|e| Error::invalid("row", e.to_string()))?;
        let cells = header.iter().map(|h| match &value[*h] {
            serde_json::Value::Null => String::new(),
            serde_json::Value::String(s) => escape_cell(s).into_owned(),
            // A list (a contact's gates) is one cell, its items apart by "; ".
            serde_json::Value::Array(items) => {
                let items: Vec<String> =
                    items.iter().map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string)).collect();
                escape_cell(&items.join("; ")).into_owned()
            }
            other => other.to_string(),
        });
        out.write_record(cells).map_err(io)?;
    }
    let bytes = out.into_inner().map_err(|e| Error::Io { what: "writing CSV".into(), source: e.into_error() })?;
    Ok(String::from_utf8(bytes).expect("CSV of strings is UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_read_dates_and_instants() {
        let d = parse_bound("2025-03-01", "from", false).unwrap();
        assert_eq!(instant(d), "2025-03-01T00:00:00+07:00");
        let e = parse_bound("2025-03-01", "to", true).unwrap();
        assert_eq!(e - d, DAY_MS);
        assert_eq!(parse_bound("2025-03-01T08:00:00+07:00", "from", false).unwrap(), d + 8 * 3600 * 1000);
        assert!(parse_bound("yesterday", "from", false).is_err());
    }

    #[test]
    fn csv_escapes_formulas() {
        let rows = vec![Daily {
            enterprise: "=HYPERLINK(1)".into(),
            day: "2025-03-01".into(),
            entries: 1,
            exits: 2,
            refused: 0,
            total: 3,
            clock_off: 0,
        }];
        let text = to_csv(&rows, &["enterprise", "day", "total"]).unwrap();
        assert_eq!(text, "enterprise,day,total\n'=HYPERLINK(1),2025-03-01,3\n");
    }
}
