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
    /// event at fault is found, and record that event as rejected. A value the server cannot
    /// store is its 422 `bad_value`, never a 503, so a poisoned event cannot stall the outbox.
    pub fn blames_batch(&self) -> bool {
        matches!(self, Error::Refused { status: 400 | 413 | 422, code, .. }
            if !matches!(code.as_str(), "missing_header" | "bad_header" | "bad_signature" | "stale_request" | "bad_cursor"))
    }

    /// The server is not there or cannot answer now (no route, no answer in time, busy, down):
    /// the only failures worth sending the same request again for. Any other refusal says
    /// something about the request, and sending it again unchanged gets the same answer.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Error::Offline(_) | Error::Timeout(_) | Error::Refused { status: 408 | 429 | 500..=599, .. })
    }

    /// The server refused the pull cursors this kiosk sent: they are dropped and the pull starts
    /// again from the beginning, which inserts nothing twice.
    pub fn refuses_cursor(&self) -> bool {
        matches!(self, Error::Refused { status: 400, code, .. } if code == "bad_cursor")
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(status: u16, code: &str) -> Error {
        Error::Refused { status, code: code.into(), message: String::new() }
    }

    #[test]
    fn only_real_unavailability_is_tried_again() {
        for e in [Error::Offline("x".into()), Error::Timeout(5), refused(503, "database"), refused(429, "busy")] {
            assert!(e.is_unavailable(), "{e}");
            assert!(!e.blames_batch(), "{e}");
        }
        for e in [refused(422, "bad_value"), refused(400, "bad_json"), refused(413, "body_too_large")] {
            assert!(!e.is_unavailable(), "{e}");
            assert!(e.blames_batch(), "{e}");
        }
        for e in [refused(401, "bad_signature"), refused(400, "bad_cursor"), refused(403, "wrong_enterprise")] {
            assert!(!e.is_unavailable() && !e.blames_batch(), "{e}");
        }
        assert!(refused(400, "bad_cursor").refuses_cursor());
    }
}
