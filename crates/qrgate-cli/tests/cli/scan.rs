//! `qrgate decode` and `qrgate scan` through the binary: badge images and replay folders of
//! generated gate frames, down to the events in the kiosk's database.

use std::path::Path;

use qrgate_scan::synth::{empty_gate_frame, held_badge_frame};
use serde_json::Value;

use crate::support::Site;

const ROSTER: &str = "Mã NV;Họ và tên;Bộ phận;Ca;Số điện thoại;Trạng thái
NV001;Nguyễn Thị Hương;May 1;CA1;0912345678;Đang làm
NV002;Trần Văn Dũng;Cắt;CA3;;1
";

fn site_with_roster() -> Site {
    let site = Site::new();
    site.init();
    site.ok(&["roster", "import", &site.write("roster.csv", ROSTER.as_bytes())]);
    site
}

fn json_lines(stdout: &str) -> Vec<Value> {
    stdout.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"))).collect()
}

#[test]
fn decode_reports_each_file_and_goes_on_past_bad_ones() {
    let site = site_with_roster();
    let pngs = site.path("pngs");
    let pdf = site.path("badge.pdf");
    site.ok(&[
        "badge",
        "issue",
        "--employee",
        "NV001",
        "--pdf",
        pdf.to_str().unwrap(),
        "--png-dir",
        pngs.to_str().unwrap(),
    ]);
    let text = site.ok(&["badge", "text", "NV001"]).stdout.trim().to_string();
    let badge = pngs.join("NV001.png");
    let not_image = site.write("notes.png", b"this is not a PNG");
    let missing = site.path("missing.png");

    let args = ["decode", "--jsonl", badge.to_str().unwrap(), &not_image, missing.to_str().unwrap()];
    let lines = json_lines(&site.ok(&args).stdout);
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(lines[0]["path"], badge.to_str().unwrap());
    assert_eq!(lines[0]["texts"], serde_json::json!([text]));
    assert!(lines[0]["ms"].as_f64().is_some_and(|ms| ms >= 0.0), "{}", lines[0]);
    assert_eq!(lines[1]["path"], not_image.as_str());
    assert_eq!(lines[1]["code"], "image_format", "{}", lines[1]);
    assert!(lines[1].get("texts").is_none());
    assert_eq!(lines[2]["code"], "image_read", "{}", lines[2]);
    assert!(lines[2]["error"].as_str().unwrap().contains("missing.png"));

    // The readable form: one line per image, the badge text on the first.
    let r = site.ok(&["decode", badge.to_str().unwrap(), &not_image]);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", r.stdout);
    assert!(lines[0].ends_with(&text), "{}", lines[0]);
    assert!(lines[1].contains("error[image_format]"), "{}", lines[1]);

    // Nothing readable at all is a failure, and says so.
    let r = site.qrgate(&["decode", &not_image, missing.to_str().unwrap()]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("none of the 2 file(s) could be read"), "{}", r.stderr);
}

#[test]
fn decode_reads_paths_from_standard_input() {
    let site = site_with_roster();
    let frame = site.path("frame.png");
    held_badge_frame(11, "QG1:NOT-SIGNED-BUT-A-QR-CODE").save(&frame).unwrap();
    let stdin = format!("{}\n\n{}\n", frame.display(), site.path("gone.jpg").display());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_qrgate"))
        .args(["decode", "--jsonl"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().expect("piped").write_all(stdin.as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(out.status.success());
    let lines = json_lines(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(lines.len(), 2, "the blank line is no path: {lines:?}");
    assert_eq!(lines[0]["texts"], serde_json::json!(["QG1:NOT-SIGNED-BUT-A-QR-CODE"]));
    assert_eq!(lines[1]["code"], "image_read");
}

#[test]
fn decode_joins_a_message_spread_over_several_images_and_names_a_missing_part() {
    let site = Site::new();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus/zxing-cpp/qrcode-7");
    let message = std::fs::read_to_string(dir.join("01.txt")).unwrap();
    let parts: Vec<String> = (1..=4).map(|i| dir.join(format!("01-0{i}.png")).display().to_string()).collect();
    // Given out of order: one line per image, each naming its part, then the message whole.
    let given = [&parts[3], &parts[0], &parts[2], &parts[1]];
    let mut args = vec!["decode", "--jsonl"];
    args.extend(given.iter().map(|p| p.as_str()));
    let lines = json_lines(&site.ok(&args).stdout);
    assert_eq!(lines.len(), 5, "{lines:?}");
    assert_eq!(lines[0]["parts"][0]["index"], 3, "{}", lines[0]);
    assert_eq!(lines[4]["sequence"]["total"], 4, "{}", lines[4]);
    assert_eq!(lines[4]["text"], message.as_str());

    let r = site.ok(&["decode", &parts[0], &parts[1], &parts[3]]);
    let last = r.stdout.lines().last().unwrap();
    assert!(last.contains("error[incomplete_sequence]") && last.contains("part(s) 3 of 4"), "{}", r.stdout);
}

/// Writes the replay folder: each badge held up for three frames (each a slightly different
/// scene, as a hand moves), then a frame with nobody in view.
fn replay_folder(dir: &Path, badges: &[&str]) -> usize {
    std::fs::create_dir_all(dir).unwrap();
    let mut n = 0;
    for (who, text) in badges.iter().enumerate() {
        for k in 0..3 {
            held_badge_frame(100 * who as u64 + k, text).save(dir.join(format!("{n:03}.png"))).unwrap();
            n += 1;
        }
        empty_gate_frame(7_000 + who as u64).save(dir.join(format!("{n:03}.png"))).unwrap();
        n += 1;
    }
    n
}

fn events_in_db(site: &Site) -> Vec<(String, String, Option<String>, String)> {
    let db = rusqlite::Connection::open(site.data().join("qrgate.db")).unwrap();
    let mut stmt = db.prepare("SELECT id, person_ref, direction, verdict FROM events ORDER BY seq").unwrap();
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).unwrap();
    rows.map(Result::unwrap).collect()
}

#[test]
fn scan_over_a_replay_folder_decides_once_per_badge_and_commits_the_events() {
    let site = site_with_roster();
    let a = site.ok(&["badge", "text", "NV001"]).stdout.trim().to_string();
    let b = site.ok(&["badge", "text", "NV002"]).stdout.trim().to_string();
    let folder = site.path("replay");
    let frames = replay_folder(&folder, &[&a, &b]);
    assert_eq!(frames, 8);
    let source = format!("dir:{}", folder.display());
    let count = frames.to_string();

    let r = site.ok(&["scan", "--source", &source, "--fps", "200", "--frames", &count, "--stats"]);
    let decisions = json_lines(&r.stdout);
    let summary: Vec<(&str, &str, &str, bool)> = decisions
        .iter()
        .map(|d| {
            (
                d["person"]["code"].as_str().unwrap(),
                d["verdict"].as_str().unwrap(),
                d["direction"].as_str().unwrap(),
                d["debounced"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(summary, vec![("NV001", "accepted", "in", false), ("NV002", "accepted", "in", false)], "{}", r.stdout);
    // Each badge is decided on a frame where it is in view: A in frames 0-2, B in frames 4-6.
    let seqs: Vec<u64> = decisions.iter().map(|d| d["frame"].as_u64().unwrap()).collect();
    assert!(seqs[0] <= 2 && (4..=6).contains(&seqs[1]), "{seqs:?}");
    assert!(decisions.iter().all(|d| d["latency_ms"].as_f64().is_some_and(|ms| ms > 0.0)));
    assert!(r.stderr.lines().any(|l| l.contains(r#""state":"live""#)), "{}", r.stderr);
    let stats: Value = r
        .stderr
        .lines()
        .find_map(|l| serde_json::from_str::<Value>(l).ok().filter(|v| v.get("stats").is_some()))
        .expect("stats line");
    assert_eq!(stats["stats"]["frames"], 8);
    assert_eq!(stats["stats"]["events"], 2);

    let events = events_in_db(&site);
    let ids: Vec<&str> = decisions.iter().map(|d| d["event_id"].as_str().unwrap()).collect();
    assert_eq!(events.len(), 2, "{events:?}");
    for ((id, person, direction, verdict), (want_id, want_person)) in
        events.iter().zip([(ids[0], "NV001"), (ids[1], "NV002")])
    {
        assert_eq!(
            (id.as_str(), person.as_str(), direction.as_deref(), verdict.as_str()),
            (want_id, want_person, Some("in"), "accepted")
        );
    }

    // The same people again moments later: the gate shows the earlier events, records nothing.
    let again = json_lines(&site.ok(&["scan", "--source", &source, "--fps", "200", "--frames", &count]).stdout);
    assert_eq!(again.len(), 2);
    assert!(again.iter().all(|d| d["debounced"] == true));
    assert_eq!(again.iter().map(|d| d["event_id"].as_str().unwrap()).collect::<Vec<_>>(), ids);
    assert_eq!(events_in_db(&site).len(), 2);
}

#[test]
fn scan_refuses_bad_sources_clearly() {
    let site = site_with_roster();
    let r = site.qrgate(&["scan", "--source", "usb:0", "--frames", "1"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("camera:N or dir:PATH"), "{}", r.stderr);
    let empty = site.path("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let r = site.qrgate(&["scan", "--source", &format!("dir:{}", empty.display()), "--frames", "1"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("[replay_empty]"), "{}", r.stderr);
    let r = site.qrgate(&["scan", "--source", "dir:/tmp", "--fps", "0"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn help_explains_exit_status_and_output() {
    let site = Site::new();
    assert!(site.ok(&["decode", "--help"]).stdout.contains("Exit status: 0 when at least one image"));
    let help = site.ok(&["scan", "--help"]).stdout;
    assert!(help.contains("camera:N") && help.contains("latency_ms"), "{help}");
}

/// One of every scan error, its code read from the error itself. The match has no wildcard, so
/// a new kind of scan error does not compile here until it is listed.
fn every_scan_error_code() -> Vec<&'static str> {
    use qrgate_scan::Error;
    let at = std::path::PathBuf::from("frame.png");
    let all = [
        Error::ImageRead { path: at.clone(), reason: String::new() },
        Error::ImageFormat { path: at.clone(), reason: String::new() },
        Error::ImageSize { width: 0, height: 0 },
        Error::FrameBuffer { width: 0, height: 0, format: "YUYV", got: 0 },
        Error::ReplayEmpty { path: at.clone() },
        Error::ReplayRate { fps: String::new() },
        Error::SourceSpec { given: String::new() },
        Error::CameraUnavailable { index: 0, reason: String::new() },
        Error::CameraLost { index: 0, reason: String::new() },
        Error::CameraNotBuilt,
        Error::Write { path: at, reason: String::new() },
    ];
    for e in &all {
        match e {
            Error::ImageRead { .. }
            | Error::ImageFormat { .. }
            | Error::ImageSize { .. }
            | Error::FrameBuffer { .. }
            | Error::ReplayEmpty { .. }
            | Error::ReplayRate { .. }
            | Error::SourceSpec { .. }
            | Error::CameraUnavailable { .. }
            | Error::CameraLost { .. }
            | Error::CameraNotBuilt
            | Error::Write { .. } => {}
        }
    }
    all.iter().map(|e| e.code()).collect()
}

/// `qrgate` prints the scanner's codes (`decode --jsonl`, `scan`'s messages) beside the core's,
/// and scripts switch on the bare word: no word may mean two things.
#[test]
fn scan_codes_are_bare_words_distinct_from_each_other_and_from_the_cores() {
    let scan = every_scan_error_code();
    for code in &scan {
        assert!(!code.is_empty() && code.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{code:?}");
        assert!(!qrgate_core::Code::ALL.iter().any(|c| c.as_str() == *code), "{code} is also a core code");
    }
    let mut distinct = scan.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), scan.len(), "{scan:?}");
}
