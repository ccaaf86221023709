//! The demo's camera: the demo script's shots (qrgate-desk `demo_script::Shot`) drawn as a
//! 1280×720 gate camera sees them, by the scan crate's gate-frame generator.
//!
//! The generator draws each scene from a seed (where the hand is, the tilt, the light); a demo
//! must read every badge it shows, so a picture is kept only once the kiosk's own decoder reads
//! its text in it, trying the next seed otherwise.

use image::GrayImage;
use qrgate_desk::demo_script::Shot;
use qrgate_scan::synth::{empty_gate_frame, held_badge_frame, held_card_frame, held_phone_frame};
use qrgate_scan::{decode_frame, DecodeOptions, StoppedClock};

/// Seeds tried for one picture before the last one is kept anyway (it has never come to that).
const TRIES: u64 = 40;

/// Draws `shot` so that the kiosk's decoder reads it.
pub fn draw(shot: &Shot) -> GrayImage {
    type Paint<'a> = Box<dyn Fn(u64) -> GrayImage + 'a>;
    let (text, paint): (&str, Paint<'_>) = match shot {
        Shot::Empty(view) => return empty_gate_frame(7_000 + u64::from(*view)),
        Shot::Paper(text) => (text, Box::new(|seed| held_badge_frame(seed, text))),
        Shot::Phone { text, dark } => (text, Box::new(|seed| held_phone_frame(seed, text, *dark))),
        Shot::Card(text) => (text, Box::new(|seed| held_card_frame(seed, text))),
    };
    // Budgets off: the picture is judged by what can be read in it, not by how busy the PC is.
    let clock = StoppedClock;
    let options = DecodeOptions::default();
    let mut seed = 1;
    loop {
        let picture = paint(seed);
        if seed == TRIES || decode_frame(&picture, &options, &clock).texts().iter().any(|t| t == text) {
            return picture;
        }
        seed += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shot_is_a_720p_picture_whose_code_the_kiosk_reads() {
        let badge = "QG1:DEMO-BADGE-TEXT-0123456789-ABCDEFGHIJKLMNOPQRSTUVWXYZ".to_string();
        let card = "001090123456||Nguyễn Văn Khách|15031990|Nam|12 Lê Lợi, Hoàn Kiếm, Hà Nội|01012022".to_string();
        let clock = StoppedClock;
        for shot in [
            Shot::Paper(badge.clone()),
            Shot::Phone { text: badge.clone(), dark: false },
            Shot::Phone { text: badge.clone(), dark: true },
            Shot::Card(card.clone()),
        ] {
            let picture = draw(&shot);
            assert_eq!(picture.dimensions(), (1280, 720));
            let texts = decode_frame(&picture, &DecodeOptions::default(), &clock).texts();
            let want = if matches!(shot, Shot::Card(_)) { &card } else { &badge };
            assert!(texts.contains(want), "{shot:?} read as {texts:?}");
        }
        let empty = draw(&Shot::Empty(0));
        assert_eq!(empty.dimensions(), (1280, 720));
        assert!(decode_frame(&empty, &DecodeOptions::default(), &clock).texts().is_empty());
    }
}
