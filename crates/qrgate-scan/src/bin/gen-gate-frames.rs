//! Writes the generated gate-camera frames to a folder as PNG + expected-text files.

use std::path::PathBuf;
use std::process::ExitCode;

use qrgate_scan::synth::{write_gate_frames, GATE_SET_SEED, GATE_SET_SIZE};

const USAGE: &str = "usage: gen-gate-frames DIR [--count N] [--seed S]";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (mut dir, mut count, mut seed) = (None, GATE_SET_SIZE, GATE_SET_SEED);
    while let Some(arg) = args.next() {
        let value = |args: &mut dyn Iterator<Item = String>| args.next().and_then(|v| v.parse::<u64>().ok());
        match arg.as_str() {
            "--count" => match value(&mut args) {
                Some(n) => count = n as usize,
                None => return usage(),
            },
            "--seed" => match value(&mut args) {
                Some(s) => seed = s,
                None => return usage(),
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            _ if dir.is_none() && !arg.starts_with('-') => dir = Some(PathBuf::from(arg)),
            _ => return usage(),
        }
    }
    let Some(dir) = dir else { return usage() };
    match write_gate_frames(&dir, seed, count) {
        Ok(n) => {
            println!("wrote {n} frames to {}", dir.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{} ({})", e, e.code());
            ExitCode::FAILURE
        }
    }
}

fn usage() -> ExitCode {
    eprintln!("{USAGE}");
    ExitCode::from(2)
}
