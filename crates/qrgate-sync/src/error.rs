//! The sync client's one error type, and which failures are worth retrying.

use qrgate_core::Code;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Core(#[from] qrgate_core::Error),

    #[error("storage: {0}")]
    Storage(#[from] rusqlite::Error),

    #[error("cannot reach the server: {0}")]
    Offline(String),

    #[error("the server did not answer within {0} s")]
    Timeout(u64),

    #[error("the server refused the request ({status} {code}): {message}")]
    Refused { status: u16, code: String, message: String },

    #[error("the server's answer makes no sense: {0}")]
    BadAnswer(String),

    #[error("invalid server URL {0:?}: use http://host:port or https://host[:port][/prefix]")]
    BadServerUrl(String),
}

impl Error {
    /// A stable code for machines: never reworded, never reused for something else.
    pub fn code(&self) -> Code {
        match self {
            Error::Core(e) => e.code(),
            Error::Storage(_) => Code::Storage,
            Error::Offline(_) => Code::Offline,
            Error::Timeout(_) => Code::Timeout,
            Error::Refused { .. } => Code::ServerRefused,
            Error::BadAnswer(_) => Code::BadAnswer,
            Error::BadServerUrl(_) => Code::BadServerUrl,
        }
    }

    /// The server's own code when it refused, else [`Error::code`]: what the guard screen shows.
    pub fn detail_code(&self) -> &str {
        match self {
            Error::Refused { code, .. } => code,
            other => other.code().as_str(),
        }
    }

    /// The server refused the batch's content (not who sent it): split the batch until the one
    /// event at fault is found, and record that event as rejected.
    pub fn blames_batch(&self) -> bool {
        matches!(self, Error::Refused { status: 400 | 413 | 422, code, .. }
            if !matches!(code.as_str(), "missing_header" | "bad_header" | "bad_signature" | "stale_request"))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
