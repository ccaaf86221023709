//! `qrgate decode`: QR texts from image files, one result per image, for people or as JSON lines.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use qrgate_desk::{Error, Result};
use qrgate_scan::report::{decode_path, join_across, DecodeLine, SequenceLine};

use crate::Outcome;

#[derive(clap::Args)]
#[command(after_help = "Exit status: 0 when at least one image could be read (even if it held no code), \
3 when none could: every path missing, unreadable or not an image, or no path given. \
A bad file is reported on its own line and never stops the run.")]
pub struct Args {
    /// One JSON object per image: {"path", "texts", "ms"} (ms: decoding only, image already
    /// loaded; "parts" too when the image holds parts of a structured-append message) or
    /// {"path", "error", "code"} for a file that could not be read; then one per
    /// structured-append sequence: {"sequence", "paths", "text"} joined, or {"sequence", "paths",
    /// "missing", "error", "code": "incomplete_sequence"}.
    #[arg(long)]
    jsonl: bool,
    /// PNG, JPEG, BMP or PGM files. None given: paths are read from standard input, one a line.
    #[arg(value_name = "IMAGE")]
    images: Vec<PathBuf>,
}

/// The paths to decode: the arguments, or standard input's lines (blank lines skipped).
fn image_paths(given: Vec<PathBuf>) -> Result<Vec<PathBuf>> {
    if !given.is_empty() {
        return Ok(given);
    }
    let mut paths = Vec::new();
    for line in std::io::stdin().lock().lines() {
        let line = line.map_err(|e| Error::io("<stdin>")(e))?;
        let line = line.trim_end_matches('\r');
        if !line.trim().is_empty() {
            paths.push(PathBuf::from(line));
        }
    }
    Ok(paths)
}

pub fn run(args: Args) -> Result<Outcome> {
    let paths = image_paths(args.images)?;
    let mut out = std::io::stdout().lock();
    let mut loaded = 0usize;
    // Images holding parts of a message spread over several codes, joined once all are read.
    let mut with_parts = Vec::new();
    for path in &paths {
        let line = decode_path(path);
        loaded += usize::from(matches!(line, DecodeLine::Decoded(_)));
        let text = if args.jsonl {
            serde_json::to_string(&line).expect("plain strings and numbers serialise")
        } else {
            readable(&line)
        };
        // Printed as each image finishes, so a long list shows progress and a pipe sees it at once.
        writeln!(out, "{text}").map_err(|e| Error::io("<stdout>")(e))?;
        if let DecodeLine::Decoded(report) = line {
            if !report.parts.is_empty() {
                with_parts.push(report);
            }
        }
    }
    for sequence in join_across(&with_parts) {
        let text = if args.jsonl {
            serde_json::to_string(&sequence).expect("plain strings and numbers serialise")
        } else {
            readable_sequence(&sequence)
        };
        writeln!(out, "{text}").map_err(|e| Error::io("<stdout>")(e))?;
    }
    if loaded == 0 {
        let why = if paths.is_empty() {
            "no image path given".to_string()
        } else {
            format!("none of the {} file(s) could be read", paths.len())
        };
        return Err(Error::invalid("images", why));
    }
    Ok(Outcome::Done)
}

/// `path  12.3 ms  TEXT | TEXT`, with control characters escaped so one image stays one line.
fn readable(line: &DecodeLine) -> String {
    match line {
        DecodeLine::Decoded(r) if r.texts.is_empty() => format!("{}\t{:.1} ms\tno QR code found", r.path, r.ms),
        DecodeLine::Decoded(r) => {
            let texts: Vec<String> = r.texts.iter().map(|t| one_line(t)).collect();
            let parts: Vec<String> = r.parts.iter().map(|p| format!("part {} of {}", p.index + 1, p.total)).collect();
            let parts =
                if parts.is_empty() { String::new() } else { format!("\t(structured append: {})", parts.join(", ")) };
            format!("{}\t{:.1} ms\t{}{parts}", r.path, r.ms, texts.join(" | "))
        }
        DecodeLine::Failed { path, error, code } => format!("{path}\terror[{code}]\t{error}"),
    }
}

/// `paths  N parts joined  TEXT`, or which parts are missing.
fn readable_sequence(line: &SequenceLine) -> String {
    match line {
        SequenceLine::Joined { sequence, paths, text } => {
            format!("{}\t{} parts joined\t{}", paths.join(" + "), sequence.total, one_line(text))
        }
        SequenceLine::Incomplete { paths, error, code, .. } => format!("{}\terror[{code}]\t{error}", paths.join(" + ")),
    }
}

fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() }).collect()
}
