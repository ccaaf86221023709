//! Process-wide counters for /metrics in Prometheus text. Each instance counts its own requests;
//! Prometheus sums instances. The kiosks' gauges are the database's, the same from every
//! instance: counts only, never a kiosk's name.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;

static PUSHES: AtomicU64 = AtomicU64::new(0);
static PULLS: AtomicU64 = AtomicU64::new(0);
static EVENTS_NEW: AtomicU64 = AtomicU64::new(0);
static EVENTS_DUPLICATE: AtomicU64 = AtomicU64::new(0);
static EVENTS_REJECTED: AtomicU64 = AtomicU64::new(0);
static EVENTS_PULLED: AtomicU64 = AtomicU64::new(0);
static REFUSED: Mutex<BTreeMap<&'static str, u64>> = Mutex::new(BTreeMap::new());

pub fn pushed(new: u64, duplicate: u64, rejected: u64) {
    PUSHES.fetch_add(1, Relaxed);
    EVENTS_NEW.fetch_add(new, Relaxed);
    EVENTS_DUPLICATE.fetch_add(duplicate, Relaxed);
    EVENTS_REJECTED.fetch_add(rejected, Relaxed);
}

pub fn pulled(events: u64) {
    PULLS.fetch_add(1, Relaxed);
    EVENTS_PULLED.fetch_add(events, Relaxed);
}

pub fn refused(code: &'static str) {
    *REFUSED.lock().unwrap_or_else(|p| p.into_inner()).entry(code).or_default() += 1;
}

/// The counters, and the kiosks' gauges when the database answered for them (a scrape while it
/// is down still gets the counters, and the gauges' absence says so).
pub fn render(kiosks: Option<crate::health::KioskCounts>) -> String {
    let mut out = String::new();
    if let Some(k) = kiosks {
        let gauges = [
            ("qrgate_kiosks_registered", "Kiosks registered and not revoked.", k.registered),
            ("qrgate_kiosks_silent", "Registered kiosks with no sync for more than an hour (or never).", k.silent),
        ];
        for (name, help, value) in gauges {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}");
        }
    }
    let counters = [
        ("qrgate_push_requests_total", "Push requests answered with 200.", &PUSHES),
        ("qrgate_pull_requests_total", "Pull requests answered with 200.", &PULLS),
        ("qrgate_events_stored_total", "Events stored for the first time.", &EVENTS_NEW),
        ("qrgate_events_duplicate_total", "Events pushed again that were already stored.", &EVENTS_DUPLICATE),
        ("qrgate_events_rejected_total", "Events refused for good.", &EVENTS_REJECTED),
        ("qrgate_events_pulled_total", "Events handed to kiosks by pull.", &EVENTS_PULLED),
    ];
    for (name, help, value) in counters {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}", value.load(Relaxed));
    }
    let _ = writeln!(out, "# HELP qrgate_requests_refused_total Requests refused, by error code.");
    let _ = writeln!(out, "# TYPE qrgate_requests_refused_total counter");
    for (code, n) in REFUSED.lock().unwrap_or_else(|p| p.into_inner()).iter() {
        let _ = writeln!(out, "qrgate_requests_refused_total{{code=\"{code}\"}} {n}");
    }
    out
}
