//! The QR on a Vietnamese citizen-ID card (CCCD): `number|old number|name|birth|sex|address|issued`.
//!
//! Cards print seven `|`-separated fields; some readers and older cards give six (no old
//! number). Dates are DDMMYYYY. The 12-digit number encodes the province of birth registration,
//! the century and sex, and the last two digits of the birth year, which we check against the
//! birth date so a misread or made-up number is caught at the gate.

use std::fmt;

use chrono::NaiveDate;
use serde::Serialize;

/// A visitor's identity as read from their card. `Debug` masks the number: it must never reach a log.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct CccdCard {
    pub number: CccdNumber,
    pub old_number: Option<String>,
    pub full_name: String,
    pub birth_date: NaiveDate,
    pub sex: String,
    pub address: String,
    pub issued: Option<NaiveDate>,
}

impl fmt::Debug for CccdCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CccdCard")
            .field("number", &self.number)
            .field("full_name", &self.full_name)
            .field("birth_date", &self.birth_date)
            .finish_non_exhaustive()
    }
}

/// A checked 12-digit CCCD number. Shown masked (`079*******89`) unless asked for in full.
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
pub struct CccdNumber(String);

impl CccdNumber {
    pub fn full(&self) -> &str {
        &self.0
    }

    pub fn masked(&self) -> String {
        mask_number(&self.0)
    }
}

/// Masks an ID number as the guard screen shows it: the province code and the last two digits,
/// a star for every digit between. A stored number is text that no parser checked again, so any
/// length is masked, and one too short to keep digits of is all stars.
pub fn mask_number(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    if chars.len() <= 5 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 2..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 5))
}

impl fmt::Debug for CccdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// Province codes (the first three digits), per Circular 07/2016/TT-BCA.
const PROVINCES: [u16; 63] = [
    1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36, 37, 38, 40, 42, 44, 45,
    46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74, 75, 77, 79, 80, 82, 83, 84, 86, 87, 89, 91, 92,
    93, 94, 95, 96,
];

/// Why a text is not a CCCD QR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CccdError {
    /// Not `|`-separated into 6 or 7 fields: not a card at all.
    NotACard,
    /// Shaped like a card but a field is wrong.
    Invalid(String),
}

fn date(field: &str, what: &str) -> Result<NaiveDate, CccdError> {
    let f = field.trim();
    if f.len() != 8 || !f.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CccdError::Invalid(format!("{what} is not DDMMYYYY")));
    }
    NaiveDate::parse_from_str(f, "%d%m%Y").map_err(|_| CccdError::Invalid(format!("{what} is not a real date")))
}

pub fn parse(text: &str) -> Result<CccdCard, CccdError> {
    let fields: Vec<&str> = text.trim_end_matches(['\r', '\n']).split('|').collect();
    let (number, old, rest) = match fields.len() {
        7 => (fields[0], Some(fields[1]), &fields[2..]),
        6 => (fields[0], None, &fields[1..]),
        _ => return Err(CccdError::NotACard),
    };
    let number = number.trim();
    if number.len() != 12 || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CccdError::Invalid("the ID number is not 12 digits".into()));
    }
    let province: u16 = number[..3].parse().expect("digits");
    if !PROVINCES.contains(&province) {
        return Err(CccdError::Invalid(format!("{:03} is not a province code", province)));
    }
    let full_name = rest[0].trim();
    if full_name.is_empty() {
        return Err(CccdError::Invalid("the name is empty".into()));
    }
    let birth_date = date(rest[1], "the birth date")?;
    let century_code = i32::from(number.as_bytes()[3] - b'0');
    let year_digits: i32 = number[4..6].parse().expect("digits");
    let year = 1900 + 100 * (century_code / 2) + year_digits;
    use chrono::Datelike;
    if year != birth_date.year() {
        return Err(CccdError::Invalid("the ID number does not match the birth year".into()));
    }
    let old_number = match old.map(str::trim) {
        None | Some("") => None,
        Some(o) if o.len() == 9 && o.bytes().all(|b| b.is_ascii_digit()) => Some(o.to_string()),
        Some(_) => return Err(CccdError::Invalid("the old ID number is not 9 digits".into())),
    };
    let issued = match rest[4].trim() {
        "" => None,
        d => Some(date(d, "the issue date")?),
    };
    Ok(CccdCard {
        number: CccdNumber(number.to_string()),
        old_number,
        full_name: full_name.to_string(),
        birth_date,
        sex: rest[2].trim().to_string(),
        address: rest[3].trim().to_string(),
        issued,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    pub const SAMPLE: &str = "079090001234|025123456|Nguyễn Văn An|15031990|Nam|12 Lê Lợi, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh|15082021";

    #[test]
    fn seven_fields() {
        let c = parse(SAMPLE).unwrap();
        assert_eq!(c.number.full(), "079090001234");
        assert_eq!(c.number.masked(), "079*******34");
        assert_eq!(c.old_number.as_deref(), Some("025123456"));
        assert_eq!(c.full_name, "Nguyễn Văn An");
        assert_eq!(c.birth_date, NaiveDate::from_ymd_opt(1990, 3, 15).unwrap());
        assert_eq!(c.issued, NaiveDate::from_ymd_opt(2021, 8, 15));
        assert!(!format!("{c:?}").contains("079090001234"));
    }

    #[test]
    fn numbers_of_any_length_are_masked() {
        assert_eq!(mask_number("079123456789"), "079*******89");
        assert_eq!(mask_number("025123456"), "025****56");
        assert_eq!(mask_number("123456"), "123*56");
        assert_eq!(mask_number("12345"), "*****");
        assert_eq!(mask_number(""), "");
    }

    #[test]
    fn six_fields_and_empty_old_number() {
        let c = parse("001301012345|Trần Thị Bình|02022001|Nữ|Hà Nội|01012022").unwrap();
        assert_eq!(c.old_number, None);
        assert_eq!(c.sex, "Nữ");
        let c = parse("001301012345||Trần Thị Bình|02022001|Nữ|Hà Nội|01012022").unwrap();
        assert_eq!(c.old_number, None);
    }

    #[test]
    fn refusals() {
        assert_eq!(parse("hello").unwrap_err(), CccdError::NotACard);
        assert_eq!(parse("a|b|c").unwrap_err(), CccdError::NotACard);
        let bad = [
            "07909000123|025123456|A|15031990|Nam|x|15082021",
            "003090001234|025123456|A|15031990|Nam|x|15082021",
            "079091001234|025123456|A|15031990|Nam|x|15082021",
            "079090001234|025123456|A|31021990|Nam|x|15082021",
            "079090001234|025123456||15031990|Nam|x|15082021",
            "079090001234|02512345|A|15031990|Nam|x|15082021",
            "079090001234|025123456|A|1990-03-15|Nam|x|15082021",
        ];
        for b in bad {
            assert!(matches!(parse(b), Err(CccdError::Invalid(_))), "{b}");
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics(text in "[0-9|A-Za-zđĐễ ]{0,120}") {
            let _ = parse(&text);
        }
    }
}
