//! Runs rqrr under catch_unwind: a panic inside the decoder is counted, never crashes the gate.
//!
//! rqrr can panic on malformed grids (index out of bounds while sampling). The default panic
//! hook would print a backtrace to stderr for every such frame, so a hook installed once
//! stays quiet for panics raised inside a guarded call and defers to the previous hook otherwise.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    static GUARDED: Cell<bool> = const { Cell::new(false) };
}

static HOOK: Once = Once::new();

fn install_quiet_hook() {
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !GUARDED.with(|g| g.get()) {
                previous(info);
            }
        }));
    });
}

/// Runs `f`; `None` when it panicked.
pub fn guarded<T>(f: impl FnOnce() -> T) -> Option<T> {
    install_quiet_hook();
    let was = GUARDED.with(|g| g.replace(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(was));
    result.ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_none_and_a_value_passes_through() {
        assert_eq!(guarded(|| 7), Some(7));
        let none: Option<u8> = guarded(|| panic!("grid out of bounds"));
        assert_eq!(none, None);
        // The guard is released afterwards: the flag is back to unguarded.
        assert!(!GUARDED.with(|g| g.get()));
    }
}
