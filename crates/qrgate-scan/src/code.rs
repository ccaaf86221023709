//! A QR code read from a frame: its text and where it sits, and how a byte segment becomes text.
//!
//! Below both the grid reader and the rqrr passes, so neither has to import the other for it.

use serde::Serialize;

use crate::payload::Part;

/// One QR code found in a frame.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Code {
    /// The code's message; for one part of a structured-append sequence not joined, the part's
    /// own share of it.
    pub text: String,
    /// Corners in frame pixels: top-left, top-right, bottom-right, bottom-left of the code.
    pub corners: [(f32, f32); 4],
    /// The code's place in a message spread over several codes, while not joined with the rest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part: Option<Part>,
}

impl Code {
    /// A code read whole.
    pub fn whole(text: String, corners: [(f32, f32); 4]) -> Code {
        Code { text, corners, part: None }
    }

    /// The same code read twice (by two passes, or through two of its finder triples): the same
    /// text, and the same place in the same sequence, since two parts of one message may well
    /// carry the same text.
    pub fn same_as(&self, other: &Code) -> bool {
        self.text == other.text && self.part == other.part
    }

    /// A code from its corrected stream: a structured-append part keeps its header.
    pub fn from_message(message: crate::payload::Message, corners: [(f32, f32); 4]) -> Code {
        Code { text: bytes_to_text(&message.bytes), corners, part: message.part }
    }
}

/// QR byte segments carry no reliable charset: UTF-8 when valid, Shift_JIS when kanji or
/// Japanese bytes decode cleanly, ISO-8859-1 (the QR default) otherwise.
pub fn bytes_to_text(bytes: &[u8]) -> String {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return text.to_string();
    }
    let (text, had_errors) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(bytes);
    if !had_errors {
        return text.into_owned();
    }
    bytes.iter().map(|&b| b as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_from_bytes_prefers_utf8_then_shift_jis_then_latin1() {
        assert_eq!(bytes_to_text("Nguyễn".as_bytes()), "Nguyễn");
        // "モバイル" in Shift_JIS.
        assert_eq!(bytes_to_text(&[0x83, 0x82, 0x83, 0x6f, 0x83, 0x43, 0x83, 0x8b]), "モバイル");
        assert_eq!(bytes_to_text(&[0x63, 0x61, 0x66, 0xe9, 0x20, 0xff]), "café ÿ");
    }
}
