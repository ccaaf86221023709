//! Decode benchmark: our decoder, zxing-cpp and zbar on the ZXing corpus and the generated
//! gate frames, in one run, printed as one table (images read, median and max ms per image).
//!
//! Times are the decoding thread's CPU time (ours and the peers alike), which is what "per
//! frame on one core" means on a machine shared with other work; our time budget counts the
//! same CPU time here, so a busy machine does not change what the live mode reads.
//!
//! Run: `cargo bench -p qrgate-scan --bench decode`; `QRGATE_BENCH_SETS=dense,sheets` runs only
//! the sets whose names contain one of the words. Peers run through benches/peers.py
//! (`pip install zxing-cpp pyzbar pillow numpy`, `apt-get install libzbar0`); a missing peer
//! is skipped with a message.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use image::GrayImage;
use qrgate_scan::decode::{decode_frame, DecodeOptions};
use qrgate_scan::report::{join_across, still_options, DecodeReport, SequenceLine};
use qrgate_scan::synth::{
    appended_sheet_frame, bent_card_frame, code_sheet_frame, dense_sheet_frame, dim_photo_frame, gate_frames,
    household_sheet_frame, inverted_logo_frame, GateFrame, GATE_SET_SEED, GATE_SET_SIZE,
};
use qrgate_scan::{Clock, ThreadCpuClock};

/// Frames of the gate set the integration test decodes (kept small for the dev profile).
const TEST_SUBSET: usize = 60;

struct Item {
    path: PathBuf,
    luma: GrayImage,
    expected: Vec<String>,
}

struct Row {
    decoder: String,
    set: &'static str,
    read: usize,
    total: usize,
    median: f64,
    max: f64,
    /// Expected codes found, of all expected codes in the set (sets with several per image).
    codes: (usize, usize),
    note: String,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus/zxing")
}

fn load_corpus() -> (Vec<Item>, Vec<Item>) {
    let mut sets = Vec::new();
    for set in ["qrcode-1", "qrcode-2", "qrcode-3", "qrcode-4", "qrcode-5", "qrcode-6", "falsepositives"] {
        let dir = corpus_dir().join(set);
        let mut pngs: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "png"))
            .collect();
        pngs.sort();
        for path in pngs {
            let expected = std::fs::read_to_string(path.with_extension("txt")).map(|t| vec![t]).unwrap_or_default();
            let luma = qrgate_scan::load_luma(&path).expect("corpus image loads");
            sets.push((set == "falsepositives", Item { path: path.canonicalize().expect("exists"), luma, expected }));
        }
    }
    let (fp, qr): (Vec<_>, Vec<_>) = sets.into_iter().partition(|(fp, _)| *fp);
    (qr.into_iter().map(|(_, i)| i).collect(), fp.into_iter().map(|(_, i)| i).collect())
}

/// zxing-cpp's samples (PNG, JPEG, WebP): its qrcode-1..6 sets and its false-positive sets.
/// qrcode-7 (one message over four symbols) is `load_appended`'s.
fn load_zxing_cpp() -> (Vec<Item>, Vec<Item>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus/zxing-cpp");
    let images = |set: &str| -> Vec<Item> {
        let dir = root.join(set);
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "png" || e == "jpg" || e == "webp"))
            .collect();
        paths.sort();
        paths
            .into_iter()
            .map(|path| {
                let expected = std::fs::read_to_string(path.with_extension("txt")).map(|t| vec![t]).unwrap_or_default();
                let luma = qrgate_scan::load_luma(&path).expect("corpus image loads");
                Item { path: path.canonicalize().expect("exists"), luma, expected }
            })
            .collect()
    };
    let qr = ["qrcode-1", "qrcode-2", "qrcode-3", "qrcode-4", "qrcode-5", "qrcode-6"]
        .iter()
        .flat_map(|s| images(s))
        .collect();
    let fp = ["falsepositives-1", "falsepositives-2"].iter().flat_map(|s| images(s)).collect();
    (qr, fp)
}

/// zxing-cpp's qrcode-7: four images of one message's parts, and the message.
fn load_appended() -> (Vec<Item>, String) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus/zxing-cpp/qrcode-7");
    let message = std::fs::read_to_string(dir.join("01.txt")).expect("qrcode-7's message");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    paths.sort();
    let items = paths
        .into_iter()
        .map(|path| {
            let luma = qrgate_scan::load_luma(&path).expect("corpus image loads");
            Item { path: path.canonicalize().expect("exists"), luma, expected: Vec::new() }
        })
        .collect();
    (items, message)
}

/// Generated frames as bench items, each also written to `dir` (once) to be handed to the peers.
fn saved(dir: &Path, frames: impl Iterator<Item = GateFrame>) -> Vec<Item> {
    std::fs::create_dir_all(dir).expect("bench output dir");
    frames
        .map(|f| {
            let path = dir.join(format!("{}.png", f.name));
            if !path.exists() {
                f.luma.save(&path).expect("write generated frame");
            }
            Item { path, luma: f.luma, expected: f.texts }
        })
        .collect()
}

fn gate_set(dir: &Path) -> Vec<Item> {
    saved(dir, gate_frames(GATE_SET_SEED, GATE_SET_SIZE))
}

/// Sheets of codes photographed whole (several codes per frame, many pixels): the 12 MP one is
/// the frame the time bound is about.
fn sheet_set(dir: &Path) -> Vec<Item> {
    let sheets = [(1, 1280, 720, 3), (2, 1920, 1080, 8), (3, 2016, 1512, 12), (4, 4032, 3024, 24), (5, 4032, 3024, 60)];
    saved(dir, sheets.into_iter().map(|(seed, w, h, count)| code_sheet_frame(seed, w, h, count)))
}

/// Dense codes (citizen-ID cards with the family's names: versions 15 to 25), a few to a dozen
/// per frame, from a gate camera's frame to a 12 MP photograph.
fn dense_set(dir: &Path) -> Vec<Item> {
    let sheets = [(11, 1280, 720, 2), (12, 1920, 1080, 3), (13, 4032, 3024, 6), (14, 4032, 3024, 12)];
    saved(dir, sheets.into_iter().map(|(seed, w, h, count)| dense_sheet_frame(seed, w, h, count)))
}

/// Household codes (versions 26 to 40): one on a gate camera's frame, up to sixteen on a 12 MP
/// photograph.
fn household_set(dir: &Path) -> Vec<Item> {
    let sheets =
        [(21, 1280, 720, 1), (22, 1920, 1080, 2), (23, 4032, 3024, 4), (24, 4032, 3024, 9), (25, 4032, 3024, 16)];
    saved(dir, sheets.into_iter().map(|(seed, w, h, count)| household_sheet_frame(seed, w, h, count)))
}

/// Household codes on bent cards and pages, rows sagging two to six modules halfway across.
fn bent_set(dir: &Path) -> Vec<Item> {
    let cards = [
        (41, 1920, 1080, 2.0),
        (42, 2016, 1512, 3.0),
        (43, 1920, 1080, 4.0),
        (44, 2016, 1512, 5.0),
        (45, 2016, 1512, 6.0),
    ];
    saved(dir, cards.into_iter().map(|(seed, w, h, bend)| bent_card_frame(seed, w, h, bend)))
}

/// Dim rooms photographed at 12 MP with small badges pinned about (two to four pixels a module).
fn dim_set(dir: &Path) -> Vec<Item> {
    let frames = [(61, 4), (62, 6), (63, 9), (64, 12), (65, 16)];
    saved(dir, frames.into_iter().map(|(seed, count)| dim_photo_frame(seed, 4032, 3024, count)))
}

/// Light-on-dark codes at level H with a logo over their middle: at a gate camera's resolution
/// (three to six pixels a module) and in 12 MP photographs.
fn inverted_logo_set(dir: &Path) -> Vec<Item> {
    let mut frames: Vec<(u64, u32, u32, f32)> = (0..8).map(|i| (81 + i, 1280, 720, 3.0 + i as f32 * 0.5)).collect();
    frames.extend([(91, 4032, 3024, 6.0), (92, 4032, 3024, 10.0)]);
    saved(dir, frames.into_iter().map(|(seed, w, h, module)| inverted_logo_frame(seed, w, h, module)))
}

/// One message over several codes printed side by side (structured append), photographed whole.
fn appended_set(dir: &Path, message: &str) -> Vec<Item> {
    let frames = [(101, 1920, 1080, 2), (102, 2016, 1512, 4), (103, 4032, 3024, 6), (104, 4032, 3024, 9)];
    saved(dir, frames.into_iter().map(|(seed, w, h, parts)| appended_sheet_frame(seed, w, h, message, parts)))
}

/// zxing-cpp's qrcode-7 (one message over four images): every image decoded, then the parts
/// joined across them as `qrgate decode` joins them. A peer counts as joining when its texts,
/// taken in the files' order, make the message (the Python bindings do not hand out the
/// sequence header).
fn appended_across_images(items: &[Item], message: &str) -> Vec<Row> {
    let set = "zxing-cpp qrcode-7 joined";
    let clock = ThreadCpuClock;
    let mut ms = Vec::new();
    let mut reports = Vec::new();
    for item in items {
        let start = clock.now();
        let decoded = decode_frame(&item.luma, &still_options(), &clock);
        ms.push((clock.now() - start).as_secs_f64() * 1000.0);
        let parts = decoded.codes.iter().filter_map(|c| c.part.clone()).collect();
        reports.push(DecodeReport { path: item.path.display().to_string(), texts: decoded.texts(), ms: 0.0, parts });
    }
    let joined =
        join_across(&reports).iter().any(|l| matches!(l, SequenceLine::Joined { text, .. } if text == message));
    let (median, max) = stats(ms);
    let mut rows = vec![Row {
        decoder: "qrgate-scan still (1.5 s budget)".into(),
        set,
        read: usize::from(joined),
        total: 1,
        median,
        max,
        codes: (usize::from(joined), 1),
        note: "four images, joined across them".into(),
    }];
    for name in ["zxing-cpp", "zbar"] {
        let Some(texts) = peer_texts(name, items) else { continue };
        let (median, max) = stats(texts.iter().map(|t| t.1).collect());
        let concatenated: String = texts.iter().map(|t| t.0.concat()).collect();
        let joined = concatenated == message;
        rows.push(Row {
            decoder: name.to_string(),
            set,
            read: usize::from(joined),
            total: 1,
            median,
            max,
            codes: (usize::from(joined), 1),
            note: "texts concatenated in file order".into(),
        });
    }
    rows
}

fn codes_found(item: &Item, texts: &[String]) -> usize {
    item.expected.iter().filter(|e| texts.contains(e)).count()
}

fn read_ok(item: &Item, texts: &[String]) -> bool {
    if item.expected.is_empty() {
        texts.is_empty()
    } else {
        item.expected.iter().all(|e| texts.contains(e))
    }
}

fn stats(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(|a, b| a.partial_cmp(b).expect("finite"));
    (ms[ms.len() / 2], *ms.last().expect("non-empty"))
}

fn ours(items: &[Item], set: &'static str, options: DecodeOptions, label: &str) -> (Row, Vec<bool>) {
    let clock = ThreadCpuClock;
    let mut ms = Vec::new();
    let mut ok = Vec::new();
    let mut panics = 0;
    let mut codes = (0, 0);
    for item in items {
        let start = clock.now();
        let decoded = decode_frame(&item.luma, &options, &clock);
        ms.push((clock.now() - start).as_secs_f64() * 1000.0);
        panics += decoded.panics;
        ok.push(read_ok(item, &decoded.texts()));
        codes.0 += codes_found(item, &decoded.texts());
        codes.1 += item.expected.len();
    }
    let (median, max) = stats(ms);
    let read = ok.iter().filter(|&&o| o).count();
    (
        Row {
            decoder: label.to_string(),
            set,
            read,
            total: items.len(),
            median,
            max,
            codes,
            note: format!("{panics} rqrr panics caught"),
        },
        ok,
    )
}

fn peer(name: &str, items: &[Item], set: &'static str) -> Option<(Row, Vec<bool>)> {
    let results = peer_texts(name, items)?;
    let mut ms = Vec::new();
    let mut ok = Vec::new();
    let mut codes = (0, 0);
    for (item, (texts, time)) in items.iter().zip(&results) {
        ms.push(*time);
        ok.push(read_ok(item, texts));
        codes.0 += codes_found(item, texts);
        codes.1 += item.expected.len();
    }
    let (median, max) = stats(ms);
    let read = ok.iter().filter(|&&o| o).count();
    Some((
        Row {
            decoder: name.to_string(),
            set,
            read,
            total: items.len(),
            median,
            max,
            codes,
            note: "default options".into(),
        },
        ok,
    ))
}

/// A peer's texts and CPU ms for each item, through benches/peers.py; `None` when the peer is
/// not installed.
fn peer_texts(name: &str, items: &[Item]) -> Option<Vec<(Vec<String>, f64)>> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/peers.py");
    let mut child = Command::new("python3")
        .arg(&script)
        .arg(name)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    let paths: String = items.iter().map(|i| format!("{}\n", i.path.display())).collect();
    child.stdin.take().expect("piped").write_all(paths.as_bytes()).ok()?;
    let out = child.wait_with_output().ok()?;
    if !out.status.success() {
        eprintln!("skipping {name}: {}", String::from_utf8_lossy(&out.stderr).trim());
        return None;
    }
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("peer JSON line"))
        .collect();
    Some(
        lines
            .iter()
            .map(|line| {
                let texts: Vec<String> = line["texts"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|t| t.as_str().map(String::from)).collect())
                    .unwrap_or_default();
                (texts, line["ms"].as_f64().unwrap_or(0.0))
            })
            .collect(),
    )
}

fn main() {
    // cargo passes --bench; a filter argument is not meaningful here.
    let out_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"))
        .join("gate-frames");
    let (corpus, falsepositives) = load_corpus();
    let (cpp, cpp_falsepositives) = load_zxing_cpp();
    // The generated sets take a while to draw: only those that run.
    let gate = if wanted("gate frames 1280x720") { gate_set(&out_dir) } else { Vec::new() };
    let sheets = if wanted("sheets of codes") { sheet_set(&out_dir.join("sheets")) } else { Vec::new() };
    let dense = if wanted("dense codes") { dense_set(&out_dir.join("dense")) } else { Vec::new() };
    let household = if wanted("household codes") { household_set(&out_dir.join("household")) } else { Vec::new() };
    let bent = if wanted("bent household cards") { bent_set(&out_dir.join("bent")) } else { Vec::new() };
    let dim = if wanted("dim 12 MP small codes") { dim_set(&out_dir.join("dim")) } else { Vec::new() };
    let inverted =
        if wanted("inverted codes, logos") { inverted_logo_set(&out_dir.join("inverted")) } else { Vec::new() };
    let (appended_images, message) = load_appended();
    let appended =
        if wanted("appended sheets") { appended_set(&out_dir.join("appended"), &message) } else { Vec::new() };
    let live = DecodeOptions::default();
    let mut rows = Vec::new();
    let mut subset_counts = Vec::new();
    let live_label = format!("qrgate-scan live ({} ms budget)", live.budget.as_millis());
    for (set, items) in [
        ("zxing qrcode-1..6", &corpus),
        ("zxing falsepositives", &falsepositives),
        ("zxing-cpp qrcode-1..6", &cpp),
        ("zxing-cpp falsepos.", &cpp_falsepositives),
        ("gate frames 1280x720", &gate),
        ("sheets of codes", &sheets),
        ("dense codes", &dense),
        ("household codes", &household),
        ("bent household cards", &bent),
        ("dim 12 MP small codes", &dim),
        ("inverted codes, logos", &inverted),
        ("appended sheets", &appended),
    ] {
        if !wanted(set) {
            continue;
        }
        rows.push(ours(items, set, live, &live_label).0);
        if set != "gate frames 1280x720" {
            rows.push(ours(items, set, still_options(), "qrgate-scan still (1.5 s budget)").0);
        }
        for name in ["zxing-cpp", "zbar"] {
            if let Some((row, ok)) = peer(name, items, set) {
                if set == "gate frames 1280x720" {
                    subset_counts.push((name, ok.iter().take(TEST_SUBSET).filter(|&&o| o).count()));
                }
                rows.push(row);
            }
        }
    }
    if wanted("zxing-cpp qrcode-7 joined") {
        rows.extend(appended_across_images(&appended_images, &message));
    }
    println!();
    println!("times: CPU ms of the decoding thread per image");
    println!(
        "{:<34} {:<22} {:>10} {:>10} {:>10} {:>9}  note",
        "decoder", "set", "read", "median ms", "max ms", "codes"
    );
    for r in &rows {
        let read = if r.set.contains("falsepos") {
            format!("{} rep.", r.read_reported())
        } else {
            format!("{}/{}", r.read, r.total)
        };
        let codes = format!("{}/{}", r.codes.0, r.codes.1);
        println!(
            "{:<34} {:<22} {:>10} {:>10.1} {:>10.1} {:>9}  {}",
            r.decoder, r.set, read, r.median, r.max, codes, r.note
        );
    }
    for (name, n) in subset_counts {
        println!("{name} reads {n} of the first {TEST_SUBSET} gate frames (the integration test's subset)");
    }
    println!("gate frames written to {}", out_dir.display());
}

/// Whether `QRGATE_BENCH_SETS` (comma-separated words) names the set; unset runs every set.
fn wanted(set: &str) -> bool {
    match std::env::var("QRGATE_BENCH_SETS") {
        Ok(words) => words.split(',').map(str::trim).any(|w| !w.is_empty() && set.contains(w)),
        Err(_) => true,
    }
}

impl Row {
    /// On falsepositives "read" counts images with nothing reported; show what was reported.
    fn read_reported(&self) -> usize {
        self.total - self.read
    }
}
