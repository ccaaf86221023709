//! Personal data: consent before a visitor's details are kept, and erasure that leaves no bytes
//! behind in the database file or its WAL (read raw, as anyone who copied the files would).

use qrgate_core::gate::{Reason, Scan, VisitorDetails};
use qrgate_core::model::{Direction, EmployeeCode, GateMode, Verdict};
use qrgate_core::privacy::{self, Action, Processing};

use qrgate_testkit::{at, Kiosk};

const NUMBER: &str = "079090001234";
const NAME: &str = "Nguyễn Văn Khách";
const ADDRESS: &str = "99 Đường Riêng Tư, Quận 7";
const CCCD: &str = "079090001234|025123456|Nguyễn Văn Khách|15031990|Nam|99 Đường Riêng Tư, Quận 7|15082021";

/// The bytes of the database and, if there is one, its WAL.
fn raw(k: &Kiosk) -> Vec<u8> {
    let db = k.store.path().to_path_buf();
    let mut bytes = std::fs::read(&db).unwrap();
    if let Ok(wal) = std::fs::read(db.with_extension("db-wal")) {
        bytes.extend(wal);
    }
    bytes
}

fn holds(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

fn visit(k: &mut Kiosk, when: &str) -> qrgate_core::gate::Decision {
    let scan = Scan {
        visitor: VisitorDetails {
            host: Some("Phòng Nhân sự"),
            purpose: Some("Phỏng vấn"),
            phone: Some("0909555666"),
            health: &[],
            consent: Some("0123456789abcdef"),
        },
        ..Scan::camera(CCCD)
    };
    k.scan(&scan, when)
}

#[test]
fn a_visitor_who_did_not_agree_is_refused_and_nothing_of_the_card_is_kept() {
    let mut k = Kiosk::new(GateMode::Auto, |_| {});
    let d = k.check(CCCD, "2026-11-25T09:00:00+07:00");
    assert_eq!((d.verdict, d.reason), (Verdict::Refused, Some(Reason::NoConsent)));
    let e = k.store.event(&d.event_id).unwrap().unwrap();
    assert_eq!(e.person, None, "the refusal names nobody");
    let visitors: i64 = k.store.connection().query_row("SELECT COUNT(*) FROM visitors", [], |r| r.get(0)).unwrap();
    assert_eq!(visitors, 0);
    let bytes = raw(&k);
    assert!(!holds(&bytes, NUMBER) && !holds(&bytes, NAME) && !holds(&bytes, ADDRESS));
}

#[test]
fn erasing_a_visitor_leaves_no_byte_of_their_details_in_the_database_or_the_wal() {
    let mut k = Kiosk::new(GateMode::Auto, |_| {});
    let d = visit(&mut k, "2026-11-25T09:00:00+07:00");
    assert_eq!((d.verdict, d.direction), (Verdict::Accepted, Some(Direction::In)));
    k.check(CCCD, "2026-11-25T11:00:00+07:00");
    let before = raw(&k);
    for needle in [NUMBER, NAME, ADDRESS, "0909555666"] {
        assert!(holds(&before, needle), "the test reads the files where the details are ({needle})");
    }

    let n = privacy::erase_visitor(&k.store, NUMBER, at("2026-11-26T08:00:00+07:00")).unwrap();
    assert_eq!(n, 1);
    let after = raw(&k);
    for needle in [NUMBER, NAME, ADDRESS, "0909555666"] {
        assert!(!holds(&after, needle), "{needle} is still in the files after the erasure");
    }
    assert_eq!(k.events(), 2, "the gate events stay");
    // Erased is erased: the number no longer finds anyone.
    assert_eq!(privacy::erase_visitor(&k.store, NUMBER, at("2026-11-26T08:00:00+07:00")).unwrap(), 0);
}

#[test]
fn retention_purges_as_thoroughly_as_a_request() {
    let mut k = Kiosk::new(GateMode::Auto, |_| {});
    visit(&mut k, "2026-11-25T09:00:00+07:00");
    assert_eq!(
        privacy::purge_visitors(&k.store, at("2026-11-25T00:00:00+07:00"), at("2026-11-25T12:00:00+07:00")).unwrap(),
        0
    );
    assert!(holds(&raw(&k), NAME), "a visit inside the retention period stays");
    let n =
        privacy::purge_visitors(&k.store, at("2026-12-30T00:00:00+07:00"), at("2026-12-30T00:00:00+07:00")).unwrap();
    assert_eq!(n, 1);
    let after = raw(&k);
    assert!(!holds(&after, NUMBER) && !holds(&after, NAME) && !holds(&after, ADDRESS));
}

#[test]
fn a_former_worker_is_erased_but_their_code_and_events_stay_and_an_active_one_is_refused() {
    let mut k = Kiosk::new(GateMode::Auto, |_| {});
    let badge = k.badge("NV001");
    k.check(&badge, "2026-11-25T07:00:00+07:00");
    let active: EmployeeCode = "NV001".parse().unwrap();
    let err = privacy::erase_worker(&k.store, &active, at("2026-11-26T08:00:00+07:00")).unwrap_err();
    assert!(err.to_string().contains("still an active worker"), "{err}");
    assert!(holds(&raw(&k), "Nguyễn Thị Hương"));

    // NV004 left the company (the roster says "Nghỉ việc").
    let former: EmployeeCode = "NV004".parse().unwrap();
    assert!(holds(&raw(&k), "Phạm Quốc Bảo"));
    privacy::erase_worker(&k.store, &former, at("2026-11-26T08:00:00+07:00")).unwrap();
    assert!(!holds(&raw(&k), "Phạm Quốc Bảo"));
    let w = k.store.worker(&former).unwrap().expect("the code stays");
    assert_eq!((w.full_name.as_str(), w.phone.as_str()), (privacy::ERASED_NAME, ""));
    assert_eq!(k.events(), 1);
}

#[test]
fn former_workers_past_their_retention_are_erased_and_others_kept() {
    let k = Kiosk::new(GateMode::Auto, |_| {});
    // The roster was imported on 1 November: a cutoff before it keeps everyone.
    assert_eq!(
        privacy::purge_former_workers(&k.store, at("2026-10-01T00:00:00+07:00"), at("2026-11-26T00:00:00+07:00"))
            .unwrap(),
        0
    );
    let n = privacy::purge_former_workers(&k.store, at("2027-06-01T00:00:00+07:00"), at("2027-06-01T00:00:00+07:00"))
        .unwrap();
    assert_eq!(n, 1, "only NV004 left");
    assert!(!holds(&raw(&k), "Phạm Quốc Bảo"));
    assert!(holds(&raw(&k), "Nguyễn Thị Hương"), "active workers are never purged");
}

#[test]
fn the_record_of_processing_keeps_who_what_when_and_how_many_in_order() {
    let k = Kiosk::new(GateMode::Auto, |_| {});
    for (i, action) in [Action::ExportFullIds, Action::Erase].into_iter().enumerate() {
        let entry = Processing {
            at: at("2026-11-25T09:00:00+07:00") + chrono::Duration::minutes(i as i64),
            actor: "Lê Thị Hoa".into(),
            action,
            people: 3,
            detail: "visitors 2026-11-25 to 2026-11-25".into(),
        };
        privacy::record(&k.store, &entry).unwrap();
    }
    let log = privacy::log(&k.store, 10).unwrap();
    assert_eq!(log.iter().map(|p| p.action).collect::<Vec<_>>(), vec![Action::Erase, Action::ExportFullIds]);
    assert_eq!((log[0].people, log[0].actor.as_str()), (3, "Lê Thị Hoa"));
}

#[test]
fn photos_and_snapshots_go_with_the_persons_details_and_snapshots_with_their_retention() {
    let mut k = Kiosk::new(GateMode::Auto, |_| {});
    let now = at("2026-11-26T08:00:00+07:00");
    // NV004 left; their old badge is refused at the gate, and the camera's frame kept.
    let badge = k.badge("NV004");
    let refused = k.check(&badge, "2026-11-25T07:00:00+07:00");
    assert_eq!(refused.verdict, Verdict::Refused);
    let former: EmployeeCode = "NV004".parse().unwrap();
    k.store.put_photos(&[(former.clone(), b"PHOTO-OF-NV004".to_vec())], now).unwrap();
    k.store.put_snapshot(refused.event_id, b"FRAME-OF-NV004", now).unwrap();
    let visit = visit(&mut k, "2026-11-25T09:00:00+07:00");
    k.store.put_snapshot(visit.event_id, b"FRAME-OF-THE-VISITOR", now).unwrap();
    let entry = k.check(&k.badge("NV001"), "2026-11-25T07:05:00+07:00");
    k.store.put_snapshot(entry.event_id, b"FRAME-OF-NV001", at("2026-11-25T07:05:00+07:00")).unwrap();
    // HR's list: newest first, what each scan decided, a worker named from the roster.
    let listed = k.store.kept_snapshots(10).unwrap();
    assert_eq!(listed.len(), 3);
    let nv004 = listed.iter().find(|s| s.event_id == refused.event_id).unwrap();
    assert!(nv004.refused && nv004.name.as_deref() == Some("Phạm Quốc Bảo"), "{nv004:?}");
    let nv001 = listed.iter().find(|s| s.event_id == entry.event_id).unwrap();
    assert!(!nv001.refused && nv001.name.as_deref() == Some("Nguyễn Thị Hương"), "{nv001:?}");
    assert_eq!(listed[2].event_id, entry.event_id, "NV001's snapshot is the oldest, listed last");
    let bytes = raw(&k);
    for marker in ["PHOTO-OF-NV004", "FRAME-OF-NV004", "FRAME-OF-THE-VISITOR", "FRAME-OF-NV001"] {
        assert!(holds(&bytes, marker), "the test reads the files where {marker} is");
    }

    privacy::erase_worker(&k.store, &former, now).unwrap();
    privacy::erase_visitor(&k.store, NUMBER, now).unwrap();
    let after = raw(&k);
    for marker in ["PHOTO-OF-NV004", "FRAME-OF-NV004", "FRAME-OF-THE-VISITOR"] {
        assert!(!holds(&after, marker), "{marker} is still in the files after the erasure");
    }
    assert!(k.store.snapshot(entry.event_id).unwrap().is_some(), "others' snapshots stay");

    // Seven days on, the retention deletes the rest.
    let rules = qrgate_core::config::PrivacyConfig::default();
    let purged = privacy::retention(&k.store, &rules, at("2026-12-03T08:00:00+07:00"), "test").unwrap();
    assert_eq!(purged.snapshots, 1);
    assert!(!holds(&raw(&k), "FRAME-OF-NV001"));
}
