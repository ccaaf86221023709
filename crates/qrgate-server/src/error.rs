//! The server's one error type: each variant a stable code, an HTTP status, and a JSON answer.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use qrgate_protocol::ErrorBody;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Protocol(#[from] qrgate_protocol::Error),

    #[error("kiosk {0:?} is not registered with the province")]
    UnknownKiosk(String),

    #[error("this request was already received (nonce reused)")]
    NonceReused,

    #[error("kiosk is registered with enterprise {registered}, not {claimed}")]
    WrongEnterprise { claimed: String, registered: String },

    #[error("a batch holds at most {max} events, this one {count}")]
    BatchTooLarge { count: usize, max: usize },

    #[error("a sealed photo is at most {max} bytes, this one {size}: a kiosk sends the guard screen's small JPEG")]
    PhotoTooLarge { size: usize, max: usize },

    #[error("the health report cannot be taken: {0}")]
    BadHealthReport(qrgate_protocol::health::HealthProblem),

    #[error(
        "province queries need a bearer token (Authorization: Bearer ...): an account's (`qrgate-server token add`)"
    )]
    QueryUnauthorized,

    #[error("invalid {what}: {why}")]
    Invalid { what: &'static str, why: String },

    #[error("the pull cursor was not made by this server; pull again from the beginning")]
    BadCursor,

    #[error("the body did not arrive within {0} s")]
    BodyTimeout(u64),

    #[error("this kiosk already has {0} requests in progress; retry shortly")]
    KioskBusy(usize),

    #[error("the server is reading as many bodies as it takes at once; retry shortly")]
    Busy,

    #[error("kiosk {0:?} is already registered; revoked kiosks stay revoked, register a new kiosk id")]
    KioskExists(String),

    #[error("an account with the login {0:?} already exists; change its password with `qrgate-server user passwd`")]
    AccountExists(String),

    #[error("there is no account with the login {0:?}")]
    UnknownAccount(String),

    #[error("enterprise {0} is not registered with the province: register one of its kiosks first (`qrgate-server kiosk add`)")]
    UnknownEnterprise(String),

    #[error("this account may not see this page")]
    Forbidden,

    #[error("the form was refused: its security token is missing or no longer valid; open the page again")]
    CsrfRefused,

    #[error("the database is unavailable: {0}")]
    Database(#[from] sqlx::Error),

    #[error("the database schema cannot be migrated: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),

    #[error("{what}: {source}")]
    Io { what: String, source: std::io::Error },
}

impl Error {
    /// A stable code for machines: never reworded, never reused for something else.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Protocol(e) => e.code(),
            Error::UnknownKiosk(_) => "unknown_kiosk",
            Error::NonceReused => "nonce_reused",
            Error::WrongEnterprise { .. } => "wrong_enterprise",
            Error::BatchTooLarge { .. } => "batch_too_large",
            Error::PhotoTooLarge { .. } => "photo_too_large",
            Error::BadHealthReport(_) => "bad_health_report",
            Error::QueryUnauthorized => "query_unauthorized",
            Error::Invalid { .. } => "invalid_input",
            Error::BodyTimeout(_) => "body_timeout",
            Error::BadCursor => "bad_cursor",
            Error::KioskBusy(_) | Error::Busy => "busy",
            Error::Database(e) if is_bad_value(e) => "bad_value",
            Error::KioskExists(_) => "kiosk_exists",
            Error::AccountExists(_) => "account_exists",
            Error::UnknownAccount(_) => "unknown_account",
            Error::UnknownEnterprise(_) => "unknown_enterprise",
            Error::Forbidden => "forbidden",
            Error::CsrfRefused => "csrf_refused",
            Error::Database(_) => "database",
            Error::Migrate(_) => "migrate",
            Error::Io { .. } => "io",
        }
    }

    pub fn status(&self) -> StatusCode {
        use qrgate_protocol::Error as P;
        match self {
            Error::Protocol(P::BadSignature | P::StaleRequest { .. } | P::MissingHeader(_) | P::BadHeader { .. }) => {
                StatusCode::UNAUTHORIZED
            }
            Error::Protocol(P::BodyTooLarge { .. }) | Error::BatchTooLarge { .. } | Error::PhotoTooLarge { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            Error::Protocol(_) | Error::Invalid { .. } | Error::BadCursor => StatusCode::BAD_REQUEST,
            Error::UnknownKiosk(_) | Error::NonceReused | Error::QueryUnauthorized => StatusCode::UNAUTHORIZED,
            Error::WrongEnterprise { .. } | Error::Forbidden | Error::CsrfRefused => StatusCode::FORBIDDEN,
            // Read and understood, and a value in it is one the province does not take.
            Error::BadHealthReport(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::KioskExists(_) | Error::AccountExists(_) => StatusCode::CONFLICT,
            Error::UnknownAccount(_) | Error::UnknownEnterprise(_) => StatusCode::NOT_FOUND,
            Error::BodyTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            Error::KioskBusy(_) => StatusCode::TOO_MANY_REQUESTS,
            Error::Busy => StatusCode::SERVICE_UNAVAILABLE,
            // A value the database refuses is the request's fault: telling the kiosk to retry
            // would have it send the same value for ever.
            Error::Database(e) if is_bad_value(e) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::Database(_) | Error::Migrate(_) | Error::Io { .. } => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// Counts the refusal by its code, and logs what the caller is not told.
    pub(crate) fn note(&self) {
        if self.status().is_server_error() || matches!(self, Error::Database(_)) {
            eprintln!("qrgate-server: {}: {self}", self.code());
        }
        crate::metrics::refused(self.code());
    }

    pub(crate) fn invalid(what: &'static str, why: impl Into<String>) -> Error {
        Error::Invalid { what, why: why.into() }
    }
}

/// A data exception (SQLSTATE class 22: a NUL in text, a number out of range) or an integrity
/// violation (class 23): the value's fault, not the database's health.
fn is_bad_value(e: &sqlx::Error) -> bool {
    e.as_database_error().and_then(|d| d.code()).is_some_and(|c| c.starts_with("22") || c.starts_with("23"))
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        self.note();
        // Database details stay in the server log; the kiosk only needs to know to retry.
        let message = if matches!(self, Error::Busy) {
            self.to_string()
        } else if matches!(self, Error::Database(_)) && !status.is_server_error() {
            "a value of the request was refused by the database; it will not be stored".into()
        } else if status.is_server_error() {
            "the server cannot answer now; retry later".into()
        } else {
            self.to_string()
        };
        (status, axum::Json(ErrorBody { code: self.code().into(), message })).into_response()
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
