//! The kiosk's command line, checked once at start: which data directory, which frame source.

use std::path::PathBuf;

use qrgate_scan::{Fps, SourceSpec};

/// How the kiosk was asked to start.
#[derive(Debug, Clone, PartialEq)]
pub struct Launch {
    /// None with `demo`: a fresh temporary directory, gone when the kiosk stops.
    pub data: Option<PathBuf>,
    pub demo: bool,
    /// None: the demo's badge frames in demo mode, the first camera otherwise.
    pub source: Option<SourceSpec>,
    /// None: the demo script's own rate in demo mode, 15 otherwise.
    pub fps: Option<Fps>,
    /// A window instead of full screen: for a developer's desk, not a gate.
    pub windowed: bool,
}

pub const USAGE: &str = "\
qrgate-kiosk: the QR Gate guard screen

  qrgate-kiosk [--data DIR] [--source camera:N|dir:PATH] [--fps N] [--windowed]
  qrgate-kiosk --demo [--data DIR] ...

  --data DIR     the kiosk's data directory (default: $QRGATE_DATA, else ~/.local/share/qrgate)
  --demo         a seeded demo enterprise with replayed badge frames (a temporary directory
                 unless --data names one)
  --source SPEC  camera:0 for the first camera, dir:PATH to replay a folder of images
  --fps N        frames per second to take from the source (default 15; the demo's own rate)
  --windowed     a window instead of full screen";

/// Reads the arguments after the program name; `env_data` is `$QRGATE_DATA`.
pub fn parse(args: impl IntoIterator<Item = String>, env_data: Option<String>) -> Result<Launch, String> {
    let mut launch = Launch {
        data: env_data.filter(|d| !d.is_empty()).map(PathBuf::from),
        demo: false,
        source: None,
        fps: None,
        windowed: false,
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--demo" => launch.demo = true,
            "--windowed" => launch.windowed = true,
            "--data" => launch.data = Some(PathBuf::from(value("--data")?)),
            "--source" => launch.source = Some(value("--source")?.parse().map_err(|e| format!("--source: {e}"))?),
            "--fps" => launch.fps = Some(value("--fps")?.parse().map_err(|e| format!("--fps: {e}"))?),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
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
    }
}
