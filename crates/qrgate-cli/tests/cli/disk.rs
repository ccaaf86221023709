//! A full disk for real: a tiny tmpfs filled to the last page before the command runs.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{run_in, Site};

/// A tmpfs mounted for one test and unmounted when it ends, even when it fails.
struct Tmpfs(PathBuf);

impl Tmpfs {
    /// Mounting needs root (or CAP_SYS_ADMIN); the error says why it could not.
    fn mount(at: &Path, size: &str) -> Result<Tmpfs, String> {
        std::fs::create_dir_all(at).map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
        }
        Ok(Tmpfs(at.to_path_buf()))
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// Writes a page at a time until the file system refuses: then not one more page fits.
    fn fill(&self) {
        let mut file = std::fs::File::create(self.path("fill")).expect("room for an empty file");
        let page = [0u8; 4096];
        loop {
            if let Err(e) = file.write_all(&page) {
                assert_eq!(e.kind(), std::io::ErrorKind::StorageFull, "{e}");
                return;
            }
        }
    }

    /// Frees `bytes` of the filling, whole pages.
    fn make_room(&self, bytes: u64) {
        let file = std::fs::OpenOptions::new().write(true).open(self.path("fill")).unwrap();
        let len = file.metadata().unwrap().len();
        file.set_len(len.saturating_sub(bytes)).unwrap();
    }

    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.0)
            .expect("read the tmpfs")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn a_full_disk_is_called_full_and_leaves_no_half_file() {
    let site = Site::new();
    site.init();
    let roster = "employee_code,full_name,department\nNV001,Nguyễn Thị Hương,May 1\nNV002,Trần Văn Dũng,Cắt\n";
    site.ok(&["roster", "import", &site.write("roster.csv", roster.as_bytes())]);
    let disk = match Tmpfs::mount(&site.path("disk"), "1m") {
        Ok(disk) => disk,
        Err(why) => {
            eprintln!("skipped: a full disk needs a tmpfs, and mounting one failed: {why}");
            return;
        }
    };
    // The database, closed by the last command, has no WAL beside it: opening it must grow
    // one, which SQLite reports as a plain "disk I/O error" when the disk is full.
    let data = disk.path("data");
    copy_dir(&site.data(), &data);
    disk.fill();

    let r = run_in(&data, &["check", "NV001"]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(r.stderr.contains("error[disk_full]") && r.stderr.contains("the disk is full"), "{}", r.stderr);

    let pdf = disk.path("b.pdf");
    let r = site.qrgate(&["badge", "issue", "--all", "--pdf", pdf.to_str().unwrap()]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(r.stderr.contains("error[disk_full]") && r.stderr.contains("the disk is full"), "{}", r.stderr);
    assert!(r.stderr.contains("b.pdf") && !r.stderr.contains(".part"), "{}", r.stderr);

    // The sheet fits elsewhere; the phone PNGs go to the full disk and none is left cut off.
    let sheet = site.path("b.pdf");
    let pngs = disk.path("png");
    let r = site.qrgate(&[
        "badge",
        "issue",
        "--all",
        "--pdf",
        sheet.to_str().unwrap(),
        "--png-dir",
        pngs.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(r.stderr.contains("error[disk_full]"), "{}", r.stderr);
    assert_eq!(std::fs::read_dir(&pngs).unwrap().count(), 0, "a cut-off PNG was left");
    std::fs::remove_dir(&pngs).unwrap();

    let csv = disk.path("inside.csv");
    let r = site.qrgate(&["export", "inside", "--format", "csv", "--out", csv.to_str().unwrap()]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(r.stderr.contains("error[disk_full]"), "{}", r.stderr);

    assert_eq!(disk.names(), ["data", "fill"], "a failed write left a file behind");

    let fresh = disk.path("fresh");
    let init = ["init", "--enterprise", "0101234567", "--name", "Công ty", "--kiosk-id", "gate-2"];
    let r = run_in(&fresh, &init);
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(r.stderr.contains("error[disk_full]") && r.stderr.contains("the disk is full"), "{}", r.stderr);
    assert!(!r.stderr.contains(".partial"), "the temporary file means nothing to the person: {}", r.stderr);

    // Room for a kiosk but not for a month of 2,000 workers: a demo seeded into a new directory
    // fills the disk part-way, and leaves no directory that would refuse the next seed.
    disk.make_room(512 * 1024);
    let demo = disk.path("demo");
    let r = run_in(&demo, &["demo", "seed", "--workers", "2000", "--days", "30"]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(r.stdout.contains("Initialised a demo kiosk"), "the seed began: {}", r.stdout);
    assert!(r.stderr.contains("error[disk_full]"), "{}", r.stderr);
    assert!(!demo.exists(), "a failed seed left {}", demo.display());

    // Room again: the same command finishes what it began.
    std::fs::remove_file(disk.path("fill")).unwrap();
    let r = run_in(&fresh, &init);
    assert_eq!(r.code, 0, "{}", r.stderr);
}
