//! How long to wait before trying again: exponential from 1 s, capped at 5 minutes, with jitter
//! so a hundred kiosks coming back after a province outage do not all knock at once.

use std::time::Duration;

use rand::Rng;

pub const FIRST: Duration = Duration::from_secs(1);
pub const CAP: Duration = Duration::from_secs(300);

/// The wait after `failures` failures in a row (1 for the first): a random point in the upper
/// half of min(CAP, FIRST × 2^(failures−1)), never zero.
pub fn delay(failures: u32, rng: &mut impl Rng) -> Duration {
    let ceiling = FIRST.saturating_mul(1u32 << failures.saturating_sub(1).min(16)).min(CAP);
    let ms = ceiling.as_millis() as u64;
    Duration::from_millis(rng.gen_range(ms / 2..=ms).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn grows_then_stays_under_the_cap() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let first = delay(1, &mut rng);
        assert!(first >= Duration::from_millis(500) && first <= FIRST, "{first:?}");
        let fifth = delay(5, &mut rng);
        assert!(fifth >= Duration::from_secs(8) && fifth <= Duration::from_secs(16), "{fifth:?}");
        for failures in [9, 10, 30, u32::MAX] {
            let d = delay(failures, &mut rng);
            assert!(d <= CAP && d >= CAP / 2, "{failures}: {d:?}");
        }
    }

    #[test]
    fn jitter_spreads_kiosks() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
        let waits: std::collections::HashSet<Duration> = (0..20).map(|_| delay(6, &mut rng)).collect();
        assert!(waits.len() > 15, "{waits:?}");
    }
}
