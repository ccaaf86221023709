//! A pseudo-terminal pair playing a serial device's side: the code under test opens
//! [`Pty::path`] as its serial port, the test reads and answers on the master, byte for byte.

use std::ffi::CStr;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub struct Pty {
    master: File,
    /// Held open so the master does not read end-of-file before the device side is opened.
    slave: File,
    path: PathBuf,
}

impl Pty {
    pub fn open() -> Pty {
        // SAFETY: plain libc calls on a descriptor this function owns; ptsname_r writes within `name`.
        unsafe {
            let fd = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY);
            assert!(fd >= 0, "posix_openpt: {}", std::io::Error::last_os_error());
            // Not inherited by the processes a test starts: a copy held by the program under test
            // would keep the line up after the test unplugs it.
            assert_eq!(libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC), 0, "FD_CLOEXEC");
            assert_eq!(libc::grantpt(fd), 0, "grantpt");
            assert_eq!(libc::unlockpt(fd), 0, "unlockpt");
            let mut name = [0 as libc::c_char; 128];
            assert_eq!(libc::ptsname_r(fd, name.as_mut_ptr(), name.len()), 0, "ptsname_r");
            let path = PathBuf::from(CStr::from_ptr(name.as_ptr()).to_str().expect("a pts path is ASCII"));
            let master = File::from_raw_fd(fd);
            let slave = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .custom_flags(libc::O_NOCTTY)
                .open(&path)
                .expect("the pty's slave opens");
            let mut termios = std::mem::zeroed::<libc::termios>();
            assert_eq!(libc::tcgetattr(slave.as_raw_fd(), &mut termios), 0);
            libc::cfmakeraw(&mut termios);
            assert_eq!(libc::tcsetattr(slave.as_raw_fd(), libc::TCSANOW, &termios), 0);
            Pty { master, slave, path }
        }
    }

    /// The device's path, e.g. /dev/pts/3.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads `n` bytes, or what arrived before `within` ran out; with the moment the last arrived.
    pub fn read(&mut self, n: usize, within: Duration) -> (Vec<u8>, Instant) {
        let deadline = Instant::now() + within;
        let mut got = Vec::with_capacity(n);
        let mut at = Instant::now();
        while got.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || !self.readable(left) {
                break;
            }
            let mut buf = vec![0u8; n - got.len()];
            match self.master.read(&mut buf) {
                Ok(k) if k > 0 => {
                    got.extend_from_slice(&buf[..k]);
                    at = Instant::now();
                }
                _ => break,
            }
        }
        (got, at)
    }

    /// Whether anything arrives within `within`.
    pub fn readable(&self, within: Duration) -> bool {
        let mut fd = libc::pollfd { fd: self.master.as_raw_fd(), events: libc::POLLIN, revents: 0 };
        let ms = within.as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: one valid pollfd for the duration of the call.
        unsafe { libc::poll(&mut fd, 1, ms) > 0 && fd.revents & libc::POLLIN != 0 }
    }

    /// Answers as the device.
    pub fn write(&mut self, bytes: &[u8]) {
        self.master.write_all(bytes).expect("the pty's master takes bytes");
    }

    /// Pulls the device out: both ends close, and the code under test sees its line hang up.
    pub fn unplug(self) {
        drop(self.slave);
        drop(self.master);
    }
}
