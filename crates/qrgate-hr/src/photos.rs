//! Workers' photos for the guard screen: a folder or a ZIP of JPEG and PNG files named by
//! employee code (`NV00123.jpg`), each checked, shrunk to the screen's size and stored in one
//! transaction — or none at all, with every bad file named.
//!
//! Photos are personal data (Law 91/2025/QH15): they live in the enterprise's kiosks' databases,
//! go with the worker's other details when those are erased, and reach the other gates only
//! sealed with the enterprise's key (qrgate-sync's `photos`), which the province never holds.

use std::io::{Cursor, Read};
use std::path::Path;

use chrono::{DateTime, Utc};
use image::imageops::FilterType;
use qrgate_core::model::EmployeeCode;
use qrgate_core::store::Store;

use crate::error::{Error, Result};

/// The largest photo kept: a 3:4 portrait as large as the guard screen shows it.
pub const WIDTH: u32 = 360;
pub const HEIGHT: u32 = 480;
/// A phone's photo is a few megabytes; past this a file is not a portrait.
const LARGEST_FILE: u64 = 25 * 1024 * 1024;
/// Decoding is bounded before it starts: a file claiming a larger picture is refused.
const LARGEST_SIDE: u32 = 12_000;
const JPEG_QUALITY: u8 = 85;

/// One file that cannot be taken, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PhotoError {
    /// The file's name as HR sees it in the folder or the ZIP.
    pub file: String,
    pub why: String,
}

/// Reads every photo in `from` (a folder, or a `.zip`), and stores them all, replacing older
/// ones, or nothing when any file is bad. Returns how many were stored.
pub fn import(store: &mut Store, from: &Path, now: DateTime<Utc>) -> Result<usize> {
    let files = if from.is_dir() {
        read_folder(from)?
    } else {
        let name = from.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        vec![(name, std::fs::read(from).map_err(Error::io(from))?)]
    };
    import_files(store, files, now)
}

/// The same for files picked on the HR pages, by name and bytes: pictures, or ZIPs of them.
pub fn import_files(store: &mut Store, picked: Vec<(String, Vec<u8>)>, now: DateTime<Utc>) -> Result<usize> {
    let mut files = Vec::new();
    for (name, bytes) in picked {
        if name.to_ascii_lowercase().ends_with(".zip") {
            files.extend(read_zip(&name, bytes)?);
        } else if is_picture_name(&name) {
            files.push((name, bytes));
        } else {
            let why = "not a .jpg, .jpeg, .png or .zip file".to_string();
            return Err(Error::Photos(vec![PhotoError { file: name, why }]));
        }
    }
    if files.is_empty() {
        return Err(Error::invalid("photos", "no .jpg, .jpeg or .png file was given"));
    }
    let mut photos: Vec<(EmployeeCode, Vec<u8>)> = Vec::with_capacity(files.len());
    let mut bad = Vec::new();
    for (name, bytes) in files {
        match photo(store, &name, &bytes) {
            Ok((code, _)) if photos.iter().any(|(c, _)| *c == code) => {
                bad.push(PhotoError { file: name, why: format!("a second photo of {code}") })
            }
            Ok(photo) => photos.push(photo),
            Err(why) => bad.push(PhotoError { file: name, why }),
        }
    }
    if !bad.is_empty() {
        return Err(Error::Photos(bad));
    }
    store.put_photos(&photos, now)?;
    Ok(photos.len())
}

/// One file's photo: its worker and the shrunk JPEG, or why not.
fn photo(store: &Store, name: &str, bytes: &[u8]) -> std::result::Result<(EmployeeCode, Vec<u8>), String> {
    let stem = Path::new(name).file_stem().and_then(|s| s.to_str()).unwrap_or_default();
    let code: EmployeeCode = stem.parse().map_err(|_| format!("{stem:?} is not an employee code"))?;
    match store.worker(&code) {
        Ok(Some(_)) => {}
        Ok(None) => return Err(format!("no worker {code} on the roster")),
        Err(e) => return Err(e.to_string()),
    }
    Ok((code, shrink(bytes)?))
}

/// The picture as a JPEG of at most [`WIDTH`]×[`HEIGHT`], its proportions kept.
pub fn shrink(bytes: &[u8]) -> std::result::Result<Vec<u8>, String> {
    let mut reader =
        image::ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|e| format!("not readable ({e})"))?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(LARGEST_SIDE);
    limits.max_image_height = Some(LARGEST_SIDE);
    reader.limits(limits);
    match reader.format() {
        Some(image::ImageFormat::Jpeg | image::ImageFormat::Png) => {}
        _ => return Err("not a JPEG or PNG picture".into()),
    }
    let picture = reader.decode().map_err(|e| format!("not a readable picture ({e})"))?;
    let small = if picture.width() > WIDTH || picture.height() > HEIGHT {
        picture.resize(WIDTH, HEIGHT, FilterType::Triangle)
    } else {
        picture
    };
    let mut jpeg = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, JPEG_QUALITY);
    small.to_rgb8().write_with_encoder(encoder).map_err(|e| format!("cannot be stored ({e})"))?;
    Ok(jpeg)
}

fn is_picture_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".jpg", ".jpeg", ".png"].iter().any(|ext| lower.ends_with(ext))
}

fn too_large(name: &str) -> Error {
    Error::Photos(vec![PhotoError { file: name.into(), why: "larger than 25 MB".into() }])
}

/// Every picture file in the folder, by name; other files (a Thumbs.db, a readme) are passed
/// over, as a clerk's folder holds them.
fn read_folder(from: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    let mut entries: Vec<_> = std::fs::read_dir(from)
        .map_err(Error::io(from))?
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(Error::io(from))?;
    entries.sort_by_key(|e| e.file_name());
    let mut files = Vec::new();
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if !path.is_file() || !(is_picture_name(&name) || name.to_ascii_lowercase().ends_with(".zip")) {
            continue;
        }
        if entry.metadata().map_err(Error::io(&path))?.len() > LARGEST_FILE {
            return Err(too_large(&name));
        }
        files.push((name, std::fs::read(&path).map_err(Error::io(&path))?));
    }
    Ok(files)
}

/// Every picture file in a ZIP, by name, folders inside it flattened.
fn read_zip(zip_name: &str, bytes: Vec<u8>) -> Result<Vec<(String, Vec<u8>)>> {
    let not_zip = |e: zip::result::ZipError| {
        Error::Photos(vec![PhotoError { file: zip_name.into(), why: format!("not a readable ZIP ({e})") }])
    };
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(not_zip)?;
    let mut files = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(not_zip)?;
        let full = entry.name().map_err(not_zip)?.into_owned();
        let name = full.rsplit('/').next().unwrap_or_default().to_string();
        // macOS's resource forks are not photos.
        if entry.is_dir() || full.starts_with("__MACOSX/") || name.starts_with("._") || !is_picture_name(&name) {
            continue;
        }
        if entry.size() > LARGEST_FILE {
            return Err(too_large(&name));
        }
        let mut bytes = Vec::with_capacity(entry.size() as usize);
        // The declared size may lie: read no more than the limit allows.
        (&mut entry)
            .take(LARGEST_FILE + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| not_zip(zip::result::ZipError::Io(e)))?;
        if bytes.len() as u64 > LARGEST_FILE {
            return Err(too_large(&name));
        }
        files.push((name, bytes));
    }
    Ok(files)
}
