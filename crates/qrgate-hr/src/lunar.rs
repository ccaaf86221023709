//! The Vietnamese lunisolar calendar (âm lịch), computed at UTC+7 as Vietnam has since 1967.
//!
//! The method is the classic astronomical one published by Hồ Ngọc Đức ("Thuật toán tính âm
//! lịch"): a lunar month starts on the local day of a new moon (Meeus' series, truncated), month
//! 11 is the one holding the winter solstice, and in a year of 13 months the leap month is the
//! first without a major solar term. Computing at UTC+7 rather than China's UTC+8 is exactly why
//! Tết sometimes falls a day (1985: a month) apart from the Chinese New Year. The series is
//! accurate to the day over the years [`FIRST_YEAR`]..=[`LAST_YEAR`], which is all we accept.

use std::f64::consts::PI;

use chrono::{Datelike, NaiveDate};

/// The years the conversion is trusted for.
pub const FIRST_YEAR: i32 = 1900;
pub const LAST_YEAR: i32 = 2199;

/// Vietnam's standard time, hours east of UTC, that the calendar is computed at.
const VIETNAM: f64 = 7.0;

/// The Julian day number of 0001-01-01 (proleptic Gregorian) less one: chrono counts that day as 1.
const JDN_OFFSET: i64 = 1_721_425;

/// A day of the lunar calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LunarDate {
    /// The lunar year, named by the Gregorian year its first month mostly falls in.
    pub year: i32,
    /// 1 to 12.
    pub month: u32,
    pub day: u32,
    /// The repeated (leap, nhuận) month of a 13-month year.
    pub leap: bool,
}

fn jdn(day: NaiveDate) -> i64 {
    i64::from(day.num_days_from_ce()) + JDN_OFFSET
}

fn date_of(jdn: i64) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt((jdn - JDN_OFFSET) as i32).expect("inside chrono's calendar")
}

/// The local day (Julian day number) of the k-th new moon after the one of 1900-01-01.
fn new_moon_day(k: i64, tz: f64) -> i64 {
    let k = k as f64;
    let t = k / 1236.85;
    let (t2, t3) = (t * t, t * t * t);
    let dr = PI / 180.0;
    let mut jd1 = 2_415_020.759_33 + 29.530_588_68 * k + 0.000_117_8 * t2 - 0.000_000_155 * t3;
    jd1 += 0.000_33 * ((166.56 + 132.87 * t - 0.009_173 * t2) * dr).sin();
    let m = 359.2242 + 29.105_356_08 * k - 0.000_033_3 * t2 - 0.000_003_47 * t3;
    let mpr = 306.0253 + 385.816_918_06 * k + 0.010_730_6 * t2 + 0.000_012_36 * t3;
    let f = 21.2964 + 390.670_506_46 * k - 0.001_652_8 * t2 - 0.000_002_39 * t3;
    let c1 = (0.1734 - 0.000_393 * t) * (m * dr).sin() + 0.0021 * (2.0 * dr * m).sin() - 0.4068 * (mpr * dr).sin()
        + 0.0161 * (dr * 2.0 * mpr).sin()
        - 0.0004 * (dr * 3.0 * mpr).sin()
        + 0.0104 * (dr * 2.0 * f).sin()
        - 0.0051 * (dr * (m + mpr)).sin()
        - 0.0074 * (dr * (m - mpr)).sin()
        + 0.0004 * (dr * (2.0 * f + m)).sin()
        - 0.0004 * (dr * (2.0 * f - m)).sin()
        - 0.0006 * (dr * (2.0 * f + mpr)).sin()
        + 0.0010 * (dr * (2.0 * f - mpr)).sin()
        + 0.0005 * (dr * (2.0 * mpr + m)).sin();
    // ΔT, the difference between terrestrial and universal time, in days.
    let delta_t = if t < -11.0 {
        0.001 + 0.000_839 * t + 0.000_226_1 * t2 - 0.000_008_45 * t3 - 0.000_000_081 * t * t3
    } else {
        -0.000_278 + 0.000_265 * t + 0.000_262 * t2
    };
    (jd1 + c1 - delta_t + 0.5 + tz / 24.0).floor() as i64
}

/// Which twelfth of the ecliptic (0..=11, 30° each from the March equinox) the sun is in at the
/// start of local day `jdn`.
fn sun_sector(jdn: i64, tz: f64) -> i64 {
    let t = (jdn as f64 - 2_451_545.5 - tz / 24.0) / 36_525.0;
    let t2 = t * t;
    let dr = PI / 180.0;
    let m = 357.529_10 + 35_999.050_30 * t - 0.000_155_9 * t2 - 0.000_000_48 * t * t2;
    let l0 = 280.466_45 + 36_000.769_83 * t + 0.000_303_2 * t2;
    let mut dl = (1.914_600 - 0.004_817 * t - 0.000_014 * t2) * (dr * m).sin();
    dl += (0.019_993 - 0.000_101 * t) * (dr * 2.0 * m).sin() + 0.000_290 * (dr * 3.0 * m).sin();
    let l = (l0 + dl) * dr;
    let l = l - 2.0 * PI * (l / (2.0 * PI)).floor();
    (l / PI * 6.0).floor() as i64
}

/// Mean synodic month, days; and the Julian day of the new moon that `new_moon_day(0)` counts from.
const SYNODIC: f64 = 29.530_588_853;
const EPOCH: f64 = 2_415_021.076_998_695;

/// The first day of lunar month 11 (the month of the winter solstice) in Gregorian year `year`.
fn month_11(year: i32, tz: f64) -> i64 {
    let off = jdn(NaiveDate::from_ymd_opt(year, 12, 31).expect("valid")) - 2_415_021;
    let k = (off as f64 / SYNODIC).floor() as i64;
    let nm = new_moon_day(k, tz);
    // Sector 9 starts at 270°, the winter solstice: a month starting past it is month 12.
    if sun_sector(nm, tz) >= 9 {
        new_moon_day(k - 1, tz)
    } else {
        nm
    }
}

/// In a 13-month year starting at month 11 `a11`, how many months after it the leap month comes:
/// the first month in which the sun enters no new sector.
fn leap_offset(a11: i64, tz: f64) -> i64 {
    let k = ((a11 as f64 - EPOCH) / SYNODIC + 0.5).floor() as i64;
    let mut i = 1;
    let mut arc = sun_sector(new_moon_day(k + i, tz), tz);
    loop {
        let last = arc;
        i += 1;
        arc = sun_sector(new_moon_day(k + i, tz), tz);
        if arc == last || i >= 14 {
            break;
        }
    }
    i - 1
}

fn check_year(year: i32) -> Option<()> {
    (FIRST_YEAR..=LAST_YEAR).contains(&year).then_some(())
}

/// The lunar date of a Gregorian day, or None outside the years the method is trusted for.
pub fn to_lunar(day: NaiveDate) -> Option<LunarDate> {
    lunar_at(day, VIETNAM)
}

fn lunar_at(day: NaiveDate, tz: f64) -> Option<LunarDate> {
    check_year(day.year())?;
    let n = jdn(day);
    // The mean month only estimates which new moon starts this day's month; the true ones wander
    // by hours around it, so step until `n` lies between two of them.
    let mut k = ((n as f64 - EPOCH) / SYNODIC).floor() as i64;
    while new_moon_day(k, tz) > n {
        k -= 1;
    }
    while new_moon_day(k + 1, tz) <= n {
        k += 1;
    }
    let month_start = new_moon_day(k, tz);
    let mut a11 = month_11(day.year(), tz);
    let mut b11 = a11;
    let mut year = if a11 >= month_start {
        a11 = month_11(day.year() - 1, tz);
        day.year()
    } else {
        b11 = month_11(day.year() + 1, tz);
        day.year() + 1
    };
    let diff = (month_start - a11) / 29;
    let mut month = diff + 11;
    let mut leap = false;
    if b11 - a11 > 365 {
        let leap_diff = leap_offset(a11, tz);
        if diff >= leap_diff {
            month = diff + 10;
            leap = diff == leap_diff;
        }
    }
    if month > 12 {
        month -= 12;
    }
    if month >= 11 && diff < 4 {
        year -= 1;
    }
    Some(LunarDate { year, month: month as u32, day: (n - month_start + 1) as u32, leap })
}

/// The Gregorian day of a lunar date; None if that date does not exist (a leap month the year
/// lacks, a 30th in a 29-day month) or lies outside the trusted years.
pub fn to_solar(date: LunarDate) -> Option<NaiveDate> {
    solar_at(date, VIETNAM)
}

fn solar_at(date: LunarDate, tz: f64) -> Option<NaiveDate> {
    check_year(date.year)?;
    if !(1..=12).contains(&date.month) || !(1..=30).contains(&date.day) {
        return None;
    }
    let (a11, b11) = if date.month < 11 {
        (month_11(date.year - 1, tz), month_11(date.year, tz))
    } else {
        (month_11(date.year, tz), month_11(date.year + 1, tz))
    };
    let k = (0.5 + (a11 as f64 - EPOCH) / SYNODIC).floor() as i64;
    let mut off = (i64::from(date.month) - 11).rem_euclid(12);
    if b11 - a11 > 365 {
        let leap_off = leap_offset(a11, tz);
        let leap_month = (leap_off - 2).rem_euclid(12);
        if date.leap && i64::from(date.month) != leap_month {
            return None;
        }
        if date.leap || off >= leap_off {
            off += 1;
        }
    } else if date.leap {
        return None;
    }
    let start = new_moon_day(k + off, tz);
    let day = date_of(start + i64::from(date.day) - 1);
    // A 30th that is really the 1st of the next month does not exist.
    (lunar_at(day, tz)? == date).then_some(day)
}

/// Lunar New Year's Day (mùng 1 Tết) of `year`.
pub fn tet(year: i32) -> Option<NaiveDate> {
    to_solar(LunarDate { year, month: 1, day: 1, leap: false })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    // Tết by the Vietnamese calendar, as published:
    // - 1985-01-21 (China: 1985-02-20, a month later): Wikipedia, "Vietnamese calendar", section
    //   on the 1967 change to UTC+7 ("the Vietnamese New Year would fall on 21 January 1985,
    //   whereas the Chinese New Year would fall on 20 February 1985").
    // - 2007-02-17 (China: 2007-02-18): VIET-JO, 2006-07-06, https://viet-jo.com/news/life/060706102756.html
    //   quoting the Vietnamese government's calendar office; the same office names 2030 and 2053.
    // - 2030-02-02 (China: 2030-02-03): the same sources.
    // - 2025-01-29, 2026-02-17, 2027-02-06: the Government's Tết holiday notices
    //   (Tết Ất Tỵ, Bính Ngọ, Đinh Mùi), where the two calendars agree.
    #[test]
    fn tet_where_vietnam_and_china_differ_and_where_they_agree() {
        assert_eq!(tet(1985), Some(d("1985-01-21")));
        assert_eq!(tet(2007), Some(d("2007-02-17")));
        assert_eq!(tet(2030), Some(d("2030-02-02")));
        assert_eq!(tet(2025), Some(d("2025-01-29")));
        assert_eq!(tet(2026), Some(d("2026-02-17")));
        assert_eq!(tet(2027), Some(d("2027-02-06")));
    }

    #[test]
    fn the_same_method_at_china_time_gives_chinas_new_year() {
        // The one knob that differs is the time zone: at UTC+8 the new moons fall a day later
        // in these years, which moves month 11 and so Tết.
        let new_year = LunarDate { year: 0, month: 1, day: 1, leap: false };
        let at_china = |year| solar_at(LunarDate { year, ..new_year }, 8.0);
        assert_eq!(at_china(1985), Some(d("1985-02-20")));
        assert_eq!(at_china(2007), Some(d("2007-02-18")));
        assert_eq!(at_china(2030), Some(d("2030-02-03")));
        assert_eq!(at_china(2026), tet(2026));
    }

    #[test]
    fn there_and_back_for_every_day_of_two_centuries() {
        let mut day = d("1901-01-01");
        let mut last: Option<LunarDate> = None;
        while day <= d("2100-12-31") {
            let l = to_lunar(day).unwrap();
            assert_eq!(to_solar(l), Some(day), "{day} {l:?}");
            if let Some(p) = last {
                // Each next day is the next lunar day, or the 1st of a month after a 29th or 30th.
                if l.day != p.day + 1 {
                    assert!(l.day == 1 && (p.day == 29 || p.day == 30), "{day}: {p:?} then {l:?}");
                }
            }
            last = Some(l);
            day = day.succ_opt().unwrap();
        }
    }

    #[test]
    fn leap_months_and_impossible_dates() {
        // 2023 had a leap 2nd month (tháng 2 nhuận), from 2023-03-22.
        assert_eq!(to_lunar(d("2023-03-22")), Some(LunarDate { year: 2023, month: 2, day: 1, leap: true }));
        assert_eq!(to_solar(LunarDate { year: 2024, month: 2, day: 1, leap: true }), None);
        assert_eq!(to_solar(LunarDate { year: 2026, month: 13, day: 1, leap: false }), None);
        assert_eq!(tet(1899), None);
        assert_eq!(to_lunar(d("2200-01-01")), None);
    }
}
