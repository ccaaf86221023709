//! The server under 500 slow unauthenticated connections (real PostgreSQL, the server binary,
//! loopback): half trickle their headers (slowloris), half send the headers of registered kiosks
//! (the syncing kiosk's own among them) with junk signatures and trickle 4 MiB bodies. Meanwhile
//! the real kiosk syncs. Printed: the
//! server's peak RSS (target < 200 MB) and how long the kiosk's sync took.
//! Bounded: the attack runs for `QRGATE_BENCH_SECS` (default 40) seconds, on loopback only.
//! Run: cargo bench -p qrgate-server --bench hostile

#[path = "../tests/harness/mod.rs"]
mod harness;

use std::io::Write;
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use harness::*;
use qrgate_protocol::PUSH_PATH;

const A: &str = "0101234567";
const CONNECTIONS: usize = 500;
/// Registered kiosk ids the attackers use (their signatures are junk): enough that the
/// server-wide bound on unauthenticated bodies, not the per-kiosk one, is what holds.
const EVIL_KIOSKS: usize = 50;

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn main() {
    let secs: u64 = std::env::var("QRGATE_BENCH_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(40);
    let pg = Postgres::start(false);
    let server = Server::start(&pg.url, 0);
    let gate = Kiosk::init(A, "gate-1", 1);
    gate.register(&pg.url, A);
    pg.query(&format!(
        "INSERT INTO kiosks (kiosk_id, enterprise, public_key)
         SELECT 'evil-' || i, '{A}', decode(repeat('11', 32), 'hex') FROM generate_series(1, {EVIL_KIOSKS}) i"
    ));
    gate.add_events(1000, 100, Utc::now() - chrono::Duration::hours(2));
    let idle_rss = rss_kib(server.pid());

    let stop = Arc::new(AtomicBool::new(false));
    let open = Arc::new(AtomicU64::new(0));
    let answered = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let attackers: Vec<_> = (0..CONNECTIONS)
        .map(|i| {
            let (stop, open, answered, addr) = (stop.clone(), open.clone(), answered.clone(), server.addr);
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                    let Ok(mut s) = TcpStream::connect(addr) else {
                        std::thread::sleep(Duration::from_millis(200));
                        continue;
                    };
                    s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
                    open.fetch_add(1, Ordering::Relaxed);
                    if i % 2 == 0 {
                        slowloris(&mut s, &stop, deadline);
                    } else {
                        // One in ten claims to be the kiosk that syncs, to take its slots if it can.
                        let kiosk =
                            if i % 10 == 1 { "gate-1".to_string() } else { format!("evil-{}", 1 + i % EVIL_KIOSKS) };
                        slow_body(&mut s, &kiosk, &stop, deadline, &answered);
                    }
                    open.fetch_sub(1, Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(200));
                }
            })
        })
        .collect();

    // Let the attack build up, then sync while it holds, sampling the server's memory throughout.
    let sampler = {
        let (stop, pid) = (stop.clone(), server.pid());
        std::thread::spawn(move || {
            let mut peak = 0;
            while !stop.load(Ordering::Relaxed) {
                peak = peak.max(rss_kib(pid));
                std::thread::sleep(Duration::from_millis(100));
            }
            peak
        })
    };
    std::thread::sleep(Duration::from_secs(secs / 4));
    let open_at_sync = open.load(Ordering::Relaxed);
    let t = Instant::now();
    let round = gate.sync(&server.url, Duration::from_secs(60));
    let sync_secs = t.elapsed().as_secs_f64();
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    stop.store(true, Ordering::Relaxed);
    let peak = sampler.join().unwrap();
    for a in attackers {
        let _ = a.join();
    }
    let round = round.expect("the kiosk's sync succeeds under attack");
    assert_eq!(round.pushed, 1000);
    println!("hostile: {CONNECTIONS} slow unauthenticated connections for {secs} s ({open_at_sync} open when the sync started)");
    println!(
        "hostile: server RSS idle {:.1} MB, peak under attack {:.1} MB (target < 200 MB)",
        idle_rss as f64 / 1024.0,
        peak as f64 / 1024.0
    );
    println!(
        "hostile: a kiosk pushed {} events and pulled in {sync_secs:.2} s meanwhile; {} slow bodies were answered (timeout, busy, bad signature)",
        round.pushed,
        answered.load(Ordering::Relaxed)
    );
}

/// Sends a request line, then one header byte a second until the server hangs up.
fn slowloris(s: &mut TcpStream, stop: &AtomicBool, deadline: Instant) {
    if s.write_all(format!("POST {PUSH_PATH} HTTP/1.1\r\nhost: x\r\n").as_bytes()).is_err() {
        return;
    }
    while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
        if s.write_all(b"x").is_err() || closed(s) {
            return;
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// Sends a registered kiosk's headers with a junk signature and body hash and a 4 MiB body,
/// 64 KiB every 100 ms, until the server answers or hangs up.
fn slow_body(s: &mut TcpStream, kiosk: &str, stop: &AtomicBool, deadline: Instant, answered: &AtomicU64) {
    let length = qrgate_protocol::MAX_WIRE_BYTES;
    let nonce: String = (0..16).map(|_| format!("{:02x}", rand::random::<u8>())).collect();
    let head = format!(
        "POST {PUSH_PATH} HTTP/1.1\r\nhost: x\r\ncontent-length: {length}\r\nx-qrgate-kiosk: {kiosk}\r\n\
         x-qrgate-timestamp: {}\r\nx-qrgate-nonce: {nonce}\r\nx-qrgate-body-sha256: {}\r\n\
         x-qrgate-signature: {}\r\n\r\n",
        Utc::now().timestamp_millis(),
        "00".repeat(32),
        "00".repeat(64)
    );
    if s.write_all(head.as_bytes()).is_err() {
        return;
    }
    let chunk = vec![b' '; 64 * 1024];
    let mut sent = 0;
    while sent < length && !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
        if s.write_all(&chunk[..chunk.len().min(length - sent)]).is_err() {
            break;
        }
        sent += chunk.len();
        if closed(s) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    answered.fetch_add(1, Ordering::Relaxed);
}

/// Whether the server answered or hung up (a read that does not just time out).
fn closed(s: &mut TcpStream) -> bool {
    let mut buf = [0u8; 512];
    // Bytes waiting (an answer) or none at the end of the stream: either way the server is done.
    match s.peek(&mut buf) {
        Ok(_) => true,
        Err(e) => !matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut),
    }
}
