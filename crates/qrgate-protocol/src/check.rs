//! The one validation of an event and of a roster row, wherever either enters: roster import,
//! the gate, the server's push and the kiosk's pull. Lengths, characters, times, offsets and
//! badge serials are checked here and nowhere else, so what one end takes the other end takes.
//!
//! All arithmetic on times and serials is done so it cannot wrap: a timestamp of `i64::MIN`, an
//! offset of `i32::MIN` or a serial of `u32::MAX` is refused, never taken for a small number.

/// A text field of an event or a roster row, with the longest it may be (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Gate,
    Reason,
    Operator,
    Note,
    PersonRef,
    FullName,
    Department,
    Shift,
    /// A kiosk's program version in its health report.
    Version,
    /// The last error a kiosk's health report tells, in words.
    ErrorText,
    /// Why a kiosk last started again, in words.
    RestartReason,
}

impl Field {
    pub fn name(self) -> &'static str {
        match self {
            Field::Gate => "gate",
            Field::Reason => "reason",
            Field::Operator => "operator",
            Field::Note => "note",
            Field::PersonRef => "person_ref",
            Field::FullName => "full_name",
            Field::Department => "department",
            Field::Shift => "shift",
            Field::Version => "version",
            Field::ErrorText => "last_error",
            Field::RestartReason => "restart_reason",
        }
    }

    /// The longest text this field takes, in characters (a badge prints a name of 100, the
    /// guard screen shows a gate of 100; a guard's note is a sentence or a few; an error's words
    /// are a cell of the province's kiosk list, enough for an error and its cause).
    pub fn max_chars(self) -> usize {
        match self {
            Field::Gate | Field::Operator | Field::FullName | Field::Department => 100,
            Field::Reason | Field::PersonRef => 64,
            Field::Shift | Field::Version => 32,
            Field::RestartReason => 200,
            Field::ErrorText => 500,
            Field::Note => 1000,
        }
    }

    /// Whether an empty text is a fault (a roster row with no name names nobody).
    fn required(self) -> bool {
        matches!(self, Field::Gate | Field::FullName | Field::PersonRef | Field::Version | Field::RestartReason)
    }
}

/// What is wrong with one text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextProblem {
    Empty,
    TooLong {
        max: usize,
    },
    /// A control character (NUL, a line break, escape...) or a line or paragraph separator: no
    /// name or note needs one, PostgreSQL refuses NUL, and a line break forges rows on screens.
    ControlCharacter {
        character: char,
    },
}

impl std::fmt::Display for TextProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TextProblem::Empty => write!(f, "is empty"),
            TextProblem::TooLong { max } => write!(f, "is longer than {max} characters"),
            TextProblem::ControlCharacter { character } => {
                write!(f, "contains the control character U+{:04X}", u32::from(*character))
            }
        }
    }
}

/// A field and what is wrong with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldError {
    pub field: Field,
    pub problem: TextProblem,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.field.name(), self.problem)
    }
}

impl std::error::Error for FieldError {}

fn is_forbidden(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')
}

/// Checks one text against its field's rules. Length is counted in characters, and counting
/// stops past the limit, so a megabyte of text costs no more than the limit to refuse.
pub fn text(field: Field, value: &str) -> Result<(), FieldError> {
    let fault = |problem| Err(FieldError { field, problem });
    if value.is_empty() {
        return if field.required() { fault(TextProblem::Empty) } else { Ok(()) };
    }
    let max = field.max_chars();
    let mut count = 0;
    for c in value.chars() {
        count += 1;
        if count > max {
            return fault(TextProblem::TooLong { max });
        }
        if is_forbidden(c) {
            return fault(TextProblem::ControlCharacter { character: c });
        }
    }
    Ok(())
}

/// What a sender makes of a text of its own before it sends it in `field`, so the receiver's
/// [`text`] takes it: control characters become spaces and the text is cut to the field's
/// length (an error's words come from a device or a library, which promise neither).
pub fn fit(field: Field, value: &str) -> String {
    value.chars().map(|c| if is_forbidden(c) { ' ' } else { c }).take(field.max_chars()).collect()
}

/// The oldest moment an event may carry: 2000-01-01 UTC. Anything before is a broken clock.
pub const EARLIEST_EVENT_MS: i64 = 946_684_800_000;
/// How far ahead of the receiver's clock an event may be: a day covers any kiosk whose clock is
/// merely off, and no further, so a future-dated "in" cannot pin a person inside for years.
pub const MAX_EVENT_AHEAD_MS: i64 = 24 * 3600 * 1000;

/// A century: no clock is further off than this and still a clock (a kiosk whose battery died
/// wakes in 2000 or 1970, which is well inside it).
pub const CENTURY_MS: i64 = 100 * 366 * 86_400_000;

/// Whether a reading of a sender's own clock (`reading_ms`, uncorrected) is one a clock makes,
/// against the receiver's `now_ms`: within a century either way. Further is no clock's, and an
/// offset measured from it could not be stored.
pub fn clock_reading(reading_ms: i64, now_ms: i64) -> bool {
    reading_ms.abs_diff(now_ms) < CENTURY_MS.unsigned_abs()
}

/// How an event's time is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeProblem {
    /// Before [`EARLIEST_EVENT_MS`].
    TooEarly,
    /// More than [`MAX_EVENT_AHEAD_MS`] after the receiver's clock: code `future_time`.
    Future,
    /// An offset no time zone has: outside −12:00..+14:00 or not a whole quarter hour.
    BadOffset,
}

/// Checks an event's instant and offset against the receiver's clock `now_ms`.
pub fn event_time(at_ms: i64, offset_s: i32, now_ms: i64) -> Result<(), TimeProblem> {
    if !(-12 * 3600..=14 * 3600).contains(&offset_s) || offset_s % 900 != 0 {
        return Err(TimeProblem::BadOffset);
    }
    if at_ms < EARLIEST_EVENT_MS {
        return Err(TimeProblem::TooEarly);
    }
    if at_ms > now_ms.saturating_add(MAX_EVENT_AHEAD_MS) {
        return Err(TimeProblem::Future);
    }
    Ok(())
}

/// The highest badge serial either end takes: a badge reissued a million times is not a badge
/// but an attack that would revoke every badge and leave no serial to issue the next one.
pub const MAX_BADGE_SERIAL: u32 = 1_000_000;
/// How far one roster change may move a worker's serial: reissues come one at a time, and a
/// clerk reprinting a whole lost box is still far below this.
pub const MAX_SERIAL_STEP: u32 = 1000;

/// Whether a worker's badge serial may move from `current` (none: a new worker) to `new`. A
/// lower serial is not a fault (it is ignored, serials only rise), a jump is.
pub fn serial_step(current: Option<u32>, new: u32) -> bool {
    new <= MAX_BADGE_SERIAL && current.is_none_or(|c| new <= c || new - c <= MAX_SERIAL_STEP)
}

/// A visitor's reference on the wire: `v-` and 32 lower-case hex digits (an id the kiosk made
/// from an event id). Anything else may be an ID number, which never leaves the kiosk.
pub fn visitor_ref(value: &str) -> bool {
    value.len() == 34
        && value.starts_with("v-")
        && value.bytes().skip(2).all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// An employee code on the wire: 1 to 32 of `A-Z 0-9 - _ . /`, upper-case.
pub fn employee_code(value: &str) -> bool {
    let ok = |c: u8| c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, b'-' | b'_' | b'.' | b'/');
    (1..=32).contains(&value.len()) && value.bytes().all(ok)
}

/// A machine reason code (`anti_passback`): 1 to 64 of `a-z 0-9 _`.
pub fn reason_code(value: &str) -> bool {
    (1..=64).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_refuse_control_characters_and_length_in_characters() {
        text(Field::FullName, "Nguyễn Thị Ánh Tuyết").unwrap();
        let long = "ễ".repeat(100);
        text(Field::FullName, &long).unwrap();
        assert_eq!(text(Field::FullName, &format!("{long}a")).unwrap_err().problem, TextProblem::TooLong { max: 100 });
        for bad in ["A\0B", "A\nB", "\u{1b}[2J", "A\u{2028}B", "A\u{85}B", "A\u{7f}"] {
            assert!(matches!(text(Field::Note, bad).unwrap_err().problem, TextProblem::ControlCharacter { .. }));
        }
        assert_eq!(text(Field::FullName, "").unwrap_err().problem, TextProblem::Empty);
        text(Field::Note, "").unwrap();
        let e = text(Field::Department, "a\0").unwrap_err();
        assert_eq!(e.to_string(), "department contains the control character U+0000");
    }

    #[test]
    fn a_text_made_to_fit_passes() {
        let long = format!("{}\n{}", "ễ".repeat(300), "x\u{1b}[2J".repeat(300));
        let fitted = fit(Field::ErrorText, &long);
        assert_eq!(fitted.chars().count(), Field::ErrorText.max_chars());
        text(Field::ErrorText, &fitted).unwrap();
        assert!(text(Field::ErrorText, &long).is_err(), "the original would be refused");
        assert_eq!(fit(Field::ErrorText, "disk\tfull\r\n"), "disk full  ");
        assert_eq!(fit(Field::Version, "0.2.0"), "0.2.0");
    }

    #[test]
    fn clock_readings_are_a_clocks() {
        let now = 1_750_000_000_000;
        for reading in [now, 0, now - 3 * 3_600_000, now + 3 * 3_600_000, now - CENTURY_MS + 1] {
            assert!(clock_reading(reading, now), "{reading}");
        }
        for reading in [i64::MIN, i64::MAX, now - CENTURY_MS, now + CENTURY_MS] {
            assert!(!clock_reading(reading, now), "{reading}");
        }
        assert!(!clock_reading(0, i64::MAX), "no wrap at the end of time");
    }

    #[test]
    fn times_are_within_the_window_and_offsets_are_real() {
        let now = 1_750_000_000_000;
        event_time(now, 7 * 3600, now).unwrap();
        event_time(now + MAX_EVENT_AHEAD_MS, 0, now).unwrap();
        event_time(EARLIEST_EVENT_MS, 0, now).unwrap();
        assert_eq!(event_time(now + MAX_EVENT_AHEAD_MS + 1, 0, now), Err(TimeProblem::Future));
        assert_eq!(event_time(i64::MAX, 0, now), Err(TimeProblem::Future));
        assert_eq!(event_time(i64::MIN, 0, now), Err(TimeProblem::TooEarly));
        assert_eq!(event_time(now, 0, i64::MAX), Ok(()), "no wrap at the end of time");
        for offset in [i32::MIN, i32::MAX, -13 * 3600, 15 * 3600, 7 * 3600 + 1, 3600 + 60] {
            assert_eq!(event_time(now, offset, now), Err(TimeProblem::BadOffset), "{offset}");
        }
        for offset in [-12 * 3600, 14 * 3600, 5 * 3600 + 45 * 60, 12 * 3600 + 45 * 60] {
            event_time(now, offset, now).unwrap();
        }
    }

    #[test]
    fn serials_rise_by_sane_steps() {
        assert!(serial_step(None, 1));
        assert!(serial_step(Some(3), 4));
        assert!(serial_step(Some(3), 2), "a lower serial is ignored, not refused");
        assert!(serial_step(Some(3), 3 + MAX_SERIAL_STEP));
        assert!(!serial_step(Some(3), 4 + MAX_SERIAL_STEP));
        assert!(!serial_step(None, u32::MAX));
        assert!(!serial_step(Some(MAX_BADGE_SERIAL), MAX_BADGE_SERIAL + 1));
    }

    #[test]
    fn visitor_references_are_opaque() {
        assert!(visitor_ref(&format!("v-{}", uuid::Uuid::from_u128(7).simple())));
        for bad in ["001234567890", "v-001234567890", "v-1", "V-0000000000000000000000000000000a", ""] {
            assert!(!visitor_ref(bad), "{bad}");
        }
    }
}
