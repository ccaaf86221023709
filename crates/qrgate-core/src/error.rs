//! The core's one error type, and the closed list of machine codes the kiosk side reports.

use std::path::{Path, PathBuf};

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
    ScheduleBadRows => "schedule_bad_rows",
    ScheduleUnreadable => "schedule_unreadable",
    PhotosBadFiles => "photos_bad_files",
    TurnstileNotConfigured => "turnstile_not_configured",
    TurnstileNotWired => "turnstile_not_wired",
    TurnstileUnreachable => "turnstile_unreachable",
    TurnstileNoAnswer => "turnstile_no_answer",
    TurnstileRefused => "turnstile_refused",
    BackupDamaged => "backup_damaged",
    DataDirNotEmpty => "data_dir_not_empty",
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Code {
    /// Whether the fault is the machine's (disk, permissions, I/O) rather than the input's.
    pub fn is_system(self) -> bool {
        matches!(
            self,
            Code::Storage
                | Code::Io
                | Code::ReadOnly
                | Code::DiskFull
                | Code::Render
                | Code::TurnstileUnreachable
                | Code::TurnstileNoAnswer
        )
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

    #[error("the disk is full: cannot write {} ({why}); free some space on it and try again", .path.display())]
    DiskFull { path: PathBuf, why: String },

    /// A file named by the person (or expected in the data directory) that is missing, is a
    /// directory, or holds something other than text: the input's fault, not the machine's.
    #[error("{}: {why}", .path.display())]
    BadFile { path: PathBuf, why: String },

    #[error("no badge signing key at {}; badges are signed where the enterprise key is kept (see --keys)", .0.display())]
    NoSigningKey(PathBuf),

    #[error("unknown employee code {0}")]
    UnknownEmployee(String),

    #[error("the badge for {code} does not fit a QR version 7 at level M ({chars} characters)")]
    BadgeTooLarge { code: String, chars: usize },

    #[error("configuration {}: {why}", .path.display())]
    Config { path: PathBuf, why: String },

    #[error("{}", store_message(.0))]
    Store(#[from] rusqlite::Error),

    #[error("{}: {source}", .path.display())]
    Io { path: PathBuf, source: std::io::Error },

    #[error("{} is not a whole QR Gate backup ({why}); nothing was restored", .path.display())]
    BackupDamaged { path: PathBuf, why: String },

    #[error(
        "{} is not empty (it holds {holds}); a backup is restored only into an empty data directory: \
         choose another directory, or move what is there away first",
        .path.display()
    )]
    DataDirNotEmpty { path: PathBuf, holds: String },
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
            Error::DiskFull { .. } => Code::DiskFull,
            Error::BadFile { .. } => Code::InvalidInput,
            Error::NoSigningKey(_) => Code::NoSigningKey,
            Error::UnknownEmployee(_) => Code::UnknownEmployee,
            Error::BadgeTooLarge { .. } => Code::BadgeTooLarge,
            Error::Config { .. } => Code::ConfigInvalid,
            Error::Store(e) if is_read_only(e) => Code::ReadOnly,
            Error::Store(e) if is_disk_full(e) => Code::DiskFull,
            Error::Store(_) => Code::Storage,
            Error::Io { .. } => Code::Io,
            Error::BackupDamaged { .. } => Code::BackupDamaged,
            Error::DataDirNotEmpty { .. } => Code::DataDirNotEmpty,
        }
    }

    pub fn invalid(what: &'static str, why: impl Into<String>) -> Error {
        Error::Invalid { what, why: why.into() }
    }

    /// Maps an I/O failure on `path`. A read-only file system or a refused permission, and a
    /// full disk (ENOSPC, EDQUOT), are the machine's own codes; a missing file, a directory where
    /// a file was meant and bytes that are not UTF-8 text are the input's (exit 3, not 4).
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        use std::io::ErrorKind;
        let path = path.into();
        move |source| {
            let bad_file = |why: &str| Error::BadFile { path: path.clone(), why: why.to_string() };
            match source.kind() {
                ErrorKind::ReadOnlyFilesystem | ErrorKind::PermissionDenied => {
                    Error::ReadOnly { why: source.to_string(), path }
                }
                ErrorKind::StorageFull | ErrorKind::QuotaExceeded => Error::DiskFull { why: source.to_string(), path },
                ErrorKind::NotFound => bad_file("no such file or directory"),
                ErrorKind::IsADirectory => bad_file("this is a directory, not a file"),
                ErrorKind::NotADirectory => bad_file("a part of this path is a file, not a directory"),
                ErrorKind::InvalidData => bad_file("the contents are not UTF-8 text"),
                _ => Error::Io { path, source },
            }
        }
    }

    /// Names a full disk under `dir` for what it is. SQLite reports a file it could not grow as
    /// a plain I/O error (SQLITE_IOERR_SHMSIZE when the WAL index cannot grow, for one) rather
    /// than SQLITE_FULL, and rusqlite does not pass on the errno (ENOSPC); an I/O error on a disk
    /// with no room left is the full disk it surely is.
    pub fn on_disk(self, dir: &Path) -> Error {
        match &self {
            Error::Store(e)
                if e.sqlite_error_code() == Some(rusqlite::ErrorCode::SystemIoFailure) && has_no_room(dir) =>
            {
                Error::DiskFull { path: dir.to_path_buf(), why: e.to_string() }
            }
            _ => self,
        }
    }
}

/// Less than SQLite's next growth of the WAL index (32 KiB) or a few pages of the WAL itself.
const NO_ROOM: u64 = 64 * 1024;

fn has_no_room(dir: &Path) -> bool {
    rustix::fs::statvfs(dir).is_ok_and(|st| st.f_bavail.saturating_mul(st.f_frsize) < NO_ROOM)
}

fn store_message(e: &rusqlite::Error) -> String {
    if is_disk_full(e) {
        format!("the disk is full ({e}); free some space on it and try again")
    } else {
        format!("storage: {e}")
    }
}

fn is_read_only(e: &rusqlite::Error) -> bool {
    matches!(e.sqlite_error_code(), Some(rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::CannotOpen))
}

fn is_disk_full(e: &rusqlite::Error) -> bool {
    matches!(e.sqlite_error_code(), Some(rusqlite::ErrorCode::DiskFull))
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::ErrorKind;

    fn io(kind: ErrorKind) -> Error {
        Error::io("/data/x.csv")(std::io::Error::from(kind))
    }

    #[test]
    fn a_full_disk_is_called_full_and_is_the_machines_fault() {
        for e in [io(ErrorKind::StorageFull), io(ErrorKind::QuotaExceeded), Error::Store(sqlite(13))] {
            assert_eq!(e.code(), Code::DiskFull, "{e}");
            assert!(e.code().is_system());
            assert!(e.to_string().contains("the disk is full"), "{e}");
        }
        // SQLITE_IOERR_SHMSIZE is taken for a full disk only where the disk has no room.
        let roomy = tempfile::tempdir().unwrap();
        let e = Error::Store(sqlite(4874)).on_disk(roomy.path());
        assert_eq!(e.code(), Code::Storage, "{e}");
    }

    #[test]
    fn a_missing_or_unreadable_input_file_is_bad_input() {
        for (kind, words) in [
            (ErrorKind::NotFound, "no such file"),
            (ErrorKind::IsADirectory, "is a directory"),
            (ErrorKind::InvalidData, "not UTF-8"),
        ] {
            let e = io(kind);
            assert_eq!(e.code(), Code::InvalidInput, "{e}");
            assert!(!e.code().is_system());
            assert!(e.to_string().starts_with("/data/x.csv: ") && e.to_string().contains(words), "{e}");
        }
        assert_eq!(io(ErrorKind::Other).code(), Code::Io);
        assert_eq!(io(ErrorKind::PermissionDenied).code(), Code::ReadOnly);
    }

    /// An SQLite failure by its extended result code (13 SQLITE_FULL, 4874 SQLITE_IOERR_SHMSIZE).
    fn sqlite(extended: i32) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(extended), None)
    }
}
