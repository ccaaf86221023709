//! The data directory under bad conditions: foreign, corrupted, newer or read-only databases lose nothing.

use qrgate_core::gate::Scan;
use qrgate_core::model::GateMode;
use qrgate_core::store::Store;
use qrgate_core::Error;

use qrgate_testkit::{at, Kiosk};

#[test]
fn files_are_for_the_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let k = Kiosk::new(GateMode::Auto, |_| {});
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&k.data.root), 0o700);
    assert_eq!(mode(&k.data.database()), 0o600);
    assert_eq!(mode(&k.data.keys().join("badge-signing.key")), 0o600);
    assert_eq!(mode(&k.data.keys().join("kiosk.key")), 0o600);
}

#[test]
fn an_init_that_stopped_part_way_can_be_run_again() {
    let dir = tempfile::tempdir().unwrap();
    let data = qrgate_core::datadir::DataDir::new(dir.path().join("data"));
    // What a full disk left behind: the keys directory and an empty kiosk key, no database.
    std::fs::create_dir_all(data.keys()).unwrap();
    std::fs::write(data.keys().join("kiosk.key"), b"").unwrap();
    std::fs::write(data.config_path(), b"[gate]\nname = \"half").unwrap();
    let options = || qrgate_core::datadir::InitOptions {
        enterprise: "0101234567".parse().unwrap(),
        enterprise_name: "Công ty TNHH Thử Nghiệm".into(),
        kiosk_id: "gate-1".parse().unwrap(),
        gate: Some("Cổng A".into()),
        mode: None,
        keys_dir: None,
        badge_public_key: None,
        visitor_key: None,
    };
    data.init(options(), &mut rand::rngs::OsRng, at("2026-11-25T06:00:00+07:00")).expect("init again");
    let (store, config) = data.open().expect("a whole kiosk");
    assert_eq!(config.gate.name, "Cổng A");
    assert_eq!(store.identity().kiosk_id.to_string(), "gate-1");
    assert_eq!(std::fs::read_to_string(data.keys().join("kiosk.key")).unwrap().trim().len(), 64);
    data.kiosk_key().expect("the kiosk key reads back");
    data.badge_signing_key(None).expect("the badge key reads back");
}

#[test]
fn init_twice_is_refused_and_changes_nothing() {
    let k = Kiosk::new(GateMode::Auto, |_| {});
    let key_before = std::fs::read(k.data.keys().join("badge-signing.key")).unwrap();
    let again = k.data.init(
        qrgate_core::datadir::InitOptions {
            enterprise: "0101234567".parse().unwrap(),
            enterprise_name: "X".into(),
            kiosk_id: "gate-9".parse().unwrap(),
            gate: None,
            mode: None,
            keys_dir: None,
            badge_public_key: None,
            visitor_key: None,
        },
        &mut rand::rngs::OsRng,
        at("2026-11-25T06:00:00+07:00"),
    );
    assert!(matches!(again, Err(Error::AlreadyInitialised(_))));
    assert_eq!(std::fs::read(k.data.keys().join("badge-signing.key")).unwrap(), key_before);
}

#[test]
fn foreign_and_corrupted_databases_are_named_not_touched() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.db");
    let text = b"this is not a database at all, just some text in a file".repeat(100);
    std::fs::write(&garbage, &text).unwrap();
    let err = Store::open(&garbage).err().unwrap();
    assert_eq!(err.code().as_str(), "foreign_database", "{err}");
    assert_eq!(std::fs::read(&garbage).unwrap(), text);

    let other = dir.path().join("other.db");
    let c = rusqlite::Connection::open(&other).unwrap();
    c.execute_batch("CREATE TABLE invoices (id INTEGER); INSERT INTO invoices VALUES (1);").unwrap();
    drop(c);
    let err = Store::open(&other).err().unwrap();
    assert_eq!(err.code().as_str(), "foreign_database", "{err}");
    let c = rusqlite::Connection::open(&other).unwrap();
    let n: i64 = c.query_row("SELECT COUNT(*) FROM invoices", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 1);
}

#[test]
fn a_newer_schema_is_refused() {
    let k = Kiosk::new(GateMode::Auto, |_| {});
    let path = k.data.database();
    drop(k.gate);
    drop(k.store);
    rusqlite::Connection::open(&path).unwrap().pragma_update(None, "user_version", 999).unwrap();
    let err = Store::open(&path).err().unwrap();
    assert!(matches!(err, Error::SchemaTooNew { found: 999, .. }), "{err}");
}

#[test]
fn a_damaged_page_is_reported_when_read() {
    let mut k = Kiosk::new(GateMode::Auto, |_| {});
    let badge = k.badge("NV001");
    k.check(&badge, "2026-11-25T06:00:00+07:00");
    let path = k.data.database();
    let Kiosk { store, gate, dir, .. } = k;
    drop(gate);
    drop(store);
    // Checkpointed by the close; overwrite everything after the header page with noise.
    let mut bytes = std::fs::read(&path).unwrap();
    for b in bytes.iter_mut().skip(4096) {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes).unwrap();
    let result = Store::open(&path).and_then(|s| s.worker_count());
    let err = result.expect_err("corruption must not pass silently");
    assert!(matches!(err.code().as_str(), "foreign_database" | "storage"), "{}: {err}", err.code());
    drop(dir);
}

/// Set in the child process that finds the data directory on a read-only mount.
const READ_ONLY_DIR: &str = "QRGATE_TEST_READ_ONLY_DIR";

/// The gate's answer to a scan in the data directory at `dir`.
fn scan_in(dir: &std::path::Path, badge: &str) -> qrgate_core::Result<qrgate_core::gate::Decision> {
    let data = qrgate_core::datadir::DataDir::new(dir);
    let (mut store, config) = data.open()?;
    let gate = qrgate_core::gate::Gate::new(&store, config)?;
    gate.check(&mut store, &Scan::camera(badge), at("2026-11-25T14:00:00+07:00"), uuid::Uuid::now_v7())
}

/// The data directory bound read-only in a mount namespace of its own (so nothing is left
/// mounted if the test dies), where this same test, run again as a child, scans. `unshare`
/// gives root that namespace, and anyone else one in a user namespace of their own. `None` when
/// this machine allows neither.
fn scan_on_read_only_mount(root: &std::path::Path, ro: &std::path::Path, badge: &str) -> Option<String> {
    let root_user = unsafe { libc_getuid() } == 0;
    let mut unshare = std::process::Command::new("unshare");
    unshare.arg("--mount");
    if !root_user {
        unshare.arg("--map-root-user");
    }
    let output = unshare
        .args([
            "sh",
            "-c",
            "mount --bind \"$1\" \"$2\" && mount -o remount,ro,bind \"$2\" || exit 97; shift 2; exec \"$@\"",
        ])
        .arg("sh")
        .arg(root)
        .arg(ro)
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", "store::read_only_disk_gives_a_clear_error_and_loses_nothing", "--nocapture"])
        .env(READ_ONLY_DIR, ro)
        .env("QRGATE_TEST_BADGE", badge)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    match output.status.code() {
        Some(97) | None if !text.contains("read-only answer:") => None,
        _ => {
            assert!(output.status.success(), "the scan on the read-only mount failed:\n{text}");
            Some(text)
        }
    }
}

/// A data directory on a read-only disk: a read-only bind mount in a mount namespace (root, as
/// CI runs, or a user namespace), else a directory without write permission (which binds every
/// user but root). As root with no way to mount the test fails: it never passes untested.
#[test]
fn read_only_disk_gives_a_clear_error_and_loses_nothing() {
    if let Some(dir) = std::env::var_os(READ_ONLY_DIR) {
        // The child, inside the namespace: the directory is mounted read-only here.
        let badge = std::env::var("QRGATE_TEST_BADGE").unwrap();
        let err = scan_in(std::path::Path::new(&dir), &badge).expect_err("a read-only disk cannot take an event");
        println!("read-only answer: {} {err}", err.code());
        assert_eq!(err.code().as_str(), "read_only", "{err}");
        return;
    }
    let mut k = Kiosk::new(GateMode::Auto, |_| {});
    let badge = k.badge("NV001");
    k.check(&badge, "2026-11-25T06:00:00+07:00");
    let root = k.data.root.clone();
    let Kiosk { store, gate, dir, .. } = k;
    drop(gate);
    drop(store);
    let ro = dir.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    match scan_on_read_only_mount(&root, &ro, &badge) {
        Some(text) => assert!(text.contains("read-only answer: read_only"), "{text}"),
        None => {
            use std::os::unix::fs::PermissionsExt;
            assert_ne!(
                unsafe { libc_getuid() },
                0,
                "running as root, and `unshare --mount` with a read-only bind mount failed: permission bits \
                 would not stop root, so this test cannot test (give the test CAP_SYS_ADMIN)"
            );
            std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o500)).unwrap();
            std::fs::set_permissions(root.join("qrgate.db"), std::fs::Permissions::from_mode(0o400)).unwrap();
            let err = scan_in(&root, &badge).expect_err("a read-only disk cannot take an event");
            assert_eq!(err.code().as_str(), "read_only", "{err}");
            std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o700)).unwrap();
            std::fs::set_permissions(root.join("qrgate.db"), std::fs::Permissions::from_mode(0o600)).unwrap();
        }
    }
    // The event written before is still there, and nothing was added.
    let store = Store::open(&root.join("qrgate.db")).unwrap();
    assert_eq!(store.event_count().unwrap(), 1);
}

extern "C" {
    #[link_name = "getuid"]
    fn libc_getuid() -> u32;
}

#[test]
fn a_restored_kiosk_numbers_past_its_backup_at_once_and_above_the_province_once_heard() {
    let mut k = Kiosk::new(GateMode::Auto, |_| {});
    let badge = k.badge("NV001");
    k.check(&badge, "2026-11-25T07:00:00+07:00");
    k.store.number_past_backup(at("2026-11-26T08:00:00+07:00")).unwrap();
    assert_eq!(k.store.restored_unheard().unwrap(), Some(at("2026-11-26T08:00:00+07:00")));
    let seq = |k: &Kiosk, id: uuid::Uuid| -> i64 {
        k.store.connection().query_row("SELECT seq FROM events WHERE id = ?1", [id.to_string()], |r| r.get(0)).unwrap()
    };
    let gap = qrgate_core::store::RESTORE_SEQ_GAP;
    let d = k.check(&badge, "2026-11-26T08:05:00+07:00");
    assert_eq!(seq(&k, d.event_id), 1 + gap + 1, "recorded at once, past any number sent after the backup");

    // The province holds numbers above even that (a second restore elsewhere): sync raises the floor.
    k.store.learn_province_seq(3 * gap).unwrap();
    assert_eq!(k.store.restored_unheard().unwrap(), None);
    let d = k.check(&badge, "2026-11-26T12:06:00+07:00");
    assert_eq!(seq(&k, d.event_id), 3 * gap + 1);
    // A lower mark heard later never takes the numbering back.
    k.store.learn_province_seq(3).unwrap();
    let d = k.check(&badge, "2026-11-26T17:06:00+07:00");
    assert_eq!(seq(&k, d.event_id), 3 * gap + 2);
}
