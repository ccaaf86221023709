//! init, roster, badge, check, demo and visitors through the binary: outputs, files and exit codes.

use crate::support::Site;

const ROSTER: &str = "\u{feff}Mã NV;Họ và tên;Bộ phận;Ca;Số điện thoại;Trạng thái
NV001;Nguyễn Thị Hương;May 1;CA1;0912345678;Đang làm
NV002;Trần Văn Dũng;Cắt;CA3;;1
NV003;Lê Hoàng Yến;Văn phòng;HC;;Nghỉ việc
";

/// The one line of `key = "…"` (TOML) or `"key": "…"` (JSON) in `text` that names `key`.
fn value_of<'t>(text: &'t str, key: &str) -> &'t str {
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("{key} = \"")) || l.trim_start().starts_with(&format!("\"{key}\": \"")))
        .unwrap_or_else(|| panic!("no {key} in {text}"));
    line.split('"').rev().nth(1).unwrap()
}

#[test]
fn the_command_the_window_and_its_package_carry_the_workspaces_version() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let read = |path: &str| std::fs::read_to_string(root.join(path)).unwrap();
    let workspace = read("Cargo.toml");
    let version = value_of(&workspace, "version");
    assert_eq!(env!("CARGO_PKG_VERSION"), version);
    let printed = Site::new().ok(&["--version"]).stdout;
    assert_eq!(printed.trim(), format!("qrgate {version}"));
    // The kiosk window is a workspace of its own: it repeats the version, and must not drift.
    assert_eq!(value_of(&read("src-tauri/Cargo.toml"), "version"), version, "src-tauri/Cargo.toml");
    assert_eq!(value_of(&read("src-tauri/tauri.conf.json"), "version"), version, "src-tauri/tauri.conf.json");
}

#[test]
fn every_subcommand_has_help() {
    let site = Site::new();
    for args in [
        vec!["--help"],
        vec!["init", "--help"],
        vec!["roster", "--help"],
        vec!["roster", "import", "--help"],
        vec!["roster", "list", "--help"],
        vec!["schedule", "--help"],
        vec!["schedule", "import", "--help"],
        vec!["schedule", "export", "--help"],
        vec!["badge", "--help"],
        vec!["badge", "issue", "--help"],
        vec!["badge", "revoke", "--help"],
        vec!["badge", "text", "--help"],
        vec!["check", "--help"],
        vec!["demo", "--help"],
        vec!["demo", "seed", "--help"],
        vec!["demo", "run", "--help"],
        vec!["visitors", "purge", "--help"],
        vec!["photos", "import", "--help"],
        vec!["turnstile", "test", "--help"],
    ] {
        let r = site.ok(&args);
        assert!(r.stdout.contains("Usage:"), "{args:?}: {}", r.stdout);
    }
}

#[test]
fn init_roster_badge_check_revoke() {
    let site = Site::new();
    site.init();
    let again = site.qrgate(&["init", "--enterprise", "0101234567", "--name", "X", "--kiosk-id", "gate-1"]);
    assert_eq!(again.code, 3, "{}", again.stderr);
    assert!(again.stderr.contains("already initialised"), "{}", again.stderr);

    let roster = site.write("roster.csv", ROSTER.as_bytes());
    let r = site.ok(&["roster", "import", &roster]);
    assert!(r.stdout.contains("3 added"), "{}", r.stdout);
    let list = site.ok(&["roster", "list"]).stdout;
    assert!(list.contains("NV003\tLê Hoàng Yến\tVăn phòng\tHC\tinactive"), "{list}");

    let pdf = site.path("badges.pdf");
    let pngs = site.path("png");
    let r = site.ok(&["badge", "issue", "--all", "--pdf", pdf.to_str().unwrap(), "--png-dir", pngs.to_str().unwrap()]);
    assert!(r.stdout.contains("Wrote 2 badge(s)"), "inactive NV003 gets none: {}", r.stdout);
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF"));
    let png = image::open(pngs.join("NV001.png")).expect("a PNG");
    assert!(png.width() >= 400);

    let text = site.ok(&["badge", "text", "NV001"]).stdout.trim().to_string();
    assert!(text.starts_with("QG1:"));
    let r = site.ok(&["check", "--json", "--at", "2026-11-25T06:55:00+07:00", &text]);
    let d = r.json();
    assert_eq!(d["verdict"], "accepted");
    assert_eq!(d["direction"], "in");
    assert_eq!(d["person"]["code"], "NV001");
    assert_eq!(d["person"]["name"], "Nguyễn Thị Hương");
    assert_eq!(d["person"]["department"], "May 1");
    assert_eq!(d["time"], "2026-11-25T06:55:00+07:00");
    assert!(d["event_id"].as_str().unwrap().len() == 36);

    // Human output, and the way out.
    let r = site.ok(&["check", "--at", "2026-11-25T14:02:00+07:00", &text]);
    assert!(r.stdout.starts_with("OUT 2026-11-25 14:02:00  NV001 Nguyễn Thị Hương (May 1)"), "{}", r.stdout);

    site.ok(&["badge", "revoke", "NV001"]);
    let r = site.qrgate(&["check", "--json", "--at", "2026-11-26T06:55:00+07:00", &text]);
    assert_eq!(r.code, 1, "a refusal exits 1");
    assert_eq!(r.json()["reason"], "revoked");
    let new = site.ok(&["badge", "text", "NV001"]).stdout.trim().to_string();
    assert_ne!(new, text);
    assert_eq!(site.ok(&["check", "--json", "--at", "2026-11-26T06:56:00+07:00", &new]).json()["verdict"], "accepted");

    let r = site.qrgate(&["badge", "revoke", "NV404"]);
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("unknown employee code NV404"), "{}", r.stderr);
}

#[test]
fn bad_roster_files_change_nothing() {
    let site = Site::new();
    site.init();
    site.ok(&["roster", "import", &site.write("roster.csv", ROSTER.as_bytes())]);
    let before = site.ok(&["roster", "list"]).stdout;

    let bad = site
        .write("bad.csv", "employee_code,full_name,shift\nNV001,Tên Khác,CA1\nNV009,,CA1\nNV 10,A,CA7\n".as_bytes());
    let r = site.qrgate(&["roster", "import", &bad]);
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("2 bad row(s)"), "{}", r.stderr);
    assert!(r.stderr.contains("row 3: the full name is empty"), "{}", r.stderr);
    assert!(r.stderr.contains("row 4:") && r.stderr.contains("CA7"), "{}", r.stderr);

    let latin1 = site.write("latin1.csv", b"employee_code,full_name\nNV001,Nguy\xean\n");
    let r = site.qrgate(&["roster", "import", &latin1]);
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("not UTF-8"), "{}", r.stderr);

    let header_only = site.write("empty.csv", b"employee_code,full_name\n");
    assert_eq!(site.qrgate(&["roster", "import", &header_only]).code, 3);
    let wide: String = (0..200).map(|i| format!("c{i}")).collect::<Vec<_>>().join(",");
    let wide = site.write("wide.csv", format!("{wide}\n{}\n", vec!["x"; 200].join(",")).as_bytes());
    let r = site.qrgate(&["roster", "import", &wide]);
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("no column employee_code"), "{}", r.stderr);
    // A file that is not there is the person's mistake (3), not the machine's (4), whatever its kind.
    for name in ["nope.csv", "nope.xlsx"] {
        let missing = site.qrgate(&["roster", "import", &site.path(name).to_string_lossy()]);
        assert_eq!(missing.code, 3, "{}", missing.stderr);
        assert!(missing.stderr.contains(name) && missing.stderr.contains("no such file"), "{}", missing.stderr);
    }
    let r = site.qrgate(&["roster", "import", &site.dir.path().to_string_lossy()]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("is a directory"), "{}", r.stderr);

    assert_eq!(site.ok(&["roster", "list"]).stdout, before);
}

#[test]
fn xlsx_roster() {
    let site = Site::new();
    site.init();
    let path = site.path("roster.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["Mã NV", "Họ và tên", "Bộ phận", "Ca", "Số điện thoại", "Trạng thái"].iter().enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    sheet.write_number(1, 0, 1001.0).unwrap();
    sheet.write_string(1, 1, "Phan Thanh Tâm").unwrap();
    sheet.write_string(1, 2, "Kho").unwrap();
    sheet.write_string(1, 3, "CA2").unwrap();
    sheet.write_string(1, 4, "0987654321").unwrap();
    sheet.write_number(1, 5, 1.0).unwrap();
    book.save(&path).unwrap();
    let r = site.ok(&["roster", "import", path.to_str().unwrap()]);
    assert!(r.stdout.contains("1 added"), "{}", r.stdout);
    assert!(site.ok(&["roster", "list"]).stdout.contains("1001\tPhan Thanh Tâm\tKho\tCA2\tactive"));
}

#[test]
fn bad_input_never_panics_and_names_the_problem() {
    let site = Site::new();
    let r = site.qrgate(&["check", "hello"]);
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("not initialised") && r.stderr.contains("qrgate init"), "{}", r.stderr);

    site.init();
    for text in ["", "QG1:", "QG1:%%%", &"Z".repeat(7_000), "079090001234|025123456|A|15031991|Nam|x|15082021"] {
        let r = site.qrgate(&["check", "--json", text]);
        assert_eq!(r.code, 1, "{text:.20}: {}", r.stderr);
        assert_eq!(r.json()["verdict"], "refused");
    }
    let huge = site.qrgate(&["check", &"Z".repeat(10_000)]);
    assert_eq!(huge.code, 3, "{}", huge.stderr);
    assert!(!huge.stderr.contains("panicked"));

    let r = site.qrgate(&["check", "--operator", "bv1", "NV001"]);
    assert_eq!(r.code, 2, "--operator needs --reason: {}", r.stderr);
    let r = site.qrgate(&["check", "--at", "yesterday", "x"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("RFC 3339"), "{}", r.stderr);
    let r = site.qrgate(&["init", "--enterprise", "12345", "--name", "X", "--kiosk-id", "g"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("tax code"), "{}", r.stderr);

    // Bytes that are not UTF-8, from a scanner on stdin or in kiosk.conf, are bad input (3).
    let r = crate::support::run_with_input_bytes(&site.data(), &["check", "-"], b"QG1:\xff\xfe\n");
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("standard input is not UTF-8"), "{}", r.stderr);
    let conf = site.data().join("kiosk.conf");
    let good = std::fs::read(&conf).unwrap();
    std::fs::write(&conf, [&good[..], b"\n# Nguy\xean\n"].concat()).unwrap();
    let r = site.qrgate(&["check", "x"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("error[config_invalid]") && r.stderr.contains("kiosk.conf"), "{}", r.stderr);
    assert!(r.stderr.contains("is not UTF-8"), "{}", r.stderr);
    std::fs::write(&conf, good).unwrap();

    // A database file that is not ours is named, not overwritten.
    std::fs::write(site.data().join("qrgate.db"), b"garbage garbage garbage").unwrap();
    let r = site.qrgate(&["check", "x"]);
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("foreign_database"), "{}", r.stderr);
    assert_eq!(std::fs::read(site.data().join("qrgate.db")).unwrap(), b"garbage garbage garbage");
}

#[test]
fn manual_entry_and_visitor_through_the_command() {
    let site = Site::new();
    site.init();
    site.ok(&["roster", "import", &site.write("roster.csv", ROSTER.as_bytes())]);
    let r = site.ok(&[
        "check",
        "--json",
        "--at",
        "2026-11-25T06:40:00+07:00",
        "--operator",
        "bao-ve-1",
        "--reason",
        "Quên thẻ",
        "NV002",
    ]);
    assert_eq!(r.json()["verdict"], "accepted");
    assert_eq!(r.json()["direction"], "in");

    let cccd = "079090001234|025123456|Nguyễn Văn An|15031990|Nam|12 Lê Lợi, Quận 1|15082021";
    let r = site.ok(&[
        "check",
        "--json",
        "--at",
        "2026-11-25T09:00:00+07:00",
        "--host",
        "Phòng Nhân sự",
        "--purpose",
        "Họp",
        "--consent",
        cccd,
    ]);
    let d = r.json();
    assert_eq!((d["person"]["kind"].as_str(), d["direction"].as_str()), (Some("visitor"), Some("in")));
    assert_eq!(d["person"]["code"], "079*******34");
    assert!(!r.stdout.contains("079090001234"), "the ID number is masked");
    let out = site.ok(&["check", "--json", "--at", "2026-11-25T10:00:00+07:00", cccd]).json();
    assert_eq!(out["direction"], "out");
}

#[test]
fn a_cccd_out_of_this_world_is_refused_as_invalid() {
    let site = Site::new();
    site.init();
    let card = |name: &str, birth: &str, number: &str, address: &str| {
        format!("{number}|025123456|{name}|{birth}|Nam|{address}|15082021")
    };
    // Scanned at 07:30 on 25 November in Vietnam, which is still 24 November in UTC: the
    // scan's day is the gate's.
    let at = "2026-11-25T07:30:00+07:00";
    let born_today = card("Nguyễn Văn An", "25112026", "079226001234", "Hà Nội");
    let refused = [
        card("Nguyễn Văn An", "26112026", "079226001234", "Hà Nội"),
        card(&"A".repeat(5_000), "15031990", "079090001234", "Hà Nội"),
        card("Nguyễn Văn An", "15031990", "079090001234", &"Đường ".repeat(500)),
        card("Nguyễn Văn An", "01011900", "079000001234", "Hà Nội"),
    ];
    for text in &refused {
        let r = site.qrgate(&["check", "--json", "--at", at, "--consent", text]);
        assert_eq!(r.code, 1, "{text:.40}: {}", r.stderr);
        assert_eq!(
            (r.json()["verdict"].as_str(), r.json()["reason"].as_str()),
            (Some("refused"), Some("invalid_cccd"))
        );
    }
    let r = site.ok(&["check", "--json", "--at", at, "--consent", &born_today]);
    assert_eq!(r.json()["verdict"], "accepted");
    let visitors = rusqlite::Connection::open(site.data().join("qrgate.db"))
        .unwrap()
        .query_row("SELECT COUNT(*), MAX(length(full_name)) FROM visitors", [], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
        })
        .unwrap();
    assert_eq!(visitors, (1, "Nguyễn Văn An".chars().count() as i64), "no refused card was recorded as a visitor");
}

#[test]
fn demo_seed_in_a_zone_whose_clocks_jump_over_a_shift_start() {
    let site = Site::new();
    site.ok(&["init", "--enterprise", "0312345678", "--name", "Công ty Demo", "--kiosk-id", "gate-1"]);
    // CA1 starts at 02:30, an hour New York skips once a year; 400 days ending yesterday hold
    // one such night whatever the day the test runs.
    let conf = site.data().join("kiosk.conf");
    let text = std::fs::read_to_string(&conf).unwrap();
    let text = text.replace("timezone = \"Asia/Ho_Chi_Minh\"", "timezone = \"America/New_York\"").replacen(
        "start = \"06:00\"",
        "start = \"02:30\"",
        1,
    );
    assert!(text.contains("America/New_York") && text.contains("\"02:30\""));
    std::fs::write(&conf, text).unwrap();
    let r = site.qrgate(&["demo", "seed", "--workers", "20", "--days", "400"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("Seeded 20 workers") && r.stdout.contains("over 400 day(s)"), "{}", r.stdout);
}

#[test]
fn the_evacuation_list_at_a_given_moment_in_gate_time() {
    let site = Site::new();
    site.init();
    site.ok(&["roster", "import", &site.write("roster.csv", ROSTER.as_bytes())]);
    let manual = |at: &str, code: &str| {
        let r = site.ok(&["check", "--json", "--at", at, "--operator", "bv1", "--reason", "Quên thẻ", code]);
        assert_eq!(r.json()["direction"], "in");
    };
    // NV002 (night shift CA3, 22:00–06:00) came after midnight: the 25th at the gate, the 24th in UTC.
    manual("2026-11-25T00:30:00+07:00", "NV002");
    // NV001 (CA1, 06:00–14:00) never scanned out.
    manual("2026-11-24T06:05:00+07:00", "NV001");
    let list = |at: &str| {
        let csv = site.path("so-tan.csv");
        site.ok(&["export", "inside", "--format", "csv", "--at", at, "--out", csv.to_str().unwrap()]);
        std::fs::read_to_string(&csv).unwrap()
    };
    let text = list("2026-11-25T01:30:00+07:00");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[1].contains(",NV002,") && lines[1].contains(",25/11/2026 00:30,"), "{text}");
    assert!(lines[1].ends_with(",Đang ở trong"), "{text}");
    assert!(lines[2].contains(",NV001,") && lines[2].contains(",24/11/2026 06:05,"), "{text}");
    assert!(lines[2].ends_with("\"Có thể đã ra, không quét thẻ\""), "{text}");
    // A day later NV001's entry is older than the longest stay: a forgotten exit, off the list.
    let text = list("2026-11-25T06:06:00+07:00");
    assert!(!text.contains("NV001") && text.contains("NV002"), "{text}");
    let r = site.qrgate(&["export", "inside", "--format", "csv", "--at", "1:30", "--out", "x.csv"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn demo_seed_and_run() {
    let site = Site::new();
    let r = site.ok(&["demo", "seed", "--workers", "50", "--days", "3"]);
    assert!(r.stdout.contains("Seeded 50 workers"), "{}", r.stdout);
    let again = site.qrgate(&["demo", "seed", "--workers", "5", "--days", "1"]);
    assert_eq!(again.code, 3, "seeding over a roster is refused");

    let other = Site::new();
    let r = other.ok(&["demo", "run", "--workers", "30"]);
    let decisions: Vec<serde_json::Value> =
        r.stdout.lines().filter(|l| l.starts_with('{')).map(|l| serde_json::from_str(l).unwrap()).collect();
    let summary: Vec<(String, String)> = decisions
        .iter()
        .map(|d| (d["verdict"].as_str().unwrap().to_string(), d["reason"].as_str().unwrap_or("").to_string()))
        .collect();
    assert_eq!(decisions.len(), 9);
    assert_eq!(summary[1].0, "accepted");
    assert!(decisions[1]["debounced"].as_bool().unwrap());
    assert_eq!(summary[2], ("refused".into(), "revoked".into()));
    assert_eq!(summary[3], ("refused".into(), "other_enterprise".into()));
    assert_eq!(decisions[4]["person"]["kind"], "visitor");
    assert_eq!(summary[5], ("refused".into(), "not_a_badge".into()));
    assert_eq!(decisions[7]["direction"], "out");
    assert_eq!(decisions[8]["direction"], "out");
}

#[test]
fn pins_are_set_changed_and_removed_any_number_of_times() {
    let site = Site::new();
    site.init();
    let data = site.data();
    let pin = |args: &[&str], input: &str| crate::support::run_with_input(&data, args, input);
    assert_eq!(pin(&["pin", "set", "--role", "admin", "Lê Thị Hoa"], "4321\n").code, 0);
    let second = pin(&["pin", "set", "Trần Văn Bảo"], "5678\n");
    assert_eq!(second.code, 0, "a guard after the admin: {}", second.stderr);
    assert_eq!(pin(&["pin", "set", "Trần Văn Bảo"], "8765\n").code, 0, "a PIN changed");
    let shared = pin(&["pin", "set", "Nguyễn Văn Cường"], "4321\n");
    assert_eq!(shared.code, 3, "two operators never share a PIN: {}", shared.stderr);

    let list = site.ok(&["pin", "list"]).stdout;
    assert_eq!(list.lines().collect::<Vec<_>>(), ["Lê Thị Hoa\tadmin", "Trần Văn Bảo\tguard"]);
    let file = std::fs::read_to_string(data.join("pins.toml")).unwrap();
    assert!(file.contains("$argon2id$") && !file.contains("8765") && !file.contains("5678"), "{file}");

    site.ok(&["pin", "remove", "Trần Văn Bảo"]);
    assert_eq!(site.qrgate(&["pin", "remove", "Trần Văn Bảo"]).code, 3, "removing twice names the problem");
    assert_eq!(site.ok(&["pin", "list"]).stdout.lines().count(), 1);
    assert_eq!(pin(&["pin", "set", "Trần Văn Bảo"], "5678\n").code, 0, "set again after removal");
    let leftovers: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary file is left behind: {leftovers:?}");
}

#[test]
fn holidays_of_a_year_with_the_enterprises_moves() {
    let site = Site::new();
    let r = site.ok(&["holidays", "--year", "2027"]);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(lines[0].starts_with("01/01/2027") && lines[0].contains("Tết Dương lịch"), "{}", r.stdout);
    assert!(r.stdout.contains("06/02/2027  Thứ Bảy   Tết Âm lịch (mùng 1)"), "{}", r.stdout);
    assert!(r.stdout.contains("16/04/2027") && r.stdout.contains("Giỗ Tổ Hùng Vương"), "{}", r.stdout);
    assert!(r.stdout.contains("11 ngày"), "{}", r.stdout);
    // Tết's Sunday is HC's weekly day off: Wednesday after Tết is its day in lieu (Art. 111(3)).
    assert!(r.stdout.contains("cho ca HC (nghỉ hằng tuần: Chủ nhật)"), "{}", r.stdout);
    assert!(r.stdout.contains("10/02/2027  Thứ Tư    Nghỉ bù cho 07/02/2027"), "{}", r.stdout);

    std::fs::create_dir_all(site.data()).unwrap();
    std::fs::write(
        site.data().join("kiosk.conf"),
        "[holidays]\nmoved = [{ from = \"2027-09-03\", to = \"2027-09-06\" }]\nadded = [\"2027-12-24\"]\n",
    )
    .unwrap();
    let r = site.ok(&["holidays", "--year", "2027"]);
    assert!(!r.stdout.lines().any(|l| l.starts_with("03/09/2027")), "{}", r.stdout);
    assert!(r.stdout.contains("06/09/2027  Thứ Hai   Nghỉ bù (chuyển từ 03/09/2027)"), "{}", r.stdout);
    assert!(r.stdout.contains("24/12/2027") && r.stdout.contains("12 ngày"), "{}", r.stdout);

    std::fs::write(
        site.data().join("kiosk.conf"),
        "[holidays]\nmoved = [{ from = \"2027-09-04\", to = \"2027-09-06\" }]\n",
    )
    .unwrap();
    let r = site.qrgate(&["holidays", "--year", "2027"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("04/09/2027 is not a holiday"), "{}", r.stderr);
    let r = site.qrgate(&["holidays", "--year", "2300"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
}
