//! `qrgate sync` and the kiosk's health report: a province whose health path fails still takes
//! every event, and `qrgate sync --status` says the report was not delivered until one is.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Arc;

use crate::support::Site;

/// Reads one request, its head and the body it declares; answers its path.
fn read_request(stream: &mut impl Read) -> String {
    let mut seen = Vec::new();
    let mut buf = [0u8; 8192];
    let mut declared = None;
    loop {
        if let Some((end, length)) = declared {
            if seen.len() >= end + 4 + length {
                break;
            }
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
        if declared.is_none() {
            if let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&seen[..end]).to_ascii_lowercase();
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:").and_then(|v| v.trim().parse().ok()))
                    .unwrap_or(0usize);
                declared = Some((end, length));
            }
        }
    }
    let head = String::from_utf8_lossy(&seen);
    head.split_whitespace().nth(1).unwrap_or("").to_string()
}

/// A province of our own making: push, pull and photos answered as an empty server answers them,
/// the health path with `health` (its status); one request per connection.
fn province(health: Arc<AtomicU16>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let path = read_request(&mut stream);
            let (status, body) = match path.as_str() {
                "/api/v1/push" => (200, r#"{"stored":[],"rejected":[],"workers_stored":0}"#.to_string()),
                "/api/v1/pull" => {
                    (200, r#"{"events":[],"workers":[],"events_cursor":"","roster_cursor":"","more":false}"#.into())
                }
                "/api/v1/photos/pull" => (200, r#"{"photos":[],"cursor":"","more":false}"#.into()),
                "/api/v1/health" => match health.load(Ordering::SeqCst) {
                    200 => (200, r#"{"clock_offset_ms":0}"#.into()),
                    status => {
                        (status, r#"{"code":"database","message":"the server cannot answer now; retry later"}"#.into())
                    }
                },
                _ => (404, String::new()),
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

#[test]
fn a_health_report_that_fails_is_in_the_status_and_the_round_still_succeeds() {
    let site = Site::new();
    site.init();
    let health = Arc::new(AtomicU16::new(500));
    let url = province(health.clone());

    let r = site.ok(&["sync", "--once", "--server", &url]);
    assert!(r.stdout.contains("online"), "{}", r.stdout);
    assert!(r.stdout.contains("health report not delivered [database]"), "{}", r.stdout);
    let status = site.ok(&["sync", "--status"]).stdout;
    assert!(status.contains("online  waiting 0"), "{status}");
    assert!(status.contains("health report not delivered [database]"), "{status}");
    assert!(!status.contains("last error"), "the round did not fail: {status}");

    health.store(200, Ordering::SeqCst);
    site.ok(&["sync", "--once", "--server", &url]);
    let status = site.ok(&["sync", "--status"]).stdout;
    assert!(!status.contains("health report"), "delivered: {status}");
}
