//! `qrgate export` through the binary: a seeded site's exports, their help, and refused requests.

use chrono::{Duration, Local};

use crate::support::Site;

fn seeded() -> Site {
    let site = Site::new();
    site.ok(&["demo", "seed", "--workers", "60", "--days", "2"]);
    site
}

/// The demo's days end yesterday in the kiosk's zone; near midnight UTC the local date may differ
/// from this machine's, so the range covers both readings.
fn yesterday() -> (String, String) {
    let y = Local::now().date_naive() - Duration::days(1);
    ((y - Duration::days(1)).to_string(), (y + Duration::days(1)).to_string())
}

#[test]
fn every_export_has_help() {
    let site = Site::new();
    for cmd in ["attendance", "events", "inside", "visitors"] {
        let r = site.ok(&["export", cmd, "--help"]);
        assert!(r.stdout.contains("--format") && r.stdout.contains("--out"), "{cmd}: {}", r.stdout);
    }
    let r = site.ok(&["export", "attendance", "--help"]);
    assert!(r.stdout.contains("--department") && r.stdout.contains("--to"));
    assert!(site.ok(&["export", "visitors", "--help"]).stdout.contains("--full"));
}

#[test]
fn hr_exports_a_seeded_site() {
    let site = seeded();
    let (from, to) = yesterday();
    let xlsx = site.path("cham-cong.xlsx");
    let r = site.ok(&[
        "export",
        "attendance",
        "--date",
        &from,
        "--to",
        &to,
        "--format",
        "xlsx",
        "--out",
        xlsx.to_str().unwrap(),
    ]);
    assert!(r.stdout.contains("Wrote"), "{}", r.stdout);
    assert!(std::fs::read(&xlsx).unwrap().starts_with(b"PK"), "an XLSX is a zip");

    let csv = site.path("cham-cong.csv");
    site.ok(&[
        "export",
        "attendance",
        "--date",
        &from,
        "--to",
        &to,
        "--department",
        "Kho",
        "--format",
        "csv",
        "--out",
        csv.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with('\u{feff}'));
    assert!(text.lines().skip(1).all(|l| l.split(',').nth(3) == Some("Kho")), "{text}");

    let events = site.path("su-kien.csv");
    site.ok(&["export", "events", "--from", &from, "--to", &to, "--format", "csv", "--out", events.to_str().unwrap()]);
    assert!(std::fs::read_to_string(&events).unwrap().lines().count() > 60);

    let pdf = site.path("so-tan.pdf");
    site.ok(&["export", "inside", "--format", "pdf", "--out", pdf.to_str().unwrap()]);
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF"));

    let visitors = site.path("khach.csv");
    site.ok(&[
        "export",
        "visitors",
        "--date",
        &from,
        "--to",
        &to,
        "--format",
        "csv",
        "--out",
        visitors.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&visitors).unwrap();
    assert!(text.contains("*******"), "ID numbers are masked: {text}");
}

#[test]
fn bad_requests_say_why_and_write_nothing() {
    let site = seeded();
    let out = site.path("x.csv");
    let o = out.to_str().unwrap();

    let r = site.qrgate(&["export", "attendance", "--date", "2026-02-30", "--format", "csv", "--out", o]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("2026-02-30") && r.stderr.contains("year-month-day"), "{}", r.stderr);

    let r = site.qrgate(&[
        "export",
        "attendance",
        "--date",
        "2026-11-20",
        "--to",
        "2026-11-10",
        "--format",
        "csv",
        "--out",
        o,
    ]);
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("2026-11-10 is before --date 2026-11-20"), "{}", r.stderr);

    let r = site.qrgate(&[
        "export",
        "attendance",
        "--date",
        "2026-11-20",
        "--department",
        "Phòng Không Có",
        "--format",
        "csv",
        "--out",
        o,
    ]);
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("Phòng Không Có") && r.stderr.contains("Kho"), "{}", r.stderr);

    let nowhere = site.path("no-such-dir/x.csv");
    let r = site.qrgate(&["export", "inside", "--format", "csv", "--out", nowhere.to_str().unwrap()]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("no-such-dir"), "{}", r.stderr);

    let r =
        site.qrgate(&["export", "events", "--from", "2026-11-01", "--to", "2026-11-02", "--format", "pdf", "--out", o]);
    assert_eq!(r.code, 2, "events are not a PDF: {}", r.stderr);

    // Days past the calendar's end used to overflow chrono and panic (exit 101).
    for args in [
        &["attendance", "--date", "+262142-12-31"][..],
        &["attendance", "--date", "2026-11-20", "--to", "+262142-12-31"],
        &["events", "--from", "+262142-12-31", "--to", "+262142-12-31"],
        &["events", "--from", "2026-11-20", "--to", "+262142-12-31"],
        &["visitors", "--date", "+262142-12-31"],
        &["visitors", "--date", "+262142-12-30", "--to", "+262142-12-31"],
        &["attendance", "--date=-262143-01-01"],
    ] {
        let r = site.qrgate(&[&["export"], args, &["--format", "csv", "--out", o]].concat());
        assert_eq!(r.code, 3, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains("error[invalid_input]"), "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains("outside the years 1900 to 9999"), "{args:?}: {}", r.stderr);
    }

    assert!(!out.exists());
}

#[test]
fn the_monthly_timesheet_through_the_binary() {
    let site = seeded();
    let r = site.ok(&["export", "timesheet", "--help"]);
    assert!(r.stdout.contains("--month") && r.stdout.contains("--department"), "{}", r.stdout);
    // The demo's two days end yesterday: whichever month that is, both its months are written.
    let (from, to) = yesterday();
    for month in [&from[..7], &to[..7]] {
        let out = site.path(&format!("bcc-{month}.csv"));
        let r = site.ok(&["export", "timesheet", "--month", month, "--format", "csv", "--out", out.to_str().unwrap()]);
        // A line per active worker, and per inactive one who scanned that month.
        assert!(r.stdout.contains("Wrote 5") || r.stdout.contains("Wrote 60"), "{}", r.stdout);
        let bytes = std::fs::read(&out).unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    }
    let xlsx = site.path("bcc.xlsx");
    site.ok(&["export", "timesheet", "--month", &to[..7], "--format", "xlsx", "--out", xlsx.to_str().unwrap()]);
    assert!(std::fs::read(&xlsx).unwrap().starts_with(b"PK"));

    let o = site.path("x.csv");
    let r =
        site.qrgate(&["export", "timesheet", "--month", "11/2026", "--format", "csv", "--out", o.to_str().unwrap()]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("like 2026-11"), "{}", r.stderr);
    assert!(!o.exists(), "nothing written");
}
