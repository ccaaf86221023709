//! The roster file HR exports (CSV or XLSX), read into checked rows, and its all-or-nothing import.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rusqlite::params;
use unicode_normalization::UnicodeNormalization;

use crate::error::{Error, FileProblem, Result, RowError, RowProblem};
use qrgate_core::config::Config;
use qrgate_core::model::{EmployeeCode, EMPLOYEE_CODE_MAX};
use qrgate_core::store::{Store, Worker};
use qrgate_protocol::check::{self, Field, TextProblem};

/// One checked roster row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterRow {
    /// The row number in the file as a spreadsheet shows it (the header is row 1).
    pub row: usize,
    pub code: EmployeeCode,
    pub full_name: String,
    pub department: String,
    pub shift: String,
    pub phone: String,
    pub active: bool,
    /// The first working day, from the optional start-date column. An empty cell (or no such
    /// column, as in rosters from before it existed) keeps what the kiosk already has.
    pub started: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Column {
    Code,
    Name,
    Department,
    Shift,
    Phone,
    Active,
    Started,
}

impl Column {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Column::Code => "employee_code (Mã NV)",
            Column::Name => "full_name (Họ và tên)",
            Column::Department => "department (Bộ phận)",
            Column::Shift => "shift (Ca)",
            Column::Phone => "phone (Số điện thoại)",
            Column::Active => "active (Trạng thái)",
            Column::Started => "start_date (Ngày vào làm)",
        }
    }
}

/// Folds text for comparison: no diacritics, no case, letters and digits only ("Mã NV" → "manv").
pub fn fold(text: &str) -> String {
    text.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .map(|c| match c {
            'đ' | 'Đ' => 'd',
            c => c,
        })
        .flat_map(char::to_lowercase)
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// Workers whose code or name holds `query`, for a guard's manual entry: diacritics and case
/// do not matter ("nguyen van" finds "Nguyễn Văn An"). An exact code comes first, then names
/// that start with the query, then the rest, at most `limit`.
pub fn search(store: &Store, query: &str, limit: usize) -> Result<Vec<Worker>> {
    let q = fold(query);
    if q.is_empty() {
        return Ok(Vec::new());
    }
    let mut found: Vec<(u8, Worker)> = store
        .workers(None, None)?
        .into_iter()
        .filter_map(|w| {
            let code = fold(w.code.as_str());
            let name = fold(&w.full_name);
            let rank = if code == q {
                0
            } else if code.starts_with(&q) || name.starts_with(&q) {
                1
            } else if code.contains(&q) || name.contains(&q) {
                2
            } else {
                return None;
            };
            Some((rank, w))
        })
        .collect();
    found.sort_by(|(ra, a), (rb, b)| (ra, &a.full_name, &a.code).cmp(&(rb, &b.full_name, &b.code)));
    Ok(found.into_iter().take(limit).map(|(_, w)| w).collect())
}

pub(crate) fn column_for(header: &str) -> Option<Column> {
    Some(match fold(header).as_str() {
        "employeecode" | "code" | "manv" | "manhanvien" | "msnv" | "ma" => Column::Code,
        "fullname" | "name" | "hovaten" | "hoten" | "ten" => Column::Name,
        "department" | "bophan" | "phongban" | "dept" => Column::Department,
        "shift" | "ca" | "calamviec" => Column::Shift,
        "phone" | "sodienthoai" | "dienthoai" | "sdt" => Column::Phone,
        "active" | "trangthai" | "status" => Column::Active,
        "startdate" | "started" | "start" | "ngayvaolam" | "ngaybatdau" | "ngayvao" | "ngaynhanviec" => Column::Started,
        _ => return None,
    })
}

fn parse_active(text: &str) -> Option<bool> {
    match fold(text).as_str() {
        "" | "1" | "true" | "yes" | "y" | "x" | "co" | "active" | "danglam" | "danglamviec" | "hoatdong" => Some(true),
        "0" | "false" | "no" | "n" | "khong" | "inactive" | "nghi" | "nghiviec" | "danghi" | "dathoiviec" | "ngung"
        | "ngunglamviec" => Some(false),
        _ => None,
    }
}

/// A day as HR's files write it: 2026-11-23, 23/11/2026 (also with - or . between), or a date
/// cell of a workbook (read as the first form). Years 1900 to 9999, as attendance covers.
pub fn parse_day(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    let day = NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(t, "%d/%m/%Y"))
        .or_else(|_| NaiveDate::parse_from_str(t, "%d-%m-%Y"))
        .or_else(|_| NaiveDate::parse_from_str(t, "%d.%m.%Y"))
        .ok()?;
    (1900..=9999).contains(&day.year()).then_some(day)
}

/// A name or department the server would refuse, by the protocol's one rule for texts: what the
/// import takes, sync delivers.
fn text_problem(field: Field, value: &str) -> Option<RowProblem> {
    let problem = check::text(field, value).err()?.problem;
    let code_point = |c: char| format!("U+{:04X}", u32::from(c));
    Some(match (field, problem) {
        (Field::FullName, TextProblem::Empty) => RowProblem::NameEmpty,
        (Field::FullName, TextProblem::TooLong { max }) => RowProblem::NameTooLong { max },
        (Field::FullName, TextProblem::ControlCharacter { character }) => {
            RowProblem::NameBadCharacter { code_point: code_point(character) }
        }
        (_, TextProblem::ControlCharacter { character }) => {
            RowProblem::DepartmentBadCharacter { code_point: code_point(character) }
        }
        (_, TextProblem::TooLong { max }) => RowProblem::DepartmentTooLong { max },
        (_, TextProblem::Empty) => return None,
    })
}

fn parse_phone(text: &str) -> std::result::Result<String, RowProblem> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(String::new());
    }
    let digits: String = t.chars().filter(char::is_ascii_digit).collect();
    let ok_chars = t.chars().all(|c| c.is_ascii_digit() || matches!(c, ' ' | '.' | '-' | '+' | '(' | ')'));
    if !ok_chars || !(9..=12).contains(&digits.len()) {
        return Err(RowProblem::BadPhone { value: t.to_string() });
    }
    Ok(t.to_string())
}

/// Reads a roster file: `.xlsx`/`.xlsm`/`.xls` through calamine, anything else as CSV.
pub fn read_file(path: &Path, config: &Config) -> Result<Vec<RosterRow>> {
    rows_from_table(read_table(path)?, config)
}

/// The cells of a CSV or spreadsheet file, unchecked: the one reader behind the roster and the
/// shift schedule. Problems with the file as a whole are [`Error::RosterFile`].
pub fn read_table(path: &Path) -> Result<Table> {
    // A missing file is named as such whatever its kind; calamine's own words would not name it.
    std::fs::metadata(path).map_err(Error::io(path))?;
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "xlsx" | "xlsm" | "xls" | "xlsb" | "ods" => read_sheet(path),
        _ => {
            let bytes = std::fs::read(path).map_err(Error::io(path))?;
            read_csv(&bytes)
        }
    }
}

/// The cells of a file, first row the header, before any checking.
pub struct Table {
    pub rows: Vec<Vec<String>>,
}

pub fn read_csv(bytes: &[u8]) -> Result<Table> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1;
        Error::RosterFile(FileProblem::NotUtf8 { line })
    })?;
    let header = text.lines().next().unwrap_or("");
    let delimiter = if header.matches(';').count() > header.matches(',').count() { b';' } else { b',' };
    let mut reader =
        csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| Error::RosterFile(FileProblem::MalformedCsv { detail: e.to_string() }))?;
        rows.push(record.iter().map(str::to_string).collect());
    }
    Ok(Table { rows })
}

fn read_sheet(path: &Path) -> Result<Table> {
    use calamine::{open_workbook_auto, Data, Reader};
    let mut book = open_workbook_auto(path)
        .map_err(|e| Error::RosterFile(FileProblem::CannotOpenWorkbook { detail: e.to_string() }))?;
    let sheet = book.sheet_names().first().cloned().ok_or_else(|| Error::RosterFile(FileProblem::NoSheet))?;
    let range = book
        .worksheet_range(&sheet)
        .map_err(|e| Error::RosterFile(FileProblem::CannotReadSheet { sheet: sheet.clone(), detail: e.to_string() }))?;
    let rows = range
        .rows()
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    Data::Empty => String::new(),
                    Data::String(s) => s.clone(),
                    Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
                    Data::Float(f) => f.to_string(),
                    Data::Int(i) => i.to_string(),
                    Data::Bool(b) => b.to_string(),
                    // A date cell is a day count from Excel's epoch (1899-12-30 in the 1900 system
                    // every current workbook uses); written as parse_day reads it.
                    Data::DateTime(d) => {
                        let epoch = NaiveDate::from_ymd_opt(1899, 12, 30).expect("valid");
                        let day = d.as_f64().floor();
                        match (1.0..3_000_000.0).contains(&day).then(|| epoch + chrono::Duration::days(day as i64)) {
                            Some(day) => day.format("%Y-%m-%d").to_string(),
                            None => d.as_f64().to_string(),
                        }
                    }
                    Data::DateTimeIso(s) => s.get(..10).filter(|d| parse_day(d).is_some()).unwrap_or(s).to_string(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect();
    Ok(Table { rows })
}

/// Checks every row; the error lists every bad row, so HR fixes the file in one pass.
pub fn rows_from_table(table: Table, config: &Config) -> Result<Vec<RosterRow>> {
    let mut rows = table.rows.into_iter().enumerate().map(|(i, r)| (i + 1, r));
    let (_, header) = rows.next().ok_or_else(|| Error::RosterFile(FileProblem::Empty))?;
    let mut columns: HashMap<Column, usize> = HashMap::new();
    for (i, h) in header.iter().enumerate() {
        if let Some(c) = column_for(h) {
            if let Some(first) = columns.insert(c, i) {
                return Err(Error::RosterFile(FileProblem::DuplicateColumn {
                    first: first + 1,
                    second: i + 1,
                    column: c.label().to_string(),
                }));
            }
        }
    }
    let missing: Vec<String> = [Column::Code, Column::Name]
        .into_iter()
        .filter(|c| !columns.contains_key(c))
        .map(|c| c.label().to_string())
        .collect();
    if !missing.is_empty() {
        let found = header.iter().take(8).cloned().collect();
        return Err(Error::RosterFile(FileProblem::MissingColumns { columns: missing, found }));
    }
    let shifts: HashSet<&str> = config.shifts.iter().map(|s| s.name.as_str()).collect();
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut seen: HashMap<EmployeeCode, usize> = HashMap::new();
    for (row, cells) in rows {
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cell = |c: Column| columns.get(&c).and_then(|&i| cells.get(i)).map(|s| s.trim()).unwrap_or("");
        let mut why = Vec::new();
        let code = match cell(Column::Code).parse::<EmployeeCode>() {
            Ok(code) => {
                if let Some(first) = seen.insert(code.clone(), row) {
                    why.push(RowProblem::DuplicateCode { employee_code: code.to_string(), first_row: first });
                }
                Some(code)
            }
            Err(_) => {
                why.push(code_problem(cell(Column::Code)));
                None
            }
        };
        let full_name: String = cell(Column::Name).nfc().collect();
        let department: String = cell(Column::Department).nfc().collect();
        why.extend(text_problem(Field::FullName, &full_name));
        why.extend(text_problem(Field::Department, &department));
        let shift = cell(Column::Shift).to_string();
        if !shift.is_empty() && !shifts.contains(shift.as_str()) {
            let mut known: Vec<String> = shifts.iter().map(|s| s.to_string()).collect();
            known.sort_unstable();
            why.push(RowProblem::UnknownShift { shift: shift.clone(), known });
        }
        let phone = parse_phone(cell(Column::Phone)).unwrap_or_else(|e| {
            why.push(e);
            String::new()
        });
        let active = parse_active(cell(Column::Active)).unwrap_or_else(|| {
            why.push(RowProblem::BadStatus { value: cell(Column::Active).to_string() });
            true
        });
        let started = match cell(Column::Started) {
            "" => None,
            text => parse_day(text).or_else(|| {
                why.push(RowProblem::BadStartDate { value: text.to_string() });
                None
            }),
        };
        match code {
            Some(code) if why.is_empty() => {
                out.push(RosterRow { row, code, full_name, department, shift, phone, active, started })
            }
            _ => errors.push(RowError { row, problems: why }),
        }
    }
    if !errors.is_empty() {
        return Err(Error::RosterRows(errors));
    }
    if out.is_empty() {
        return Err(Error::RosterFile(FileProblem::NoDataRows));
    }
    Ok(out)
}

/// Why a cell is not an employee code, by the same rules as [`EmployeeCode`]'s parser.
pub(crate) fn code_problem(text: &str) -> RowProblem {
    let t = text.trim();
    if t.is_empty() {
        RowProblem::CodeEmpty
    } else if t.len() > EMPLOYEE_CODE_MAX {
        RowProblem::CodeTooLong { max: EMPLOYEE_CODE_MAX }
    } else {
        let character = t.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/')));
        RowProblem::CodeBadCharacter { value: t.to_string(), character: character.unwrap_or('?') }
    }
}

/// What an import changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub deactivated: usize,
}

/// Writes the rows in one transaction. People missing from the file are kept (and stay as they
/// are) unless `deactivate_missing`. `progress` is called with (done, total).
pub fn import(
    store: &mut Store,
    rows: &[RosterRow],
    deactivate_missing: bool,
    now: DateTime<Utc>,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ImportSummary> {
    let now_ms = now.timestamp_millis();
    store.transaction(|tx| {
        let mut summary = ImportSummary::default();
        let mut find = tx.prepare_cached(
            "SELECT full_name, department, shift, phone, active, started FROM workers WHERE code = ?1",
        )?;
        let mut upsert = tx.prepare_cached(
            "INSERT INTO workers (code, full_name, department, shift, phone, active, updated_at_ms, started)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (code) DO UPDATE SET full_name = excluded.full_name, department = excluded.department,
                 shift = excluded.shift, phone = excluded.phone, active = excluded.active,
                 updated_at_ms = excluded.updated_at_ms, started = COALESCE(excluded.started, workers.started)",
        )?;
        type Kept = (String, String, String, String, bool, Option<String>);
        for (i, r) in rows.iter().enumerate() {
            let before: Option<Kept> = find
                .query_row([r.code.as_str()], |x| {
                    Ok((x.get(0)?, x.get(1)?, x.get(2)?, x.get(3)?, x.get(4)?, x.get(5)?))
                })
                .map(Some)
                .or_else(|e| if e == rusqlite::Error::QueryReturnedNoRows { Ok(None) } else { Err(e) })?;
            let started = r.started.map(|d| d.format("%Y-%m-%d").to_string());
            let kept_started = started.clone().or_else(|| before.as_ref().and_then(|b| b.5.clone()));
            let after =
                (r.full_name.clone(), r.department.clone(), r.shift.clone(), r.phone.clone(), r.active, kept_started);
            match before {
                None => summary.added += 1,
                Some(b) if b == after => {
                    summary.unchanged += 1;
                    continue;
                }
                Some(_) => summary.updated += 1,
            }
            upsert.execute(params![
                r.code.as_str(),
                r.full_name,
                r.department,
                r.shift,
                r.phone,
                r.active,
                now_ms,
                started
            ])?;
            if i % 256 == 0 {
                progress(i, rows.len());
            }
        }
        progress(rows.len(), rows.len());
        if deactivate_missing {
            tx.execute_batch(
                "CREATE TEMP TABLE IF NOT EXISTS import_codes (code TEXT PRIMARY KEY); DELETE FROM import_codes;",
            )?;
            let mut keep = tx.prepare_cached("INSERT OR IGNORE INTO import_codes (code) VALUES (?1)")?;
            for r in rows {
                keep.execute([r.code.as_str()])?;
            }
            summary.deactivated = tx.execute(
                "UPDATE workers SET active = 0, updated_at_ms = ?1
                 WHERE active = 1 AND code NOT IN (SELECT code FROM import_codes)",
                [now_ms],
            )?;
            tx.execute_batch("DROP TABLE import_codes;")?;
        }
        Ok(summary)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(csv: &str) -> Result<Vec<RosterRow>> {
        rows_from_table(read_csv(csv.as_bytes())?, &Config::default())
    }

    #[test]
    fn vietnamese_headers_semicolons_and_bom() {
        let csv = "\u{feff}Mã NV;Họ và tên;Bộ phận;Ca;Số điện thoại;Trạng thái\nnv001;Nguyễn Văn An;May 1;CA1;0912 345 678;Đang làm\nNV002;Trần Thị Bình;Cắt;CA3;;Nghỉ việc\n";
        let rows = table(csv).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].code.as_str(), "NV001");
        assert_eq!(rows[0].full_name, "Nguyễn Văn An");
        assert_eq!(rows[0].row, 2);
        assert!(rows[0].active);
        assert!(!rows[1].active);
        assert_eq!(rows[1].shift, "CA3");
    }

    #[test]
    fn every_bad_row_is_named() {
        let csv = "employee_code,full_name,shift,active\nA1,An,CA1,1\n,Bình,CA1,1\nA1,Chi,CA1,1\nA4,,CA9,maybe\n";
        let Err(Error::RosterRows(errors)) = table(csv) else { panic!("expected row errors") };
        let rows: Vec<usize> = errors.iter().map(|e| e.row).collect();
        assert_eq!(rows, vec![3, 4, 5]);
        assert_eq!(errors[0].problems, vec![RowProblem::CodeEmpty]);
        assert_eq!(errors[1].problems, vec![RowProblem::DuplicateCode { employee_code: "A1".into(), first_row: 2 }]);
        assert_eq!(
            errors[2].problems,
            vec![
                RowProblem::NameEmpty,
                RowProblem::UnknownShift {
                    shift: "CA9".into(),
                    known: ["CA1", "CA2", "CA3", "HC"].map(String::from).to_vec()
                },
                RowProblem::BadStatus { value: "maybe".into() },
            ]
        );
    }

    #[test]
    fn every_problem_has_its_code_and_english_words() {
        let long = "X".repeat(EMPLOYEE_CODE_MAX + 1);
        let csv =
            format!("employee_code,full_name,phone\n{long},An,\nNV 1,{},\nNV2,Bình,12ab\n", "N".repeat(NAME_MAX + 1));
        const NAME_MAX: usize = 100;
        let Err(Error::RosterRows(errors)) = table(&csv) else { panic!("expected row errors") };
        let problems: Vec<&RowProblem> = errors.iter().flat_map(|e| &e.problems).collect();
        assert_eq!(
            problems,
            vec![
                &RowProblem::CodeTooLong { max: EMPLOYEE_CODE_MAX },
                &RowProblem::CodeBadCharacter { value: "NV 1".into(), character: ' ' },
                &RowProblem::NameTooLong { max: NAME_MAX },
                &RowProblem::BadPhone { value: "12ab".into() },
            ]
        );
        for p in problems {
            assert!(RowProblem::CODES.contains(&p.code()), "{}", p.code());
        }
        let text = Error::RosterRows(errors).to_string();
        assert!(text.contains("row 3: invalid employee code: \"NV 1\" contains ' '"), "{text}");
        assert!(text.contains("row 4: phone \"12ab\" is not a phone number"), "{text}");
    }

    #[test]
    fn what_the_server_would_refuse_is_refused_here_first() {
        // A NUL in a name stopped a kiosk's sync for good; a department over the server's limit
        // would have had every roster push refused.
        let long_dept = "Phòng ".repeat(20);
        let csv = format!(
            "employee_code,full_name,department\nNV1,\"An\0\",May\nNV2,Bình,{long_dept}\nNV3,\"Chi\nLan\",\"Kho\u{1b}\"\nNV4,Dũng,Kho\n"
        );
        let Err(Error::RosterRows(errors)) = table(&csv) else { panic!("expected row errors") };
        let problems: Vec<(usize, &RowProblem)> =
            errors.iter().flat_map(|e| e.problems.iter().map(move |p| (e.row, p))).collect();
        assert_eq!(
            problems,
            vec![
                (2, &RowProblem::NameBadCharacter { code_point: "U+0000".into() }),
                (3, &RowProblem::DepartmentTooLong { max: 100 }),
                (4, &RowProblem::NameBadCharacter { code_point: "U+000A".into() }),
                (4, &RowProblem::DepartmentBadCharacter { code_point: "U+001B".into() }),
            ]
        );
        for (_, p) in problems {
            assert!(RowProblem::CODES.contains(&p.code()), "{}", p.code());
        }
        // And every row that passes is one the server's own check takes.
        let rows = table("employee_code,full_name,department\nNV4,Dũng,Kho\n").unwrap();
        let wire = qrgate_protocol::WireWorker {
            code: rows[0].code.to_string(),
            full_name: rows[0].full_name.clone(),
            department: rows[0].department.clone(),
            shift: rows[0].shift.clone(),
            active: true,
            badge_serial: 1,
        };
        wire.check().unwrap();
    }

    #[test]
    fn unusable_files() {
        assert!(matches!(table(""), Err(Error::RosterFile(FileProblem::Empty))));
        assert!(matches!(table("employee_code,full_name\n"), Err(Error::RosterFile(FileProblem::NoDataRows))));
        let Err(missing) = table("a,b,c\n1,2,3\n") else { panic!("a file without the columns") };
        assert!(missing.to_string().contains("no column employee_code"), "{missing}");
        let Error::RosterFile(FileProblem::MissingColumns { columns, found }) = missing else { panic!("{missing}") };
        assert_eq!((columns.len(), found), (2, vec!["a".to_string(), "b".into(), "c".into()]));
        assert!(matches!(
            table("Mã NV,code,full_name\nA,B,C\n"),
            Err(Error::RosterFile(FileProblem::DuplicateColumn { first: 1, second: 2, .. }))
        ));
        let latin1 = b"employee_code,full_name\nA1,Nguy\xean\n";
        let err = read_csv(latin1).err().unwrap();
        assert!(err.to_string().contains("not UTF-8"), "{err}");
        let many: String = (0..200).map(|i| format!("c{i}")).collect::<Vec<_>>().join(",");
        assert!(matches!(table(&format!("{many}\n{}\n", "x,".repeat(199) + "x")), Err(Error::RosterFile(_))));
    }

    #[test]
    fn folding() {
        assert_eq!(fold("Mã NV"), "manv");
        assert_eq!(fold("Số Điện Thoại"), "sodienthoai");
        assert_eq!(fold("Trạng thái"), "trangthai");
    }

    proptest::proptest! {
        #[test]
        fn csv_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
            if let Ok(t) = read_csv(&bytes) {
                let _ = rows_from_table(t, &Config::default());
            }
        }

        #[test]
        fn csv_text_never_panics(text in "(Mã NV|employee_code|full_name|Ca|[a-z0-9;, \"\n]){0,40}") {
            if let Ok(t) = read_csv(text.as_bytes()) {
                let _ = rows_from_table(t, &Config::default());
            }
        }
    }
}
