//! A Modbus RTU relay module with a passage sensor nobody crosses, played on a pseudo-terminal
//! for the kiosk window's WebDriver tests: prints the terminal's path, then one line per coil
//! written ("coil 0 on"), until it is killed or hears nothing for an hour.

use std::io::Write;
use std::sync::mpsc;
use std::time::Duration;

use qrgate_testkit::modbus::{module_for, Sensor};
use qrgate_testkit::pty::Pty;

fn main() {
    let line = Pty::open();
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", line.path().display()).and_then(|()| out.flush()).expect("stdout is open");
    let (written, coils) = mpsc::channel();
    let _module = module_for(line, 1, written, Sensor::default(), Duration::from_secs(3600));
    for (coil, closed) in coils {
        let state = if closed { "on" } else { "off" };
        if writeln!(out, "coil {coil} {state}").and_then(|()| out.flush()).is_err() {
            return;
        }
    }
}
