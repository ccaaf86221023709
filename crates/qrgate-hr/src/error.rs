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
    RosterFile(String),

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

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Error {
        Error::Core(e.into())
    }
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
