//! The QR on a Vietnamese citizen-ID card (CCCD): `number|old number|name|birth|sex|address|issued`.
//!
//! Cards print seven `|`-separated fields; some readers and older cards give six (no old
//! number). Dates are DDMMYYYY. The 12-digit number encodes the province of birth registration,
//! the century and sex, and the last two digits of the birth year, which we check against the
//! birth date so a misread or made-up number is caught at the gate.
//!
//! The free-text fields are bounded so a forged QR cannot fill the visitor log or the guard's
//! screen: the longest names and addresses on real cards are well inside the limits below. The
//! birth date must fall in a person's lifetime as of the scan's day, which the caller passes in
//! (the gate's local day of the scan), never the clock.

use std::fmt;

use chrono::{Datelike, NaiveDate};
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

/// Characters, not bytes: Vietnamese letters take two or three bytes each. The longest full
/// names run to about 50 characters; 100 leaves room for every real one.
pub const MAX_NAME_CHARS: usize = 100;
/// A card's permanent address (number, street, ward, district, province) stays under 150.
pub const MAX_ADDRESS_CHARS: usize = 200;
/// "Nam" or "Nữ" on a card; a little room for a reader's spelling.
pub const MAX_SEX_CHARS: usize = 10;
/// Nobody at a factory gate is older; the oldest people ever recorded were not much older.
pub const MAX_AGE_YEARS: i32 = 120;

fn bounded<'a>(field: &'a str, what: &str, max: usize) -> Result<&'a str, CccdError> {
    let f = field.trim();
    let n = f.chars().count();
    if n > max {
        return Err(CccdError::Invalid(format!("{what} is {n} characters long; a card holds at most {max}")));
    }
    Ok(f)
}

fn date(field: &str, what: &str) -> Result<NaiveDate, CccdError> {
    let f = field.trim();
    if f.len() != 8 || !f.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CccdError::Invalid(format!("{what} is not DDMMYYYY")));
    }
    NaiveDate::parse_from_str(f, "%d%m%Y").map_err(|_| CccdError::Invalid(format!("{what} is not a real date")))
}

/// Reads a card scanned on `today` (the gate's local day of the scan).
pub fn parse(text: &str, today: NaiveDate) -> Result<CccdCard, CccdError> {
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
    let full_name = bounded(rest[0], "the name", MAX_NAME_CHARS)?;
    if full_name.is_empty() {
        return Err(CccdError::Invalid("the name is empty".into()));
    }
    let sex = bounded(rest[2], "the sex", MAX_SEX_CHARS)?;
    let address = bounded(rest[3], "the address", MAX_ADDRESS_CHARS)?;
    let birth_date = date(rest[1], "the birth date")?;
    if birth_date > today {
        return Err(CccdError::Invalid(format!("the birth date {birth_date} is after the day of the scan, {today}")));
    }
    // Where `today` minus the years does not exist (29 February), the day before it does.
    let oldest = today
        .with_year(today.year() - MAX_AGE_YEARS)
        .or_else(|| today.pred_opt().and_then(|d| d.with_year(d.year() - MAX_AGE_YEARS)));
    if oldest.is_some_and(|oldest| birth_date < oldest) {
        return Err(CccdError::Invalid(format!(
            "the birth date {birth_date} is more than {MAX_AGE_YEARS} years before the day of the scan"
        )));
    }
    let century_code = i32::from(number.as_bytes()[3] - b'0');
    let year_digits: i32 = number[4..6].parse().expect("digits");
    let year = 1900 + 100 * (century_code / 2) + year_digits;
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
        sex: sex.to_string(),
        address: address.to_string(),
        issued,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    pub const SAMPLE: &str = "079090001234|025123456|Nguyễn Văn An|15031990|Nam|12 Lê Lợi, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh|15082021";

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// The scan's day in these tests: fixed, so no test depends on the day it runs.
    fn parse(text: &str) -> Result<CccdCard, CccdError> {
        super::parse(text, day("2026-11-25"))
    }

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

    #[test]
    fn a_birth_date_outside_a_lifetime_is_refused() {
        let card = |birth: &str, number: &str| format!("{number}|025123456|Nguyễn Văn An|{birth}|Nam|Hà Nội|15082021");
        // Born the day after the scan (century code 2: born in the 2000s).
        let e = super::parse(&card("26112026", "079226001234"), day("2026-11-25")).unwrap_err();
        assert!(matches!(&e, CccdError::Invalid(why) if why.contains("after the day of the scan")), "{e:?}");
        // Born on the scan's day itself is a lifetime of one day.
        assert!(super::parse(&card("25112026", "079226001234"), day("2026-11-25")).is_ok());
        // 120 years to the day is the oldest; a day more is not a person at a gate.
        assert!(super::parse(&card("25111906", "079006001234"), day("2026-11-25")).is_ok());
        let e = super::parse(&card("24111906", "079006001234"), day("2026-11-25")).unwrap_err();
        assert!(matches!(&e, CccdError::Invalid(why) if why.contains("more than 120 years")), "{e:?}");
        // The bound moves with the scan's day, not the clock's.
        assert!(super::parse(SAMPLE, day("1990-03-14")).is_err());
        assert!(super::parse(SAMPLE, day("1990-03-15")).is_ok());
        // A scan on 29 February 2020: 1900 had no 29 February, so the oldest is 28 February 1900.
        assert!(super::parse(&card("28021900", "079000001234"), day("2020-02-29")).is_ok());
        assert!(super::parse(&card("27021900", "079000001234"), day("2020-02-29")).is_err());
    }

    #[test]
    fn overlong_fields_are_refused() {
        let with = |name: &str, sex: &str, address: &str| {
            parse(&format!("079090001234|025123456|{name}|15031990|{sex}|{address}|15082021"))
        };
        let longest_name = "Ữ".repeat(MAX_NAME_CHARS);
        let longest_address = "Đ".repeat(MAX_ADDRESS_CHARS);
        assert!(with(&longest_name, "Nữ", &longest_address).is_ok(), "limits count characters, not bytes");
        for (name, sex, address, what) in [
            ("A".repeat(5_000), "Nam".to_string(), "Hà Nội".to_string(), "the name is 5000 characters"),
            ("Ữ".repeat(MAX_NAME_CHARS + 1), "Nam".into(), "Hà Nội".into(), "the name is 101 characters"),
            ("An".into(), "Nam".into(), "x".repeat(5_000), "the address is 5000 characters"),
            ("An".into(), "N".repeat(11), "Hà Nội".into(), "the sex is 11 characters"),
        ] {
            let e = with(&name, &sex, &address).unwrap_err();
            assert!(matches!(&e, CccdError::Invalid(why) if why.contains(what)), "{what}: {e:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics(text in "[0-9|A-Za-zđĐễ ]{0,120}") {
            let _ = parse(&text);
        }
    }
}
