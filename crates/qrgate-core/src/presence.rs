//! Who is inside: the one rule, and the `presence` table the database keeps beside the event log.
//!
//! The table holds each person's latest passage (their last accepted event with a direction).
//! "Last" is the order a kiosk wrote its events in (its sequence number) among one kiosk's events,
//! and their times between kiosks: a kiosk's clock may jump, but it never writes out of order.
//! A trigger on `events` moves it in
//! the transaction that inserts the event, whoever inserts it: this gate, sync from other gates,
//! demo seeding. Reading it costs the same on the first day and after a year of history.
//!
//! "Inside" is then one rule, [`InsideRule`]: a person is inside when their latest passage is an
//! entry no further than `[attendance] longest_stay_hours` from now; an older entry is a forgotten
//! exit, and one dated that far ahead was written by a clock that was wrong, so says nothing of now. The
//! gate's `auto` direction, the guard screen's counts and the evacuation list all ask it.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use crate::config::Config;
use crate::error::Result;
use crate::model::{Direction, PersonRef};
use crate::store::{Event, Store, EVENT_COLUMNS};

/// How many people are inside, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct InsideCounts {
    pub workers: usize,
    pub visitors: usize,
}

/// A person's latest passage through any gate of the enterprise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passage {
    pub direction: Direction,
    pub at: DateTime<Utc>,
    pub kiosk_id: String,
    pub seq: i64,
}

/// The one definition of "inside".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InsideRule {
    longest_stay: Duration,
}

impl InsideRule {
    pub fn new(longest_stay_hours: u32) -> InsideRule {
        InsideRule { longest_stay: Duration::hours(i64::from(longest_stay_hours)) }
    }

    /// The rule kiosk.conf sets (`[attendance] longest_stay_hours`).
    pub fn of(config: &Config) -> InsideRule {
        InsideRule::new(config.attendance.longest_stay_hours)
    }

    /// The oldest entry that is still a stay at `now`. Anything older lacks its exit: nobody
    /// stays longer, so the person left without scanning out.
    pub fn oldest_stay(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - self.longest_stay
    }

    /// The newest entry that is still a stay at `now`: an entry dated further ahead came from a
    /// clock that was wrong (a kiosk that once read 2099 must not keep a worker inside for ever).
    pub fn newest_stay(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now + self.longest_stay
    }

    /// Where a person stands at `now`, given their latest passage: `In` when inside, `Out` when
    /// their last passage was an exit, `None` when nothing is known or the entry is no stay.
    pub fn standing(&self, passage: Option<&Passage>, now: DateTime<Utc>) -> Option<Direction> {
        let p = passage?;
        match p.direction {
            Direction::In if p.at < self.oldest_stay(now) || p.at > self.newest_stay(now) => None,
            d => Some(d),
        }
    }
}

impl Store {
    /// `person`'s latest passage, from the presence table: one key lookup, whatever the history.
    pub fn passage(&self, person: &PersonRef) -> Result<Option<Passage>> {
        let mut stmt = self.connection().prepare_cached(
            "SELECT direction, at_ms, kiosk_id, seq FROM presence WHERE person_kind = ?1 AND person_ref = ?2",
        )?;
        let row = stmt
            .query_row(params![person.kind(), person.key()], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(3)?))
            })
            .optional()?;
        Ok(row.and_then(|(direction, at_ms, kiosk_id, seq)| {
            Some(Passage {
                direction: direction.parse().ok()?,
                at: DateTime::<Utc>::from_timestamp_millis(at_ms)?,
                kiosk_id,
                seq,
            })
        }))
    }

    /// Everyone inside at `now` with the event they entered by, by kind then person.
    pub fn inside(&self, rule: InsideRule, now: DateTime<Utc>) -> Result<Vec<(PersonRef, Event)>> {
        let mut stmt = self.connection().prepare_cached(&format!(
            "SELECT {EVENT_COLUMNS} FROM events
             WHERE rowid_ IN (SELECT event FROM presence WHERE direction = 'in' AND at_ms BETWEEN ?1 AND ?2)
             ORDER BY person_kind, person_ref"
        ))?;
        let window = [rule.oldest_stay(now).timestamp_millis(), rule.newest_stay(now).timestamp_millis()];
        let rows = stmt.query_map(window, Event::from_row)?;
        let mut out = Vec::new();
        for e in rows {
            let e = e?;
            if let Some(p) = e.person.clone() {
                out.push((p, e));
            }
        }
        Ok(out)
    }

    /// How many are inside at `now`, by kind, for the guard screen's counters.
    pub fn inside_counts(&self, rule: InsideRule, now: DateTime<Utc>) -> Result<InsideCounts> {
        let mut stmt = self.connection().prepare_cached(
            "SELECT person_kind, COUNT(*) FROM presence
             WHERE direction = 'in' AND at_ms BETWEEN ?1 AND ?2 GROUP BY person_kind",
        )?;
        let mut counts = InsideCounts::default();
        let mut rows =
            stmt.query([rule.oldest_stay(now).timestamp_millis(), rule.newest_stay(now).timestamp_millis()])?;
        while let Some(r) = rows.next()? {
            let n = r.get::<_, i64>(1)? as usize;
            match r.get_ref(0)?.as_str().unwrap_or_default() {
                "worker" => counts.workers = n,
                "visitor" => counts.visitors = n,
                _ => {}
            }
        }
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passage(direction: Direction, at: &str) -> Passage {
        Passage { direction, at: at.parse().unwrap(), kiosk_id: "gate-1".into(), seq: 1 }
    }

    #[test]
    fn an_entry_older_than_the_longest_stay_is_a_forgotten_exit() {
        let rule = InsideRule::new(24);
        let now: DateTime<Utc> = "2026-11-26T08:00:00Z".parse().unwrap();
        let entry = passage(Direction::In, "2026-11-25T08:00:00Z");
        assert_eq!(rule.standing(Some(&entry), now), Some(Direction::In), "exactly the longest stay still counts");
        let older = passage(Direction::In, "2026-11-25T07:59:59.999Z");
        assert_eq!(rule.standing(Some(&older), now), None);
        let ahead = passage(Direction::In, "2026-11-27T08:00:00Z");
        assert_eq!(rule.standing(Some(&ahead), now), Some(Direction::In), "a clock a day ahead: still a stay");
        let far_ahead = passage(Direction::In, "2099-01-01T00:00:00Z");
        assert_eq!(rule.standing(Some(&far_ahead), now), None, "an entry dated 2099 says nothing of now");
        let exit = passage(Direction::Out, "2026-01-01T00:00:00Z");
        assert_eq!(rule.standing(Some(&exit), now), Some(Direction::Out), "an exit stays an exit");
        assert_eq!(rule.standing(None, now), None);
    }
}
