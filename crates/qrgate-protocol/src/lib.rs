//! The sync wire format between a kiosk and the provincial server: paths, bodies, signing, limits.
//!
//! Both sides depend on this crate and nothing else of each other, so a kiosk and a server of
//! the same protocol version always agree on what a request means and how it is signed.

pub mod check;
pub mod error;
pub mod field;
pub mod health;
pub mod photo;
pub mod signing;
pub mod trace;
pub mod wire;

pub use error::{Error, Result};
pub use signing::{Nonce, RequestAuth};
pub use wire::*;

/// Every path of this version lives under this prefix; a v2 would sit beside it, not replace it.
pub const API_PREFIX: &str = "/api/v1";
/// POST: a batch of this kiosk's events and roster changes.
pub const PUSH_PATH: &str = "/api/v1/push";
/// POST: the enterprise's events from other gates and roster changes since the cursors.
pub const PULL_PATH: &str = "/api/v1/pull";

/// No kiosk's sequence number is above this (2^53, exact in every JSON reader): one event a
/// millisecond would take some 285,000 years to reach it. Push refuses an event beyond it and a
/// kiosk refuses a pull answer that says the province holds one, so no wrong number can push a
/// kiosk's numbering to where it overflows.
pub const MAX_SEQ: i64 = 1 << 53;

/// A push carries at most this many events...
pub const MAX_BATCH_EVENTS: usize = 1000;
/// ...and at most this many bytes of JSON before compression.
pub const MAX_BATCH_BYTES: usize = 1 << 20;
/// The server refuses a body that inflates beyond this: room for a full batch plus roster, no more.
pub const MAX_INFLATED_BYTES: usize = 8 << 20;
/// The server refuses a compressed body beyond this before reading it.
pub const MAX_WIRE_BYTES: usize = 4 << 20;

/// How far a request's timestamp may be from the server's clock, either way.
pub const MAX_CLOCK_SKEW_MS: i64 = 5 * 60 * 1000;
/// Every answer of the server carries its clock in this header (milliseconds since the epoch),
/// refusals included: a kiosk learns how far off its own clock is and signs on the corrected one.
pub const HEADER_SERVER_TIME: &str = "x-qrgate-server-time";
/// How long the server remembers a nonce. Longer than the whole window a timestamp is accepted
/// in, so a replay is refused either as stale or as a reused nonce, never accepted.
pub const NONCE_TTL_MS: i64 = 2 * MAX_CLOCK_SKEW_MS + 60 * 1000;

/// Compresses a request or answer body.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::with_capacity(bytes.len() / 4), flate2::Compression::fast());
    enc.write_all(bytes).expect("writing to a Vec cannot fail");
    enc.finish().expect("writing to a Vec cannot fail")
}

/// Inflates a body, refusing one that grows beyond `limit` (a small gzip can inflate to gigabytes).
pub fn gunzip(bytes: &[u8], limit: usize) -> Result<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::with_capacity(bytes.len() * 4);
    let mut dec = flate2::read::GzDecoder::new(bytes).take(limit as u64 + 1);
    dec.read_to_end(&mut out).map_err(|e| Error::BadGzip(e.to_string()))?;
    if out.len() > limit {
        return Err(Error::BodyTooLarge { limit });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_round_trip_and_bomb_refused() {
        let text = b"{\"events\":[]}".repeat(100);
        assert_eq!(gunzip(&gzip(&text), 1 << 20).unwrap(), text);
        let zeros = vec![0u8; 2 << 20];
        let bomb = gzip(&zeros);
        assert!(bomb.len() * 50 < zeros.len(), "a bomb is small on the wire: {}", bomb.len());
        assert!(matches!(gunzip(&bomb, 1 << 20), Err(Error::BodyTooLarge { .. })));
        assert!(matches!(gunzip(b"not gzip", 1 << 20), Err(Error::BadGzip(_))));
    }
}
