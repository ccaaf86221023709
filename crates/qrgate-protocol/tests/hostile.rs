//! Property tests: arbitrary events, roster rows, headers and bodies thrown at the shared
//! validation. Nothing panics, whatever comes in; a good event next to bad ones stays good.

use proptest::prelude::*;
use qrgate_protocol::check::{self, Field};
use qrgate_protocol::{from_json, PullResponse, PushRequest, RequestAuth, WireEvent, WireWorker};
use uuid::Uuid;

const NOW: i64 = 1_750_000_000_000;

fn good(n: u128) -> WireEvent {
    WireEvent {
        id: Uuid::from_u128(n),
        kiosk_id: "gate-1".into(),
        seq: 7,
        gate: "Cổng A".into(),
        person_kind: Some("worker".into()),
        person_ref: Some("NV001".into()),
        direction: Some("in".into()),
        at_ms: NOW - 3_600_000,
        offset_s: 7 * 3600,
        method: "badge".into(),
        verdict: "accepted".into(),
        reason: None,
        badge_serial: Some(1),
        operator: None,
        note: None,
        clock_offset_ms: None,
        clock_flag: None,
        follows: None,
    }
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[\\x00-\\x1f a-zA-Z0-9ễ-]{0,200}", Just("x".repeat(5000))]
}

prop_compose! {
    fn any_event()(
        n in any::<u128>(),
        kiosk in prop_oneof![Just("gate-1".to_string()), any_text()],
        seq in any::<i64>(),
        gate in any_text(),
        kind in proptest::option::of(prop_oneof![Just("worker".to_string()), Just("visitor".to_string()), any_text()]),
        person in proptest::option::of(any_text()),
        direction in proptest::option::of(any_text()),
        at_ms in prop_oneof![any::<i64>(), Just(i64::MIN), Just(i64::MAX), NOW - 1000..NOW + 1000],
        offset_s in prop_oneof![any::<i32>(), Just(i32::MIN), -50_000i32..50_000],
        method in any_text(),
        verdict in any_text(),
        reason in proptest::option::of(any_text()),
        serial in proptest::option::of(any::<u32>()),
        note in proptest::option::of(any_text()),
    ) -> WireEvent {
        WireEvent { id: Uuid::from_u128(n), kiosk_id: kiosk, seq, gate, person_kind: kind, person_ref: person,
            direction, at_ms, offset_s, method, verdict, reason, badge_serial: serial, operator: None, note,
            clock_offset_ms: None, clock_flag: None, follows: None }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_event_is_checked_without_panic_and_what_passes_is_clean(e in any_event(), now in any::<i64>()) {
        if let Ok(checked) = e.clone().check("gate-1", now) {
            let e = checked.get();
            prop_assert!(e.at_ms <= now.saturating_add(check::MAX_EVENT_AHEAD_MS));
            prop_assert!(e.seq >= 1);
            for t in [Some(&e.gate), e.note.as_ref(), e.person_ref.as_ref()].into_iter().flatten() {
                prop_assert!(!t.chars().any(char::is_control));
            }
        }
    }

    #[test]
    fn good_events_beside_bad_ones_all_pass(bad in proptest::collection::vec(any_event(), 0..20), at in 0usize..20) {
        let mut batch: Vec<WireEvent> = bad;
        let at = at.min(batch.len());
        batch.insert(at, good(u128::MAX));
        let passed: Vec<Uuid> = batch.into_iter().filter_map(|e| e.check("gate-1", NOW).ok()).map(|c| c.get().id).collect();
        prop_assert!(passed.contains(&Uuid::from_u128(u128::MAX)));
    }

    #[test]
    fn any_roster_row_is_checked_without_panic(code in any_text(), name in any_text(), dept in any_text(), serial in any::<u32>()) {
        let w = WireWorker { code, full_name: name, department: dept, shift: String::new(), active: true, badge_serial: serial };
        if w.check().is_ok() {
            prop_assert!(check::text(Field::FullName, &w.full_name).is_ok());
            prop_assert!(w.badge_serial <= check::MAX_BADGE_SERIAL);
        }
    }

    #[test]
    fn any_headers_are_read_without_panic(kiosk in any_text(), stamp in any_text(), nonce in any_text(), sig in any_text(), now in any::<i64>()) {
        let auth = RequestAuth::from_headers(|n| Some(match n {
            "x-qrgate-kiosk" => kiosk.as_str(),
            "x-qrgate-timestamp" => stamp.as_str(),
            "x-qrgate-nonce" => nonce.as_str(),
            _ => sig.as_str(),
        }));
        if let Ok(auth) = auth {
            let fresh = auth.check_fresh(now).is_ok();
            prop_assert_eq!(fresh, auth.timestamp_ms.abs_diff(now) <= qrgate_protocol::MAX_CLOCK_SKEW_MS as u64);
        }
    }

    #[test]
    fn any_body_is_parsed_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = from_json::<PushRequest>(&bytes, "push");
        let _ = from_json::<PullResponse>(&bytes, "pull");
        let _ = qrgate_protocol::gunzip(&bytes, 1 << 16);
    }
}
