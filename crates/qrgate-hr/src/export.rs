//! HR exports: attendance, the raw event log, who is inside now, the visitor log — as XLSX, CSV or PDF.
//!
//! Every export writes a temporary file next to the target and renames it at the end, so the
//! target is either the old file or the whole new one. Text cells go through [`escape_cell`] in
//! both CSV and XLSX, so a name or a note that starts with `=` never runs as a formula.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use base64::Engine;
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use rust_xlsxwriter::{Format as CellFormat, FormatAlign, Workbook, XlsxError};

use crate::attendance::{self, AttendanceDay, DayRange, Detail, Status, Totals};
use crate::error::{Error, Result};
use qrgate_core::cccd::mask_number;
use qrgate_core::config::Config;
use qrgate_core::model::{ClockFlag, Direction, EmployeeCode, Method, PersonRef, Verdict};
use qrgate_core::presence::InsideRule;
use qrgate_core::store::{Event, Store, Worker};

/// The font with Vietnamese glyphs the PDF evacuation list is set in.
const FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

/// How the evacuation list writes a moment: day first, as Vietnamese date their papers.
const DAY_AND_TIME: &str = "%d/%m/%Y %H:%M";

/// Excel's last row; a longer table continues on a second sheet.
const XLSX_MAX_ROWS: u32 = 1_048_576;

/// What a caller learns about a finished export.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ExportSummary {
    pub path: PathBuf,
    /// Data rows written, headers and totals not counted.
    pub rows: u64,
}

/// The file types the exports write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Xlsx,
    Csv,
    Pdf,
    Json,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Xlsx => "xlsx",
            Format::Csv => "csv",
            Format::Pdf => "pdf",
            Format::Json => "json",
        }
    }

    fn only(self, allowed: &[Format], export: &str) -> Result<()> {
        if allowed.contains(&self) {
            return Ok(());
        }
        let names: Vec<&str> = allowed.iter().map(|f| f.as_str()).collect();
        Err(Error::invalid("format", format!("the {export} export is written as {}, not {self}", names.join(" or "))))
    }
}

impl FromStr for Format {
    type Err = Error;
    fn from_str(s: &str) -> Result<Format> {
        match s.trim().to_ascii_lowercase().as_str() {
            "xlsx" => Ok(Format::Xlsx),
            "csv" => Ok(Format::Csv),
            "pdf" => Ok(Format::Pdf),
            "json" => Ok(Format::Json),
            other => Err(Error::invalid("format", format!("{other:?}; expected one of: xlsx, csv, pdf, json"))),
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Called as an export goes: (done, total) in units the export chooses (days, rows).
pub type Progress<'a> = &'a mut dyn FnMut(u64, u64);

/// The one escape both CSV and XLSX use, shared with the server's CSV answers.
pub use qrgate_protocol::field::escape_cell;

// ---- the output file ------------------------------------------------------------------------

/// A file being written: a temporary sibling of the target until [`Output::finish`] renames it.
pub(crate) struct Output {
    tmp: tempfile::NamedTempFile,
    path: PathBuf,
}

impl Output {
    pub(crate) fn create(path: &Path) -> Result<Output> {
        if path.is_dir() {
            return Err(Error::invalid("output file", format!("{} is a directory", path.display())));
        }
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let tmp = tempfile::Builder::new().prefix(".qrgate-export-").suffix(".part").tempfile_in(dir).map_err(|e| {
            // The temporary name means nothing to the person; say which directory refused.
            let why = e
                .raw_os_error()
                .map_or_else(|| e.kind().to_string(), |c| std::io::Error::from_raw_os_error(c).to_string());
            Error::io(path)(std::io::Error::new(e.kind(), format!("cannot create a file in {}: {why}", dir.display())))
        })?;
        Ok(Output { tmp, path: path.to_path_buf() })
    }

    pub(crate) fn file(&mut self) -> &mut File {
        self.tmp.as_file_mut()
    }

    pub(crate) fn finish(mut self) -> Result<()> {
        let path = self.path.clone();
        self.file().sync_all().map_err(Error::io(&path))?;
        self.tmp.persist(&path).map_err(|e| Error::io(&path)(e.error))?;
        Ok(())
    }
}

fn render_xlsx(e: XlsxError) -> Error {
    Error::Render { what: "XLSX", why: e.to_string() }
}

fn csv_error(path: &Path) -> impl Fn(csv::Error) -> Error + '_ {
    move |e| match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::io(path)(io),
        other => Error::Render { what: "CSV", why: format!("{other:?}") },
    }
}

// ---- tables ---------------------------------------------------------------------------------

/// A cell as the exports know it: the XLSX gets numbers and real times, the CSV the text a
/// person would read.
#[derive(Debug, Clone, Copy)]
enum Cell<'a> {
    Text(&'a str),
    Int(i64),
    /// A time of day on `day`; shown with its date when it falls on another one (a night shift's out).
    Clock {
        at: NaiveDateTime,
        day: NaiveDate,
    },
    Moment(NaiveDateTime),
    /// A day and time to the minute, as Vietnamese write it: 25/11/2026 07:58.
    Minute(NaiveDateTime),
    Date(NaiveDate),
    Empty,
}

impl Cell<'_> {
    fn clock(at: Option<NaiveDateTime>, day: NaiveDate) -> Cell<'static> {
        at.map_or(Cell::Empty, |at| Cell::Clock { at, day })
    }

    fn text(&self) -> Cow<'_, str> {
        match *self {
            Cell::Text(t) => escape_cell(t),
            Cell::Int(n) => Cow::Owned(n.to_string()),
            Cell::Clock { at, day } if at.date() == day => Cow::Owned(at.format("%H:%M").to_string()),
            Cell::Clock { at, .. } => Cow::Owned(at.format("%Y-%m-%d %H:%M").to_string()),
            Cell::Moment(at) => Cow::Owned(at.format("%Y-%m-%d %H:%M:%S").to_string()),
            Cell::Minute(at) => Cow::Owned(at.format(DAY_AND_TIME).to_string()),
            Cell::Date(d) => Cow::Owned(d.format("%Y-%m-%d").to_string()),
            Cell::Empty => Cow::Borrowed(""),
        }
    }

    /// How many characters wide the cell shows in a spreadsheet.
    fn width(&self) -> usize {
        match *self {
            Cell::Text(t) => escape_cell(t).chars().count(),
            Cell::Int(n) => n.to_string().len(),
            Cell::Clock { at, day } if at.date() == day => 5,
            Cell::Clock { .. } => 11,
            Cell::Moment(_) => 19,
            Cell::Minute(_) => 16,
            Cell::Date(_) => 10,
            Cell::Empty => 0,
        }
    }
}

/// Where rows go: a CSV file (one table, the header once) or an XLSX workbook (a sheet per table).
trait Sheets {
    fn table(&mut self, name: &str, headers: &[&str]) -> Result<()>;
    fn row(&mut self, cells: &[Cell<'_>]) -> Result<()>;
}

struct CsvSheets<'f> {
    writer: csv::Writer<BufWriter<&'f mut File>>,
    path: PathBuf,
    headers_written: bool,
    line: Vec<String>,
}

impl<'f> CsvSheets<'f> {
    fn new(file: &'f mut File, path: &Path) -> Result<CsvSheets<'f>> {
        let mut out = BufWriter::with_capacity(1 << 16, file);
        // The byte-order mark is what makes Excel read the file as UTF-8 and show diacritics.
        out.write_all("\u{feff}".as_bytes()).map_err(Error::io(path))?;
        Ok(CsvSheets {
            writer: csv::WriterBuilder::new().from_writer(out),
            path: path.to_path_buf(),
            headers_written: false,
            line: Vec::new(),
        })
    }

    fn finish(self) -> Result<()> {
        let path = self.path.clone();
        let mut out = self.writer.into_inner().map_err(|e| Error::io(&path)(e.into_error()))?;
        out.flush().map_err(Error::io(&path))
    }
}

impl Sheets for CsvSheets<'_> {
    fn table(&mut self, _name: &str, headers: &[&str]) -> Result<()> {
        if !self.headers_written {
            self.writer.write_record(headers).map_err(csv_error(&self.path))?;
            self.headers_written = true;
        }
        Ok(())
    }

    fn row(&mut self, cells: &[Cell<'_>]) -> Result<()> {
        self.line.clear();
        self.line.extend(cells.iter().map(|c| c.text().into_owned()));
        self.writer.write_record(&self.line).map_err(csv_error(&self.path))
    }
}

struct XlsxSheets {
    book: Workbook,
    header: CellFormat,
    clock: CellFormat,
    clock_other_day: CellFormat,
    moment: CellFormat,
    minute: CellFormat,
    date: CellFormat,
    sheet: Option<usize>,
    sheets: usize,
    name: String,
    part: u32,
    headers: Vec<String>,
    row: u32,
    widths: Vec<usize>,
}

/// Excel's day number for a wall-clock time: days since 1899-12-30, the fraction the time of day.
fn excel_serial(at: NaiveDateTime) -> f64 {
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30).expect("valid").and_hms_opt(0, 0, 0).expect("valid");
    (at - epoch).num_seconds() as f64 / 86_400.0
}

impl XlsxSheets {
    fn new() -> XlsxSheets {
        XlsxSheets {
            book: Workbook::new(),
            header: CellFormat::new().set_bold().set_background_color(0xDDEBF7).set_align(FormatAlign::Center),
            clock: CellFormat::new().set_num_format("hh:mm"),
            clock_other_day: CellFormat::new().set_num_format("dd/mm hh:mm"),
            moment: CellFormat::new().set_num_format("dd/mm/yyyy hh:mm:ss"),
            minute: CellFormat::new().set_num_format("dd/mm/yyyy hh:mm"),
            date: CellFormat::new().set_num_format("dd/mm/yyyy"),
            sheet: None,
            sheets: 0,
            name: String::new(),
            part: 1,
            headers: Vec::new(),
            row: 0,
            widths: Vec::new(),
        }
    }

    /// A sheet written in full at the end (the summary), placed before the streamed ones.
    fn add_plain_sheet(&mut self, name: &str) -> Result<usize> {
        self.book.add_worksheet().set_name(name).map_err(render_xlsx)?;
        self.sheets += 1;
        Ok(self.sheets - 1)
    }

    fn close_sheet(&mut self) -> Result<()> {
        if let Some(index) = self.sheet.take() {
            let widths = std::mem::take(&mut self.widths);
            let sheet = self.book.worksheet_from_index(index).map_err(render_xlsx)?;
            set_widths(sheet, &widths)?;
        }
        Ok(())
    }

    fn open_sheet(&mut self) -> Result<()> {
        self.close_sheet()?;
        let name = if self.part == 1 { self.name.clone() } else { format!("{} ({})", self.name, self.part) };
        // Streamed sheets keep one row in memory: a month for 20,000 workers stays small.
        let sheet = self.book.add_worksheet_with_constant_memory().map_err(render_xlsx)?;
        sheet.set_name(&name).map_err(render_xlsx)?;
        sheet.set_freeze_panes(1, 0).map_err(render_xlsx)?;
        for (col, h) in self.headers.iter().enumerate() {
            sheet.write_string_with_format(0, col as u16, h, &self.header).map_err(render_xlsx)?;
        }
        self.widths = self.headers.iter().map(|h| h.chars().count()).collect();
        self.sheet = Some(self.sheets);
        self.sheets += 1;
        self.row = 1;
        Ok(())
    }

    fn save(mut self, file: &mut File) -> Result<()> {
        self.close_sheet()?;
        if self.sheets == 0 {
            self.book.add_worksheet();
        }
        self.book.save_to_writer(file).map_err(render_xlsx)
    }
}

fn set_widths(sheet: &mut rust_xlsxwriter::Worksheet, widths: &[usize]) -> Result<()> {
    for (col, w) in widths.iter().enumerate() {
        let w = (*w).clamp(4, 60) as f64 * 1.1 + 2.0;
        sheet.set_column_width(col as u16, w).map_err(render_xlsx)?;
    }
    Ok(())
}

impl Sheets for XlsxSheets {
    fn table(&mut self, name: &str, headers: &[&str]) -> Result<()> {
        self.name = name.to_string();
        self.part = 1;
        self.headers = headers.iter().map(|h| h.to_string()).collect();
        self.open_sheet()
    }

    fn row(&mut self, cells: &[Cell<'_>]) -> Result<()> {
        if self.row == XLSX_MAX_ROWS {
            self.part += 1;
            self.open_sheet()?;
        }
        let index = self.sheet.expect("a table is open before its rows");
        let row = self.row;
        let sheet = self.book.worksheet_from_index(index).map_err(render_xlsx)?;
        for (col, cell) in cells.iter().enumerate() {
            let c = col as u16;
            match *cell {
                Cell::Text(t) => sheet.write_string(row, c, escape_cell(t)),
                Cell::Int(n) => sheet.write_number(row, c, n as f64),
                Cell::Clock { at, day } if at.date() == day => {
                    sheet.write_number_with_format(row, c, excel_serial(at), &self.clock)
                }
                Cell::Clock { at, .. } => {
                    sheet.write_number_with_format(row, c, excel_serial(at), &self.clock_other_day)
                }
                Cell::Moment(at) => sheet.write_number_with_format(row, c, excel_serial(at), &self.moment),
                Cell::Minute(at) => sheet.write_number_with_format(row, c, excel_serial(at), &self.minute),
                Cell::Date(d) => sheet.write_number_with_format(
                    row,
                    c,
                    excel_serial(d.and_hms_opt(0, 0, 0).expect("midnight")),
                    &self.date,
                ),
                Cell::Empty => continue,
            }
            .map_err(render_xlsx)?;
            if let Some(w) = self.widths.get_mut(col) {
                *w = (*w).max(cell.width());
            }
        }
        self.row += 1;
        Ok(())
    }
}

/// The sheets of one export, on their way into the output file.
enum Book<'f> {
    Csv(Box<CsvSheets<'f>>),
    Xlsx(Box<XlsxSheets>, &'f mut File),
}

impl<'f> Book<'f> {
    fn new(format: Format, file: &'f mut File, path: &Path) -> Result<Book<'f>> {
        match format {
            Format::Csv => Ok(Book::Csv(Box::new(CsvSheets::new(file, path)?))),
            Format::Xlsx => Ok(Book::Xlsx(Box::new(XlsxSheets::new()), file)),
            Format::Pdf | Format::Json => Err(Error::invalid("format", "a table is written as xlsx or csv")),
        }
    }

    fn xlsx(&mut self) -> Option<&mut XlsxSheets> {
        match self {
            Book::Xlsx(x, _) => Some(x),
            Book::Csv(_) => None,
        }
    }

    fn finish(self) -> Result<()> {
        match self {
            Book::Csv(c) => c.finish(),
            Book::Xlsx(x, file) => (*x).save(file),
        }
    }
}

impl Sheets for Book<'_> {
    fn table(&mut self, name: &str, headers: &[&str]) -> Result<()> {
        match self {
            Book::Csv(c) => c.table(name, headers),
            Book::Xlsx(x, _) => x.table(name, headers),
        }
    }

    fn row(&mut self, cells: &[Cell<'_>]) -> Result<()> {
        match self {
            Book::Csv(c) => c.row(cells),
            Book::Xlsx(x, _) => x.row(cells),
        }
    }
}

/// Opens the output and the book, lets `write` fill it, and puts the file in place whole.
fn export_tables(
    out: &Path,
    format: Format,
    write: impl FnOnce(&mut Book<'_>) -> Result<u64>,
) -> Result<ExportSummary> {
    let mut output = Output::create(out)?;
    let rows = {
        let mut book = Book::new(format, output.file(), out)?;
        let rows = write(&mut book)?;
        book.finish()?;
        rows
    };
    output.finish()?;
    Ok(ExportSummary { path: out.to_path_buf(), rows })
}

// ---- attendance -----------------------------------------------------------------------------

/// Payroll's split of the worked minutes (`attendance::PayMinutes::figures` order).
pub const PAY_HEADERS: [&str; 8] = [
    "Phút thường (ngày)",
    "Phút thường (đêm)",
    "Phút tăng ca ngày thường (ngày)",
    "Phút tăng ca ngày thường (đêm)",
    "Phút tăng ca ngày nghỉ tuần (ngày)",
    "Phút tăng ca ngày nghỉ tuần (đêm)",
    "Phút tăng ca ngày lễ (ngày)",
    "Phút tăng ca ngày lễ (đêm)",
];

const ATTENDANCE_HEADERS: [&str; 21] = [
    "Ngày",
    "Mã NV",
    "Họ và tên",
    "Bộ phận",
    "Ca",
    "Giờ vào",
    "Giờ ra",
    "Phút làm việc",
    "Phút đi muộn",
    "Phút về sớm",
    "Phút tăng ca",
    PAY_HEADERS[0],
    PAY_HEADERS[1],
    PAY_HEADERS[2],
    PAY_HEADERS[3],
    PAY_HEADERS[4],
    PAY_HEADERS[5],
    PAY_HEADERS[6],
    PAY_HEADERS[7],
    "Trạng thái",
    "Cổng",
];

/// The name of the XLSX sheet with the totals per department.
pub const SUMMARY_SHEET: &str = "Tổng hợp";

const NO_DEPARTMENT: &str = "(không có bộ phận)";

/// The workers an attendance export covers: the whole roster, or one department, which must exist.
pub fn select_workers(store: &Store, department: Option<&str>) -> Result<Vec<Worker>> {
    let workers = store.workers(department, None)?;
    if let (Some(d), true) = (department, workers.is_empty()) {
        let mut stmt = store.connection().prepare_cached("SELECT DISTINCT department FROM workers ORDER BY 1")?;
        let known = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
        let known = if known.is_empty() { "the roster is empty".to_string() } else { known.join(", ") };
        return Err(Error::invalid("department", format!("no worker is in {d:?}; departments: {known}")));
    }
    if workers.is_empty() {
        return Err(Error::EmptySelection);
    }
    Ok(workers)
}

fn attendance_cells<'a>(d: &'a AttendanceDay, w: &'a Worker, gates: &'a str) -> [Cell<'a>; 21] {
    let pay = d.pay.figures().map(|m| Cell::Int(i64::from(m)));
    [
        Cell::Date(d.date),
        Cell::Text(w.code.as_str()),
        Cell::Text(&w.full_name),
        Cell::Text(&w.department),
        // The day's shift: the schedule's when HR planned one, else the roster's.
        d.shift.as_deref().map_or(Cell::Empty, Cell::Text),
        Cell::clock(d.first_in, d.date),
        Cell::clock(d.last_out, d.date),
        Cell::Int(i64::from(d.worked_minutes)),
        Cell::Int(i64::from(d.late_minutes)),
        Cell::Int(i64::from(d.early_leave_minutes)),
        Cell::Int(i64::from(d.overtime_minutes)),
        pay[0],
        pay[1],
        pay[2],
        pay[3],
        pay[4],
        pay[5],
        pay[6],
        pay[7],
        Cell::Text(d.status.label()),
        Cell::Text(gates),
    ]
}

#[derive(Default)]
struct DepartmentTotals {
    totals: Totals,
    workers: BTreeSet<usize>,
}

/// Daily attendance of every worker (or one department) over `days`. XLSX: the summary sheet
/// first, then a sheet per day; CSV: one table with the date in the first column. Progress counts days.
pub fn attendance(
    store: &Store,
    config: &Config,
    days: DayRange,
    department: Option<&str>,
    format: Format,
    out: &Path,
    progress: Progress<'_>,
) -> Result<ExportSummary> {
    format.only(&[Format::Xlsx, Format::Csv], "attendance")?;
    let workers = select_workers(store, department)?;
    export_tables(out, format, |book| {
        let summary = match book.xlsx() {
            Some(x) => Some(x.add_plain_sheet(SUMMARY_SHEET)?),
            None => None,
        };
        let mut departments: BTreeMap<String, DepartmentTotals> = BTreeMap::new();
        let (mut rows, mut done, total) = (0u64, 0u64, days.len() as u64);
        progress(0, total);
        attendance::for_each_day(store, config, &workers, days, Detail::Full, &mut |day, list| {
            book.table(&day.format("%Y-%m-%d").to_string(), &ATTENDANCE_HEADERS)?;
            let mut gates = String::new();
            for d in &list {
                let w = &workers[d.worker];
                gates.clear();
                gates.push_str(&d.gates.join(", "));
                book.row(&attendance_cells(d, w, &gates))?;
                let t = departments.entry(w.department.clone()).or_default();
                t.totals.add(d);
                t.workers.insert(d.worker);
                rows += 1;
            }
            done += 1;
            progress(done, total);
            Ok(())
        })?;
        if let (Some(index), Some(x)) = (summary, book.xlsx()) {
            write_summary(x, index, &departments, days)?;
        }
        Ok(rows)
    })
}

fn write_summary(
    x: &mut XlsxSheets,
    index: usize,
    departments: &BTreeMap<String, DepartmentTotals>,
    days: DayRange,
) -> Result<()> {
    let mut headers: Vec<String> = vec!["Bộ phận".into(), "Số công nhân".into(), "Số người-ngày".into()];
    headers.extend(Status::ALL.iter().map(|s| s.label().to_string()));
    headers
        .extend(["Tổng phút làm việc", "Tổng phút đi muộn", "Tổng phút về sớm", "Tổng phút tăng ca"].map(String::from));
    headers.extend(PAY_HEADERS.iter().map(|h| format!("Tổng {}", h.to_lowercase())));
    let mut lines: Vec<(String, Vec<u64>)> = Vec::new();
    let mut all = vec![0u64; headers.len() - 1];
    for (name, d) in departments {
        let t = &d.totals;
        let mut values = vec![d.workers.len() as u64, u64::from(t.days)];
        values.extend(Status::ALL.iter().map(|s| u64::from(t.count(*s))));
        values.extend([t.worked_minutes, t.late_minutes, t.early_leave_minutes, t.overtime_minutes]);
        values.extend(t.pay);
        for (a, v) in all.iter_mut().zip(&values) {
            *a += v;
        }
        let name = if name.is_empty() { NO_DEPARTMENT.to_string() } else { name.clone() };
        lines.push((name, values));
    }
    lines.push(("Tổng cộng".into(), all));

    let bold = CellFormat::new().set_bold();
    let header = x.header.clone();
    let sheet = x.book.worksheet_from_index(index).map_err(render_xlsx)?;
    sheet.set_freeze_panes(1, 0).map_err(render_xlsx)?;
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for (col, h) in headers.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, h, &header).map_err(render_xlsx)?;
    }
    let last = lines.len() - 1;
    for (i, (name, values)) in lines.iter().enumerate() {
        let row = i as u32 + 1;
        let format = if i == last { bold.clone() } else { CellFormat::new() };
        sheet.write_string_with_format(row, 0, escape_cell(name), &format).map_err(render_xlsx)?;
        widths[0] = widths[0].max(name.chars().count());
        for (col, v) in values.iter().enumerate() {
            sheet.write_number_with_format(row, col as u16 + 1, *v as f64, &format).map_err(render_xlsx)?;
            widths[col + 1] = widths[col + 1].max(v.to_string().len());
        }
    }
    let period = format!("Kỳ: {} – {}", days.first().format("%d/%m/%Y"), days.last().format("%d/%m/%Y"));
    sheet.write_string(lines.len() as u32 + 2, 0, &period).map_err(render_xlsx)?;
    set_widths(sheet, &widths)
}

// ---- the raw event log ----------------------------------------------------------------------

const EVENT_HEADERS: [&str; 17] = [
    "Thời gian",
    "Cổng",
    "Kiosk",
    "Số thứ tự",
    "Đối tượng",
    "Mã",
    "Họ và tên",
    "Bộ phận",
    "Hướng",
    "Phương thức",
    "Kết quả",
    "Lý do",
    "Người thao tác",
    "Ghi chú",
    "Mã sự kiện",
    // The kiosk doubted the event's time when it wrote it (its clock jumped: `ClockFlag`).
    "Giờ đáng ngờ",
    // The province's clock minus the kiosk's when the event was written, as the kiosk knew it.
    "Đồng hồ kiosk lệch (giây)",
];

fn clock_flag_label(f: Option<ClockFlag>) -> &'static str {
    match f {
        Some(ClockFlag::Behind) => "Lùi giờ",
        Some(ClockFlag::Ahead) => "Nhanh giờ",
        None => "",
    }
}

fn direction_label(d: Option<Direction>) -> &'static str {
    match d {
        Some(Direction::In) => "Vào",
        Some(Direction::Out) => "Ra",
        None => "",
    }
}

fn method_label(m: Method) -> &'static str {
    match m {
        Method::Badge => "Thẻ",
        Method::Phone => "Điện thoại",
        Method::Cccd => "CCCD",
        Method::Manual => "Thủ công",
        Method::Legacy => "Mã cũ",
    }
}

fn verdict_label(v: Verdict) -> &'static str {
    match v {
        Verdict::Accepted => "Chấp nhận",
        Verdict::Refused => "Từ chối",
        Verdict::NotPassed => "Không qua cổng",
    }
}

/// The UTC instant a local calendar day starts at.
pub(crate) fn day_start(tz: Tz, day: NaiveDate) -> DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).expect("midnight");
    tz.from_local_datetime(&midnight).earliest().unwrap_or_else(|| tz.from_utc_datetime(&midnight)).with_timezone(&Utc)
}

/// Every event of `days` (local calendar days), refusals included, a sheet per day in XLSX.
/// Visitors appear by their opaque id only; their details are in the visitor export.
pub fn events(
    store: &Store,
    config: &Config,
    days: DayRange,
    format: Format,
    out: &Path,
    progress: Progress<'_>,
) -> Result<ExportSummary> {
    format.only(&[Format::Xlsx, Format::Csv], "event")?;
    let tz = config.time.timezone;
    let roster: HashMap<String, Worker> =
        store.workers(None, None)?.into_iter().map(|w| (w.code.to_string(), w)).collect();
    export_tables(out, format, |book| {
        let (mut rows, total) = (0u64, days.len() as u64);
        progress(0, total);
        for (i, day) in days.days().enumerate() {
            book.table(&day.format("%Y-%m-%d").to_string(), &EVENT_HEADERS)?;
            for e in store.events_between(day_start(tz, day), day_start(tz, day + Duration::days(1)))? {
                let id = e.id.to_string();
                book.row(&event_cells(&e, &id, tz, &roster))?;
                rows += 1;
            }
            progress(i as u64 + 1, total);
        }
        Ok(rows)
    })
}

fn event_cells<'a>(e: &'a Event, id: &'a str, tz: Tz, roster: &'a HashMap<String, Worker>) -> [Cell<'a>; 17] {
    let (kind, key, worker) = match &e.person {
        Some(PersonRef::Worker(c)) => ("Công nhân", c.as_str(), roster.get(c.as_str())),
        Some(PersonRef::Visitor(v)) => ("Khách", v.as_str(), None),
        None => ("", "", None),
    };
    let opt = |s: &'a Option<String>| s.as_deref().map_or(Cell::Empty, Cell::Text);
    [
        Cell::Moment(e.at.with_timezone(&tz).naive_local()),
        Cell::Text(&e.gate),
        Cell::Text(&e.kiosk_id),
        Cell::Int(e.seq),
        Cell::Text(kind),
        Cell::Text(key),
        worker.map_or(Cell::Empty, |w| Cell::Text(&w.full_name)),
        worker.map_or(Cell::Empty, |w| Cell::Text(&w.department)),
        Cell::Text(direction_label(e.direction)),
        Cell::Text(method_label(e.method)),
        Cell::Text(verdict_label(e.verdict)),
        opt(&e.reason),
        opt(&e.operator),
        opt(&e.note),
        Cell::Text(id),
        Cell::Text(clock_flag_label(e.clock_flag)),
        e.clock_offset_ms.map_or(Cell::Empty, |o| Cell::Int(o / 1000)),
    ]
}

// ---- who is inside now ----------------------------------------------------------------------

/// How long after the end of their shift a worker may still be inside before the list doubts it:
/// the Labour Code (2019, art. 107) caps overtime at half a day's normal hours, 4 on an 8-hour shift.
const OVERTIME_HOURS: i64 = 4;

/// Whether the list is sure someone is inside.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InsideStatus {
    /// Inside by every sign: within their shift and its overtime, or nothing says when they leave.
    Inside,
    /// Their shift ended more than [`OVERTIME_HOURS`] ago: probably left without scanning out.
    ProbablyLeft,
}

impl InsideStatus {
    pub fn code(self) -> &'static str {
        match self {
            InsideStatus::Inside => "inside",
            InsideStatus::ProbablyLeft => "probably_left",
        }
    }

    /// What the exports show.
    pub fn label(self) -> &'static str {
        match self {
            InsideStatus::Inside => "Đang ở trong",
            InsideStatus::ProbablyLeft => "Có thể đã ra, không quét thẻ",
        }
    }
}

/// One line of the evacuation list. Times are in the gate's time zone.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InsideRow {
    /// "Công nhân" or "Khách".
    pub kind: &'static str,
    /// Employee code, or the visitor's masked CCCD number.
    pub code: String,
    pub name: String,
    /// The worker's department, or the visitor's host.
    pub unit: String,
    /// When they entered.
    pub since: NaiveDateTime,
    pub gate: String,
    /// `since` as the list prints it: dd/mm/yyyy HH:MM.
    pub since_text: String,
    /// The worker's shift, when kiosk.conf knows the one the roster names.
    pub shift: Option<String>,
    /// When the shift they entered for ended.
    pub shift_end: Option<NaiveDateTime>,
    pub status: InsideStatus,
}

const INSIDE_HEADERS: [&str; 10] = [
    "STT",
    "Đối tượng",
    "Mã / CCCD",
    "Họ và tên",
    "Bộ phận / Người tiếp",
    "Vào lúc",
    "Cổng",
    "Ca",
    "Hết ca lúc",
    "Tình trạng",
];

/// Who is inside at `now` by the kiosk's one rule (`qrgate_core::presence`): those surely inside
/// first, workers by department then name, visitors after them; then those whose shift ended more
/// than [`OVERTIME_HOURS`] ago, in the same order. Visitors and workers without a known shift are
/// never doubted: nothing says when they leave.
pub fn inside_rows(store: &Store, config: &Config, now: DateTime<Utc>) -> Result<Vec<InsideRow>> {
    let tz = config.time.timezone;
    let local_now = now.with_timezone(&tz).naive_local();
    let mut rows = Vec::new();
    for (person, e) in store.inside(InsideRule::of(config), now)? {
        let since = e.at.with_timezone(&tz).naive_local();
        let since_text = since.format(DAY_AND_TIME).to_string();
        let row = match &person {
            PersonRef::Worker(code) => {
                let w = store.worker(code)?;
                // The shift planned for the day they came in, else the roster's.
                let planned = match crate::schedule::planned_on(store, code, since.date())? {
                    Some(crate::schedule::Planned::Shift(s)) => Some(s),
                    _ => w.as_ref().map(|w| w.shift.clone()),
                };
                let shift = planned.and_then(|name| config.shift(&name));
                let shift_end = shift.map(|s| attendance::shift_around(s, since).1);
                let status = match shift_end {
                    Some(end) if local_now > end + Duration::hours(OVERTIME_HOURS) => InsideStatus::ProbablyLeft,
                    _ => InsideStatus::Inside,
                };
                InsideRow {
                    kind: "Công nhân",
                    code: code.to_string(),
                    name: w.as_ref().map(|w| w.full_name.clone()).unwrap_or_default(),
                    unit: w.map(|w| w.department).unwrap_or_default(),
                    since,
                    gate: e.gate.clone(),
                    since_text,
                    shift: shift.map(|s| s.name.clone()),
                    shift_end,
                    status,
                }
            }
            PersonRef::Visitor(id) => {
                let v = store.visitor(id)?;
                InsideRow {
                    kind: "Khách",
                    code: v.as_ref().and_then(|v| v.number.as_deref()).map(mask_number).unwrap_or_default(),
                    name: v.as_ref().and_then(|v| v.full_name.clone()).unwrap_or_else(|| "(khách)".into()),
                    unit: v.and_then(|v| v.host).unwrap_or_default(),
                    since,
                    gate: e.gate.clone(),
                    since_text,
                    shift: None,
                    shift_end: None,
                    status: InsideStatus::Inside,
                }
            }
        };
        rows.push(row);
    }
    rows.sort_by(|a, b| {
        (a.status, a.kind == "Khách", &a.unit, &a.name, &a.code).cmp(&(
            b.status,
            b.kind == "Khách",
            &b.unit,
            &b.name,
            &b.code,
        ))
    });
    Ok(rows)
}

/// The evacuation list: who is inside at `now`, as XLSX, CSV or a printable PDF.
pub fn inside(
    store: &Store,
    config: &Config,
    now: DateTime<Utc>,
    format: Format,
    out: &Path,
    progress: Progress<'_>,
) -> Result<ExportSummary> {
    let rows = inside_rows(store, config, now)?;
    let total = rows.len() as u64;
    progress(0, total);
    let summary = if format == Format::Pdf {
        let title = store.identity().enterprise_name.clone();
        let mut output = Output::create(out)?;
        inside_pdf(&rows, &title, now.with_timezone(&config.time.timezone).naive_local(), output.file())?;
        output.finish()?;
        ExportSummary { path: out.to_path_buf(), rows: total }
    } else {
        export_tables(out, format, |book| {
            book.table("Đang ở trong", &INSIDE_HEADERS)?;
            for (i, r) in rows.iter().enumerate() {
                book.row(&[
                    Cell::Int(i as i64 + 1),
                    Cell::Text(r.kind),
                    Cell::Text(&r.code),
                    Cell::Text(&r.name),
                    Cell::Text(&r.unit),
                    Cell::Minute(r.since),
                    Cell::Text(&r.gate),
                    r.shift.as_deref().map_or(Cell::Empty, Cell::Text),
                    r.shift_end.map_or(Cell::Empty, Cell::Minute),
                    Cell::Text(r.status.label()),
                ])?;
            }
            Ok(total)
        })?
    };
    progress(total, total);
    Ok(summary)
}

/// A line of the printed list: a section's heading or one person.
enum PdfLine<'a> {
    Section(String),
    Person(usize, &'a InsideRow),
}

fn inside_pdf(rows: &[InsideRow], enterprise: &str, now: NaiveDateTime, file: &mut File) -> Result<()> {
    use printpdf::{Mm, PdfDocument};
    const PAGE_W: f32 = 210.0;
    const PAGE_H: f32 = 297.0;
    const LEFT: f32 = 12.0;
    const LINE: f32 = 5.6;
    const SIZE: f32 = 9.0;
    // Column starts (mm from the left margin) and how many characters fit before the next one.
    const COLUMNS: [(f32, usize); 7] =
        [(0.0, 4), (8.0, 10), (26.0, 13), (50.0, 26), (98.0, 18), (132.0, 16), (165.0, 11)];

    let render = |why: printpdf::Error| Error::Render { what: "evacuation list", why: why.to_string() };
    let title = "DANH SÁCH NGƯỜI ĐANG Ở TRONG";
    let (doc, page, layer) = PdfDocument::new(title, Mm(PAGE_W), Mm(PAGE_H), "list");
    let font = doc.add_external_font(FONT).map_err(render)?;
    let workers = rows.iter().filter(|r| r.kind != "Khách").count();
    let doubtful = rows.iter().filter(|r| r.status == InsideStatus::ProbablyLeft).count();
    let mut lines: Vec<PdfLine<'_>> = Vec::with_capacity(rows.len() + 2);
    for (i, r) in rows.iter().enumerate() {
        if i == 0 || rows[i - 1].status != r.status {
            lines.push(PdfLine::Section(match r.status {
                InsideStatus::Inside => format!("Đang ở trong: {} người", rows.len() - doubtful),
                InsideStatus::ProbablyLeft => format!(
                    "Có thể đã ra mà không quét thẻ: {doubtful} người (ca đã hết hơn {OVERTIME_HOURS} giờ; hãy xác nhận)"
                ),
            }));
        }
        lines.push(PdfLine::Person(i, r));
    }
    let per_page = ((PAGE_H - 60.0) / LINE) as usize;
    let pages = lines.len().div_ceil(per_page).max(1);
    let fit = |text: &str, chars: usize| -> String {
        if text.chars().count() <= chars {
            text.to_string()
        } else {
            let cut: String = text.chars().take(chars.saturating_sub(1)).collect();
            format!("{cut}…")
        }
    };
    let mut layer = doc.get_page(page).get_layer(layer);
    for p in 0..pages {
        if p > 0 {
            let (pg, l) = doc.add_page(Mm(PAGE_W), Mm(PAGE_H), "list");
            layer = doc.get_page(pg).get_layer(l);
        }
        let mut y = PAGE_H - 16.0;
        layer.use_text(title, 14.0, Mm(LEFT), Mm(y), &font);
        y -= 7.0;
        layer.use_text(enterprise, 10.0, Mm(LEFT), Mm(y), &font);
        y -= 5.5;
        let line = format!(
            "Lập lúc {} (giờ tại cổng) — {} người: {} công nhân, {} khách — trang {}/{}",
            now.format(DAY_AND_TIME),
            rows.len(),
            workers,
            rows.len() - workers,
            p + 1,
            pages
        );
        layer.use_text(line, 9.0, Mm(LEFT), Mm(y), &font);
        y -= 9.0;
        for (h, (x, chars)) in INSIDE_HEADERS.iter().zip(COLUMNS) {
            layer.use_text(fit(h, chars), SIZE, Mm(LEFT + x), Mm(y), &font);
        }
        y -= LINE;
        for line in lines.iter().skip(p * per_page).take(per_page) {
            match line {
                PdfLine::Section(text) => layer.use_text(text.as_str(), 10.0, Mm(LEFT), Mm(y), &font),
                PdfLine::Person(i, r) => {
                    let cells = [
                        (i + 1).to_string(),
                        r.kind.to_string(),
                        r.code.clone(),
                        r.name.clone(),
                        r.unit.clone(),
                        r.since_text.clone(),
                        r.gate.clone(),
                    ];
                    for (text, (x, chars)) in cells.iter().zip(COLUMNS) {
                        layer.use_text(fit(text, chars), SIZE, Mm(LEFT + x), Mm(y), &font);
                    }
                }
            }
            y -= LINE;
        }
    }
    doc.save(&mut BufWriter::new(file)).map_err(render)
}

// ---- the visitor log ------------------------------------------------------------------------

const VISITOR_HEADERS: [&str; 10] =
    ["Ngày", "Họ và tên", "Số CCCD", "Ngày sinh", "Người tiếp", "Mục đích", "Điện thoại", "Giờ vào", "Giờ ra", "Cổng"];

struct Visit {
    id: String,
    first_in: Option<NaiveDateTime>,
    last_out: Option<NaiveDateTime>,
    gates: BTreeSet<String>,
}

/// Who visited on `days`: one line per visitor per day. The CCCD number is masked and the birth
/// date and phone left out unless `full` (Law 91/2025/QH15: show personal data only to who needs it).
pub fn visitors(
    store: &Store,
    config: &Config,
    days: DayRange,
    full: bool,
    format: Format,
    out: &Path,
    progress: Progress<'_>,
) -> Result<ExportSummary> {
    format.only(&[Format::Xlsx, Format::Csv], "visitor")?;
    let tz = config.time.timezone;
    let mut stmt = store.connection().prepare_cached(
        "SELECT person_ref, direction, at_ms, gate FROM events
         WHERE at_ms >= ?1 AND at_ms < ?2 AND person_kind = 'visitor' AND verdict = 'accepted'
           AND NOT EXISTS (SELECT 1 FROM events f WHERE f.follows = events.id)
         ORDER BY at_ms, rowid_",
    )?;
    export_tables(out, format, |book| {
        let (mut rows, total) = (0u64, days.len() as u64);
        progress(0, total);
        for (i, day) in days.days().enumerate() {
            book.table(&day.format("%Y-%m-%d").to_string(), &VISITOR_HEADERS)?;
            let from = day_start(tz, day).timestamp_millis();
            let to = day_start(tz, day + Duration::days(1)).timestamp_millis();
            let mut visits: Vec<Visit> = Vec::new();
            let mut index: HashMap<String, usize> = HashMap::new();
            let mut q = stmt.query(rusqlite::params![from, to])?;
            while let Some(r) = q.next()? {
                let id: String = r.get(0)?;
                let direction: Option<String> = r.get(1)?;
                let at = DateTime::<Utc>::from_timestamp_millis(r.get(2)?).unwrap_or_default();
                let at = at.with_timezone(&tz).naive_local();
                let slot = *index.entry(id.clone()).or_insert_with(|| {
                    visits.push(Visit { id, first_in: None, last_out: None, gates: BTreeSet::new() });
                    visits.len() - 1
                });
                let v = &mut visits[slot];
                match direction.as_deref() {
                    Some("in") => v.first_in = v.first_in.or(Some(at)),
                    Some("out") => v.last_out = Some(at),
                    _ => {}
                }
                v.gates.insert(r.get(3)?);
            }
            drop(q);
            for v in &visits {
                let details = store.visitor(&v.id)?;
                let d = details.as_ref();
                let name = d.and_then(|d| d.full_name.clone()).unwrap_or_else(|| "(đã xoá theo hạn lưu)".into());
                let number = d
                    .and_then(|d| d.number.as_deref())
                    .map(|n| if full { n.to_string() } else { mask_number(n) })
                    .unwrap_or_default();
                let private = |s: Option<&String>| if full { s.cloned().unwrap_or_default() } else { String::new() };
                let birth = private(d.and_then(|d| d.birth_date.as_ref()));
                let phone = private(d.and_then(|d| d.phone.as_ref()));
                let host = d.and_then(|d| d.host.clone()).unwrap_or_default();
                let purpose = d.and_then(|d| d.purpose.clone()).unwrap_or_default();
                let gates = v.gates.iter().cloned().collect::<Vec<_>>().join(", ");
                book.row(&[
                    Cell::Date(day),
                    Cell::Text(&name),
                    Cell::Text(&number),
                    if full { Cell::Text(&birth) } else { Cell::Empty },
                    Cell::Text(&host),
                    Cell::Text(&purpose),
                    if full { Cell::Text(&phone) } else { Cell::Empty },
                    Cell::clock(v.first_in, day),
                    Cell::clock(v.last_out, day),
                    Cell::Text(&gates),
                ])?;
                rows += 1;
            }
            progress(i as u64 + 1, total);
        }
        Ok(rows)
    })
}

// ---- the notice at the gate ----------------------------------------------------------------

/// The privacy notice as an A4 page to post at the gate (and hand to workers at roster import):
/// its first line as the title, each following line a paragraph, words wrapped to the page.
pub fn notice_pdf(notice: &str, out: &Path) -> Result<ExportSummary> {
    use printpdf::{Mm, PdfDocument};
    const PAGE_W: f32 = 210.0;
    const PAGE_H: f32 = 297.0;
    const LEFT: f32 = 20.0;
    const SIZE: f32 = 12.0;
    const LINE: f32 = 6.4;
    // DejaVu Sans at 12 pt sets about 74 characters of Vietnamese text in 170 mm.
    const CHARS: usize = 74;

    let render = |why: printpdf::Error| Error::Render { what: "notice", why: why.to_string() };
    let mut paragraphs = notice.lines().map(str::trim).filter(|l| !l.is_empty());
    let title = paragraphs.next().unwrap_or_default();
    let (doc, page, layer) = PdfDocument::new(title, Mm(PAGE_W), Mm(PAGE_H), "notice");
    let font = doc.add_external_font(FONT).map_err(render)?;
    let layer = doc.get_page(page).get_layer(layer);
    let mut y = PAGE_H - 25.0;
    for line in wrap(title, 56) {
        layer.use_text(line, 16.0, Mm(LEFT), Mm(y), &font);
        y -= 8.5;
    }
    y -= 4.0;
    let mut rows = 0;
    for paragraph in paragraphs {
        for line in wrap(paragraph, CHARS) {
            if y < 20.0 {
                return Err(Error::invalid("notice", "the text is longer than one A4 page; shorten it"));
            }
            layer.use_text(line, SIZE, Mm(LEFT), Mm(y), &font);
            y -= LINE;
        }
        y -= 3.0;
        rows += 1;
    }
    let mut output = Output::create(out)?;
    doc.save(&mut BufWriter::new(output.file())).map_err(render)?;
    output.finish()?;
    Ok(ExportSummary { path: out.to_path_buf(), rows })
}

/// Greedy word wrap at `width` characters (a word longer than a line gets a line of its own).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

// ---- a person's request to see their data ------------------------------------------------------

/// Whose data a request is about: a worker by code, or a visitor by their CCCD number (found
/// through the kiosk's salted hash, never an index of numbers).
#[derive(Debug, Clone)]
pub enum Subject {
    Worker(EmployeeCode),
    Visitor(String),
}

/// Everything the kiosk holds about one person (Law 91/2025/QH15: the person's right to see it):
/// their details as stored and every gate event about them. JSON for a machine, XLSX for a person
/// (a sheet of details, a sheet of events). Nothing found is an error, not an empty file.
pub fn subject(store: &Store, config: &Config, who: &Subject, format: Format, out: &Path) -> Result<ExportSummary> {
    format.only(&[Format::Xlsx, Format::Json], "personal data")?;
    let tz = config.time.timezone;
    // The worker's row names them in the events sheet; read once, with their details.
    let mut roster: HashMap<String, Worker> = HashMap::new();
    let photo = match who {
        Subject::Worker(code) => store.photo(code)?,
        Subject::Visitor(_) => None,
    };
    let (details, people): (Vec<(String, String)>, Vec<PersonRef>) = match who {
        Subject::Worker(code) => {
            let w = store.worker(code)?.ok_or_else(|| qrgate_core::Error::UnknownEmployee(code.to_string()))?;
            let photo_words = match &photo {
                Some(jpeg) => {
                    format!("có, ảnh JPEG {} KB (nằm trong bản JSON: --format json)", jpeg.len().div_ceil(1024))
                }
                None => "không".into(),
            };
            let details = vec![
                ("Mã nhân viên".into(), w.code.to_string()),
                ("Họ và tên".into(), w.full_name.clone()),
                ("Bộ phận".into(), w.department.clone()),
                ("Ca".into(), w.shift.clone()),
                ("Điện thoại".into(), w.phone.clone()),
                ("Đang làm việc".into(), if w.active { "có" } else { "không" }.into()),
                ("Số thẻ hiện hành".into(), w.badge_serial.to_string()),
                ("Ảnh".into(), photo_words),
            ];
            let person = PersonRef::Worker(w.code.clone());
            roster.insert(w.code.to_string(), w);
            (details, vec![person])
        }
        Subject::Visitor(number) => {
            let hash = qrgate_core::privacy::visitor_number_hash(&store.visitor_salt()?, number.trim());
            let mut stmt = store.connection().prepare(
                "SELECT id, number, old_number, full_name, birth_date, sex, address, issued, host, purpose, phone,
                        health, first_seen_ms, last_seen_ms, consent_at_ms
                 FROM visitors WHERE number_hash = ?1 AND purged_at_ms IS NULL ORDER BY first_seen_ms",
            )?;
            let mut rows = stmt.query([hash])?;
            let (mut details, mut people) = (Vec::new(), Vec::new());
            let moment = |ms: Option<i64>| {
                ms.and_then(DateTime::<Utc>::from_timestamp_millis)
                    .map(|t| t.with_timezone(&tz).format(DAY_AND_TIME).to_string())
                    .unwrap_or_default()
            };
            while let Some(r) = rows.next()? {
                let id: String = r.get(0)?;
                let text = |i: usize| r.get::<_, Option<String>>(i).map(Option::unwrap_or_default);
                for (label, value) in [
                    ("Mã khách", id.clone()),
                    ("Số CCCD", text(1)?),
                    ("Số CMND cũ", text(2)?),
                    ("Họ và tên", text(3)?),
                    ("Ngày sinh", text(4)?),
                    ("Giới tính", text(5)?),
                    ("Địa chỉ", text(6)?),
                    ("Ngày cấp", text(7)?),
                    ("Người tiếp", text(8)?),
                    ("Mục đích", text(9)?),
                    ("Điện thoại", text(10)?),
                    ("Câu hỏi sức khoẻ", text(11)?),
                    ("Lần đến đầu", moment(r.get(12)?)),
                    ("Lần đến cuối", moment(r.get(13)?)),
                    ("Đồng ý lúc", moment(r.get(14)?)),
                ] {
                    details.push((label.to_string(), value));
                }
                people.push(PersonRef::Visitor(id));
            }
            (details, people)
        }
    };
    if people.is_empty() {
        return Err(Error::invalid("person", "the kiosk holds no details about this person"));
    }
    let mut events = Vec::new();
    for p in &people {
        events.extend(store.events_of(p)?);
    }
    events.sort_by_key(|e| (e.at, e.seq));
    let rows = (details.len() + events.len()) as u64;
    if format == Format::Json {
        let json = serde_json::json!({
            "enterprise": store.identity().enterprise_name,
            "kiosk": store.identity().kiosk_id.as_str(),
            "details": details.iter().map(|(k, v)| serde_json::json!({"field": k, "value": v})).collect::<Vec<_>>(),
            "photo_jpeg_base64": photo.as_ref().map(|jpeg| base64::engine::general_purpose::STANDARD.encode(jpeg)),
            "events": events.iter().map(|e| serde_json::json!({
                "time": e.at.with_timezone(&tz).to_rfc3339(),
                "gate": e.gate,
                "direction": e.direction.map(|d| d.as_str()),
                "method": e.method.as_str(),
                "verdict": e.verdict.as_str(),
                "reason": e.reason,
                "operator": e.operator,
                "note": e.note,
            })).collect::<Vec<_>>(),
        });
        let mut output = Output::create(out)?;
        serde_json::to_writer_pretty(output.file(), &json)
            .map_err(|e| Error::io(out)(std::io::Error::other(e.to_string())))?;
        output.finish()?;
        return Ok(ExportSummary { path: out.to_path_buf(), rows });
    }
    export_tables(out, format, |book| {
        book.table("Thông tin", &["Mục", "Giá trị"])?;
        for (k, v) in &details {
            book.row(&[Cell::Text(k), Cell::Text(v)])?;
        }
        book.table("Sự kiện", &EVENT_HEADERS)?;
        for e in &events {
            let id = e.id.to_string();
            book.row(&event_cells(e, &id, tz, &roster))?;
        }
        Ok(rows)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_days() {
        let at = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap().and_hms_opt(6, 0, 0).unwrap();
        assert_eq!(excel_serial(at), 46023.25);
    }
}
