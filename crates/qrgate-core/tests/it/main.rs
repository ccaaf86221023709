//! The core's one integration-test binary: whole paths through a real SQLite file in a temporary directory.

mod support;

mod attendance;
mod desk;
mod export;
mod gate;
mod roster;
mod store;
