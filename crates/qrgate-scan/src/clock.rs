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

/// CPU time used by the calling thread: what "per frame on one core" means on a machine shared
/// with other work, where wall time also counts the time spent waiting for a core. The
/// benchmark measures and budgets with it; the gate itself keeps the wall clock, since a
/// worker waits in wall time.
#[cfg(unix)]
#[derive(Debug, Clone, Copy, Default)]
pub struct ThreadCpuClock;

#[cfg(unix)]
impl Clock for ThreadCpuClock {
    fn now(&self) -> Duration {
        let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: clock_gettime only writes the timespec we own; an unsupported clock id is
        // an error return, not undefined behaviour.
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        if rc != 0 {
            return Duration::ZERO;
        }
        Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
    }
}

/// A clock that never moves: decoding with it never spends its time budget (every planned
/// attempt whose estimated cost fits the whole budget runs), which is what a reproducible
/// count needs.
#[derive(Debug, Clone, Copy, Default)]
pub struct StoppedClock;

impl Clock for StoppedClock {
    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn thread_cpu_time_advances_with_work() {
        let clock = ThreadCpuClock;
        let start = clock.now();
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
        }
        let worked = clock.now() - start;
        assert!(worked > Duration::ZERO, "{x}");
    }
}
