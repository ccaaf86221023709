//! Public holidays (ngày nghỉ lễ, Tết) as the Labour Code 2019, Art. 112 lists them, for any year,
//! with the days kiosk.conf `[holidays]` adds or moves.
//!
//! Art. 112(1): New Year's Day (1/1); Tết, five days of the lunar new year; the Hùng Kings'
//! commemoration (10th of the 3rd lunar month); Victory Day (30/4); International Labour Day
//! (1/5); National Day (2/9) and one day beside it. Which of Tết's days fall before lunar New
//! Year's Day and which side of 2/9 the extra day takes are decided each year by the Prime
//! Minister's notice, hence the two settings; further days off and swaps come from kiosk.conf.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::lunar::{self, LunarDate};
use qrgate_core::config::{Adjacent, HolidaysConfig, HOLIDAY_YEARS};

/// Why a day is a holiday.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    NewYear,
    /// `day` is 0 for the last day of the old lunar year, 1 for lunar New Year's Day, and so on.
    Tet {
        day: i64,
    },
    HungKings,
    Victory,
    LabourDay,
    NationalDay,
    NationalDayAdjacent,
    /// kiosk.conf `added`.
    Added,
    /// kiosk.conf `moved`: the holiday that was on `from`.
    MovedFrom {
        from: NaiveDate,
    },
}

impl Kind {
    /// What the list and the timesheet call it.
    pub fn label(self) -> String {
        match self {
            Kind::NewYear => "Tết Dương lịch".into(),
            Kind::Tet { day: 0 } => "Tết Âm lịch (ngày cuối năm cũ)".into(),
            Kind::Tet { day } if day < 0 => format!("Tết Âm lịch (trước Tết {} ngày)", 1 - day),
            Kind::Tet { day } => format!("Tết Âm lịch (mùng {day})"),
            Kind::HungKings => "Giỗ Tổ Hùng Vương (10/3 âm lịch)".into(),
            Kind::Victory => "Ngày Chiến thắng".into(),
            Kind::LabourDay => "Ngày Quốc tế Lao động".into(),
            Kind::NationalDay => "Quốc khánh".into(),
            Kind::NationalDayAdjacent => "Quốc khánh (ngày liền kề)".into(),
            Kind::Added => "Ngày nghỉ doanh nghiệp bổ sung".into(),
            Kind::MovedFrom { from } => format!("Nghỉ bù (chuyển từ {})", from.format("%d/%m/%Y")),
        }
    }
}

/// One holiday.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Holiday {
    pub date: NaiveDate,
    pub kind: Kind,
}

fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("a fixed holiday exists every year")
}

/// The Labour Code's holidays of `year` alone, by date. Lunar ones only where the lunar
/// calendar is computed (see [`lunar::FIRST_YEAR`]).
fn statutory(config: &HolidaysConfig, year: i32) -> BTreeMap<NaiveDate, Kind> {
    let mut days = BTreeMap::new();
    days.insert(ymd(year, 1, 1), Kind::NewYear);
    if let Some(tet) = lunar::tet(year) {
        let before = i64::from(config.tet_days_before.min(5));
        for offset in -before..(5 - before) {
            days.insert(tet + Duration::days(offset), Kind::Tet { day: offset + 1 });
        }
    }
    if let Some(hung) = lunar::to_solar(LunarDate { year, month: 3, day: 10, leap: false }) {
        // On the rare year it meets 30/4 or 1/5, the day is listed once, by the lunar name.
        days.insert(hung, Kind::HungKings);
    }
    days.entry(ymd(year, 4, 30)).or_insert(Kind::Victory);
    days.entry(ymd(year, 5, 1)).or_insert(Kind::LabourDay);
    days.insert(ymd(year, 9, 2), Kind::NationalDay);
    let adjacent = match config.national_day_adjacent {
        Adjacent::Before => ymd(year, 9, 1),
        Adjacent::After => ymd(year, 9, 3),
    };
    days.insert(adjacent, Kind::NationalDayAdjacent);
    days
}

/// Every holiday of `year`, in date order: the law's, with kiosk.conf's moves and additions.
/// A move whose `from` is not a holiday is refused, as is a year the lunar calendar is not
/// computed for.
pub fn of_year(config: &HolidaysConfig, year: i32) -> Result<Vec<Holiday>> {
    if !HOLIDAY_YEARS.contains(&year) {
        return Err(Error::invalid(
            "year",
            format!("{year}; holidays are computed for {} to {}", HOLIDAY_YEARS.start(), HOLIDAY_YEARS.end()),
        ));
    }
    let mut days = statutory(config, year);
    // Moves take effect in the year the holiday left, so a move of 31/12 to 2/1 belongs to both
    // lists: gone from one, arrived in the other.
    for m in &config.moved {
        let from_year = statutory(config, m.from.year());
        if !from_year.contains_key(&m.from) && !config.added.contains(&m.from) {
            return Err(Error::invalid(
                "kiosk.conf [holidays] moved",
                format!("{} is not a holiday, so it cannot be moved", m.from.format("%d/%m/%Y")),
            ));
        }
        days.remove(&m.from);
    }
    for m in &config.moved {
        if m.to.year() == year {
            days.insert(m.to, Kind::MovedFrom { from: m.from });
        }
    }
    for &d in &config.added {
        if d.year() == year && !config.moved.iter().any(|m| m.from == d) {
            days.entry(d).or_insert(Kind::Added);
        }
    }
    Ok(days.into_iter().map(|(date, kind)| Holiday { date, kind }).collect())
}

/// The holidays of every year from `first` to `last` (inclusive), as a set to ask about days.
/// Years outside the computed span contribute their fixed-date holidays only, so attendance far
/// in the past or future still works; [`of_year`] is where such a year is refused.
pub fn days_between(config: &HolidaysConfig, first: i32, last: i32) -> std::collections::HashSet<NaiveDate> {
    let mut set = std::collections::HashSet::new();
    for year in first..=last {
        match of_year(config, year) {
            Ok(list) => set.extend(list.into_iter().map(|h| h.date)),
            Err(_) => set.extend(statutory(config, year).into_keys()),
        }
    }
    set
}

/// The holidays of Art. 112(1) (and those moved by a swap) of the years `first` to `last`, in
/// order: the ones whose falling on a weekly day off earns a day in lieu. A day the enterprise
/// adds is its own gift and earns none.
pub fn in_lieu_sources(config: &HolidaysConfig, first: i32, last: i32) -> Vec<NaiveDate> {
    let mut days = Vec::new();
    for year in first..=last {
        match of_year(config, year) {
            Ok(list) => days.extend(list.into_iter().filter(|h| h.kind != Kind::Added).map(|h| h.date)),
            Err(_) => days.extend(statutory(config, year).into_keys()),
        }
    }
    days.sort_unstable();
    days.dedup();
    days
}

/// Days in lieu (ngày nghỉ bù), Labour Code 2019, Art. 111(3): a holiday of Art. 112(1) that
/// falls on a weekly day off gives the next working day off. Each holiday of `sources` (in
/// order) from `from` to `until` that is a day off by `is_day_off` owes one; the days after it
/// that are neither a holiday nor a day off nor already given pay the debts in order, up to
/// `until`. So Tết over a Sunday gives the first working day after Tết, and a Saturday-and-Sunday
/// worker whose two days off are both holidays gets the next two working days. Answers
/// (holiday, day in lieu) pairs in order.
pub fn days_in_lieu(
    sources: &[NaiveDate],
    from: NaiveDate,
    until: NaiveDate,
    is_holiday: impl Fn(NaiveDate) -> bool,
    is_day_off: impl Fn(NaiveDate) -> bool,
) -> Vec<(NaiveDate, NaiveDate)> {
    let mut next = sources.partition_point(|d| *d < from);
    let Some(&start) = sources.get(next).filter(|d| **d <= until) else { return Vec::new() };
    let mut owed = std::collections::VecDeque::new();
    let mut out = Vec::new();
    let mut day = start;
    while day <= until {
        let is_source = sources.get(next) == Some(&day);
        if is_source {
            next += 1;
        }
        if is_holiday(day) {
            if is_source && is_day_off(day) {
                owed.push_back(day);
            }
        } else if !is_day_off(day) {
            if let Some(holiday) = owed.pop_front() {
                out.push((holiday, day));
            }
        }
        // Nothing owed: on to the next holiday that could owe, if any is left in the range.
        day = match (owed.is_empty(), sources.get(next)) {
            (false, _) => day + Duration::days(1),
            (true, Some(&d)) => d,
            (true, None) => break,
        };
    }
    out
}

/// The days in lieu of `year`'s holidays for a worker whose weekly days off are `days_off`,
/// as (holiday, day in lieu); a day in lieu may fall early in the next year.
pub fn year_in_lieu(config: &HolidaysConfig, year: i32, days_off: &[chrono::Weekday]) -> Vec<(NaiveDate, NaiveDate)> {
    let holidays = days_between(config, year, year + 1);
    let sources = in_lieu_sources(config, year, year + 1);
    let (first, last) = (ymd(year, 1, 1), ymd(year, 12, 31));
    days_in_lieu(
        &sources,
        first,
        last + Duration::days(31),
        |d| holidays.contains(&d),
        |d| days_off.contains(&d.weekday()),
    )
    .into_iter()
    .filter(|(holiday, _)| *holiday <= last)
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn dates(config: &HolidaysConfig, year: i32) -> Vec<String> {
        of_year(config, year).unwrap().iter().map(|h| h.date.format("%d/%m").to_string()).collect()
    }

    // The Prime Minister's notices for 2026 (Tết Bính Ngọ 17/02/2026; Hùng Kings 10/3 Bính Ngọ
    // = 26/04/2026) set their own split of Tết; with tet_days_before = 1 the law's list is:
    #[test]
    fn the_law_for_2026_and_2027() {
        let c = HolidaysConfig::default();
        assert_eq!(
            dates(&c, 2026),
            ["01/01", "16/02", "17/02", "18/02", "19/02", "20/02", "26/04", "30/04", "01/05", "02/09", "03/09"]
        );
        // Tết Đinh Mùi: 06/02/2027; 10/3 Đinh Mùi: 16/04/2027.
        assert_eq!(
            dates(&c, 2027),
            ["01/01", "05/02", "06/02", "07/02", "08/02", "09/02", "16/04", "30/04", "01/05", "02/09", "03/09"]
        );
    }

    #[test]
    fn settings_split_tet_and_pick_the_side_of_national_day() {
        let c = HolidaysConfig { tet_days_before: 2, national_day_adjacent: Adjacent::Before, ..Default::default() };
        let list = of_year(&c, 2027).unwrap();
        let tet: Vec<_> = list.iter().filter(|h| matches!(h.kind, Kind::Tet { .. })).map(|h| h.date).collect();
        assert_eq!(tet, [d("2027-02-04"), d("2027-02-05"), d("2027-02-06"), d("2027-02-07"), d("2027-02-08")]);
        assert!(list.iter().any(|h| h.date == d("2027-09-01") && h.kind == Kind::NationalDayAdjacent));
        assert!(!list.iter().any(|h| h.date == d("2027-09-03")));
    }

    #[test]
    fn added_and_moved_days() {
        let c = HolidaysConfig {
            added: vec![d("2027-12-24")],
            moved: vec![qrgate_core::config::MovedHoliday { from: d("2027-09-03"), to: d("2027-09-06") }],
            ..Default::default()
        };
        let list = of_year(&c, 2027).unwrap();
        assert!(!list.iter().any(|h| h.date == d("2027-09-03")));
        assert!(list.iter().any(|h| h.date == d("2027-09-06") && h.kind == Kind::MovedFrom { from: d("2027-09-03") }));
        assert!(list.iter().any(|h| h.date == d("2027-12-24") && h.kind == Kind::Added));
        assert_eq!(list.len(), 12);

        let wrong = HolidaysConfig {
            moved: vec![qrgate_core::config::MovedHoliday { from: d("2027-09-04"), to: d("2027-09-06") }],
            ..Default::default()
        };
        let e = of_year(&wrong, 2027).unwrap_err();
        assert_eq!(e.code(), qrgate_core::Code::InvalidInput);
        assert!(e.to_string().contains("04/09/2027 is not a holiday"), "{e}");
        assert!(of_year(&c, 2200).unwrap_err().to_string().contains("1900 to 2199"));
    }

    #[test]
    fn a_holiday_on_a_weekly_day_off_gives_the_next_working_day() {
        use chrono::Weekday::{Sat, Sun};
        let config = HolidaysConfig::default();
        // 2026: the Hùng Kings' day is Sunday 26/4, so Monday 27/4; no other falls on a Sunday.
        assert_eq!(year_in_lieu(&config, 2026, &[Sun]), [(d("2026-04-26"), d("2026-04-27"))]);
        // 2027: Tết runs Friday 5/2 to Tuesday 9/2. Its Sunday gives Wednesday 10/2, the first
        // working day after Tết; a worker off on Saturday and Sunday gets Wednesday and Thursday.
        assert_eq!(year_in_lieu(&config, 2027, &[Sun]), [(d("2027-02-07"), d("2027-02-10"))]);
        assert_eq!(
            year_in_lieu(&config, 2027, &[Sat, Sun]),
            [
                (d("2027-02-06"), d("2027-02-10")),
                (d("2027-02-07"), d("2027-02-11")),
                (d("2027-05-01"), d("2027-05-03"))
            ]
        );
        // A day the enterprise added earns nothing; one it moved onto a Sunday does.
        let mut config = HolidaysConfig { added: vec![d("2027-12-26")], ..Default::default() };
        assert_eq!(year_in_lieu(&config, 2027, &[Sun]), [(d("2027-02-07"), d("2027-02-10"))]);
        config.moved = vec![qrgate_core::config::MovedHoliday { from: d("2027-09-03"), to: d("2027-09-05") }];
        assert_eq!(year_in_lieu(&config, 2027, &[Sun])[1], (d("2027-09-05"), d("2027-09-06")));
        // A worker always off is owed forever and given nothing; the walk still ends.
        use chrono::Weekday::{Fri, Mon, Thu, Tue, Wed};
        assert!(year_in_lieu(&HolidaysConfig::default(), 2027, &[Mon, Tue, Wed, Thu, Fri, Sat, Sun]).is_empty());
    }

    #[test]
    fn tet_1985_is_in_january_in_vietnam() {
        let c = HolidaysConfig::default();
        assert_eq!(dates(&c, 1985)[1..6], ["20/01", "21/01", "22/01", "23/01", "24/01"]);
        assert!(days_between(&c, 2300, 2300).contains(&d("2300-09-02")));
    }
}
