//! The monthly timesheet (bảng chấm công) in the layout of form 01a-LĐTL: a row per worker, a
//! column per day with its symbol, payroll's totals at the right, a legend and the signatures.
//!
//! It only gathers what `attendance` computed, a day at a time, into one line per worker; it
//! changes no number. Hours are the attendance minutes divided by 60.

use std::collections::HashMap;
use std::path::Path;

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use rusqlite::{params, OptionalExtension};
use rust_xlsxwriter::{Format as CellFormat, FormatAlign, FormatBorder, Workbook};

use crate::attendance::{self, AttendanceDay, DayRange, Detail, Status};
use crate::error::{Error, Result};
use crate::export::{day_start, escape_cell, select_workers, ExportSummary, Format, Output, Progress};
use qrgate_core::config::Config;
use qrgate_core::store::{Store, Worker};

/// A calendar month, checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Month {
    first: NaiveDate,
}

impl Month {
    pub fn new(year: i32, month: u32) -> Result<Month> {
        NaiveDate::from_ymd_opt(year, month, 1)
            .filter(|d| (1900..=9999).contains(&d.year()))
            .map(|first| Month { first })
            .ok_or_else(|| Error::invalid("month", format!("{year}-{month:02} is not a month from 1900 to 9999")))
    }

    /// "2026-11".
    pub fn parse(text: &str) -> Result<Month> {
        let bad = || Error::invalid("month", format!("{text:?} is not a month like 2026-11 (year-month)"));
        let (y, m) = text.trim().split_once('-').ok_or_else(bad)?;
        let (y, m) = (y.parse::<i32>().map_err(|_| bad())?, m.parse::<u32>().map_err(|_| bad())?);
        Month::new(y, m)
    }

    pub fn days(&self) -> DayRange {
        let next = if self.first.month() == 12 {
            NaiveDate::from_ymd_opt(self.first.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(self.first.year(), self.first.month() + 1, 1)
        };
        let last = next.map_or(NaiveDate::from_ymd_opt(9999, 12, 31).expect("valid"), |n| n - Duration::days(1));
        DayRange::new(self.first, last).expect("a month is a valid range")
    }
}

/// What a day's cell shows, and the legend that says so.
pub fn symbol(day: &AttendanceDay) -> &'static str {
    match day.status {
        Status::Present => "+",
        Status::Late => "M",
        Status::Absent => "V",
        Status::MissingOut | Status::MissingIn => "T",
        Status::DayOff => "NT",
        Status::Holiday => "L",
    }
}

pub const LEGEND: [(&str, &str); 6] = [
    ("+", "Có mặt đủ giờ"),
    ("M", "Đi muộn"),
    ("V", "Vắng"),
    ("T", "Thiếu giờ vào hoặc ra (quên quẹt thẻ)"),
    ("NT", "Nghỉ hằng tuần"),
    ("L", "Nghỉ lễ, Tết"),
];

/// The totals at the right of each line, in this order.
pub const TOTAL_HEADERS: [&str; 15] = [
    "Ngày công",
    "Giờ thường (ngày)",
    "Giờ thường (đêm)",
    "Giờ TC ngày thường (ngày)",
    "Giờ TC ngày thường (đêm)",
    "Giờ TC nghỉ tuần (ngày)",
    "Giờ TC nghỉ tuần (đêm)",
    "Giờ TC lễ (ngày)",
    "Giờ TC lễ (đêm)",
    "Tổng giờ TC",
    "Số lần muộn",
    "Phút muộn",
    "Ngày thiếu quẹt",
    "Giờ TC lũy kế năm",
    "Cảnh báo TC",
];

/// One worker's month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub worker: usize,
    /// A symbol per day of the month; "" for a day the worker does not appear (inactive).
    pub symbols: Vec<&'static str>,
    /// The shifts the month's working days were planned on, in the order first met (a rota of
    /// CA1, then CA3 is "CA1", "CA3"); empty when no day had one.
    pub shifts: Vec<String>,
    /// Days with worked time.
    pub days_worked: u32,
    /// Minutes, in `PayMinutes::figures` order.
    pub pay: [u64; 8],
    pub overtime: u64,
    pub late_count: u32,
    pub late_minutes: u64,
    pub missing_punch: u32,
    /// Overtime minutes of the calendar year up to the month's end, this month included.
    pub overtime_year: u64,
    /// Past kiosk.conf `[overtime]` limits: "" or the limits passed, in words.
    pub warning: String,
}

impl Line {
    fn new(worker: usize, days: usize) -> Line {
        Line {
            worker,
            symbols: vec![""; days],
            shifts: Vec::new(),
            days_worked: 0,
            pay: [0; 8],
            overtime: 0,
            late_count: 0,
            late_minutes: 0,
            missing_punch: 0,
            overtime_year: 0,
            warning: String::new(),
        }
    }

    fn add(&mut self, index: usize, d: &AttendanceDay) {
        self.symbols[index] = symbol(d);
        if let Some(shift) = d.shift.as_ref().filter(|_| d.status != Status::DayOff) {
            if !self.shifts.contains(shift) {
                self.shifts.push(shift.clone());
            }
        }
        self.days_worked += u32::from(d.worked_minutes > 0);
        for (t, m) in self.pay.iter_mut().zip(d.pay.figures()) {
            *t += u64::from(m);
        }
        self.overtime += u64::from(d.overtime_minutes);
        self.late_count += u32::from(d.late_minutes > 0);
        self.late_minutes += u64::from(d.late_minutes);
        self.missing_punch += u32::from(matches!(d.status, Status::MissingIn | Status::MissingOut));
    }

    /// The "Ca" column: the month's shifts joined by "/", or the roster's when no day had one.
    pub fn shift_text(&self, worker: &Worker) -> String {
        if self.shifts.is_empty() {
            worker.shift.clone()
        } else {
            self.shifts.join("/")
        }
    }

    /// The totals as shown: days, hours (minutes / 60), counts.
    pub fn totals(&self) -> [f64; 14] {
        let h = |m: u64| m as f64 / 60.0;
        [
            f64::from(self.days_worked),
            h(self.pay[0]),
            h(self.pay[1]),
            h(self.pay[2]),
            h(self.pay[3]),
            h(self.pay[4]),
            h(self.pay[5]),
            h(self.pay[6]),
            h(self.pay[7]),
            h(self.overtime),
            f64::from(self.late_count),
            self.late_minutes as f64,
            f64::from(self.missing_punch),
            h(self.overtime_year),
        ]
    }
}

/// Every worker's line for `month`, in roster order. Progress counts days.
pub fn lines(
    store: &Store,
    config: &Config,
    workers: &[Worker],
    month: Month,
    progress: Progress<'_>,
) -> Result<Vec<Line>> {
    let days = month.days();
    let mut lines: Vec<Line> = (0..workers.len()).map(|w| Line::new(w, days.len())).collect();
    let (mut done, total) = (0u64, days.len() as u64);
    progress(0, total);
    attendance::for_each_day(store, config, workers, days, Detail::Figures, &mut |day, list| {
        let index = (day - days.first()).num_days() as usize;
        for d in &list {
            lines[d.worker].add(index, d);
        }
        done += 1;
        progress(done, total);
        Ok(())
    })?;
    // The year's overtime before this month, for the yearly limit.
    let before = overtime_before(store, config, month)?;
    for l in lines.iter_mut() {
        l.overtime_year = l.overtime + before.get(workers[l.worker].code.as_str()).copied().unwrap_or(0);
    }
    let limits = &config.overtime;
    for l in lines.iter_mut() {
        let mut past = Vec::new();
        if l.overtime > u64::from(limits.month_limit_hours) * 60 {
            past.push(format!("Vượt {} giờ/tháng", limits.month_limit_hours));
        }
        if l.overtime_year > u64::from(limits.year_limit_hours) * 60 {
            past.push(format!("Vượt {} giờ/năm", limits.year_limit_hours));
        }
        l.warning = past.join("; ");
    }
    // Inactive workers with no day at all in the month are not on this month's sheet.
    lines.retain(|l| workers[l.worker].active || l.symbols.iter().any(|s| !s.is_empty()));
    Ok(lines)
}

/// Each worker's overtime minutes (by employee code) from 1 January to the end of the month
/// before `month`: the months of the year so far, each reused from the store while still true,
/// else computed over the whole roster and kept.
pub fn overtime_before(store: &Store, config: &Config, month: Month) -> Result<HashMap<String, u64>> {
    let mut total: HashMap<String, u64> = HashMap::new();
    if month.first.month() == 1 {
        return Ok(total);
    }
    let roster = store.workers(None, None)?;
    let unchanging = unchanging_basis(store, config)?;
    for m in 1..month.first.month() {
        let earlier = Month::new(month.first.year(), m)?;
        for (code, minutes) in month_overtime(store, config, &roster, &unchanging, earlier)? {
            *total.entry(code).or_default() += minutes;
        }
    }
    Ok(total)
}

/// One month's overtime by worker (those with any), from the store when what it was computed
/// from is unchanged.
fn month_overtime(
    store: &Store,
    config: &Config,
    roster: &[Worker],
    unchanging: &str,
    month: Month,
) -> Result<Vec<(String, u64)>> {
    let conn = store.connection();
    let key = month.first.format("%Y-%m").to_string();
    let days = month.days();
    let basis = format!("{unchanging}\nplans {:?}", plan_marks(store, days)?);
    // Every event that can count towards the month's days: a stay may begin days before and end
    // days after, by the longest stay the rules allow.
    let margin = Duration::hours(i64::from(config.attendance.longest_stay_hours) * 2) + Duration::days(3);
    let edge = |d: NaiveDate| day_start(config.time.timezone, d).timestamp_millis();
    let (from, to) = (edge(days.first()) - margin.num_milliseconds(), edge(days.last()) + margin.num_milliseconds());
    let made: Option<(i64, String)> = conn
        .query_row("SELECT events_to, basis FROM overtime_months_made WHERE month = ?1", [&key], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    if let Some((events_to, kept)) = made {
        let changed: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM events WHERE rowid_ > ?1 AND at_ms >= ?2 AND at_ms < ?3)",
            params![events_to, from, to],
            |r| r.get(0),
        )?;
        if kept == basis && !changed {
            let mut stmt = conn.prepare_cached("SELECT code, minutes FROM overtime_months WHERE month = ?1")?;
            let rows = stmt.query_map([&key], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?.max(0) as u64)))?;
            return Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?);
        }
    }
    // Read before computing: an event written meanwhile makes the month be computed again.
    let events_to: i64 = conn.query_row("SELECT COALESCE(MAX(rowid_), 0) FROM events", [], |r| r.get(0))?;
    let minutes = attendance::overtime_minutes(store, config, roster, days)?;
    let worked: Vec<(String, u64)> =
        roster.iter().zip(minutes).filter(|(_, m)| *m > 0).map(|(w, m)| (w.code.as_str().to_string(), m)).collect();
    let tx = conn.unchecked_transaction()?;
    tx.execute("DELETE FROM overtime_months WHERE month = ?1", [&key])?;
    {
        let mut insert = tx.prepare_cached("INSERT INTO overtime_months (month, code, minutes) VALUES (?1, ?2, ?3)")?;
        for (code, m) in &worked {
            insert.execute(params![key, code, i64::try_from(*m).unwrap_or(i64::MAX)])?;
        }
    }
    tx.execute(
        "INSERT OR REPLACE INTO overtime_months_made (month, events_to, basis) VALUES (?1, ?2, ?3)",
        params![key, events_to, basis],
    )?;
    tx.commit()?;
    Ok(worked)
}

/// What besides the events and the plans shapes every month's overtime, as text to compare: the
/// rules (shifts, attendance, holidays, the zone) and the roster's marks (its size, change counter
/// and last update: an import that changes a shift or a start date moves the last). The same for
/// every month of one timesheet, so read once.
fn unchanging_basis(store: &Store, config: &Config) -> Result<String> {
    let rules = serde_json::to_string(&(&config.shifts, &config.attendance, &config.holidays, &config.time))
        .expect("plain data serialises");
    let roster: (i64, i64, i64) = store.connection().query_row(
        "SELECT COUNT(*), COALESCE(MAX(change_seq), 0), COALESCE(MAX(updated_at_ms), 0) FROM workers",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    Ok(format!("rules {rules}\nroster {roster:?}"))
}

/// The plans' marks over the days that can reach into `days` (their count: an import that clears
/// plans changes it; and the newest import).
fn plan_marks(store: &Store, days: DayRange) -> Result<(i64, i64)> {
    Ok(store.connection().query_row(
        "SELECT COUNT(*), COALESCE(MAX(imported_at_ms), 0) FROM schedule INDEXED BY schedule_by_day_with_shift
         WHERE day >= ?1 AND day <= ?2",
        params![
            (days.first() - Duration::days(28)).format("%Y-%m-%d").to_string(),
            (days.last() + Duration::days(1)).format("%Y-%m-%d").to_string()
        ],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

fn weekday_short(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "T2",
        Weekday::Tue => "T3",
        Weekday::Wed => "T4",
        Weekday::Thu => "T5",
        Weekday::Fri => "T6",
        Weekday::Sat => "T7",
        Weekday::Sun => "CN",
    }
}

fn hours_text(v: f64) -> String {
    format!("{v:.2}")
}

/// The monthly timesheet of every worker (or one department) as XLSX or CSV.
pub fn export(
    store: &Store,
    config: &Config,
    month: Month,
    department: Option<&str>,
    format: Format,
    out: &Path,
    progress: Progress<'_>,
) -> Result<ExportSummary> {
    if format == Format::Pdf {
        return Err(Error::invalid("format", "the timesheet is written as xlsx or csv, not pdf"));
    }
    let workers = select_workers(store, department)?;
    let lines = lines(store, config, &workers, month, progress)?;
    let mut output = Output::create(out)?;
    match format {
        Format::Csv => write_csv(&lines, &workers, month, output.file(), out)?,
        _ => {
            let enterprise = store.identity().enterprise_name.clone();
            write_xlsx(&lines, &workers, month, department, &enterprise, output.file())?
        }
    }
    output.finish()?;
    Ok(ExportSummary { path: out.to_path_buf(), rows: lines.len() as u64 })
}

fn write_csv(lines: &[Line], workers: &[Worker], month: Month, file: &mut std::fs::File, path: &Path) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, file);
    // The byte-order mark makes Excel read UTF-8 and show the diacritics.
    out.write_all("\u{feff}".as_bytes()).map_err(Error::io(path))?;
    let mut csv = csv::Writer::from_writer(out);
    let csv_err = |e: csv::Error| match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::io(path)(io),
        other => Error::Render { what: "CSV", why: format!("{other:?}") },
    };
    let mut header: Vec<String> = ["STT", "Mã NV", "Họ và tên", "Bộ phận", "Ca"].map(String::from).to_vec();
    header.extend(month.days().days().map(|d| d.format("%d/%m").to_string()));
    header.extend(TOTAL_HEADERS.map(String::from));
    csv.write_record(&header).map_err(csv_err)?;
    let mut record: Vec<String> = Vec::with_capacity(header.len());
    for (i, l) in lines.iter().enumerate() {
        let w = &workers[l.worker];
        record.clear();
        record.push((i + 1).to_string());
        for t in [w.code.as_str(), &w.full_name, &w.department, &l.shift_text(w)] {
            record.push(escape_cell(t).into_owned());
        }
        record.extend(l.symbols.iter().map(|s| s.to_string()));
        let totals = l.totals();
        for (k, v) in totals.iter().enumerate() {
            let is_hours = (1..=9).contains(&k) || k == 13;
            record.push(if is_hours { hours_text(*v) } else { format!("{v}") });
        }
        record.push(l.warning.clone());
        csv.write_record(&record).map_err(csv_err)?;
    }
    let mut out = csv.into_inner().map_err(|e| Error::io(path)(e.into_error()))?;
    out.flush().map_err(Error::io(path))
}

fn render(e: rust_xlsxwriter::XlsxError) -> Error {
    Error::Render { what: "XLSX", why: e.to_string() }
}

/// Rows above the first worker: title, enterprise, month, a gap, then two header rows.
const HEAD_ROWS: u32 = 6;
/// Columns before the days: STT, code, name, department, shift.
const LEAD_COLS: u16 = 5;

fn write_xlsx(
    lines: &[Line],
    workers: &[Worker],
    month: Month,
    department: Option<&str>,
    enterprise: &str,
    file: &mut std::fs::File,
) -> Result<()> {
    let days: Vec<NaiveDate> = month.days().days().collect();
    let first_total = LEAD_COLS + days.len() as u16;
    let last_col = first_total + TOTAL_HEADERS.len() as u16 - 1;
    let title = CellFormat::new().set_bold().set_font_size(14).set_align(FormatAlign::Center);
    let centred = CellFormat::new().set_align(FormatAlign::Center);
    let header = CellFormat::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_background_color(0xDDEBF7)
        .set_border(FormatBorder::Thin);
    let weekend = header.clone().set_background_color(0xFCE4D6);
    let cell = CellFormat::new().set_border(FormatBorder::Thin);
    let symbol = cell.clone().set_align(FormatAlign::Center);
    let hours = cell.clone().set_num_format("0.00");
    let bold = CellFormat::new().set_bold();

    let mut book = Workbook::new();
    // The fastest deflate: a million small cells made the default level a tenth of the sheet's
    // time; the file grows from 4.3 MB to 7.5 MB at 20,000 workers.
    book.set_zip_compression_level(1);
    // Constant memory: one row at a time, so 20,000 workers stay small. Rows go in order.
    let sheet = book.add_worksheet_with_constant_memory().map_err(render)?;
    sheet.set_name("Bảng chấm công").map_err(render)?;
    sheet.set_paper_size(9).set_landscape().set_print_fit_to_pages(1, 0).set_print_center_horizontally(true);
    sheet.set_margins(0.3, 0.3, 0.5, 0.5, 0.2, 0.2);
    sheet.set_repeat_rows(HEAD_ROWS - 2, HEAD_ROWS - 1).map_err(render)?;
    sheet.set_freeze_panes(HEAD_ROWS, LEAD_COLS).map_err(render)?;
    sheet.set_footer("&CTrang &P / &N");

    sheet.merge_range(0, 0, 0, last_col, "BẢNG CHẤM CÔNG", &title).map_err(render)?;
    sheet.merge_range(1, 0, 1, last_col, &escape_cell(enterprise), &centred).map_err(render)?;
    let mut period = format!("Tháng {:02} năm {}", month.first.month(), month.first.year());
    if let Some(d) = department {
        period.push_str(&format!(" — Bộ phận: {d}"));
    }
    sheet.merge_range(2, 0, 2, last_col, &escape_cell(&period), &centred).map_err(render)?;

    // In constant memory a row is final once a later one is written: the first header row whole,
    // then the second.
    let (h1, h2) = (HEAD_ROWS - 2, HEAD_ROWS - 1);
    sheet.set_row_height(h1, 42).map_err(render)?;
    for (c, name) in ["STT", "Mã NV", "Họ và tên", "Bộ phận", "Ca"].iter().enumerate() {
        sheet.merge_range(h1, c as u16, h2, c as u16, name, &header).map_err(render)?;
    }
    for (i, d) in days.iter().enumerate() {
        let c = LEAD_COLS + i as u16;
        let f = if matches!(d.weekday(), Weekday::Sat | Weekday::Sun) { &weekend } else { &header };
        sheet.write_number_with_format(h1, c, f64::from(d.day()), f).map_err(render)?;
        sheet.set_column_width(c, 3.6).map_err(render)?;
    }
    for (k, name) in TOTAL_HEADERS.iter().enumerate() {
        let c = first_total + k as u16;
        sheet.merge_range(h1, c, h2, c, name, &header).map_err(render)?;
        sheet.set_column_width(c, 8.5).map_err(render)?;
    }
    for (i, d) in days.iter().enumerate() {
        let f = if matches!(d.weekday(), Weekday::Sat | Weekday::Sun) { &weekend } else { &header };
        sheet.write_string_with_format(h2, LEAD_COLS + i as u16, weekday_short(d.weekday()), f).map_err(render)?;
    }
    for (c, w) in [(0u16, 5.0), (1, 10.0), (2, 24.0), (3, 12.0), (4, 9.0)] {
        sheet.set_column_width(c, w).map_err(render)?;
    }

    let mut sums = [0f64; 14];
    let warn = cell.clone().set_font_color(0xC00000).set_bold();
    let mut row = HEAD_ROWS;
    for (i, l) in lines.iter().enumerate() {
        let w = &workers[l.worker];
        sheet.write_number_with_format(row, 0, (i + 1) as f64, &cell).map_err(render)?;
        for (c, t) in [w.code.as_str(), &w.full_name, &w.department, &l.shift_text(w)].iter().enumerate() {
            sheet.write_string_with_format(row, c as u16 + 1, escape_cell(t), &cell).map_err(render)?;
        }
        for (d, s) in l.symbols.iter().enumerate() {
            sheet.write_string_with_format(row, LEAD_COLS + d as u16, *s, &symbol).map_err(render)?;
        }
        for (k, v) in l.totals().iter().enumerate() {
            let f = if (1..=9).contains(&k) || k == 13 { &hours } else { &cell };
            sheet.write_number_with_format(row, first_total + k as u16, *v, f).map_err(render)?;
            sums[k] += v;
        }
        let warning = if l.warning.is_empty() { &cell } else { &warn };
        sheet.write_string_with_format(row, first_total + 14, &l.warning, warning).map_err(render)?;
        row += 1;
    }
    sheet
        .merge_range(row, 0, row, LEAD_COLS - 1, "Tổng cộng", &bold.clone().set_border(FormatBorder::Thin))
        .map_err(render)?;
    for (k, v) in sums.iter().enumerate() {
        let f = if (1..=9).contains(&k) || k == 13 { hours.clone().set_bold() } else { cell.clone().set_bold() };
        sheet.write_number_with_format(row, first_total + k as u16, *v, &f).map_err(render)?;
    }
    row += 2;
    sheet.write_string_with_format(row, 1, "Ký hiệu chấm công:", &bold).map_err(render)?;
    for (s, meaning) in LEGEND {
        row += 1;
        sheet.write_string_with_format(row, 1, s, &centred).map_err(render)?;
        sheet.write_string(row, 2, meaning).map_err(render)?;
    }
    sheet
        .write_string(row + 1, 2, "Giờ TC: giờ làm thêm; đêm: 22:00–06:00 (Bộ luật Lao động 2019, Điều 98, 106, 107)")
        .map_err(render)?;
    row += 3;
    let signers = [("Người chấm công", 1u16), ("Phụ trách bộ phận", LEAD_COLS + 6), ("Người duyệt", first_total + 2)];
    sheet.write_string(row, first_total + 2, "Ngày ..... tháng ..... năm ..........").map_err(render)?;
    row += 1;
    for (who, col) in signers {
        sheet.write_string_with_format(row, col, who, &bold).map_err(render)?;
    }
    for (_, col) in signers {
        sheet.write_string(row + 1, col, "(Ký, họ tên)").map_err(render)?;
    }
    book.save_to_writer(file).map_err(render)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months() {
        assert_eq!(Month::parse("2026-11").unwrap().days().len(), 30);
        assert_eq!(Month::parse("2028-02").unwrap().days().len(), 29);
        assert_eq!(Month::parse("2026-12").unwrap().days().last(), "2026-12-31".parse().unwrap());
        for bad in ["2026-13", "11/2026", "2026", "1899-12"] {
            assert!(Month::parse(bad).is_err(), "{bad}");
        }
    }
}
