//! Checked domain values: raw text becomes one of these once, at the edge, and the core trusts them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// An enterprise tax code (mã số doanh nghiệp): 10 digits, or 13 for a branch, written
/// either as 13 digits or as `0123456789-001`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TaxCode(String);

impl TaxCode {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digits only, as a number: what the badge carries.
    pub fn to_packed(&self) -> (u8, u64) {
        let digits: String = self.0.chars().filter(char::is_ascii_digit).collect();
        (digits.len() as u8, digits.parse().expect("checked digits"))
    }

    pub fn from_packed(len: u8, value: u64) -> Result<TaxCode> {
        match len {
            10 if value < 10u64.pow(10) => Ok(TaxCode(format!("{value:010}"))),
            13 if value < 10u64.pow(13) => {
                let s = format!("{value:013}");
                Ok(TaxCode(format!("{}-{}", &s[..10], &s[10..])))
            }
            _ => Err(Error::invalid("tax code", "packed form out of range")),
        }
    }
}

impl FromStr for TaxCode {
    type Err = Error;
    /// The server reads the same text with the same rule, so both store one form.
    fn from_str(s: &str) -> Result<TaxCode> {
        qrgate_protocol::field::tax_code(s).map(TaxCode).ok_or_else(|| {
            Error::invalid("tax code", format!("{:?} is not 10 digits, 13 digits, or 10 digits-3 digits", s.trim()))
        })
    }
}

impl TryFrom<String> for TaxCode {
    type Error = Error;
    fn try_from(s: String) -> Result<TaxCode> {
        s.parse()
    }
}

impl From<TaxCode> for String {
    fn from(t: TaxCode) -> String {
        t.0
    }
}

impl fmt::Display for TaxCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The longest employee code a badge can carry and still fit QR version 7 at level M.
pub const EMPLOYEE_CODE_MAX: usize = 32;

/// An employee code as HR writes it: letters, digits, `-`, `_`, `.`, `/`; 1 to 32 characters.
/// Stored upper-case so `nv001` and `NV001` are one person.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmployeeCode(String);

impl EmployeeCode {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for EmployeeCode {
    type Err = Error;
    fn from_str(s: &str) -> Result<EmployeeCode> {
        let t = s.trim();
        if t.is_empty() {
            return Err(Error::invalid("employee code", "empty"));
        }
        if t.len() > EMPLOYEE_CODE_MAX {
            return Err(Error::invalid("employee code", format!("longer than {EMPLOYEE_CODE_MAX} characters")));
        }
        if let Some(c) = t.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))) {
            return Err(Error::invalid("employee code", format!("{t:?} contains {c:?}; use letters, digits, - _ . /")));
        }
        Ok(EmployeeCode(t.to_ascii_uppercase()))
    }
}

impl TryFrom<String> for EmployeeCode {
    type Error = Error;
    fn try_from(s: String) -> Result<EmployeeCode> {
        s.parse()
    }
}

impl From<EmployeeCode> for String {
    fn from(c: EmployeeCode) -> String {
        c.0
    }
}

impl fmt::Display for EmployeeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A kiosk id: the name the province registers, e.g. `gate-1` or `KCN-TB-01`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct KioskId(String);

impl KioskId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for KioskId {
    type Err = Error;
    fn from_str(s: &str) -> Result<KioskId> {
        let t = s.trim();
        if t.is_empty() || t.len() > 64 {
            return Err(Error::invalid("kiosk id", "must be 1 to 64 characters"));
        }
        if let Some(c) = t.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))) {
            return Err(Error::invalid("kiosk id", format!("{t:?} contains {c:?}; use letters, digits, - _ .")));
        }
        Ok(KioskId(t.to_string()))
    }
}

impl TryFrom<String> for KioskId {
    type Error = Error;
    fn try_from(s: String) -> Result<KioskId> {
        s.parse()
    }
}

impl From<KioskId> for String {
    fn from(k: KioskId) -> String {
        k.0
    }
}

impl fmt::Display for KioskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! word_enum {
    ($(#[$m:meta])* $name:ident, $what:literal { $($variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<$name> {
                match s.trim().to_ascii_lowercase().as_str() {
                    $($word => Ok($name::$variant),)+
                    other => Err(Error::invalid($what, format!(
                        "{other:?}; expected one of: {}", [$($word),+].join(", ")))),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

word_enum!(
    /// Which way a person passes.
    Direction, "direction" { In = "in", Out = "out" }
);

impl Direction {
    pub fn flip(self) -> Direction {
        match self {
            Direction::In => Direction::Out,
            Direction::Out => Direction::In,
        }
    }
}

word_enum!(
    /// What a gate does: always in, always out, or decide from the person's last event.
    GateMode, "gate mode" { In = "in", Out = "out", Auto = "auto" }
);

word_enum!(
    /// How a person was identified at the gate.
    Method, "method" { Badge = "badge", Phone = "phone", Cccd = "cccd", Manual = "manual", Legacy = "legacy" }
);

word_enum!(
    /// Whether the gate let the person through. `not_passed` is a follow-up, never a decision: the
    /// gate opened for an accepted event (the one it `follows`) but its passage sensor saw nobody
    /// go through in time, so that passage did not happen.
    Verdict, "verdict" { Accepted = "accepted", Refused = "refused", NotPassed = "not_passed" }
);

word_enum!(
    /// Why an event's time is not to be trusted: written more than a day before the kiosk's last
    /// known good time (its clock went back), or by a kiosk that knew its clock was more than a
    /// day ahead of the province's. The event keeps the time the kiosk read; this says how far to
    /// trust it (`crate::store`, `clock_flag`).
    ClockFlag, "clock flag" { Behind = "behind", Ahead = "ahead" }
);

word_enum!(
    /// What anti-passback does when a person enters twice without leaving (or the reverse).
    PassbackPolicy, "anti-passback policy" { Off = "off", Warn = "warn", Block = "block" }
);

/// Who an event is about. Visitors are referred to by an opaque id, never by their CCCD number,
/// so the event log holds no ID numbers and survives the purge of visitor details.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "ref", rename_all = "snake_case")]
pub enum PersonRef {
    Worker(EmployeeCode),
    Visitor(String),
}

impl PersonRef {
    pub fn kind(&self) -> &'static str {
        match self {
            PersonRef::Worker(_) => "worker",
            PersonRef::Visitor(_) => "visitor",
        }
    }

    pub fn key(&self) -> &str {
        match self {
            PersonRef::Worker(c) => c.as_str(),
            PersonRef::Visitor(v) => v,
        }
    }

    pub fn from_parts(kind: &str, key: &str) -> Result<PersonRef> {
        match kind {
            "worker" => Ok(PersonRef::Worker(key.parse()?)),
            "visitor" => Ok(PersonRef::Visitor(key.to_string())),
            other => Err(Error::invalid("person kind", other.to_string())),
        }
    }
}

/// A visitor's answer to one of the enterprise's health questions (kiosk.conf `[visitors]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthAnswer {
    pub question: String,
    pub yes: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tax_codes() {
        // The rule's cases are tested beside it, in qrgate_protocol::field; here, that TaxCode keeps
        // its one form, refuses with the invalid-input code, and packs into a badge and back.
        assert_eq!("0101234567001".parse::<TaxCode>().unwrap().as_str(), "0101234567-001");
        let refused = "010123456a".parse::<TaxCode>().unwrap_err();
        assert_eq!(refused.code(), crate::error::Code::InvalidInput);
        assert!(serde_json::from_str::<TaxCode>("\"123\"").is_err());
        let t: TaxCode = "0101234567-001".parse().unwrap();
        let (len, v) = t.to_packed();
        assert_eq!(TaxCode::from_packed(len, v).unwrap(), t);
        let t: TaxCode = "0012345678".parse().unwrap();
        let (len, v) = t.to_packed();
        assert_eq!(TaxCode::from_packed(len, v).unwrap(), t);
    }

    #[test]
    fn employee_codes() {
        assert_eq!("nv-001".parse::<EmployeeCode>().unwrap().as_str(), "NV-001");
        assert!("".parse::<EmployeeCode>().is_err());
        assert!("NV 001".parse::<EmployeeCode>().is_err());
        assert!("Nguyễn".parse::<EmployeeCode>().is_err());
        assert!("A".repeat(33).parse::<EmployeeCode>().is_err());
    }

    #[test]
    fn words() {
        assert_eq!("AUTO".parse::<GateMode>().unwrap(), GateMode::Auto);
        assert!("sideways".parse::<Direction>().unwrap_err().to_string().contains("in, out"));
    }
}
