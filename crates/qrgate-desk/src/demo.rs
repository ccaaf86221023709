//! Demo data: a realistic enterprise (Vietnamese names, departments, day and night shifts) and weeks of
//! gate events with the untidy parts real logs have: lateness, early leaves, missing punches, double
//! scans, refusals, visitors. Deterministic from a seed, for demos, tests and benchmarks. The
//! factory floor rotates CA1 → CA2 → CA3 week by week (ISO weeks), each worker with a weekly day
//! off of their own so the plant runs every day, on a shift schedule imported as HR would; the
//! office keeps HC.

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc, Weekday,
};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rusqlite::params;
use uuid::Uuid;

use crate::error::{Error, Result};
use qrgate_core::config::{Config, Shift};
use qrgate_core::model::{Direction, EmployeeCode, Method, PersonRef, Verdict};
use qrgate_core::store::{Event, Store};
use qrgate_hr::schedule::{Planned, ScheduleRow};

const SURNAMES: &[(&str, u32)] = &[
    ("Nguyễn", 38),
    ("Trần", 11),
    ("Lê", 9),
    ("Phạm", 7),
    ("Hoàng", 5),
    ("Huỳnh", 4),
    ("Phan", 4),
    ("Vũ", 4),
    ("Võ", 4),
    ("Đặng", 2),
    ("Bùi", 2),
    ("Đỗ", 2),
    ("Hồ", 2),
    ("Ngô", 2),
    ("Dương", 1),
    ("Lý", 1),
];
const MIDDLE_MALE: &[&str] = &["Văn", "Hữu", "Đức", "Minh", "Quang", "Thành", "Công", "Xuân", "Đình"];
const MIDDLE_FEMALE: &[&str] = &["Thị", "Ngọc", "Thu", "Thanh", "Kim", "Mỹ", "Thùy", "Bích", "Hồng"];
const GIVEN_MALE: &[&str] = &[
    "An", "Bình", "Cường", "Dũng", "Duy", "Hải", "Hùng", "Huy", "Khánh", "Khoa", "Long", "Lộc", "Nam", "Phúc", "Quân",
    "Sơn", "Tài", "Thắng", "Trung", "Tuấn", "Việt", "Vinh",
];
const GIVEN_FEMALE: &[&str] = &[
    "Anh", "Châu", "Diệp", "Giang", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh", "Loan", "Mai", "Nga", "Ngân", "Nhung",
    "Oanh", "Phương", "Quyên", "Thảo", "Trang", "Tuyết", "Vân", "Vy", "Yến",
];
const DEPARTMENTS: &[(&str, u32)] = &[
    ("May 1", 24),
    ("May 2", 24),
    ("Cắt", 12),
    ("Hoàn thiện", 14),
    ("Kho", 8),
    ("QC", 7),
    ("Bảo trì", 4),
    ("Văn phòng", 7),
];
const STREETS: &[&str] = &["Lê Lợi", "Trần Hưng Đạo", "Nguyễn Huệ", "Hai Bà Trưng", "Lý Thường Kiệt", "Quang Trung"];
const PROVINCES: &[(&str, &str)] = &[
    ("079", "TP. Hồ Chí Minh"),
    ("074", "Bình Dương"),
    ("075", "Đồng Nai"),
    ("080", "Long An"),
    ("040", "Nghệ An"),
    ("038", "Thanh Hóa"),
    ("052", "Bình Định"),
    ("001", "Hà Nội"),
];
const HOSTS: &[&str] = &["Phòng Nhân sự", "Phòng Kế toán", "Kho", "Ban Giám đốc", "Bảo trì"];
const PURPOSES: &[&str] = &["Giao hàng", "Phỏng vấn", "Sửa chữa máy", "Họp", "Kiểm tra an toàn"];

/// The demo enterprise `qrgate demo` creates when the data directory is empty.
pub const ENTERPRISE: &str = "0312345678";
pub const ENTERPRISE_NAME: &str = "Công ty TNHH May mặc Sao Mai";
/// A second gate of the same enterprise: some workers leave through it.
pub const OTHER_KIOSK: &str = "gate-2";

/// How `init` makes the demo enterprise's kiosk: gate-1, the example's settings, its own keys.
pub fn init_options() -> qrgate_core::datadir::InitOptions {
    qrgate_core::datadir::InitOptions {
        enterprise: ENTERPRISE.parse().expect("valid demo tax code"),
        enterprise_name: ENTERPRISE_NAME.into(),
        kiosk_id: "gate-1".parse().expect("valid demo kiosk id"),
        gate: None,
        mode: None,
        keys_dir: None,
        badge_public_key: None,
        visitor_key: None,
    }
}

/// What to seed.
#[derive(Debug, Clone)]
pub struct SeedOptions {
    pub workers: usize,
    pub days: u32,
    /// The last day with events, in the kiosk's time zone (the CLI passes yesterday).
    pub last_day: NaiveDate,
    pub seed: u64,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SeedSummary {
    pub workers: usize,
    pub events: usize,
    pub visitors: usize,
}

fn weighted<'a>(rng: &mut impl Rng, items: &'a [(&'a str, u32)]) -> &'a str {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut pick = rng.gen_range(0..total);
    for (item, w) in items {
        if pick < *w {
            return item;
        }
        pick -= w;
    }
    items[0].0
}

/// A Vietnamese full name; the second value is true for a woman.
pub fn full_name(rng: &mut impl Rng) -> (String, bool) {
    let female = rng.gen_bool(0.62);
    let (middles, givens) = if female { (MIDDLE_FEMALE, GIVEN_FEMALE) } else { (MIDDLE_MALE, GIVEN_MALE) };
    let name = format!(
        "{} {} {}",
        weighted(rng, SURNAMES),
        middles.choose(rng).expect("non-empty"),
        givens.choose(rng).expect("non-empty")
    );
    (name, female)
}

/// A CCCD QR text that passes [`qrgate_core::cccd::parse`] on any day from 2026 to 2080, for
/// a visitor born in a plausible year.
pub fn cccd_text(rng: &mut impl Rng) -> String {
    card_text(rng, 2026)
}

/// A visitor's card as read in `year`: they were born 20 to 66 years before it. The number
/// encodes the birth year's century (0 and 1 for the 1900s, 2 and 3 for the 2000s, ...).
fn card_text(rng: &mut impl Rng, year: i32) -> String {
    let (name, female) = full_name(rng);
    let (province, place) = PROVINCES.choose(rng).expect("non-empty");
    let year = rng.gen_range(year - 66..year - 20);
    let century = 2 * ((year - 1900) / 100) as u32 + u32::from(female);
    let birth = NaiveDate::from_ymd_opt(year, rng.gen_range(1..=12), rng.gen_range(1..=28)).expect("valid");
    let issued = NaiveDate::from_ymd_opt(rng.gen_range(2021..2025), rng.gen_range(1..=12), rng.gen_range(1..=28))
        .expect("valid");
    format!(
        "{province}{century}{:02}{:06}|{}|{name}|{}|{}|{} {}, {place}|{}",
        year % 100,
        rng.gen_range(0..1_000_000),
        if rng.gen_bool(0.5) { format!("{:09}", rng.gen_range(0..1_000_000_000u64)) } else { String::new() },
        birth.format("%d%m%Y"),
        if female { "Nữ" } else { "Nam" },
        rng.gen_range(1..300),
        STREETS.choose(rng).expect("non-empty"),
        issued.format("%d%m%Y")
    )
}

/// The years whose days the demo can seed: visitors' birth years must fit a CCCD number
/// (1900 to 2399) and the day after the last must exist. Checked before anything is written.
const SEED_YEARS: std::ops::RangeInclusive<i32> = 1970..=2199;

/// The instant a wall clock in `tz` shows `naive`. Nothing shows a time in the hour skipped when
/// clocks go forward: someone due then arrives as the clock jumps, so the time moves forward by
/// the gap (02:30 on that night reads 03:30). In the hour shown twice when clocks go back, the
/// first reading is taken.
pub fn wall_clock<Z: TimeZone>(tz: &Z, naive: NaiveDateTime) -> DateTime<Z> {
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t,
        LocalResult::None => {
            // The offset in force before the gap; no zone moves its clocks twice in a day.
            let before = tz.offset_from_utc_datetime(&(naive - Duration::days(1))).fix();
            tz.from_utc_datetime(&(naive - Duration::seconds(i64::from(before.local_minus_utc()))))
        }
    }
}

struct SeedWorker {
    code: EmployeeCode,
    shift: Option<Shift>,
    active: bool,
    /// The worker's place in the rota, when on one: an index in [`ROTA`], and their weekly day off.
    rota: Option<(usize, Weekday)>,
}

/// The weekly rotation of the factory floor.
const ROTA: [&str; 3] = ["CA1", "CA2", "CA3"];

/// A rota worker's plan for `day`: the week's shift, or their day off.
fn rota_plan(config: &Config, (rota, day_off): (usize, Weekday), day: NaiveDate) -> Option<&Shift> {
    if day.weekday() == day_off {
        return None;
    }
    config.shift(ROTA[(rota + day.iso_week().week() as usize) % ROTA.len()])
}

/// Fills an initialised store with `options.workers` workers and `options.days` days of events
/// ending on `options.last_day`. `progress` is called with (days done, days).
pub fn seed(
    store: &mut Store,
    config: &Config,
    options: &SeedOptions,
    now: DateTime<Utc>,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<SeedSummary> {
    if options.workers == 0 || options.workers > 1_000_000 {
        return Err(Error::invalid("demo workers", "must be 1 to 1,000,000"));
    }
    if options.days == 0 || options.days > 3_660 {
        return Err(Error::invalid("demo days", "must be 1 to 3,660"));
    }
    // Seeded visitors are found again by their number as the gate finds them (privacy requests).
    let salt = store.visitor_salt()?;
    // Everything that could fail is checked here, before the first write: past this point only
    // the storage can fail, so a seed that is refused leaves the store as it was.
    let first_day = options
        .last_day
        .checked_sub_signed(Duration::days(i64::from(options.days) - 1))
        .filter(|first| SEED_YEARS.contains(&first.year()) && SEED_YEARS.contains(&options.last_day.year()))
        .ok_or_else(|| {
            Error::invalid(
                "demo days",
                format!(
                    "{} days ending {} reach outside the years {} to {} the demo can seed",
                    options.days,
                    options.last_day,
                    SEED_YEARS.start(),
                    SEED_YEARS.end()
                ),
            )
        })?;
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let kiosk = store.identity().kiosk_id.to_string();
    let now_ms = now.timestamp_millis();
    let shift_names: Vec<&Shift> = config.shifts.iter().collect();
    let office = config.shift("HC").or_else(|| shift_names.first().copied()).cloned();
    let workers: Vec<SeedWorker> = store.transaction(|tx| {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO workers (code, full_name, department, shift, phone, active, badge_serial, updated_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (code) DO NOTHING",
        )?;
        let mut out = Vec::with_capacity(options.workers);
        for i in 1..=options.workers {
            let code: EmployeeCode = format!("NV{i:05}").parse()?;
            let (name, _) = full_name(&mut rng);
            let department = weighted(&mut rng, DEPARTMENTS);
            let shift = if department == "Văn phòng" {
                office.clone()
            } else {
                let roll = rng.gen_range(0..100);
                let name = if roll < 45 {
                    "CA1"
                } else if roll < 80 {
                    "CA2"
                } else {
                    "CA3"
                };
                config.shift(name).cloned().or_else(|| office.clone())
            };
            let active = rng.gen_bool(0.98);
            let day_off = Weekday::try_from((i % 7) as u8).expect("0 to 6 are weekdays");
            let rota = shift.as_ref().and_then(|s| ROTA.iter().position(|r| *r == s.name)).map(|r| (r, day_off));
            let serial = if rng.gen_bool(0.03) { 2 } else { 1 };
            let phone = format!("09{:08}", rng.gen_range(0..100_000_000));
            stmt.execute(params![
                code.as_str(),
                name,
                department,
                shift.as_ref().map_or("", |s| s.name.as_str()),
                phone,
                active,
                serial,
                now_ms
            ])?;
            out.push(SeedWorker { code, shift, active, rota });
        }
        Ok::<_, Error>(out)
    })?;
    // The rota's days, through the schedule import HR uses. Only when kiosk.conf has its shifts.
    let rota_defined = ROTA.iter().all(|r| config.shift(r).is_some());
    if rota_defined {
        let days: Vec<NaiveDate> = first_day.iter_days().take(options.days as usize).collect();
        let rows: Vec<ScheduleRow> = workers
            .iter()
            .enumerate()
            .filter_map(|(i, w)| {
                let rota = w.rota?;
                let plans = days
                    .iter()
                    .map(|&d| {
                        let plan =
                            rota_plan(config, rota, d).map_or(Planned::DayOff, |s| Planned::Shift(s.name.clone()));
                        (d, Some(plan))
                    })
                    .collect();
                Some(ScheduleRow { row: i + 2, code: w.code.clone(), days: plans })
            })
            .collect();
        qrgate_hr::schedule::import(store, &rows, None, now)?;
    }

    let tz = config.time.timezone;
    let mut seqs: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
    for k in [kiosk.as_str(), OTHER_KIOSK] {
        let max: i64 =
            store
                .connection()
                .query_row("SELECT COALESCE(MAX(seq), 0) FROM events WHERE kiosk_id = ?1", [k], |r| r.get(0))?;
        seqs.insert(k.to_string(), max);
    }
    let mut summary = SeedSummary { workers: workers.len(), ..SeedSummary::default() };
    for (n, day) in first_day.iter_days().take(options.days as usize).enumerate() {
        let mut day_events: Vec<Event> = Vec::with_capacity(workers.len() * 2 + 16);
        let local = |rng: &mut ChaCha8Rng, date: NaiveDate, t: chrono::NaiveTime, minutes: i64| {
            let naive = date.and_time(t) + Duration::minutes(minutes) + Duration::seconds(rng.gen_range(0..60));
            let at = wall_clock(&tz, naive);
            let offset: FixedOffset = at.offset().fix();
            at.with_timezone(&offset)
        };
        for w in &workers {
            let shift = match (w.rota, rota_defined) {
                (Some(rota), true) => match rota_plan(config, rota, day) {
                    Some(s) => s,
                    None => continue, // the day off
                },
                _ => match &w.shift {
                    Some(s) => s,
                    None => continue,
                },
            };
            if !w.active {
                continue;
            }
            if shift.name == "HC" && day.weekday() == Weekday::Sun || rng.gen_bool(0.03) {
                continue; // day off or absent
            }
            let person = PersonRef::Worker(w.code.clone());
            let late = rng.gen_bool(0.08);
            let start_offset = if late { rng.gen_range(6..45) } else { -rng.gen_range(0..25) };
            let end_date = if shift.crosses_midnight() { day + Duration::days(1) } else { day };
            let roll = rng.gen_range(0..100);
            let end_offset = match roll {
                0..=4 => -rng.gen_range(10..90),
                5..=14 => rng.gen_range(30..120),
                _ => rng.gen_range(0..20),
            };
            let method = if rng.gen_bool(0.1) { Method::Phone } else { Method::Badge };
            let inn = local(&mut rng, day, shift.start, start_offset);
            let out = local(&mut rng, end_date, shift.end, end_offset);
            let missing_in = rng.gen_bool(0.01);
            let missing_out = !missing_in && rng.gen_bool(0.02);
            if rng.gen_bool(0.005) {
                day_events.push(seed_event(
                    &mut rng,
                    &kiosk,
                    None,
                    None,
                    inn - Duration::seconds(20),
                    method,
                    Some("not_a_badge"),
                ));
            }
            if !missing_in {
                day_events.push(seed_event(&mut rng, &kiosk, Some(&person), Some(Direction::In), inn, method, None));
                if rng.gen_bool(0.03) {
                    let again = inn + Duration::seconds(rng.gen_range(15..90));
                    day_events.push(seed_event(
                        &mut rng,
                        &kiosk,
                        Some(&person),
                        Some(Direction::In),
                        again,
                        method,
                        Some("anti_passback"),
                    ));
                }
            }
            if !missing_out {
                let gate = if rng.gen_bool(0.3) { OTHER_KIOSK } else { kiosk.as_str() };
                day_events.push(seed_event(&mut rng, gate, Some(&person), Some(Direction::Out), out, method, None));
            }
        }
        let visitors = (workers.len() / 200).max(1);
        let mut visitor_rows = Vec::with_capacity(visitors);
        for _ in 0..visitors {
            let text = card_text(&mut rng, day.year());
            let card = qrgate_core::cccd::parse(&text, day)
                .map_err(|e| Error::invalid("demo visitor card", format!("{e:?} (a bug in the demo)")))?;
            let minutes = rng.gen_range(0..480);
            let arrive = local(&mut rng, day, chrono::NaiveTime::from_hms_opt(8, 0, 0).expect("valid"), minutes);
            let leave = arrive + Duration::minutes(rng.gen_range(20..180));
            let id = format!("v-{}", Uuid::from_u128(rng.gen()).simple());
            let person = PersonRef::Visitor(id.clone());
            day_events.push(seed_event(
                &mut rng,
                &kiosk,
                Some(&person),
                Some(Direction::In),
                arrive,
                Method::Cccd,
                None,
            ));
            day_events.push(seed_event(
                &mut rng,
                &kiosk,
                Some(&person),
                Some(Direction::Out),
                leave,
                Method::Cccd,
                None,
            ));
            visitor_rows.push((id, card, arrive, leave));
        }
        day_events.sort_by_key(|e| e.at);
        for e in &mut day_events {
            let seq = seqs.get_mut(&e.kiosk_id).expect("known kiosk");
            *seq += 1;
            e.seq = *seq;
        }
        summary.events += store.insert_events(&day_events)?;
        summary.visitors += visitor_rows.len();
        store.transaction(|tx| {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO visitors (id, number, full_name, birth_date, sex, address, issued, host, purpose,
                                       first_seen_ms, last_seen_ms, consent_at_ms, number_hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?10, ?12)",
            )?;
            for (id, card, arrive, leave) in &visitor_rows {
                stmt.execute(params![
                    id,
                    card.number.full(),
                    card.full_name,
                    card.birth_date.to_string(),
                    card.sex,
                    card.address,
                    card.issued.map(|d| d.to_string()),
                    HOSTS[rng.gen_range(0..HOSTS.len())],
                    PURPOSES[rng.gen_range(0..PURPOSES.len())],
                    arrive.timestamp_millis(),
                    leave.timestamp_millis(),
                    qrgate_core::privacy::visitor_number_hash(&salt, card.number.full())
                ])?;
            }
            Ok::<_, Error>(())
        })?;
        progress(n + 1, options.days as usize);
    }
    Ok(summary)
}

fn seed_event(
    rng: &mut ChaCha8Rng,
    kiosk: &str,
    person: Option<&PersonRef>,
    direction: Option<Direction>,
    at: DateTime<FixedOffset>,
    method: Method,
    reason: Option<&str>,
) -> Event {
    let refused = reason.is_some_and(|r| r != "anti_passback");
    let random: [u8; 10] = rng.gen();
    Event {
        id: uuid::Builder::from_unix_timestamp_millis(at.timestamp_millis() as u64, &random).into_uuid(),
        kiosk_id: kiosk.to_string(),
        seq: 0,
        gate: if kiosk == OTHER_KIOSK { "Cổng phụ".into() } else { "Cổng chính".into() },
        person: person.cloned(),
        direction,
        at,
        method,
        verdict: if refused { Verdict::Refused } else { Verdict::Accepted },
        reason: reason.map(str::to_string),
        badge_serial: person.is_some().then_some(1),
        operator: None,
        note: None,
        clock_offset_ms: None,
        clock_flag: None,
        follows: None,
        lane: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The UTC instant a wall clock in `zone` shows at `local`.
    fn utc(zone: &str, local: &str) -> String {
        let tz = Config::parse(&format!("[time]\ntimezone = {zone:?}\n")).expect("a known zone").time.timezone;
        wall_clock(&tz, local.parse().unwrap()).with_timezone(&Utc).to_rfc3339()
    }

    #[test]
    fn a_time_in_the_skipped_hour_moves_forward_by_the_gap() {
        let new_york = "America/New_York";
        // 02:30 does not exist on 8 March 2026 there: the clock read 03:30 EDT, 07:30 UTC.
        assert_eq!(utc(new_york, "2026-03-08T02:30:00"), "2026-03-08T07:30:00+00:00");
        assert_eq!(utc(new_york, "2026-03-08T01:59:00"), "2026-03-08T06:59:00+00:00");
        // 01:30 on 1 November happens twice: the first, still EDT.
        assert_eq!(utc(new_york, "2026-11-01T01:30:00"), "2026-11-01T05:30:00+00:00");
        assert_eq!(utc("Europe/Berlin", "2026-03-29T02:15:00"), "2026-03-29T01:15:00+00:00");
        // Lord Howe Island moves its clocks by half an hour.
        assert_eq!(utc("Australia/Lord_Howe", "2026-10-04T02:10:00"), "2026-10-03T15:40:00+00:00");
    }
}
