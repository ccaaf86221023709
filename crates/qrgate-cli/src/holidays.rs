//! `qrgate holidays --year Y`: the public holidays of a year as attendance counts them, and the
//! days in lieu of those that fall on a shift's weekly day off.

use chrono::{Datelike, Weekday};
use qrgate_core::config::Config;
use qrgate_core::datadir::DataDir;
use qrgate_desk::Error;

#[derive(clap::Args)]
#[command(after_help = "Example: qrgate holidays --year 2027")]
pub struct Args {
    /// The calendar year (1900 to 2199).
    #[arg(long, value_name = "YYYY")]
    year: i32,
}

/// The weekday as a Vietnamese calendar prints it.
pub fn weekday_vi(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Thứ Hai",
        Weekday::Tue => "Thứ Ba",
        Weekday::Wed => "Thứ Tư",
        Weekday::Thu => "Thứ Năm",
        Weekday::Fri => "Thứ Sáu",
        Weekday::Sat => "Thứ Bảy",
        Weekday::Sun => "Chủ nhật",
    }
}

pub fn run(args: Args, data: &DataDir) -> Result<(), Error> {
    // Only kiosk.conf matters here; a missing one means the law's list with the default settings.
    let config = Config::load(&data.config_path())?;
    let list = qrgate_hr::holidays::of_year(&config.holidays, args.year)?;
    for h in &list {
        println!("{}  {:<8}  {}", h.date.format("%d/%m/%Y"), weekday_vi(h.date.weekday()), h.kind.label());
    }
    println!(
        "{} ngày nghỉ lễ, Tết năm {} (Bộ luật Lao động 2019, Điều 112, và kiosk.conf [holidays])",
        list.len(),
        args.year
    );
    // Days in lieu depend on the weekly days off: one list per pattern the shifts have. Workers
    // on a schedule get theirs by their own days off, in attendance.
    let mut patterns: Vec<(Vec<Weekday>, Vec<&str>)> = Vec::new();
    for shift in config.shifts.iter().filter(|s| !s.days_off.is_empty()) {
        match patterns.iter_mut().find(|(days, _)| *days == shift.days_off) {
            Some((_, names)) => names.push(&shift.name),
            None => patterns.push((shift.days_off.clone(), vec![&shift.name])),
        }
    }
    for (days_off, shifts) in patterns {
        let given = qrgate_hr::holidays::year_in_lieu(&config.holidays, args.year, &days_off);
        if given.is_empty() {
            continue;
        }
        let off: Vec<&str> = days_off.iter().map(|d| weekday_vi(*d)).collect();
        println!();
        println!("Nghỉ bù (Điều 111 khoản 3) cho ca {} (nghỉ hằng tuần: {}):", shifts.join(", "), off.join(", "));
        for (holiday, day) in given {
            println!(
                "{}  {:<8}  Nghỉ bù cho {} trùng ngày nghỉ hằng tuần",
                day.format("%d/%m/%Y"),
                weekday_vi(day.weekday()),
                holiday.format("%d/%m/%Y")
            );
        }
    }
    Ok(())
}
