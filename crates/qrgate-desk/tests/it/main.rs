//! The desk's one integration-test binary: a kiosk session on a real data directory.

mod demo;
mod desk;
