//! HR's work on the kiosk's store: roster files and their import, shift schedules, attendance, exports, badge printing.
//!
//! Everything here reads the store the gate engine writes and never decides at the gate; it
//! formats, counts and prints. Time comes in from the caller.

pub mod attendance;
pub mod error;
pub mod export;
pub mod holidays;
pub mod lunar;
pub mod photos;
pub mod print;
pub mod roster;
pub mod schedule;
pub mod timesheet;

pub use error::{Error, FileProblem, Result, RowError, RowProblem};
