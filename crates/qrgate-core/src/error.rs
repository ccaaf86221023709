//! The core's one error type, and the closed list of machine codes the kiosk side reports.

use std::path::PathBuf;

/// Every machine code the kiosk's engine, HR, desk and sync crates report: the one closed list that the
/// window, the `qrgate` command and scripts switch on. A code is never reworded nor reused; the
/// words a person reads for each live in `ui/i18n/` and in the CLI's messages.
macro_rules! codes {
    ($($variant:ident => $text:literal,)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Code {
            $($variant,)*
        }

        impl Code {
            /// Every code, in the order declared.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $text,)*
                }
            }
        }
    };
}

codes! {
    InvalidInput => "invalid_input",
    RosterBadRows => "roster_bad_rows",
    RosterUnreadable => "roster_unreadable",
    NotInitialised => "not_initialised",
    AlreadyInitialised => "already_initialised",
    ForeignDatabase => "foreign_database",
    SchemaTooNew => "schema_too_new",
    ReadOnly => "read_only",
    DiskFull => "disk_full",
    NoSigningKey => "no_signing_key",
    UnknownEmployee => "unknown_employee",
    EmptySelection => "empty_selection",
    BadgeTooLarge => "badge_too_large",
    ConfigInvalid => "config_invalid",
    Storage => "storage",
    Io => "io",
    Render => "render",
    WrongPin => "wrong_pin",
    PinLocked => "pin_locked",
    NoAdminPin => "no_admin_pin",
    PinRequired => "pin_required",
    FormClosed => "form_closed",
    Offline => "offline",
    Timeout => "timeout",
    ServerRefused => "server_refused",
    BadAnswer => "bad_answer",
    BadServerUrl => "bad_server_url",
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Code {
    /// Whether the fault is the machine's (disk, permissions, I/O) rather than the input's.
    pub fn is_system(self) -> bool {
        matches!(self, Code::Storage | Code::Io | Code::ReadOnly | Code::DiskFull | Code::Render)
    }
}

/// Everything the gate engine and its store can fail with. A refused scan is not an error: it is
/// a [`crate::gate::Decision`] with a reason. Errors are for input that cannot be taken and for
/// storage that cannot be trusted.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid {what}: {why}")]
    Invalid { what: &'static str, why: String },

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

    #[error("the badge for {code} does not fit a QR version 7 at level M ({chars} characters)")]
    BadgeTooLarge { code: String, chars: usize },

    #[error("configuration {}: {why}", .path.display())]
    Config { path: PathBuf, why: String },

    #[error("storage: {0}")]
    Store(#[from] rusqlite::Error),

    #[error("{}: {source}", .path.display())]
    Io { path: PathBuf, source: std::io::Error },
}

impl Error {
    /// A stable code for machines: never reworded, never reused for something else.
    pub fn code(&self) -> Code {
        match self {
            Error::Invalid { .. } => Code::InvalidInput,
            Error::NotInitialised(_) => Code::NotInitialised,
            Error::AlreadyInitialised(_) => Code::AlreadyInitialised,
            Error::ForeignDatabase { .. } => Code::ForeignDatabase,
            Error::SchemaTooNew { .. } => Code::SchemaTooNew,
            Error::ReadOnly { .. } => Code::ReadOnly,
            Error::NoSigningKey(_) => Code::NoSigningKey,
            Error::UnknownEmployee(_) => Code::UnknownEmployee,
            Error::BadgeTooLarge { .. } => Code::BadgeTooLarge,
            Error::Config { .. } => Code::ConfigInvalid,
            Error::Store(e) if is_read_only(e) => Code::ReadOnly,
            Error::Store(e) if is_disk_full(e) => Code::DiskFull,
            Error::Store(_) => Code::Storage,
            Error::Io { .. } => Code::Io,
        }
    }

    pub fn invalid(what: &'static str, why: impl Into<String>) -> Error {
        Error::Invalid { what, why: why.into() }
    }

    /// Maps an I/O failure on `path`; a read-only file system or a refused permission is its own code.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
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

pub type Result<T, E = Error> = std::result::Result<T, E>;
