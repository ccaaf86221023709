//! Photos picked on the HR pages: pictures and ZIPs of them, by name and bytes.

use std::io::{Cursor, Write};

use qrgate_core::model::GateMode;
use qrgate_hr::photos::{import_files, HEIGHT, WIDTH};
use qrgate_hr::Error;
use qrgate_testkit::{at, Kiosk};

fn png(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    image::GrayImage::from_fn(width, height, |x, y| image::Luma([((x + y) % 256) as u8]))
        .write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png)
        .unwrap();
    bytes
}

fn zip_of(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in files {
        zip.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

#[test]
fn a_zip_with_folders_and_a_picture_beside_it_are_shrunk_and_stored() {
    let mut k = Kiosk::new(GateMode::Auto, |_| {});
    let now = at("2026-12-01T08:00:00+07:00");
    let zip = zip_of(&[
        ("anh/NV001.png", png(1500, 2000)),
        ("__MACOSX/anh/._NV001.png", b"resource fork".to_vec()),
        ("anh/readme.txt", b"photos of May 1".to_vec()),
        ("anh/NV003.png", png(200, 100)),
    ]);
    let stored =
        import_files(&mut k.store, vec![("anh.zip".into(), zip), ("NV005.png".into(), png(600, 800))], now).unwrap();
    assert_eq!(stored, 3);
    let jpeg = k.store.photo(&"NV001".parse().unwrap()).unwrap().expect("NV001's photo");
    let shown = image::load_from_memory_with_format(&jpeg, image::ImageFormat::Jpeg).unwrap();
    assert_eq!((shown.width(), shown.height()), (WIDTH, HEIGHT), "3:4 kept, shrunk to the screen's size");
    let small = k.store.photo(&"NV003".parse().unwrap()).unwrap().unwrap();
    let small = image::load_from_memory(&small).unwrap();
    assert_eq!((small.width(), small.height()), (200, 100), "a small photo is not blown up");

    let broken = zip_of(&[("NV002.png", png(30, 40)), ("NV777.png", png(30, 40))]);
    let err = import_files(&mut k.store, vec![("more.zip".into(), broken)], now).unwrap_err();
    let Error::Photos(bad) = err else { panic!("{err}") };
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].file, "NV777.png");
    assert!(k.store.photo(&"NV002".parse().unwrap()).unwrap().is_none(), "nothing of a bad batch is kept");

    let err = import_files(&mut k.store, vec![("photos.rar".into(), vec![1, 2, 3])], now).unwrap_err();
    assert!(err.to_string().contains("photos.rar: not a .jpg, .jpeg, .png or .zip file"), "{err}");
    let err = import_files(&mut k.store, vec![("x.zip".into(), b"PK but not really".to_vec())], now).unwrap_err();
    assert!(err.to_string().contains("x.zip: not a readable ZIP"), "{err}");
}
