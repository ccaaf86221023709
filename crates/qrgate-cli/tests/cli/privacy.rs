//! `qrgate privacy` and consent through the command: a person's requests, the record of
//! processing, the notice; what a clerk and a guard meet, on a real data directory.

use crate::support::Site;

const CCCD: &str = "079090001234|025123456|Nguyễn Văn An|15031990|Nam|12 Lê Lợi, Quận 1|15082021";
const ROSTER: &str = "\u{feff}Mã NV;Họ và tên;Bộ phận;Ca;Số điện thoại;Trạng thái
NV001;Nguyễn Thị Hương;May 1;CA1;0912345678;Đang làm
NV004;Phạm Quốc Bảo;Kho;CA2;0987654321;Nghỉ việc
";

fn site() -> Site {
    let site = Site::new();
    site.init();
    site.ok(&["roster", "import", &site.write("roster.csv", ROSTER.as_bytes())]);
    site
}

fn visit(site: &Site) {
    let args = ["check", "--json", "--at", "2026-11-25T09:00:00+07:00", "--host", "Kho", "--purpose", "Giao hàng"];
    let silent = site.qrgate(&[&args[..], &[CCCD]].concat());
    assert_eq!(silent.code, 1, "a visitor who did not agree is refused: {}", silent.stdout);
    assert_eq!(silent.json()["reason"], "no_consent");
    site.ok(&[&args[..], &["--consent", CCCD]].concat());
}

#[test]
fn a_visitor_sees_what_the_kiosk_holds_then_has_it_erased_and_the_record_says_so() {
    let site = site();
    visit(&site);

    let json = site.path("khach.json");
    site.ok(&["privacy", "show", "--cccd", "079090001234", "--format", "json", "--out", json.to_str().unwrap()]);
    let held: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let field = |name: &str| {
        held["details"].as_array().unwrap().iter().find(|d| d["field"] == name).map(|d| d["value"].clone())
    };
    assert_eq!(field("Số CCCD"), Some("079090001234".into()));
    assert_eq!(field("Họ và tên"), Some("Nguyễn Văn An".into()));
    assert!(field("Đồng ý lúc").unwrap().as_str().unwrap().starts_with("25/11/2026 09:00"));
    assert_eq!(held["events"].as_array().unwrap().len(), 1);
    assert_eq!(held["events"][0]["time"], "2026-11-25T09:00:00+07:00");
    let xlsx = site.path("khach.xlsx");
    site.ok(&["privacy", "show", "--cccd", "079090001234", "--format", "xlsx", "--out", xlsx.to_str().unwrap()]);
    assert!(std::fs::read(&xlsx).unwrap().starts_with(b"PK"), "an XLSX (zip) file");

    let r = site.ok(&["privacy", "erase", "--cccd", "079090001234"]);
    assert!(r.stdout.contains("1 record"), "{}", r.stdout);
    let again = site.qrgate(&[
        "privacy",
        "show",
        "--cccd",
        "079090001234",
        "--format",
        "json",
        "--out",
        json.to_str().unwrap(),
    ]);
    assert_eq!(again.code, 3, "nothing left to show: {}", again.stderr);
    assert!(again.stderr.contains("no details"), "{}", again.stderr);
    let db = std::fs::read(site.data().join("qrgate.db")).unwrap();
    assert!(!db.windows(12).any(|w| w == b"079090001234"), "the number is gone from the file");

    let log = site.ok(&["privacy", "log"]).stdout;
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 3, "{log}");
    assert!(lines[0].contains("erase") && lines[0].contains("visitor"), "{log}");
    assert!(lines[1].contains("subject_export") && lines[2].contains("subject_export"), "{log}");
    assert!(!log.contains("079090001234") && !log.contains("Nguyễn Văn An"), "the record holds no personal data");
}

#[test]
fn a_former_worker_is_erased_an_active_one_refused_and_bad_requests_say_why() {
    let site = site();
    let active = site.qrgate(&["privacy", "erase", "--employee", "NV001"]);
    assert_eq!(active.code, 3);
    assert!(active.stderr.contains("still an active worker"), "{}", active.stderr);
    site.ok(&["privacy", "erase", "--employee", "NV004"]);
    let json = site.path("nv004.json");
    site.ok(&["privacy", "show", "--employee", "NV004", "--format", "json", "--out", json.to_str().unwrap()]);
    let held = std::fs::read_to_string(&json).unwrap();
    assert!(held.contains("(đã xoá)") && !held.contains("Phạm Quốc Bảo") && !held.contains("0987654321"), "{held}");

    for (args, words) in [
        (vec!["privacy", "erase", "--cccd", "12345"], "12 digits"),
        (vec!["privacy", "erase", "--employee", "NV999"], "NV999"),
        (vec!["privacy", "erase", "--cccd", "079090001234"], "no details"),
    ] {
        let r = site.qrgate(&args);
        assert_eq!(r.code, 3, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(words), "{args:?}: {}", r.stderr);
    }
    let both = site.qrgate(&["privacy", "erase", "--cccd", "079090001234", "--employee", "NV004"]);
    assert_eq!(both.code, 2, "one person at a time");
}

#[test]
fn exporting_whole_id_numbers_is_recorded_and_the_notice_cites_the_law_in_force() {
    let site = site();
    visit(&site);
    let out = site.path("khach.csv");
    site.ok(&["export", "visitors", "--date", "2026-11-25", "--format", "csv", "--out", out.to_str().unwrap()]);
    assert!(site.ok(&["privacy", "log"]).stdout.trim().is_empty(), "a masked export is not recorded");
    site.ok(&[
        "export",
        "visitors",
        "--date",
        "2026-11-25",
        "--full",
        "--format",
        "csv",
        "--out",
        out.to_str().unwrap(),
    ]);
    let log = site.ok(&["privacy", "log"]).stdout;
    assert!(log.contains("export_full_ids") && log.contains("2026-11-25"), "{log}");

    let notice = site.ok(&["privacy", "notice"]).stdout;
    assert!(notice.contains("91/2025/QH15") && notice.contains("Công ty TNHH Thử Nghiệm"), "{notice}");
    assert!(notice.contains("30 ngày"), "the retention in days is filled in: {notice}");
    let pdf = site.path("thong-bao.pdf");
    site.ok(&["privacy", "notice", "--pdf", pdf.to_str().unwrap()]);
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF"));
}

#[test]
fn a_visitor_is_one_person_at_every_gate_of_the_enterprise_and_a_gate_without_its_key_is_refused() {
    let first = site();
    visit(&first);
    // A second gate, set up from the first kiosk's keys as the README says; a visit there.
    let keys = first.data().join("keys");
    let second = Site::new();
    let pubkey = keys.join("badge-signing.pub");
    let init = |site: &Site, kiosk_id: &str, pubkey: &std::path::Path, more: &[&str]| {
        let head = ["init", "--enterprise", "0101234567", "--name", "Công ty TNHH Thử Nghiệm", "--kiosk-id", kiosk_id];
        site.qrgate(&[&head[..], &["--badge-pubkey", pubkey.to_str().unwrap()], more].concat())
    };
    let r = init(&second, "gate-2", &pubkey, &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    second.ok(&["roster", "import", &second.write("roster.csv", ROSTER.as_bytes())]);
    visit(&second);
    let visitor = |site: &Site| -> String {
        let db = rusqlite::Connection::open(site.data().join("qrgate.db")).unwrap();
        db.query_row("SELECT person_ref FROM events WHERE person_kind = 'visitor' AND verdict = 'accepted'", [], |r| {
            r.get(0)
        })
        .unwrap()
    };
    let (at_first, at_second) = (visitor(&first), visitor(&second));
    assert!(at_first.starts_with("v-") && at_first.len() == 34, "{at_first}");
    assert_eq!(at_first, at_second, "the same card is the same visitor at both gates");
    // Neither the number nor the key is in the database: the id cannot be undone from a copy of it.
    let key = std::fs::read_to_string(keys.join("visitor.key")).unwrap();
    let raw = std::fs::read(first.data().join("qrgate.db")).unwrap();
    assert!(!raw.windows(key.trim().len()).any(|w| w == key.trim().as_bytes()), "the key stays in keys/");

    // A third gate given the public key alone (copied without visitor.key) is told what is missing
    // and nothing is created.
    let third = Site::new();
    let alone = third.write("badge-signing.pub", &std::fs::read(&pubkey).unwrap());
    let r = init(&third, "gate-3", std::path::Path::new(&alone), &[]);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("visitor.key") && r.stderr.contains("--visitor-key"), "{}", r.stderr);
    assert!(!third.data().join("qrgate.db").exists());
    // Given it, the third gate joins.
    let given = third.write("khoa-khach.key", key.as_bytes());
    let r = init(&third, "gate-3", std::path::Path::new(&alone), &["--visitor-key", &given]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(std::fs::read_to_string(third.data().join("keys/visitor.key")).unwrap(), key);
}
