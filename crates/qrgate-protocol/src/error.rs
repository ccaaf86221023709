//! The protocol's one error type: what can be wrong with a request as it arrives.

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the request has no {0} header")]
    MissingHeader(&'static str),

    #[error("the {name} header is invalid: {why}")]
    BadHeader { name: &'static str, why: String },

    #[error("the request signature does not match the kiosk's key, the method, path, time, nonce and body")]
    BadSignature,

    #[error("the request time is {skew_s} s away from the server's clock (at most {max_s} s allowed); check the kiosk clock")]
    StaleRequest { skew_s: i64, max_s: i64 },

    #[error("invalid public key: {0}")]
    BadPublicKey(String),

    #[error("invalid key file: {0}")]
    BadKeyFile(String),

    #[error("the body inflates beyond {limit} bytes")]
    BodyTooLarge { limit: usize },

    #[error("the body is not valid gzip: {0}")]
    BadGzip(String),

    #[error("the body is not a valid {what}: {why}")]
    BadJson { what: &'static str, why: String },
}

impl Error {
    /// A stable code for machines: never reworded, never reused for something else.
    pub fn code(&self) -> &'static str {
        match self {
            Error::MissingHeader(_) => "missing_header",
            Error::BadHeader { .. } => "bad_header",
            Error::BadSignature => "bad_signature",
            Error::StaleRequest { .. } => "stale_request",
            Error::BadPublicKey(_) => "bad_public_key",
            Error::BadKeyFile(_) => "bad_key_file",
            Error::BodyTooLarge { .. } => "body_too_large",
            Error::BadGzip(_) => "bad_gzip",
            Error::BadJson { .. } => "bad_json",
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
