//! Tracing a visitor by their CCCD number at the province, with no server keeping the number.
//!
//! The province has a trace secret; its public key goes into every kiosk's kiosk.conf. A kiosk
//! seals each consenting visitor's number to that key (an anonymous sealed box: X25519 and
//! XSalsa20-Poly1305) and pushes it beside the visitor's opaque id. Only the province's server can
//! open it; it keeps a tag, HMAC-SHA256 of the number under a key derived from the secret, and
//! drops the number. Given a number to trace, the province computes the same tag. A copy of a
//! kiosk's database holds only sealed numbers, and one of the province's holds only tags, which
//! cannot be tried number by number without the secret.

use crypto_box::{PublicKey, SecretKey};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// A push carries at most this many sealed visitors.
pub const MAX_BATCH_VISITORS: usize = 500;
/// A sealed 12-digit number is 60 bytes; hex, 120 characters. Longer is not one of ours.
pub const MAX_SEALED_HEX: usize = 256;

/// One visitor's number, sealed to the province, under the id the kiosk's events use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedVisitor {
    /// The visitor's opaque id (`v-…`).
    pub id: String,
    /// The sealed box, hex.
    pub sealed: String,
}

/// The province's trace public key, as kiosk.conf holds it (64 hex digits).
#[derive(Clone, PartialEq, Eq)]
pub struct TracePublicKey(PublicKey);

impl std::fmt::Debug for TracePublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TracePublicKey({})", self.to_hex())
    }
}

impl TracePublicKey {
    pub fn parse(text: &str) -> Result<TracePublicKey> {
        let bytes: [u8; 32] = hex::decode(text.trim()).ok().and_then(|b| b.try_into().ok()).ok_or_else(|| {
            Error::BadPublicKey("a trace key is 64 hex digits (the province's `trace-key public`)".into())
        })?;
        Ok(TracePublicKey(PublicKey::from(bytes)))
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0.as_bytes())
    }

    /// `number` sealed to the province, hex.
    pub fn seal(&self, number: &str, rng: &mut (impl rand_core::RngCore + rand_core::CryptoRng)) -> String {
        hex::encode(self.0.seal(rng, number.as_bytes()).expect("sealing a short text cannot fail"))
    }
}

/// The province's trace secret: opens sealed numbers and makes tags. Kept in a file of the
/// server's, never in its database.
pub struct TraceSecret {
    secret: SecretKey,
    tag_key: [u8; 32],
}

impl std::fmt::Debug for TraceSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TraceSecret(..)")
    }
}

impl TraceSecret {
    pub fn generate(rng: &mut (impl rand_core::RngCore + rand_core::CryptoRng)) -> TraceSecret {
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        TraceSecret::from_seed(seed)
    }

    fn from_seed(seed: [u8; 32]) -> TraceSecret {
        // The tag's key is derived apart from the sealing key, so neither use weakens the other.
        let tag_key: [u8; 32] = Sha256::new().chain_update(b"qrgate trace tag v1").chain_update(seed).finalize().into();
        TraceSecret { secret: SecretKey::from(seed), tag_key }
    }

    /// The file's text: the 32-byte seed, 64 hex digits and a newline.
    pub fn to_file_text(&self) -> String {
        format!("{}\n", hex::encode(self.secret.to_bytes()))
    }

    pub fn from_file_text(text: &str) -> Result<TraceSecret> {
        let seed: [u8; 32] = hex::decode(text.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| Error::BadKeyFile("a trace secret is 64 hex digits (a file from `trace-key new`)".into()))?;
        Ok(TraceSecret::from_seed(seed))
    }

    pub fn public(&self) -> TracePublicKey {
        TracePublicKey(self.secret.public_key())
    }

    /// The number a kiosk sealed, when it is a sealed box to this key holding a CCCD number.
    pub fn open(&self, sealed: &str) -> Option<String> {
        if sealed.len() > MAX_SEALED_HEX {
            return None;
        }
        let bytes = hex::decode(sealed).ok()?;
        let number = String::from_utf8(self.secret.unseal(&bytes).ok()?).ok()?;
        is_cccd_number(&number).then_some(number)
    }

    /// The tag the province keeps and looks up in place of the number.
    pub fn tag(&self, number: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.tag_key).expect("HMAC takes a key of any length");
        mac.update(number.trim().as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

/// A citizen identity number: 12 digits.
pub fn is_cccd_number(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Counter(u64);
    impl rand_core::RngCore for Counter {
        fn next_u32(&mut self) -> u32 {
            self.next_u64() as u32
        }
        fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            self.0
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            rand_core::impls::fill_bytes_via_next(self, dest)
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> std::result::Result<(), rand_core::Error> {
            self.fill_bytes(dest);
            Ok(())
        }
    }
    impl rand_core::CryptoRng for Counter {}

    #[test]
    fn only_the_province_opens_a_sealed_number_and_its_tag_is_the_same_from_either_side() {
        let mut rng = Counter(1);
        let province = TraceSecret::generate(&mut rng);
        let other = TraceSecret::generate(&mut rng);
        let public = TracePublicKey::parse(&province.public().to_hex()).unwrap();
        let sealed = public.seal("079090001234", &mut rng);
        assert!(sealed.len() <= MAX_SEALED_HEX);
        assert!(!sealed.contains("079090001234"));
        assert_ne!(sealed, public.seal("079090001234", &mut rng), "each seal is new");
        assert_eq!(province.open(&sealed).as_deref(), Some("079090001234"));
        assert_eq!(other.open(&sealed), None, "another key opens nothing");
        let again = TraceSecret::from_file_text(&province.to_file_text()).unwrap();
        assert_eq!(again.tag("079090001234"), province.tag("079090001234"));
        assert_ne!(province.tag("079090001234"), province.tag("079090001235"));
        assert_ne!(province.tag("079090001234"), other.tag("079090001234"));
        // A sealed text that is not a number, junk, and overlong input open to nothing.
        assert_eq!(province.open(&public.seal("not a number", &mut rng)), None);
        for junk in ["", "zz", &"ab".repeat(60), &"00".repeat(200)] {
            assert_eq!(province.open(junk), None, "{junk:?}");
        }
        assert_eq!(format!("{province:?}"), "TraceSecret(..)");
        assert!(TracePublicKey::parse("abc").is_err() && TraceSecret::from_file_text("").is_err());
    }
}
