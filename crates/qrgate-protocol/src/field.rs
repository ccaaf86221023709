//! Rules for single fields that the kiosk and the server must apply alike: the one form of a tax
//! code, and the one escape that keeps a spreadsheet cell from running as a formula.
//!
//! They live here because this is the one crate both sides share; two copies would drift, and a
//! tax code the kiosk accepts but the server refuses would stop that kiosk's sync for good.

use std::borrow::Cow;

/// An enterprise tax code (mã số doanh nghiệp) in the one form both sides store: 10 digits, or
/// 10 digits `-` 3 digits for a branch (13 bare digits are rewritten to that form). Surrounding
/// blanks are ignored; anything else is `None`.
pub fn tax_code(text: &str) -> Option<String> {
    let t = text.trim();
    // Bytes, not `str` slices: a 14-byte text with a multi-byte letter at byte 10 must be refused,
    // not split inside the letter.
    let b = t.as_bytes();
    let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    match b.len() {
        10 if digits(b) => Some(t.to_string()),
        13 if digits(b) => Some(format!("{}-{}", &t[..10], &t[10..])),
        14 if digits(&b[..10]) && b[10] == b'-' && digits(&b[11..]) => Some(t.to_string()),
        _ => None,
    }
}

/// Makes text safe for a spreadsheet cell: a leading `=`, `+`, `-`, `@` (and tab or carriage
/// return, which some spreadsheets skip before one) would turn it into a formula, so it gets a
/// single quote in front. The one escape every CSV and XLSX export uses, kiosk and server alike.
pub fn escape_cell(text: &str) -> Cow<'_, str> {
    match text.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => Cow::Owned(format!("'{text}")),
        _ => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tax_codes_take_one_form() {
        assert_eq!(tax_code("0101234567").as_deref(), Some("0101234567"));
        assert_eq!(tax_code(" 0101234567 ").as_deref(), Some("0101234567"));
        assert_eq!(tax_code("0101234567001").as_deref(), Some("0101234567-001"));
        assert_eq!(tax_code("0101234567-001").as_deref(), Some("0101234567-001"));
        assert_eq!(tax_code("0012345678").as_deref(), Some("0012345678"), "leading zeros are digits too");
        for bad in [
            "",
            "123",
            "01012345",
            "01012345678",
            "010123456x",
            "010123456a",
            "0101234567_001",
            "0101234567-0a1",
            "0101234567-01",
            "0101234567--01",
            "-0101234567001",
            "0101234567 001",
            // 14 bytes with `ễ` across byte 10: refused, not a panic.
            "012345678ễab",
        ] {
            assert_eq!(tax_code(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn formula_starts_are_escaped_and_nothing_else() {
        for bad in ["=1+1", "+84 912", "-5", "@SUM(A1)", "\t=x", "\r=x", "=HYPERLINK(1)"] {
            assert_eq!(escape_cell(bad), format!("'{bad}"));
        }
        for fine in ["Nguyễn Văn An", "", "1=1", "a-b", "'quoted"] {
            assert_eq!(escape_cell(fine), fine);
            assert!(matches!(escape_cell(fine), Cow::Borrowed(_)), "{fine:?} is not copied");
        }
    }
}
