//! `qrgate schedule import` and `export` through the binary: a rota in, the same rota out, and
//! bad files refused whole with their rows named.

use crate::support::Site;

const ROSTER: &str = "Mã NV;Họ và tên;Bộ phận;Ca\nNV001;Nguyễn Thị Hương;May 1;CA1\nNV002;Trần Văn Dũng;Cắt;CA3\n";

fn site_with_roster() -> Site {
    let site = Site::new();
    site.init();
    site.ok(&["roster", "import", &site.write("roster.csv", ROSTER.as_bytes())]);
    site
}

fn export(site: &Site, name: &str) -> String {
    let out = site.path(name);
    let r =
        site.ok(&["schedule", "export", "--from", "2026-11-30", "--to", "2026-12-06", "--out", out.to_str().unwrap()]);
    assert!(r.stdout.contains("Wrote 2 row(s)"), "{}", r.stdout);
    std::fs::read_to_string(out).unwrap()
}

#[test]
fn a_rota_goes_in_and_comes_back_out() {
    let site = site_with_roster();
    let rota = site.write(
        "lich-ca.csv",
        "\u{feff}Mã NV;Họ và tên;01/12/2026;02/12/2026;03/12/2026;04/12/2026;05/12/2026;06/12/2026\n\
         NV001;Nguyễn Thị Hương;CA1;CA1;CA3;CA3;CA3;NT\n\
         NV002;Trần Văn Dũng;CA3;CA3;CA1;CA1;nghỉ;NT\n"
            .as_bytes(),
    );
    let r = site.ok(&["schedule", "import", &rota]);
    assert!(r.stdout.contains("of 2 worker(s): 12 day(s) planned, 0 cleared"), "{}", r.stdout);
    let csv = export(&site, "out.csv");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "\u{feff}Mã NV,Họ và tên,Bộ phận,Ca,2026-11-30,2026-12-01,2026-12-02,2026-12-03,2026-12-04,2026-12-05,2026-12-06"
    );
    assert_eq!(lines[1], "NV001,Nguyễn Thị Hương,May 1,CA1,,CA1,CA1,CA3,CA3,CA3,NT");
    assert_eq!(lines[2], "NV002,Trần Văn Dũng,Cắt,CA3,,CA3,CA3,CA1,CA1,NT,NT");

    // The export imports back as it is, into another kiosk, as XLSX too.
    let xlsx = site.path("out.xlsx");
    site.ok(&["schedule", "export", "--from", "2026-11-30", "--to", "2026-12-06", "--out", xlsx.to_str().unwrap()]);
    let other = site_with_roster();
    let r = other.ok(&["schedule", "import", xlsx.to_str().unwrap()]);
    assert!(r.stdout.contains("12 day(s) planned"), "{}", r.stdout);
    assert_eq!(export(&other, "again.csv"), csv);

    // Valid from Friday: Thursday keeps its plan; Friday changes; a blank Saturday clears.
    let fix = site.write("sua.csv", "Mã NV,2026-12-03,2026-12-04,2026-12-05\nNV002,CA2,CA2,\n".as_bytes());
    let r = site.ok(&["schedule", "import", &fix, "--from", "2026-12-04"]);
    assert!(r.stdout.contains("1 day(s) planned, 1 cleared, 1 before"), "{}", r.stdout);
    assert!(export(&site, "out2.csv").contains("NV002,Trần Văn Dũng,Cắt,CA3,,CA3,CA3,CA1,CA2,,NT"));
}

#[test]
fn an_xlsx_rota_with_date_cells_in_its_header() {
    let site = site_with_roster();
    let path = site.path("lich-ca.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let date = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
    sheet.write_string(0, 0, "Mã NV").unwrap();
    for (c, d) in [(1, 1), (2, 2)] {
        let day = rust_xlsxwriter::ExcelDateTime::from_ymd(2026, 12, d).unwrap();
        sheet.write_datetime_with_format(0, c, &day, &date).unwrap();
    }
    sheet.write_string(1, 0, "NV001").unwrap();
    sheet.write_string(1, 1, "CA2").unwrap();
    sheet.write_string(1, 2, "NT").unwrap();
    book.save(&path).unwrap();
    let r = site.ok(&["schedule", "import", path.to_str().unwrap()]);
    assert!(r.stdout.contains("of 1 worker(s): 2 day(s) planned"), "{}", r.stdout);
    assert!(export(&site, "out.csv").contains("NV001,Nguyễn Thị Hương,May 1,CA1,,CA2,NT,,,,"));
}

#[test]
fn bad_schedule_files_change_nothing() {
    let site = site_with_roster();
    site.ok(&["schedule", "import", &site.write("good.csv", b"Ma NV,2026-12-01\nNV001,CA2\n")]);
    let before = export(&site, "before.csv");

    let bad = site.write(
        "bad.csv",
        "Mã NV,2026-12-01,2026-12-02\nNV002,CA1,CA1\nNV404,CA1,CA1\nNV001,CA9,CA1\nNV 5,CA1,\n".as_bytes(),
    );
    let r = site.qrgate(&["schedule", "import", &bad]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("error[schedule_bad_rows]"), "{}", r.stderr);
    assert!(r.stderr.contains("3 bad row(s); nothing was imported"), "{}", r.stderr);
    assert!(r.stderr.contains("row 3: employee code NV404 is not on the roster"), "{}", r.stderr);
    assert!(r.stderr.contains("row 4: 01/12/2026: \"CA9\" is neither a shift"), "{}", r.stderr);
    assert!(r.stderr.contains("row 5: invalid employee code"), "{}", r.stderr);
    assert!(!r.stderr.contains("row 2"), "{}", r.stderr);

    for (name, body, says) in [
        ("header.csv", "Mã NV,Tuần 49\nNV001,CA1\n", "column 2 of the header, \"Tuần 49\", is not a date"),
        ("nodates.csv", "Mã NV,Họ và tên\nNV001,Hương\n", "no date column"),
        ("twice.csv", "Mã NV,2026-12-01,01/12/2026\nNV001,CA1,CA1\n", "both the day 01/12/2026"),
        ("empty.csv", "", "the file is empty"),
    ] {
        let r = site.qrgate(&["schedule", "import", &site.write(name, body.as_bytes())]);
        assert_eq!(r.code, 3, "{name}: {}", r.stderr);
        assert!(r.stderr.contains("error[schedule_unreadable]") && r.stderr.contains(says), "{name}: {}", r.stderr);
    }
    let latin1 = site.write("latin1.csv", b"M\xe3 NV,2026-12-01\nNV001,CA1\n");
    assert!(site.qrgate(&["schedule", "import", &latin1]).stderr.contains("not UTF-8"));
    let missing = site.qrgate(&["schedule", "import", &site.path("nope.xlsx").to_string_lossy()]);
    assert_eq!(missing.code, 3, "{}", missing.stderr);
    let r = site.qrgate(&["schedule", "export", "--from", "2026-12-06", "--to", "2026-12-01", "--out", "x.csv"]);
    assert_eq!(r.code, 3, "{}", r.stderr);

    assert_eq!(export(&site, "after.csv"), before, "nothing was stored");
}
