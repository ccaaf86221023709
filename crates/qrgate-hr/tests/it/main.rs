//! HR's one integration-test binary: roster files, shift schedules, attendance and exports on a real SQLite file.

mod attendance;
mod export;
mod photos;
mod roster;
mod schedule;
