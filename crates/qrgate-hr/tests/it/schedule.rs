//! Shift schedules on a real SQLite file: a rota imported from a file changes each day's shift,
//! the export reads back as it went in, a start date hides the days before joining, and a
//! holiday on a weekly day off gives the next working day off.

use chrono::NaiveDate;
use qrgate_core::config::Config;
use qrgate_core::model::{Direction, PersonRef, Verdict};
use qrgate_core::store::Event;
use qrgate_hr::attendance::{self, AttendanceDay, DayRange, PayMinutes, Status};
use qrgate_hr::export::Format;
use qrgate_hr::schedule::{self, Planned, Schedule};
use qrgate_hr::timesheet::{self, Month};
use qrgate_hr::Error;

use crate::attendance::{day, event, local, naive, store_with, worker};
use Direction::{In, Out};

const GATE: &str = "Cổng chính";

fn scans(code: &str, list: &[(Direction, &str)]) -> Vec<Event> {
    list.iter()
        .enumerate()
        .map(|(i, (d, at))| {
            event(i as u128 + 1, PersonRef::Worker(code.parse().unwrap()), *d, at, GATE, Verdict::Accepted)
        })
        .collect()
}

fn pay(normal: (u32, u32), overtime: (u32, u32)) -> PayMinutes {
    PayMinutes {
        normal_day: normal.0,
        normal_night: normal.1,
        overtime_day: overtime.0,
        overtime_night: overtime.1,
        ..PayMinutes::default()
    }
}

#[test]
fn a_rotation_from_the_morning_to_the_night_shift_on_wednesday() {
    // NV001's roster shift is CA1 (06:00–14:00). HR's rota for the week of 23/11/2026 moves her to
    // CA3 (22:00–06:00) from Wednesday 25/11, Sunday off. Both shifts have a 30-minute break in
    // their middle: CA1's 09:45–10:15, CA3's 01:45–02:15; 450 normal minutes a shift.
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with(dir.path(), &[worker("NV001", "May 1", "CA1")]);
    let config = Config::default();
    let file = dir.path().join("lich-ca.csv");
    std::fs::write(
        &file,
        "Mã NV;Họ và tên;23/11/2026;24/11/2026;25/11/2026;26/11/2026;27/11/2026;28/11/2026;29/11/2026\n\
         NV001;Công nhân NV001;CA1;CA1;CA3;CA3;CA3;CA3;NT\n",
    )
    .unwrap();
    let rows = schedule::read_file(&file, &config, &store).unwrap();
    let summary = schedule::import(&mut store, &rows, None, local("2026-11-20 09:00").to_utc()).unwrap();
    assert_eq!((summary.workers, summary.planned, summary.cleared), (1, 7, 0));

    store
        .insert_events(&scans(
            "NV001",
            &[
                (In, "2026-11-23 05:52"),
                (Out, "2026-11-23 14:03"),
                (In, "2026-11-24 05:58"),
                (Out, "2026-11-24 14:00"),
                (In, "2026-11-25 21:50"),
                (Out, "2026-11-26 06:04"),
                (In, "2026-11-26 22:10"),
                (Out, "2026-11-27 06:00"),
            ],
        ))
        .unwrap();
    let workers = store.workers(None, None).unwrap();
    let week = DayRange::new(day("2026-11-23"), day("2026-11-29")).unwrap();
    let days = attendance::from_store(&store, &config, &workers, week).unwrap();
    let by = |d: &AttendanceDay| (d.date, d.shift.clone().unwrap_or_default(), d.status);
    let ca = |s: &str| s.to_string();
    assert_eq!(
        days.iter().map(by).collect::<Vec<_>>(),
        [
            (day("2026-11-23"), ca("CA1"), Status::Present),
            (day("2026-11-24"), ca("CA1"), Status::Present),
            (day("2026-11-25"), ca("CA3"), Status::Present),
            (day("2026-11-26"), ca("CA3"), Status::Late),
            (day("2026-11-27"), ca("CA3"), Status::Absent),
            (day("2026-11-28"), ca("CA3"), Status::Absent),
            // A day off keeps the rhythm of the week's shift.
            (day("2026-11-29"), ca("CA3"), Status::DayOff),
        ]
    );
    // Monday, CA1: 05:52–14:03 is 491 present, 461 worked: 05:52–06:00 by night (8), 06:00–09:45
    // (225) and 10:15–14:03 (228) by day; the first 450 normal, the last 11 overtime by day.
    assert_eq!((days[0].worked_minutes, days[0].late_minutes, days[0].early_leave_minutes), (461, 0, 0));
    assert_eq!(days[0].pay, pay((442, 8), (11, 0)));
    // Tuesday, CA1: 05:58–14:00, 482 present, 452 worked: 2 by night, 450 − 2 normal by day, 2 overtime.
    assert_eq!(days[1].worked_minutes, 452);
    assert_eq!(days[1].pay, pay((448, 2), (2, 0)));
    // Wednesday, CA3 (its day starts at 14:00, halfway through the time off before 22:00): in
    // at 21:50, out at 06:04 on Thursday. 494 present, 464 worked: 21:50–22:00 by day (10, normal),
    // 22:00–01:45 by night (225, normal), 02:15–06:00 by night (225: 215 normal, 10 overtime),
    // 06:00–06:04 by day (4, overtime). Not late: the shift starts at 22:00. On the roster's CA1
    // the 21:50 entry would have been 950 minutes late for a 06:00 start.
    let wed = &days[2];
    assert_eq!((wed.first_in, wed.last_out), (Some(naive("2026-11-25 21:50")), Some(naive("2026-11-26 06:04"))));
    assert_eq!((wed.worked_minutes, wed.late_minutes, wed.early_leave_minutes), (464, 0, 0));
    assert_eq!(wed.pay, pay((10, 440), (4, 10)));
    assert_eq!(wed.overtime_minutes, 14);
    // Thursday, CA3: in at 22:10, ten minutes late (past the 5 minutes' grace); out 06:00.
    // 470 present, 440 worked, all of it normal by night.
    let thu = &days[3];
    assert_eq!((thu.worked_minutes, thu.late_minutes, thu.early_leave_minutes), (440, 10, 0));
    assert_eq!(thu.pay, pay((0, 440), (0, 0)));
    let week_total: u32 = days.iter().map(|d| d.worked_minutes).sum();
    assert_eq!(week_total, 461 + 452 + 464 + 440);

    // The month's timesheet reads the same days.
    let lines = timesheet::lines(&store, &config, &workers, Month::parse("2026-11").unwrap(), &mut |_, _| {}).unwrap();
    assert_eq!(lines[0].symbols[22..29], ["+", "+", "+", "M", "V", "V", "NT"]);
    assert_eq!(lines[0].days_worked, 4);
    // The "Ca" column follows the rota: the roster's CA1 until Tuesday, CA3 from Wednesday.
    assert_eq!(lines[0].shift_text(&workers[0]), "CA1/CA3");
}

#[test]
fn without_the_rota_the_same_night_is_read_on_the_roster_shift() {
    // The control for the test above: Wednesday's scans, no schedule. On the roster's CA1 the
    // day runs from 22:00 the evening before, so the 21:50 entry is Wednesday's, 950 minutes late
    // for its 06:00 start.
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with(dir.path(), &[worker("NV001", "May 1", "CA1")]);
    store.insert_events(&scans("NV001", &[(In, "2026-11-25 21:50"), (Out, "2026-11-26 06:04")])).unwrap();
    let workers = store.workers(None, None).unwrap();
    let days = attendance::from_store(
        &store,
        &Config::default(),
        &workers,
        DayRange::new(day("2026-11-25"), day("2026-11-26")).unwrap(),
    )
    .unwrap();
    assert_eq!((days[0].shift.as_deref(), days[0].status), (Some("CA1"), Status::Late));
    assert_eq!(days[0].late_minutes, 21 * 60 + 50 - 6 * 60);
}

#[test]
fn an_import_is_valid_from_its_day_blank_cells_clear_and_the_export_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with(dir.path(), &[worker("NV001", "May 1", "CA1"), worker("NV002", "Cắt", "CA2")]);
    let config = Config::default();
    let first = dir.path().join("tuan-1.csv");
    std::fs::write(&first, "employee_code,2026-12-01,2026-12-02,2026-12-03\nNV001,CA2,CA2,CA2\nNV002,CA3,NT,CA3\n")
        .unwrap();
    let rows = schedule::read_file(&first, &config, &store).unwrap();
    schedule::import(&mut store, &rows, None, local("2026-11-28 09:00").to_utc()).unwrap();
    // A correction valid from 2/12: the 1st keeps its plan, the 2nd changes, a blank 3rd clears.
    let second = dir.path().join("tuan-1b.csv");
    std::fs::write(&second, "employee_code,2026-12-01,2026-12-02,2026-12-03\nNV001,CA3,CA1,\n").unwrap();
    let rows = schedule::read_file(&second, &config, &store).unwrap();
    let s = schedule::import(&mut store, &rows, Some(day("2026-12-02")), local("2026-12-01 09:00").to_utc()).unwrap();
    assert_eq!((s.workers, s.planned, s.cleared, s.skipped), (1, 1, 1, 1));
    let plans = schedule::load(&store, day("2026-12-01"), day("2026-12-03")).unwrap();
    let shift = |s: &str| Planned::Shift(s.into());
    assert_eq!(plans["NV001"], [(day("2026-12-01"), shift("CA2")), (day("2026-12-02"), shift("CA1"))]);
    assert_eq!(
        plans["NV002"],
        [(day("2026-12-01"), shift("CA3")), (day("2026-12-02"), Planned::DayOff), (day("2026-12-03"), shift("CA3"))]
    );

    // Exported, then imported into a fresh kiosk: the same plans.
    let days = DayRange::new(day("2026-11-30"), day("2026-12-03")).unwrap();
    for (format, name) in [(Format::Csv, "lich.csv"), (Format::Xlsx, "lich.xlsx")] {
        let out = dir.path().join(name);
        let summary = schedule::export(&store, days, None, format, &out).unwrap();
        assert_eq!(summary.rows, 2);
        let other = tempfile::tempdir().unwrap();
        let mut fresh = store_with(other.path(), &[worker("NV001", "May 1", "CA1"), worker("NV002", "Cắt", "CA2")]);
        let rows = schedule::read_file(&out, &config, &fresh).unwrap();
        assert_eq!(rows.iter().map(|r| r.days.len()).collect::<Vec<_>>(), [4, 4], "{name}");
        schedule::import(&mut fresh, &rows, None, local("2026-12-01 09:00").to_utc()).unwrap();
        assert_eq!(schedule::load(&fresh, day("2026-11-30"), day("2026-12-03")).unwrap(), plans, "{name}");
    }
    let csv = std::fs::read_to_string(dir.path().join("lich.csv")).unwrap();
    assert!(csv.starts_with("\u{feff}Mã NV,Họ và tên,Bộ phận,Ca,2026-11-30,2026-12-01"), "{csv}");
    assert!(csv.contains("NV002,Công nhân NV002,Cắt,CA2,,CA3,NT,CA3"), "{csv}");
}

#[test]
fn a_bad_schedule_changes_nothing_and_names_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with(dir.path(), &[worker("NV001", "May 1", "CA1")]);
    let config = Config::default();
    let good = dir.path().join("good.csv");
    std::fs::write(&good, "Mã NV,2026-12-01\nNV001,CA2\n").unwrap();
    let rows = schedule::read_file(&good, &config, &store).unwrap();
    schedule::import(&mut store, &rows, None, local("2026-11-28 09:00").to_utc()).unwrap();
    let before = schedule::load(&store, day("2026-12-01"), day("2026-12-31")).unwrap();

    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "Mã NV,2026-12-01,2026-12-02\nNV001,CA3,CA3\nNV009,CA1,CA1\nNV001,CA1,Ca 4\n").unwrap();
    let Err(Error::ScheduleRows(errors)) = schedule::read_file(&bad, &config, &store) else {
        panic!("a file with bad rows is refused whole")
    };
    assert_eq!(errors.iter().map(|e| e.row).collect::<Vec<_>>(), [3, 4]);
    assert_eq!(errors[1].problems.len(), 2, "{:?}", errors[1]);
    let e = schedule::read_file(&dir.path().join("missing.xlsx"), &config, &store).unwrap_err();
    assert!(e.to_string().contains("missing.xlsx"), "{e}");
    let latin1 = dir.path().join("latin1.csv");
    std::fs::write(&latin1, b"M\xe3 NV,2026-12-01\nNV001,CA1\n").unwrap();
    let e = schedule::read_file(&latin1, &config, &store).unwrap_err();
    assert_eq!(e.code(), qrgate_core::Code::ScheduleUnreadable, "{e}");
    assert_eq!(schedule::load(&store, day("2026-12-01"), day("2026-12-31")).unwrap(), before);
}

#[test]
fn days_before_a_workers_start_date_are_not_absences() {
    // She joins on Wednesday 18/11 (the roster's start date). Monday and Tuesday are not hers to
    // miss: no line. From Wednesday she is counted, absent on Thursday.
    let dir = tempfile::tempdir().unwrap();
    let mut joining = worker("NV001", "May 1", "CA1");
    joining.started = Some(day("2026-11-18"));
    let mut store = store_with(dir.path(), &[joining, worker("NV002", "May 1", "CA1")]);
    store.insert_events(&scans("NV001", &[(In, "2026-11-18 05:50"), (Out, "2026-11-18 14:10")])).unwrap();
    let workers = store.workers(None, None).unwrap();
    assert_eq!(workers[0].started, Some(day("2026-11-18")));
    let days = attendance::from_store(
        &store,
        &Config::default(),
        &workers,
        DayRange::new(day("2026-11-16"), day("2026-11-19")).unwrap(),
    )
    .unwrap();
    let hers: Vec<(NaiveDate, Status)> = days.iter().filter(|d| d.worker == 0).map(|d| (d.date, d.status)).collect();
    assert_eq!(hers, [(day("2026-11-18"), Status::Present), (day("2026-11-19"), Status::Absent)]);
    assert_eq!(days.iter().filter(|d| d.worker == 1).count(), 4, "a worker without a start date is counted every day");
    let lines =
        timesheet::lines(&store, &Config::default(), &workers, Month::parse("2026-11").unwrap(), &mut |_, _| {})
            .unwrap();
    assert_eq!(lines[0].symbols[15..19], ["", "", "+", "V"]);
    assert_eq!(lines[0].symbols[..17].iter().filter(|s| **s == "V").count(), 0);
}

#[test]
fn a_holiday_on_a_weekly_day_off_gives_the_next_working_day_off() {
    // The Hùng Kings' day 2026 (10/3 lunar) is Sunday 26/4, HC's weekly day off (Labour Code Art.
    // 111(3)): Monday 27/4 is a day in lieu. A rota worker whose day off is Thursday 30/4 (a holiday
    // too) gets the next working day that is no holiday: 1/5 is one, 2/5 (Saturday) is hers.
    let config = Config::default();
    let workers = vec![worker("NV001", "Văn phòng", "HC"), worker("NV002", "May 1", "CA1")];
    let mut plans = Schedule::new();
    plans.insert(
        "NV002".into(),
        vec![(day("2026-04-26"), Planned::Shift("CA1".into())), (day("2026-04-30"), Planned::DayOff)],
    );
    // NV001 works Monday 27/4 anyway, 07:55–17:05: 550 present, 490 worked, all holiday pay.
    let events = scans("NV001", &[(In, "2026-04-27 07:55"), (Out, "2026-04-27 17:05")]);
    let days = attendance::compute(
        &config,
        &workers,
        &plans,
        &events,
        DayRange::new(day("2026-04-25"), day("2026-05-04")).unwrap(),
    );
    let of = |w: usize| {
        days.iter()
            .filter(|d| d.worker == w)
            .map(|d| (d.date.format("%d/%m").to_string(), d.holiday))
            .collect::<Vec<_>>()
    };
    let holidays = |w: usize| of(w).into_iter().filter(|(_, h)| *h).map(|(d, _)| d).collect::<Vec<_>>();
    assert_eq!(holidays(0), ["26/04", "27/04", "30/04", "01/05"]);
    assert_eq!(holidays(1), ["26/04", "30/04", "01/05", "02/05"]);
    let monday = days.iter().find(|d| d.worker == 0 && d.date == day("2026-04-27")).unwrap();
    assert_eq!(monday.status, Status::Present);
    assert_eq!((monday.pay.holiday_day, monday.pay.normal(), monday.worked_minutes), (490, 0, 490));
    let saturday = days.iter().find(|d| d.worker == 1 && d.date == day("2026-05-02")).unwrap();
    assert_eq!(saturday.status, Status::Holiday);
    // Sunday 26/4 is a working day for NV002 (the rota says CA1): no day in lieu for it.
    let sunday = days.iter().find(|d| d.worker == 1 && d.date == day("2026-04-26")).unwrap();
    assert_eq!((sunday.holiday, sunday.status), (true, Status::Holiday));
}
