//! The core's one integration-test binary: whole paths through a real SQLite file in a temporary directory.

mod gate;
mod presence;
mod privacy;
mod store;
