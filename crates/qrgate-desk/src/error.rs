//! The desk's one error type: the engine's and HR's errors, plus PINs that open nothing.

use qrgate_core::Code;

use serde::Serialize;

/// What an action at the kiosk can fail with. Codes come from the one closed list, [`qrgate_core::Code`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Core(#[from] qrgate_core::Error),

    #[error(transparent)]
    Hr(#[from] qrgate_hr::Error),

    #[error("{0}")]
    Pin(#[from] PinRefusal),

    #[error(transparent)]
    Turnstile(#[from] qrgate_turnstile::Error),

    #[error("no admin PIN is set on this kiosk; set one with `qrgate pin set --role admin NAME`")]
    NoAdminPin,

    #[error("the HR pages are closed; open them with the admin PIN")]
    PinRequired,

    #[error("the visitor form was closed; scan the card again")]
    FormClosed,
}

impl Error {
    pub fn code(&self) -> Code {
        match self {
            Error::Core(e) => e.code(),
            Error::Hr(e) => e.code(),
            Error::Turnstile(e) => e.code(),
            Error::Pin(PinRefusal::Wrong { .. }) => Code::WrongPin,
            Error::Pin(PinRefusal::Locked { .. }) => Code::PinLocked,
            Error::NoAdminPin => Code::NoAdminPin,
            Error::PinRequired => Code::PinRequired,
            Error::FormClosed => Code::FormClosed,
        }
    }

    pub fn invalid(what: &'static str, why: impl Into<String>) -> Error {
        Error::Core(qrgate_core::Error::invalid(what, why))
    }

    pub fn io(path: impl Into<std::path::PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let to_core = qrgate_core::Error::io(path);
        move |e| Error::Core(to_core(e))
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Error {
        Error::Core(e.into())
    }
}

/// Why a PIN did not open anything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum PinRefusal {
    #[error("wrong PIN ({tries_left} tries left)")]
    Wrong { tries_left: u32 },
    #[error("too many wrong PINs; try again in {seconds} s")]
    Locked { seconds: i64 },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
