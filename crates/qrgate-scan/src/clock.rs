//! Monotonic time passed into the decoder and the camera loop, so tests decide what "now" is.

use std::time::{Duration, Instant};

/// Time since an arbitrary fixed origin; only differences mean anything.
pub trait Clock {
    fn now(&self) -> Duration;
}

/// The real monotonic clock, counting from when it was made.
#[derive(Debug, Clone, Copy)]
pub struct MonotonicClock {
    origin: Instant,
}

impl MonotonicClock {
    pub fn new() -> MonotonicClock {
        MonotonicClock { origin: Instant::now() }
    }
}

impl Default for MonotonicClock {
    fn default() -> Self {
        MonotonicClock::new()
    }
}

impl Clock for MonotonicClock {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }
}

/// A clock that never moves: decoding with it ignores the time budget (every planned attempt
/// runs), which is what a reproducible count needs.
#[derive(Debug, Clone, Copy, Default)]
pub struct StoppedClock;

impl Clock for StoppedClock {
    fn now(&self) -> Duration {
        Duration::ZERO
    }
}
