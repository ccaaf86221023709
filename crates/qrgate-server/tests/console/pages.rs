//! The console's working pages in Chromium: contact tracing with its downloads, the record of
//! processing, the kiosks page and the accounts page; who may use each, and what the logs keep.
//!
//! The stays traced are on a fixed day (03/03/2025, kept: the server runs with retention 0), so
//! nothing here depends on the hour the test runs.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Command;

use calamine::{Data, Reader, Xlsx};
use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use qrgate_core::model::Direction::{In, Out};

use super::*;

const NUMBER: &str = "079090001234";

/// 03/03/2025 at `h:m`, the gate's time.
fn at(h: u32, m: u32) -> DateTime<Utc> {
    FixedOffset::east_opt(7 * 3600).unwrap().with_ymd_and_hms(2025, 3, 3, h, m, 0).unwrap().with_timezone(&Utc)
}

/// The province's trace secret, made as its IT would, and its public key for kiosk.conf.
fn trace_secret(dir: &Path) -> (PathBuf, String) {
    let secret = dir.join("trace.key");
    let made = Command::new(server_exe()).args(["trace-key", "new", "--out"]).arg(&secret).output().unwrap();
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let public = Command::new(server_exe()).args(["trace-key", "public", "--key"]).arg(&secret).output().unwrap();
    (secret, String::from_utf8(public.stdout).unwrap().trim().to_string())
}

/// A province whose enterprise A had, on 03/03/2025, a worker NV0100 inside from 08:00 (gate 1)
/// to 12:00 (out by gate 2), and around them:
///
/// | who | in | out | with NV0100 |
/// |---|---|---|---|
/// | NV0003 (not in the roster) | 07:00 gate 2 | 08:30 gate 1 | 30 min from 08:00, gate 2 |
/// | NV0001 Trần Thị Bình | 09:00 gate 1 | 10:30 gate 1 | 90 min from 09:00, gate 1 |
/// | NV0002 Lê Văn Cường | 11:40 gate 2 | 13:00 gate 2 | 20 min from 11:40, gate 2 |
/// | a visitor (CCCD card) | 11:50 gate 1 | 12:50 gate 1 | 10 min from 11:50, gate 1 |
/// | NV0004 | 13:00 gate 2 | 14:00 gate 2 | none |
struct Traced {
    server: Server,
    pg: Postgres,
    visitor: String,
    _keys: tempfile::TempDir,
    _kiosks: Vec<Kiosk>,
}

impl Traced {
    fn start() -> Traced {
        let pg = Postgres::start(false);
        let keys = tempfile::tempdir().unwrap();
        let (secret, public) = trace_secret(keys.path());
        let server = Server::start_with(&pg.url, 0, &["--trace-key", secret.to_str().unwrap()]);
        let a1 = Kiosk::init(A, "a-gate-1", 61);
        let a2 = Kiosk::join(&a1, "a-gate-2", 62);
        let b1 = Kiosk::init(B, "b-gate-1", 63);
        register(&pg.url, &a1, A_NAME);
        register(&pg.url, &a2, A_NAME);
        register(&pg.url, &b1, B_NAME);
        let conf = a1.data.config_path();
        let text = std::fs::read_to_string(&conf).unwrap();
        std::fs::write(&conf, text.replace("trace_key = \"\"", &format!("trace_key = \"{public}\""))).unwrap();

        a1.add_workers(&[("NV0100", "Phạm Văn Truy"), ("NV0001", "Trần Thị Bình"), ("NV0002", "Lê Văn Cường")]);
        a1.add_passes(&[("NV0100", In, at(8, 0)), ("NV0003", Out, at(8, 30)), ("NV0001", In, at(9, 0))]);
        a1.add_passes(&[("NV0001", Out, at(10, 30))]);
        a2.add_passes(&[
            ("NV0003", In, at(7, 0)),
            ("NV0002", In, at(11, 40)),
            ("NV0100", Out, at(12, 0)),
            ("NV0002", Out, at(13, 0)),
            ("NV0004", In, at(13, 0)),
            ("NV0004", Out, at(14, 0)),
        ]);
        let (came, visitor) = a1.visit(CARD, at(11, 50));
        assert_eq!(came, In);
        let (went, same) = a1.visit(CARD, at(12, 50));
        assert_eq!((went, same.as_str()), (Out, visitor.as_str()));
        b1.add_events(2, 1, at(9, 0));
        assert_eq!(a1.sync_for_kiosk(&server.url).unwrap().visitors_traced, 1);
        a2.sync(&server.url, T).unwrap();
        b1.sync(&server.url, T).unwrap();

        add_user(&pg.url, ADMIN, "Nguyễn Quản Trị", "province_admin", None);
        add_user(&pg.url, OFFICER, "Trần Cán Bộ", "province_officer", None);
        add_user(&pg.url, VIEWER, "Lê Doanh Nghiệp", "enterprise_viewer", Some(B));
        Traced { server, pg, visitor, _keys: keys, _kiosks: vec![a1, a2, b1] }
    }
}

/// The trace form's fields for NV0100 on 03/03/2025, with `extra` ones.
fn nv0100<'a>(csrf: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields =
        vec![("enterprise", A), ("kind", "worker"), ("person", "NV0100"), ("from", "03/03/2025"), ("to", "03/03/2025")];
    if !csrf.is_empty() {
        fields.push(("csrf", csrf));
    }
    fields.extend_from_slice(extra);
    fields
}

fn post_form(server: &Server, path: &str, cookie: &str, fields: &[(&str, &str)]) -> reqwest::blocking::Response {
    plain_http()
        .post(format!("{}{path}", server.url))
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(fields).unwrap())
        .send()
        .unwrap()
}

fn get_page(server: &Server, path: &str, cookie: &str) -> reqwest::blocking::Response {
    plain_http().get(format!("{}{path}", server.url)).header("cookie", cookie).send().unwrap()
}

#[test]
fn a_trace_shows_who_met_whom_where_and_for_how_long_and_downloads_as_csv_and_xlsx() {
    let p = Traced::start();
    let browser = Browser::start(1280, 1000);
    browser.sign_in(&p.server, ADMIN);
    browser.wait_for_url("the overview", "/console");
    browser.click("#nav-trace");
    browser.wait_for_url("the trace page", "/console/trace");

    browser.click(&format!("#enterprise option[value=\"{A}\"]"));
    browser.click("#kind-worker");
    browser.type_into("#person", "nv0100");
    browser.type_into("#from", "03/03/2025");
    browser.type_into("#to", "03/03/2025");
    browser.press("#trace-submit");
    assert!(browser.url().ends_with("/console/trace"), "posted: the question is in no address");
    assert_eq!(browser.attribute("#result", "data-count").as_deref(), Some("4"));
    let order = |b: &Browser| b.attributes("#contacts tbody tr", "data-person-ref");
    assert_eq!(order(&browser), ["NV0001", "NV0003", "NV0002", p.visitor.as_str()], "longest together first");
    assert_eq!(browser.attributes("#contacts tbody tr", "data-minutes"), ["90", "30", "20", "10"]);
    let cell = |person: &str, css: &str| browser.text(&format!("#contacts tr[data-person-ref=\"{person}\"] {css}"));
    assert_eq!(cell("NV0001", "td.name"), "Trần Thị Bình");
    assert_eq!(cell("NV0001", "td.gates"), "Cổng a-gate-1");
    assert_eq!(cell("NV0001", "time"), "09:00 03/03/2025");
    assert_eq!(cell("NV0003", "td.name"), "(chưa rõ tên)");
    assert_eq!(cell("NV0003", "td.gates"), "Cổng a-gate-2", "NV0003 came in by gate 2");
    assert_eq!(cell("NV0003", "time"), "08:00 03/03/2025");
    assert_eq!(cell("NV0002", "time"), "11:40 03/03/2025");
    assert_eq!(cell(&p.visitor, "td.gates"), "Cổng a-gate-1");
    assert_eq!(cell(&p.visitor, "time"), "11:50 03/03/2025");
    assert_eq!(cell(&p.visitor, ".kind"), "KHÁCH", "a visitor, said so (upper case by the stylesheet)");
    assert!(browser.text("#result h2").contains("4 người"), "{}", browser.text("#result h2"));

    // Sorted without script: each button posts the question again.
    browser.press("#sort-first");
    assert_eq!(order(&browser), ["NV0003", "NV0001", "NV0002", p.visitor.as_str()]);
    browser.press("#sort-name");
    let workers: Vec<String> = order(&browser).into_iter().filter(|r| r.starts_with("NV")).collect();
    assert_eq!(workers, ["NV0002", "NV0003", "NV0001"], "Lê Văn Cường, then NV0003 by its code, then Trần Thị Bình");
    assert_eq!(browser.attribute("#sort-name", "aria-pressed").as_deref(), Some("true"));
    browser.press("#sort-minutes");
    assert_eq!(order(&browser)[0], "NV0001");
    assert_eq!(browser.attribute("#person", "value").as_deref(), Some("nv0100"), "the question stays as typed");
    browser.resize(1280, 1500);
    browser.screenshot("console-trace.png");
    browser.resize(390, 1600);
    browser.screenshot("console-trace-phone.png");
    browser.resize(1280, 1000);

    // A visitor, by the number on their card: the same person the kiosk named by a pseudonym.
    browser.click("#kind-cccd");
    browser.type_into("#person", NUMBER);
    browser.press("#trace-submit");
    assert_eq!(order(&browser), ["NV0002", "NV0100"]);
    assert_eq!(browser.attributes("#contacts tbody tr", "data-minutes"), ["60", "10"]);
    assert_eq!(cell("NV0100", "td.name"), "Phạm Văn Truy");
    assert!(!browser.url().contains(NUMBER));
    browser.type_into("#person", "079090009999");
    browser.press("#trace-submit");
    assert_eq!(browser.attribute("#problem", "data-code").as_deref(), Some("no_such_visitor"));
    assert_eq!(browser.attribute("#person", "value").as_deref(), Some("079090009999"), "what was typed stays");
    browser.type_into("#person", "12345");
    browser.press("#trace-submit");
    assert_eq!(browser.attribute("#problem", "data-code").as_deref(), Some("cccd_number"));
    browser.type_into("#person", NUMBER);
    browser.type_into("#from", "31/01/2025");
    browser.press("#trace-submit");
    assert_eq!(browser.attribute("#problem", "data-code").as_deref(), Some("period"), "32 days");

    // The downloads, over HTTP with the session's cookie, as the buttons post them.
    let admin = session_cookie_of(&p.server, ADMIN);
    let csrf = form_token(&get_page(&p.server, "/console/trace", &admin).text().unwrap());
    let csv = post_form(&p.server, "/console/trace/export", &admin, &nv0100(&csrf, &[("format", "csv")]));
    assert_eq!(csv.status(), 200);
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        csv.headers()["content-disposition"],
        format!("attachment; filename=\"truy-vet-{A}-2025-03-03-2025-03-03.csv\"")
    );
    let text = String::from_utf8(csv.bytes().unwrap().to_vec()).unwrap();
    let text = text.strip_prefix('\u{feff}').expect("a byte-order mark, for Excel");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert_eq!(lines[0], "person_kind,person_ref,full_name,gates,overlap_minutes,first_overlap");
    assert_eq!(lines[1], "worker,NV0001,Trần Thị Bình,Cổng a-gate-1,90,2025-03-03T09:00:00+07:00");
    assert_eq!(lines[4], format!("visitor,{},,Cổng a-gate-1,10,2025-03-03T11:50:00+07:00", p.visitor));

    let xlsx = post_form(&p.server, "/console/trace/export", &admin, &nv0100(&csrf, &[("format", "xlsx")]));
    assert_eq!(xlsx.status(), 200);
    assert_eq!(
        xlsx.headers()["content-disposition"],
        format!("attachment; filename=\"truy-vet-{A}-2025-03-03-2025-03-03.xlsx\"")
    );
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(xlsx.bytes().unwrap().to_vec())).unwrap();
    let rows: Vec<Vec<Data>> = book.worksheet_range("truy-vet").unwrap().rows().map(|r| r.to_vec()).collect();
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[0][3], Data::String("gates".into()));
    assert_eq!(rows[1][1], Data::String("NV0001".into()));
    assert_eq!(rows[1][2], Data::String("Trần Thị Bình".into()));
    assert_eq!(rows[2][3], Data::String("Cổng a-gate-2".into()));
    assert_eq!(rows[1][4], Data::Float(90.0));

    // A trace posted without its form's token, or with another session's, is refused unrun.
    let traces = |pg: &Postgres| pg.count("SELECT count(*) FROM audit_log WHERE action IN ('trace', 'export')");
    let before = traces(&p.pg);
    let other = form_token(&get_page(&p.server, "/console", &session_cookie_of(&p.server, ADMIN)).text().unwrap());
    for token in ["", other.as_str()] {
        let answer = post_form(&p.server, "/console/trace", &admin, &nv0100(token, &[]));
        assert_eq!(answer.status(), 403, "{token:?}");
        assert!(answer.text().unwrap().contains("data-code=\"csrf_refused\""));
    }
    assert_eq!(traces(&p.pg), before, "nothing traced");

    // The audit log and the record of processing say who traced, where, when and how many; never whom.
    let log = p.pg.query(
        "SELECT string_agg(action || ' ' || account || ' ' || detail, E'\\n' ORDER BY id) FROM audit_log
         WHERE action IN ('trace', 'export')",
    );
    assert!(log.contains(&format!("trace admin {A}: worker from 2025-03-03 to 2025-03-03, 4 people")), "{log}");
    assert!(log.contains(&format!("trace admin {A}: visitor by CCCD number from 2025-03-03 to 2025-03-03, 2 people")));
    assert!(log.contains(&format!("trace admin {A}: visitor by CCCD number from 2025-03-03 to 2025-03-03, not found")));
    assert!(log.contains(&format!("export admin CSV of {A}: worker from 2025-03-03 to 2025-03-03, 4 people")));
    assert!(log.contains(&format!("export admin XLSX of {A}: worker")), "{log}");
    let record = p.pg.query("SELECT string_agg(actor || ' ' || detail, E'\\n' ORDER BY id) FROM processing_log");
    assert!(record.contains("admin worker from 2025-03-03 to 2025-03-03"), "{record}");
    for whom in ["NV0100", "nv0100", NUMBER, "079090009999", p.visitor.as_str()] {
        assert!(!log.contains(whom) && !record.contains(whom), "{whom} in\n{log}\n{record}");
    }
    browser.goto(&format!("{}/console/audit", p.server.url));
    let actions = browser.attributes("#audit tbody tr", "data-action");
    assert!(actions.contains(&"trace".to_string()) && actions.contains(&"export".to_string()), "{actions:?}");
    assert!(!browser.source().contains("NV0100") && !browser.source().contains(NUMBER));

    // The enterprise's record of processing, linked from its page.
    browser.goto(&format!("{}/console/enterprise/{A}", p.server.url));
    browser.click("#processing-link");
    browser.wait_for_url("the record of processing", &format!("/console/enterprise/{A}/processing"));
    let actors = browser.attributes("#processing tbody tr", "data-actor");
    assert!(actors.len() >= 8 && actors.iter().all(|a| a == "admin"), "{actors:?}");
    let people = browser.attributes("#processing tbody tr", "data-people");
    assert_eq!(people[0], "4", "the newest: the XLSX download's trace");
    assert!(people.contains(&"0".to_string()), "the number not found is recorded too");
    let page = browser.source();
    assert!(!page.contains("NV0100") && !page.contains(NUMBER) && !page.contains(&p.visitor));
    assert!(browser.text("h1").contains("Hồ sơ xử lý dữ liệu cá nhân"));
    assert!(
        browser.text("#processing tbody").contains("Nhân viên, từ 03/03/2025 đến 03/03/2025"),
        "said in Vietnamese"
    );
    browser.screenshot("console-processing.png");

    // The server's own log never holds whom a trace was about.
    let server_log = p.server.log();
    for whom in ["NV0100", "nv0100", NUMBER, "079090009999"] {
        assert!(!server_log.contains(whom), "{whom} in the server's log:\n{server_log}");
    }

    // Only the province's roles trace; an enterprise reads its own record, no other.
    let viewer = session_cookie_of(&p.server, VIEWER);
    let refused = get_page(&p.server, "/console/trace", &viewer);
    assert_eq!(refused.status(), 403);
    assert!(refused.text().unwrap().contains("data-code=\"forbidden\""));
    let viewer_csrf = form_token(&get_page(&p.server, "/console", &viewer).text().unwrap());
    let posted = post_form(&p.server, "/console/trace", &viewer, &nv0100(&viewer_csrf, &[]));
    assert_eq!(posted.status(), 403);
    let exported = post_form(&p.server, "/console/trace/export", &viewer, &nv0100(&viewer_csrf, &[("format", "csv")]));
    assert_eq!(exported.status(), 403);
    assert_eq!(get_page(&p.server, &format!("/console/enterprise/{A}/processing"), &viewer).status(), 403);
    assert_eq!(get_page(&p.server, &format!("/console/enterprise/{B}/processing"), &viewer).status(), 200);
    let officer = session_cookie_of(&p.server, OFFICER);
    assert_eq!(get_page(&p.server, "/console/trace", &officer).status(), 200);

    browser.click("#sign-out");
    browser.wait_for_url("the sign-in page", "/console/sign-in");
    browser.sign_in(&p.server, VIEWER);
    browser.wait_for_url("the viewer's overview", "/console");
    assert!(browser.try_find("#nav-trace").is_none() && browser.try_find("#nav-accounts").is_none());
    browser.goto(&format!("{}/console/trace", p.server.url));
    assert_eq!(browser.attribute("#refusal", "data-code").as_deref(), Some("forbidden"));
    assert_eq!(browser.text("#refusal"), "Tài khoản này không được xem trang này.");
    browser.goto(&format!("{}/console/enterprise/{A}/processing", p.server.url));
    assert_eq!(browser.attribute("#refusal", "data-code").as_deref(), Some("forbidden"));
    browser.goto(&format!("{}/console/enterprise/{B}/processing", p.server.url));
    assert!(browser.try_find("#refusal").is_none());
}

#[test]
fn kiosks_and_accounts_are_managed_from_the_console() {
    let p = Province::start();
    let browser = Browser::start(1280, 1000);
    browser.sign_in(&p.server, ADMIN);
    browser.wait_for_url("the overview", "/console");
    browser.click("#nav-kiosks");
    browser.wait_for_url("the kiosks page", "/console/kiosks");
    assert_eq!(browser.attributes("#kiosk-list tbody tr", "data-kiosk"), ["a-gate-1", "a-gate-2", "b-gate-1"]);
    assert!(browser.text("#kiosk-list tr[data-kiosk=\"a-gate-1\"] td").contains(A_NAME), "the name as text");

    // A bad key is refused with what was typed kept; the right one registers the kiosk.
    let a3 = Kiosk::join(&p._kiosks[0], "a-gate-3", 44);
    browser.type_into("#tax_code", A);
    browser.type_into("#enterprise_name", A_NAME);
    browser.type_into("#kiosk_id", "a-gate-3");
    browser.type_into("#public_key", "abcd");
    browser.press("#register-submit");
    assert_eq!(browser.attribute("#problem", "data-code").as_deref(), Some("public_key"));
    assert_eq!(browser.attribute("#kiosk_id", "value").as_deref(), Some("a-gate-3"));
    assert_eq!(browser.attribute("#enterprise_name", "value").as_deref(), Some(A_NAME));
    browser.type_into("#public_key", &a3.public_key());
    browser.press("#register-submit");
    assert_eq!(browser.text("#notice"), "Đã đăng ký kiosk a-gate-3.");
    assert_eq!(browser.attribute("#kiosk_id", "value").as_deref(), Some(""), "a fresh form");
    browser.type_into("#tax_code", A);
    browser.type_into("#enterprise_name", A_NAME);
    browser.type_into("#kiosk_id", "a-gate-3");
    browser.type_into("#public_key", &a3.public_key());
    browser.press("#register-submit");
    assert_eq!(browser.attribute("#problem", "data-code").as_deref(), Some("kiosk_exists"));

    // The kiosk registered from the page pushes.
    a3.add_events(2, 1, Utc::now() - chrono::Duration::minutes(5));
    assert_eq!(a3.sync(&p.server.url, T).unwrap().pushed, 2);
    browser.goto(&format!("{}/console/kiosks", p.server.url));
    assert_eq!(
        browser.attribute("#kiosk-list tr[data-kiosk=\"a-gate-3\"]", "data-status").as_deref(),
        Some("online"),
        "it synced"
    );
    browser.resize(1280, 1150);
    browser.screenshot("console-kiosks.png");
    browser.resize(390, 1600);
    browser.screenshot("console-kiosks-phone.png");
    browser.resize(1280, 1000);

    // Revoked from the page, after a confirmation, it is refused.
    browser.press("#revoke-a-gate-3");
    assert!(browser.text("h1").contains("a-gate-3"), "{}", browser.text("h1"));
    assert_eq!(p.pg.count("SELECT count(*) FROM kiosks WHERE revoked_at IS NOT NULL"), 0, "not before it is confirmed");
    browser.press("#confirm-revoke");
    assert_eq!(browser.text("#notice"), "Đã thu hồi kiosk a-gate-3.");
    assert_eq!(browser.attribute("#kiosk-list tr[data-kiosk=\"a-gate-3\"]", "data-status").as_deref(), Some("revoked"));
    assert!(browser.try_find("#revoke-a-gate-3").is_none());
    a3.add_events(1, 1, Utc::now());
    assert!(a3.sync(&p.server.url, T).is_err(), "a revoked kiosk is refused");
    let kiosk_log = p.pg.query(
        "SELECT string_agg(action || ' ' || detail, '|' ORDER BY id) FROM audit_log
         WHERE account = 'admin' AND action LIKE 'kiosk%'",
    );
    assert_eq!(kiosk_log, format!("kiosk_register a-gate-3 for {A}|kiosk_revoke a-gate-3"));

    // Accounts: the list, a new one (the password typed twice), and one disabled.
    browser.click("#nav-accounts");
    browser.wait_for_url("the accounts page", "/console/accounts");
    assert_eq!(browser.attributes("#account-list tbody tr", "data-login"), ["admin", "can.bo", "dien.tu.bd"]);
    assert!(browser.try_find("[id=\"disable-admin\"]").is_none(), "not one's own account");
    assert!(browser.text("#account-list tr[data-login=\"admin\"]").contains(":"), "admin's last sign-in");
    const HR: (&str, &str) = ("hr.may", "mật khẩu nhân sự 2025");
    browser.type_into("#login", HR.0);
    browser.type_into("#display_name", "Phòng nhân sự <May> & Co");
    browser.click("#role option[value=\"enterprise_viewer\"]");
    browser.click(&format!("#enterprise option[value=\"{A}\"]"));
    browser.type_into("#password", HR.1);
    browser.type_into("#password_again", "một mật khẩu khác 2025");
    browser.press("#account-submit");
    assert_eq!(browser.attribute("#problem", "data-code").as_deref(), Some("passwords_differ"));
    assert_eq!(browser.attribute("#login", "value").as_deref(), Some(HR.0));
    assert_eq!(browser.attribute("#password", "value"), None, "a password is never sent back");
    browser.type_into("#password", HR.1);
    browser.type_into("#password_again", HR.1);
    browser.press("#account-submit");
    assert_eq!(browser.text("#notice"), "Đã tạo tài khoản hr.may.");
    assert_eq!(browser.text("#account-list tr[data-login=\"hr.may\"] td:nth-child(2)"), "Phòng nhân sự <May> & Co");
    let hr = session_cookie_of(&p.server, HR);
    assert_eq!(get_page(&p.server, &format!("/console/enterprise/{A}"), &hr).status(), 200);
    assert_eq!(get_page(&p.server, &format!("/console/enterprise/{B}"), &hr).status(), 403);
    browser.resize(1280, 1400);
    browser.screenshot("console-accounts.png");
    browser.press("[id=\"disable-hr.may\"]");
    assert!(browser.text("#notice").contains("hr.may"));
    assert_eq!(browser.attribute("#account-list tr[data-login=\"hr.may\"]", "data-state").as_deref(), Some("disabled"));
    assert_eq!(get_page(&p.server, "/console", &hr).status(), 303, "its session ended");
    let account_log = p.pg.query(
        "SELECT string_agg(action || ' ' || detail, '|' ORDER BY id) FROM audit_log
         WHERE account = 'admin' AND action LIKE 'account%'",
    );
    assert_eq!(account_log, format!("account_add hr.may (enterprise_viewer, {A})|account_disable hr.may"));
    assert!(!browser.source().contains(HR.1));
    browser.resize(390, 1600);
    browser.screenshot("console-accounts-phone.png");

    // An officer reads the kiosks but changes nothing, and has no accounts page.
    let officer = session_cookie_of(&p.server, OFFICER);
    let kiosks = get_page(&p.server, "/console/kiosks", &officer);
    assert_eq!(kiosks.status(), 200);
    let page = kiosks.text().unwrap();
    assert!(!page.contains("id=\"register-form\"") && !page.contains("id=\"revoke-"), "read only");
    let csrf = form_token(&page);
    assert_eq!(get_page(&p.server, "/console/accounts", &officer).status(), 403);
    let add = [("csrf", csrf.as_str()), ("login", "x.y.z"), ("display_name", "X"), ("role", "province_admin")];
    assert_eq!(post_form(&p.server, "/console/accounts/add", &officer, &add).status(), 403);
    let revoke = [("csrf", csrf.as_str()), ("kiosk_id", "a-gate-1"), ("confirm", "yes")];
    assert_eq!(post_form(&p.server, "/console/kiosks/revoke", &officer, &revoke).status(), 403);
    assert_eq!(p.pg.count("SELECT count(*) FROM kiosks WHERE revoked_at IS NOT NULL"), 1);
    // A viewer sees its own enterprise's kiosks only.
    let viewer = session_cookie_of(&p.server, VIEWER);
    let page = get_page(&p.server, "/console/kiosks", &viewer).text().unwrap();
    assert!(page.contains("data-kiosk=\"b-gate-1\"") && !page.contains("data-kiosk=\"a-gate-1\""));
}
