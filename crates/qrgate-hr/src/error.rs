//! HR's one error type: the engine's errors, plus what a roster file, a selection or a render can fail with.

use qrgate_core::Code;

/// What HR's work can fail with. Codes come from the one closed list, [`qrgate_core::Code`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Core(#[from] qrgate_core::Error),

    #[error("the roster file has {} bad row(s):\n{}", .0.len(), RowErrors(.0))]
    RosterRows(Vec<RowError>),

    #[error("cannot read the roster file: {0}")]
    RosterFile(FileProblem),

    #[error("the schedule file has {} bad row(s); nothing was imported:\n{}", .0.len(), RowErrors(.0))]
    ScheduleRows(Vec<RowError>),

    #[error("cannot read the schedule file: {0}")]
    ScheduleFile(FileProblem),

    #[error("{} photo file(s) cannot be taken; nothing was imported:\n{}", .0.len(), PhotoErrors(.0))]
    Photos(Vec<crate::photos::PhotoError>),

    #[error("no worker matches the selection")]
    EmptySelection,

    #[error("rendering {what}: {why}")]
    Render { what: &'static str, why: String },
}

impl Error {
    pub fn code(&self) -> Code {
        match self {
            Error::Core(e) => e.code(),
            Error::RosterRows(_) => Code::RosterBadRows,
            Error::RosterFile(_) => Code::RosterUnreadable,
            Error::ScheduleRows(_) => Code::ScheduleBadRows,
            Error::ScheduleFile(_) => Code::ScheduleUnreadable,
            Error::Photos(_) => Code::PhotosBadFiles,
            Error::EmptySelection => Code::EmptySelection,
            Error::Render { .. } => Code::Render,
        }
    }

    pub(crate) fn invalid(what: &'static str, why: impl Into<String>) -> Error {
        Error::Core(qrgate_core::Error::invalid(what, why))
    }

    pub(crate) fn io(path: impl Into<std::path::PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let to_core = qrgate_core::Error::io(path);
        move |e| Error::Core(to_core(e))
    }
}

/// Each bad photo file on a line of its own: its name, then why.
struct PhotoErrors<'a>(&'a [crate::photos::PhotoError]);

impl std::fmt::Display for PhotoErrors<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "  {}: {}", e.file, e.why)?;
        }
        Ok(())
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Error {
        Error::Core(e.into())
    }
}

/// One bad row of a roster file, numbered as the person sees it in a spreadsheet
/// (the header is row 1), with everything wrong in it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    pub row: usize,
    pub problems: Vec<RowProblem>,
}

/// What can be wrong with one roster row: a closed list, so the window says it in the clerk's
/// language (`ui/i18n`, `roster_problems.<code>`) and the `qrgate` command in English.
/// Serialised as `{"code": "unknown_shift", "shift": "CA9", ...}`: the code and its values.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum RowProblem {
    CodeEmpty,
    CodeTooLong {
        max: usize,
    },
    CodeBadCharacter {
        value: String,
        character: char,
    },
    DuplicateCode {
        employee_code: String,
        first_row: usize,
    },
    NameEmpty,
    NameTooLong {
        max: usize,
    },
    /// A control character (NUL, a line break...) in the name: `code_point` as `U+0000`.
    NameBadCharacter {
        code_point: String,
    },
    DepartmentTooLong {
        max: usize,
    },
    DepartmentBadCharacter {
        code_point: String,
    },
    UnknownShift {
        shift: String,
        known: Vec<String>,
    },
    BadPhone {
        value: String,
    },
    BadStatus {
        value: String,
    },
    BadStartDate {
        value: String,
    },
    /// A schedule row for a code the roster does not have.
    NotOnRoster {
        employee_code: String,
    },
    /// A schedule cell that is neither a kiosk.conf shift nor a day-off symbol.
    UnknownPlan {
        date: String,
        value: String,
        known: Vec<String>,
    },
}

impl RowProblem {
    /// Every problem's code, for checking that each has words in every language.
    pub const CODES: &'static [&'static str] = &[
        "code_empty",
        "code_too_long",
        "code_bad_character",
        "duplicate_code",
        "name_empty",
        "name_too_long",
        "name_bad_character",
        "department_too_long",
        "department_bad_character",
        "unknown_shift",
        "bad_phone",
        "bad_status",
        "bad_start_date",
        "not_on_roster",
        "unknown_plan",
    ];

    /// The machine code, as serialised.
    pub fn code(&self) -> &'static str {
        match self {
            RowProblem::CodeEmpty => "code_empty",
            RowProblem::CodeTooLong { .. } => "code_too_long",
            RowProblem::CodeBadCharacter { .. } => "code_bad_character",
            RowProblem::DuplicateCode { .. } => "duplicate_code",
            RowProblem::NameEmpty => "name_empty",
            RowProblem::NameTooLong { .. } => "name_too_long",
            RowProblem::NameBadCharacter { .. } => "name_bad_character",
            RowProblem::DepartmentTooLong { .. } => "department_too_long",
            RowProblem::DepartmentBadCharacter { .. } => "department_bad_character",
            RowProblem::UnknownShift { .. } => "unknown_shift",
            RowProblem::BadPhone { .. } => "bad_phone",
            RowProblem::BadStatus { .. } => "bad_status",
            RowProblem::BadStartDate { .. } => "bad_start_date",
            RowProblem::NotOnRoster { .. } => "not_on_roster",
            RowProblem::UnknownPlan { .. } => "unknown_plan",
        }
    }
}

/// In English, for the `qrgate` command and logs; the window has its own words for each code.
impl std::fmt::Display for RowProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RowProblem::CodeEmpty => write!(f, "invalid employee code: empty"),
            RowProblem::CodeTooLong { max } => write!(f, "invalid employee code: longer than {max} characters"),
            RowProblem::CodeBadCharacter { value, character } => {
                write!(f, "invalid employee code: {value:?} contains {character:?}; use letters, digits, - _ . /")
            }
            RowProblem::DuplicateCode { employee_code, first_row } => {
                write!(f, "employee code {employee_code} already on row {first_row}")
            }
            RowProblem::NameEmpty => write!(f, "the full name is empty"),
            RowProblem::NameTooLong { max } => write!(f, "the full name is longer than {max} characters"),
            RowProblem::NameBadCharacter { code_point } => {
                write!(
                    f,
                    "the full name contains the control character {code_point} (a line break or an invisible one)"
                )
            }
            RowProblem::DepartmentTooLong { max } => write!(f, "the department is longer than {max} characters"),
            RowProblem::DepartmentBadCharacter { code_point } => {
                write!(
                    f,
                    "the department contains the control character {code_point} (a line break or an invisible one)"
                )
            }
            RowProblem::UnknownShift { shift, known } => {
                write!(f, "shift {shift:?} is not defined in kiosk.conf (defined: {})", known.join(", "))
            }
            RowProblem::BadPhone { value } => write!(f, "phone {value:?} is not a phone number"),
            RowProblem::BadStatus { value } => {
                write!(f, "status {value:?} is neither active nor inactive (use 1/0, Đang làm/Nghỉ việc)")
            }
            RowProblem::BadStartDate { value } => {
                write!(f, "start date {value:?} is not a date (write 2026-11-23 or 23/11/2026)")
            }
            RowProblem::NotOnRoster { employee_code } => {
                write!(f, "employee code {employee_code} is not on the roster; import the roster first")
            }
            RowProblem::UnknownPlan { date, value, known } => write!(
                f,
                "{date}: {value:?} is neither a shift defined in kiosk.conf ({}) nor a day off (NT)",
                known.join(", ")
            ),
        }
    }
}

/// Why a roster file as a whole cannot be taken: a closed list like [`RowProblem`], words in
/// `ui/i18n` (`roster_file_problems.<code>`) and, for the `qrgate` command, in English below.
/// `detail` fields carry the reading library's own description, for whoever repairs the file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum FileProblem {
    NotUtf8 {
        line: usize,
    },
    MalformedCsv {
        detail: String,
    },
    CannotOpenWorkbook {
        detail: String,
    },
    NoSheet,
    CannotReadSheet {
        sheet: String,
        detail: String,
    },
    Empty,
    DuplicateColumn {
        first: usize,
        second: usize,
        column: String,
    },
    MissingColumns {
        columns: Vec<String>,
        found: Vec<String>,
    },
    NoDataRows,
    /// A schedule's header cell that is neither a known column nor a date.
    BadDateColumn {
        column: usize,
        value: String,
    },
    DuplicateDate {
        first: usize,
        second: usize,
        date: String,
    },
    NoDateColumns,
    TooManyDates {
        max: usize,
    },
}

impl FileProblem {
    /// Every problem's code, for checking that each has words in every language.
    pub const CODES: &'static [&'static str] = &[
        "not_utf8",
        "malformed_csv",
        "cannot_open_workbook",
        "no_sheet",
        "cannot_read_sheet",
        "empty",
        "duplicate_column",
        "missing_columns",
        "no_data_rows",
        "bad_date_column",
        "duplicate_date",
        "no_date_columns",
        "too_many_dates",
    ];

    /// The machine code, as serialised.
    pub fn code(&self) -> &'static str {
        match self {
            FileProblem::NotUtf8 { .. } => "not_utf8",
            FileProblem::MalformedCsv { .. } => "malformed_csv",
            FileProblem::CannotOpenWorkbook { .. } => "cannot_open_workbook",
            FileProblem::NoSheet => "no_sheet",
            FileProblem::CannotReadSheet { .. } => "cannot_read_sheet",
            FileProblem::Empty => "empty",
            FileProblem::DuplicateColumn { .. } => "duplicate_column",
            FileProblem::MissingColumns { .. } => "missing_columns",
            FileProblem::NoDataRows => "no_data_rows",
            FileProblem::BadDateColumn { .. } => "bad_date_column",
            FileProblem::DuplicateDate { .. } => "duplicate_date",
            FileProblem::NoDateColumns => "no_date_columns",
            FileProblem::TooManyDates { .. } => "too_many_dates",
        }
    }
}

/// In English, for the `qrgate` command and logs; the window has its own words for each code.
impl std::fmt::Display for FileProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileProblem::NotUtf8 { line } => write!(
                f,
                "the file is not UTF-8 text (line {line}); in Excel choose \"Save as: CSV UTF-8\", or import the .xlsx itself"
            ),
            FileProblem::MalformedCsv { detail } => write!(f, "the CSV is malformed: {detail}"),
            FileProblem::CannotOpenWorkbook { detail } => write!(f, "cannot open the workbook: {detail}"),
            FileProblem::NoSheet => write!(f, "the workbook has no sheet"),
            FileProblem::CannotReadSheet { sheet, detail } => write!(f, "cannot read sheet {sheet:?}: {detail}"),
            FileProblem::Empty => write!(f, "the file is empty"),
            FileProblem::DuplicateColumn { first, second, column } => {
                write!(f, "columns {first} and {second} are both {column}")
            }
            FileProblem::MissingColumns { columns, found } => write!(
                f,
                "the header row has no column {}; the first row must name the columns (found: {})",
                columns.join(" and no column "),
                found.iter().map(|h| format!("{h:?}")).collect::<Vec<_>>().join(", ")
            ),
            FileProblem::NoDataRows => write!(f, "the file has a header but no data rows; nothing was changed"),
            FileProblem::BadDateColumn { column, value } => write!(
                f,
                "column {column} of the header, {value:?}, is not a date (write 2026-11-23 or 23/11/2026)"
            ),
            FileProblem::DuplicateDate { first, second, date } => {
                write!(f, "columns {first} and {second} are both the day {date}")
            }
            FileProblem::NoDateColumns => {
                write!(f, "the header row has no date column; after the employee code, one column per day")
            }
            FileProblem::TooManyDates { max } => write!(f, "more than {max} date columns; import at most a year at a time"),
        }
    }
}

struct RowErrors<'a>(&'a [RowError]);

impl std::fmt::Display for RowErrors<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "  row {}: ", e.row)?;
            for (j, p) in e.problems.iter().enumerate() {
                if j > 0 {
                    write!(f, "; ")?;
                }
                write!(f, "{p}")?;
            }
        }
        Ok(())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
