//! HR's one integration-test binary: roster files, attendance and exports on a real SQLite file.

mod attendance;
mod export;
mod roster;
