//! Running the real `qrgate` binary against a temporary data directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.stdout.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }
}

/// A data directory the test owns, and the binary to run on it.
pub struct Site {
    pub dir: tempfile::TempDir,
}

impl Site {
    pub fn new() -> Site {
        Site { dir: tempfile::tempdir().expect("temp dir") }
    }

    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn qrgate(&self, args: &[&str]) -> Run {
        run_in(&self.data(), args)
    }

    /// Runs and insists on success.
    pub fn ok(&self, args: &[&str]) -> Run {
        let r = self.qrgate(args);
        assert_eq!(r.code, 0, "qrgate {args:?}\nstdout: {}\nstderr: {}", r.stdout, r.stderr);
        r
    }

    pub fn init(&self) {
        self.ok(&["init", "--enterprise", "0101234567", "--name", "Công ty TNHH Thử Nghiệm", "--kiosk-id", "gate-1"]);
    }

    pub fn write(&self, name: &str, bytes: &[u8]) -> String {
        let p = self.path(name);
        std::fs::write(&p, bytes).unwrap();
        p.to_string_lossy().into_owned()
    }
}

/// Runs with `input` on standard input, as a pipe.
pub fn run_with_input(data: &Path, args: &[&str], input: &str) -> Run {
    run_with_input_bytes(data, args, input.as_bytes())
}

/// Runs with raw bytes on standard input, which need not be text.
pub fn run_with_input_bytes(data: &Path, args: &[&str], input: &[u8]) -> Run {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_qrgate"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("QRGATE_DATA")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run qrgate");
    child.stdin.take().expect("stdin").write_all(input).expect("write stdin");
    Run::from(child.wait_with_output().expect("wait for qrgate"))
}

pub fn run_in(data: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_qrgate"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("QRGATE_DATA")
        .output()
        .expect("run qrgate");
    Run::from(out)
}
