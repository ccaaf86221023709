//! Writes the generated gate-camera frames to a folder as PNG + expected-text files: the
//! published set, or (`--texts FILE`) one frame per line of FILE, each a real badge text held up
//! on paper or on a phone, for replays that a kiosk must accept.

use std::path::PathBuf;
use std::process::ExitCode;

use qrgate_scan::synth::{held_badge_frame, held_phone_frame, write_gate_frames, GATE_SET_SEED, GATE_SET_SIZE};

const USAGE: &str = "usage: gen-gate-frames DIR [--count N] [--seed S] [--texts FILE]";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (mut dir, mut count, mut seed, mut texts) = (None, GATE_SET_SIZE, GATE_SET_SEED, None);
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
            "--texts" => match args.next() {
                Some(file) => texts = Some(PathBuf::from(file)),
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
    let written = match texts {
        Some(file) => write_text_frames(&dir, seed, &file),
        None => write_gate_frames(&dir, seed, count).map_err(|e| format!("{} ({})", e, e.code())),
    };
    match written {
        Ok(n) => {
            println!("wrote {n} frames to {}", dir.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// One frame per non-empty line of `file`: even lines on paper, odd ones on a phone (every
/// fourth in dark mode).
fn write_text_frames(dir: &std::path::Path, seed: u64, file: &std::path::Path) -> Result<usize, String> {
    let list = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut n = 0;
    for (i, text) in list.lines().map(str::trim).filter(|t| !t.is_empty()).enumerate() {
        let at = seed.wrapping_add(i as u64);
        let (kind, frame) = match i % 4 {
            1 => ("phone", held_phone_frame(at, text, false)),
            3 => ("phone-dark", held_phone_frame(at, text, true)),
            _ => ("badge", held_badge_frame(at, text)),
        };
        let path = dir.join(format!("{i:03}-{kind}.png"));
        frame.save(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        std::fs::write(path.with_extension("txt"), format!("{text}\n"))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        n += 1;
    }
    Ok(n)
}

fn usage() -> ExitCode {
    eprintln!("{USAGE}");
    ExitCode::from(2)
}
