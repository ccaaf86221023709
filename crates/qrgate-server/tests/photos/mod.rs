//! Workers' photos between an enterprise's gates through the province: real PostgreSQL, the real
//! server binary, real kiosks. The server carries them and cannot read them; another enterprise
//! gets nothing; a photo changed on the server is refused; an erasure at one gate erases at the other.

use chrono::Utc;
use qrgate_core::model::EmployeeCode;

use crate::harness::*;
use crate::{A, B, T};

/// A JPEG's bytes as the kiosk keeps them: the magic, then bytes no seal could reproduce by chance.
fn jpeg(seed: u8) -> Vec<u8> {
    let mut bytes = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00".to_vec();
    let mut x = u32::from(seed) | 0x9E37_0000;
    for _ in 0..40_000 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        bytes.push(x as u8);
    }
    bytes.extend_from_slice(b"\xFF\xD9");
    bytes
}

/// A worker on `kiosk`'s roster, as HR's import leaves one.
fn hire(kiosk: &Kiosk, code: &str) {
    kiosk
        .store()
        .connection()
        .execute(
            "INSERT INTO workers (code, full_name, active, updated_at_ms) VALUES (?1, 'Nguyễn Văn Ảnh', 1, 0)",
            [code],
        )
        .unwrap();
}

/// Every photo row the server holds: (enterprise, the row as JSON, the sealed bytes).
fn server_rows(pg: &Postgres) -> Vec<(String, String, Vec<u8>)> {
    let text = pg.query(
        "SELECT enterprise || '|' || encode(sealed, 'hex') || '|' || row_to_json(p)::text FROM photos p ORDER BY photo_id",
    );
    text.lines()
        .map(|line| {
            let mut parts = line.splitn(3, '|');
            let enterprise = parts.next().unwrap().to_string();
            let sealed = hex::decode(parts.next().unwrap()).unwrap();
            (enterprise, parts.next().unwrap().to_string(), sealed)
        })
        .collect()
}

fn holds_any_window_of(haystack: &[u8], needle: &[u8], window: usize) -> bool {
    let windows: std::collections::HashSet<&[u8]> = needle.windows(window).collect();
    haystack.windows(window).any(|w| windows.contains(w))
}

/// A kiosk's database file and its WAL, as anyone who copies them reads them.
fn database_bytes(kiosk: &Kiosk) -> Vec<u8> {
    let file = kiosk.data.database();
    let mut bytes = std::fs::read(&file).unwrap();
    bytes.extend(std::fs::read(file.with_extension("db-wal")).unwrap_or_default());
    bytes
}

#[test]
fn photos_reach_the_enterprises_other_gate_sealed_and_an_erasure_follows() {
    let pg = Postgres::start(false);
    let server = Server::start(&pg.url, 0);
    let gate_a = Kiosk::init(A, "a-gate-1", 31);
    let gate_b = Kiosk::join(&gate_a, "a-gate-2", 32);
    let other = Kiosk::init(B, "b-gate-1", 33);
    for k in [&gate_a, &gate_b, &other] {
        k.register(&pg.url, &k.enterprise);
    }
    let code: EmployeeCode = "NV0042".parse().unwrap();
    let face = jpeg(1);
    hire(&gate_a, "NV0042");
    gate_a.store().put_photos(&[(code.clone(), face.clone())], Utc::now()).unwrap();
    assert_eq!(gate_a.status().photos_waiting, 1);

    let sent = gate_a.sync(&server.url, T).unwrap();
    assert_eq!((sent.photos_pushed, sent.photos_not_sent), (1, 0), "{sent:?}");
    assert_eq!(gate_a.status().photos_waiting, 0);

    // The province holds ciphertext under an id it cannot read.
    let rows = server_rows(&pg);
    assert_eq!(rows.len(), 1);
    let (enterprise, row, sealed) = &rows[0];
    assert_eq!(enterprise, A);
    assert!(!row.contains("NV0042") && !row.to_ascii_lowercase().contains("nv0042"), "{row}");
    assert!(!sealed.windows(6).any(|w| w == b"NV0042"), "the code is sealed too");
    assert!(!sealed.starts_with(b"\xFF\xD8\xFF") && !sealed[24..].starts_with(b"\xFF\xD8\xFF"), "no JPEG magic");
    assert!(!holds_any_window_of(sealed, &face, 16), "no 16 bytes of the JPEG in the server's row");
    assert!(sealed.len() >= face.len() && sealed.len() < face.len() + 100, "{}", sealed.len());
    let photo_id = pg.query("SELECT photo_id FROM photos");
    assert_eq!(photo_id.len(), 64, "{photo_id}");
    assert!(!server.inside(A).to_string().contains(&photo_id), "the province's queries show no photo");

    // The other gate of the enterprise shows the same JPEG; the other enterprise's gets nothing.
    let received = gate_b.sync(&server.url, T).unwrap();
    assert_eq!((received.photos_pulled, received.photos_refused), (1, 0), "{received:?}");
    assert_eq!(gate_b.store().photo(&code).unwrap().as_deref(), Some(&face[..]));
    assert_eq!(gate_b.status().photos_waiting, 0, "a pulled photo is not sent back");
    assert!(holds_any_window_of(&database_bytes(&gate_b), &face, 32), "the check below can see a photo");
    let elsewhere = other.sync(&server.url, T).unwrap();
    assert_eq!((elsewhere.photos_pulled, elsewhere.photos_refused), (0, 0), "{elsewhere:?}");
    assert_eq!(other.store().photo(&code).unwrap(), None);
    let again = gate_a.sync(&server.url, T).unwrap();
    assert_eq!((again.photos_pulled, again.photos_pushed), (0, 0), "a kiosk does not get its own photo back");

    // A photo the server changed is refused at the gate, counted, never stored.
    pg.query(
        "UPDATE photos SET sealed = set_byte(sealed, 1000, get_byte(sealed, 1000) # 1),
                tx = pg_current_xact_id(), change_seq = nextval('photo_changes')",
    );
    let tampered = gate_b.sync(&server.url, T).unwrap();
    assert_eq!((tampered.photos_pulled, tampered.photos_refused), (0, 1), "{tampered:?}");
    assert_eq!(gate_b.store().photo(&code).unwrap().as_deref(), Some(&face[..]), "the good photo stays");
    assert_eq!(gate_b.status().photos_refused, 1);

    // The worker leaves and asks to be erased at gate A: the photo goes at gate B too.
    gate_a.store().connection().execute("UPDATE workers SET active = 0 WHERE code = 'NV0042'", []).unwrap();
    qrgate_core::privacy::erase_worker(&gate_a.store(), &code, Utc::now()).unwrap();
    assert_eq!(gate_a.store().photo(&code).unwrap(), None);
    assert_eq!(gate_a.status().photos_waiting, 1, "the erasure waits for the other gates");
    let erased = gate_a.sync(&server.url, T).unwrap();
    assert_eq!(erased.photos_pushed, 1, "{erased:?}");
    let rows = server_rows(&pg);
    assert_eq!(rows.len(), 1);
    assert!(rows[0].1.contains("\"deleted\":true"), "{}", rows[0].1);
    assert!(rows[0].2.len() < 100, "the photo's ciphertext is gone from the server: {}", rows[0].2.len());

    let followed = gate_b.sync(&server.url, T).unwrap();
    assert_eq!((followed.photos_pulled, followed.photos_refused), (1, 0), "{followed:?}");
    assert_eq!(gate_b.store().photo(&code).unwrap(), None, "erased at gate B too");
    // As an erasure on the gate itself: no piece of the face left in the file or its WAL.
    assert!(!holds_any_window_of(&database_bytes(&gate_b), &face, 32), "no 32 bytes of the JPEG left at gate B");
    assert_eq!(other.sync(&server.url, T).unwrap().photos_pulled, 0);
}

#[test]
fn the_server_cannot_give_one_workers_sealed_photo_to_another() {
    let pg = Postgres::start(false);
    let server = Server::start(&pg.url, 0);
    let gate_a = Kiosk::init(A, "a-gate-1", 41);
    let gate_b = Kiosk::join(&gate_a, "a-gate-2", 42);
    for k in [&gate_a, &gate_b] {
        k.register(&pg.url, &k.enterprise);
    }
    let (first, second): (EmployeeCode, EmployeeCode) = ("NV0001".parse().unwrap(), "NV0002".parse().unwrap());
    let now = Utc::now();
    gate_a.store().put_photos(&[(first.clone(), jpeg(1)), (second.clone(), jpeg(2))], now).unwrap();
    assert_eq!(gate_a.sync(&server.url, T).unwrap().photos_pushed, 2);
    // The server puts each worker's ciphertext under the other's id.
    pg.query(
        "UPDATE photos p SET sealed = q.sealed, tx = pg_current_xact_id(), change_seq = nextval('photo_changes')
         FROM photos q WHERE q.enterprise = p.enterprise AND q.photo_id <> p.photo_id",
    );
    let swapped = gate_b.sync(&server.url, T).unwrap();
    assert_eq!((swapped.photos_pulled, swapped.photos_refused), (0, 2), "{swapped:?}");
    assert_eq!(gate_b.store().photo(&first).unwrap(), None);
    assert_eq!(gate_b.store().photo(&second).unwrap(), None);
}

#[test]
fn a_photo_larger_than_any_kiosk_sends_is_refused_with_its_code() {
    let pg = Postgres::start(false);
    let server = Server::start(&pg.url, 0);
    let gate = Kiosk::init(A, "a-gate-1", 51);
    gate.register(&pg.url, A);
    let client = gate.client(&server.url, T);
    let photo = qrgate_protocol::photo::WirePhoto {
        id: "ab".repeat(32),
        version_ms: Utc::now().timestamp_millis(),
        sealed: vec![7; qrgate_protocol::photo::MAX_SEALED_PHOTO_BYTES + 1],
        erased: false,
    };
    let request = qrgate_protocol::photo::PhotoPushRequest { enterprise: A.into(), photos: vec![photo] };
    let refused =
        client.push_photos(&request, Utc::now().timestamp_millis(), qrgate_protocol::Nonce([3; 16])).unwrap_err();
    match refused {
        qrgate_sync::Error::Refused { status, code, .. } => {
            assert_eq!((status, code.as_str()), (413, "photo_too_large"))
        }
        other => panic!("{other}"),
    }
    assert_eq!(pg.count("SELECT COUNT(*) FROM photos"), 0);
}
