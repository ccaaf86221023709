//! Request signing: a kiosk signs method, path, time, nonce and body hash; the server verifies.
//!
//! The body hash travels in a header of its own and is over the bytes on the wire (compressed),
//! so the server checks the signature from the headers alone: a caller who cannot sign never gets
//! a byte of its body read, and the body, once read, must be the one signed.

pub use ed25519_dalek::VerifyingKey;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

pub const HEADER_KIOSK: &str = "x-qrgate-kiosk";
pub const HEADER_TIMESTAMP: &str = "x-qrgate-timestamp";
pub const HEADER_NONCE: &str = "x-qrgate-nonce";
pub const HEADER_SIGNATURE: &str = "x-qrgate-signature";
pub const HEADER_BODY_SHA256: &str = "x-qrgate-body-sha256";

/// Sixteen random bytes, made by the caller (the edge owns randomness), never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Nonce(pub [u8; 16]);

impl Nonce {
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

/// The authentication a request carries in its headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestAuth {
    pub kiosk_id: String,
    pub timestamp_ms: i64,
    pub nonce: Nonce,
    /// SHA-256 of the body as sent; [`RequestAuth::check_body`] compares it with what arrived.
    pub body_sha256: [u8; 32],
    pub signature: [u8; 64],
}

/// What is signed. Each part on its own line, the body as its SHA-256; a domain tag first so the
/// kiosk key's signatures cannot be lifted into any other context.
pub fn signing_message(
    kiosk_id: &str,
    method: &str,
    path: &str,
    timestamp_ms: i64,
    nonce: &Nonce,
    body_sha256: &[u8; 32],
) -> Vec<u8> {
    format!(
        "QRGATE-REQUEST-V1\n{kiosk_id}\n{}\n{path}\n{timestamp_ms}\n{}\n{}",
        method.to_ascii_uppercase(),
        nonce.to_hex(),
        hex::encode(body_sha256)
    )
    .into_bytes()
}

impl RequestAuth {
    pub fn sign(
        key: &SigningKey,
        kiosk_id: &str,
        method: &str,
        path: &str,
        timestamp_ms: i64,
        nonce: Nonce,
        body: &[u8],
    ) -> RequestAuth {
        let body_sha256: [u8; 32] = Sha256::digest(body).into();
        let signature = key.sign(&signing_message(kiosk_id, method, path, timestamp_ms, &nonce, &body_sha256));
        RequestAuth {
            kiosk_id: kiosk_id.to_string(),
            timestamp_ms,
            nonce,
            body_sha256,
            signature: signature.to_bytes(),
        }
    }

    /// The headers to send, as (name, value).
    pub fn headers(&self) -> [(&'static str, String); 5] {
        [
            (HEADER_KIOSK, self.kiosk_id.clone()),
            (HEADER_TIMESTAMP, self.timestamp_ms.to_string()),
            (HEADER_NONCE, self.nonce.to_hex()),
            (HEADER_BODY_SHA256, hex::encode(self.body_sha256)),
            (HEADER_SIGNATURE, hex::encode(self.signature)),
        ]
    }

    /// Reads the headers of an arriving request; `header` looks one up by its lower-case name.
    pub fn from_headers<'a>(header: impl Fn(&str) -> Option<&'a str>) -> Result<RequestAuth> {
        let get = |name: &'static str| header(name).map(str::trim).ok_or(Error::MissingHeader(name));
        let bad = |name: &'static str, why: &str| Error::BadHeader { name, why: why.to_string() };
        let kiosk_id = get(HEADER_KIOSK)?;
        if kiosk_id.is_empty() || kiosk_id.len() > 64 {
            return Err(bad(HEADER_KIOSK, "must be 1 to 64 characters"));
        }
        let timestamp_ms = get(HEADER_TIMESTAMP)?.parse().map_err(|_| bad(HEADER_TIMESTAMP, "not milliseconds"))?;
        // A header of exactly N bytes written as hex.
        fn bytes<const N: usize>(name: &'static str, value: &str) -> Result<[u8; N]> {
            hex::decode(value)
                .ok()
                .and_then(|b| <[u8; N]>::try_from(b).ok())
                .ok_or_else(|| Error::BadHeader { name, why: format!("not {N} bytes of hex") })
        }
        let nonce = bytes::<16>(HEADER_NONCE, get(HEADER_NONCE)?)?;
        let body_sha256 = bytes::<32>(HEADER_BODY_SHA256, get(HEADER_BODY_SHA256)?)?;
        let signature = bytes::<64>(HEADER_SIGNATURE, get(HEADER_SIGNATURE)?)?;
        Ok(RequestAuth { kiosk_id: kiosk_id.to_string(), timestamp_ms, nonce: Nonce(nonce), body_sha256, signature })
    }

    /// Checks the signature against the kiosk's registered key, then the time against `now_ms`,
    /// from the headers alone. The body is [`RequestAuth::check_body`]'s, once it has arrived;
    /// nonce reuse is the caller's to check: only it knows which nonces it has seen.
    pub fn verify(&self, key: &VerifyingKey, method: &str, path: &str, now_ms: i64) -> Result<()> {
        let message = signing_message(&self.kiosk_id, method, path, self.timestamp_ms, &self.nonce, &self.body_sha256);
        key.verify(&message, &Signature::from_bytes(&self.signature)).map_err(|_| Error::BadSignature)?;
        self.check_fresh(now_ms)
    }

    /// Refuses a body other than the one signed. Same answer as a bad signature: to the sender,
    /// it is one.
    pub fn check_body(&self, body: &[u8]) -> Result<()> {
        let arrived: [u8; 32] = Sha256::digest(body).into();
        if arrived != self.body_sha256 {
            return Err(Error::BadSignature);
        }
        Ok(())
    }

    /// Refuses a timestamp further than [`crate::MAX_CLOCK_SKEW_MS`] from `now_ms` either way.
    /// Cheap, so the server asks it before reading a body; [`RequestAuth::verify`] asks it again.
    /// The distance is unsigned: `i64::MIN` is as far from now as it looks, not a small number.
    pub fn check_fresh(&self, now_ms: i64) -> Result<()> {
        let distance = self.timestamp_ms.abs_diff(now_ms);
        if distance > crate::MAX_CLOCK_SKEW_MS.unsigned_abs() {
            let skew_s = i64::try_from(distance / 1000).unwrap_or(i64::MAX);
            let skew_s = if self.timestamp_ms < now_ms { -skew_s } else { skew_s };
            return Err(Error::StaleRequest { skew_s, max_s: crate::MAX_CLOCK_SKEW_MS / 1000 });
        }
        Ok(())
    }
}

/// Reads a kiosk public key as `qrgate identity` prints it: 64 hex digits.
pub fn parse_public_key(text: &str) -> Result<VerifyingKey> {
    let bytes = hex::decode(text.trim()).map_err(|_| Error::BadPublicKey("not hex".into()))?;
    let bytes: [u8; 32] = bytes.try_into().map_err(|_| Error::BadPublicKey("not 32 bytes (64 hex digits)".into()))?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| Error::BadPublicKey("not a point on the curve".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn signed() -> RequestAuth {
        RequestAuth::sign(&key(1), "gate-1", "POST", "/api/v1/push", 1_700_000_000_000, Nonce([7; 16]), b"body")
    }

    #[test]
    fn signed_request_verifies_through_its_headers() {
        let auth = signed();
        let headers = auth.headers();
        let back =
            RequestAuth::from_headers(|n| headers.iter().find(|(k, _)| *k == n).map(|(_, v)| v.as_str())).unwrap();
        assert_eq!(back, auth);
        back.verify(&key(1).verifying_key(), "POST", "/api/v1/push", 1_700_000_000_000 + 1000).unwrap();
        back.check_body(b"body").unwrap();
    }

    #[test]
    fn any_change_breaks_the_signature() {
        let auth = signed();
        let vk = key(1).verifying_key();
        let now = 1_700_000_000_000;
        assert!(matches!(auth.check_body(b"bodY"), Err(Error::BadSignature)));
        // A body hash changed in the header to match another body breaks the signature instead.
        let mut other = auth.clone();
        other.body_sha256 = Sha256::digest(b"bodY").into();
        other.check_body(b"bodY").unwrap();
        assert!(matches!(other.verify(&vk, "POST", "/api/v1/push", now), Err(Error::BadSignature)));
        assert!(matches!(auth.verify(&vk, "POST", "/api/v1/pull", now), Err(Error::BadSignature)));
        assert!(matches!(auth.verify(&vk, "GET", "/api/v1/push", now), Err(Error::BadSignature)));
        assert!(matches!(auth.verify(&key(2).verifying_key(), "POST", "/api/v1/push", now), Err(Error::BadSignature)));
        let mut other = auth.clone();
        other.timestamp_ms += 1;
        assert!(matches!(other.verify(&vk, "POST", "/api/v1/push", now), Err(Error::BadSignature)));
        let mut other = auth.clone();
        other.nonce.0[0] ^= 1;
        assert!(matches!(other.verify(&vk, "POST", "/api/v1/push", now), Err(Error::BadSignature)));
        let mut other = auth;
        other.kiosk_id = "gate-2".into();
        assert!(matches!(other.verify(&vk, "POST", "/api/v1/push", now), Err(Error::BadSignature)));
    }

    #[test]
    fn old_and_future_requests_are_stale() {
        let auth = signed();
        let vk = key(1).verifying_key();
        let t = auth.timestamp_ms;
        auth.verify(&vk, "POST", "/api/v1/push", t + crate::MAX_CLOCK_SKEW_MS).unwrap();
        for now in [t + crate::MAX_CLOCK_SKEW_MS + 1, t - crate::MAX_CLOCK_SKEW_MS - 1] {
            assert!(matches!(auth.verify(&vk, "POST", "/api/v1/push", now), Err(Error::StaleRequest { .. })));
        }
        // The ends of the range, where a subtraction would wrap and take them for fresh.
        for (stamp, now) in [(i64::MIN, t), (i64::MAX, t), (i64::MIN, i64::MAX), (t, i64::MIN)] {
            let far = RequestAuth::sign(&key(1), "gate-1", "POST", "/api/v1/push", stamp, Nonce([7; 16]), b"body");
            assert!(matches!(far.check_fresh(now), Err(Error::StaleRequest { .. })), "{stamp} at {now}");
            assert!(matches!(far.verify(&vk, "POST", "/api/v1/push", now), Err(Error::StaleRequest { .. })));
        }
    }

    #[test]
    fn malformed_headers_are_named() {
        let e = RequestAuth::from_headers(|n| (n != HEADER_NONCE).then_some("1")).unwrap_err();
        assert!(matches!(e, Error::MissingHeader(HEADER_NONCE)));
        let e = RequestAuth::from_headers(|n| Some(if n == HEADER_KIOSK { "k" } else { "zz" })).unwrap_err();
        assert!(matches!(e, Error::BadHeader { name: HEADER_TIMESTAMP, .. }));
        assert!(parse_public_key("abc").is_err());
        assert_eq!(parse_public_key(&hex::encode(key(3).verifying_key().to_bytes())).unwrap(), key(3).verifying_key());
    }
}
