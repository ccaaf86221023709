//! The words a person reads for each refusal reason, in Vietnamese and English, read from the
//! kiosk window's own word lists (`ui/i18n/vi.js`, `ui/i18n/en.js`): one copy of every word.

use qrgate_core::gate::Reason;

/// The window's word lists, built into the command so it needs no file beside it.
const VI: &str = include_str!("../../../ui/i18n/vi.js");
const EN: &str = include_str!("../../../ui/i18n/en.js");

/// (Vietnamese, English) for a reason code; the code itself should a list ever lack it (a test
/// checks that none does).
pub fn reason(r: Reason) -> (&'static str, &'static str) {
    (entry(VI, "reasons", r.code()).unwrap_or(r.code()), entry(EN, "reasons", r.code()).unwrap_or(r.code()))
}

/// The text of `key: "text",` inside `section: {` … `},` of an i18n file.
///
/// Not a JavaScript parser: the files keep one entry a line, keys bare, texts in double quotes
/// with no escapes, and the tests below hold them to that.
fn entry(file: &'static str, section: &str, key: &str) -> Option<&'static str> {
    let opening = format!("{section}: {{");
    let mut lines = file.lines().map(str::trim).skip_while(|l| *l != opening).skip(1);
    lines.by_ref().take_while(|l| !l.starts_with('}')).find_map(|line| {
        let (k, text) = line.split_once(": ")?;
        (k == key).then_some(())?;
        text.strip_suffix(',').unwrap_or(text).strip_prefix('"')?.strip_suffix('"')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use qrgate_core::Code;
    use qrgate_hr::{FileProblem, RowProblem};

    const FILES: [(&str, &str); 2] = [("vi.js", VI), ("en.js", EN)];

    #[test]
    fn the_reader_takes_only_the_named_section() {
        let file = "export default {\n  a: \"top\",\n  errors: {\n    a: \"in errors\",\n    b: \"two: words\",\n  },\n  reasons: {\n    c: \"three\"\n  },\n};\n";
        let file: &'static str = Box::leak(file.to_string().into_boxed_str());
        assert_eq!(entry(file, "errors", "a"), Some("in errors"));
        assert_eq!(entry(file, "errors", "b"), Some("two: words"));
        assert_eq!(entry(file, "errors", "c"), None, "c belongs to reasons");
        assert_eq!(entry(file, "reasons", "c"), Some("three"));
        assert_eq!(entry(file, "missing", "a"), None);
    }

    #[test]
    fn every_reason_has_words_in_both_languages() {
        for r in Reason::ALL {
            let (vi, en) = reason(r);
            assert_ne!(vi, r.code(), "vi.js has no reasons.{}", r.code());
            assert_ne!(en, r.code(), "en.js has no reasons.{}", r.code());
            assert_ne!(vi, en, "reasons.{} is not translated", r.code());
        }
        assert_eq!(reason(Reason::Revoked).0, "Thẻ đã bị thu hồi, dùng thẻ mới nhất");
    }

    #[test]
    fn every_error_code_has_words_in_both_languages() {
        for (name, file) in FILES {
            for code in Code::ALL {
                let words = entry(file, "errors", code.as_str());
                assert!(words.is_some_and(|w| !w.is_empty()), "{name} has no errors.{code}");
            }
        }
    }

    #[test]
    fn every_roster_problem_has_words_in_both_languages() {
        for (name, file) in FILES {
            for code in RowProblem::CODES {
                let words = entry(file, "roster_problems", code);
                assert!(words.is_some_and(|w| !w.is_empty()), "{name} has no roster_problems.{code}");
            }
            for code in FileProblem::CODES {
                let words = entry(file, "roster_file_problems", code);
                assert!(words.is_some_and(|w| !w.is_empty()), "{name} has no roster_file_problems.{code}");
            }
        }
        // The window fills each text from the problem's own fields: they must be the ones serialised.
        let problem = RowProblem::UnknownShift { shift: "CA9".into(), known: vec!["CA1".into()] };
        let json = serde_json::to_value(&problem).unwrap();
        assert_eq!(json, serde_json::json!({"code": "unknown_shift", "shift": "CA9", "known": ["CA1"]}));
        for (_, file) in FILES {
            assert!(entry(file, "roster_problems", "unknown_shift").unwrap().contains("{shift}"));
        }
    }

    #[test]
    fn the_word_lists_keep_the_shape_the_reader_needs() {
        for (name, file) in FILES {
            assert!(!file.contains('\\'), "{name}: no escapes, so the reader can take texts as they are");
        }
    }
}
