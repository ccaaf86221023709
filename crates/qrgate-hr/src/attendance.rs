//! Attendance per worker per day, from the accepted events of every gate: the numbers HR pays by.
//!
//! The rules, in the order they apply (kiosk.conf `[attendance]` and `[[shift]]` tune them):
//! 1. Only accepted worker events with a direction count; refusals and visitors never do.
//! 2. Every scan is cut to the minute, as the export shows it, so each number can be redone by
//!    hand from the displayed times.
//! 3. Scans the same way less than `repeat_scan_minutes` apart are one passage: the earliest of a
//!    run of ins, the latest of a run of outs.
//! 4. An in followed by an out at most `longest_stay_hours` later is one stay; any other in lacks
//!    its out, any other out lacks its in.
//! 5. A stay belongs to the attendance day of its in (or of its out, when the in is missing). The
//!    day of a moment follows the worker's shift: days are cut halfway through the time off between
//!    two shifts, so a 22:00–06:00 shift belongs to the day it began and a 08:00–17:00 worker who
//!    leaves at 01:00 is still counted on the day they came. A worker without a known shift uses
//!    calendar days. The shift of a day is the one HR's schedule plans for it ([`crate::schedule`]),
//!    else the roster's; where two days' shifts differ, a day starts where its own shift puts it,
//!    and a moment belongs to the latest day that has started by then. A day planned off keeps
//!    the rhythm (the cut and the break) of the last shift planned before it.
//!
//!    A day before the worker's start date (roster) is not shown unless they scanned that day;
//!    likewise any day of an inactive worker.
//!
//! 6. Payroll's split of the worked minutes (Labour Code 2019, Art. 98, 105–107, 112), in
//!    [`PayMinutes`]: each worked minute is night if its wall-clock time is 22:00–06:00 (Art. 106),
//!    and of a public holiday if its calendar date is one ([`crate::holidays`]), so a night shift
//!    running into 1 January is holiday work after midnight. The shift's break that rule 5's
//!    worked time deducts is taken first from the minutes present in the break's window (the
//!    middle of the shift), then from the last minutes present. Of the remaining minutes not on a
//!    holiday, on the worker's weekly day off all are overtime on a day off; on a working day the
//!    first `length − break` are normal hours and the rest overtime. So `worked` is the sum of
//!    the eight figures and `overtime` is `worked − normal`.
//! 7. A day in lieu (Art. 111(3): a holiday of Art. 112(1) on the worker's weekly day off gives
//!    the next working day off, see [`crate::holidays::days_in_lieu`]) is a holiday for that
//!    worker, by their own days off: the status and the pay above treat it as one.
//!
//! Each accepted event therefore lands in exactly one day, which the property test checks.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, Offset, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use rusqlite::params;
use serde::Serialize;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::schedule::{Planned, Schedule};
use qrgate_core::config::{Config, Shift, WorkedTime};
use qrgate_core::model::{Direction, PersonRef, Verdict};
use qrgate_core::store::{Event, Store, Worker};

const MINUTES_PER_DAY: i64 = 24 * 60;
/// Longer ranges are a mistake at the prompt, not a report anyone reads.
pub const MAX_DAYS: i64 = 366;
/// The years a spreadsheet can show as dates (Excel's own range). Days beyond chrono's calendar
/// would overflow when a day's window is widened by a longest stay; these bounds keep every such
/// sum far from it, and no gate ever wrote an event outside them.
const FIRST_YEAR: i32 = 1900;
const LAST_YEAR: i32 = 9999;

/// A checked, inclusive range of attendance days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRange {
    first: NaiveDate,
    last: NaiveDate,
}

impl DayRange {
    pub fn new(first: NaiveDate, last: NaiveDate) -> Result<DayRange> {
        for day in [first, last] {
            if !(FIRST_YEAR..=LAST_YEAR).contains(&day.year()) {
                return Err(Error::invalid(
                    "date",
                    format!("{day} is outside the years {FIRST_YEAR} to {LAST_YEAR} that attendance and exports cover"),
                ));
            }
        }
        if last < first {
            return Err(Error::invalid("date range", format!("the end {last} is before the start {first}")));
        }
        let days = (last - first).num_days() + 1;
        if days > MAX_DAYS {
            return Err(Error::invalid("date range", format!("{days} days; at most {MAX_DAYS} at a time")));
        }
        Ok(DayRange { first, last })
    }

    pub fn one(day: NaiveDate) -> Result<DayRange> {
        DayRange::new(day, day)
    }

    pub fn first(&self) -> NaiveDate {
        self.first
    }

    pub fn last(&self) -> NaiveDate {
        self.last
    }

    pub fn len(&self) -> usize {
        (self.last - self.first).num_days() as usize + 1
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    pub fn contains(&self, day: NaiveDate) -> bool {
        self.first <= day && day <= self.last
    }

    pub fn days(&self) -> impl Iterator<Item = NaiveDate> {
        let first = self.first;
        (0..self.len() as i64).map(move |i| first + Duration::days(i))
    }

    fn index(&self, day: NaiveDate) -> usize {
        (day - self.first).num_days() as usize
    }
}

/// A worker's day as HR reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Present,
    Late,
    Absent,
    MissingOut,
    MissingIn,
    DayOff,
    /// A public holiday without a scan.
    Holiday,
}

impl Status {
    pub const ALL: [Status; 7] = [
        Status::Present,
        Status::Late,
        Status::Absent,
        Status::MissingOut,
        Status::MissingIn,
        Status::DayOff,
        Status::Holiday,
    ];

    /// Stable code for machines and the UI.
    pub fn code(self) -> &'static str {
        match self {
            Status::Present => "present",
            Status::Late => "late",
            Status::Absent => "absent",
            Status::MissingOut => "missing_out",
            Status::MissingIn => "missing_in",
            Status::DayOff => "day_off",
            Status::Holiday => "holiday",
        }
    }

    /// What the HR export shows.
    pub fn label(self) -> &'static str {
        match self {
            Status::Present => "Có mặt",
            Status::Late => "Đi muộn",
            Status::Absent => "Vắng",
            Status::MissingOut => "Thiếu giờ ra",
            Status::MissingIn => "Thiếu giờ vào",
            Status::DayOff => "Nghỉ",
            Status::Holiday => "Nghỉ lễ",
        }
    }
}

/// One stay on site: an in and its out, either of which may be missing. Local wall-clock times,
/// cut to the minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Stay {
    pub in_at: Option<NaiveDateTime>,
    pub out_at: Option<NaiveDateTime>,
}

/// One worker on one attendance day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttendanceDay {
    pub date: NaiveDate,
    /// Index into the workers the attendance was computed for.
    pub worker: usize,
    /// The worker's shift, when the roster names one kiosk.conf defines.
    pub shift: Option<String>,
    pub first_in: Option<NaiveDateTime>,
    pub last_out: Option<NaiveDateTime>,
    pub worked_minutes: u32,
    pub late_minutes: u32,
    pub early_leave_minutes: u32,
    /// Worked minutes past the normal hours: `worked_minutes − pay.normal()`.
    pub overtime_minutes: u32,
    /// The worked minutes as payroll splits them; they add up to `worked_minutes`.
    pub pay: PayMinutes,
    /// The day is a public holiday.
    pub holiday: bool,
    pub status: Status,
    /// Gates with a scan counted this day, sorted.
    pub gates: Vec<String>,
    pub stays: Vec<Stay>,
    /// The accepted events this day is made of: every one belongs to exactly one day.
    pub events: Vec<Uuid>,
}

/// A day's worked minutes as payroll pays them: normal hours, overtime on a working day, on a
/// weekly day off and on a public holiday, each by day (06:00–22:00) and night (22:00–06:00).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
pub struct PayMinutes {
    pub normal_day: u32,
    pub normal_night: u32,
    pub overtime_day: u32,
    pub overtime_night: u32,
    pub day_off_day: u32,
    pub day_off_night: u32,
    pub holiday_day: u32,
    pub holiday_night: u32,
}

/// The kinds of worked time payroll pays at different rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayKind {
    Normal,
    Overtime,
    DayOff,
    Holiday,
}

impl PayMinutes {
    /// The eight figures in the order the exports show them.
    pub fn figures(&self) -> [u32; 8] {
        [
            self.normal_day,
            self.normal_night,
            self.overtime_day,
            self.overtime_night,
            self.day_off_day,
            self.day_off_night,
            self.holiday_day,
            self.holiday_night,
        ]
    }

    pub fn total(&self) -> u32 {
        self.figures().iter().sum()
    }

    pub fn normal(&self) -> u32 {
        self.normal_day + self.normal_night
    }

    /// Every kind of overtime: on a working day, a day off and a holiday.
    pub fn overtime(&self) -> u32 {
        self.total() - self.normal()
    }

    pub fn night(&self) -> u32 {
        self.normal_night + self.overtime_night + self.day_off_night + self.holiday_night
    }

    pub fn add(&mut self, kind: PayKind, night: bool, minutes: u32) {
        let slot = match (kind, night) {
            (PayKind::Normal, false) => &mut self.normal_day,
            (PayKind::Normal, true) => &mut self.normal_night,
            (PayKind::Overtime, false) => &mut self.overtime_day,
            (PayKind::Overtime, true) => &mut self.overtime_night,
            (PayKind::DayOff, false) => &mut self.day_off_day,
            (PayKind::DayOff, true) => &mut self.day_off_night,
            (PayKind::Holiday, false) => &mut self.holiday_day,
            (PayKind::Holiday, true) => &mut self.holiday_night,
        };
        *slot += minutes;
    }
}

/// Whether a wall-clock time is night work (Labour Code Art. 106: 22:00 to 06:00).
pub fn is_night(at: NaiveDateTime) -> bool {
    let h = at.hour();
    !(6..22).contains(&h)
}

/// Minutes worked in a row, all of one calendar date and all day or all night. UTC minute numbers.
#[derive(Debug, Clone, Copy)]
struct Piece {
    start: i64,
    end: i64,
    date: NaiveDate,
    night: bool,
}

/// What attendance reads from one accepted worker event.
#[derive(Debug, Clone, Copy)]
struct Scan {
    worker: u32,
    at_ms: i64,
    direction: Direction,
    gate: u32,
    id: Uuid,
}

/// Scans the same way in a row, counted once.
struct Passage {
    direction: Direction,
    /// The earliest scan of a run of ins, the latest of a run of outs.
    at_ms: i64,
    scans: std::ops::Range<usize>,
}

struct StaySpan {
    in_ms: Option<i64>,
    out_ms: Option<i64>,
    scans: std::ops::Range<usize>,
}

/// A day of HR's schedule, with the shift as its index in `config.shifts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    Shift(usize),
    Off,
}

/// Workers' positions by employee code. A code shorter than 16 bytes is its own key, kept inline
/// with its length: a month's walk looks up millions of codes, and keys pointing into the roster's
/// scattered strings made every lookup a cache miss.
struct CodeIndex {
    short: HashMap<u128, u32>,
    long: HashMap<String, u32>,
}

impl CodeIndex {
    fn new(workers: &[Worker]) -> CodeIndex {
        let mut index = CodeIndex { short: HashMap::with_capacity(workers.len()), long: HashMap::new() };
        for (i, w) in workers.iter().enumerate() {
            let code = w.code.as_str();
            match inline_key(code) {
                Some(key) => index.short.insert(key, i as u32),
                None => index.long.insert(code.to_string(), i as u32),
            };
        }
        index
    }

    fn get(&self, code: &str) -> Option<u32> {
        match inline_key(code) {
            Some(key) => self.short.get(&key).copied(),
            None => self.long.get(code).copied(),
        }
    }
}

fn inline_key(code: &str) -> Option<u128> {
    let bytes = code.as_bytes();
    (bytes.len() < 16).then(|| {
        let mut key = [0u8; 16];
        key[..bytes.len()].copy_from_slice(bytes);
        key[15] = bytes.len() as u8;
        u128::from_le_bytes(key)
    })
}

/// How one worker's day is planned: its shift (for a day off, the rhythm it keeps) and whether
/// it is a weekly day off.
#[derive(Debug, Clone, Copy)]
struct DayPlan {
    shift: Option<usize>,
    day_off: bool,
}

/// How far back a day in lieu can be owed from: Tết and the weekends around it fit in it.
const IN_LIEU_REACH_DAYS: i64 = 21;

/// The rules and lookups shared by every day computed for one set of workers.
struct Rules<'a> {
    config: &'a Config,
    tz: Tz,
    /// A stretch of UTC milliseconds over which the zone's offset does not change, and that
    /// offset: inside it, wall-clock arithmetic skips the zone's tables (most of a month's
    /// cost was looking up an offset Vietnam has not changed since 1975).
    steady: Option<(i64, i64, FixedOffset)>,
    workers: &'a [Worker],
    /// Per worker, the index of their roster shift in `config.shifts`.
    shift_of: Vec<Option<usize>>,
    /// Per worker, HR's schedule, in date order.
    plans: Vec<Vec<(NaiveDate, Plan)>>,
    /// The holidays that earn a day in lieu, in order.
    in_lieu_sources: Vec<NaiveDate>,
    /// Per shift, where its attendance day starts, in minutes from local midnight (may be negative).
    anchors: Vec<i64>,
    gates: Vec<String>,
    gate_index: HashMap<String, u32>,
    /// Public holidays of the years around the days asked for.
    holidays: HashSet<NaiveDate>,
}

fn minute_of(ms: i64) -> i64 {
    ms.div_euclid(60_000)
}

fn shift_minutes(shift: &Shift) -> (i64, i64) {
    let minutes = |t: chrono::NaiveTime| i64::from(t.hour() * 60 + t.minute());
    let (start, end) = (minutes(shift.start), minutes(shift.end));
    let length = (end - start).rem_euclid(MINUTES_PER_DAY);
    (start, if length == 0 { MINUTES_PER_DAY } else { length })
}

/// Where a shift's attendance day starts: halfway through the time off before it.
fn anchor(shift: &Shift) -> i64 {
    let (start, length) = shift_minutes(shift);
    start - (MINUTES_PER_DAY - length) / 2
}

/// The start and end, in gate time, of the occurrence of `shift` that the moment `at` (gate
/// time) belongs to: the same cut as attendance days, halfway through the time off before it.
pub fn shift_around(shift: &Shift, at: NaiveDateTime) -> (NaiveDateTime, NaiveDateTime) {
    let (start, length) = shift_minutes(shift);
    let day = (at - Duration::minutes(anchor(shift))).date();
    let begins = day.and_hms_opt(0, 0, 0).expect("midnight") + Duration::minutes(start);
    (begins, begins + Duration::minutes(length))
}

fn shift_index(config: &Config, name: &str) -> Option<usize> {
    config.shifts.iter().position(|s| s.name == name)
}

/// A plan as attendance reads it; `None` for a shift kiosk.conf no longer defines, which is no
/// plan: the roster's shift holds.
fn plan_of(config: &Config, shift: Option<&str>) -> Option<Plan> {
    match shift {
        Some(name) => shift_index(config, name).map(Plan::Shift),
        None => Some(Plan::Off),
    }
}

/// `schedule`'s plans by the index of `workers`.
fn plans_from(config: &Config, workers: &[Worker], schedule: &Schedule) -> Vec<Vec<(NaiveDate, Plan)>> {
    workers
        .iter()
        .map(|w| {
            schedule.get(w.code.as_str()).map_or_else(Vec::new, |days| {
                days.iter()
                    .filter_map(|(d, p)| {
                        let shift = match p {
                            Planned::Shift(name) => Some(name.as_str()),
                            Planned::DayOff => None,
                        };
                        plan_of(config, shift).map(|plan| (*d, plan))
                    })
                    .collect()
            })
        })
        .collect()
}

/// The stored plans of `first..=last` by the index of `workers`, read without a string per plan.
fn stored_plans(
    store: &Store,
    config: &Config,
    index: &CodeIndex,
    workers: usize,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<Vec<Vec<(NaiveDate, Plan)>>> {
    let mut plans = vec![Vec::new(); workers];
    crate::schedule::each_plan(store, first, last, &mut |code, day, shift| {
        if let (Some(worker), Some(plan)) = (index.get(code), plan_of(config, shift)) {
            plans[worker as usize].push((day, plan));
        }
    })?;
    Ok(plans)
}

impl<'a> Rules<'a> {
    fn new(config: &'a Config, workers: &'a [Worker], plans: Vec<Vec<(NaiveDate, Plan)>>, days: DayRange) -> Rules<'a> {
        let shift_of = workers.iter().map(|w| shift_index(config, &w.shift)).collect();
        let (first_year, last_year) = (days.first().year() - 1, days.last().year() + 1);
        Rules {
            config,
            tz: config.time.timezone,
            steady: None,
            workers,
            shift_of,
            plans,
            in_lieu_sources: crate::holidays::in_lieu_sources(&config.holidays, first_year, last_year),
            anchors: config.shifts.iter().map(anchor).collect(),
            gates: Vec::new(),
            gate_index: HashMap::new(),
            holidays: crate::holidays::days_between(&config.holidays, first_year, last_year),
        }
    }

    fn scheduled(&self, worker: usize, date: NaiveDate) -> Option<Plan> {
        let plans = &self.plans[worker];
        plans.binary_search_by_key(&date, |p| p.0).ok().map(|i| plans[i].1)
    }

    /// The worker's plan for `date`: HR's schedule, else the roster's shift and its days off.
    fn plan(&self, worker: usize, date: NaiveDate) -> DayPlan {
        match self.scheduled(worker, date) {
            Some(Plan::Shift(s)) => DayPlan { shift: Some(s), day_off: false },
            Some(Plan::Off) => DayPlan { shift: self.rhythm(worker, date), day_off: true },
            None => {
                let shift = self.shift_of[worker];
                DayPlan {
                    shift,
                    day_off: shift.is_some_and(|s| self.config.shifts[s].days_off.contains(&date.weekday())),
                }
            }
        }
    }

    /// The shift a planned day off keeps the rhythm of: the last one planned in the week before,
    /// so a night-shift worker's day off does not start at the morning shift's hour and take
    /// the night they are still working; the roster's shift when none was planned.
    fn rhythm(&self, worker: usize, date: NaiveDate) -> Option<usize> {
        for back in 1..=7 {
            match self.scheduled(worker, date - Duration::days(back)) {
                Some(Plan::Shift(s)) => return Some(s),
                Some(Plan::Off) => continue,
                None => break,
            }
        }
        self.shift_of[worker]
    }

    /// Whether `date` is a holiday for this worker: a public one, or their day in lieu.
    fn holiday_for(&self, worker: usize, date: NaiveDate) -> bool {
        if self.holidays.contains(&date) {
            return true;
        }
        let from = date - Duration::days(IN_LIEU_REACH_DAYS);
        let near = self.in_lieu_sources.partition_point(|d| *d < from);
        if self.in_lieu_sources.get(near).is_none_or(|d| *d >= date) {
            return false;
        }
        crate::holidays::days_in_lieu(
            &self.in_lieu_sources,
            from,
            date,
            |d| self.holidays.contains(&d),
            |d| self.plan(worker, d).day_off,
        )
        .iter()
        .any(|(_, given)| *given == date)
    }

    /// `[from, to)` (UTC minutes) cut where the calendar date or day/night changes.
    fn pieces(&self, from: i64, to: i64, out: &mut Vec<Piece>) {
        let mut at = from;
        while at < to {
            let local = self.local(at * 60_000);
            let midnight = local.date().and_hms_opt(0, 0, 0).expect("midnight");
            let next = [6, 22, 24]
                .into_iter()
                .map(|h| midnight + Duration::hours(h))
                .find(|b| *b > local)
                .expect("midnight follows");
            let end = self.utc_minute(next).max(at + 1).min(to);
            out.push(Piece { start: at, end, date: local.date(), night: is_night(local) });
            at = end;
        }
    }

    fn gate(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.gate_index.get(name) {
            return i;
        }
        let i = self.gates.len() as u32;
        self.gates.push(name.to_string());
        self.gate_index.insert(name.to_string(), i);
        i
    }

    /// Marks `[from_ms, to_ms]` steady when the zone's offset is the same at every hour of it
    /// (no zone changes its clock twice within an hour), else leaves every conversion to the
    /// zone's tables.
    fn hold_zone(&mut self, from_ms: i64, to_ms: i64) {
        let offset_at = |ms: i64| {
            let utc = DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default();
            self.tz.offset_from_utc_datetime(&utc.naive_utc()).fix()
        };
        let first = offset_at(from_ms);
        let steady = (from_ms..to_ms).step_by(3_600_000).chain([to_ms]).all(|ms| offset_at(ms) == first);
        self.steady = steady.then_some((from_ms, to_ms, first));
    }

    fn local(&self, ms: i64) -> NaiveDateTime {
        if let Some((from, to, offset)) = self.steady {
            if (from..=to).contains(&ms) {
                let shifted = ms + i64::from(offset.local_minus_utc()) * 1000;
                return DateTime::<Utc>::from_timestamp_millis(shifted).unwrap_or_default().naive_utc();
            }
        }
        let utc = DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default();
        utc.with_timezone(&self.tz).naive_local()
    }

    /// The local wall-clock minute a scan shows as.
    fn local_minute(&self, ms: i64) -> NaiveDateTime {
        self.local(minute_of(ms) * 60_000)
    }

    /// Where the worker's attendance day `date` starts, in minutes from its local midnight.
    fn anchor_on(&self, worker: usize, date: NaiveDate) -> i64 {
        self.plan(worker, date).shift.map_or(0, |s| self.anchors[s])
    }

    /// The attendance day a moment belongs to: the latest day that has started by then. Every
    /// anchor lies within (−12 h, +24 h) of midnight, so it is the calendar day, the one before
    /// or the one after.
    fn day_of(&self, worker: usize, ms: i64) -> NaiveDate {
        let local = self.local(ms);
        let date = local.date();
        for day in [date + Duration::days(1), date] {
            let starts = day.and_hms_opt(0, 0, 0).expect("midnight") + Duration::minutes(self.anchor_on(worker, day));
            if local >= starts {
                return day;
            }
        }
        date - Duration::days(1)
    }

    /// The UTC minute a local wall-clock time falls on (the earlier one when clocks go back).
    fn utc_minute(&self, local: NaiveDateTime) -> i64 {
        if let Some((from, to, offset)) = self.steady {
            let ms = local.and_utc().timestamp_millis() - i64::from(offset.local_minus_utc()) * 1000;
            if (from..=to).contains(&ms) {
                return minute_of(ms);
            }
        }
        let at = self.tz.from_local_datetime(&local).earliest().unwrap_or_else(|| self.tz.from_utc_datetime(&local));
        minute_of(at.timestamp_millis())
    }

    /// The UTC span that holds every event that can shape the stays of `days`, for any worker.
    fn reach(&self, days: DayRange) -> (i64, i64) {
        let lo = self.anchors.iter().copied().chain([0]).min().unwrap_or(0);
        let hi = self.anchors.iter().copied().chain([0]).max().unwrap_or(0);
        // A stay of `day` starts inside the day and ends at most one longest stay later; the
        // scans before it that decide its pairing are at most one longest stay earlier.
        let margin = i64::from(self.config.attendance.longest_stay_hours) * 60
            + i64::from(self.config.attendance.repeat_scan_minutes);
        let start = days.first().and_hms_opt(0, 0, 0).expect("midnight") + Duration::minutes(lo - margin);
        let end =
            days.last().and_hms_opt(0, 0, 0).expect("midnight") + Duration::minutes(MINUTES_PER_DAY + hi + margin);
        (self.utc_minute(start) * 60_000, self.utc_minute(end) * 60_000)
    }

    /// Attendance for `days`, from scans sorted by time. `Days::Worked` leaves out the days a
    /// worker has no stay on, for sums that such a day adds nothing to (overtime).
    fn days(&self, scans: &[Scan], days: DayRange, which: Days, detail: Detail) -> Vec<AttendanceDay> {
        // The keys side by side and the position last, so an unstable sort is a stable one.
        let mut order: Vec<(u32, i64, u32)> =
            scans.iter().enumerate().map(|(i, s)| (s.worker, s.at_ms, i as u32)).collect();
        order.sort_unstable();
        let sorted: Vec<Scan> = order.iter().map(|&(_, _, i)| scans[i as usize]).collect();

        let n = self.workers.len();
        let mut grid: Vec<Vec<StaySpan>> = (0..n * days.len()).map(|_| Vec::new()).collect();
        let mut start = 0;
        while start < sorted.len() {
            let worker = sorted[start].worker as usize;
            let mut end = start;
            while end < sorted.len() && sorted[end].worker as usize == worker {
                end += 1;
            }
            for stay in self.stays(&sorted, start..end) {
                let at = stay.in_ms.or(stay.out_ms).expect("a stay has an in or an out");
                let day = self.day_of(worker, at);
                if days.contains(day) {
                    grid[days.index(day) * n + worker].push(stay);
                }
            }
            start = end;
        }

        let mut out = Vec::with_capacity(grid.len());
        for (cell, stays) in grid.into_iter().enumerate() {
            let (day, worker) = (days.first() + Duration::days((cell / n) as i64), cell % n);
            let w = &self.workers[worker];
            if stays.is_empty() && (which == Days::Worked || !w.active || w.started.is_some_and(|s| day < s)) {
                continue;
            }
            out.push(self.day(&sorted, day, worker, &stays, detail));
        }
        out
    }

    /// One worker's scans (a range of `sorted`) as passages, then stays.
    fn stays(&self, sorted: &[Scan], range: std::ops::Range<usize>) -> Vec<StaySpan> {
        let repeat_ms = i64::from(self.config.attendance.repeat_scan_minutes) * 60_000;
        let longest_ms = i64::from(self.config.attendance.longest_stay_hours) * 3_600_000;
        let mut passages: Vec<Passage> = Vec::new();
        for i in range {
            let scan = &sorted[i];
            if let Some(last) = passages.last_mut() {
                let previous = &sorted[last.scans.end - 1];
                if last.direction == scan.direction && scan.at_ms - previous.at_ms < repeat_ms {
                    last.scans.end = i + 1;
                    if scan.direction == Direction::Out {
                        last.at_ms = scan.at_ms;
                    }
                    continue;
                }
            }
            passages.push(Passage { direction: scan.direction, at_ms: scan.at_ms, scans: i..i + 1 });
        }

        let mut stays = Vec::new();
        let mut i = 0;
        while i < passages.len() {
            let p = &passages[i];
            match p.direction {
                Direction::In => match passages.get(i + 1) {
                    Some(next) if next.direction == Direction::Out && next.at_ms - p.at_ms <= longest_ms => {
                        stays.push(StaySpan {
                            in_ms: Some(p.at_ms),
                            out_ms: Some(next.at_ms),
                            scans: p.scans.start..next.scans.end,
                        });
                        i += 2;
                    }
                    _ => {
                        stays.push(StaySpan { in_ms: Some(p.at_ms), out_ms: None, scans: p.scans.clone() });
                        i += 1;
                    }
                },
                Direction::Out => {
                    stays.push(StaySpan { in_ms: None, out_ms: Some(p.at_ms), scans: p.scans.clone() });
                    i += 1;
                }
            }
        }
        stays
    }

    fn day(
        &self,
        sorted: &[Scan],
        date: NaiveDate,
        worker: usize,
        stays: &[StaySpan],
        detail: Detail,
    ) -> AttendanceDay {
        let rules = &self.config.attendance;
        let plan = self.plan(worker, date);
        let shift = plan.shift.map(|s| &self.config.shifts[s]);
        let day_off = plan.day_off;
        let holiday = self.holiday_for(worker, date);

        let first_in = stays.iter().filter_map(|s| s.in_ms).min().map(minute_of);
        let last_out = stays.iter().filter_map(|s| s.out_ms).max().map(minute_of);
        let missing_out = stays.iter().any(|s| s.out_ms.is_none());
        let missing_in = stays.iter().any(|s| s.in_ms.is_none());

        let presence = match rules.worked_time {
            WorkedTime::Pairs => {
                stays.iter().filter_map(|s| Some(minute_of(s.out_ms?) - minute_of(s.in_ms?))).sum::<i64>()
            }
            WorkedTime::Span => match (first_in, last_out) {
                (Some(i), Some(o)) if o > i => o - i,
                _ => 0,
            },
        };
        // Time already spent outside between two stays is a break taken; only the rest of the
        // shift's break is deducted, so a worker who scans out for lunch is not docked twice.
        let outside: i64 = match rules.worked_time {
            WorkedTime::Pairs => {
                stays.windows(2).filter_map(|w| Some(minute_of(w[1].in_ms?) - minute_of(w[0].out_ms?))).sum()
            }
            WorkedTime::Span => 0,
        };
        let break_minutes = shift.map_or(0, |s| i64::from(s.break_minutes));
        let worked = if presence > 0 { (presence - (break_minutes - outside).max(0)).max(0) } else { 0 };

        let (mut late, mut early) = (0, 0);
        let mut break_window = None;
        if let Some(shift) = shift {
            let (start, length) = shift_minutes(shift);
            let midnight = date.and_hms_opt(0, 0, 0).expect("midnight");
            let start_utc = self.utc_minute(midnight + Duration::minutes(start));
            let end_utc = self.utc_minute(midnight + Duration::minutes(start + length));
            let b = i64::from(shift.break_minutes).min(length);
            let break_start = midnight + Duration::minutes(start + (length - b) / 2);
            break_window = Some((self.utc_minute(break_start), self.utc_minute(break_start + Duration::minutes(b))));
            if !day_off && !holiday {
                if let (Some(first), false) = (first_in, stays.first().is_some_and(|s| s.in_ms.is_none())) {
                    let by = first - start_utc;
                    if by > i64::from(shift.late_grace_minutes) {
                        late = by;
                    }
                }
                if let (Some(last), false) = (last_out, stays.last().is_some_and(|s| s.out_ms.is_none())) {
                    let by = end_utc - last;
                    if by > i64::from(shift.early_grace_minutes) {
                        early = by;
                    }
                }
            }
        }

        // Payroll's split: the minutes present, less the break, by kind of day and by night.
        let mut present: Vec<(i64, i64)> = match rules.worked_time {
            WorkedTime::Pairs => {
                stays.iter().filter_map(|s| Some((minute_of(s.in_ms?), minute_of(s.out_ms?)))).collect()
            }
            WorkedTime::Span => match (first_in, last_out) {
                (Some(i), Some(o)) if o > i => vec![(i, o)],
                _ => Vec::new(),
            },
        };
        present.retain(|(a, b)| b > a);
        present.sort_unstable();
        let mut to_deduct = presence.max(0) - worked;
        if let Some((b0, b1)) = break_window {
            let mut kept = Vec::with_capacity(present.len() + 1);
            for (a, b) in present {
                let (lo, hi) = (a.max(b0), b.min(b1));
                let cut = (hi - lo).clamp(0, to_deduct);
                if cut == 0 {
                    kept.push((a, b));
                    continue;
                }
                to_deduct -= cut;
                if lo > a {
                    kept.push((a, lo));
                }
                if b > lo + cut {
                    kept.push((lo + cut, b));
                }
            }
            present = kept;
        }
        while to_deduct > 0 {
            let Some(last) = present.last_mut() else { break };
            let cut = (last.1 - last.0).min(to_deduct);
            last.1 -= cut;
            to_deduct -= cut;
            if last.1 == last.0 {
                present.pop();
            }
        }
        let mut pieces = Vec::new();
        for (a, b) in present {
            self.pieces(a, b, &mut pieces);
        }
        let mut normal_left = match shift {
            Some(_) if day_off => 0,
            Some(s) => shift_minutes(s).1 - i64::from(s.break_minutes),
            None => i64::MAX,
        };
        let mut pay = PayMinutes::default();
        for p in pieces {
            let n = p.end - p.start;
            if (p.date == date && holiday) || (p.date != date && self.holiday_for(worker, p.date)) {
                pay.add(PayKind::Holiday, p.night, clamp(n));
            } else if day_off {
                pay.add(PayKind::DayOff, p.night, clamp(n));
            } else {
                let normal = n.min(normal_left.max(0));
                normal_left -= normal;
                pay.add(PayKind::Normal, p.night, clamp(normal));
                pay.add(PayKind::Overtime, p.night, clamp(n - normal));
            }
        }
        let overtime = i64::from(pay.overtime());

        let status = if stays.is_empty() {
            if holiday {
                Status::Holiday
            } else if day_off {
                Status::DayOff
            } else {
                Status::Absent
            }
        } else if missing_out {
            Status::MissingOut
        } else if missing_in {
            Status::MissingIn
        } else if late > 0 {
            Status::Late
        } else {
            Status::Present
        };

        let (gates, stays_shown, events) = match detail {
            Detail::Full => {
                let mut gates: Vec<u32> =
                    stays.iter().flat_map(|s| sorted[s.scans.clone()].iter().map(|x| x.gate)).collect();
                gates.sort_unstable();
                gates.dedup();
                let mut gates: Vec<String> = gates.into_iter().map(|g| self.gates[g as usize].clone()).collect();
                gates.sort();
                let shown = stays
                    .iter()
                    .map(|s| Stay {
                        in_at: s.in_ms.map(|m| self.local_minute(m)),
                        out_at: s.out_ms.map(|m| self.local_minute(m)),
                    })
                    .collect();
                let events = stays.iter().flat_map(|s| sorted[s.scans.clone()].iter().map(|x| x.id)).collect();
                (gates, shown, events)
            }
            Detail::Figures => (Vec::new(), Vec::new(), Vec::new()),
        };

        AttendanceDay {
            date,
            worker,
            shift: shift.map(|s| s.name.clone()),
            first_in: first_in.map(|m| self.local(m * 60_000)),
            last_out: last_out.map(|m| self.local(m * 60_000)),
            worked_minutes: clamp(worked),
            late_minutes: clamp(late),
            early_leave_minutes: clamp(early),
            overtime_minutes: clamp(overtime),
            pay,
            holiday,
            status,
            gates,
            stays: stays_shown,
            events,
        }
    }
}

fn clamp(minutes: i64) -> u32 {
    minutes.clamp(0, i64::from(u32::MAX)) as u32
}

/// Attendance of `workers` on `days`, from `events` (any order; refusals, visitors and other
/// people's events are passed over). Pure: the same input always gives the same days, ordered by
/// date, then by the order of `workers`. An inactive worker appears only on days with a scan.
/// `schedule` holds HR's plans (an empty one: every day follows the roster's shift); it should
/// reach a week before `days`, as [`for_each_day`] loads it.
pub fn compute(
    config: &Config,
    workers: &[Worker],
    schedule: &Schedule,
    events: &[Event],
    days: DayRange,
) -> Vec<AttendanceDay> {
    let mut rules = Rules::new(config, workers, plans_from(config, workers, schedule), days);
    let (lo, hi) = rules.reach(days);
    rules.hold_zone(lo - DAY_MS, hi + DAY_MS);
    let index = CodeIndex::new(workers);
    // Openings nobody went through (the passage sensor's follow-ups) are no passages.
    let unpassed: std::collections::HashSet<uuid::Uuid> = events.iter().filter_map(|e| e.follows).collect();
    let mut scans = Vec::with_capacity(events.len());
    for e in events {
        let (Verdict::Accepted, Some(PersonRef::Worker(code)), Some(direction)) = (e.verdict, &e.person, e.direction)
        else {
            continue;
        };
        if unpassed.contains(&e.id) {
            continue;
        }
        let Some(worker) = index.get(code.as_str()) else { continue };
        let gate = rules.gate(&e.gate);
        scans.push(Scan { worker, at_ms: e.at.timestamp_millis(), direction, gate, id: e.id });
    }
    scans.sort_by_key(|s| s.at_ms);
    rules.days(&scans, days, Days::All, Detail::Full)
}

/// Which worker-days a walk gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Days {
    /// Every active worker's, a day without a scan included (an absence is a figure too).
    All,
    /// Only those with a stay: for a sum of worked time over many days, where the absences of
    /// 20,000 workers would be most of the work and add nothing.
    Worked,
}

/// Whether a walk gives what each day is made of or only its figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Every field of each day, its gates, stays and events included.
    Full,
    /// `gates`, `stays` and `events` left empty: for sums over a month of a big site, where they
    /// would be most of the allocations.
    Figures,
}

/// Attendance from the store, a week at a time, so a month for 20,000 workers never holds more
/// than about ten days of events. `each` gets every day in order; an error from it stops the walk.
pub fn for_each_day(
    store: &Store,
    config: &Config,
    workers: &[Worker],
    days: DayRange,
    detail: Detail,
    each: &mut dyn FnMut(NaiveDate, Vec<AttendanceDay>) -> Result<()>,
) -> Result<()> {
    walk(store, config, workers, days, Days::All, detail, each)
}

/// Each worker's overtime minutes over `days`, by the index of `workers`: the yearly total the
/// timesheet compares with the limit. Only days with a stay are computed, a month at a time, so
/// December's walk holds no more of the year's plans than October's.
pub fn overtime_minutes(store: &Store, config: &Config, workers: &[Worker], days: DayRange) -> Result<Vec<u64>> {
    let mut minutes = vec![0u64; workers.len()];
    let mut first = days.first();
    while first <= days.last() {
        let last = (first + Duration::days(30)).min(days.last());
        walk(store, config, workers, DayRange::new(first, last)?, Days::Worked, Detail::Figures, &mut |_, list| {
            for d in &list {
                minutes[d.worker] += u64::from(d.overtime_minutes);
            }
            Ok(())
        })?;
        first = last + Duration::days(1);
    }
    Ok(minutes)
}

fn walk(
    store: &Store,
    config: &Config,
    workers: &[Worker],
    days: DayRange,
    which: Days,
    detail: Detail,
    each: &mut dyn FnMut(NaiveDate, Vec<AttendanceDay>) -> Result<()>,
) -> Result<()> {
    // The plans of the days asked for, the week before them (a day off's rhythm, a day in lieu's
    // holiday) and the day after (where it starts).
    let index = CodeIndex::new(workers);
    let plans = stored_plans(
        store,
        config,
        &index,
        workers.len(),
        days.first() - Duration::days(IN_LIEU_REACH_DAYS.max(7)),
        days.last() + Duration::days(1),
    )?;
    let mut rules = Rules::new(config, workers, plans, days);
    // An opening nobody went through (the passage sensor's follow-up) is no passage. Most gates
    // have no sensor: one look at the follow-ups' own index spares them a lookup per scan.
    let followed: bool = store.connection().query_row(
        "SELECT EXISTS (SELECT 1 FROM events INDEXED BY events_followed WHERE follows IS NOT NULL)",
        [],
        |r| r.get(0),
    )?;
    let mut stmt = store.connection().prepare_cached(if followed {
        "SELECT id, person_ref, direction, at_ms, gate FROM events INDEXED BY events_by_time
         WHERE at_ms >= ?1 AND at_ms < ?2 AND verdict = 'accepted' AND person_kind = 'worker'
           AND direction IS NOT NULL AND NOT EXISTS (SELECT 1 FROM events f WHERE f.follows = events.id)
         ORDER BY at_ms, rowid_"
    } else {
        "SELECT id, person_ref, direction, at_ms, gate FROM events INDEXED BY events_by_time
         WHERE at_ms >= ?1 AND at_ms < ?2 AND verdict = 'accepted' AND person_kind = 'worker'
           AND direction IS NOT NULL
         ORDER BY at_ms, rowid_"
    })?;
    let mut buffer: Vec<Scan> = Vec::new();
    let mut loaded_to: Option<i64> = None;
    let mut first = days.first();
    while first <= days.last() {
        let chunk = DayRange { first, last: (first + Duration::days(WALK_DAYS - 1)).min(days.last()) };
        let (lo, hi) = rules.reach(chunk);
        rules.hold_zone(lo - DAY_MS, hi + DAY_MS);
        let from = loaded_to.map_or(lo, |t| t.max(lo));
        buffer.retain(|s| s.at_ms >= lo);
        if hi > from {
            let mut rows = stmt.query(params![from, hi])?;
            while let Some(row) = rows.next()? {
                let code = text_at(row, 1)?;
                let Some(worker) = index.get(code) else { continue };
                let direction = match text_at(row, 2)? {
                    "in" => Direction::In,
                    "out" => Direction::Out,
                    _ => continue,
                };
                let id = Uuid::parse_str(text_at(row, 0)?)
                    .map_err(|_| Error::invalid("event id", "not a UUID in the database"))?;
                let gate = rules.gate(text_at(row, 4)?);
                buffer.push(Scan { worker, at_ms: row.get(3)?, direction, gate, id });
            }
            loaded_to = Some(hi);
        }
        // Day-major, as `days` gives them: each day's rows follow one another.
        let mut computed = rules.days(&buffer, chunk, which, detail).into_iter().peekable();
        for day in chunk.days() {
            let mut today = Vec::new();
            while let Some(d) = computed.next_if(|d| d.date == day) {
                today.push(d);
            }
            each(day, today)?;
        }
        first = chunk.last + Duration::days(1);
    }
    Ok(())
}

/// Days computed together by a walk: every scan is read once, but a day's stays need the scans
/// a longest stay around it, so computing one day at a time would pair each scan about three
/// times over; a week at a time, about once, while a week of a big site's scans stays small.
const WALK_DAYS: i64 = 7;

const DAY_MS: i64 = 86_400_000;

/// Column `i` as text borrowed from the row: a month's walk reads millions of them.
pub(crate) fn text_at<'r>(row: &'r rusqlite::Row<'_>, i: usize) -> Result<&'r str> {
    row.get_ref(i)?.as_str().map_err(|e| not_text(i, e))
}

/// Column `i` as text or NULL, borrowed from the row.
pub(crate) fn optional_text_at<'r>(row: &'r rusqlite::Row<'_>, i: usize) -> Result<Option<&'r str>> {
    row.get_ref(i)?.as_str_or_null().map_err(|e| not_text(i, e))
}

fn not_text(i: usize, e: rusqlite::types::FromSqlError) -> Error {
    Error::from(rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e)))
}

/// [`for_each_day`] collected: convenient for a few days, wasteful for a month of a big site.
pub fn from_store(store: &Store, config: &Config, workers: &[Worker], days: DayRange) -> Result<Vec<AttendanceDay>> {
    let mut out = Vec::new();
    for_each_day(store, config, workers, days, Detail::Full, &mut |_, mut day| {
        out.append(&mut day);
        Ok(())
    })?;
    Ok(out)
}

/// Totals of a set of days, as the summary sheet shows them per department.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Rows (worker-days), and how many of them had each status, in [`Status::ALL`] order.
    pub days: u32,
    pub by_status: [u32; 7],
    pub worked_minutes: u64,
    pub late_minutes: u64,
    pub early_leave_minutes: u64,
    pub overtime_minutes: u64,
    /// The payroll split, in [`PayMinutes::figures`] order.
    pub pay: [u64; 8],
}

impl Totals {
    pub fn add(&mut self, day: &AttendanceDay) {
        self.days += 1;
        let i = Status::ALL.iter().position(|s| *s == day.status).expect("every status is listed");
        self.by_status[i] += 1;
        self.worked_minutes += u64::from(day.worked_minutes);
        self.late_minutes += u64::from(day.late_minutes);
        self.early_leave_minutes += u64::from(day.early_leave_minutes);
        self.overtime_minutes += u64::from(day.overtime_minutes);
        for (t, m) in self.pay.iter_mut().zip(day.pay.figures()) {
            *t += u64::from(m);
        }
    }

    pub fn count(&self, status: Status) -> u32 {
        self.by_status[Status::ALL.iter().position(|s| *s == status).expect("every status is listed")]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveTime;

    #[test]
    fn codes_short_and_long_are_found_and_never_confused() {
        let codes = ["A", "A1", "NV00001", "ABCDEFGHIJKLMNO", "ABCDEFGHIJKLMNOP", "ABCDEFGHIJKLMNOPQRSTUVWXYZ-2026"];
        let workers: Vec<Worker> = codes
            .iter()
            .map(|c| Worker {
                code: c.parse().unwrap(),
                full_name: String::new(),
                department: String::new(),
                shift: String::new(),
                phone: String::new(),
                active: true,
                badge_serial: 0,
                started: None,
            })
            .collect();
        let index = CodeIndex::new(&workers);
        for (i, c) in codes.iter().enumerate() {
            assert_eq!(index.get(c), Some(i as u32), "{c}");
        }
        // A stored text padded with NUL bytes is not the shorter code; a prefix is not the longer.
        for other in ["A\0", "A\0\0", "NV0000", "ABCDEFGHIJKLMN", "ABCDEFGHIJKLMNOPQ", "", "nv00001"] {
            assert_eq!(index.get(other), None, "{other:?}");
        }
    }

    fn shift(start: &str, end: &str) -> Shift {
        Shift {
            name: "S".into(),
            start: NaiveTime::parse_from_str(start, "%H:%M").unwrap(),
            end: NaiveTime::parse_from_str(end, "%H:%M").unwrap(),
            late_grace_minutes: 5,
            early_grace_minutes: 5,
            break_minutes: 0,
            days_off: Vec::new(),
        }
    }

    #[test]
    fn days_are_cut_halfway_through_the_time_off() {
        assert_eq!(anchor(&shift("08:00", "17:00")), 30);
        assert_eq!(anchor(&shift("22:00", "06:00")), 14 * 60);
        assert_eq!(anchor(&shift("06:00", "14:00")), -2 * 60);
        assert_eq!(shift_minutes(&shift("07:00", "07:00")), (7 * 60, MINUTES_PER_DAY));
    }

    #[test]
    fn an_entry_belongs_to_the_shift_it_came_for() {
        let t = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        let night = shift("22:00", "06:00");
        // Early, on time, or late after midnight: the night that began on the 24th.
        for entry in ["2026-11-24 21:40", "2026-11-24 22:00", "2026-11-25 01:30"] {
            assert_eq!(shift_around(&night, t(entry)), (t("2026-11-24 22:00"), t("2026-11-25 06:00")), "{entry}");
        }
        let office = shift("08:00", "17:00");
        assert_eq!(shift_around(&office, t("2026-11-25 07:45")), (t("2026-11-25 08:00"), t("2026-11-25 17:00")));
        assert_eq!(shift_around(&office, t("2026-11-25 23:50")).1, t("2026-11-25 17:00"));
        assert_eq!(shift_around(&office, t("2026-11-26 00:40")).1, t("2026-11-26 17:00"));
    }

    #[test]
    fn ranges() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let r = DayRange::new(d("2026-02-27"), d("2026-03-02")).unwrap();
        assert_eq!(r.len(), 4);
        assert_eq!(r.days().last(), Some(d("2026-03-02")));
        assert!(DayRange::new(d("2026-03-02"), d("2026-03-01")).unwrap_err().to_string().contains("before"));
        assert!(DayRange::new(d("2025-01-01"), d("2026-03-01")).is_err());
    }

    #[test]
    fn days_outside_the_calendar_are_refused_not_overflowed() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        for (first, last) in
            [("+262142-12-31", "+262142-12-31"), ("2026-01-01", "+10000-01-01"), ("1899-12-31", "1900-01-01")]
        {
            let e = DayRange::new(d(first), d(last)).unwrap_err();
            assert_eq!(e.code(), qrgate_core::Code::InvalidInput, "{first}..{last}");
            assert!(e.to_string().contains("outside the years 1900 to 9999"), "{e}");
        }
        assert!(DayRange::one(NaiveDate::MAX).is_err());
        assert_eq!(DayRange::new(d("9999-12-31"), d("9999-12-31")).unwrap().len(), 1);
        assert_eq!(DayRange::one(d("1900-01-01")).unwrap().len(), 1);
    }
}
