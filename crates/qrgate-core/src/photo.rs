//! Workers' photos sealed for the enterprise's other gates: the province's server carries them
//! between the kiosks but holds only ciphertext under ids it cannot read.
//!
//! Both keys come from the enterprise's visitor key (`privacy::VisitorKey`, which every gate of the
//! enterprise holds and the province never sees) through HKDF-SHA256, each under its own info
//! string, so neither meets the visitor pseudonyms made with the visitor key itself:
//! - the id key names a photo on the wire: 32 bytes of HMAC-SHA256 of the employee code, in hex,
//!   so the server learns neither the face nor whose it is;
//! - the seal key encrypts it: XChaCha20-Poly1305, a random 24-byte nonce per seal, and associated
//!   data binding the ciphertext to the enterprise, the photo's id and its version, so the server
//!   can neither show one worker another's face nor pass an old photo off as a newer one.
//!
//! What is sealed: the code's length (one byte), the code, then the JPEG; a code alone is an
//! erasure, so the server cannot forge one either. Layout on the wire: nonce ‖ ciphertext.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::model::EmployeeCode;

/// HKDF info strings: one per use of the visitor key's secret, never reused for another.
const SEAL_INFO: &[u8] = b"qrgate photo seal v1";
const ID_INFO: &[u8] = b"qrgate photo id v1";
/// The first bytes of every photo's associated data: a later format gets another.
const AAD_TAG: &[u8] = b"qrgate-photo-v1";
const NONCE_BYTES: usize = 24;
const TAG_BYTES: usize = 16;

/// The enterprise's photo keys, derived from its visitor key.
#[derive(Clone)]
pub struct PhotoKey {
    seal: [u8; 32],
    id: [u8; 32],
}

impl std::fmt::Debug for PhotoKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PhotoKey(..)")
    }
}

/// What a sealed photo opened to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    pub code: EmployeeCode,
    /// The JPEG, or `None` for an erasure.
    pub jpeg: Option<Vec<u8>>,
}

impl PhotoKey {
    /// From the visitor key's 32 secret bytes.
    pub(crate) fn derive(secret: &[u8; 32]) -> PhotoKey {
        let hk = Hkdf::<Sha256>::new(None, secret);
        let mut key = PhotoKey { seal: [0; 32], id: [0; 32] };
        hk.expand(SEAL_INFO, &mut key.seal).expect("32 bytes is a valid HKDF-SHA256 length");
        hk.expand(ID_INFO, &mut key.id).expect("32 bytes is a valid HKDF-SHA256 length");
        key
    }

    /// The photo's id on the wire: 64 hex digits, the same at every gate of the enterprise.
    pub fn photo_id(&self, code: &EmployeeCode) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.id).expect("HMAC takes a key of any length");
        mac.update(code.as_str().as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Seals `jpeg` (or an erasure, `None`) of `code`'s photo at `version_ms` for `enterprise`.
    pub fn seal(
        &self,
        enterprise: &str,
        code: &EmployeeCode,
        version_ms: i64,
        jpeg: Option<&[u8]>,
        rng: &mut (impl rand::RngCore + rand::CryptoRng),
    ) -> Vec<u8> {
        let code_bytes = code.as_str().as_bytes();
        let jpeg = jpeg.unwrap_or_default();
        let mut plain = Vec::with_capacity(1 + code_bytes.len() + jpeg.len());
        // A checked code is far shorter than 256 bytes.
        plain.push(u8::try_from(code_bytes.len()).expect("an employee code is short"));
        plain.extend_from_slice(code_bytes);
        plain.extend_from_slice(jpeg);
        let mut nonce = [0u8; NONCE_BYTES];
        rng.fill_bytes(&mut nonce);
        let aad = associated_data(enterprise, &self.photo_id(code), version_ms);
        let sealed = self
            .cipher()
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: &plain, aad: &aad })
            .expect("XChaCha20-Poly1305 seals any length a photo has");
        let mut out = Vec::with_capacity(NONCE_BYTES + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens a photo that travelled under `id` at `version_ms`; `None` when it was not sealed by
    /// this enterprise for that id and version, or was changed on the way.
    pub fn open(&self, enterprise: &str, id: &str, version_ms: i64, sealed: &[u8]) -> Option<Opened> {
        if sealed.len() < NONCE_BYTES + TAG_BYTES {
            return None;
        }
        let (nonce, body) = sealed.split_at(NONCE_BYTES);
        let aad = associated_data(enterprise, id, version_ms);
        let plain = self.cipher().decrypt(XNonce::from_slice(nonce), Payload { msg: body, aad: &aad }).ok()?;
        let (&len, rest) = plain.split_first()?;
        let (code, jpeg) = rest.split_at_checked(usize::from(len))?;
        let code: EmployeeCode = std::str::from_utf8(code).ok()?.parse().ok()?;
        // The seal was made with the enterprise's key, so this holds unless that key made a bad
        // seal; checked all the same, since the id is what the store's newest-wins compares by.
        if self.photo_id(&code) != id {
            return None;
        }
        Some(Opened { code, jpeg: (!jpeg.is_empty()).then(|| jpeg.to_vec()) })
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new((&self.seal).into())
    }
}

/// Each part's length is fixed or ended by a NUL no part contains (a tax code, hex), so no two
/// different triples give the same bytes.
fn associated_data(enterprise: &str, id: &str, version_ms: i64) -> Vec<u8> {
    let mut aad = Vec::with_capacity(AAD_TAG.len() + enterprise.len() + id.len() + 10);
    aad.extend_from_slice(AAD_TAG);
    aad.push(0);
    aad.extend_from_slice(enterprise.as_bytes());
    aad.push(0);
    aad.extend_from_slice(id.as_bytes());
    aad.push(0);
    aad.extend_from_slice(&version_ms.to_be_bytes());
    aad
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privacy::VisitorKey;
    use rand::SeedableRng;

    const JPEG: &[u8] = b"\xFF\xD8\xFF\xE0 a face in a JPEG of some length \xFF\xD9";

    fn keys() -> (PhotoKey, PhotoKey, rand_chacha::ChaCha8Rng) {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let (a, b) = (VisitorKey::generate(&mut rng), VisitorKey::generate(&mut rng));
        (a.photo_key(), b.photo_key(), rng)
    }

    fn code(text: &str) -> EmployeeCode {
        text.parse().unwrap()
    }

    #[test]
    fn a_sealed_photo_opens_only_with_the_key_id_version_and_enterprise_it_was_sealed_for() {
        let (key, other, mut rng) = keys();
        let nv1 = code("NV00123");
        let id = key.photo_id(&nv1);
        let sealed = key.seal("0101234567", &nv1, 1_000, Some(JPEG), &mut rng);
        let opened = key.open("0101234567", &id, 1_000, &sealed).unwrap();
        assert_eq!(opened, Opened { code: nv1.clone(), jpeg: Some(JPEG.to_vec()) });

        assert!(!sealed.windows(3).any(|w| w == b"\xFF\xD8\xFF"), "no JPEG magic in the ciphertext");
        assert!(!sealed.windows(7).any(|w| w == b"NV00123"), "no employee code in the ciphertext");
        assert_ne!(sealed, key.seal("0101234567", &nv1, 1_000, Some(JPEG), &mut rng), "a fresh nonce each time");

        assert_eq!(other.open("0101234567", &id, 1_000, &sealed), None, "another enterprise's key");
        assert_eq!(key.open("0101234567", &key.photo_id(&code("NV00124")), 1_000, &sealed), None, "another id");
        assert_eq!(key.open("0101234567", &id, 2_000, &sealed), None, "an old photo passed off as newer");
        assert_eq!(key.open("0109999999", &id, 1_000, &sealed), None, "another enterprise");
        for at in [0, 10, 24, sealed.len() - 1] {
            let mut tampered = sealed.clone();
            tampered[at] ^= 0x01;
            assert_eq!(key.open("0101234567", &id, 1_000, &tampered), None, "a bit flipped at {at}");
        }
        assert_eq!(key.open("0101234567", &id, 1_000, &sealed[..sealed.len() - 1]), None, "cut short");
        assert_eq!(key.open("0101234567", &id, 1_000, &[]), None);
    }

    #[test]
    fn an_erasure_is_sealed_too() {
        let (key, _, mut rng) = keys();
        let nv1 = code("NV00123");
        let sealed = key.seal("0101234567", &nv1, 5, None, &mut rng);
        let opened = key.open("0101234567", &key.photo_id(&nv1), 5, &sealed).unwrap();
        assert_eq!(opened, Opened { code: nv1, jpeg: None });
    }

    #[test]
    fn photo_ids_are_keyed_and_apart_from_visitor_pseudonyms() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let visitor_key = VisitorKey::generate(&mut rng);
        let (key, again) = (visitor_key.photo_key(), visitor_key.photo_key());
        let id = key.photo_id(&code("NV00123"));
        assert_eq!(id, again.photo_id(&code("NV00123")), "the same at every gate");
        assert!(id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()), "{id}");
        assert_ne!(id, key.photo_id(&code("NV00124")));
        assert_ne!(id, VisitorKey::generate(&mut rng).photo_key().photo_id(&code("NV00123")));
        assert!(!id.contains(&visitor_key.pseudonym("NV00123")[2..]), "the two uses of the key never meet");
        assert_eq!(format!("{key:?}"), "PhotoKey(..)");
    }
}
