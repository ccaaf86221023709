//! The badge QR text: `QG1:` + Base45 of a compact signed payload, and the keys that sign and verify it.
//!
//! Payload v1, big-endian:
//! `version u8 | key id u8 | tax code digits u8 | tax code u48 | code len u8 | code bytes |
//!  serial u32 | issued u16 | expires u16 | Ed25519 signature (64 bytes)`.
//! Dates are days since 2020-01-01; `expires = 0` means no expiry. The signature covers
//! `QG1` followed by everything before it, so a payload cannot be replayed under another prefix.

use chrono::NaiveDate;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

use crate::base45;
use crate::error::{Error, Result};
use crate::model::{EmployeeCode, TaxCode, EMPLOYEE_CODE_MAX};

pub const PREFIX: &str = "QG1:";
const DOMAIN: &[u8] = b"QG1";
const VERSION: u8 = 1;
const SIGNATURE_LEN: usize = 64;
/// Alphanumeric characters a version 7 QR holds at error-correction level M.
pub const QR_V7_M_ALPHANUMERIC: usize = 178;

/// What a badge says about its holder, before anyone has checked it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Badge {
    pub key_id: u8,
    pub enterprise: TaxCode,
    pub employee: EmployeeCode,
    pub serial: u32,
    pub issued: NaiveDate,
    pub expires: Option<NaiveDate>,
}

/// A badge read from a QR text, with the bytes its signature must cover.
#[derive(Debug, Clone)]
pub struct SignedBadge {
    pub badge: Badge,
    signed: Vec<u8>,
    signature: Signature,
}

/// Why a text is not a usable badge. Each maps to a gate refusal reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadgeError {
    /// No `QG1:` prefix: some other QR code.
    NotABadge,
    /// `QG1:` but the rest is damaged or truncated.
    Damaged(String),
    /// A badge format this kiosk does not know (newer version).
    UnknownVersion(u8),
}

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(2020, 1, 1).expect("valid date")
}

fn day_number(d: NaiveDate) -> Result<u16> {
    let days = (d - epoch()).num_days();
    u16::try_from(days)
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(|| Error::invalid("badge date", format!("{d} is outside 2020-01-02..2199")))
}

fn from_day_number(n: u16) -> NaiveDate {
    epoch() + chrono::Days::new(u64::from(n))
}

impl Badge {
    fn payload(&self) -> Result<Vec<u8>> {
        let (digits, value) = self.enterprise.to_packed();
        let code = self.employee.as_str().as_bytes();
        let mut out = Vec::with_capacity(16 + code.len());
        out.push(VERSION);
        out.push(self.key_id);
        out.push(digits);
        out.extend_from_slice(&value.to_be_bytes()[2..]);
        out.push(code.len() as u8);
        out.extend_from_slice(code);
        out.extend_from_slice(&self.serial.to_be_bytes());
        out.extend_from_slice(&day_number(self.issued)?.to_be_bytes());
        let expires = match self.expires {
            Some(d) => day_number(d)?,
            None => 0,
        };
        out.extend_from_slice(&expires.to_be_bytes());
        Ok(out)
    }

    /// The QR text of this badge, signed with the enterprise key.
    pub fn sign(&self, key: &BadgeSigningKey) -> Result<String> {
        if key.key_id != self.key_id {
            return Err(Error::invalid(
                "badge key",
                format!("badge names key {} but key {} signs", self.key_id, key.key_id),
            ));
        }
        let mut bytes = self.payload()?;
        let signature = key.key.sign(&signed_message(&bytes));
        bytes.extend_from_slice(&signature.to_bytes());
        let text = format!("{PREFIX}{}", base45::encode(&bytes));
        if text.len() > QR_V7_M_ALPHANUMERIC {
            return Err(Error::BadgeTooLarge { code: self.employee.to_string(), chars: text.len() });
        }
        Ok(text)
    }
}

fn signed_message(payload: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(DOMAIN.len() + payload.len());
    m.extend_from_slice(DOMAIN);
    m.extend_from_slice(payload);
    m
}

/// Reads a QR text as a badge. Checks structure only; [`SignedBadge::verify`] checks the signature.
pub fn parse(text: &str) -> std::result::Result<SignedBadge, BadgeError> {
    let body = text.trim_end_matches(['\r', '\n']).strip_prefix(PREFIX).ok_or(BadgeError::NotABadge)?;
    let bytes = base45::decode(body).map_err(|e| BadgeError::Damaged(format!("not Base45 ({e:?})")))?;
    let damaged = |why: &str| BadgeError::Damaged(why.to_string());
    let mut r = Reader(&bytes);
    let version = r.u8().ok_or_else(|| damaged("empty"))?;
    if version != VERSION {
        return Err(BadgeError::UnknownVersion(version));
    }
    let key_id = r.u8().ok_or_else(|| damaged("truncated"))?;
    let digits = r.u8().ok_or_else(|| damaged("truncated"))?;
    let tax = r.take(6).ok_or_else(|| damaged("truncated"))?;
    let tax_value = tax.iter().fold(0u64, |acc, &b| acc << 8 | u64::from(b));
    let enterprise = TaxCode::from_packed(digits, tax_value).map_err(|_| damaged("bad tax code"))?;
    let code_len = usize::from(r.u8().ok_or_else(|| damaged("truncated"))?);
    if code_len == 0 || code_len > EMPLOYEE_CODE_MAX {
        return Err(damaged("bad employee code length"));
    }
    let code = r.take(code_len).ok_or_else(|| damaged("truncated"))?;
    let employee = std::str::from_utf8(code)
        .ok()
        .and_then(|c| c.parse::<EmployeeCode>().ok())
        .ok_or_else(|| damaged("bad employee code"))?;
    let serial = u32::from_be_bytes(r.take(4).ok_or_else(|| damaged("truncated"))?.try_into().expect("4 bytes"));
    let issued = r.u16().ok_or_else(|| damaged("truncated"))?;
    let expires = r.u16().ok_or_else(|| damaged("truncated"))?;
    let signed_len = bytes.len() - r.0.len();
    let signature = r.take(SIGNATURE_LEN).ok_or_else(|| damaged("signature truncated"))?;
    if !r.0.is_empty() {
        return Err(damaged("trailing bytes"));
    }
    let signature = Signature::from_bytes(signature.try_into().expect("64 bytes"));
    Ok(SignedBadge {
        badge: Badge {
            key_id,
            enterprise,
            employee,
            serial,
            issued: from_day_number(issued),
            expires: (expires != 0).then(|| from_day_number(expires)),
        },
        signed: bytes[..signed_len].to_vec(),
        signature,
    })
}

impl SignedBadge {
    /// True when `key` signed exactly these bytes.
    pub fn verify(&self, key: &VerifyingKey) -> bool {
        key.verify(&signed_message(&self.signed), &self.signature).is_ok()
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Some(head)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }
}

/// The enterprise's secret badge key. Only the place that issues badges holds it.
pub struct BadgeSigningKey {
    pub key_id: u8,
    pub enterprise: TaxCode,
    key: SigningKey,
}

/// The public half, which every kiosk of the enterprise holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadgePublicKey {
    pub key_id: u8,
    pub enterprise: TaxCode,
    pub key: VerifyingKey,
}

const SECRET_HEADER: &str = "qrgate badge signing key v1";
const PUBLIC_HEADER: &str = "qrgate badge public key v1";

impl BadgeSigningKey {
    pub fn generate(
        key_id: u8,
        enterprise: TaxCode,
        rng: &mut (impl rand::RngCore + rand::CryptoRng),
    ) -> BadgeSigningKey {
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        BadgeSigningKey { key_id, enterprise, key: SigningKey::from_bytes(&seed) }
    }

    pub fn public(&self) -> BadgePublicKey {
        BadgePublicKey { key_id: self.key_id, enterprise: self.enterprise.clone(), key: self.key.verifying_key() }
    }

    pub fn to_file_text(&self) -> String {
        format!(
            "{SECRET_HEADER}\nkey-id: {}\nenterprise: {}\nsecret: {}\n",
            self.key_id,
            self.enterprise,
            hex::encode(self.key.to_bytes())
        )
    }

    pub fn from_file_text(text: &str) -> Result<BadgeSigningKey> {
        let fields = key_fields(text, SECRET_HEADER)?;
        let secret: [u8; 32] = hex_field(&fields, "secret")?;
        Ok(BadgeSigningKey {
            key_id: fields.key_id,
            enterprise: fields.enterprise,
            key: SigningKey::from_bytes(&secret),
        })
    }
}

impl BadgePublicKey {
    pub fn to_file_text(&self) -> String {
        format!(
            "{PUBLIC_HEADER}\nkey-id: {}\nenterprise: {}\npublic: {}\n",
            self.key_id,
            self.enterprise,
            hex::encode(self.key.to_bytes())
        )
    }

    pub fn from_file_text(text: &str) -> Result<BadgePublicKey> {
        let fields = key_fields(text, PUBLIC_HEADER)?;
        let public: [u8; 32] = hex_field(&fields, "public")?;
        let key = VerifyingKey::from_bytes(&public).map_err(|e| Error::invalid("badge public key", e.to_string()))?;
        Ok(BadgePublicKey { key_id: fields.key_id, enterprise: fields.enterprise, key })
    }
}

struct KeyFields {
    key_id: u8,
    enterprise: TaxCode,
    lines: Vec<(String, String)>,
}

fn key_fields(text: &str, header: &str) -> Result<KeyFields> {
    let mut lines = text.lines();
    if lines.next().map(str::trim) != Some(header) {
        return Err(Error::invalid("key file", format!("does not start with {header:?}")));
    }
    let lines: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_string(), v.trim().to_string())).collect();
    let get = |k: &str| {
        lines
            .iter()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| Error::invalid("key file", format!("no {k:?} line")))
    };
    let key_id = get("key-id")?.parse().map_err(|_| Error::invalid("key file", "key-id is not 0..255"))?;
    let enterprise = get("enterprise")?.parse()?;
    Ok(KeyFields { key_id, enterprise, lines })
}

fn hex_field<const N: usize>(fields: &KeyFields, name: &str) -> Result<[u8; N]> {
    let value = fields
        .lines
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .ok_or_else(|| Error::invalid("key file", format!("no {name:?} line")))?;
    let bytes = hex::decode(value).map_err(|_| Error::invalid("key file", format!("{name} is not hex")))?;
    bytes.try_into().map_err(|_| Error::invalid("key file", format!("{name} is not {N} bytes")))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rand::SeedableRng;

    pub(crate) fn key(enterprise: &str) -> BadgeSigningKey {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        BadgeSigningKey::generate(1, enterprise.parse().unwrap(), &mut rng)
    }

    fn badge(code: &str) -> Badge {
        Badge {
            key_id: 1,
            enterprise: "0101234567".parse().unwrap(),
            employee: code.parse().unwrap(),
            serial: 3,
            issued: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            expires: Some(NaiveDate::from_ymd_opt(2027, 12, 31).unwrap()),
        }
    }

    #[test]
    fn sign_parse_verify() {
        let k = key("0101234567");
        let text = badge("NV00123").sign(&k).unwrap();
        assert!(text.starts_with(PREFIX));
        assert!(text.bytes().all(|b| b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".contains(&b)));
        let parsed = parse(&text).unwrap();
        assert_eq!(parsed.badge, badge("NV00123"));
        assert!(parsed.verify(&k.public().key));
        let other = key("0309999999");
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(8);
        let other = BadgeSigningKey::generate(1, other.enterprise, &mut rng);
        assert!(!parsed.verify(&other.public().key));
    }

    #[test]
    fn longest_code_fits_version_7_m() {
        let k = key("0101234567-001");
        let mut b = badge(&"X".repeat(EMPLOYEE_CODE_MAX));
        b.enterprise = "0101234567-001".parse().unwrap();
        let text = b.sign(&k).unwrap();
        assert!(text.len() <= QR_V7_M_ALPHANUMERIC, "{}", text.len());
        let qr = qrcode::QrCode::with_error_correction_level(&text, qrcode::EcLevel::M).unwrap();
        assert!(matches!(qr.version(), qrcode::Version::Normal(v) if v <= 7), "{:?}", qr.version());
    }

    #[test]
    fn changed_payload_fails_signature() {
        let k = key("0101234567");
        let text = badge("NV00123").sign(&k).unwrap();
        let mut bytes = base45::decode(&text[PREFIX.len()..]).unwrap();
        // The serial's last byte: a forger turning a revoked badge into the current one.
        let serial_at = 3 + 6 + 1 + 7 + 3;
        bytes[serial_at] ^= 1;
        let forged = format!("{PREFIX}{}", base45::encode(&bytes));
        let parsed = parse(&forged).unwrap();
        assert_eq!(parsed.badge.serial, 2);
        assert!(!parsed.verify(&k.public().key));
    }

    #[test]
    fn damaged_texts() {
        let k = key("0101234567");
        let text = badge("NV00123").sign(&k).unwrap();
        assert_eq!(parse("hello").unwrap_err(), BadgeError::NotABadge);
        assert!(matches!(parse(&text[..text.len() - 1]), Err(BadgeError::Damaged(_))));
        assert!(matches!(parse(&text[..text.len() - 3]), Err(BadgeError::Damaged(_))));
        assert!(matches!(parse("QG1:"), Err(BadgeError::Damaged(_))));
        assert_eq!(parse("QG1:A2").unwrap_err(), BadgeError::UnknownVersion(100));
    }

    #[test]
    fn key_files_round_trip() {
        let k = key("0101234567");
        let back = BadgeSigningKey::from_file_text(&k.to_file_text()).unwrap();
        assert_eq!(back.public(), k.public());
        assert_eq!(BadgePublicKey::from_file_text(&k.public().to_file_text()).unwrap(), k.public());
        assert!(BadgePublicKey::from_file_text(&k.to_file_text()).is_err());
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(text in ".{0,300}") {
            let _ = parse(&text);
        }

        #[test]
        fn parse_never_panics_on_prefixed_base45(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let _ = parse(&format!("{PREFIX}{}", base45::encode(&bytes)));
        }
    }
}
