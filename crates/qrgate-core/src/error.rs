//! The one error type of the core, each variant with a stable machine code the UI and CLI switch on.

use std::path::PathBuf;

/// Everything the core can fail with. A refused scan is not an error: it is a
/// [`crate::gate::Decision`] with a reason. Errors are for input that cannot be taken
/// and for storage that cannot be trusted.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid {what}: {why}")]
    Invalid { what: &'static str, why: String },

    #[error("the roster file has {} bad row(s):\n{}", .0.len(), RowErrors(.0))]
    RosterRows(Vec<RowError>),

    #[error("cannot read the roster file: {0}")]
    RosterFile(String),

    #[error("the data directory {} is not initialised; run `qrgate init` first", .0.display())]
    NotInitialised(PathBuf),

    #[error("the data directory {} is already initialised", .0.display())]
    AlreadyInitialised(PathBuf),

    #[error("{} is not a QR Gate database ({why})", .path.display())]
    ForeignDatabase { path: PathBuf, why: String },

    #[error("the database was written by a newer QR Gate (schema {found}, this program knows up to {known})")]
    SchemaTooNew { found: i64, known: i64 },

    #[error("cannot write to {}: {why}", .path.display())]
    ReadOnly { path: PathBuf, why: String },

    #[error("no badge signing key at {}; badges are signed where the enterprise key is kept (see --keys)", .0.display())]
    NoSigningKey(PathBuf),

    #[error("unknown employee code {0}")]
    UnknownEmployee(String),

    #[error("no worker matches the selection")]
    EmptySelection,

    #[error("the badge for {code} does not fit a QR version 7 at level M ({chars} characters)")]
    BadgeTooLarge { code: String, chars: usize },

    #[error("configuration {}: {why}", .path.display())]
    Config { path: PathBuf, why: String },

    #[error("storage: {0}")]
    Store(#[from] rusqlite::Error),

    #[error("{}: {source}", .path.display())]
    Io { path: PathBuf, source: std::io::Error },

    #[error("rendering {what}: {why}")]
    Render { what: &'static str, why: String },

    #[error("{0}")]
    Pin(#[from] crate::pin::PinRefusal),

    #[error("no admin PIN is set on this kiosk; set one with `qrgate pin set --role admin NAME`")]
    NoAdminPin,

    #[error("the HR pages are closed; open them with the admin PIN")]
    PinRequired,
}

impl Error {
    /// A stable code for machines: never reworded, never reused for something else.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Invalid { .. } => "invalid_input",
            Error::RosterRows(_) => "roster_bad_rows",
            Error::RosterFile(_) => "roster_unreadable",
            Error::NotInitialised(_) => "not_initialised",
            Error::AlreadyInitialised(_) => "already_initialised",
            Error::ForeignDatabase { .. } => "foreign_database",
            Error::SchemaTooNew { .. } => "schema_too_new",
            Error::ReadOnly { .. } => "read_only",
            Error::NoSigningKey(_) => "no_signing_key",
            Error::UnknownEmployee(_) => "unknown_employee",
            Error::EmptySelection => "empty_selection",
            Error::BadgeTooLarge { .. } => "badge_too_large",
            Error::Config { .. } => "config_invalid",
            Error::Store(e) if is_read_only(e) => "read_only",
            Error::Store(e) if is_disk_full(e) => "disk_full",
            Error::Store(_) => "storage",
            Error::Io { .. } => "io",
            Error::Render { .. } => "render",
            Error::Pin(crate::pin::PinRefusal::Wrong { .. }) => "wrong_pin",
            Error::Pin(crate::pin::PinRefusal::Locked { .. }) => "pin_locked",
            Error::NoAdminPin => "no_admin_pin",
            Error::PinRequired => "pin_required",
        }
    }

    pub(crate) fn invalid(what: &'static str, why: impl Into<String>) -> Error {
        Error::Invalid { what, why: why.into() }
    }

    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| {
            if source.kind() == std::io::ErrorKind::ReadOnlyFilesystem
                || source.kind() == std::io::ErrorKind::PermissionDenied
            {
                Error::ReadOnly { why: source.to_string(), path }
            } else {
                Error::Io { path, source }
            }
        }
    }
}

fn is_read_only(e: &rusqlite::Error) -> bool {
    matches!(e.sqlite_error_code(), Some(rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::CannotOpen))
}

fn is_disk_full(e: &rusqlite::Error) -> bool {
    matches!(e.sqlite_error_code(), Some(rusqlite::ErrorCode::DiskFull))
}

/// One bad row of a roster file, numbered as the person sees it in a spreadsheet
/// (the header is row 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub row: usize,
    pub why: String,
}

struct RowErrors<'a>(&'a [RowError]);

impl std::fmt::Display for RowErrors<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "  row {}: {}", e.row, e.why)?;
        }
        Ok(())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
