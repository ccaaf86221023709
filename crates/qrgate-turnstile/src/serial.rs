//! The serial line under LCUS boards and Modbus modules: opened exclusively, raw, and watched for
//! a hang-up (a USB adapter pulled out) without writing anything on it.

use std::os::fd::AsRawFd;
use std::time::Duration;

use serialport::TTYPort;

use crate::error::{Error, Result};

pub(crate) fn open(path: &str, baud: u32, timeout: Duration) -> Result<TTYPort> {
    serialport::new(path, baud).timeout(timeout).open_native().map_err(|e| Error::unreachable(path)(e.to_string()))
}

/// Whether the line has gone: a removed USB adapter, or the far end of a pseudo-terminal closed,
/// hangs the tty up, which `poll` reports at once.
pub(crate) fn hung_up(port: &TTYPort) -> bool {
    let mut fd = libc::pollfd { fd: port.as_raw_fd(), events: libc::POLLOUT, revents: 0 };
    // SAFETY: one valid pollfd for the duration of the call, no wait.
    let n = unsafe { libc::poll(&mut fd, 1, 0) };
    n < 0 || fd.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0
}
