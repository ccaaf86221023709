//! Shift schedules (lịch ca): HR's rota as a grid, a row per worker and a column per day, each
//! cell a kiosk.conf shift or a weekly day off; read and checked like the roster, imported all or
//! nothing, exported back in the same layout, and read by attendance to know each day's shift.
//!
//! A day with a planned shift is a working day on that shift, whatever the shift's `days_off`
//! say; a day planned off (`NT`) is a weekly day off; a day without a plan follows the roster's
//! shift as before. A blank cell in an imported file removes that day's plan.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::params;

use crate::attendance::{optional_text_at, text_at, DayRange, MAX_DAYS};
use crate::error::{Error, FileProblem, Result, RowError, RowProblem};
use crate::export::{escape_cell, select_workers, ExportSummary, Format, Output};
use crate::roster::{self, Column, Table};
use qrgate_core::config::Config;
use qrgate_core::model::EmployeeCode;
use qrgate_core::store::Store;

/// What a cell writes for a weekly day off, as the timesheet's legend says it.
pub const DAY_OFF: &str = "NT";

/// Every worker's plans, by employee code, each worker's in date order: what attendance reads.
pub type Schedule = HashMap<String, Vec<(NaiveDate, Planned)>>;

/// What a schedule plans for one worker on one day.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Planned {
    /// A shift kiosk.conf defines, by its name.
    Shift(String),
    /// A weekly day off.
    DayOff,
}

/// One checked row of a schedule file: a worker and, per date column, the plan (`None` for a
/// blank cell, which removes the day's plan).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleRow {
    /// The row number as a spreadsheet shows it (the header is row 1).
    pub row: usize,
    pub code: EmployeeCode,
    pub days: Vec<(NaiveDate, Option<Planned>)>,
}

/// Whether a cell says "day off": NT (nghỉ tuần), N, Nghỉ, OFF, in any case and with or without
/// diacritics.
fn is_day_off(text: &str) -> bool {
    matches!(roster::fold(text).as_str(), "nt" | "n" | "nghi" | "nghituan" | "nghihangtuan" | "off" | "dayoff")
}

/// A cell as a plan: a shift's name (in any case) first, so a shift named like a symbol stays a
/// shift, then a day-off symbol.
fn planned(text: &str, config: &Config) -> Option<Option<Planned>> {
    let t = text.trim();
    if t.is_empty() {
        return Some(None);
    }
    if let Some(s) = config.shifts.iter().find(|s| s.name.eq_ignore_ascii_case(t)) {
        return Some(Some(Planned::Shift(s.name.clone())));
    }
    is_day_off(t).then_some(Some(Planned::DayOff))
}

/// Reads a schedule file (CSV or XLSX, as the roster) and checks every row against kiosk.conf's
/// shifts and the roster in `store`.
pub fn read_file(path: &Path, config: &Config, store: &Store) -> Result<Vec<ScheduleRow>> {
    let table = roster::read_table(path).map_err(|e| match e {
        Error::RosterFile(problem) => Error::ScheduleFile(problem),
        other => other,
    })?;
    let on_roster: HashSet<EmployeeCode> = store.workers(None, None)?.into_iter().map(|w| w.code).collect();
    rows_from_table(table, config, &on_roster)
}

/// Checks the header and every row; the error lists every bad row, by spreadsheet row.
pub fn rows_from_table(table: Table, config: &Config, on_roster: &HashSet<EmployeeCode>) -> Result<Vec<ScheduleRow>> {
    let file = Error::ScheduleFile;
    let mut rows = table.rows.into_iter().enumerate().map(|(i, r)| (i + 1, r));
    let (_, header) = rows.next().ok_or(file(FileProblem::Empty))?;
    let mut code_column: Option<usize> = None;
    let mut dates: Vec<(usize, NaiveDate)> = Vec::new();
    for (i, h) in header.iter().enumerate() {
        match roster::column_for(h) {
            Some(Column::Code) => {
                if let Some(first) = code_column.replace(i) {
                    return Err(file(FileProblem::DuplicateColumn {
                        first: first + 1,
                        second: i + 1,
                        column: Column::Code.label().to_string(),
                    }));
                }
            }
            // Name, department, the roster's shift: there for the person reading, not imported.
            Some(_) => {}
            None if h.trim().is_empty() => {}
            None => {
                let date = roster::parse_day(h)
                    .ok_or_else(|| file(FileProblem::BadDateColumn { column: i + 1, value: h.trim().to_string() }))?;
                if let Some(&(first, _)) = dates.iter().find(|(_, d)| *d == date) {
                    return Err(file(FileProblem::DuplicateDate {
                        first: first + 1,
                        second: i + 1,
                        date: date.format("%d/%m/%Y").to_string(),
                    }));
                }
                dates.push((i, date));
            }
        }
    }
    let Some(code_column) = code_column else {
        let found = header.iter().take(8).cloned().collect();
        return Err(file(FileProblem::MissingColumns { columns: vec![Column::Code.label().to_string()], found }));
    };
    if dates.is_empty() {
        return Err(file(FileProblem::NoDateColumns));
    }
    if dates.len() as i64 > MAX_DAYS {
        return Err(file(FileProblem::TooManyDates { max: MAX_DAYS as usize }));
    }
    let mut known: Vec<String> = config.shifts.iter().map(|s| s.name.clone()).collect();
    known.sort_unstable();
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut seen: HashMap<EmployeeCode, usize> = HashMap::new();
    for (row, cells) in rows {
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cell = |i: usize| cells.get(i).map_or("", |s| s.trim());
        let mut why = Vec::new();
        let code = match cell(code_column).parse::<EmployeeCode>() {
            Ok(code) => {
                if let Some(first) = seen.insert(code.clone(), row) {
                    why.push(RowProblem::DuplicateCode { employee_code: code.to_string(), first_row: first });
                } else if !on_roster.contains(&code) {
                    why.push(RowProblem::NotOnRoster { employee_code: code.to_string() });
                }
                Some(code)
            }
            Err(_) => {
                why.push(roster::code_problem(cell(code_column)));
                None
            }
        };
        let mut days = Vec::with_capacity(dates.len());
        for &(i, date) in &dates {
            match planned(cell(i), config) {
                Some(plan) => days.push((date, plan)),
                None => why.push(RowProblem::UnknownPlan {
                    date: date.format("%d/%m/%Y").to_string(),
                    value: cell(i).to_string(),
                    known: known.clone(),
                }),
            }
        }
        match code {
            Some(code) if why.is_empty() => out.push(ScheduleRow { row, code, days }),
            _ => errors.push(RowError { row, problems: why }),
        }
    }
    if !errors.is_empty() {
        return Err(Error::ScheduleRows(errors));
    }
    if out.is_empty() {
        return Err(file(FileProblem::NoDataRows));
    }
    Ok(out)
}

/// What an import changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    pub workers: usize,
    /// Worker-days now planned (a shift or a day off).
    pub planned: usize,
    /// Worker-days whose plan a blank cell removed.
    pub cleared: usize,
    /// Filled cells before the `from` day, left as they were.
    pub skipped: usize,
}

/// Writes the rows' plans in one transaction, for the days from `from` on (every day of the file
/// when `None`): the schedule is valid from that day, and the days before it keep their plan, so
/// a rota imported mid-month does not rewrite the days already worked.
pub fn import(
    store: &mut Store,
    rows: &[ScheduleRow],
    from: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Result<ImportSummary> {
    let now_ms = now.timestamp_millis();
    store.transaction(|tx| {
        let mut summary = ImportSummary { workers: rows.len(), ..ImportSummary::default() };
        let mut upsert = tx.prepare_cached(
            "INSERT INTO schedule (code, day, shift, imported_at_ms) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (code, day) DO UPDATE SET shift = excluded.shift, imported_at_ms = excluded.imported_at_ms",
        )?;
        let mut clear = tx.prepare_cached("DELETE FROM schedule WHERE code = ?1 AND day = ?2")?;
        for r in rows {
            for (day, plan) in &r.days {
                if from.is_some_and(|f| *day < f) {
                    summary.skipped += usize::from(plan.is_some());
                    continue;
                }
                let day_text = day.format("%Y-%m-%d").to_string();
                match plan {
                    Some(p) => {
                        let shift = match p {
                            Planned::Shift(s) => Some(s.as_str()),
                            Planned::DayOff => None,
                        };
                        upsert.execute(params![r.code.as_str(), day_text, shift, now_ms])?;
                        summary.planned += 1;
                    }
                    None => summary.cleared += clear.execute(params![r.code.as_str(), day_text])?,
                }
            }
        }
        Ok(summary)
    })
}

/// The stored plans of `days` (every worker), by employee code, in date order.
pub fn load(store: &Store, first: NaiveDate, last: NaiveDate) -> Result<Schedule> {
    let mut out = Schedule::new();
    each_plan(store, first, last, &mut |code, day, shift| {
        let plan = shift.map_or(Planned::DayOff, |s| Planned::Shift(s.to_string()));
        match out.get_mut(code) {
            Some(days) => days.push((day, plan)),
            None => {
                out.insert(code.to_string(), vec![(day, plan)]);
            }
        }
    })?;
    Ok(out)
}

/// Every stored plan of `first..=last` as (employee code, day, shift or `None` for a day off),
/// day by day and each day's in code order; the texts are borrowed from the row.
pub(crate) fn each_plan(
    store: &Store,
    first: NaiveDate,
    last: NaiveDate,
    each: &mut dyn FnMut(&str, NaiveDate, Option<&str>),
) -> Result<()> {
    // In the index's order, day then code: each worker's list fills in date order as it is.
    let mut stmt = store.connection().prepare_cached(
        "SELECT code, day, shift FROM schedule INDEXED BY schedule_by_day_with_shift
         WHERE day >= ?1 AND day <= ?2 ORDER BY day, code",
    )?;
    let mut rows = stmt.query(params![first.format("%Y-%m-%d").to_string(), last.format("%Y-%m-%d").to_string()])?;
    // A day's text is parsed once for all the workers planned on it.
    let mut day: Option<(String, NaiveDate)> = None;
    while let Some(row) = rows.next()? {
        let text = text_at(row, 1)?;
        let date = match &day {
            Some((t, d)) if t == text => *d,
            _ => {
                let d = text
                    .parse::<NaiveDate>()
                    .map_err(|_| Error::invalid("schedule day", format!("{text:?} in the database")))?;
                day = Some((text.to_string(), d));
                d
            }
        };
        each(text_at(row, 0)?, date, optional_text_at(row, 2)?);
    }
    Ok(())
}

/// One worker's plan for one day, if HR planned it.
pub fn planned_on(store: &Store, code: &EmployeeCode, day: NaiveDate) -> Result<Option<Planned>> {
    let mut stmt = store.connection().prepare_cached("SELECT shift FROM schedule WHERE code = ?1 AND day = ?2")?;
    let mut rows = stmt.query(params![code.as_str(), day.format("%Y-%m-%d").to_string()])?;
    Ok(match rows.next()? {
        Some(row) => Some(row.get::<_, Option<String>>(0)?.map_or(Planned::DayOff, Planned::Shift)),
        None => None,
    })
}

/// The schedule of every worker (or one department) over `days`, in the layout the import reads:
/// Mã NV, Họ và tên, Bộ phận, Ca (the roster's), then a column per day. A blank cell is a day
/// without a plan (it follows the roster's shift).
pub fn export(
    store: &Store,
    days: DayRange,
    department: Option<&str>,
    format: Format,
    out: &Path,
) -> Result<ExportSummary> {
    if format == Format::Pdf {
        return Err(Error::invalid("format", "the schedule is written as xlsx or csv, not pdf"));
    }
    let workers = select_workers(store, department)?;
    let plans = load(store, days.first(), days.last())?;
    let mut header: Vec<String> = ["Mã NV", "Họ và tên", "Bộ phận", "Ca"].map(String::from).to_vec();
    header.extend(days.days().map(|d| d.format("%Y-%m-%d").to_string()));
    let mut output = Output::create(out)?;
    let mut cells: Vec<String> = Vec::with_capacity(header.len());
    let write_row = |w: &qrgate_core::store::Worker, cells: &mut Vec<String>| {
        cells.clear();
        for t in [w.code.as_str(), &w.full_name, &w.department, &w.shift] {
            cells.push(escape_cell(t).into_owned());
        }
        let planned = plans.get(w.code.as_str()).map_or(&[][..], Vec::as_slice);
        let mut at = 0;
        for d in days.days() {
            while at < planned.len() && planned[at].0 < d {
                at += 1;
            }
            cells.push(match planned.get(at) {
                Some((day, Planned::Shift(s))) if *day == d => s.clone(),
                Some((day, Planned::DayOff)) if *day == d => DAY_OFF.to_string(),
                _ => String::new(),
            });
        }
    };
    match format {
        Format::Csv => {
            use std::io::Write;
            let file = output.file();
            let mut buffered = std::io::BufWriter::with_capacity(1 << 16, file);
            buffered.write_all("\u{feff}".as_bytes()).map_err(Error::io(out))?;
            let mut csv = csv::Writer::from_writer(buffered);
            let csv_err = |e: csv::Error| Error::Render { what: "CSV", why: e.to_string() };
            csv.write_record(&header).map_err(csv_err)?;
            for w in &workers {
                write_row(w, &mut cells);
                csv.write_record(&cells).map_err(csv_err)?;
            }
            csv.into_inner().map_err(|e| Error::io(out)(e.into_error()))?.flush().map_err(Error::io(out))?;
        }
        _ => {
            use rust_xlsxwriter::{Format as CellFormat, Workbook};
            let render = |e: rust_xlsxwriter::XlsxError| Error::Render { what: "XLSX", why: e.to_string() };
            let bold = CellFormat::new().set_bold().set_background_color(0xDDEBF7);
            let mut book = Workbook::new();
            let sheet = book.add_worksheet_with_constant_memory().map_err(render)?;
            sheet.set_name("Lịch ca").map_err(render)?;
            for (c, h) in header.iter().enumerate() {
                sheet.write_string_with_format(0, c as u16, h, &bold).map_err(render)?;
            }
            sheet.set_column_width(1, 24).map_err(render)?;
            sheet.set_column_width(2, 14).map_err(render)?;
            sheet.set_freeze_panes(1, 4).map_err(render)?;
            for (r, w) in workers.iter().enumerate() {
                write_row(w, &mut cells);
                for (c, v) in cells.iter().enumerate() {
                    if !v.is_empty() {
                        sheet.write_string(r as u32 + 1, c as u16, v).map_err(render)?;
                    }
                }
            }
            book.save_to_writer(output.file()).map_err(render)?;
        }
    }
    output.finish()?;
    Ok(ExportSummary { path: out.to_path_buf(), rows: workers.len() as u64 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(csv: &str, on: &[&str]) -> Result<Vec<ScheduleRow>> {
        let on_roster = on.iter().map(|c| c.parse().unwrap()).collect();
        rows_from_table(roster::read_csv(csv.as_bytes())?, &Config::default(), &on_roster)
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_grid_with_names_dates_in_both_forms_and_day_off_symbols() {
        let rows = check(
            "Mã NV;Họ và tên;2026-11-23;24/11/2026;25/11/2026;26/11/2026\nNV001;An;CA1;ca1;Nghỉ;\nNV002;Bình;NT;CA3;off;HC\n",
            &["NV001", "NV002"],
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].row, 2);
        assert_eq!(
            rows[0].days,
            vec![
                (day("2026-11-23"), Some(Planned::Shift("CA1".into()))),
                (day("2026-11-24"), Some(Planned::Shift("CA1".into()))),
                (day("2026-11-25"), Some(Planned::DayOff)),
                (day("2026-11-26"), None),
            ]
        );
        assert_eq!(rows[1].days[0].1, Some(Planned::DayOff));
    }

    #[test]
    fn every_bad_row_is_named_with_its_number() {
        let Err(Error::ScheduleRows(errors)) = check(
            "employee_code,2026-11-23,2026-11-24\nNV001,CA1,CA9\nNV404,CA1,CA1\nNV001,CA2,CA2\n,CA1,\n",
            &["NV001"],
        ) else {
            panic!("expected row errors")
        };
        let rows: Vec<usize> = errors.iter().map(|e| e.row).collect();
        assert_eq!(rows, vec![2, 3, 4, 5]);
        assert!(
            matches!(&errors[0].problems[..], [RowProblem::UnknownPlan { value, date, .. }] if value == "CA9" && date == "24/11/2026")
        );
        assert_eq!(errors[1].problems, vec![RowProblem::NotOnRoster { employee_code: "NV404".into() }]);
        assert_eq!(errors[2].problems, vec![RowProblem::DuplicateCode { employee_code: "NV001".into(), first_row: 2 }]);
        assert_eq!(errors[3].problems, vec![RowProblem::CodeEmpty]);
        let text = Error::ScheduleRows(errors).to_string();
        assert!(text.contains("row 2: 24/11/2026: \"CA9\" is neither a shift"), "{text}");
        assert!(text.contains("row 3: employee code NV404 is not on the roster"), "{text}");
    }

    #[test]
    fn unusable_headers() {
        let problem = |csv: &str| match check(csv, &["NV001"]) {
            Err(Error::ScheduleFile(p)) => p,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            problem("Mã NV,Tuần 48\nNV001,CA1\n"),
            FileProblem::BadDateColumn { column: 2, value: "Tuần 48".into() }
        );
        assert!(matches!(problem("Mã NV,Họ và tên\nNV001,An\n"), FileProblem::NoDateColumns));
        assert!(matches!(problem("Họ và tên,2026-11-23\nAn,CA1\n"), FileProblem::MissingColumns { .. }));
        assert!(matches!(
            problem("Mã NV,2026-11-23,23/11/2026\nNV001,CA1,CA1\n"),
            FileProblem::DuplicateDate { first: 2, second: 3, .. }
        ));
        assert!(matches!(problem("Mã NV,2026-11-23\n"), FileProblem::NoDataRows));
        let year: String = (0..400).map(|i| format!(",{}", day("2026-01-01") + chrono::Duration::days(i))).collect();
        assert!(matches!(problem(&format!("Mã NV{year}\n")), FileProblem::TooManyDates { max: 366 }));
    }

    proptest::proptest! {
        #[test]
        fn csv_never_panics(text in "(Mã NV|2026-11-2[0-9]|CA[0-9]|NT|NV00[12]|[a-z0-9;, \"\n/]){0,40}") {
            if let Ok(t) = roster::read_csv(text.as_bytes()) {
                let on_roster = ["NV001".parse().unwrap()].into_iter().collect();
                let _ = rows_from_table(t, &Config::default(), &on_roster);
            }
        }
    }
}
