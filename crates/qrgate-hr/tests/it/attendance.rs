//! Attendance: the hard days HR argues about, a property over random event logs, and the store path.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use qrgate_core::config::{Config, WorkedTime};
use qrgate_core::model::{Direction, Method, PersonRef, Verdict};
use qrgate_core::store::{Event, Identity, Store, Worker};
use qrgate_hr::attendance::{self, AttendanceDay, DayRange, Status};
use qrgate_hr::roster::{self, RosterRow};
use qrgate_hr::schedule::Schedule;
use uuid::Uuid;

const HANOI: i32 = 7 * 3600;

pub fn worker(code: &str, department: &str, shift: &str) -> Worker {
    Worker {
        code: code.parse().unwrap(),
        full_name: format!("Công nhân {code}"),
        department: department.into(),
        shift: shift.into(),
        phone: String::new(),
        active: true,
        badge_serial: 1,
        started: None,
    }
}

/// A local Vietnamese wall-clock time, "2026-11-23 07:58" or with seconds.
pub fn local(text: &str) -> DateTime<FixedOffset> {
    let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M"))
        .unwrap_or_else(|_| panic!("bad fixture time {text}"));
    FixedOffset::east_opt(HANOI).unwrap().from_local_datetime(&naive).unwrap()
}

pub fn naive(text: &str) -> NaiveDateTime {
    local(text).naive_local()
}

pub fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

/// An event as a gate would have written it; `n` makes the id.
pub fn event(n: u128, person: PersonRef, direction: Direction, at: &str, gate: &str, verdict: Verdict) -> Event {
    Event {
        id: Uuid::from_u128(n),
        kiosk_id: "gate-1".into(),
        seq: n as i64,
        gate: gate.into(),
        person: Some(person),
        direction: Some(direction),
        at: local(at),
        method: Method::Badge,
        verdict,
        reason: (verdict == Verdict::Refused).then(|| "revoked".into()),
        badge_serial: Some(1),
        operator: None,
        note: None,
        clock_offset_ms: None,
        clock_flag: None,
        follows: None,
        lane: None,
    }
}

fn w(code: &str) -> PersonRef {
    PersonRef::Worker(code.parse().unwrap())
}

/// (direction, local time, gate) as the hard-day table writes them.
type Scan = (Direction, &'static str, &'static str);

struct Case {
    name: &'static str,
    shift: &'static str,
    scans: &'static [Scan],
    day: &'static str,
    status: Status,
    first_in: Option<&'static str>,
    last_out: Option<&'static str>,
    worked: u32,
    late: u32,
    early: u32,
    overtime: u32,
    gates: &'static [&'static str],
}

use Direction::{In, Out};

const A: &str = "Cổng A";
const B: &str = "Cổng B";

/// 2026-11-23 is a Monday; 2026-11-29 the Sunday, a day off by default.
const CASES: &[Case] = &[
    Case {
        name: "an ordinary office day",
        shift: "HC",
        scans: &[(In, "2026-11-23 07:55", A), (Out, "2026-11-23 17:02", A)],
        day: "2026-11-23",
        status: Status::Present,
        first_in: Some("2026-11-23 07:55"),
        last_out: Some("2026-11-23 17:02"),
        worked: 547 - 60,
        late: 0,
        early: 0,
        overtime: 7,
        gates: &[A],
    },
    Case {
        name: "night shift across midnight belongs to the day it began",
        shift: "CA3",
        scans: &[(In, "2026-11-23 21:50", A), (Out, "2026-11-24 06:05", A)],
        day: "2026-11-23",
        status: Status::Present,
        first_in: Some("2026-11-23 21:50"),
        last_out: Some("2026-11-24 06:05"),
        worked: 495 - 30,
        late: 0,
        early: 0,
        overtime: 15,
        gates: &[A],
    },
    Case {
        name: "night shift arriving late after midnight is still that shift",
        shift: "CA3",
        scans: &[(In, "2026-11-24 00:30", A), (Out, "2026-11-24 06:00", A)],
        day: "2026-11-23",
        status: Status::Late,
        first_in: Some("2026-11-24 00:30"),
        last_out: Some("2026-11-24 06:00"),
        worked: 330 - 30,
        late: 150,
        early: 0,
        overtime: 0,
        gates: &[A],
    },
    Case {
        name: "a forgotten out",
        shift: "HC",
        scans: &[(In, "2026-11-23 07:58", A), (In, "2026-11-24 07:59", A), (Out, "2026-11-24 17:00", A)],
        day: "2026-11-23",
        status: Status::MissingOut,
        first_in: Some("2026-11-23 07:58"),
        last_out: None,
        worked: 0,
        late: 0,
        early: 0,
        overtime: 0,
        gates: &[A],
    },
    Case {
        name: "the day after a forgotten out is whole",
        shift: "HC",
        scans: &[(In, "2026-11-23 07:58", A), (In, "2026-11-24 07:59", A), (Out, "2026-11-24 17:00", A)],
        day: "2026-11-24",
        status: Status::Present,
        first_in: Some("2026-11-24 07:59"),
        last_out: Some("2026-11-24 17:00"),
        worked: 541 - 60,
        late: 0,
        early: 0,
        overtime: 1,
        gates: &[A],
    },
    Case {
        name: "a double scan at two gates is one entry",
        shift: "HC",
        scans: &[(In, "2026-11-23 07:58:00", A), (In, "2026-11-23 07:58:40", B), (Out, "2026-11-23 17:00", A)],
        day: "2026-11-23",
        status: Status::Present,
        first_in: Some("2026-11-23 07:58"),
        last_out: Some("2026-11-23 17:00"),
        worked: 542 - 60,
        late: 0,
        early: 0,
        overtime: 2,
        gates: &[A, B],
    },
    Case {
        name: "a double scan out keeps the last",
        shift: "HC",
        scans: &[(In, "2026-11-23 08:00", A), (Out, "2026-11-23 17:00", A), (Out, "2026-11-23 17:10", A)],
        day: "2026-11-23",
        status: Status::Present,
        first_in: Some("2026-11-23 08:00"),
        last_out: Some("2026-11-23 17:10"),
        worked: 550 - 60,
        late: 0,
        early: 0,
        overtime: 10,
        gates: &[A],
    },
    Case {
        name: "in at one gate, out at another",
        shift: "HC",
        scans: &[(In, "2026-11-23 08:00", B), (Out, "2026-11-23 17:00", A)],
        day: "2026-11-23",
        status: Status::Present,
        first_in: Some("2026-11-23 08:00"),
        last_out: Some("2026-11-23 17:00"),
        worked: 480,
        late: 0,
        early: 0,
        overtime: 0,
        gates: &[A, B],
    },
    Case {
        name: "in exactly at the grace limit is on time",
        shift: "HC",
        scans: &[(In, "2026-11-23 08:05:00", A), (Out, "2026-11-23 16:55:00", A)],
        day: "2026-11-23",
        status: Status::Present,
        first_in: Some("2026-11-23 08:05"),
        last_out: Some("2026-11-23 16:55"),
        worked: 530 - 60,
        late: 0,
        early: 0,
        overtime: 0,
        gates: &[A],
    },
    Case {
        name: "seconds inside the grace minute do not make it late",
        shift: "HC",
        scans: &[(In, "2026-11-23 08:05:59", A), (Out, "2026-11-23 17:00", A)],
        day: "2026-11-23",
        status: Status::Present,
        first_in: Some("2026-11-23 08:05"),
        last_out: Some("2026-11-23 17:00"),
        worked: 535 - 60,
        late: 0,
        early: 0,
        overtime: 0,
        gates: &[A],
    },
    Case {
        name: "one minute past the grace is late by the whole delay",
        shift: "HC",
        scans: &[(In, "2026-11-23 08:06:00", A), (Out, "2026-11-23 16:54:59", A)],
        day: "2026-11-23",
        status: Status::Late,
        first_in: Some("2026-11-23 08:06"),
        last_out: Some("2026-11-23 16:54"),
        worked: 528 - 60,
        late: 6,
        early: 6,
        overtime: 0,
        gates: &[A],
    },
    Case {
        name: "staying overnight counts on the day of arrival",
        shift: "HC",
        scans: &[(In, "2026-11-23 08:00", A), (Out, "2026-11-24 02:30", B)],
        day: "2026-11-23",
        status: Status::Present,
        first_in: Some("2026-11-23 08:00"),
        last_out: Some("2026-11-24 02:30"),
        worked: 1110 - 60,
        late: 0,
        early: 0,
        overtime: 1050 - 480,
        gates: &[A, B],
    },
    Case {
        name: "the morning after an overnight stay is an absence, not a second day",
        shift: "HC",
        scans: &[(In, "2026-11-23 08:00", A), (Out, "2026-11-24 02:30", B)],
        day: "2026-11-24",
        status: Status::Absent,
        first_in: None,
        last_out: None,
        worked: 0,
        late: 0,
        early: 0,
        overtime: 0,
        gates: &[],
    },
    Case {
        name: "a forgotten out and a forgotten in are two broken days, not a 33-hour stay",
        shift: "HC",
        scans: &[(In, "2026-11-23 08:00", A), (Out, "2026-11-24 17:00", A)],
        day: "2026-11-24",
        status: Status::MissingIn,
        first_in: None,
        last_out: Some("2026-11-24 17:00"),
        worked: 0,
        late: 0,
        early: 0,
        overtime: 0,
        gates: &[A],
    },
    Case {
        name: "lunch outside counts toward the break",
        shift: "HC",
        scans: &[
            (In, "2026-11-23 08:00", A),
            (Out, "2026-11-23 12:00", A),
            (In, "2026-11-23 12:30", A),
            (Out, "2026-11-23 17:00", A),
        ],
        day: "2026-11-23",
        status: Status::Present,
        first_in: Some("2026-11-23 08:00"),
        last_out: Some("2026-11-23 17:00"),
        worked: 510 - 30,
        late: 0,
        early: 0,
        overtime: 0,
        gates: &[A],
    },
    Case {
        name: "a weekly day off without scans",
        shift: "HC",
        scans: &[],
        day: "2026-11-29",
        status: Status::DayOff,
        first_in: None,
        last_out: None,
        worked: 0,
        late: 0,
        early: 0,
        overtime: 0,
        gates: &[],
    },
    Case {
        name: "work on a day off is all overtime",
        shift: "HC",
        scans: &[(In, "2026-11-29 08:20", A), (Out, "2026-11-29 12:00", A)],
        day: "2026-11-29",
        status: Status::Present,
        first_in: Some("2026-11-29 08:20"),
        last_out: Some("2026-11-29 12:00"),
        worked: 220 - 60,
        late: 0,
        early: 0,
        overtime: 160,
        gates: &[A],
    },
    Case {
        name: "no scan on a working day",
        shift: "CA1",
        scans: &[],
        day: "2026-11-23",
        status: Status::Absent,
        first_in: None,
        last_out: None,
        worked: 0,
        late: 0,
        early: 0,
        overtime: 0,
        gates: &[],
    },
    Case {
        name: "a shift the configuration does not know uses calendar days and no lateness",
        shift: "NOPE",
        scans: &[(In, "2026-11-23 09:30", A), (Out, "2026-11-23 15:00", A)],
        day: "2026-11-23",
        status: Status::Present,
        first_in: Some("2026-11-23 09:30"),
        last_out: Some("2026-11-23 15:00"),
        worked: 330,
        late: 0,
        early: 0,
        overtime: 0,
        gates: &[A],
    },
];

fn compute_one(config: &Config, workers: &[Worker], events: &[Event], on: NaiveDate) -> Vec<AttendanceDay> {
    attendance::compute(
        config,
        workers,
        &Schedule::new(),
        events,
        DayRange::new(on - Duration::days(1), on + Duration::days(1)).unwrap(),
    )
    .into_iter()
    .filter(|d| d.date == on)
    .collect()
}

#[test]
fn hard_days() {
    let config = Config::default();
    for case in CASES {
        let workers = vec![worker("NV001", "May 1", case.shift)];
        let events: Vec<Event> = case
            .scans
            .iter()
            .enumerate()
            .map(|(i, (d, at, gate))| event(i as u128 + 1, w("NV001"), *d, at, gate, Verdict::Accepted))
            .collect();
        let days = compute_one(&config, &workers, &events, day(case.day));
        assert_eq!(days.len(), 1, "{}", case.name);
        let d = &days[0];
        let got = (d.status, d.first_in, d.last_out, d.worked_minutes, d.late_minutes, d.early_leave_minutes);
        let want =
            (case.status, case.first_in.map(naive), case.last_out.map(naive), case.worked, case.late, case.early);
        assert_eq!(got, want, "{}", case.name);
        assert_eq!(d.overtime_minutes, case.overtime, "{}: overtime", case.name);
        assert_eq!(d.gates, case.gates, "{}: gates", case.name);
    }
}

#[test]
fn visitors_and_refusals_do_not_count() {
    let config = Config::default();
    let workers = vec![worker("NV001", "May 1", "HC")];
    let visitor = PersonRef::Visitor("v-7f3a".into());
    let events = vec![
        event(1, visitor.clone(), In, "2026-11-23 09:00", A, Verdict::Accepted),
        event(2, visitor, Out, "2026-11-23 10:00", A, Verdict::Accepted),
        event(3, w("NV001"), In, "2026-11-23 08:00", A, Verdict::Refused),
        event(4, w("NV001"), Out, "2026-11-23 17:00", A, Verdict::Refused),
        event(5, w("NV999"), In, "2026-11-23 08:00", A, Verdict::Accepted),
    ];
    let days = compute_one(&config, &workers, &events, day("2026-11-23"));
    assert_eq!(days.len(), 1, "one row, for the one worker on the roster");
    assert_eq!(days[0].status, Status::Absent);
    assert!(days[0].events.is_empty());
}

#[test]
fn an_entry_nobody_went_through_does_not_count_in_the_store_walk_or_the_pure_function() {
    let dir = tempfile::tempdir().unwrap();
    let workers = vec![worker("NV001", "May 1", "HC")];
    let mut store = store_with(dir.path(), &workers);
    // 07:50 the gate opened but nobody went through (the follow-up at 07:50:10); 07:58 the real
    // entry; 17:05 out.
    let unpassed = event(1, w("NV001"), In, "2026-11-23 07:50", A, Verdict::Accepted);
    let follow_up = Event {
        verdict: Verdict::NotPassed,
        follows: Some(unpassed.id),
        ..event(2, w("NV001"), In, "2026-11-23 07:50:10", A, Verdict::Accepted)
    };
    let events = vec![
        unpassed,
        follow_up,
        event(3, w("NV001"), In, "2026-11-23 07:58", A, Verdict::Accepted),
        event(4, w("NV001"), Out, "2026-11-23 17:05", A, Verdict::Accepted),
    ];
    store.insert_events(&events).unwrap();
    let config = Config::default();
    let on = day("2026-11-23");
    let pure = compute_one(&config, &store.workers(None, None).unwrap(), &events, on);
    assert_eq!(pure[0].first_in, Some(naive("2026-11-23 07:58")), "the 07:50 opening is no arrival");
    assert_eq!(pure[0].events.len(), 2, "{:?}", pure[0].events);
    let range = DayRange::new(on - Duration::days(1), on + Duration::days(1)).unwrap();
    let walked = attendance::from_store(&store, &config, &store.workers(None, None).unwrap(), range).unwrap();
    let walked: Vec<AttendanceDay> = walked.into_iter().filter(|d| d.date == on).collect();
    assert_eq!(walked, pure);
}

#[test]
fn span_mode_counts_from_first_in_to_last_out() {
    let mut config = Config::default();
    config.attendance.worked_time = WorkedTime::Span;
    let workers = vec![worker("NV001", "May 1", "HC")];
    let events = vec![
        event(1, w("NV001"), In, "2026-11-23 08:00", A, Verdict::Accepted),
        event(2, w("NV001"), Out, "2026-11-23 11:00", A, Verdict::Accepted),
        event(3, w("NV001"), In, "2026-11-23 14:00", A, Verdict::Accepted),
        event(4, w("NV001"), Out, "2026-11-23 17:00", A, Verdict::Accepted),
    ];
    let d = &compute_one(&config, &workers, &events, day("2026-11-23"))[0];
    assert_eq!(d.worked_minutes, 540 - 60);
    config.attendance.worked_time = WorkedTime::Pairs;
    let d = &compute_one(&config, &workers, &events, day("2026-11-23"))[0];
    assert_eq!(d.worked_minutes, 360, "three hours outside cover the one-hour break");
}

#[test]
fn inactive_workers_appear_only_when_they_scanned() {
    let config = Config::default();
    let mut gone = worker("NV002", "May 1", "HC");
    gone.active = false;
    let workers = vec![worker("NV001", "May 1", "HC"), gone];
    let days = compute_one(&config, &workers, &[], day("2026-11-23"));
    assert_eq!(days.iter().map(|d| d.worker).collect::<Vec<_>>(), vec![0]);
}

// ---- the property -----------------------------------------------------------------------------

/// A straightforward recomputation of worked minutes per (worker, day), written from the rules
/// as kiosk.conf states them, without the engine's grouping.
fn reference_worked(
    config: &Config,
    workers: &[Worker],
    events: &[Event],
) -> std::collections::HashMap<(usize, NaiveDate), u32> {
    let rules = &config.attendance;
    let mut out = std::collections::HashMap::new();
    for (wi, wk) in workers.iter().enumerate() {
        let mut mine: Vec<&Event> = events
            .iter()
            .filter(|e| e.verdict == Verdict::Accepted && e.person == Some(PersonRef::Worker(wk.code.clone())))
            .collect();
        mine.sort_by_key(|e| e.at.timestamp_millis());
        // Passages: runs of the same direction, each scan less than repeat_scan_minutes after the last.
        let mut passages: Vec<(Direction, i64)> = Vec::new();
        let mut last: Option<(Direction, i64)> = None;
        for e in &mine {
            let (d, t) = (e.direction.unwrap(), e.at.timestamp_millis());
            let same = last.is_some_and(|(ld, lt)| ld == d && t - lt < i64::from(rules.repeat_scan_minutes) * 60_000);
            if same {
                if d == Direction::Out {
                    passages.last_mut().unwrap().1 = t;
                }
            } else {
                passages.push((d, t));
            }
            last = Some((d, t));
        }
        let mut stays: Vec<(Option<i64>, Option<i64>)> = Vec::new();
        let mut i = 0;
        while i < passages.len() {
            let (d, t) = passages[i];
            let next = passages.get(i + 1);
            if d == Direction::In
                && next.is_some_and(|&(nd, nt)| {
                    nd == Direction::Out && nt - t <= i64::from(rules.longest_stay_hours) * 3_600_000
                })
            {
                stays.push((Some(t), Some(next.unwrap().1)));
                i += 2;
            } else if d == Direction::In {
                stays.push((Some(t), None));
                i += 1;
            } else {
                stays.push((None, Some(t)));
                i += 1;
            }
        }
        let shift = config.shift(&wk.shift);
        let shift_start_day_offset = shift.map_or(0, |s| {
            let start = i64::from(
                s.start.format("%H").to_string().parse::<u32>().unwrap() * 60
                    + s.start.format("%M").to_string().parse::<u32>().unwrap(),
            );
            let end = i64::from(
                s.end.format("%H").to_string().parse::<u32>().unwrap() * 60
                    + s.end.format("%M").to_string().parse::<u32>().unwrap(),
            );
            let mut length = (end - start + 1440) % 1440;
            if length == 0 {
                length = 1440;
            }
            start - (1440 - length) / 2
        });
        // Each stay as (entry, exit) minutes, either side possibly missing.
        type Stays = Vec<(Option<i64>, Option<i64>)>;
        let mut per_day: std::collections::BTreeMap<NaiveDate, Stays> = Default::default();
        for s in stays {
            let t = s.0.or(s.1).unwrap();
            let local = Utc.timestamp_millis_opt(t).unwrap().with_timezone(&config.time.timezone).naive_local();
            let d = (local - Duration::minutes(shift_start_day_offset)).date();
            per_day.entry(d).or_default().push(s);
        }
        for (d, stays) in per_day {
            let minute = |ms: i64| ms.div_euclid(60_000);
            let present: i64 = stays.iter().filter_map(|s| Some(minute(s.1?) - minute(s.0?))).sum();
            let outside: i64 = stays.windows(2).filter_map(|p| Some(minute(p[1].0?) - minute(p[0].1?))).sum();
            let brk = shift.map_or(0, |s| i64::from(s.break_minutes));
            let worked = if present > 0 { (present - (brk - outside).max(0)).max(0) } else { 0 };
            out.insert((wi, d), worked as u32);
        }
    }
    out
}

fn random_log() -> impl Strategy<Value = (Vec<Worker>, Vec<Event>)> {
    let shifts = prop::sample::select(vec!["HC", "CA1", "CA2", "CA3", "NOPE"]);
    let scan = (0usize..4, 1i64..(16 * 60), 0i64..60, any::<bool>(), 0u8..10, 0usize..3);
    (prop::collection::vec(shifts, 1..4), prop::collection::vec(scan, 0..80)).prop_map(|(shifts, scans)| {
        let workers: Vec<Worker> =
            shifts.iter().enumerate().map(|(i, s)| worker(&format!("NV{i:03}"), "May", s)).collect();
        let mut clock = vec![local("2026-11-20 05:00").timestamp_millis(); workers.len()];
        let mut events = Vec::new();
        for (n, (who, gap_minutes, seconds, inward, verdict, gate)) in scans.into_iter().enumerate() {
            let visitor = who == workers.len() || who > workers.len();
            let who = who % workers.len();
            clock[who] += gap_minutes * 60_000 + seconds * 1000;
            let at = FixedOffset::east_opt(HANOI).unwrap().timestamp_millis_opt(clock[who]).unwrap();
            let person = if visitor {
                PersonRef::Visitor(format!("v{who}"))
            } else {
                PersonRef::Worker(workers[who].code.clone())
            };
            events.push(Event {
                id: Uuid::from_u128(n as u128 + 1),
                kiosk_id: "gate-1".into(),
                seq: n as i64,
                gate: ["Cổng A", "Cổng B", "=HYPERLINK()"][gate].into(),
                person: Some(person),
                direction: Some(if inward { Direction::In } else { Direction::Out }),
                at,
                method: Method::Badge,
                verdict: if verdict == 0 { Verdict::Refused } else { Verdict::Accepted },
                reason: None,
                badge_serial: None,
                operator: None,
                note: None,
                clock_offset_ms: None,
                clock_flag: None,
                follows: None,
                lane: None,
            });
        }
        (workers, events)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn every_event_in_one_day_and_worked_minutes_recompute((workers, events) in random_log()) {
        let config = Config::default();
        let range = DayRange::new(day("2026-11-17"), day("2026-12-20")).unwrap();
        let days = attendance::compute(&config, &workers, &Schedule::new(), &events, range);

        let mut seen = std::collections::HashMap::new();
        for d in &days {
            for id in &d.events {
                *seen.entry(*id).or_insert(0) += 1;
            }
        }
        for e in &events {
            let counted = seen.get(&e.id).copied().unwrap_or(0);
            let should = e.verdict == Verdict::Accepted && matches!(e.person, Some(PersonRef::Worker(_)));
            prop_assert_eq!(counted, usize::from(should), "event {} {:?} {:?}", e.id, e.verdict, e.person);
        }

        let reference = reference_worked(&config, &workers, &events);
        for d in &days {
            let want = reference.get(&(d.worker, d.date)).copied().unwrap_or(0);
            prop_assert_eq!(d.worked_minutes, want, "worker {} on {}", d.worker, d.date);
        }
        prop_assert_eq!(days.len(), workers.len() * range.len());
    }
}

// ---- the store path ---------------------------------------------------------------------------

/// A fresh kiosk database in `dir` with `workers` on the roster.
pub fn store_with(dir: &std::path::Path, workers: &[Worker]) -> Store {
    let identity = Identity {
        enterprise: "0312345678".parse().unwrap(),
        enterprise_name: "Công ty TNHH Thử nghiệm".into(),
        kiosk_id: "gate-1".parse().unwrap(),
        kiosk_public_key: "00".repeat(32),
    };
    let now = local("2026-11-26 12:00").with_timezone(&Utc);
    let mut store = Store::create(&dir.join("qrgate.db"), &identity, &[7u8; 32], now).unwrap();
    let rows: Vec<RosterRow> = workers
        .iter()
        .enumerate()
        .map(|(i, w)| RosterRow {
            row: i + 2,
            code: w.code.clone(),
            full_name: w.full_name.clone(),
            department: w.department.clone(),
            shift: w.shift.clone(),
            phone: w.phone.clone(),
            active: w.active,
            started: w.started,
        })
        .collect();
    roster::import(&mut store, &rows, false, now, &mut |_, _| {}).unwrap();
    store
}

#[test]
fn the_store_walk_agrees_with_the_pure_function() {
    let dir = tempfile::tempdir().unwrap();
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (workers, events) = random_log().new_tree(&mut runner).unwrap().current();
    let (workers, mut events) =
        if events.len() < 40 { random_log().new_tree(&mut runner).unwrap().current() } else { (workers, events) };
    // Unique (kiosk, seq) pairs, as a real log has.
    for (i, e) in events.iter_mut().enumerate() {
        e.seq = i as i64;
    }
    let mut store = store_with(dir.path(), &workers);
    store.insert_events(&events).unwrap();
    let config = Config::default();
    let range = DayRange::new(day("2026-11-19"), day("2026-12-10")).unwrap();
    let stored_workers = store.workers(None, None).unwrap();
    assert_eq!(stored_workers.len(), workers.len());
    let from_store = attendance::from_store(&store, &config, &stored_workers, range).unwrap();
    let pure = attendance::compute(&config, &stored_workers, &Schedule::new(), &events, range);
    assert_eq!(from_store, pure);
    assert!(pure.iter().any(|d| d.worked_minutes > 0), "the fixture has real days");
}

// ---- payroll's split (Labour Code Art. 98, 105–107, 112) ---------------------------------------

/// One worker's days from `scans`, with kiosk.conf's defaults.
fn pay_days(shift: &str, scans: &[Scan], first: &str, last: &str) -> Vec<AttendanceDay> {
    let workers = vec![worker("NV001", "May 1", shift)];
    let events: Vec<Event> = scans
        .iter()
        .enumerate()
        .map(|(i, (d, at, gate))| event(i as u128 + 1, w("NV001"), *d, at, gate, Verdict::Accepted))
        .collect();
    attendance::compute(
        &Config::default(),
        &workers,
        &Schedule::new(),
        &events,
        DayRange::new(day(first), day(last)).unwrap(),
    )
}

fn pay(normal: (u32, u32), overtime: (u32, u32), day_off: (u32, u32), holiday: (u32, u32)) -> attendance::PayMinutes {
    attendance::PayMinutes {
        normal_day: normal.0,
        normal_night: normal.1,
        overtime_day: overtime.0,
        overtime_night: overtime.1,
        day_off_day: day_off.0,
        day_off_night: day_off.1,
        holiday_day: holiday.0,
        holiday_night: holiday.1,
    }
}

#[test]
fn a_night_shift_across_midnight_into_new_years_day() {
    // CA3 is 22:00–06:00 with a 30-minute break, whose window is the middle of the shift:
    // 22:00 + (480 − 30) / 2 = 01:45 to 02:15. In at 21:55 on 31/12, out at 06:05 on 1/1:
    //   21:55–22:00 on 31/12, day:      5 normal by day
    //   22:00–24:00 on 31/12, night:  120 normal by night (a working day)
    //   00:00–01:45 on 1/1, night:    105 holiday by night
    //   01:45–02:15                    the break
    //   02:15–06:00 on 1/1, night:    225 holiday by night
    //   06:00–06:05 on 1/1, day:        5 holiday by day
    // worked 490 − 30 = 460; of it 125 normal, so 335 overtime (all of it on the holiday).
    let days =
        pay_days("CA3", &[(In, "2026-12-31 21:55", A), (Out, "2027-01-01 06:05", A)], "2026-12-31", "2027-01-01");
    let eve = &days[0];
    assert_eq!((eve.date, eve.holiday, eve.status), (day("2026-12-31"), false, Status::Present));
    assert_eq!(eve.worked_minutes, 460);
    assert_eq!(eve.pay, pay((5, 120), (0, 0), (0, 0), (5, 330)));
    assert_eq!(eve.overtime_minutes, 335);
    assert_eq!(eve.pay.night(), 450);
    let new_year = &days[1];
    assert_eq!((new_year.holiday, new_year.status, new_year.worked_minutes), (true, Status::Holiday, 0));
}

#[test]
fn a_weekly_day_off_worked_into_the_night() {
    // HC's day off is Sunday (29/11/2026). 07:55–22:30: 875 minutes present, less the hour's
    // break (its window 12:00–13:00), 815 worked, every one overtime on a day off:
    // 07:55–12:00 and 13:00–22:00 by day (245 + 540), 22:00–22:30 by night (30).
    let days = pay_days("HC", &[(In, "2026-11-29 07:55", A), (Out, "2026-11-29 22:30", A)], "2026-11-29", "2026-11-29");
    let d = &days[0];
    assert_eq!((d.status, d.worked_minutes, d.late_minutes, d.early_leave_minutes), (Status::Present, 815, 0, 0));
    assert_eq!(d.pay, pay((0, 0), (0, 0), (785, 30), (0, 0)));
    assert_eq!(d.overtime_minutes, 815);
}

#[test]
fn a_forgotten_exit_pays_nothing_that_day_and_the_next_day_pays_its_own() {
    // In at 07:50 on Monday, no out; in at 07:52 on Tuesday, out at 17:00. Monday's in lacks its
    // out (the next passage is another in): worked 0. Tuesday: 07:52–12:00 (248) and 13:00–17:00
    // (240) = 488; the first 480 (540 − 60) are normal hours, the last 8 overtime.
    let days = pay_days(
        "HC",
        &[(In, "2026-11-23 07:50", A), (In, "2026-11-24 07:52", A), (Out, "2026-11-24 17:00", A)],
        "2026-11-23",
        "2026-11-24",
    );
    assert_eq!((days[0].status, days[0].worked_minutes), (Status::MissingOut, 0));
    assert_eq!(days[0].pay, attendance::PayMinutes::default());
    assert_eq!(days[1].worked_minutes, 488);
    assert_eq!(days[1].pay, pay((480, 0), (8, 0), (0, 0), (0, 0)));
    assert_eq!(days[1].overtime_minutes, 8);
}

#[test]
fn a_worker_joining_mid_month_is_paid_for_the_days_worked() {
    // Her first scan is Wednesday 18/11 (CA1, 06:00–14:00, a 30-minute break from 09:45):
    // 05:50–14:10 is 500 present, 470 worked: 05:50–06:00 by night (10), the rest by day; the
    // first 450 normal (10 of them at night), the last 20 overtime by day. The days before are
    // absences (the roster has no start date), with nothing to pay.
    let days =
        pay_days("CA1", &[(In, "2026-11-18 05:50", A), (Out, "2026-11-18 14:10", A)], "2026-11-16", "2026-11-18");
    assert_eq!(days.iter().map(|d| d.status).collect::<Vec<_>>(), [Status::Absent, Status::Absent, Status::Present]);
    assert!(days[..2].iter().all(|d| d.pay.total() == 0));
    assert_eq!(days[2].pay, pay((440, 10), (20, 0), (0, 0), (0, 0)));
    let month: u32 = days.iter().map(|d| d.pay.total()).sum();
    assert_eq!(month, 470);
}

#[test]
fn a_public_holiday_without_a_scan_is_a_holiday_not_an_absence() {
    // 30/4 and 1/5/2027 are holidays; 2/5 is a Sunday (HC's day off); 3/5 an ordinary Monday.
    let days = pay_days("HC", &[], "2027-04-30", "2027-05-03");
    let statuses: Vec<Status> = days.iter().map(|d| d.status).collect();
    assert_eq!(statuses, [Status::Holiday, Status::Holiday, Status::DayOff, Status::Absent]);
}

/// Payroll's split redone minute by minute from the rules as the module's doc states them,
/// asking the time zone about every minute instead of cutting stays into pieces.
fn reference_pay(config: &Config, shift: Option<&qrgate_core::config::Shift>, d: &AttendanceDay) -> [u32; 8] {
    let tz = config.time.timezone;
    let holidays = qrgate_hr::holidays::days_between(&config.holidays, 2025, 2028);
    let utc_minute = |local: NaiveDateTime| tz.from_local_datetime(&local).earliest().unwrap().timestamp() / 60;
    let mut minutes: Vec<i64> = Vec::new();
    match config.attendance.worked_time {
        WorkedTime::Pairs => {
            for s in &d.stays {
                if let (Some(i), Some(o)) = (s.in_at, s.out_at) {
                    minutes.extend(utc_minute(i)..utc_minute(o));
                }
            }
        }
        WorkedTime::Span => {
            if let (Some(i), Some(o)) = (d.first_in, d.last_out) {
                minutes.extend(utc_minute(i)..utc_minute(o));
            }
        }
    }
    minutes.sort_unstable();
    let mut deduct = minutes.len() as i64 - i64::from(d.worked_minutes);
    if let Some(s) = shift {
        let start = d.date.and_time(s.start);
        let mut length = (s.end - s.start).num_minutes().rem_euclid(1440);
        if length == 0 {
            length = 1440;
        }
        let b = i64::from(s.break_minutes);
        let from = utc_minute(start + Duration::minutes((length - b) / 2));
        minutes.retain(|&m| {
            let in_break = deduct > 0 && (from..from + b).contains(&m);
            deduct -= i64::from(in_break);
            !in_break
        });
    }
    minutes.truncate(minutes.len() - deduct.max(0) as usize);
    let day_off = shift.is_some_and(|s| s.days_off.contains(&chrono::Datelike::weekday(&d.date)));
    let mut normal_left = shift.map_or(i64::MAX, |s| {
        let mut length = (s.end - s.start).num_minutes().rem_euclid(1440);
        if length == 0 {
            length = 1440;
        }
        if day_off {
            0
        } else {
            length - i64::from(s.break_minutes)
        }
    });
    let mut out = [0u32; 8];
    for m in minutes {
        let local = Utc.timestamp_opt(m * 60, 0).unwrap().with_timezone(&tz).naive_local();
        let hour = chrono::Timelike::hour(&local);
        let night = usize::from(!(6..22).contains(&hour));
        let kind = if holidays.contains(&local.date()) {
            3
        } else if day_off {
            2
        } else if normal_left > 0 {
            normal_left -= 1;
            0
        } else {
            1
        };
        out[kind * 2 + night] += 1;
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn payroll_minutes_recompute_minute_by_minute((workers, events) in random_log(), span in any::<bool>()) {
        // Holidays inside the random logs' weeks, on weekdays and on a Sunday.
        let mut config = Config::default();
        config.holidays.added = vec![day("2026-11-25"), day("2026-11-29"), day("2026-12-07")];
        if span {
            config.attendance.worked_time = WorkedTime::Span;
        }
        let range = DayRange::new(day("2026-11-17"), day("2026-12-20")).unwrap();
        for d in attendance::compute(&config, &workers, &Schedule::new(), &events, range) {
            let shift = config.shift(&workers[d.worker].shift);
            prop_assert_eq!(d.pay.total(), d.worked_minutes, "worker {} on {}", d.worker, d.date);
            prop_assert_eq!(d.overtime_minutes, d.worked_minutes - d.pay.normal());
            prop_assert_eq!(d.pay.figures(), reference_pay(&config, shift, &d), "worker {} on {}", d.worker, d.date);
        }
    }
}

/// A gate in a zone that changes its clock: a night shift across the change is paid for the time
/// that really passed. (Vietnam keeps one offset, and the walk takes a short cut while the offset
/// holds still; around a change it must not.)
#[test]
fn a_night_shift_across_a_clock_change_counts_the_minutes_that_passed() {
    let mut config = Config::default();
    config.time.timezone = chrono_tz::Europe::Berlin;
    let workers = vec![worker("NV001", "May 1", "CA3")];
    let berlin = |text: &str| {
        let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap();
        chrono_tz::Europe::Berlin.from_local_datetime(&naive).single().unwrap().fixed_offset()
    };
    // 21:55 to 06:05 on the wall clock; CA3's 30-minute break deducted.
    for (night, out, worked) in [
        // Spring: 02:00 became 03:00, so 7 h 10 min passed: 430 − 30.
        ("2026-03-28 21:55", "2026-03-29 06:05", 400),
        // Autumn: 03:00 became 02:00 again, so 9 h 10 min passed: 550 − 30.
        ("2026-10-24 21:55", "2026-10-25 06:05", 520),
        // A night without a change: 490 − 30.
        ("2026-11-13 21:55", "2026-11-14 06:05", 460),
    ] {
        let events: Vec<Event> = [(1, In, night), (2, Out, out)]
            .into_iter()
            .map(|(n, d, at)| Event {
                at: berlin(at),
                ..event(n, w("NV001"), d, "2026-01-01 00:00", A, Verdict::Accepted)
            })
            .collect();
        let first = berlin(night).date_naive();
        let days =
            attendance::compute(&config, &workers, &Schedule::new(), &events, DayRange::new(first, first).unwrap());
        assert_eq!(days[0].worked_minutes, worked, "{night}");
        assert_eq!(days[0].pay.figures().iter().sum::<u32>(), worked, "{night}: the split adds up");
    }
}
