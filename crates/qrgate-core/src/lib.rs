//! QR Gate's gate engine and its store: checked types, badges, CCCD cards, kiosk.conf, SQLite, decisions.
//!
//! Raw input (QR text, CSV rows, kiosk.conf) becomes checked types here at the edge of each
//! module; time and ids come in from the caller so every decision can be replayed in a test.

pub mod backup;
pub mod badge;
pub mod base45;
pub mod cccd;
pub mod config;
pub mod datadir;
pub mod error;
pub mod gate;
pub mod model;
pub mod photo;
pub mod presence;
pub mod privacy;
pub mod store;
pub mod supervision;

pub use error::{Code, Error, Result};

use chrono::{DateTime, Utc};

/// Where "now" comes from. The kiosk uses [`SystemClock`]; tests say what time it is.
pub trait Clock {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that says one moment until told otherwise.
pub struct FixedClock(pub std::cell::Cell<DateTime<Utc>>);

impl FixedClock {
    pub fn at(t: DateTime<Utc>) -> FixedClock {
        FixedClock(std::cell::Cell::new(t))
    }

    pub fn advance(&self, by: chrono::Duration) {
        self.0.set(self.0.get() + by);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0.get()
    }
}
