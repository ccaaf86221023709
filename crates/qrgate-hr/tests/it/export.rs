//! Exports read back: XLSX through calamine, CSV as bytes; the numbers must add up to the events.

use std::collections::BTreeMap;
use std::path::Path;

use calamine::{open_workbook, Data, Reader, Xlsx};
use chrono::{Datelike, NaiveDate, Utc};
use qrgate_core::config::Config;
use qrgate_core::model::{Direction, PersonRef, Verdict};
use qrgate_core::store::{Event, Store, Worker};
use qrgate_hr::attendance::{self, DayRange};
use qrgate_hr::export::{self, Format, SUMMARY_SHEET};

use super::attendance::{day, event, local, naive, store_with, worker};

use Direction::{In, Out};

const INJECTED: &str = "=HYPERLINK(\"http://x\")";

fn roster() -> Vec<Worker> {
    let mut odd = worker("NV005", "Kho", "HC");
    odd.full_name = INJECTED.into();
    vec![
        worker("NV001", "May 1", "HC"),
        worker("NV002", "May 1", "CA3"),
        worker("NV003", "May 1", "CA1"),
        worker("NV004", "Kho", "HC"),
        odd,
    ]
}

fn p(code: &str) -> PersonRef {
    PersonRef::Worker(code.parse().unwrap())
}

/// Two working days (Mon 23, Tue 24 Nov 2026) with a night shift, a late arrival, a forgotten
/// out, a refusal and a visitor.
fn log() -> Vec<Event> {
    let a = "Cổng chính";
    let b = "Cổng phụ";
    let ok = Verdict::Accepted;
    let mut n = 0;
    let mut e = |person: PersonRef, d: Direction, at: &str, gate: &str, v: Verdict| {
        n += 1;
        event(n, person, d, at, gate, v)
    };
    vec![
        e(p("NV001"), In, "2026-11-23 07:55", a, ok),
        e(p("NV001"), Out, "2026-11-23 17:02", b, ok),
        e(p("NV002"), In, "2026-11-23 21:50", a, ok),
        e(p("NV002"), Out, "2026-11-24 06:05", a, ok),
        e(p("NV003"), In, "2026-11-23 06:20", a, ok),
        e(p("NV003"), Out, "2026-11-23 14:00", a, ok),
        e(p("NV004"), In, "2026-11-23 08:00", a, ok),
        e(p("NV005"), In, "2026-11-23 07:59", a, Verdict::Refused),
        e(p("NV005"), In, "2026-11-23 08:01", a, ok),
        e(p("NV005"), Out, "2026-11-23 17:00", a, ok),
        e(PersonRef::Visitor("v-1".into()), In, "2026-11-23 09:00", a, ok),
        e(PersonRef::Visitor("v-1".into()), Out, "2026-11-23 10:30", a, ok),
        e(p("NV001"), In, "2026-11-24 08:10", a, ok),
        e(p("NV001"), Out, "2026-11-24 17:00", a, ok),
        e(p("NV004"), In, "2026-11-24 07:50", a, ok),
        e(p("NV004"), Out, "2026-11-24 17:30", a, ok),
    ]
}

fn fixture(dir: &Path) -> (Store, Config) {
    let mut store = store_with(dir, &roster());
    store.insert_events(&log()).unwrap();
    (store, Config::default())
}

fn two_days() -> DayRange {
    DayRange::new(day("2026-11-23"), day("2026-11-24")).unwrap()
}

fn number(d: &Data) -> f64 {
    match d {
        Data::Float(f) => *f,
        Data::Int(i) => *i as f64,
        other => panic!("expected a number, got {other:?}"),
    }
}

fn text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => panic!("expected text, got {other:?}"),
    }
}

fn column(headers: &[Data], name: &str) -> usize {
    headers.iter().position(|h| text(h) == name).unwrap_or_else(|| panic!("no column {name}"))
}

#[test]
fn attendance_xlsx_adds_up() {
    let dir = tempfile::tempdir().unwrap();
    let (store, config) = fixture(dir.path());
    let out = dir.path().join("cham-cong.xlsx");
    let mut calls = Vec::new();
    let summary =
        export::attendance(&store, &config, two_days(), None, Format::Xlsx, &out, &mut |d, t| calls.push((d, t)))
            .unwrap();
    assert_eq!(summary.rows, 10, "5 workers × 2 days");
    assert_eq!(calls.last(), Some(&(2, 2)));

    let mut book: Xlsx<_> = open_workbook(&out).unwrap();
    assert_eq!(book.sheet_names(), vec![SUMMARY_SHEET, "2026-11-23", "2026-11-24"]);

    let workers = store.workers(None, None).unwrap();
    let expected = attendance::from_store(&store, &config, &workers, two_days()).unwrap();
    let mut worked_by_department: BTreeMap<String, f64> = BTreeMap::new();
    let mut rows_seen = 0;
    for sheet in ["2026-11-23", "2026-11-24"] {
        let range = book.worksheet_range(sheet).unwrap();
        let rows: Vec<&[Data]> = range.rows().collect();
        let headers = rows[0];
        assert_eq!(text(&headers[0]), "Ngày");
        let (code, dept, worked, name, first_in, status) = (
            column(headers, "Mã NV"),
            column(headers, "Bộ phận"),
            column(headers, "Phút làm việc"),
            column(headers, "Họ và tên"),
            column(headers, "Giờ vào"),
            column(headers, "Trạng thái"),
        );
        for row in &rows[1..] {
            rows_seen += 1;
            let want = expected
                .iter()
                .find(|d| {
                    d.date.format("%Y-%m-%d").to_string() == sheet
                        && workers[d.worker].code.as_str() == text(&row[code])
                })
                .unwrap();
            assert_eq!(number(&row[worked]) as u32, want.worked_minutes);
            assert_eq!(text(&row[status]), want.status.label());
            let pay: Vec<u32> = export::PAY_HEADERS.iter().map(|h| number(&row[column(headers, h)]) as u32).collect();
            assert_eq!(pay, want.pay.figures(), "the payroll columns, in order");
            assert_eq!(pay.iter().sum::<u32>(), want.worked_minutes);
            *worked_by_department.entry(text(&row[dept])).or_default() += number(&row[worked]);
            if text(&row[code]) == "NV005" {
                assert_eq!(text(&row[name]), format!("'{INJECTED}"), "formula text is escaped");
            }
            if text(&row[code]) == "NV001" && sheet == "2026-11-23" {
                match &row[first_in] {
                    Data::DateTime(t) => {
                        // Excel's day 46349 is 2026-11-23; the fraction is the time of day.
                        let minutes = ((t.as_f64() - 46349.0) * 1440.0).round();
                        assert_eq!(minutes, (7 * 60 + 55) as f64);
                    }
                    other => panic!("first in should be a time, got {other:?}"),
                }
            }
        }
    }
    assert_eq!(rows_seen, 10);

    let range = book.worksheet_range(SUMMARY_SHEET).unwrap();
    let rows: Vec<&[Data]> = range.rows().collect();
    let worked = column(rows[0], "Tổng phút làm việc");
    let people = column(rows[0], "Số người-ngày");
    let mut total = 0.0;
    for row in &rows[1..] {
        let name = text(&row[0]);
        if name == "Tổng cộng" {
            assert_eq!(number(&row[worked]), total, "the total row is the sum of the departments");
            assert_eq!(number(&row[people]), 10.0);
            break;
        }
        assert_eq!(number(&row[worked]), worked_by_department[&name], "department {name}");
        total += number(&row[worked]);
    }
    assert!(total > 0.0);
    let all: u32 = expected.iter().map(|d| d.worked_minutes).sum();
    assert_eq!(total as u32, all);
}

#[test]
fn attendance_csv_has_bom_escapes_and_one_table() {
    let dir = tempfile::tempdir().unwrap();
    let (store, config) = fixture(dir.path());
    let out = dir.path().join("cham-cong.csv");
    export::attendance(&store, &config, two_days(), Some("Kho"), Format::Csv, &out, &mut |_, _| {}).unwrap();
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "UTF-8 byte-order mark");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[2], "Họ và tên");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 4, "two Kho workers × two days, one header");
    assert!(rows.iter().all(|r| &r[3] == "Kho"));
    assert!(rows.iter().any(|r| r[2] == format!("'{INJECTED}")));
    let nv004_tue = rows.iter().find(|r| &r[0] == "2026-11-24" && &r[1] == "NV004").unwrap();
    assert_eq!((&nv004_tue[5], &nv004_tue[6], &nv004_tue[7]), ("07:50", "17:30", "520"));
    let nv004_mon = rows.iter().find(|r| &r[0] == "2026-11-23" && &r[1] == "NV004").unwrap();
    let status = headers.iter().position(|h| h == "Trạng thái").unwrap();
    assert_eq!(&nv004_mon[status], "Thiếu giờ ra");
    // Payroll's columns: 07:50–17:30 on HC (08:00–17:00, a 60-minute break) is 480 normal
    // minutes by day and 40 of overtime by day, all named by their header.
    let pay: Vec<usize> = export::PAY_HEADERS.iter().map(|h| headers.iter().position(|x| x == *h).unwrap()).collect();
    let figures: Vec<&str> = pay.iter().map(|&i| &nv004_tue[i]).collect();
    assert_eq!(figures, ["480", "0", "40", "0", "0", "0", "0", "0"]);
}

#[test]
fn night_shift_out_shows_its_date_in_csv() {
    let dir = tempfile::tempdir().unwrap();
    let (store, config) = fixture(dir.path());
    let out = dir.path().join("a.csv");
    export::attendance(
        &store,
        &config,
        DayRange::one(day("2026-11-23")).unwrap(),
        Some("May 1"),
        Format::Csv,
        &out,
        &mut |_, _| {},
    )
    .unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    let line = text.lines().find(|l| l.contains("NV002")).unwrap();
    assert!(line.contains(",21:50,2026-11-24 06:05,"), "{line}");
}

#[test]
fn bad_requests_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (store, config) = fixture(dir.path());
    let out = dir.path().join("keep.xlsx");
    std::fs::write(&out, b"the previous export").unwrap();

    let err =
        export::attendance(&store, &config, two_days(), Some("Sơn"), Format::Xlsx, &out, &mut |_, _| {}).unwrap_err();
    assert_eq!(err.code().as_str(), "invalid_input");
    assert!(err.to_string().contains("May 1"), "lists the departments: {err}");
    let err = export::attendance(&store, &config, two_days(), None, Format::Pdf, &out, &mut |_, _| {}).unwrap_err();
    assert_eq!(err.code().as_str(), "invalid_input");
    assert_eq!(std::fs::read(&out).unwrap(), b"the previous export");

    let missing = dir.path().join("no-such-dir").join("x.csv");
    let err = export::attendance(&store, &config, two_days(), None, Format::Csv, &missing, &mut |_, _| {}).unwrap_err();
    // A folder that is not there is the person's mistake (exit 3), not the machine's.
    assert_eq!(err.code().as_str(), "invalid_input");
    assert!(err.to_string().contains("no-such-dir") && err.to_string().contains("no such file"), "{err}");

    let err = export::events(&store, &config, two_days(), Format::Csv, dir.path(), &mut |_, _| {}).unwrap_err();
    assert!(err.to_string().contains("directory"), "{err}");

    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("qrgate-export"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn raw_events_include_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let (store, config) = fixture(dir.path());
    let out = dir.path().join("su-kien.csv");
    let summary = export::events(&store, &config, two_days(), Format::Csv, &out, &mut |_, _| {}).unwrap();
    assert_eq!(summary.rows, log().len() as u64);
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.lines().filter(|l| l.contains("Từ chối")).count(), 1);
    assert!(text.lines().any(|l| l.contains("revoked")));

    let out = dir.path().join("su-kien.xlsx");
    export::events(&store, &config, two_days(), Format::Xlsx, &out, &mut |_, _| {}).unwrap();
    let mut book: Xlsx<_> = open_workbook(&out).unwrap();
    let counted: usize =
        ["2026-11-23", "2026-11-24"].iter().map(|s| book.worksheet_range(s).unwrap().rows().count() - 1).sum();
    assert_eq!(counted, log().len());
}

#[test]
fn inside_now_lists_who_has_not_left() {
    let dir = tempfile::tempdir().unwrap();
    let (store, config) = fixture(dir.path());
    let now = local("2026-11-24 20:00").with_timezone(&Utc);
    let rows = export::inside_rows(&store, &config, now).unwrap();
    let codes: Vec<&str> = rows.iter().map(|r| r.code.as_str()).collect();
    assert_eq!(codes, Vec::<&str>::new(), "everyone in the fixture has left by Tuesday night");

    let mut store = store;
    store.insert_events(&[event(100, p("NV003"), In, "2026-11-24 19:00", "Cổng phụ", Verdict::Accepted)]).unwrap();
    for (format, name) in [(Format::Csv, "in.csv"), (Format::Xlsx, "in.xlsx"), (Format::Pdf, "in.pdf")] {
        let out = dir.path().join(name);
        let s = export::inside(&store, &config, now, format, &out, &mut |_, _| {}).unwrap();
        assert_eq!(s.rows, 1);
        let bytes = std::fs::read(&out).unwrap();
        match format {
            Format::Pdf => assert!(bytes.starts_with(b"%PDF")),
            Format::Csv => assert!(String::from_utf8(bytes).unwrap().contains("NV003")),
            Format::Xlsx => {
                let mut book: Xlsx<_> = open_workbook(&out).unwrap();
                let range = book.worksheet_range("Đang ở trong").unwrap();
                assert_eq!(text(&range.rows().nth(1).unwrap()[2]), "NV003");
            }
            Format::Json => unreachable!("the evacuation list is not asked for as JSON here"),
        }
    }
}

#[test]
fn the_evacuation_list_shows_gate_time_days_and_sets_apart_shifts_long_over() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, config) = fixture(dir.path());
    let ok = Verdict::Accepted;
    store
        .insert_events(&[
            // A night-shift worker (CA3, 22:00–06:00) who came after midnight: the 25th in gate time,
            // still the 24th in UTC.
            event(101, p("NV002"), In, "2026-11-25 00:30", "Cổng phụ", ok),
            // An office worker (HC, until 17:00) and a morning-shift one (CA1, until 14:00) who never
            // scanned out.
            event(102, p("NV005"), In, "2026-11-24 13:47", "Cổng chính", ok),
            event(103, p("NV003"), In, "2026-11-24 19:00", "Cổng chính", ok),
            event(104, PersonRef::Visitor("v-2".into()), In, "2026-11-24 23:00", "Cổng chính", ok),
            // A refused entry lets nobody in.
            event(105, p("NV001"), In, "2026-11-25 01:29", "Cổng chính", Verdict::Refused),
            // Came in more than the longest stay (24 h) ago and never left: a forgotten exit, not listed.
            event(106, PersonRef::Visitor("v-3".into()), In, "2026-11-24 01:29", "Cổng chính", ok),
        ])
        .unwrap();
    let now = local("2026-11-25 01:30").with_timezone(&Utc);
    let rows = export::inside_rows(&store, &config, now).unwrap();
    let seen: Vec<(&str, &str, export::InsideStatus)> =
        rows.iter().map(|r| (r.code.as_str(), r.since_text.as_str(), r.status)).collect();
    use export::InsideStatus::{Inside, ProbablyLeft};
    assert_eq!(
        seen,
        [
            ("NV002", "25/11/2026 00:30", Inside),
            ("", "24/11/2026 23:00", Inside),
            ("NV005", "24/11/2026 13:47", ProbablyLeft),
            ("NV003", "24/11/2026 19:00", ProbablyLeft),
        ]
    );
    assert_eq!(rows[0].shift_end, Some(naive("2026-11-25 06:00")));
    assert_eq!((rows[2].shift.as_deref(), rows[2].shift_end), (Some("HC"), Some(naive("2026-11-24 17:00"))));
    assert_eq!((rows[1].shift.as_deref(), rows[1].shift_end), (None, None), "a visitor has no shift");
    // Three hours and fifty-nine minutes after 06:00 the night worker is still on overtime; four
    // hours and one minute after, they are doubted too.
    let at = |t: &str| export::inside_rows(&store, &config, local(t).with_timezone(&Utc)).unwrap()[0].status;
    assert_eq!(at("2026-11-25 09:59"), Inside);
    let later = export::inside_rows(&store, &config, local("2026-11-25 10:01").with_timezone(&Utc)).unwrap();
    let nv002 = later.iter().find(|r| r.code == "NV002").unwrap();
    assert_eq!(nv002.status, ProbablyLeft);

    // The window reads the same rows as JSON: the old fields stay, the new ones are added.
    let json = serde_json::to_value(&rows[2]).unwrap();
    for field in ["kind", "code", "name", "unit", "since", "gate", "since_text", "shift", "shift_end", "status"] {
        assert!(json.get(field).is_some(), "{field} in {json}");
    }
    assert_eq!(json["status"], "probably_left");
    assert_eq!(json["since"], "2026-11-24T13:47:00");

    let out = dir.path().join("so-tan.csv");
    export::inside(&store, &config, now, Format::Csv, &out, &mut |_, _| {}).unwrap();
    let csv = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "\u{feff}STT,Đối tượng,Mã / CCCD,Họ và tên,Bộ phận / Người tiếp,Vào lúc,Cổng,Ca,Hết ca lúc,Tình trạng"
    );
    assert_eq!(
        lines[1],
        "1,Công nhân,NV002,Công nhân NV002,May 1,25/11/2026 00:30,Cổng phụ,CA3,25/11/2026 06:00,Đang ở trong"
    );
    assert!(
        lines[3].ends_with(",24/11/2026 13:47,Cổng chính,HC,24/11/2026 17:00,\"Có thể đã ra, không quét thẻ\""),
        "{}",
        lines[3]
    );
    assert_eq!(lines.len(), 5);

    let out = dir.path().join("so-tan.xlsx");
    export::inside(&store, &config, now, Format::Xlsx, &out, &mut |_, _| {}).unwrap();
    let mut book: Xlsx<_> = open_workbook(&out).unwrap();
    let range = book.worksheet_range("Đang ở trong").unwrap();
    let first = range.rows().nth(1).unwrap();
    match &first[5] {
        // Excel's day 46351 is 2026-11-25; 00:30 is 30 minutes into it.
        Data::DateTime(t) => assert_eq!(((t.as_f64() - 46351.0) * 1440.0).round(), 30.0),
        other => panic!("the entry should be a real date and time, got {other:?}"),
    }
    assert_eq!(text(&first[9]), "Đang ở trong");
}

#[test]
fn visitor_numbers_are_masked_unless_full() {
    let dir = tempfile::tempdir().unwrap();
    let (store, config) = fixture(dir.path());
    store
        .connection()
        .execute(
            "INSERT INTO visitors (id, number, full_name, birth_date, host, purpose, phone, first_seen_ms, last_seen_ms)
             VALUES ('v-1', '079123456789', 'Trần Thị Khách', '1990-01-02', 'Phòng Nhân sự', 'Phỏng vấn', '0912345678', 0, 0)",
            [],
        )
        .unwrap();
    let out = dir.path().join("khach.csv");
    let s = export::visitors(&store, &config, two_days(), false, Format::Csv, &out, &mut |_, _| {}).unwrap();
    assert_eq!(s.rows, 1);
    let masked = std::fs::read_to_string(&out).unwrap();
    assert!(masked.contains("079*******89") && !masked.contains("079123456789"), "{masked}");
    assert!(!masked.contains("0912345678") && !masked.contains("1990-01-02"));
    assert!(
        masked.contains("Trần Thị Khách,079*******89,,Phòng Nhân sự,Phỏng vấn,,09:00,10:30,Cổng chính"),
        "{masked}"
    );

    export::visitors(&store, &config, two_days(), true, Format::Csv, &out, &mut |_, _| {}).unwrap();
    let full = std::fs::read_to_string(&out).unwrap();
    assert!(full.contains("079123456789") && full.contains("0912345678"));
}

// ---- the monthly timesheet --------------------------------------------------------------------

#[test]
fn the_timesheet_adds_up_the_months_days_in_xlsx_and_csv() {
    use qrgate_hr::timesheet::{self, Month, TOTAL_HEADERS};
    let dir = tempfile::tempdir().unwrap();
    let (store, config) = fixture(dir.path());
    let month = Month::parse("2026-11").unwrap();
    let workers = store.workers(None, None).unwrap();
    // The same numbers redone from the daily attendance of every day of the month.
    let days = attendance::from_store(&store, &config, &workers, month.days()).unwrap();

    let out = dir.path().join("bang-cham-cong.xlsx");
    let summary = timesheet::export(&store, &config, month, None, Format::Xlsx, &out, &mut |_, _| {}).unwrap();
    assert_eq!(summary.rows, 5);
    let mut book: Xlsx<_> = open_workbook(&out).unwrap();
    let range = book.worksheet_range("Bảng chấm công").unwrap();
    let rows: Vec<&[Data]> = range.rows().collect();
    assert_eq!(text(&rows[0][0]), "BẢNG CHẤM CÔNG");
    assert_eq!(text(&rows[1][0]), "Công ty TNHH Thử nghiệm");
    assert_eq!(text(&rows[2][0]), "Tháng 11 năm 2026");
    let header = rows[4];
    assert_eq!(number(&header[5]), 1.0, "day 1 in the first day column");
    assert_eq!(text(&rows[5][5]), "CN", "1/11/2026 is a Sunday");
    let first_total = 5 + 30;
    assert_eq!(text(&header[first_total]), TOTAL_HEADERS[0]);
    for (i, w) in workers.iter().enumerate() {
        let row = rows[6 + i];
        assert_eq!(text(&row[1]), w.code.as_str());
        let mine: Vec<_> = days.iter().filter(|d| d.worker == i).collect();
        for d in &mine {
            let col = 5 + (d.date - month.days().first()).num_days() as usize;
            assert_eq!(text(&row[col]), timesheet::symbol(d), "{} on {}", w.code, d.date);
        }
        let pay_minutes = |k: usize| mine.iter().map(|d| f64::from(d.pay.figures()[k])).sum::<f64>();
        for k in 0..8 {
            let got = number(&row[first_total + 1 + k]);
            assert!((got - pay_minutes(k) / 60.0).abs() < 1e-9, "{}: {}", w.code, TOTAL_HEADERS[k + 1]);
        }
        let worked_days = mine.iter().filter(|d| d.worked_minutes > 0).count() as f64;
        assert_eq!(number(&row[first_total]), worked_days, "{}", w.code);
        let late: u32 = mine.iter().map(|d| d.late_minutes).sum();
        assert_eq!(number(&row[first_total + 11]), f64::from(late), "{}", w.code);
    }
    // NV001: 23/11 present, 24/11 late (08:10 on HC), 29/11 Sunday off; NV004 forgot an out.
    assert_eq!(
        (text(&rows[6][5 + 22]), text(&rows[6][5 + 23]), text(&rows[6][5 + 28])),
        ("+".into(), "M".into(), "NT".into())
    );
    assert_eq!(text(&rows[9][5 + 22]), "T");
    assert_eq!(text(&rows[10][2]), format!("'{INJECTED}"), "names are escaped");
    let total_row = rows.iter().position(|r| matches!(&r[0], Data::String(s) if s == "Tổng cộng")).unwrap();
    assert_eq!(total_row, 11);
    let all_normal_day: f64 = days.iter().map(|d| f64::from(d.pay.normal_day)).sum::<f64>() / 60.0;
    assert!((number(&rows[total_row][first_total + 1]) - all_normal_day).abs() < 1e-9);
    let legend = rows.iter().any(|r| r.len() > 2 && matches!(&r[2], Data::String(s) if s == "Nghỉ lễ, Tết"));
    assert!(legend, "the legend is on the sheet");
    assert!(rows.iter().any(|r| r.iter().any(|c| matches!(c, Data::String(s) if s == "(Ký, họ tên)"))));

    let csv_out = dir.path().join("bang-cham-cong.csv");
    timesheet::export(&store, &config, month, Some("Kho"), Format::Csv, &csv_out, &mut |_, _| {}).unwrap();
    let bytes = std::fs::read(&csv_out).unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "UTF-8 byte-order mark");
    let text_csv = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let mut reader = csv::Reader::from_reader(text_csv.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[5], "01/11");
    let lines: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(lines.len(), 2, "the two Kho workers");
    let nv004 = lines.iter().find(|r| &r[1] == "NV004").unwrap();
    // 24/11: 07:50–17:30 on HC is 480 normal minutes and 40 overtime, both by day.
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    assert_eq!(&nv004[col("Giờ thường (ngày)")], "8.00");
    assert_eq!(&nv004[col("Giờ TC ngày thường (ngày)")], "0.67");
    assert_eq!(&nv004[col("Ngày thiếu quẹt")], "1");

    let e = timesheet::export(&store, &config, month, None, Format::Pdf, &csv_out, &mut |_, _| {}).unwrap_err();
    assert_eq!(e.code(), qrgate_core::Code::InvalidInput);
}

#[test]
fn the_timesheet_warns_past_the_overtime_limits() {
    use qrgate_hr::timesheet::{self, Month};
    let dir = tempfile::tempdir().unwrap();
    let workers = vec![worker("NV001", "May 1", "HC"), worker("NV002", "May 1", "HC")];
    let mut store = store_with(dir.path(), &workers);
    // NV001 works 07:00–19:00 every weekday of November 2026 (21 days): 660 worked, 480 normal,
    // 3 hours of overtime a day, 63 in the month; and one such day in October, 66 in the year.
    let mut events = Vec::new();
    let mut n = 0;
    let mut days: Vec<NaiveDate> = DayRange::new(day("2026-11-01"), day("2026-11-30"))
        .unwrap()
        .days()
        .filter(|d| d.weekday().num_days_from_monday() < 5)
        .collect();
    assert_eq!(days.len(), 21);
    days.push(day("2026-10-15"));
    for d in days {
        for (direction, at) in [(In, "07:00"), (Out, "19:00")] {
            n += 1;
            events.push(event(n, p("NV001"), direction, &format!("{d} {at}"), "Cổng chính", Verdict::Accepted));
        }
    }
    store.insert_events(&events).unwrap();
    let mut config = Config::default();
    let workers = store.workers(None, None).unwrap();
    let month = Month::parse("2026-11").unwrap();
    let lines = timesheet::lines(&store, &config, &workers, month, &mut |_, _| {}).unwrap();
    assert_eq!((lines[0].overtime, lines[0].overtime_year), (63 * 60, 66 * 60));
    assert_eq!(lines[0].warning, "Vượt 40 giờ/tháng");
    assert_eq!((lines[1].overtime, lines[1].warning.as_str()), (0, ""));
    config.overtime.year_limit_hours = 65;
    config.overtime.month_limit_hours = 63;
    let lines = timesheet::lines(&store, &config, &workers, month, &mut |_, _| {}).unwrap();
    assert_eq!(lines[0].warning, "Vượt 65 giờ/năm", "63 hours is not past a 63-hour limit");
    // October alone: 3 hours, under both.
    let october =
        timesheet::lines(&store, &config, &workers, Month::parse("2026-10").unwrap(), &mut |_, _| {}).unwrap();
    assert_eq!((october[0].overtime_year, october[0].warning.as_str()), (3 * 60, ""));
}

/// The year's overtime reuses the months it computed before, and only while they are still true:
/// an event written later into March, or a plan imported for October, is counted at once.
#[test]
fn the_years_overtime_is_kept_by_month_and_recomputed_when_a_month_changes() {
    use qrgate_hr::schedule::{self, Planned, ScheduleRow};
    use qrgate_hr::timesheet::{self, Month};
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with(dir.path(), &[worker("NV001", "May 1", "HC"), worker("NV002", "May 1", "HC")]);
    let long_day = |n: u128, d: &str| {
        [(In, "07:00"), (Out, "19:00")]
            .into_iter()
            .enumerate()
            .map(|(i, (direction, at))| {
                event(n + i as u128, p("NV001"), direction, &format!("{d} {at}"), "Cổng chính", Verdict::Accepted)
            })
            .collect::<Vec<_>>()
    };
    // Thursday 15 October and Friday 6 November: 3 hours of overtime each.
    store.insert_events(&[long_day(1, "2026-10-15"), long_day(3, "2026-11-06")].concat()).unwrap();
    let config = Config::default();
    let workers = store.workers(None, None).unwrap();
    let december = Month::parse("2026-12").unwrap();
    let year = |store: &Store| timesheet::overtime_before(store, &config, december).unwrap();
    let kept = |store: &Store, month: &str| -> Option<i64> {
        store
            .connection()
            .query_row("SELECT events_to FROM overtime_months_made WHERE month = ?1", [month], |r| r.get(0))
            .ok()
    };
    assert_eq!(year(&store).get("NV001"), Some(&(6 * 60)));
    assert_eq!(year(&store).get("NV002"), None, "no overtime, no row");
    let january = kept(&store, "2026-01").expect("January is kept");
    assert!((1..=11).all(|m| kept(&store, &format!("2026-{m:02}")).is_some()), "each month before December");

    // An event of March written now (another gate's, pulled late): March is computed again,
    // January is reused as it was.
    store.insert_events(&long_day(5, "2026-03-10")).unwrap();
    assert_eq!(year(&store).get("NV001"), Some(&(9 * 60)));
    assert_eq!(kept(&store, "2026-01"), Some(january), "January untouched");
    assert!(kept(&store, "2026-03").unwrap() > january, "March recomputed");

    // HR plans 15 October as NV001's weekly day off: all 11 worked hours of it become overtime.
    let plan =
        ScheduleRow { row: 2, code: "NV001".parse().unwrap(), days: vec![(day("2026-10-15"), Some(Planned::DayOff))] };
    schedule::import(&mut store, &[plan], None, Utc::now()).unwrap();
    assert_eq!(year(&store).get("NV001"), Some(&((3 + 11 + 3) * 60)));

    // The same figures as a walk over every day of the year before December, from scratch.
    let year_so_far = DayRange::new(day("2026-01-01"), day("2026-11-30")).unwrap();
    let walked = attendance::overtime_minutes(&store, &config, &workers, year_so_far).unwrap()[0];
    assert_eq!(year(&store).get("NV001"), Some(&walked));
}
