//! The kiosk desk: visitor forms, manual entries and leaving behind PINs, the HR pages.

use qrgate_core::model::{Direction, HealthAnswer, Method, PersonRef, Verdict};
use qrgate_desk::desk::{Desk, ManualRequest, Scanned, VisitorForm, HR_OPEN_FOR};
use qrgate_desk::office::Office;
use qrgate_desk::pin::{Pins, Role};
use qrgate_desk::Error;
use qrgate_hr::print::Selection;
use uuid::Uuid;

use qrgate_testkit::{at, Kiosk};

const QUESTION: &str = "Sốt hoặc ho trong 14 ngày qua?";

/// A kiosk whose enterprise asks one health question, with a guard's and an admin's PIN: its
/// gate's desk and its office.
fn desk() -> (Kiosk, Desk, Office) {
    let kiosk = Kiosk::new(qrgate_core::model::GateMode::Auto, |_| {});
    let conf = kiosk.data.config_path();
    let text = std::fs::read_to_string(&conf).unwrap();
    assert!(text.contains("health_questions = []"), "{text}");
    std::fs::write(&conf, text.replace("health_questions = []", &format!("health_questions = [{QUESTION:?}]")))
        .unwrap();
    let mut pins = Pins::load(&kiosk.data.root).unwrap();
    let rng = &mut rand::rngs::OsRng;
    pins.set("Trần Văn Bảo", Role::Guard, &"2468".parse().unwrap(), rng, at("2026-11-02T07:00:00+07:00")).unwrap();
    pins.set("Lê Thị HR", Role::Admin, &"13579".parse().unwrap(), rng, at("2026-11-02T07:00:00+07:00")).unwrap();
    pins.save().unwrap();
    let desk = Desk::open(kiosk.data.clone()).unwrap();
    let office = Office::open(kiosk.data.clone()).unwrap();
    (kiosk, desk, office)
}

fn id() -> Uuid {
    Uuid::now_v7()
}

#[test]
fn a_visitor_card_opens_a_form_the_guard_completes_and_the_next_scan_lets_them_out() {
    let (_k, mut desk, _) = desk();
    let card = qrgate_desk::demo::cccd_text(&mut rand::thread_rng());
    let number = card.split('|').next().unwrap().to_string();
    let t0 = at("2026-11-02T09:00:00+07:00");

    let Scanned::VisitorForm { form, card: shown } = desk.scan(&card, Method::Badge, t0, id()).unwrap() else {
        panic!("a visitor arriving gets the form")
    };
    assert!(!shown.masked_number.contains(&number[3..10]), "the form never shows the whole number");
    assert_eq!(shown.health_questions, vec![QUESTION.to_string()]);
    assert_eq!(desk.store.event_count().unwrap(), 0, "nothing recorded while the form is open");

    // Bad forms are refused with a reason and leave nothing behind.
    let no_host = VisitorForm { host: " ".into(), purpose: "Giao hàng".into(), ..Default::default() };
    assert!(desk.confirm_visitor(form, &no_host, t0, id()).unwrap_err().to_string().contains("host"));
    let unanswered = VisitorForm { host: "Kho".into(), purpose: "Giao hàng".into(), ..Default::default() };
    assert!(desk.confirm_visitor(form, &unanswered, t0, id()).unwrap_err().to_string().contains("health"));
    let bad_phone = VisitorForm { phone: "12ab".into(), ..filled() };
    assert!(desk.confirm_visitor(form, &bad_phone, t0, id()).unwrap_err().to_string().contains("phone"));
    // Silence is not consent: a form without the visitor's agreement records nothing.
    let silent = VisitorForm { consent: false, ..filled() };
    let refused = desk.confirm_visitor(form, &silent, t0, id()).unwrap_err();
    assert!(refused.to_string().contains("consent"), "{refused}");
    assert_eq!(desk.store.event_count().unwrap(), 0);
    assert_eq!(
        desk.store.connection().query_row("SELECT COUNT(*) FROM visitors", [], |r| r.get::<_, i64>(0)).unwrap(),
        0
    );
    assert!(shown.notice.contains("91/2025/QH15"), "the form shows the notice of the law in force");

    let d = desk.confirm_visitor(form, &filled(), t0, id()).unwrap();
    assert_eq!((d.verdict, d.direction), (Verdict::Accepted, Some(Direction::In)));
    assert_eq!(desk.inside_counts(t0).unwrap().visitors, 1);
    let e = desk.store.event(&d.event_id).unwrap().unwrap();
    let Some(PersonRef::Visitor(visitor)) = e.person else { panic!("a visitor event") };
    let v = desk.store.visitor(&visitor).unwrap().unwrap();
    assert_eq!((v.host.as_deref(), v.phone.as_deref()), (Some("Kho"), Some("0912345678")));
    assert_eq!(v.health, vec![HealthAnswer { question: QUESTION.into(), yes: false }]);
    let (consent_at, digest): (Option<i64>, Option<String>) = desk
        .store
        .connection()
        .query_row("SELECT consent_at_ms, notice_digest FROM visitors WHERE id = ?1", [&visitor], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(consent_at, Some(t0.timestamp_millis()), "the consent is recorded with the visitor");
    assert_eq!(digest, Some(qrgate_core::config::PrivacyConfig::notice_digest(&shown.notice)));
    // The form is spent: confirming it again records nothing more.
    assert!(desk.confirm_visitor(form, &filled(), t0, id()).unwrap_err().to_string().contains("closed"));

    // Leaving: the next scan (after the debounce) is decided at once, no form.
    let later = at("2026-11-02T11:00:00+07:00");
    let Scanned::Decided { decision } = desk.scan(&card, Method::Badge, later, id()).unwrap() else {
        panic!("a visitor leaving is not asked again")
    };
    assert_eq!(decision.direction, Some(Direction::Out));
    assert_eq!(desk.inside_counts(later).unwrap().visitors, 0);

    // Coming back the next day, the form is filled with what they said last time.
    let Scanned::VisitorForm { card: again, .. } =
        desk.scan(&card, Method::Badge, at("2026-11-03T09:00:00+07:00"), id()).unwrap()
    else {
        panic!("a returning visitor gets the form again")
    };
    assert_eq!((again.host.as_deref(), again.purpose.as_deref()), (Some("Kho"), Some("Giao hàng")));
}

fn filled() -> VisitorForm {
    VisitorForm {
        host: "Kho".into(),
        purpose: "Giao hàng".into(),
        phone: "0912345678".into(),
        health: vec![HealthAnswer { question: QUESTION.into(), yes: false }],
        consent: true,
    }
}

#[test]
fn a_cancelled_form_records_nothing() {
    let (_k, mut desk, _) = desk();
    let card = qrgate_desk::demo::cccd_text(&mut rand::thread_rng());
    let t0 = at("2026-11-02T09:00:00+07:00");
    let Scanned::VisitorForm { form, .. } = desk.scan(&card, Method::Badge, t0, id()).unwrap() else { panic!() };
    desk.cancel_visitor(form);
    assert!(desk.confirm_visitor(form, &filled(), t0, id()).is_err());
    assert_eq!(desk.store.event_count().unwrap(), 0);
}

#[test]
fn a_manual_entry_needs_a_reason_and_a_guards_pin_and_records_who_made_it() {
    let (_k, mut desk, office) = desk();
    let t0 = at("2026-11-02T07:55:00+07:00");
    let request = |pin: &str, reason: &str| ManualRequest {
        code: "nv001".into(),
        direction: Direction::In,
        reason: reason.into(),
        pin: pin.into(),
    };
    let guard = office.guard("2468", t0).unwrap();
    assert!(matches!(
        desk.manual_entry(&request("2468", "  "), &guard, t0, id()),
        Err(Error::Core(qrgate_core::Error::Invalid { .. }))
    ));
    let wrong = office.guard("0000", t0).unwrap_err();
    assert_eq!(wrong.code().as_str(), "wrong_pin");
    assert_eq!(desk.store.event_count().unwrap(), 0);

    let d = desk.manual_entry(&request("2468", "Quên thẻ"), &guard, t0, id()).unwrap();
    assert_eq!((d.verdict, d.direction), (Verdict::Accepted, Some(Direction::In)));
    let e = desk.store.event(&d.event_id).unwrap().unwrap();
    assert_eq!(e.method, Method::Manual);
    assert_eq!(e.operator.as_deref(), Some("Trần Văn Bảo"));
    assert_eq!(e.note.as_deref(), Some("Quên thẻ"));

    // The search a guard types into finds the worker without diacritics.
    let found = office.search("nguyen thi").unwrap();
    assert_eq!(found.first().map(|f| f.code.as_str()), Some("NV001"));
    assert_eq!(office.search("NV00").unwrap().len(), 5);
    assert!(office.search("   ").unwrap().is_empty());
}

#[test]
fn the_hr_pages_open_with_the_admin_pin_only_and_close_after_a_while() {
    let (k, mut desk, office) = desk();
    let t0 = at("2026-11-02T10:00:00+07:00");
    assert_eq!(office.revoke_badge("NV001", t0).unwrap_err().code().as_str(), "pin_required");
    assert_eq!(office.open_hr("2468", t0).unwrap_err().code().as_str(), "wrong_pin", "a guard's PIN does not open HR");
    let hr = office.open_hr("13579", t0).unwrap();
    assert_eq!(hr.name, "Lê Thị HR");

    // Revoking: the printed badge is refused from now on.
    let printed = k.badge_with("NV001", 1, None);
    desk.store.issue_badges(&[desk.store.worker(&"NV001".parse().unwrap()).unwrap().unwrap()], t0).unwrap();
    let serial = office.revoke_badge("nv001", t0).unwrap();
    assert!(serial > 1);
    let Scanned::Decided { decision } = desk.scan(&printed, Method::Badge, t0, id()).unwrap() else { panic!() };
    assert_eq!(decision.verdict, Verdict::Refused);

    // Badge sheet and exports land in the folder given, as real files.
    let out = k.dir.path().join("exports");
    let sheet = office.issue_badges(&Selection::All, &out, t0).unwrap();
    assert_eq!(sheet.rows, 4, "four active workers");
    assert!(std::fs::read(&sheet.path).unwrap().starts_with(b"%PDF"));
    let day = office.today(t0);
    let xlsx = office.export_attendance(day, qrgate_hr::export::Format::Xlsx, &out, t0).unwrap();
    assert!(std::fs::read(&xlsx.path).unwrap().starts_with(b"PK"));
    // The month's timesheet, named by the month the day falls in.
    let sheet = office.export_timesheet(day, qrgate_hr::export::Format::Xlsx, &out, t0).unwrap();
    assert_eq!(sheet.path, out.join(format!("bang-cham-cong-{}.xlsx", day.format("%Y-%m"))));
    assert!(std::fs::read(&sheet.path).unwrap().starts_with(b"PK"));
    assert_eq!(sheet.rows, 4, "a line per active worker");
    assert!(office.evacuation_list(t0).unwrap().is_empty());

    // Each action keeps the pages open; idle past the limit, they close.
    let idle = t0 + HR_OPEN_FOR + chrono::Duration::seconds(1);
    assert_eq!(office.evacuation_list(idle).unwrap_err().code().as_str(), "pin_required");
}

#[test]
fn leaving_needs_the_admin_pin_once_one_is_set() {
    let kiosk = Kiosk::new(qrgate_core::model::GateMode::Auto, |_| {});
    let office = Office::open(kiosk.data.clone()).unwrap();
    let t0 = at("2026-11-02T10:00:00+07:00");
    assert_eq!(office.may_leave("", t0).unwrap(), None, "no admin PIN yet: the kiosk can be left");
    assert_eq!(office.open_hr("1234", t0).unwrap_err().code().as_str(), "no_admin_pin");

    let (_k, _, office) = self::desk();
    assert_eq!(office.may_leave("2468", t0).unwrap_err().code().as_str(), "wrong_pin", "a guard cannot leave");
    assert_eq!(office.may_leave("13579", t0).unwrap().unwrap().role, Role::Admin);
}

#[test]
fn hr_work_and_pin_checks_finish_while_the_gate_holds_its_desk() {
    let (k, desk, office) = desk();
    let t0 = at("2026-11-02T10:00:00+07:00");
    let office = std::sync::Arc::new(office);
    office.open_hr("13579", t0).unwrap();
    // The frame thread in the middle of a decision: the desk is taken for as long as the office
    // works. Everything HR does must finish without it.
    let gate = std::sync::Mutex::new(desk);
    let busy = gate.lock().unwrap();
    let (done, finished) = std::sync::mpsc::channel();
    let out = k.dir.path().join("exports");
    let worker = office.clone();
    std::thread::spawn(move || {
        let work = || -> Result<u32, Error> {
            worker.export_attendance(worker.today(t0), qrgate_hr::export::Format::Csv, &out, t0)?;
            worker.issue_badges(&Selection::All, &out, t0)?;
            worker.evacuation_list(t0)?;
            worker.guard("2468", t0)?;
            worker.search("nguyen")?;
            worker.revoke_badge("NV001", t0)
        };
        let _ = done.send(work());
    });
    let result = finished
        .recv_timeout(std::time::Duration::from_secs(120))
        .expect("HR's work finished while the gate held its desk");
    let serial = result.unwrap();
    // And the gate, still holding its desk, sees what HR wrote on the office's connection.
    assert_eq!(busy.store.worker(&"NV001".parse().unwrap()).unwrap().unwrap().badge_serial, serial);
}

#[test]
fn hr_exporting_whole_id_numbers_is_recorded_under_their_name_and_retention_runs_in_the_office() {
    let (k, mut desk, office) = desk();
    let card = qrgate_desk::demo::cccd_text(&mut rand::thread_rng());
    let t0 = at("2026-11-02T09:00:00+07:00");
    let Scanned::VisitorForm { form, .. } = desk.scan(&card, Method::Badge, t0, id()).unwrap() else { panic!() };
    desk.confirm_visitor(form, &filled(), t0, id()).unwrap();

    office.open_hr("13579", t0).unwrap();
    let out = k.dir.path().join("exports");
    let summary = office.export_visitors(t0.date_naive(), &out, t0).unwrap();
    assert_eq!(summary.rows, 1);
    let log = qrgate_core::privacy::log(&desk.store, 10).unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].action, log[0].actor.as_str(), log[0].people),
        (qrgate_core::privacy::Action::ExportFullIds, "Lê Thị HR", 1)
    );

    // 30 days (the default) after the visit the details go, and the record says so.
    assert_eq!(office.retention(at("2026-11-20T09:00:00+07:00")).unwrap().visitors, 0);
    let purged = office.retention(at("2026-12-03T09:00:00+07:00")).unwrap();
    assert_eq!(purged.visitors, 1);
    let log = qrgate_core::privacy::log(&desk.store, 10).unwrap();
    assert_eq!((log[0].action, log[0].actor.as_str()), (qrgate_core::privacy::Action::Purge, "retention"));
}
