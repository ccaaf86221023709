//! The `qrgate` binary end to end: real processes on real data directories, as HR and IT use it.

mod support;

mod backup;
mod clock;
mod commands;
mod disk;
mod export;
mod health;
mod photos;
mod privacy;
mod scan;
mod schedule;
mod supervision;
mod turnstile;
