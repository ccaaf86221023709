//! `qrgate backup` and `qrgate restore` through the binary: a backup taken while the gate writes,
//! a replacement PC that works, and the archives and directories a restore must refuse.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};

use qrgate_core::model::{Method, Verdict};
use qrgate_core::store::{Event, Store};

use crate::support::{run_with_input, Site};

const ROSTER: &str = "\u{feff}Mã NV;Họ và tên;Bộ phận;Ca;Số điện thoại;Trạng thái
NV001;Nguyễn Thị Hương;May 1;CA1;0912345678;Đang làm
NV002;Trần Văn Dũng;Cắt;CA3;;1
";

/// A kiosk with a roster, an admin PIN and one scan; returns NV001's badge text.
fn kiosk(site: &Site) -> String {
    site.init();
    let roster = site.write("roster.csv", ROSTER.as_bytes());
    site.ok(&["roster", "import", &roster]);
    let pin = run_with_input(&site.data(), &["pin", "set", "--role", "admin", "Chị Lan"], "2468\n");
    assert_eq!(pin.code, 0, "{}", pin.stderr);
    let badge = site.ok(&["badge", "text", "NV001"]).stdout.trim().to_string();
    site.ok(&["check", "--at", "2026-11-25T06:55:00+07:00", &badge]);
    badge
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn event_ids(db: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn.prepare("SELECT id FROM events ORDER BY rowid_").unwrap();
    let ids = stmt.query_map([], |r| r.get(0)).unwrap().collect::<Result<Vec<String>, _>>().unwrap();
    ids
}

#[test]
fn backup_taken_while_the_gate_writes_restores_every_event_committed_before_it() {
    let site = Site::new();
    kiosk(&site);
    // The gate: another connection appending events, each committed before its id is told.
    let (told, committed) = mpsc::channel();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (db, stop) = (site.data().join("qrgate.db"), stop.clone());
        std::thread::spawn(move || {
            let mut store = Store::open(&db).unwrap();
            let at = chrono::DateTime::parse_from_rfc3339("2026-11-25T07:00:00+07:00").unwrap();
            let mut written = 0;
            while !stop.load(Ordering::SeqCst) {
                let mut draft = Event::draft(uuid::Uuid::now_v7(), "Cổng A", at, Method::Badge, Verdict::Refused);
                draft.reason = Some("not_a_badge".into());
                let stored = store.append_event(draft).unwrap();
                written += 1;
                if told.send(stored.id.to_string()).is_err() {
                    break;
                }
            }
            written
        })
    };
    let mut before: Vec<String> = committed.iter().take(200).collect();
    let archive = site.path("gate-1.zip");
    let r = site.ok(&["backup", "--out", archive.to_str().unwrap(), "--json"]);
    stop.store(true, Ordering::SeqCst);
    let written = writer.join().unwrap();
    assert!(r.json()["events"].as_u64().unwrap() >= 201, "{}", r.stdout);
    assert_eq!(mode(&archive), 0o600);

    let replacement = Site::new();
    replacement.ok(&["restore", archive.to_str().unwrap()]);
    let restored_db = replacement.data().join("qrgate.db");
    let conn = rusqlite::Connection::open(&restored_db).unwrap();
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    let restored = event_ids(&restored_db);
    before.sort();
    let held: std::collections::HashSet<&String> = restored.iter().collect();
    assert!(before.iter().all(|id| held.contains(id)), "every event committed before the backup is in it");
    assert!(restored.len() <= written + 1, "{} restored, {written} written", restored.len());
}

#[test]
fn a_restored_kiosk_works_where_the_old_one_did_and_holds_no_signing_key_unless_asked() {
    let site = Site::new();
    let badge = kiosk(&site);
    let archive = site.path("gate-1.zip");
    site.ok(&["backup", "--out", archive.to_str().unwrap()]);
    let bytes = std::fs::read(&archive).unwrap();
    let names = |b: &[u8], name: &str| b.windows(name.len()).any(|w| w == name.as_bytes());
    assert!(names(&bytes, "keys/kiosk.key") && names(&bytes, "pins.toml"));
    assert!(!names(&bytes, "badge-signing.key"), "the secret key stays out unless asked");
    assert_eq!(qrgate_desk::pin::PINS, qrgate_core::datadir::PINS, "the PINs file the backup takes is the desk's");

    // The replacement PC: its data directory exists, empty, as a package would leave it.
    let replacement = Site::new();
    std::fs::create_dir(replacement.data()).unwrap();
    let r = replacement.ok(&["restore", archive.to_str().unwrap()]);
    assert!(r.stdout.contains("Restored kiosk gate-1 of 0101234567"), "{}", r.stdout);
    let data = replacement.data();
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("keys")), 0o700);
    for f in ["qrgate.db", "kiosk.conf", "pins.toml", "keys/kiosk.key", "keys/badge-signing.pub", "keys/visitor.key"] {
        assert_eq!(mode(&data.join(f)), 0o600, "{f}");
    }
    assert!(!data.join("keys/badge-signing.key").exists());
    let leftovers: Vec<_> = std::fs::read_dir(&data).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(leftovers.iter().all(|n| !n.to_string_lossy().starts_with('.')), "{leftovers:?}");

    assert_eq!(site.ok(&["identity", "--json"]).json(), replacement.ok(&["identity", "--json"]).json());
    let status = replacement.ok(&["sync", "--status"]);
    assert!(status.stdout.contains("waiting 1"), "the old scan still waits for the province: {}", status.stdout);
    assert!(replacement.ok(&["pin", "list"]).stdout.contains("Chị Lan\tadmin"));
    let d = replacement.ok(&["check", "--json", "--at", "2026-11-25T14:02:00+07:00", &badge]).json();
    assert_eq!((d["verdict"].as_str(), d["direction"].as_str()), (Some("accepted"), Some("out")));
    let refused = replacement.qrgate(&["badge", "text", "NV001"]);
    assert_eq!(refused.code, 3, "no signing key here: {}", refused.stderr);

    let with_key = site.path("gate-1-with-key.zip");
    site.ok(&["backup", "--out", with_key.to_str().unwrap(), "--with-signing-key"]);
    let issuer = Site::new();
    issuer.ok(&["restore", with_key.to_str().unwrap()]);
    assert_eq!(mode(&issuer.data().join("keys/badge-signing.key")), 0o600);
    assert_eq!(issuer.ok(&["badge", "text", "NV001"]).stdout.trim(), badge);
}

#[test]
fn restore_refuses_a_directory_that_is_not_empty_and_touches_nothing() {
    let site = Site::new();
    kiosk(&site);
    let archive = site.path("gate-1.zip");
    site.ok(&["backup", "--out", archive.to_str().unwrap()]);

    let r = site.qrgate(&["restore", archive.to_str().unwrap()]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("error[data_dir_not_empty]") && r.stderr.contains("is not empty"), "{}", r.stderr);

    let other = Site::new();
    std::fs::create_dir(other.data()).unwrap();
    std::fs::write(other.data().join("notes.txt"), b"mine").unwrap();
    let r = other.qrgate(&["restore", archive.to_str().unwrap()]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("notes.txt"), "{}", r.stderr);
    let left: Vec<_> = std::fs::read_dir(other.data()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, vec![std::ffi::OsString::from("notes.txt")]);
}

#[test]
fn restore_refuses_a_cut_or_damaged_archive_and_leaves_nothing_behind() {
    let site = Site::new();
    kiosk(&site);
    let archive = site.path("gate-1.zip");
    site.ok(&["backup", "--out", archive.to_str().unwrap()]);
    let whole = std::fs::read(&archive).unwrap();

    // A byte inside the database's compressed bytes: its local header names it, and its data
    // follow the header's few extra bytes (a byte of the headers' dates would change nothing).
    let mut flipped = whole.clone();
    let name = whole.windows(b"qrgate.db".len()).position(|w| w == b"qrgate.db").unwrap();
    flipped[name + b"qrgate.db".len() + 200] ^= 0x5a;
    let missing_manifest = {
        // The archive as it was before its manifest and directory were written.
        let at = whole.windows(b"manifest.json".len()).position(|w| w == b"manifest.json").unwrap();
        whole[..at].to_vec()
    };
    for (what, bytes) in [
        ("cut in half", whole[..whole.len() / 2].to_vec()),
        ("cut by one byte", whole[..whole.len() - 1].to_vec()),
        ("a byte changed", flipped),
        ("no manifest", missing_manifest),
        ("not a zip", b"QR Gate? no".to_vec()),
    ] {
        let bad = site.write("bad.zip", &bytes);
        let fresh = Site::new();
        let r = fresh.qrgate(&["restore", &bad]);
        assert_eq!(r.code, 3, "{what}: {}", r.stderr);
        assert!(r.stderr.contains("error[backup_damaged]"), "{what}: {}", r.stderr);
        assert!(r.stderr.contains("nothing was restored"), "{what}: {}", r.stderr);
        assert!(!fresh.data().exists(), "{what}: the data directory was not left behind");

        std::fs::create_dir(fresh.data()).unwrap();
        assert_eq!(fresh.qrgate(&["restore", &bad]).code, 3);
        assert_eq!(std::fs::read_dir(fresh.data()).unwrap().count(), 0, "{what}: an empty directory stays empty");
    }
}

#[test]
fn a_restored_kiosk_records_at_once_numbered_past_its_backup_with_the_province_out_of_reach() {
    let site = Site::new();
    let badge = kiosk(&site);
    // A province nobody answers for: the port is closed.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let conf = site.data().join("kiosk.conf");
    let text = std::fs::read_to_string(&conf).unwrap();
    std::fs::write(&conf, text.replace("server = \"\"", &format!("server = \"http://127.0.0.1:{closed}\""))).unwrap();
    let archive = site.path("gate-1.zip");
    site.ok(&["backup", "--out", archive.to_str().unwrap()]);

    let replacement = Site::new();
    let r = replacement.ok(&["restore", archive.to_str().unwrap()]);
    let next = 1 + qrgate_core::store::RESTORE_SEQ_GAP + 1;
    assert!(r.stdout.contains(&format!("its next event is number {next}")), "{}", r.stdout);
    replacement.ok(&["check", "--at", "2026-11-25T14:02:00+07:00", &badge]);
    let status = replacement.ok(&["sync", "--status"]);
    assert!(status.stdout.contains("restored from a backup at"), "{}", status.stdout);
    let db = rusqlite::Connection::open(replacement.data().join("qrgate.db")).unwrap();
    let seqs: Vec<i64> = db
        .prepare("SELECT seq FROM events ORDER BY seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(seqs, [1, next], "the backup's event, then the new one past the gap");
}
