//! A gate whose clock jumps, through `qrgate check --at`: the order the scans were written decides
//! direction and debounce, an entry dated far ahead keeps nobody inside, and a time far from the
//! kiosk's last known good time is flagged on the decision and in the events export.

use crate::support::Site;

const ROSTER: &str = "Mã NV;Họ và tên;Bộ phận;Ca\nNV001;Nguyễn Thị Hương;May 1;CA1\n";

/// A kiosk (gate mode `auto`, debounce 10 s) with one worker, and that worker's badge.
fn kiosk() -> (Site, String) {
    let site = Site::new();
    site.init();
    site.ok(&["roster", "import", &site.write("roster.csv", ROSTER.as_bytes())]);
    site.ok(&["badge", "issue", "--all", "--pdf", site.path("b.pdf").to_str().unwrap()]);
    let badge = site.ok(&["badge", "text", "NV001"]).stdout.trim().to_string();
    (site, badge)
}

/// The decision for a scan of `badge` at `at`, as JSON.
fn scan(site: &Site, badge: &str, at: &str) -> serde_json::Value {
    site.ok(&["check", "--json", "--at", at, badge]).json()
}

fn directions(site: &Site, badge: &str, times: &[&str]) -> Vec<String> {
    times.iter().map(|t| scan(site, badge, t)["direction"].as_str().unwrap_or("-").to_string()).collect()
}

/// The codes on the evacuation list at `at`.
fn inside_at(site: &Site, at: &str) -> String {
    let out = site.path("inside.csv");
    site.ok(&["export", "inside", "--format", "csv", "--out", out.to_str().unwrap(), "--at", at]);
    std::fs::read_to_string(out).unwrap()
}

/// The events export of `day`, as CSV text.
fn events_of(site: &Site, day: &str) -> String {
    let out = site.path("events.csv");
    site.ok(&["export", "events", "--from", day, "--to", day, "--format", "csv", "--out", out.to_str().unwrap()]);
    std::fs::read_to_string(out).unwrap()
}

#[test]
fn one_scan_dated_2099_neither_locks_the_direction_nor_keeps_the_worker_inside() {
    let (site, badge) = kiosk();
    let d = scan(&site, &badge, "2099-06-01T08:00:00+07:00");
    assert_eq!(d["direction"], "in");
    // The clock is right again: the entry dated 2099 says nothing of today.
    let dirs = directions(&site, &badge, &["2026-11-25T07:00:00+07:00", "2026-11-25T17:00:00+07:00"]);
    assert_eq!(dirs, ["in", "out"], "not OUT for ever after");
    assert!(!inside_at(&site, "2026-11-25T18:00:00+07:00").contains("NV001"), "left at 17:00");
    assert_eq!(directions(&site, &badge, &["2026-11-26T07:00:00+07:00"]), ["in"]);
    assert!(inside_at(&site, "2026-11-26T08:00:00+07:00").contains("NV001"), "came in again at 07:00");
    // A worker whose only entry is dated 2099 is not on today's evacuation list either.
    let (other, badge) = kiosk();
    scan(&other, &badge, "2099-06-01T08:00:00+07:00");
    assert!(!inside_at(&other, "2026-11-25T18:00:00+07:00").contains("NV001"));
}

#[test]
fn a_clock_set_back_ten_minutes_keeps_the_directions_alternating() {
    let (site, badge) = kiosk();
    let dirs = directions(
        &site,
        &badge,
        &["2026-11-25T08:00:00+07:00", "2026-11-25T07:50:00+07:00", "2026-11-25T17:00:00+07:00"],
    );
    assert_eq!(dirs, ["in", "out", "in"], "each scan turns the worker round, in the order written");
}

#[test]
fn a_scan_five_seconds_before_the_last_one_is_the_same_passage() {
    let (site, badge) = kiosk();
    let first = scan(&site, &badge, "2026-11-25T08:00:00+07:00");
    let again = scan(&site, &badge, "2026-11-25T07:59:55+07:00");
    assert_eq!(again["debounced"], true, "{again}");
    assert_eq!(again["event_id"], first["event_id"], "shows the earlier event");
    assert_eq!(events_of(&site, "2026-11-25").lines().count(), 2, "a header and one event");
}

#[test]
fn after_a_reset_to_2000_three_scans_a_second_apart_are_one_event_flagged() {
    let (site, badge) = kiosk();
    assert_eq!(scan(&site, &badge, "2026-11-25T08:00:00+07:00")["clock_flag"], serde_json::Value::Null);
    let decisions: Vec<_> = ["2000-01-01T07:00:00+07:00", "2000-01-01T07:00:01+07:00", "2000-01-01T07:00:02+07:00"]
        .iter()
        .map(|t| scan(&site, &badge, t))
        .collect();
    // An entry dated 26 years after "now" is no stay (one rule of inside, either way in time):
    // the gate cannot tell how long ago it really was, so it knows nothing and says IN.
    assert_eq!(decisions[0]["direction"], "in");
    assert_eq!(decisions[0]["debounced"], false);
    for d in &decisions[1..] {
        assert_eq!((&d["debounced"], &d["event_id"]), (&serde_json::Value::Bool(true), &decisions[0]["event_id"]));
    }
    // The guard and the export both say the time is not to be trusted.
    assert_eq!(decisions[0]["clock_flag"], "behind");
    let line = site.ok(&["check", "--at", "2000-01-01T09:00:00+07:00", &badge]).stdout;
    assert!(line.contains("clock"), "{line}");
    let events = events_of(&site, "2000-01-01");
    assert_eq!(events.lines().count(), 3, "the 07:00 IN, the 09:00 OUT, no repeats: {events}");
    assert!(events.lines().next().unwrap().contains("Giờ đáng ngờ"), "{events}");
    assert!(events.lines().skip(1).all(|l| l.contains("Lùi giờ")), "{events}");
    assert!(!events_of(&site, "2026-11-25").contains("Lùi giờ"), "the good entry is not flagged");
}
