//! `qrgate photos import`: HR's photos of the workers, for the guard screen.

use std::path::PathBuf;

use chrono::Utc;
use qrgate_core::datadir::DataDir;
use qrgate_desk::Result;

use crate::Outcome;

#[derive(clap::Subcommand)]
pub enum PhotosCommand {
    /// Import photos from a folder or a ZIP of JPEG/PNG files named by employee code (NV00123.jpg).
    #[command(after_help = "Each photo is shrunk to 360×480 and kept in the kiosk's database; a newer photo \
replaces the older one. When any file is bad (not a picture, no such worker, two photos of one worker), \
every bad file is listed by name and nothing is imported. Photos are personal data: they are erased with \
the worker's details (`qrgate privacy erase --employee`) and never sent to the province.\n\n\
Example: qrgate photos import /media/usb/anh-nhan-vien.zip")]
    Import {
        /// The folder or the .zip file.
        path: PathBuf,
    },
}

pub fn run(cmd: PhotosCommand, data: &DataDir) -> Result<Outcome> {
    let PhotosCommand::Import { path } = cmd;
    let (mut store, _) = data.open()?;
    let stored = qrgate_hr::photos::import(&mut store, &path, Utc::now())?;
    println!("imported {stored} photo(s) from {}", path.display());
    Ok(Outcome::Done)
}
