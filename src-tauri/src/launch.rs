//! The kiosk's command line, checked once at start: which data directory, which frame source.

use std::path::PathBuf;

use qrgate_scan::{Fps, SourceSpec};

/// How the kiosk was asked to start.
#[derive(Debug, Clone, PartialEq)]
pub struct Launch {
    /// None with `demo`: a fresh temporary directory, gone when the kiosk stops.
    pub data: Option<PathBuf>,
    pub demo: bool,
    /// None: the demo's badge frames in demo mode, kiosk.conf's [camera] source otherwise.
    pub source: Option<SourceSpec>,
    /// None: the demo script's own rate in demo mode, kiosk.conf's [camera] fps otherwise.
    pub fps: Option<Fps>,
    /// A window instead of full screen: for a developer's desk, not a gate.
    pub windowed: bool,
    /// The province's server, instead of kiosk.conf's.
    pub server: Option<String>,
    /// Run this long, print the kiosk's figures and exit.
    pub measure: Option<std::time::Duration>,
    /// While measuring, export a month's attendance over and over, as HR would.
    pub measure_export: bool,
    /// The demo enterprise's size: workers, and days of events before today.
    pub workers: usize,
    pub days: u32,
}

/// The demo's default size: small enough to seed in a second or two.
const DEMO_WORKERS: usize = 200;
const DEMO_DAYS: u32 = 7;

pub const USAGE: &str = "\
qrgate-kiosk: the QR Gate guard screen

  qrgate-kiosk [--data DIR] [--source camera:N|dir:PATH] [--fps N] [--windowed]
               [--server URL] [--measure SECONDS [--measure-export]]
  qrgate-kiosk --demo [--workers N] [--days N] [--data DIR] ...

  --data DIR     the kiosk's data directory (default: $QRGATE_DATA, else ~/.local/share/qrgate)
  --demo         a seeded demo enterprise with replayed badge frames (a temporary directory
                 unless --data names one)
  --workers N    the demo enterprise's workers (default 200; 20000 is a large factory, the
                 benchmarks' size, and takes a minute or two to seed)
  --days N       days of the demo's event history before today (default 7)
  --source SPEC  camera:0 for the first camera, dir:PATH to replay a folder of images
                 (default: kiosk.conf's [camera] source; the demo's badge frames)
  --fps N        frames per second to take from the source (default: kiosk.conf's [camera]
                 fps; the demo's own rate)
  --windowed     a window that closes freely instead of the locked full screen
  --server URL   the province's server (default: kiosk.conf's [sync] server)
  --measure S    run S seconds once the screen is up, print window-ready time, frame-to-screen
                 latency, CPU and memory, and exit
  --measure-export  while measuring, export the last 30 days' attendance again and again,
                 as HR does from the kiosk, and print the longest wait for the gate's desk";

/// Reads the arguments after the program name; `env_data` is `$QRGATE_DATA`.
pub fn parse(args: impl IntoIterator<Item = String>, env_data: Option<String>) -> Result<Launch, String> {
    let mut launch = Launch {
        data: env_data.filter(|d| !d.is_empty()).map(PathBuf::from),
        demo: false,
        source: None,
        fps: None,
        windowed: false,
        server: None,
        measure: None,
        measure_export: false,
        workers: DEMO_WORKERS,
        days: DEMO_DAYS,
    };
    let (mut workers, mut days) = (None, None);
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--demo" => launch.demo = true,
            "--windowed" => launch.windowed = true,
            "--data" => launch.data = Some(PathBuf::from(value("--data")?)),
            "--source" => launch.source = Some(value("--source")?.parse().map_err(|e| format!("--source: {e}"))?),
            "--server" => launch.server = Some(value("--server")?),
            "--measure" => {
                let s: f64 = value("--measure")?.parse().map_err(|_| "--measure: a number of seconds".to_string())?;
                if !(s > 0.0 && s <= 3600.0) {
                    return Err("--measure: between 0 and 3600 seconds".into());
                }
                launch.measure = Some(std::time::Duration::from_secs_f64(s));
            }
            "--workers" => {
                let n = value("--workers")?.parse().ok().filter(|n| (3..=100_000).contains(n));
                workers = Some(n.ok_or("--workers: a number of workers from 3 to 100000")?);
            }
            "--days" => {
                let n = value("--days")?.parse().ok().filter(|n| (1..=366).contains(n));
                days = Some(n.ok_or("--days: a number of days from 1 to 366")?);
            }
            "--measure-export" => launch.measure_export = true,
            "--fps" => launch.fps = Some(value("--fps")?.parse().map_err(|e| format!("--fps: {e}"))?),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if launch.measure_export && launch.measure.is_none() {
        return Err("--measure-export goes with --measure SECONDS".into());
    }
    if (workers.is_some() || days.is_some()) && !launch.demo {
        return Err("--workers and --days size the demo enterprise: give --demo too".into());
    }
    launch.workers = workers.unwrap_or(DEMO_WORKERS);
    launch.days = days.unwrap_or(DEMO_DAYS);
    Ok(launch)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn a_demo_with_a_named_directory_and_a_replay_folder() {
        let l = parse(args("--demo --data /tmp/k --source dir:/tmp/f --fps 10 --windowed"), None).unwrap();
        assert!(l.demo && l.windowed);
        assert_eq!(l.data, Some(PathBuf::from("/tmp/k")));
        assert_eq!(l.source, Some(SourceSpec::Replay { path: "/tmp/f".into() }));
        assert_eq!(l.fps, Some(Fps::new(10.0).unwrap()));
    }

    #[test]
    fn the_flag_wins_over_the_environment_and_bad_input_is_named() {
        assert_eq!(parse(args("--data /a"), Some("/b".into())).unwrap().data, Some(PathBuf::from("/a")));
        assert_eq!(parse(args(""), Some("/b".into())).unwrap().data, Some(PathBuf::from("/b")));
        assert!(parse(args("--source usb:0"), None).unwrap_err().contains("--source"));
        assert!(parse(args("--fps 0"), None).unwrap_err().contains("--fps"));
        assert!(parse(args("--data"), None).unwrap_err().contains("needs a value"));
        assert!(parse(args("--fullscreen"), None).unwrap_err().contains("unknown argument"));
        assert!(parse(args("--measure 0"), None).unwrap_err().contains("--measure"));
        assert!(parse(args("--measure soon"), None).unwrap_err().contains("--measure"));
        assert!(parse(args("--workers 20000"), None).unwrap_err().contains("--demo"));
        assert!(parse(args("--demo --workers 2"), None).unwrap_err().contains("--workers"));
        assert!(parse(args("--demo --days lots"), None).unwrap_err().contains("--days"));
        let l = parse(args("--demo --workers 20000 --days 30"), None).unwrap();
        assert_eq!((l.workers, l.days), (20000, 30));
        assert_eq!(parse(args("--demo"), None).unwrap().workers, DEMO_WORKERS);
        let l = parse(args("--measure 2.5 --server https://sync.example.vn"), None).unwrap();
        assert_eq!(l.measure, Some(std::time::Duration::from_millis(2500)));
        assert_eq!(l.server.as_deref(), Some("https://sync.example.vn"));
    }
}
