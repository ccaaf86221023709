//! The gate end to end: QR text in, decision out, event durable in a real SQLite file.

use chrono::NaiveDate;
use qrgate_core::badge::{Badge, BadgeSigningKey};
use qrgate_core::base45;
use qrgate_core::gate::{ManualEntry, Reason, Scan, VisitorDetails};
use qrgate_core::model::{Direction, GateMode, Method, PassbackPolicy, PersonRef, Verdict};
use qrgate_core::store::Store;
use rand::{Rng, SeedableRng};

use qrgate_testkit::{at, Kiosk, ENTERPRISE};

const CCCD: &str = "079090001234|025123456|Nguyễn Văn An|15031990|Nam|12 Lê Lợi, Quận 1, TP. Hồ Chí Minh|15082021";

#[test]
fn in_debounce_out_in_auto_mode() {
    let mut k = Kiosk::new(GateMode::Auto, |_| {});
    let badge = k.badge("NV001");
    let first = k.check(&badge, "2026-11-25T06:58:00+07:00");
    assert_eq!(first.verdict, Verdict::Accepted);
    assert_eq!(first.direction, Some(Direction::In));
    assert!(!first.debounced);
    let person = first.person.clone().unwrap();
    assert_eq!((person.code.as_str(), person.name.as_str()), ("NV001", "Nguyễn Thị Hương"));
    assert_eq!(first.time.to_rfc3339(), "2026-11-25T06:58:00+07:00");
    assert_eq!(k.events(), 1);

    // Held up too long: the earlier event again, nothing new.
    let again = k.check(&badge, "2026-11-25T06:58:09+07:00");
    assert!(again.debounced);
    assert_eq!(again.event_id, first.event_id);
    assert_eq!(again.direction, Some(Direction::In));
    assert_eq!(k.events(), 1);

    // Past the window the next scan is the way out.
    let out = k.check(&badge, "2026-11-25T14:03:00+07:00");
    assert_eq!((out.verdict, out.direction, out.debounced), (Verdict::Accepted, Some(Direction::Out), false));
    assert_eq!(k.events(), 2);
    let stored = k.store.event(&out.event_id).unwrap().unwrap();
    assert_eq!(stored.seq, 2);
    assert_eq!(stored.method, Method::Badge);
    assert_eq!(stored.badge_serial, Some(1));
    assert_eq!(stored.person, Some(PersonRef::Worker("NV001".parse().unwrap())));
}

#[test]
fn debounce_window_is_configurable() {
    let mut k = Kiosk::new(GateMode::Auto, |c| c.gate.debounce_seconds = 2);
    let badge = k.badge("NV001");
    k.check(&badge, "2026-11-25T06:58:00+07:00");
    let later = k.check(&badge, "2026-11-25T06:58:03+07:00");
    assert!(!later.debounced);
    assert_eq!(later.direction, Some(Direction::Out));
}

#[test]
fn accepted_event_is_durable_before_the_answer() {
    let mut k = Kiosk::new(GateMode::In, |_| {});
    let badge = k.badge("NV003");
    let d = k.check(&badge, "2026-11-25T07:59:30+07:00");
    // A second, independent connection (another process would see the same) finds it committed.
    let other = Store::open(&k.data.database()).unwrap();
    let e = other.event(&d.event_id).unwrap().expect("committed");
    assert_eq!(e.verdict, Verdict::Accepted);
    assert_eq!(e.direction, Some(Direction::In));
    let sync: i64 = other.connection().query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap();
    assert_eq!(sync, 2, "FULL");
    let journal: String = other.connection().query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(journal, "wal");
}

fn refused(k: &mut Kiosk, text: &str, when: &str) -> Reason {
    let before = k.events();
    let d = k.check(text, when);
    assert_eq!(d.verdict, Verdict::Refused, "{text:.60}");
    assert_eq!(k.events(), before + 1, "a refusal is recorded too");
    let e = k.store.event(&d.event_id).unwrap().unwrap();
    assert_eq!(e.verdict, Verdict::Refused);
    assert_eq!(e.reason.as_deref(), d.reason.map(|r| r.code()));
    d.reason.unwrap()
}

#[test]
fn every_refusal_has_its_reason() {
    let mut k = Kiosk::new(GateMode::Auto, |_| {});
    let t = "2026-11-25T07:00:00+07:00";
    assert_eq!(refused(&mut k, "https://example.com", t), Reason::NotABadge);
    assert_eq!(refused(&mut k, &"A".repeat(10_000), t), Reason::NotABadge);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let noise: String = (0..300).map(|_| char::from(rng.gen_range(0u8..128))).collect();
    assert_eq!(refused(&mut k, &noise, t), Reason::NotABadge);

    let badge = k.badge("NV001");
    assert_eq!(refused(&mut k, &badge[..badge.len() - 1], t), Reason::BadgeDamaged);
    assert_eq!(refused(&mut k, &badge[..40], t), Reason::BadgeDamaged);

    // Another enterprise's perfectly valid badge.
    let other_key = BadgeSigningKey::generate(1, "0309999999".parse().unwrap(), &mut rand::rngs::OsRng);
    let foreign = Badge {
        key_id: 1,
        enterprise: "0309999999".parse().unwrap(),
        employee: "NV001".parse().unwrap(),
        serial: 1,
        issued: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        expires: None,
    }
    .sign(&other_key)
    .unwrap();
    assert_eq!(refused(&mut k, &foreign, t), Reason::OtherEnterprise);

    // Our enterprise, a key id this kiosk does not hold.
    let rogue = BadgeSigningKey::generate(9, ENTERPRISE.parse().unwrap(), &mut rand::rngs::OsRng);
    let mut b = qrgate_core::badge::parse(&badge).unwrap().badge;
    b.key_id = 9;
    assert_eq!(refused(&mut k, &b.sign(&rogue).unwrap(), t), Reason::UnknownKey);

    // Our key id, signed by someone else: a forgery.
    let forger = BadgeSigningKey::generate(1, ENTERPRISE.parse().unwrap(), &mut rand::rngs::OsRng);
    b.key_id = 1;
    assert_eq!(refused(&mut k, &b.sign(&forger).unwrap(), t), Reason::BadSignature);

    // A genuine badge whose payload was changed after signing (NV001 → NV005).
    let mut bytes = base45::decode(&badge["QG1:".len()..]).unwrap();
    let at_code = bytes.windows(5).position(|w| w == b"NV001").unwrap();
    bytes[at_code + 4] = b'5';
    let altered = format!("QG1:{}", base45::encode(&bytes));
    assert_eq!(refused(&mut k, &altered, t), Reason::BadSignature);

    let (stranger, inactive) = (k.badge("NV999"), k.badge("NV004"));
    assert_eq!(refused(&mut k, &stranger, t), Reason::UnknownPerson);
    assert_eq!(refused(&mut k, &inactive, t), Reason::Inactive);
    let expired = k.badge_with("NV005", 1, NaiveDate::from_ymd_opt(2026, 11, 24));
    assert_eq!(refused(&mut k, &expired, t), Reason::Expired);
    assert_eq!(refused(&mut k, "079090001234|025123456|Nguyễn Văn An|15031991|Nam|x|15082021", t), Reason::InvalidCccd);

    // Nothing here was let in.
    assert!(k.inside(t).is_empty());
}

#[test]
fn revoked_badge_is_refused_and_the_new_one_works() {
    let mut k = Kiosk::new(GateMode::Auto, |_| {});
    let old = k.badge("NV002");
    assert_eq!(k.check(&old, "2026-11-25T21:55:00+07:00").verdict, Verdict::Accepted);
    let serial = k.store.revoke_badge(&"NV002".parse().unwrap(), at("2026-11-25T22:00:00+07:00")).unwrap();
    assert_eq!(serial, 2);
    let d = k.check(&old, "2026-11-26T06:05:00+07:00");
    assert_eq!(d.reason, Some(Reason::Revoked));
    assert_eq!(d.person.unwrap().code, "NV002", "the guard sees whose badge it was");
    let new = k.badge_with("NV002", 2, None);
    let d = k.check(&new, "2026-11-26T06:06:00+07:00");
    assert_eq!((d.verdict, d.direction), (Verdict::Accepted, Some(Direction::Out)));
}

#[test]
fn a_newer_serial_teaches_the_kiosk_to_refuse_older_ones() {
    let mut k = Kiosk::new(GateMode::Auto, |_| {});
    let newer = k.badge_with("NV005", 3, None);
    assert_eq!(k.check(&newer, "2026-11-25T06:00:00+07:00").verdict, Verdict::Accepted);
    let older = k.badge_with("NV005", 2, None);
    assert_eq!(k.check(&older, "2026-11-25T10:00:00+07:00").reason, Some(Reason::Revoked));
}

#[test]
fn anti_passback_warns_or_blocks() {
    let mut warn = Kiosk::new(GateMode::In, |c| c.gate.anti_passback = PassbackPolicy::Warn);
    let b = warn.badge("NV001");
    assert_eq!(warn.check(&b, "2026-11-25T06:50:00+07:00").warning, None);
    let d = warn.check(&b, "2026-11-25T06:55:00+07:00");
    assert_eq!((d.verdict, d.warning), (Verdict::Accepted, Some(Reason::AntiPassback)));
    assert_eq!(warn.store.event(&d.event_id).unwrap().unwrap().reason.as_deref(), Some("anti_passback"));

    let mut block = Kiosk::new(GateMode::In, |c| c.gate.anti_passback = PassbackPolicy::Block);
    let b = block.badge("NV001");
    block.check(&b, "2026-11-25T06:50:00+07:00");
    let d = block.check(&b, "2026-11-25T06:55:00+07:00");
    assert_eq!((d.verdict, d.reason, d.direction), (Verdict::Refused, Some(Reason::AntiPassback), Some(Direction::In)));

    let mut off = Kiosk::new(GateMode::Out, |c| c.gate.anti_passback = PassbackPolicy::Off);
    let b = off.badge("NV001");
    off.check(&b, "2026-11-25T06:50:00+07:00");
    assert_eq!(off.check(&b, "2026-11-25T06:55:00+07:00").warning, None);
}

#[test]
fn visitor_in_then_out_and_no_id_number_in_the_log() {
    let mut k = Kiosk::new(GateMode::Auto, |_| {});
    let scan = Scan {
        visitor: VisitorDetails {
            host: Some("Phòng Nhân sự"),
            purpose: Some("Phỏng vấn"),
            phone: Some("0909000111"),
            health: &[],
            consent: Some("0123456789abcdef"),
        },
        ..Scan::camera(CCCD)
    };
    let d = k.scan(&scan, "2026-11-25T09:00:00+07:00");
    assert_eq!((d.verdict, d.direction), (Verdict::Accepted, Some(Direction::In)));
    let person = d.person.clone().unwrap();
    assert_eq!((person.kind, person.code.as_str(), person.name.as_str()), ("visitor", "079*******34", "Nguyễn Văn An"));
    let e = k.store.event(&d.event_id).unwrap().unwrap();
    assert_eq!(e.method, Method::Cccd);
    let Some(PersonRef::Visitor(id)) = e.person else { panic!("visitor event") };
    let v = k.store.visitor(&id).unwrap().unwrap();
    assert_eq!(v.host.as_deref(), Some("Phòng Nhân sự"));
    assert_eq!(v.number.as_deref(), Some("079090001234"));
    let leaks: i64 = k
        .store
        .connection()
        .query_row(
            "SELECT COUNT(*) FROM events WHERE person_ref LIKE '%079090001234%' OR note LIKE '%079090001234%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(leaks, 0);
    assert_eq!(k.inside("2026-11-25T10:00:00+07:00").len(), 1);

    let out = k.check(CCCD, "2026-11-25T10:30:00+07:00");
    assert_eq!(out.direction, Some(Direction::Out));
    assert_eq!(k.store.event(&out.event_id).unwrap().unwrap().person, Some(PersonRef::Visitor(id.clone())));
    assert!(k.inside("2026-11-25T10:30:00+07:00").is_empty());

    // Past the retention period the details go; the events stay.
    let purged = qrgate_core::privacy::purge_visitors(
        &k.store,
        at("2026-12-30T00:00:00+07:00"),
        at("2026-12-30T00:00:00+07:00"),
    )
    .unwrap();
    assert_eq!(purged, 1);
    let v = k.store.visitor(&id).unwrap().unwrap();
    assert_eq!((v.number, v.full_name), (None, None));
    assert_eq!(k.events(), 2);
}

#[test]
fn manual_entry_carries_operator_and_reason() {
    let mut k = Kiosk::new(GateMode::Auto, |c| c.gate.anti_passback = PassbackPolicy::Block);
    let manual = ManualEntry { operator: "bao-ve-2", reason: "Quên thẻ ở nhà", direction: Some(Direction::In) };
    let scan = Scan { manual: Some(manual), ..Scan::camera("nv005") };
    let d = k.scan(&scan, "2026-11-25T06:01:00+07:00");
    assert_eq!((d.verdict, d.direction), (Verdict::Accepted, Some(Direction::In)));
    let e = k.store.event(&d.event_id).unwrap().unwrap();
    assert_eq!(e.method, Method::Manual);
    assert_eq!(e.operator.as_deref(), Some("bao-ve-2"));
    assert_eq!(e.note.as_deref(), Some("Quên thẻ ở nhà"));
    // A second manual "in" is the guard's call: a warning, not a block, and never debounced.
    let d = k.scan(&scan, "2026-11-25T06:01:05+07:00");
    assert_eq!((d.verdict, d.warning, d.debounced), (Verdict::Accepted, Some(Reason::AntiPassback), false));
    let unknown = Scan {
        manual: Some(ManualEntry { operator: "bao-ve-2", reason: "x", direction: None }),
        ..Scan::camera("NV777")
    };
    assert_eq!(k.scan(&unknown, "2026-11-25T06:02:00+07:00").reason, Some(Reason::UnknownPerson));
}

#[test]
fn legacy_codes_only_when_turned_on() {
    let mut off = Kiosk::new(GateMode::Auto, |_| {});
    assert_eq!(off.check("NV001", "2026-11-25T06:00:00+07:00").reason, Some(Reason::NotABadge));
    let mut on = Kiosk::new(GateMode::Auto, |c| c.gate.accept_legacy_codes = true);
    let d = on.check("NV001", "2026-11-25T06:00:00+07:00");
    assert_eq!(d.verdict, Verdict::Accepted);
    assert_eq!(on.store.event(&d.event_id).unwrap().unwrap().method, Method::Legacy);
    assert_eq!(on.check("NV404", "2026-11-25T06:00:00+07:00").reason, Some(Reason::NotABadge));
}

#[test]
fn events_cannot_be_changed_or_deleted() {
    let mut k = Kiosk::new(GateMode::Auto, |_| {});
    let b = k.badge("NV001");
    k.check(&b, "2026-11-25T06:00:00+07:00");
    let c = k.store.connection();
    assert!(c.execute("UPDATE events SET direction = 'out'", []).is_err());
    assert!(c.execute("DELETE FROM events", []).is_err());
    assert_eq!(k.events(), 1);
}

#[test]
fn pulled_events_from_another_gate_set_the_direction() {
    let mut k = Kiosk::new(GateMode::Auto, |_| {});
    let b = k.badge("NV001");
    k.check(&b, "2026-11-25T06:00:00+07:00");
    let first = k.check(&b, "2026-11-25T06:00:01+07:00").event_id;
    let mut exit = k.store.event(&first).unwrap().unwrap();
    exit.id = uuid::Uuid::now_v7();
    exit.kiosk_id = "gate-2".into();
    exit.direction = Some(Direction::Out);
    exit.at = at("2026-11-25T14:00:00+07:00").fixed_offset();
    assert_eq!(k.store.insert_events(std::slice::from_ref(&exit)).unwrap(), 1);
    assert_eq!(k.store.insert_events(std::slice::from_ref(&exit)).unwrap(), 0, "idempotent by id");
    let d = k.check(&b, "2026-11-26T06:00:00+07:00");
    assert_eq!(d.direction, Some(Direction::In));
}

#[test]
fn a_forgotten_exit_does_not_turn_the_next_arrival_into_an_exit() {
    let mut k = Kiosk::new(GateMode::Auto, |_| {});
    let b = k.badge("NV001");
    assert_eq!(k.check(&b, "2026-11-24T05:55:00+07:00").direction, Some(Direction::In));
    // No scan out that afternoon; next morning, 25 hours later, is an arrival.
    assert_eq!(k.check(&b, "2026-11-25T06:55:00+07:00").direction, Some(Direction::In));
    // Within the longest stay (24 h by default) the next scan is still the way out.
    assert_eq!(k.check(&b, "2026-11-25T14:05:00+07:00").direction, Some(Direction::Out));
}
