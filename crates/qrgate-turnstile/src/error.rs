//! The one error type of the turnstile crate, with stable codes the guard screen and the command
//! line switch on.

use qrgate_core::Code;

/// What can go wrong between a decision and the gate's contact.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no turnstile is set up in kiosk.conf ([turnstile] driver = \"none\")")]
    NotConfigured,
    #[error("the {output} output is not wired in kiosk.conf [turnstile]")]
    NotWired { output: &'static str },
    #[error("cannot reach {device}: {why}")]
    Unreachable { device: String, why: String },
    #[error("{device} did not answer: {why}")]
    NoAnswer { device: String, why: String },
    #[error("{device} refused: {why}")]
    Refused { device: String, why: String },
}

impl Error {
    /// Its code in the kiosk's one closed list.
    pub fn code(&self) -> Code {
        match self {
            Error::NotConfigured => Code::TurnstileNotConfigured,
            Error::NotWired { .. } => Code::TurnstileNotWired,
            Error::Unreachable { .. } => Code::TurnstileUnreachable,
            Error::NoAnswer { .. } => Code::TurnstileNoAnswer,
            Error::Refused { .. } => Code::TurnstileRefused,
        }
    }

    pub(crate) fn unreachable(device: &str) -> impl FnOnce(String) -> Error + '_ {
        move |why| Error::Unreachable { device: device.to_string(), why }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
