//! Demo seeding in zones with daylight saving, and seeds refused before anything is written.

use chrono::{NaiveDate, TimeZone, Utc};
use qrgate_core::datadir::DataDir;
use qrgate_core::store::Store;
use qrgate_desk::demo::{self, SeedOptions};
use qrgate_desk::Error;
use qrgate_testkit::at;
use rand::SeedableRng;

/// A fresh demo kiosk whose kiosk.conf is rewritten by `edit` before it is opened.
fn kiosk(edit: impl FnOnce(String) -> String) -> (tempfile::TempDir, Store, qrgate_core::config::Config) {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path().join("data"));
    data.init(demo::init_options(), &mut rand_chacha::ChaCha20Rng::seed_from_u64(7), at("2026-01-01T08:00:00Z"))
        .unwrap();
    let conf = data.config_path();
    std::fs::write(&conf, edit(std::fs::read_to_string(&conf).unwrap())).unwrap();
    let (store, config) = data.open().unwrap();
    (dir, store, config)
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn seed(store: &mut Store, config: &qrgate_core::config::Config, days: u32, last_day: NaiveDate) -> Result<(), Error> {
    seed_workers(store, config, 60, days, last_day)
}

fn seed_workers(
    store: &mut Store,
    config: &qrgate_core::config::Config,
    workers: usize,
    days: u32,
    last_day: NaiveDate,
) -> Result<(), Error> {
    let options = SeedOptions { workers, days, last_day, seed: 3 };
    demo::seed(store, config, &options, at("2026-12-01T08:00:00Z"), &mut |_, _| {}).map(|_| ())
}

#[test]
fn shifts_that_start_in_the_skipped_hour_are_seeded_when_the_clock_jumps() {
    for (zone, spring_forward) in [("America/New_York", "2026-03-08"), ("Europe/Berlin", "2026-03-29")] {
        // CA1 starts at 02:30, in the hour these zones skip on the night clocks go forward.
        let (_dir, mut store, config) = kiosk(|text| {
            text.replace("timezone = \"Asia/Ho_Chi_Minh\"", &format!("timezone = {zone:?}")).replacen(
                "start = \"06:00\"",
                "start = \"02:30\"",
                1,
            )
        });
        assert_eq!(config.shift("CA1").unwrap().start.to_string(), "02:30:00", "{zone}");
        let spring_forward = day(spring_forward);
        // Enough workers that the week's CA1 group (a third of the rota, less the day off of each)
        // is a crowd on both nights.
        seed_workers(&mut store, &config, 300, 3, spring_forward.succ_opt().unwrap())
            .unwrap_or_else(|e| panic!("{zone}: {e}"));

        // Those who came on the jump's night came as the clock read 03:xx: none is lost.
        let tz = config.time.timezone;
        let local =
            |h: u32| tz.from_local_datetime(&spring_forward.and_hms_opt(h, 0, 0).unwrap()).unwrap().with_timezone(&Utc);
        let count = |from: chrono::DateTime<Utc>, to: chrono::DateTime<Utc>| {
            store.events_between(from, to).unwrap().iter().filter(|e| e.direction.is_some()).count()
        };
        let (before, after) = (local(1), local(4));
        assert_eq!((after - before).num_hours(), 2, "{zone}: an hour is skipped between 01:00 and 04:00");
        let the_day_before = count(before - chrono::Duration::days(1), after - chrono::Duration::days(1));
        assert!(the_day_before > 10, "{zone}: CA1 comes between 02:00 and 03:30 ({the_day_before})");
        let that_night = count(before, after);
        assert!(that_night * 10 > the_day_before * 8, "{zone}: {that_night} vs {the_day_before} the night before");
    }
}

#[test]
fn a_seed_refused_writes_nothing() {
    let (_dir, mut store, config) = kiosk(|text| text);
    for (days, last_day) in
        [(7, day("1960-06-01")), (3_660, day("1972-01-01")), (1, NaiveDate::MAX), (0, day("2026-11-30"))]
    {
        let e = seed(&mut store, &config, days, last_day).unwrap_err();
        assert_eq!(e.code(), qrgate_core::Code::InvalidInput, "{days} days to {last_day}: {e}");
        assert_eq!((store.worker_count().unwrap(), store.event_count().unwrap()), (0, 0), "{days} days to {last_day}");
    }
    seed(&mut store, &config, 2, day("2026-11-30")).unwrap();
    assert_eq!(store.worker_count().unwrap(), 60);
}
