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
    assert!(report.awaiting_province, "it had synced: the province may hold more than the backup");
    let tz = chrono::FixedOffset::east_opt(7 * 3600).unwrap();
    let scan = |minute: i64| {
        event(
            Uuid::now_v7(),
            "NV0001",
            Direction::In,
            (start() + Minutes::hours(3) + Minutes::minutes(minute)).with_timezone(&tz),
        )
    };
    let refused = new.store().append_event(scan(0)).unwrap_err();
    assert_eq!(refused.code().as_str(), "awaiting_province");
    assert_eq!(new.status().waiting, 3, "the backup's unsent events wait again");

    // One round: the three go again (the province has them: stored, not twice), and the pull
    // tells the kiosk the province's highest number.
    new.sync(&server.url, T).unwrap();
    assert_eq!(new.status().restored_awaiting_since, None);
    let written = new.store().append_event(scan(1)).unwrap();
    assert_eq!(written.seq, 13, "above the 12 the province holds, not the backup's 8");
    new.sync(&server.url, T).unwrap();

    let status = new.status();
    assert_eq!((status.waiting, status.rejected), (0, 0), "nothing refused as a twin");
    let mut expected = sent_by_old.clone();
    expected.push(written.id.to_string());
    expected.sort();
    assert_eq!(pg.event_ids(&new.kiosk_id), expected, "every event once");
    assert_eq!(pg.count("SELECT COUNT(DISTINCT seq) FROM events WHERE kiosk_id = 'a-gate-r'"), 13);
    assert!(waiting.iter().all(|id| expected.contains(&id.to_string())));
}
