//! Reports a code once while it stays in view, instead of on every frame.

use std::time::Duration;

/// Remembers which texts are in view and since when they were last seen.
#[derive(Debug, Clone)]
pub struct SightingTracker {
    /// A code counts as gone once it has been out of view this long; showing it again after
    /// that reports it anew.
    forget_after: Duration,
    seen: Vec<(String, Duration)>,
}

impl SightingTracker {
    pub fn new(forget_after: Duration) -> SightingTracker {
        SightingTracker { forget_after, seen: Vec::new() }
    }

    /// Feeds the texts decoded from the frame taken at `at`; returns the ones that are new.
    pub fn observe(&mut self, at: Duration, texts: &[String]) -> Vec<String> {
        let forget = self.forget_after;
        self.seen.retain(|(_, last)| at.saturating_sub(*last) <= forget);
        let mut fresh = Vec::new();
        for text in texts {
            match self.seen.iter_mut().find(|(t, _)| t == text) {
                Some(entry) => entry.1 = at,
                None => {
                    self.seen.push((text.clone(), at));
                    fresh.push(text.clone());
                }
            }
        }
        fresh
    }

    /// Texts currently considered in view.
    pub fn in_view(&self) -> impl Iterator<Item = &str> {
        self.seen.iter().map(|(t, _)| t.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_code_held_in_view_is_reported_once() {
        let mut tracker = SightingTracker::new(ms(1500));
        let badge = vec!["QG1:ABC".to_string()];
        assert_eq!(tracker.observe(ms(0), &badge), badge);
        for frame in 1..90 {
            assert!(tracker.observe(ms(frame * 33), &badge).is_empty());
        }
    }

    #[test]
    fn a_code_is_reported_again_after_being_away_long_enough() {
        let mut tracker = SightingTracker::new(ms(1500));
        let badge = vec!["QG1:ABC".to_string()];
        tracker.observe(ms(0), &badge);
        // A dropped frame or two (shorter than the forget time) is not a new sighting.
        assert!(tracker.observe(ms(1000), &[]).is_empty());
        assert!(tracker.observe(ms(1400), &badge).is_empty());
        assert!(tracker.observe(ms(2000), &[]).is_empty());
        assert_eq!(tracker.observe(ms(3000), &badge), badge);
    }

    #[test]
    fn two_codes_in_one_frame_are_both_new() {
        let mut tracker = SightingTracker::new(ms(500));
        let both = vec!["A".to_string(), "B".to_string()];
        assert_eq!(tracker.observe(ms(0), &both), both);
        assert_eq!(tracker.observe(ms(10), &["C".to_string(), "A".to_string()]), vec!["C".to_string()]);
        assert_eq!(tracker.in_view().count(), 3);
    }
}
