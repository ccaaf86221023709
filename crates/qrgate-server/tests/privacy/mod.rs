//! Personal data at the province: retention that keeps only daily counts, and a record of every
//! trace and purge that names nobody. Real PostgreSQL, the real server binary, real kiosks.

use std::time::Duration;

use crate::harness::*;
use crate::{start, A, B, T};

#[test]
fn old_events_become_daily_counts_and_every_trace_and_purge_is_recorded_without_names() {
    let pg = Postgres::start(false);
    let gate = Kiosk::init(A, "a-gate-1", 11);
    let other = Kiosk::init(B, "b-gate-1", 12);
    for k in [&gate, &other] {
        k.register(&pg.url, &k.enterprise);
    }
    gate.add_events(4, 2, start());
    other.add_events(2, 1, start());
    {
        let keeping = Server::start(&pg.url, 0);
        gate.sync(&keeping.url, T).unwrap();
        other.sync(&keeping.url, T).unwrap();
        assert_eq!(pg.count("SELECT COUNT(*) FROM events"), 6, "retention 0 keeps everything");

        let http = reqwest::blocking::Client::new();
        let get = |path: &str| http.get(format!("{}{path}", keeping.url)).bearer_auth(QUERY_TOKEN).send().unwrap();
        let before =
            get(&format!("/api/v1/province/daily?from=2025-03-03&to=2025-03-03&enterprise={A}")).text().unwrap();
        assert!(before.contains("\"total\":4"), "{before}");
        let traced =
            get(&format!("/api/v1/province/contacts?enterprise={A}&person=NV0001&from=2025-03-03&to=2025-03-03"));
        assert_eq!(traced.status(), 200);
        let record: serde_json::Value = get(&format!("/api/v1/province/processing?enterprise={A}")).json().unwrap();
        assert_eq!(record[0]["action"], "trace");
        assert_eq!(record[0]["enterprise"], A);
        assert_eq!(record[0]["people"], 1, "the trace named one contact");
        assert!(!record.to_string().contains("NV0001"), "the record says a trace was made, not whom: {record}");
        let none: serde_json::Value = get(&format!("/api/v1/province/processing?enterprise={B}")).json().unwrap();
        assert_eq!(none, serde_json::json!([]), "one enterprise's record holds none of another's traces");

        // The same server with 90 days' retention: March 2025 is long past, so the purge at start
        // turns its events into counts, and the day reads the same.
        drop(keeping);
        let purging = Server::start_with(&pg.url, 0, &["--retention-days", "90"]);
        wait_for("the purge at start", Duration::from_secs(30), || {
            (pg.count("SELECT COUNT(*) FROM events") == 0).then_some(())
        });
        let get = |path: &str| http.get(format!("{}{path}", purging.url)).bearer_auth(QUERY_TOKEN).send().unwrap();
        let after =
            get(&format!("/api/v1/province/daily?from=2025-03-03&to=2025-03-03&enterprise={A}")).text().unwrap();
        assert_eq!(after, before, "a purged day reads as it did from its events");
        assert_eq!(pg.count("SELECT COUNT(*) FROM daily_counts"), 2, "a day of each enterprise");
        let record: serde_json::Value = get(&format!("/api/v1/province/processing?enterprise={A}")).json().unwrap();
        assert_eq!((record[0]["action"].as_str(), record[0]["actor"].as_str()), (Some("purge"), Some("retention")));
        assert_eq!(record[0]["people"], 2, "two workers' events went");
        let contacts =
            get(&format!("/api/v1/province/contacts?enterprise={A}&person=NV0001&from=2025-03-03&to=2025-03-03"))
                .json::<serde_json::Value>()
                .unwrap();
        assert_eq!(contacts, serde_json::json!([]), "nobody can be traced through purged events");

        // A kiosk that was offline pushes an old event late: it is counted once, on its day.
        gate.add_events(1, 1, start() + chrono::Duration::hours(1));
        gate.sync(&purging.url, T).unwrap();
        drop(purging);
        let again = Server::start_with(&pg.url, 0, &["--retention-days", "90"]);
        wait_for("the late event purged", Duration::from_secs(30), || {
            (pg.count("SELECT COUNT(*) FROM events") == 0).then_some(())
        });
        let get = |path: &str| http.get(format!("{}{path}", again.url)).bearer_auth(QUERY_TOKEN).send().unwrap();
        let late = get(&format!("/api/v1/province/daily?from=2025-03-03&to=2025-03-03&enterprise={A}")).text().unwrap();
        assert!(late.contains("\"total\":5"), "{late}");
    }
}
