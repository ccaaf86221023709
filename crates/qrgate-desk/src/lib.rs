//! The kiosk session beside the gate: PINs, visitor forms, manual entries, HR actions, demo data.
//!
//! What the kiosk window asks beyond a scan lives here, so the window holds nothing that matters
//! and every action can be tested without a screen. Time and ids come in from the caller.

pub mod demo;
pub mod demo_script;
pub mod desk;
pub mod error;
pub mod office;
pub mod pin;
pub mod requests;
pub mod setup;
pub mod snapshot;

pub use error::{Error, Result};
