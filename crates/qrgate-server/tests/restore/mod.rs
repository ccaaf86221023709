//! A gate PC replaced from an older backup: the province ends with every event once, and the new
//! PC's first events take numbers above those the old PC sent after the backup (the province
//! would refuse a second event with a number it holds as a twin, and it would be lost).

use chrono::{Duration as Minutes, Utc};
use qrgate_core::datadir::DataDir;
use qrgate_core::model::Direction;
use uuid::Uuid;

use super::{start, A, T};
use crate::harness::*;

#[test]
fn a_kiosk_restored_from_an_older_backup_numbers_above_what_the_province_holds() {
    let pg = Postgres::start(false);
    let server = Server::start(&pg.url, 0);
    let old = Kiosk::init(A, "a-gate-r", 41);
    old.register(&pg.url, A);
    old.add_events(5, 3, start());
    old.sync(&server.url, T).unwrap();
    // Written, not yet sent, when the backup is taken.
    let waiting = old.add_events(3, 3, start() + Minutes::hours(1));
    let archive = old.dir.path().join("a-gate-r.zip");
    qrgate_core::backup::backup(&old.data, &archive, Default::default(), Utc::now()).unwrap();
    // The old PC goes on, sends everything, and is then lost.
    old.add_events(4, 3, start() + Minutes::hours(2));
    old.sync(&server.url, T).unwrap();
    let sent_by_old = pg.event_ids(&old.kiosk_id);
    assert_eq!(sent_by_old.len(), 12);

    let dir = tempfile::tempdir().unwrap();
    let new = Kiosk { data: DataDir::new(dir.path().join("kiosk")), dir, ..old };
    let report = qrgate_core::backup::restore(&archive, &new.data, Utc::now()).unwrap();
    let past = 8 + qrgate_core::store::RESTORE_SEQ_GAP + 1;
    assert_eq!(report.next_seq, past, "the backup's 8, then the gap past the old PC's 9 to 12");
    let tz = chrono::FixedOffset::east_opt(7 * 3600).unwrap();
    let scan = |minute: i64| {
        event(
            Uuid::now_v7(),
            "NV0001",
            Direction::In,
            (start() + Minutes::hours(3) + Minutes::minutes(minute)).with_timezone(&tz),
        )
    };
    // The gate records at once, before any sync: the network may be down the day the PC is swapped.
    let written = new.store().append_event(scan(0)).unwrap();
    assert_eq!(written.seq, past, "never one of the 9 to 12 the old PC sent after the backup");
    assert_eq!(new.status().waiting, 4, "the backup's unsent events wait again, and the new one");
    assert!(new.status().restored_unheard_since.is_some());

    // One round: the three go again (the province has them: stored, not twice), the new one is
    // stored beside the old PC's, and the pull tells the kiosk the province's highest number.
    new.sync(&server.url, T).unwrap();
    assert_eq!(new.status().restored_unheard_since, None);

    let status = new.status();
    assert_eq!((status.waiting, status.rejected), (0, 0), "nothing refused as a twin");
    let mut expected = sent_by_old.clone();
    expected.push(written.id.to_string());
    expected.sort();
    assert_eq!(pg.event_ids(&new.kiosk_id), expected, "every event once");
    assert_eq!(pg.count("SELECT COUNT(DISTINCT seq) FROM events WHERE kiosk_id = 'a-gate-r'"), 13);
    assert!(waiting.iter().all(|id| expected.contains(&id.to_string())));
}

/// A server that claims the kiosk sent a number no kiosk reaches is not believed: the numbering
/// stays where it was, and the kiosk can still number (no overflow one answer away).
#[test]
fn a_province_number_beyond_any_kiosks_is_not_taken() {
    // Nothing to push: the round's one request is the pull this server answers.
    let gate = Kiosk::init(A, "a-gate-h", 43);
    let answer = qrgate_protocol::PullResponse { own_seq: Some(qrgate_protocol::MAX_SEQ + 1), ..Default::default() };
    let body = serde_json::to_vec(&answer).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        use std::io::{BufRead, Read, Write};
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let _ = reader.take(length as u64).read_to_end(&mut Vec::new());
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(&body));
        }
    });
    let mut store = gate.store();
    store.number_past_backup(Utc::now()).unwrap();
    let refused = gate.sync(&url, T).unwrap_err();
    assert!(matches!(refused, qrgate_sync::Error::BadAnswer(_)), "{refused}");
    assert!(gate.status().restored_unheard_since.is_some(), "not yet a number it can believe");
    store.learn_province_seq(2).unwrap();
    let tz = chrono::FixedOffset::east_opt(7 * 3600).unwrap();
    let written =
        store.append_event(event(Uuid::now_v7(), "NV0001", Direction::In, start().with_timezone(&tz))).unwrap();
    assert_eq!(written.seq, qrgate_core::store::RESTORE_SEQ_GAP + 1, "a lower number heard takes nothing back");
}
