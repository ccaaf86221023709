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

/// A data directory on a read-only disk: a read-only bind mount when we may mount (root),
/// else a directory without write permission (which binds every other user).
#[test]
fn read_only_disk_gives_a_clear_error_and_loses_nothing() {
    let mut k = Kiosk::new(GateMode::Auto, |_| {});
    let badge = k.badge("NV001");
    k.check(&badge, "2026-11-25T06:00:00+07:00");
    let root = k.data.root.clone();
    let Kiosk { store, gate, dir, .. } = k;
    drop(gate);
    drop(store);
    let ro = dir.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    let mounted =
        std::process::Command::new("mount").arg("--bind").arg(&root).arg(&ro).status().is_ok_and(|s| s.success())
            && std::process::Command::new("mount")
                .args(["-o", "remount,ro,bind"])
                .arg(&ro)
                .status()
                .is_ok_and(|s| s.success());
    let target = if mounted {
        ro.clone()
    } else {
        use std::os::unix::fs::PermissionsExt;
        let uid = unsafe { libc_getuid() };
        if uid == 0 {
            eprintln!("cannot mount and running as root: permission bits would not stop us; nothing to test");
            return;
        }
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o500)).unwrap();
        std::fs::set_permissions(root.join("qrgate.db"), std::fs::Permissions::from_mode(0o400)).unwrap();
        root.clone()
    };
    let data = qrgate_core::datadir::DataDir::new(&target);
    let outcome = data.open().and_then(|(mut store, config)| {
        let gate = qrgate_core::gate::Gate::new(&store, config)?;
        let badge2 = badge.clone();
        gate.check(&mut store, &Scan::camera(&badge2), at("2026-11-25T14:00:00+07:00"), uuid::Uuid::now_v7())
    });
    if mounted {
        let _ = std::process::Command::new("umount").arg(&ro).status();
    }
    let err = outcome.expect_err("a read-only disk cannot take an event");
    assert_eq!(err.code().as_str(), "read_only", "{err}");
    // The event written before is still there.
    let store = Store::open(&root.join("qrgate.db")).unwrap();
    assert_eq!(store.event_count().unwrap(), 1);
}

extern "C" {
    #[link_name = "getuid"]
    fn libc_getuid() -> u32;
}
