//! An event as the server stores it: the one list of the `events` columns that hold a kiosk's
//! event, how a batch of checked events goes into them, and how a row comes back out as the
//! event the kiosk sent.
//!
//! A new field of `WireEvent` is a migration, one entry in [`COLUMNS`] and one line in
//! [`StoredEvent`]'s `from_row` (the compiler asks for that one); push's insert and pull's select
//! are built from the list. The province queries name only the few columns their question needs.

use std::sync::LazyLock;

use qrgate_protocol::{CheckedEvent, WireEvent};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::{PgConnection, Postgres, Row};
use uuid::Uuid;

use crate::error::Result;

/// The batch insert being built: each column binds its array into it, in [`COLUMNS`] order.
type Insert<'q> = sqlx::query::Query<'q, Postgres, PgArguments>;

/// A column of `events` that holds one field of a kiosk's event.
struct Column {
    name: &'static str,
    /// The column's SQL type: a batch goes in as one array of it per column, so a push of a
    /// thousand events is one statement with a fixed number of parameters.
    sql_type: &'static str,
    /// Binds this field of every event of the batch, as one array, in batch order.
    bind: for<'q> fn(Insert<'q>, &'q [CheckedEvent]) -> Insert<'q>,
}

/// This field of each event of the batch, in batch order.
fn each<'q, T>(batch: &'q [CheckedEvent], field: impl Fn(&'q WireEvent) -> T) -> Vec<T> {
    batch.iter().map(|c| field(c.get())).collect()
}

/// Every field of a kiosk's event the server keeps. The enterprise is not among them: it is the
/// sending kiosk's, never the event's say.
const COLUMNS: &[Column] = &[
    Column { name: "id", sql_type: "uuid", bind: |q, b| q.bind(each(b, |e| e.id)) },
    Column { name: "kiosk_id", sql_type: "text", bind: |q, b| q.bind(each(b, |e| e.kiosk_id.as_str())) },
    Column { name: "seq", sql_type: "int8", bind: |q, b| q.bind(each(b, |e| e.seq)) },
    Column { name: "gate", sql_type: "text", bind: |q, b| q.bind(each(b, |e| e.gate.as_str())) },
    Column { name: "person_kind", sql_type: "text", bind: |q, b| q.bind(each(b, |e| e.person_kind.as_deref())) },
    Column { name: "person_ref", sql_type: "text", bind: |q, b| q.bind(each(b, |e| e.person_ref.as_deref())) },
    Column { name: "direction", sql_type: "text", bind: |q, b| q.bind(each(b, |e| e.direction.as_deref())) },
    Column { name: "at_ms", sql_type: "int8", bind: |q, b| q.bind(each(b, |e| e.at_ms)) },
    Column { name: "offset_s", sql_type: "int4", bind: |q, b| q.bind(each(b, |e| e.offset_s)) },
    Column { name: "method", sql_type: "text", bind: |q, b| q.bind(each(b, |e| e.method.as_str())) },
    Column { name: "verdict", sql_type: "text", bind: |q, b| q.bind(each(b, |e| e.verdict.as_str())) },
    Column { name: "reason", sql_type: "text", bind: |q, b| q.bind(each(b, |e| e.reason.as_deref())) },
    // PostgreSQL has no unsigned integers: a u32 serial needs a bigint to keep its top half.
    Column { name: "badge_serial", sql_type: "int8", bind: |q, b| q.bind(each(b, |e| e.badge_serial.map(i64::from))) },
    Column { name: "operator", sql_type: "text", bind: |q, b| q.bind(each(b, |e| e.operator.as_deref())) },
    Column { name: "note", sql_type: "text", bind: |q, b| q.bind(each(b, |e| e.note.as_deref())) },
    Column { name: "clock_offset_ms", sql_type: "int8", bind: |q, b| q.bind(each(b, |e| e.clock_offset_ms)) },
    Column { name: "clock_flag", sql_type: "text", bind: |q, b| q.bind(each(b, |e| e.clock_flag.as_deref())) },
    Column { name: "follows", sql_type: "uuid", bind: |q, b| q.bind(each(b, |e| e.follows)) },
];

/// The event columns as a select or an insert names them.
pub static COLUMN_LIST: LazyLock<String> =
    LazyLock::new(|| COLUMNS.iter().map(|c| c.name).collect::<Vec<_>>().join(", "));

/// `$1` the enterprise, then one array per column; an id already stored keeps its first row
/// (push looked ids up first; the key catches a retry stored in between by another instance).
static INSERT: LazyLock<String> = LazyLock::new(|| {
    let arrays: Vec<String> =
        COLUMNS.iter().enumerate().map(|(i, c)| format!("${}::{}[]", i + 2, c.sql_type)).collect();
    let columns = COLUMN_LIST.as_str();
    format!(
        "INSERT INTO events (enterprise, {columns})
         SELECT $1, {columns} FROM UNNEST({}) AS u({columns})
         ON CONFLICT (id, at_ms) DO NOTHING
         RETURNING id",
        arrays.join(", ")
    )
});

/// Stores a batch of checked events for `enterprise` and returns the ids that were new. Each
/// row's kiosk id is its event's: a `CheckedEvent` is always the sending kiosk's own.
pub async fn insert(db: &mut PgConnection, enterprise: &str, batch: &[CheckedEvent]) -> Result<Vec<Uuid>> {
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    let query = COLUMNS.iter().fold(sqlx::query(INSERT.as_str()).bind(enterprise), |q, c| (c.bind)(q, batch));
    let rows = query.fetch_all(db).await?;
    Ok(rows.iter().map(|row| row.try_get("id")).collect::<sqlx::Result<Vec<Uuid>>>()?)
}

/// A row of `events`, read back as the event its kiosk sent.
pub struct StoredEvent(pub WireEvent);

impl<'r> sqlx::FromRow<'r, PgRow> for StoredEvent {
    fn from_row(row: &'r PgRow) -> sqlx::Result<StoredEvent> {
        Ok(StoredEvent(WireEvent {
            id: row.try_get("id")?,
            kiosk_id: row.try_get("kiosk_id")?,
            seq: row.try_get("seq")?,
            gate: row.try_get("gate")?,
            person_kind: row.try_get("person_kind")?,
            person_ref: row.try_get("person_ref")?,
            direction: row.try_get("direction")?,
            at_ms: row.try_get("at_ms")?,
            offset_s: row.try_get("offset_s")?,
            method: row.try_get("method")?,
            verdict: row.try_get("verdict")?,
            reason: row.try_get("reason")?,
            badge_serial: row.try_get::<Option<i64>, _>("badge_serial")?.and_then(|s| u32::try_from(s).ok()),
            operator: row.try_get("operator")?,
            note: row.try_get("note")?,
            clock_offset_ms: row.try_get("clock_offset_ms")?,
            clock_flag: row.try_get("clock_flag")?,
            follows: row.try_get("follows")?,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_names_each_column_once_with_its_array() {
        assert_eq!(COLUMN_LIST.split(", ").count(), COLUMNS.len());
        let mut names: Vec<&str> = COLUMNS.iter().map(|c| c.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), COLUMNS.len(), "a column is listed twice");
        assert!(!names.contains(&"enterprise"), "the enterprise is the sender's, not the event's");
        // `$1` is the enterprise; the arrays follow it, one per column, none left over.
        let last = format!("${}::{}[])", COLUMNS.len() + 1, COLUMNS.last().unwrap().sql_type);
        assert!(INSERT.contains(&last), "{}", *INSERT);
        assert!(!INSERT.contains(&format!("${}", COLUMNS.len() + 2)));
    }
}
