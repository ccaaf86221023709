//! `qrgate photos import` through the binary: a clerk's folder of photos named by employee
//! code, shrunk into the kiosk's database; a folder with a bad file imports nothing and names it;
//! erasing a former worker erases their photo; imports and erasures wait to travel to the other gates.

use crate::support::Site;

const ROSTER: &str = "Mã NV;Họ và tên;Bộ phận;Ca;Số điện thoại;Trạng thái
NV001;Nguyễn Thị Hương;May 1;CA1;0912345678;Đang làm
NV002;Trần Văn Dũng;Cắt;CA3;;1
";

/// A portrait as a phone takes it: larger than the screen needs.
fn portrait(path: &std::path::Path, shade: u8) {
    image::RgbImage::from_fn(900, 1200, |x, y| image::Rgb([shade, (x % 256) as u8, (y % 256) as u8]))
        .save(path)
        .unwrap();
}

fn photos_in_db(site: &Site) -> Vec<(String, Vec<u8>)> {
    let db = rusqlite::Connection::open(site.data().join("qrgate.db")).unwrap();
    let mut stmt = db.prepare("SELECT code, jpeg FROM photos ORDER BY code").unwrap();
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    rows.map(Result::unwrap).collect()
}

#[test]
fn a_folder_of_photos_is_imported_whole_or_not_at_all() {
    let site = Site::new();
    site.init();
    site.ok(&["roster", "import", &site.write("roster.csv", ROSTER.as_bytes())]);
    let folder = site.path("anh");
    std::fs::create_dir_all(&folder).unwrap();
    portrait(&folder.join("NV001.png"), 10);
    portrait(&folder.join("NV002.PNG"), 200);
    std::fs::write(folder.join("Thumbs.db"), b"not a photo, passed over").unwrap();
    let r = site.ok(&["photos", "import", folder.to_str().unwrap()]);
    assert!(r.stdout.contains("imported 2 photo(s)"), "{}", r.stdout);
    let stored = photos_in_db(&site);
    assert_eq!(stored.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>(), ["NV001", "NV002"]);
    for (_, jpeg) in &stored {
        assert_eq!(&jpeg[..3], [0xFF, 0xD8, 0xFF], "stored as JPEG");
        assert!(jpeg.len() < 120_000, "shrunk to the screen's size: {} bytes", jpeg.len());
    }

    // One good photo beside a stranger's, a text file dressed as a JPEG and a second NV001:
    // every bad file named, nothing imported.
    let bad = site.path("anh-2");
    std::fs::create_dir_all(&bad).unwrap();
    portrait(&bad.join("NV001.png"), 90);
    portrait(&bad.join("NV999.png"), 90);
    std::fs::write(bad.join("NV002.jpg"), b"this is not a picture").unwrap();
    portrait(&bad.join("nv001.PNG"), 90);
    let r = site.qrgate(&["photos", "import", bad.to_str().unwrap()]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("photos_bad_files") && r.stderr.contains("nothing was imported"), "{}", r.stderr);
    assert!(r.stderr.contains("NV999.png: no worker NV999 on the roster"), "{}", r.stderr);
    assert!(r.stderr.contains("NV002.jpg: not a JPEG or PNG picture"), "{}", r.stderr);
    assert_eq!(photos_in_db(&site), stored, "nothing half-imported");

    // Both wait to travel, sealed, to the enterprise's other gates.
    let r = site.ok(&["sync", "--status"]);
    assert!(r.stdout.contains("workers' photos waiting for the other gates: 2"), "{}", r.stdout);

    let r = site.qrgate(&["photos", "import", site.path("no-such-folder").to_str().unwrap()]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("no-such-folder"), "{}", r.stderr);

    // The worker asks what the kiosk holds: the photo is in the JSON.
    let json = site.path("nv002.json");
    site.ok(&["privacy", "show", "--employee", "NV002", "--format", "json", "--out", json.to_str().unwrap()]);
    let held: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert!(held["photo_jpeg_base64"].as_str().is_some_and(|b| b.starts_with("/9j/")), "a JPEG in base64");

    // NV002 leaves; erasing their details erases their photo, NV001's stays.
    let left = ROSTER.replace("NV002;Trần Văn Dũng;Cắt;CA3;;1", "NV002;Trần Văn Dũng;Cắt;CA3;;0");
    site.ok(&["roster", "import", &site.write("roster-2.csv", left.as_bytes())]);
    site.ok(&["privacy", "erase", "--employee", "NV002"]);
    assert_eq!(photos_in_db(&site).iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>(), ["NV001"]);
    // NV002's photo was waiting; now its erasure waits in its place.
    let r = site.ok(&["sync", "--status"]);
    assert!(r.stdout.contains("workers' photos waiting for the other gates: 2"), "{}", r.stdout);
    site.ok(&["privacy", "show", "--employee", "NV002", "--format", "json", "--out", json.to_str().unwrap()]);
    let held: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert!(held["photo_jpeg_base64"].is_null(), "{held}");
}
