//! Workers' photos between an enterprise's gates: sealed by the kiosks (the key is the enterprise's,
//! never the province's), carried and kept by the server as opaque bytes under opaque ids.
//!
//! A photo travels on its own pair of paths, apart from events: its bytes are large next to an
//! event's and do not compress, so its batches have their own bounds.

use serde::{Deserialize, Serialize};

/// POST: this kiosk's photos (and erasures of photos) since its last photo push.
pub const PHOTOS_PUSH_PATH: &str = "/api/v1/photos/push";
/// POST: the enterprise's other gates' photos since the cursor.
pub const PHOTOS_PULL_PATH: &str = "/api/v1/photos/pull";

/// A sealed photo is a small JPEG (the guard screen's 360×480) and some 40 bytes of seal; the
/// server refuses a larger one with `photo_too_large` and a kiosk never sends one.
pub const MAX_SEALED_PHOTO_BYTES: usize = 256 * 1024;
/// The smallest seal there is: a 24-byte nonce, a 16-byte tag, and a code of one character.
pub const MIN_SEALED_PHOTO_BYTES: usize = 24 + 16 + 2;
/// Photos in one push, and in one pull answer: as base64 in JSON, well inside
/// [`crate::MAX_INFLATED_BYTES`] and, gzipped, [`crate::MAX_WIRE_BYTES`].
pub const MAX_BATCH_PHOTOS: usize = 8;
/// A photo's version is the kiosk's time of the import or erasure; none is before 2000.
const EARLIEST_VERSION_MS: i64 = 946_684_800_000;

/// One photo as it travels: its id (a keyed hash of the employee code, 64 hex digits), its
/// version, and the sealed bytes (base64 in JSON). An erasure is sealed like a photo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WirePhoto {
    pub id: String,
    pub version_ms: i64,
    #[serde(with = "base64_bytes")]
    pub sealed: Vec<u8>,
    /// What the sender says it sealed: an erasure. The server keeps no photo's bytes under an
    /// erasure; a kiosk believes only what the seal opens to.
    #[serde(default)]
    pub erased: bool,
}

/// Why a photo cannot be taken: checked by the server on push and by the kiosk on pull.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoProblem {
    BadId,
    BadVersion,
    TooSmall,
    TooLarge,
}

impl WirePhoto {
    /// The shape every photo must have wherever it arrives; `latest_ms` is the receiver's clock
    /// and a day, since a version from the future would win over every later change.
    pub fn check(&self, latest_ms: i64) -> Result<(), PhotoProblem> {
        if !is_photo_id(&self.id) {
            return Err(PhotoProblem::BadId);
        }
        if !(EARLIEST_VERSION_MS..=latest_ms).contains(&self.version_ms) {
            return Err(PhotoProblem::BadVersion);
        }
        if self.sealed.len() < MIN_SEALED_PHOTO_BYTES {
            return Err(PhotoProblem::TooSmall);
        }
        if self.sealed.len() > MAX_SEALED_PHOTO_BYTES {
            return Err(PhotoProblem::TooLarge);
        }
        Ok(())
    }
}

/// 64 lowercase hex digits: the only ids kiosks make.
pub fn is_photo_id(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoPushRequest {
    pub enterprise: String,
    pub photos: Vec<WirePhoto>,
}

/// Every id in `stored` is on the server at that version or a newer one: the kiosk need not send
/// it again.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoPushResponse {
    pub stored: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoPullRequest {
    pub enterprise: String,
    /// The cursor the last answer gave, "" from the beginning; the shape of [`crate::cursor_ok`].
    pub after: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoPullResponse {
    /// The newest version of each photo changed after the cursor by another gate, at most
    /// [`MAX_BATCH_PHOTOS`].
    pub photos: Vec<WirePhoto>,
    pub cursor: String,
    pub more: bool,
}

mod base64_bytes {
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        // Decoding is bounded before it starts: base64 is 4 characters for 3 bytes.
        if text.len() > (super::MAX_SEALED_PHOTO_BYTES / 3 + 1) * 4 + 4 {
            return Err(serde::de::Error::custom("a sealed photo larger than any kiosk sends"));
        }
        base64::engine::general_purpose::STANDARD.decode(text.as_bytes()).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn photo(sealed: usize) -> WirePhoto {
        WirePhoto { id: "ab".repeat(32), version_ms: 1_800_000_000_000, sealed: vec![7; sealed], erased: false }
    }

    #[test]
    fn photos_are_checked_and_travel_as_base64() {
        let now = 1_800_000_000_000;
        let ok = photo(1000);
        assert_eq!(ok.check(now), Ok(()));
        let json = serde_json::to_string(&ok).unwrap();
        assert!(json.contains("\"sealed\":\"BwcH"), "{json}");
        assert_eq!(serde_json::from_str::<WirePhoto>(&json).unwrap(), ok);

        assert_eq!(WirePhoto { id: "AB".repeat(32), ..photo(100) }.check(now), Err(PhotoProblem::BadId));
        assert_eq!(WirePhoto { id: "NV00123".into(), ..photo(100) }.check(now), Err(PhotoProblem::BadId));
        assert_eq!(WirePhoto { version_ms: now + 1, ..photo(100) }.check(now), Err(PhotoProblem::BadVersion));
        assert_eq!(WirePhoto { version_ms: 0, ..photo(100) }.check(now), Err(PhotoProblem::BadVersion));
        assert_eq!(photo(MIN_SEALED_PHOTO_BYTES - 1).check(now), Err(PhotoProblem::TooSmall));
        assert_eq!(photo(MAX_SEALED_PHOTO_BYTES).check(now), Ok(()));
        assert_eq!(photo(MAX_SEALED_PHOTO_BYTES + 1).check(now), Err(PhotoProblem::TooLarge));
        let huge = serde_json::to_string(&photo(MAX_SEALED_PHOTO_BYTES + 4096)).unwrap();
        assert!(serde_json::from_str::<WirePhoto>(&huge).is_err(), "refused before it is decoded");
        assert!(serde_json::from_str::<WirePhoto>(&json.replace("BwcH", "B!cH")).is_err());
    }
}
