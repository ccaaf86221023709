//! The province's console through a real headless Chromium (Debian's `chromium` and
//! `chromium-driver`, driven over WebDriver by the small client below) against the real server on
//! a real PostgreSQL, with kiosks that synced real events: signing in, the overview, an
//! enterprise's page and its chart, the viewer held to their own enterprise, the audit log for
//! the admin alone, the lock after five wrong passwords. Forms without their CSRF token are
//! posted over plain HTTP, as an attacker's page would. Screenshots go to tests/artifacts/.
//!
//! Nothing here depends on the hour: the pages say which day they count, and the test reads
//! that day off the page before it works out what the counts must be.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};
use serde_json::{json, Value};

use crate::harness::*;

mod pages;

const A: &str = "0101234567";
const B: &str = "0309876543";
const A_NAME: &str = "Công ty May <Sài Gòn> & Co";
const B_NAME: &str = "Công ty Điện tử Bình Dương";
const CARD: &str = "079090001234|025123456|Nguyễn Văn An|15031990|Nam|12 Lê Lợi, Quận 1|15082021";
const T: Duration = Duration::from_secs(30);

const ADMIN: (&str, &str) = ("admin", "mật khẩu của quản trị 2025");
const OFFICER: (&str, &str) = ("can.bo", "mật khẩu của cán bộ 2025");
const VIEWER: (&str, &str) = ("dien.tu.bd", "mật khẩu doanh nghiệp 2025");

/// Runs `qrgate-server user …` with `stdin` as its standard input: (success, stdout + stderr).
fn user_cli(db: &str, args: &[&str], stdin: &str) -> (bool, String) {
    let (ok, out, err) = server_cli_input(db, &[&["user"], args].concat(), stdin);
    (ok, out + &err)
}

fn add_user(db: &str, (login, password): (&str, &str), name: &str, role: &str, enterprise: Option<&str>) {
    let mut args = vec!["add", "--login", login, "--name", name, "--role", role];
    if let Some(enterprise) = enterprise {
        args.extend(["--enterprise", enterprise]);
    }
    let (ok, out) = user_cli(db, &args, &format!("{password}\n"));
    assert!(ok, "user add {login}: {out}");
}

fn register(db: &str, kiosk: &Kiosk, name: &str) {
    let key = kiosk.public_key();
    let args = [
        "kiosk",
        "add",
        "--enterprise",
        &kiosk.enterprise,
        "--enterprise-name",
        name,
        "--kiosk-id",
        &kiosk.kiosk_id,
        "--pubkey",
        &key,
    ];
    let (ok, out) = server_cli(db, &args);
    assert!(ok, "kiosk add: {out}");
}

fn vietnam(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&FixedOffset::east_opt(7 * 3600).unwrap()).date_naive()
}

/// An event the test wrote for enterprise A: when, and whether it was an entry.
struct Written {
    at: DateTime<Utc>,
    entry: bool,
}

/// A province of two enterprises whose kiosks synced: at A, two workers and a visitor are inside
/// now (a third worker came in and went out again by the other gate), four workers came in three
/// days ago; at B, one worker is inside.
struct Province {
    // The server goes first: PostgreSQL's smart shutdown waits for its connections to close.
    server: Server,
    pg: Postgres,
    a_events: Vec<Written>,
    three_days_ago: NaiveDate,
    _kiosks: Vec<Kiosk>,
}

impl Province {
    fn start() -> Province {
        let pg = Postgres::start(false);
        let server = Server::start(&pg.url, 0);
        let a1 = Kiosk::init(A, "a-gate-1", 41);
        let a2 = Kiosk::join(&a1, "a-gate-2", 42);
        let b1 = Kiosk::init(B, "b-gate-1", 43);
        register(&pg.url, &a1, A_NAME);
        register(&pg.url, &a2, A_NAME);
        register(&pg.url, &b1, B_NAME);

        let now = Utc::now();
        let minutes = |m: i64| now - chrono::Duration::minutes(m);
        let mut a_events = Vec::new();
        // a-gate-1: NV0000, NV0001, NV0002 in, a minute apart, twenty minutes ago.
        a1.add_events(3, 3, minutes(20));
        a_events.extend((0..3).map(|i| Written { at: minutes(20 - i), entry: true }));
        // The visitor, through the gate's own decision.
        a1.visit(CARD, minutes(15));
        a_events.push(Written { at: minutes(15), entry: true });
        // a-gate-2: NV0000 in and out again.
        a2.add_events(2, 1, minutes(10));
        a_events.extend([Written { at: minutes(10), entry: true }, Written { at: minutes(9), entry: false }]);
        // Three days ago at 08:00 (+07:00): four workers in (their stays are long over).
        let three_days_ago = vietnam(now) - chrono::Days::new(3);
        let morning = FixedOffset::east_opt(7 * 3600)
            .unwrap()
            .from_local_datetime(&three_days_ago.and_hms_opt(8, 0, 0).unwrap())
            .unwrap()
            .with_timezone(&Utc);
        a1.add_events(4, 4, morning);
        a_events.extend((0..4).map(|i| Written { at: morning + chrono::Duration::minutes(i), entry: true }));
        b1.add_events(1, 1, minutes(5));
        for kiosk in [&a1, &a2, &b1] {
            kiosk.sync(&server.url, T).unwrap();
        }
        assert_eq!(pg.count(&format!("SELECT count(*) FROM events WHERE enterprise = '{A}'")), a_events.len() as u64);

        add_user(&pg.url, ADMIN, "Nguyễn Quản Trị", "province_admin", None);
        add_user(&pg.url, OFFICER, "Trần Cán Bộ", "province_officer", None);
        add_user(&pg.url, VIEWER, "Lê Doanh Nghiệp", "enterprise_viewer", Some(B));
        Province { server, pg, a_events, three_days_ago, _kiosks: vec![a1, a2, b1] }
    }

    /// Events A wrote on `day`, and how many of them were entries.
    fn a_on(&self, day: NaiveDate) -> (usize, usize) {
        let of_day: Vec<&Written> = self.a_events.iter().filter(|e| vietnam(e.at) == day).collect();
        (of_day.len(), of_day.iter().filter(|e| e.entry).count())
    }
}

/// Where screenshots go: $ARTIFACTS, or tests/artifacts/ at the top of the repository.
fn artifacts() -> PathBuf {
    let dir = std::env::var_os("ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/artifacts"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A headless Chromium behind its chromedriver, spoken to in WebDriver's JSON over loopback.
struct Browser {
    driver: Child,
    session: String,
    http: reqwest::blocking::Client,
    _profile: tempfile::TempDir,
}

/// The key of an element reference in WebDriver's JSON.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Browser {
    fn start(width: u32, height: u32) -> Browser {
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver: install Debian's chromium and chromium-driver (tools/setup.sh does)");
        let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
        let base = format!("http://127.0.0.1:{port}");
        wait_for("chromedriver to be ready", Duration::from_secs(30), || {
            let status: Value = http.get(format!("{base}/status")).send().ok()?.json().ok()?;
            status["value"]["ready"].as_bool().filter(|r| *r)
        });
        let profile = tempfile::tempdir().unwrap();
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--no-first-run", "--disable-extensions", "--lang=vi-VN", "--hide-scrollbars",
                    format!("--user-data-dir={}", profile.path().display()),
                    format!("--window-size={width},{height}"),
                ],
            },
        }}});
        let answer: Value = http.post(format!("{base}/session")).json(&capabilities).send().unwrap().json().unwrap();
        let id = answer["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no WebDriver session: {answer}"));
        Browser { driver, session: format!("{base}/session/{id}"), http, _profile: profile }
    }

    fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self.http.request(method, format!("{}{path}", self.session));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer: Value = request.send().unwrap().json().unwrap();
        if answer["value"]["error"].is_string() {
            panic!("WebDriver {path}: {}", answer["value"]);
        }
        answer["value"].clone()
    }

    fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({ "url": url })));
    }

    fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", None).as_str().unwrap().to_string()
    }

    fn try_find(&self, css: &str) -> Option<String> {
        let mut request = self.http.post(format!("{}/elements", self.session));
        request = request.json(&json!({ "using": "css selector", "value": css }));
        let answer: Value = request.send().unwrap().json().unwrap();
        answer["value"].as_array()?.first().map(|e| e[ELEMENT].as_str().unwrap().to_string())
    }

    fn find(&self, css: &str) -> String {
        self.try_find(css).unwrap_or_else(|| panic!("no {css} on {}:\n{}", self.url(), self.source()))
    }

    fn text(&self, css: &str) -> String {
        let id = self.find(css);
        self.call(reqwest::Method::GET, &format!("/element/{id}/text"), None).as_str().unwrap().to_string()
    }

    fn attribute(&self, css: &str, name: &str) -> Option<String> {
        let id = self.find(css);
        self.call(reqwest::Method::GET, &format!("/element/{id}/attribute/{name}"), None).as_str().map(String::from)
    }

    fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css);
        self.call(reqwest::Method::POST, &format!("/element/{id}/clear"), Some(json!({})));
        self.call(reqwest::Method::POST, &format!("/element/{id}/value"), Some(json!({ "text": text })));
    }

    fn click(&self, css: &str) {
        let id = self.find(css);
        self.call(reqwest::Method::POST, &format!("/element/{id}/click"), Some(json!({})));
    }

    fn source(&self) -> String {
        self.call(reqwest::Method::GET, "/source", None).as_str().unwrap_or_default().to_string()
    }

    fn resize(&self, width: u32, height: u32) {
        self.call(reqwest::Method::POST, "/window/rect", Some(json!({ "width": width, "height": height })));
    }

    fn screenshot(&self, name: &str) {
        let png = base64_decode(self.call(reqwest::Method::GET, "/screenshot", None).as_str().unwrap());
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        std::fs::write(artifacts().join(name), png).unwrap();
    }

    /// The page as the browser prints it (A4), for a look at the print rules.
    fn print(&self, name: &str) {
        let page = json!({ "page": { "width": 21.0, "height": 29.7 }, "background": false });
        let pdf = base64_decode(self.call(reqwest::Method::POST, "/print", Some(page)).as_str().unwrap());
        assert!(pdf.starts_with(b"%PDF"), "a PDF");
        std::fs::write(artifacts().join(name), pdf).unwrap();
    }

    /// Signs in through the form, as a person would, and waits for the page it leads to (a new
    /// document: the button pressed is no longer in it, even when the page is the form again).
    fn sign_in(&self, server: &Server, (login, password): (&str, &str)) {
        self.goto(&format!("{}/console/sign-in", server.url));
        self.type_into("#login", login);
        self.type_into("#password", password);
        let pressed = self.find("#submit");
        self.click("#submit");
        wait_for("the answer to the sign-in form", Duration::from_secs(20), || {
            (self.try_find("#submit").as_ref() != Some(&pressed)).then_some(())
        });
    }

    /// Every element `css` finds, in the document's order: the attribute `name` of each.
    fn attributes(&self, css: &str, name: &str) -> Vec<String> {
        let request = self.http.post(format!("{}/elements", self.session));
        let answer: Value =
            request.json(&json!({ "using": "css selector", "value": css })).send().unwrap().json().unwrap();
        let ids: Vec<String> = answer["value"]
            .as_array()
            .map(|found| found.iter().map(|e| e[ELEMENT].as_str().unwrap().to_string()).collect())
            .unwrap_or_default();
        ids.iter()
            .map(|id| {
                let value = self.call(reqwest::Method::GET, &format!("/element/{id}/attribute/{name}"), None);
                value.as_str().unwrap_or_default().to_string()
            })
            .collect()
    }

    /// Clicks a button that posts a form and waits for the page it answers with (a new document).
    fn press(&self, css: &str) {
        let before = self.find("html");
        self.click(css);
        wait_for("the answer to the form", Duration::from_secs(30), || {
            (self.try_find("html").as_ref() != Some(&before)).then_some(())
        });
    }

    fn wait_for_url(&self, what: &str, ends_with: &str) {
        wait_for(what, Duration::from_secs(20), || self.url().ends_with(ends_with).then_some(()));
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.http.delete(&self.session).send();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Standard base64 (WebDriver's screenshots), padding allowed.
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let bytes: Vec<u8> = text.bytes().filter(|c| !c.is_ascii_whitespace() && *c != b'=').map(value).collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, v)| n | u32::from(*v) << (18 - 6 * i));
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}

#[test]
fn base64_decodes_what_webdriver_sends() {
    assert_eq!(base64_decode("iVBORw0KGgo="), b"\x89PNG\r\n\x1a\n");
    assert_eq!(base64_decode("YWI="), b"ab");
    assert_eq!(base64_decode("YQ=="), b"a");
}

#[test]
fn the_console_signs_in_and_shows_the_overview_an_enterprise_and_the_audit_log() {
    let p = Province::start();
    let browser = Browser::start(1280, 1000);

    // Unsigned, the console sends to the sign-in page.
    browser.goto(&format!("{}/console", p.server.url));
    browser.wait_for_url("the sign-in page", "/console/sign-in");
    assert_eq!(browser.attribute("html", "lang").as_deref(), Some("vi"));
    browser.sign_in(&p.server, ADMIN);
    browser.wait_for_url("the overview", "/console");
    assert_eq!(browser.text("#who"), "Nguyễn Quản Trị");

    // The overview: the day it counts, then each enterprise's people inside and events that day.
    let today = NaiveDate::parse_from_str(&browser.attribute("#today", "datetime").unwrap(), "%Y-%m-%d").unwrap();
    assert_eq!(browser.text("#today"), today.format("%d/%m/%Y").to_string());
    let row = format!("tr[data-tax-code=\"{A}\"]");
    assert_eq!(browser.text(&format!("{row} a")), A_NAME, "the name is shown as text, markup and all");
    assert_eq!(browser.attribute(&format!("{row} [data-inside]"), "data-inside").as_deref(), Some("3"));
    let (events_today, entries_today) = p.a_on(today);
    assert_eq!(
        browser.attribute(&format!("{row} [data-events-today]"), "data-events-today"),
        Some(events_today.to_string())
    );
    // Every kiosk synced a moment ago: online, with its last sync.
    let a2 = format!("{row} li[data-kiosk=\"a-gate-2\"]");
    assert_eq!(browser.attribute(&a2, "data-status").as_deref(), Some("online"));
    assert!(browser.text(&a2).contains("Đang kết nối") && browser.text(&a2).contains("Đồng bộ gần nhất"));
    let b_row = format!("tr[data-tax-code=\"{B}\"]");
    assert_eq!(browser.attribute(&format!("{b_row} [data-inside]"), "data-inside").as_deref(), Some("1"));
    assert_eq!(browser.text("#total-inside"), "4");
    browser.screenshot("console-overview-vi.png");

    // B's kiosk stopped syncing two hours ago (its last sync moved back, not a two-hour wait):
    // the overview calls it silent, the other kiosks stay online.
    p.pg.query("UPDATE kiosk_health SET last_sync_at_ms = last_sync_at_ms - 7200000 WHERE kiosk_id = 'b-gate-1'");
    browser.goto(&format!("{}/console", p.server.url));
    let b1 = format!("{b_row} li[data-kiosk=\"b-gate-1\"]");
    assert_eq!(browser.attribute(&b1, "data-status").as_deref(), Some("silent"));
    assert!(browser.text(&b1).contains("Mất liên lạc"), "{}", browser.text(&b1));
    assert_eq!(browser.attribute(&a2, "data-status").as_deref(), Some("online"));
    browser.screenshot("console-overview-silent-vi.png");

    // The province's JSON answer says the same.
    assert_eq!(p.server.inside(A).as_array().unwrap().len(), 3);

    // In English, on the same page.
    browser.click("#lang");
    browser.wait_for_url("the English overview", "/console?lang=en");
    assert_eq!(browser.attribute("html", "lang").as_deref(), Some("en"));
    assert_eq!(browser.text("h1"), "Overview");
    browser.screenshot("console-overview-en.png");

    // The enterprise's page, reached by its link: inside by kind, the chart, the gates.
    browser.click(&format!("{row} a"));
    browser.wait_for_url("A's page", &format!("/console/enterprise/{A}?lang=en"));
    assert_eq!(browser.text("#enterprise-name"), A_NAME);
    assert_eq!(browser.text("#inside-workers"), "2");
    assert_eq!(browser.text("#inside-visitors"), "1");
    // Its kiosks with what their health reports said: the version they run, nothing waiting.
    let a1 = "#kiosks tr[data-kiosk=\"a-gate-1\"]";
    assert_eq!(browser.attribute(a1, "data-status").as_deref(), Some("online"));
    let a1_text = browser.text(a1);
    assert!(a1_text.contains("Online") && a1_text.contains(env!("CARGO_PKG_VERSION")), "{a1_text}");
    let bar = |day: NaiveDate| {
        browser
            .attribute(&format!("#entries-chart g[data-day=\"{day}\"]"), "data-entries")
            .unwrap()
            .parse::<usize>()
            .unwrap()
    };
    assert_eq!(bar(today), entries_today);
    assert_eq!(bar(p.three_days_ago), p.a_on(p.three_days_ago).1);
    assert_eq!(p.a_on(p.three_days_ago).1, 4);
    assert!(browser.try_find(&format!("#entries-chart g[data-day=\"{}\"]", today - chrono::Days::new(29))).is_some());
    assert!(browser.try_find(&format!("#entries-chart g[data-day=\"{}\"]", today - chrono::Days::new(30))).is_none());
    let gates = browser.text("#gates");
    assert!(gates.contains("a-gate-1") && gates.contains("a-gate-2"), "{gates}");
    browser.resize(1280, 1300);
    browser.screenshot("console-enterprise-en.png");
    browser.click("#lang");
    browser.wait_for_url("A's page in Vietnamese", &format!("/console/enterprise/{A}"));
    assert!(browser.text("h2").contains("Lượt vào mỗi ngày"));
    browser.screenshot("console-enterprise-vi.png");
    browser.print("console-enterprise-vi.pdf");

    // On a phone the same pages, each row a card.
    browser.resize(390, 844);
    browser.goto(&format!("{}/console", p.server.url));
    browser.screenshot("console-overview-phone.png");
    browser.resize(1280, 1000);

    // Signing out ends the session: the console sends to the sign-in page again.
    browser.click("#sign-out");
    browser.wait_for_url("the sign-in page after signing out", "/console/sign-in");
    browser.goto(&format!("{}/console", p.server.url));
    browser.wait_for_url("the sign-in page, signed out", "/console/sign-in");

    // An officer sees every enterprise but not the audit log: no link, and a refusal by URL.
    browser.sign_in(&p.server, OFFICER);
    browser.wait_for_url("the officer's overview", "/console");
    assert!(browser.try_find(&format!("tr[data-tax-code=\"{A}\"]")).is_some());
    assert!(browser.try_find("a[href^=\"/console/audit\"]").is_none());
    browser.goto(&format!("{}/console/audit", p.server.url));
    assert_eq!(browser.attribute("#refusal", "data-code").as_deref(), Some("forbidden"));
    assert_eq!(browser.text("#refusal"), "Tài khoản này không được xem trang này.");
    browser.click("#sign-out");
    browser.wait_for_url("the sign-in page", "/console/sign-in");

    // The admin reads every sign-in and sign-out, newest first.
    browser.sign_in(&p.server, ADMIN);
    browser.wait_for_url("the overview", "/console");
    browser.goto(&format!("{}/console/audit", p.server.url));
    let actions: Vec<(String, String)> = browser
        .source()
        .split("<tr data-action=\"")
        .skip(1)
        .map(|tr| {
            let action = tr.split('"').next().unwrap().to_string();
            let account = tr.split("data-account=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
            (action, account)
        })
        .collect();
    let pairs: Vec<(&str, &str)> = actions.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    assert_eq!(
        &pairs[..5],
        [
            ("sign_in", "admin"),
            ("sign_out", "can.bo"),
            ("sign_in", "can.bo"),
            ("sign_out", "admin"),
            ("sign_in", "admin")
        ],
        "{pairs:?}"
    );
    assert!(pairs.contains(&("account_add", "")) && pairs.contains(&("kiosk_register", "")), "{pairs:?}");
    assert!(!browser.source().contains(ADMIN.1), "no password in the log");
    browser.screenshot("console-audit-vi.png");
}

#[test]
fn an_enterprise_viewer_sees_only_their_own_enterprise_and_wrong_passwords_lock() {
    let p = Province::start();
    let browser = Browser::start(1280, 900);
    browser.sign_in(&p.server, VIEWER);
    browser.wait_for_url("the viewer's overview", "/console");
    assert!(browser.try_find(&format!("tr[data-tax-code=\"{B}\"]")).is_some());
    assert!(browser.try_find(&format!("tr[data-tax-code=\"{A}\"]")).is_none(), "another enterprise is not listed");
    assert!(!browser.source().contains("Sài Gòn"));
    browser.click(&format!("tr[data-tax-code=\"{B}\"] a"));
    browser.wait_for_url("B's page", &format!("/console/enterprise/{B}"));
    assert_eq!(browser.text("#inside-workers"), "1");

    // The viewer edits the address to another enterprise, or to one that does not exist: refused
    // alike, so the answer does not say which tax codes are registered.
    for other in [A, "0000000000"] {
        browser.goto(&format!("{}/console/enterprise/{other}", p.server.url));
        assert_eq!(browser.attribute("#refusal", "data-code").as_deref(), Some("forbidden"), "{other}");
        assert!(!browser.source().contains("Sài Gòn"));
    }
    browser.screenshot("console-forbidden-vi.png");
    let status = reqwest::blocking::Client::new()
        .get(format!("{}/console/enterprise/{A}", p.server.url))
        .header("cookie", session_cookie_of(&p.server, VIEWER))
        .send()
        .unwrap()
        .status();
    assert_eq!(status, 403);
    browser.click("#sign-out");
    browser.wait_for_url("the sign-in page", "/console/sign-in");

    // Four wrong passwords are refused as wrong; the fifth locks the account for 15 minutes.
    let before = Utc::now().timestamp_millis();
    for _ in 0..4 {
        browser.sign_in(&p.server, (OFFICER.0, "not the password at all"));
        assert_eq!(browser.attribute("#refusal", "data-code").as_deref(), Some("wrong_password"));
        assert_eq!(browser.text("#refusal"), "Sai tên đăng nhập hoặc mật khẩu.");
        assert_eq!(browser.attribute("#login", "value").as_deref(), Some(OFFICER.0), "the login is kept");
    }
    browser.sign_in(&p.server, (OFFICER.0, "not the password at all"));
    let after = Utc::now().timestamp_millis();
    assert_eq!(browser.attribute("#refusal", "data-code").as_deref(), Some("account_locked"));
    let until: i64 =
        p.pg.query(&format!("SELECT locked_until_ms FROM accounts WHERE login = '{}'", OFFICER.0)).parse().unwrap();
    assert!((before + 15 * 60_000..=after + 15 * 60_000).contains(&until), "{before} {until} {after}");
    let until_text = Utc.timestamp_millis_opt(until).unwrap().with_timezone(&FixedOffset::east_opt(7 * 3600).unwrap());
    assert!(browser.text("#refusal").contains(&until_text.format("%H:%M %d/%m/%Y").to_string()));
    browser.screenshot("console-locked-vi.png");

    // Locked, the right password is refused too.
    browser.sign_in(&p.server, OFFICER);
    assert_eq!(browser.attribute("#refusal", "data-code").as_deref(), Some("account_locked"));
    assert!(browser.url().ends_with("/console/sign-in"));
    let failed = p.pg.count(&format!(
        "SELECT count(*) FROM audit_log WHERE action = 'sign_in_failed' AND account = '{}'",
        OFFICER.0
    ));
    assert_eq!(failed, 6);

    // A new password from IT lifts the lock.
    let (ok, out) = user_cli(&p.pg.url, &["passwd", "--login", OFFICER.0], "một mật khẩu mới 2025\n");
    assert!(ok, "{out}");
    browser.sign_in(&p.server, (OFFICER.0, "một mật khẩu mới 2025"));
    browser.wait_for_url("the officer's overview", "/console");
}

/// Signs in over plain HTTP and returns the `Cookie` header of the session.
fn session_cookie_of(server: &Server, (login, password): (&str, &str)) -> String {
    let http = plain_http();
    let (form_cookie, csrf) = sign_in_form(&http, server);
    let answer = http
        .post(format!("{}/console/sign-in", server.url))
        .header("cookie", &form_cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string([("csrf", csrf.as_str()), ("login", login), ("password", password)]).unwrap())
        .send()
        .unwrap();
    assert_eq!(answer.status(), 303, "{login} signs in");
    let cookie = set_cookie(&answer, "qrgate_session").expect("a session cookie");
    cookie.split(';').next().unwrap().to_string()
}

fn plain_http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// The sign-in page's cookie (as a `Cookie` header) and the token its form carries.
fn sign_in_form(http: &reqwest::blocking::Client, server: &Server) -> (String, String) {
    let answer = http.get(format!("{}/console/sign-in", server.url)).send().unwrap();
    let cookie = set_cookie(&answer, "qrgate_sign_in").expect("the form's cookie");
    (cookie.split(';').next().unwrap().to_string(), form_token(&answer.text().unwrap()))
}

fn set_cookie(answer: &reqwest::blocking::Response, name: &str) -> Option<String> {
    answer
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with(&format!("{name}=")))
}

fn form_token(page: &str) -> String {
    let after = page.split("name=\"csrf\" value=\"").nth(1).expect("a form with its token");
    after.split('"').next().unwrap().to_string()
}

#[test]
fn forms_posted_without_their_csrf_token_are_refused() {
    let pg = Postgres::start(false);
    let server = Server::start(&pg.url, 0);
    add_user(&pg.url, ADMIN, "Nguyễn Quản Trị", "province_admin", None);
    let http = plain_http();

    // The sign-in form: without its token, or with a token its cookie does not match.
    let (form_cookie, csrf) = sign_in_form(&http, &server);
    let post_sign_in = |cookie: Option<&str>, csrf: Option<&str>| {
        let mut fields = vec![("login", ADMIN.0), ("password", ADMIN.1)];
        if let Some(csrf) = csrf {
            fields.push(("csrf", csrf));
        }
        let mut request = http
            .post(format!("{}/console/sign-in", server.url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(&fields).unwrap());
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send().unwrap()
    };
    let other_form = sign_in_form(&http, &server).1;
    let cases = [
        (Some(form_cookie.as_str()), None),
        (None, Some(csrf.as_str())),
        (Some(form_cookie.as_str()), Some(other_form.as_str())),
    ];
    for (cookie, token) in cases {
        let answer = post_sign_in(cookie, token);
        assert_eq!(answer.status(), 403, "{cookie:?} {token:?}");
        assert!(answer.text().unwrap().contains("data-code=\"csrf_refused\""));
    }
    assert_eq!(pg.count("SELECT count(*) FROM sessions"), 0);
    assert_eq!(pg.count("SELECT count(*) FROM audit_log WHERE action LIKE 'sign_in%'"), 0, "refused before any try");

    // With it: a session cookie for the console's paths only, unreadable by scripts.
    let answer = post_sign_in(Some(&form_cookie), Some(&csrf));
    assert_eq!(answer.status(), 303);
    assert_eq!(answer.headers()["location"], "/console");
    let cookie = set_cookie(&answer, "qrgate_session").unwrap();
    assert!(cookie.contains("; Path=/console;") && cookie.contains("; HttpOnly; SameSite=Strict"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
    let session = cookie.split(';').next().unwrap().to_string();
    assert_eq!(pg.count("SELECT count(*) FROM sessions"), 1);
    let token = session.strip_prefix("qrgate_session=").unwrap();
    assert_eq!(
        pg.count(&format!("SELECT count(*) FROM sessions WHERE token_sha256 = '{token}'")),
        0,
        "only a hash is kept"
    );

    let overview = http.get(format!("{}/console", server.url)).header("cookie", &session).send().unwrap();
    assert_eq!(overview.status(), 200);
    let csp = overview.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("default-src 'none'") && !csp.contains("unsafe"), "{csp}");
    let page = overview.text().unwrap();
    let sign_out_token = form_token(&page);
    assert!(
        !page.contains("http://") && !page.contains("https://") && !page.contains("<script"),
        "nothing from elsewhere"
    );

    // Signing out: without the token, or with another session's, refused and still signed in.
    let other_session = session_cookie_of(&server, ADMIN);
    let other_token = form_token(
        &http.get(format!("{}/console", server.url)).header("cookie", &other_session).send().unwrap().text().unwrap(),
    );
    assert_ne!(other_token, sign_out_token);
    for body in [String::new(), format!("csrf={other_token}"), "csrf=".into()] {
        let answer = http
            .post(format!("{}/console/sign-out", server.url))
            .header("cookie", &session)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.clone())
            .send()
            .unwrap();
        assert_eq!(answer.status(), 403, "{body:?}");
        assert!(answer.text().unwrap().contains("data-code=\"csrf_refused\""));
        assert_eq!(
            http.get(format!("{}/console", server.url)).header("cookie", &session).send().unwrap().status(),
            200
        );
    }
    let answer = http
        .post(format!("{}/console/sign-out", server.url))
        .header("cookie", &session)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={sign_out_token}"))
        .send()
        .unwrap();
    assert_eq!(answer.status(), 303);
    assert!(set_cookie(&answer, "qrgate_session").unwrap().contains("Max-Age=0"));
    assert_eq!(http.get(format!("{}/console", server.url)).header("cookie", &session).send().unwrap().status(), 303);
    assert_eq!(
        http.get(format!("{}/console", server.url)).header("cookie", &other_session).send().unwrap().status(),
        200
    );

    // Behind a proxy that terminates TLS, the cookies are marked Secure.
    let secure = Server::start_with(&pg.url, 0, &["--secure-cookies"]);
    let answer = http.get(format!("{}/console/sign-in", secure.url)).send().unwrap();
    assert!(set_cookie(&answer, "qrgate_sign_in").unwrap().ends_with("; Secure"));
}

#[test]
fn user_commands_check_their_input_and_take_the_password_from_stdin_only() {
    let pg = Postgres::start(false);
    let gate = Kiosk::init(A, "a-gate-1", 51);
    register(&pg.url, &gate, A_NAME);
    let db = pg.url.as_str();

    let refused = |args: &[&str], stdin: &str, says: &str| {
        let (ok, out) = user_cli(db, args, stdin);
        assert!(!ok, "{args:?} must be refused: {out}");
        assert!(out.contains(says), "{args:?}: {out:?} does not say {says:?}");
    };
    let add =
        |login: &'static str, role: &'static str| ["add", "--login", login, "--name", "Lê Văn Bình", "--role", role];
    refused(&add("binh", "admin"), "", "province_admin, province_officer, enterprise_viewer");
    refused(&add("binh", "enterprise_viewer"), "", "needs --enterprise");
    refused(&[&add("binh", "province_officer")[..], &["--enterprise", A]].concat(), "", "only an enterprise_viewer");
    refused(&[&add("binh", "enterprise_viewer")[..], &["--enterprise", "12345"]].concat(), "", "not a tax code");
    refused(
        &[&add("binh", "enterprise_viewer")[..], &["--enterprise", B]].concat(),
        "mật khẩu đủ dài\n",
        "is not registered",
    );
    refused(&add("b", "province_officer"), "", "3 to 64");
    refused(&add("binh", "province_officer"), "short\n", "at least 12 characters");
    refused(&add("binh", "province_officer"), "", "at least 12 characters");
    // There is no way to give the password on the command line.
    refused(&[&add("binh", "province_officer")[..], &["--password", "mật khẩu đủ dài"]].concat(), "", "--password");
    assert_eq!(pg.count("SELECT count(*) FROM accounts"), 0);

    let (ok, out) = user_cli(
        db,
        &[&add("Binh", "enterprise_viewer")[..], &["--enterprise", A]].concat(),
        "mật khẩu đủ dài\nignored\n",
    );
    assert!(ok, "{out}");
    assert!(out.contains("account binh added (enterprise_viewer)"), "{out}");
    let hash = pg.query("SELECT password_hash FROM accounts WHERE login = 'binh'");
    assert!(hash.starts_with("$argon2id$") && !hash.contains("mật khẩu"), "{hash}");
    assert_eq!(pg.query("SELECT enterprise FROM accounts WHERE login = 'binh'"), A);
    refused(&add("BINH", "province_officer"), "mật khẩu khác hẳn\n", "account_exists");

    refused(&["passwd", "--login", "nobody"], "mật khẩu đủ dài\n", "unknown_account");
    refused(&["passwd", "--login", "binh"], "ngắn\n", "at least 12 characters");
    let (ok, out) = user_cli(db, &["passwd", "--login", "binh"], "mật khẩu mới đủ dài\n");
    assert!(ok, "{out}");
    assert_ne!(pg.query("SELECT password_hash FROM accounts WHERE login = 'binh'"), hash);

    refused(&["disable", "--login", "nobody"], "", "unknown_account");
    let (ok, out) = user_cli(db, &["disable", "--login", "binh"], "");
    assert!(ok, "{out}");
    assert_eq!(pg.query("SELECT disabled FROM accounts WHERE login = 'binh'"), "t");

    // A disabled account does not sign in, and its refusal reads like any wrong password.
    let server = Server::start(&pg.url, 0);
    let http = plain_http();
    let (form_cookie, csrf) = sign_in_form(&http, &server);
    let answer = http
        .post(format!("{}/console/sign-in?lang=en", server.url))
        .header("cookie", &form_cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            serde_urlencoded::to_string([
                ("csrf", csrf.as_str()),
                ("login", "binh"),
                ("password", "mật khẩu mới đủ dài"),
            ])
            .unwrap(),
        )
        .send()
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert!(answer.text().unwrap().contains("Wrong login or password."));
    let log = pg.query(
        "SELECT string_agg(action || ':' || coalesce(account, '-') || ':' || detail, '|' ORDER BY id) FROM audit_log",
    );
    assert_eq!(
        log,
        "kiosk_register:-:a-gate-1 for 0101234567|account_add:-:binh (enterprise_viewer, 0101234567)|\
         account_password:-:binh|account_disable:-:binh|sign_in_failed:binh:account disabled"
    );
}
