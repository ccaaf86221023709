//! kiosk.conf: the settings a site changes, read once into checked values with a default for each.

use std::path::Path;

use chrono::{NaiveTime, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{Direction, GateMode, PassbackPolicy};

/// Everything in kiosk.conf. A missing file or section means the defaults; an unknown key is an
/// error, so a misspelt setting is caught instead of silently ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub gate: GateConfig,
    pub time: TimeConfig,
    pub privacy: PrivacyConfig,
    pub attendance: AttendanceConfig,
    pub visitors: VisitorsConfig,
    pub screen: ScreenConfig,
    /// The gate's camera (`[camera]`), or one per lane (`[[camera]]`, two at most, each with its
    /// direction). Never empty.
    #[serde(rename = "camera", deserialize_with = "cameras::one_or_more", serialize_with = "cameras::as_written")]
    pub cameras: Vec<CameraConfig>,
    pub sync: SyncConfig,
    pub holidays: HolidaysConfig,
    pub overtime: OvertimeConfig,
    pub turnstile: TurnstileConfig,
    #[serde(rename = "shift")]
    pub shifts: Vec<Shift>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GateConfig {
    /// What the guard screen and reports call this gate.
    pub name: String,
    pub mode: GateMode,
    /// A second scan of the same person at this kiosk within this many seconds records nothing.
    pub debounce_seconds: u32,
    pub anti_passback: PassbackPolicy,
    /// Accept a plain employee code (an old barcode badge) as well as signed QR Gate badges.
    pub accept_legacy_codes: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TimeConfig {
    #[serde(with = "tz_name")]
    pub timezone: Tz,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrivacyConfig {
    /// Visitor details (CCCD number, name, address) are purged this many days after the visit.
    pub visitor_retention_days: u32,
    /// A former worker's name and phone are erased this many days after they left the roster;
    /// their code and gate events stay, as payroll records. 0: never by itself.
    pub former_worker_retention_days: u32,
    /// Snapshots of the camera's frame at scans (`[camera] snapshots`) are deleted this many days
    /// after the scan.
    pub snapshot_retention_days: u32,
    /// The notice told to a visitor before they agree; `{enterprise}` and `{days}` are filled in.
    /// Unset: [`DEFAULT_NOTICE`].
    pub notice: Option<String>,
}

/// The notice of Law 91/2025/QH15 (Art. 13 asks who processes what, why, how long, and the
/// person's rights) in plain Vietnamese, for a visitor at the gate.
pub const DEFAULT_NOTICE: &str = "\
THÔNG BÁO XỬ LÝ DỮ LIỆU CÁ NHÂN (Luật Bảo vệ dữ liệu cá nhân số 91/2025/QH15, Nghị định 356/2025/NĐ-CP)
Bên xử lý: {enterprise}.
Dữ liệu: số căn cước, họ tên, ngày sinh, giới tính, địa chỉ ghi trên thẻ; người cần gặp, mục đích, \
số điện thoại nếu Quý khách cho; giờ vào, giờ ra.
Mục đích: kiểm soát ra vào, an toàn của nhà máy, truy vết tiếp xúc khi cơ quan y tế hoặc chính quyền \
tỉnh yêu cầu. Giờ vào ra được gửi máy chủ của tỉnh dưới một mã ẩn danh, không kèm số căn cước hay họ tên.
Thời hạn: thông tin của Quý khách được xoá {days} ngày sau lần đến cuối cùng.
Quyền của Quý khách: được biết, xem, sửa, yêu cầu xoá, hạn chế xử lý, rút lại sự đồng ý. \
Liên hệ: bảo vệ cổng hoặc phòng Nhân sự.
Nếu Quý khách không đồng ý, thông tin không được ghi lại; xin liên hệ người cần gặp để được hướng dẫn.";

impl PrivacyConfig {
    /// The notice as told at this enterprise's gate.
    pub fn notice_text(&self, enterprise: &str) -> String {
        self.notice
            .as_deref()
            .unwrap_or(DEFAULT_NOTICE)
            .replace("{enterprise}", enterprise)
            .replace("{days}", &self.visitor_retention_days.to_string())
    }

    /// What a visitor's consent records: which notice they were told (the first 16 hex digits of
    /// its SHA-256), so a notice changed later does not pass for the one they heard.
    pub fn notice_digest(notice: &str) -> String {
        use sha2::Digest;
        hex::encode(&sha2::Sha256::digest(notice.as_bytes())[..8])
    }
}

/// What the guard asks a visitor at registration.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VisitorsConfig {
    /// Questions answered yes or no on the registration form; none by default.
    pub health_questions: Vec<String>,
}

/// The kiosk window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScreenConfig {
    /// Full screen, and closing or leaving the kiosk needs the admin PIN.
    pub kiosk_mode: bool,
    /// The screen's language at start: "vi" or "en".
    pub language: Language,
    /// Below this much free space on the data directory's disk the guard sees an alert.
    pub low_disk_mb: u64,
}

/// The gate's camera.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CameraConfig {
    /// "camera:N" for the Nth camera (V4L2), or "dir:PATH" to replay a folder of images.
    pub source: String,
    /// Frames per second taken from the camera, for the preview.
    pub fps: f64,
    /// Frames per second the decoder looks at, at most: a badge is held up for half a second or
    /// more, and decoding fewer frames leaves the CPU for the rest of the kiosk.
    pub decode_fps: f64,
    /// Which scans keep the camera's frame (`[privacy] snapshot_retention_days`), for HR to look
    /// at later: "refused" (the default), "all", or "off".
    pub snapshots: Snapshots,
    /// On a two-lane gate (`[[camera]]` twice), the one way this lane lets people through.
    pub direction: Option<Direction>,
}

/// One lane of a two-lane gate: its number as kiosk.conf lists it (1 or 2) and its one direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Lane {
    pub number: u8,
    pub direction: Direction,
}

/// `camera` in kiosk.conf: one `[camera]` table, or an array of `[[camera]]` tables.
mod cameras {
    use serde::de::{self, MapAccess, SeqAccess, Visitor};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::CameraConfig;

    pub fn one_or_more<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<CameraConfig>, D::Error> {
        struct Cameras;
        impl<'de> Visitor<'de> for Cameras {
            type Value = Vec<CameraConfig>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a [camera] table or [[camera]] tables")
            }
            fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<Self::Value, M::Error> {
                Ok(vec![CameraConfig::deserialize(de::value::MapAccessDeserializer::new(map))?])
            }
            fn visit_seq<S: SeqAccess<'de>>(self, seq: S) -> Result<Self::Value, S::Error> {
                Vec::deserialize(de::value::SeqAccessDeserializer::new(seq))
            }
        }
        d.deserialize_any(Cameras)
    }

    pub fn as_written<S: Serializer>(cameras: &[CameraConfig], s: S) -> Result<S::Ok, S::Error> {
        match cameras {
            [one] => one.serialize(s),
            many => many.serialize(s),
        }
    }
}

/// Which scans keep a snapshot of the frame they were read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Snapshots {
    Off,
    Refused,
    All,
}

impl Snapshots {
    /// Whether a scan with this verdict keeps its frame.
    pub fn keeps(self, verdict: crate::model::Verdict) -> bool {
        match self {
            Snapshots::Off => false,
            Snapshots::Refused => verdict == crate::model::Verdict::Refused,
            Snapshots::All => true,
        }
    }
}

impl Default for CameraConfig {
    fn default() -> CameraConfig {
        CameraConfig {
            source: "camera:0".into(),
            fps: 30.0,
            decode_fps: 15.0,
            snapshots: Snapshots::Refused,
            direction: None,
        }
    }
}

/// A language the screens speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    Vi,
    En,
}

/// The province's server.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SyncConfig {
    /// Its address, e.g. "https://sync.kcn.example.vn"; empty: this kiosk does not sync.
    pub server: String,
    /// The province's trace public key (64 hex digits, from `qrgate-server trace-key public`):
    /// visitors' CCCD numbers are sealed to it, so the province can trace a visitor by number.
    /// Empty: numbers never leave the kiosk.
    pub trace_key: String,
}

impl SyncConfig {
    /// The trace key, when one is set (checked when kiosk.conf was read).
    pub fn trace_public_key(&self) -> Option<qrgate_protocol::trace::TracePublicKey> {
        Some(self.trace_key.trim())
            .filter(|k| !k.is_empty())
            .and_then(|k| qrgate_protocol::trace::TracePublicKey::parse(k).ok())
    }
}

/// What opens the gate on a green decision: a relay board, a Modbus module, the PC's GPIO pins or
/// a door controller's URL. Outputs are named after the decision: `in` on an accepted entry,
/// `out` on an accepted exit, `alarm` (optional) on a refusal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TurnstileConfig {
    pub driver: TurnstileDriver,
    /// How long an output stays closed: door controllers expect a dry-contact pulse.
    pub pulse_ms: u32,
    /// lcus, modbus: the serial port, e.g. "/dev/ttyUSB0".
    pub port: String,
    /// lcus, modbus: the line speed; LCUS boards run at 9600.
    pub baud: u32,
    /// modbus: the module's slave address (1 to 247).
    pub unit: u8,
    /// gpio: the GPIO character device.
    pub chip: String,
    /// The channel (lcus: 1 to 8), coil address (modbus, from 0) or line offset (gpio) of each
    /// output; left out: not wired.
    #[serde(rename = "in")]
    pub entry: Option<u16>,
    #[serde(rename = "out")]
    pub exit: Option<u16>,
    pub alarm: Option<u16>,
    /// http: the URL called for each output (left out: not wired), with `method` and `body`,
    /// e.g. a Hikvision ISAPI remote door open. User and password may go in the URL.
    pub in_url: Option<String>,
    pub out_url: Option<String>,
    pub alarm_url: Option<String>,
    pub method: String,
    pub body: String,
    /// modbus: the discrete input address (from 0), gpio: the line offset of a passage sensor
    /// (the turnstile arm's rotation switch, a light barrier); left out: no sensor, every opening
    /// counts as a passage.
    pub passage: Option<u16>,
    /// With a sensor: an opening that nobody went through within this many seconds gets a
    /// `not_passed` follow-up event.
    pub passage_seconds: u32,
}

/// The turnstile's kind of wiring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TurnstileDriver {
    /// Nothing to open: the camera alone.
    None,
    /// A USB serial relay board on a CH340 ("LCUS").
    Lcus,
    /// A Modbus RTU relay module on RS-485 (write single coil).
    Modbus,
    /// The gate PC's own GPIO lines (Linux GPIO character device).
    Gpio,
    /// A door controller's HTTP interface.
    Http,
}

impl Default for TurnstileConfig {
    fn default() -> TurnstileConfig {
        TurnstileConfig {
            driver: TurnstileDriver::None,
            pulse_ms: 200,
            port: String::new(),
            baud: 9600,
            unit: 1,
            chip: "/dev/gpiochip0".into(),
            entry: None,
            exit: None,
            alarm: None,
            in_url: None,
            out_url: None,
            alarm_url: None,
            method: "PUT".into(),
            body: String::new(),
            passage: None,
            passage_seconds: 10,
        }
    }
}

impl TurnstileConfig {
    fn check(&self) -> std::result::Result<(), String> {
        use TurnstileDriver as D;
        if !(20..=10_000).contains(&self.pulse_ms) {
            return Err("turnstile.pulse_ms must be between 20 and 10000".into());
        }
        let outputs = [("in", self.entry), ("out", self.exit), ("alarm", self.alarm)];
        match self.driver {
            D::None => return Ok(()),
            D::Lcus | D::Modbus if self.port.trim().is_empty() => {
                return Err("turnstile.port must name the serial port, e.g. \"/dev/ttyUSB0\"".into())
            }
            D::Gpio if self.chip.trim().is_empty() => {
                return Err("turnstile.chip must name the GPIO chip, e.g. \"/dev/gpiochip0\"".into())
            }
            D::Http if self.passage.is_some() => {
                return Err(
                    "turnstile.passage needs a sensor input: a door controller has none here (use modbus or gpio)"
                        .into(),
                )
            }
            D::Http => {
                let urls = [("in_url", &self.in_url), ("out_url", &self.out_url), ("alarm_url", &self.alarm_url)];
                if urls.iter().all(|(_, u)| u.is_none()) {
                    return Err("turnstile.in_url or turnstile.out_url must say what to call".into());
                }
                for (name, url) in urls {
                    if let Some(url) = url {
                        if !(url.starts_with("http://") || url.starts_with("https://")) {
                            return Err(format!("turnstile.{name} must be an http:// or https:// URL"));
                        }
                    }
                }
                if !["GET", "POST", "PUT"].contains(&self.method.as_str()) {
                    return Err("turnstile.method must be GET, POST or PUT".into());
                }
                return Ok(());
            }
            _ => {}
        }
        if outputs.iter().all(|(_, o)| o.is_none()) {
            return Err("turnstile.in or turnstile.out must say which channel opens the gate".into());
        }
        if self.driver == D::Lcus {
            if let Some((name, _)) = outputs.iter().find(|(_, o)| o.is_some_and(|c| !(1..=8).contains(&c))) {
                return Err(format!("turnstile.{name} must be a relay channel from 1 to 8"));
            }
        }
        if !(1..=120).contains(&self.passage_seconds) {
            return Err("turnstile.passage_seconds must be between 1 and 120".into());
        }
        if self.driver == D::Lcus && self.passage.is_some() {
            return Err("turnstile.passage needs a sensor input: LCUS boards have none (use modbus or gpio)".into());
        }
        if self.driver == D::Modbus && !(1..=247).contains(&self.unit) {
            return Err("turnstile.unit must be a Modbus address from 1 to 247".into());
        }
        if !(1200..=115_200).contains(&self.baud) {
            return Err("turnstile.baud must be a serial speed from 1200 to 115200".into());
        }
        Ok(())
    }
}

impl Default for ScreenConfig {
    fn default() -> ScreenConfig {
        ScreenConfig { kiosk_mode: true, language: Language::Vi, low_disk_mb: 500 }
    }
}

/// How HR counts attendance from the events (see `crate::attendance`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AttendanceConfig {
    pub worked_time: WorkedTime,
    /// Scans the same way less than this many minutes apart are one passage (a badge shown twice).
    pub repeat_scan_minutes: u32,
    /// An in and the next out further apart than this are not one stay: the out was forgotten
    /// one day and the in the next.
    pub longest_stay_hours: u32,
}

/// What counts as worked time in a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkedTime {
    /// The sum of every in→out pair: time outside between an out and the next in is not worked.
    Pairs,
    /// From the first in to the last out.
    Span,
}

/// A work shift. `end` before `start` means the shift crosses midnight and belongs to the day it began.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shift {
    pub name: String,
    #[serde(with = "hhmm")]
    pub start: NaiveTime,
    #[serde(with = "hhmm")]
    pub end: NaiveTime,
    #[serde(default = "default_grace")]
    pub late_grace_minutes: u32,
    #[serde(default = "default_grace")]
    pub early_grace_minutes: u32,
    #[serde(default)]
    pub break_minutes: u32,
    /// Weekly days without this shift: no scan that day is a day off, not an absence.
    #[serde(default, with = "weekdays")]
    pub days_off: Vec<Weekday>,
}

fn default_grace() -> u32 {
    5
}

impl Default for Config {
    fn default() -> Config {
        Config {
            gate: GateConfig::default(),
            time: TimeConfig::default(),
            privacy: PrivacyConfig::default(),
            attendance: AttendanceConfig::default(),
            visitors: VisitorsConfig::default(),
            screen: ScreenConfig::default(),
            cameras: vec![CameraConfig::default()],
            sync: SyncConfig::default(),
            holidays: HolidaysConfig::default(),
            overtime: OvertimeConfig::default(),
            turnstile: TurnstileConfig::default(),
            shifts: default_shifts(),
        }
    }
}

impl Default for GateConfig {
    fn default() -> GateConfig {
        GateConfig {
            name: "Cổng chính".into(),
            mode: GateMode::Auto,
            debounce_seconds: 10,
            anti_passback: PassbackPolicy::Warn,
            accept_legacy_codes: false,
        }
    }
}

impl Default for TimeConfig {
    fn default() -> TimeConfig {
        TimeConfig { timezone: chrono_tz::Asia::Ho_Chi_Minh }
    }
}

impl Default for AttendanceConfig {
    fn default() -> AttendanceConfig {
        AttendanceConfig { worked_time: WorkedTime::Pairs, repeat_scan_minutes: 30, longest_stay_hours: 24 }
    }
}

impl Default for PrivacyConfig {
    fn default() -> PrivacyConfig {
        PrivacyConfig {
            visitor_retention_days: 30,
            former_worker_retention_days: 180,
            snapshot_retention_days: 7,
            notice: None,
        }
    }
}

fn shift(name: &str, start: (u32, u32), end: (u32, u32), break_minutes: u32, days_off: &[Weekday]) -> Shift {
    Shift {
        name: name.into(),
        start: NaiveTime::from_hms_opt(start.0, start.1, 0).expect("valid"),
        end: NaiveTime::from_hms_opt(end.0, end.1, 0).expect("valid"),
        late_grace_minutes: 5,
        early_grace_minutes: 5,
        break_minutes,
        days_off: days_off.to_vec(),
    }
}

/// The shifts most factories in the zones run: office hours (Sunday off) and three 8-hour shifts
/// that run every day, each worker's days off being arranged by HR.
pub fn default_shifts() -> Vec<Shift> {
    vec![
        shift("HC", (8, 0), (17, 0), 60, &[Weekday::Sun]),
        shift("CA1", (6, 0), (14, 0), 30, &[]),
        shift("CA2", (14, 0), (22, 0), 30, &[]),
        shift("CA3", (22, 0), (6, 0), 30, &[]),
    ]
}

/// Public holidays beyond what the Labour Code fixes (qrgate-hr's `holidays` computes the law's
/// list for any year): how Tết's days and National Day's second day fall, and the days the
/// enterprise or the Government's yearly notice adds or moves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HolidaysConfig {
    /// How many of Tết's five days come before lunar New Year's Day; the rest follow it.
    pub tet_days_before: u32,
    /// National Day's second day: the day before 2 September or the day after.
    pub national_day_adjacent: Adjacent,
    /// Further paid days off, YYYY-MM-DD.
    #[serde(with = "days")]
    pub added: Vec<chrono::NaiveDate>,
    /// Holidays moved to another day (a swap the Government announces): `from` is then a
    /// working day, `to` the holiday.
    pub moved: Vec<MovedHoliday>,
}

/// Which side of 2 September National Day's second day falls on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Adjacent {
    Before,
    After,
}

/// One holiday moved: `{ from = "2027-09-03", to = "2027-09-06" }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MovedHoliday {
    #[serde(with = "day")]
    pub from: chrono::NaiveDate,
    #[serde(with = "day")]
    pub to: chrono::NaiveDate,
}

impl Default for HolidaysConfig {
    fn default() -> HolidaysConfig {
        HolidaysConfig {
            tet_days_before: 1,
            national_day_adjacent: Adjacent::After,
            added: Vec::new(),
            moved: Vec::new(),
        }
    }
}

/// The years holidays can be computed for (the lunar calendar's trusted span).
pub const HOLIDAY_YEARS: std::ops::RangeInclusive<i32> = 1900..=2199;

impl HolidaysConfig {
    fn check(&self) -> std::result::Result<(), String> {
        use chrono::Datelike;
        if self.tet_days_before > 5 {
            return Err("holidays.tet_days_before must be between 0 and 5 (Tết has five days)".into());
        }
        let moved = self.moved.iter().flat_map(|m| [m.from, m.to]);
        if let Some(d) = self.added.iter().copied().chain(moved).find(|d| !HOLIDAY_YEARS.contains(&d.year())) {
            return Err(format!("holidays: {d} is outside the years 1900 to 2199 holidays are computed for"));
        }
        if let Some(m) = self.moved.iter().find(|m| m.from == m.to) {
            return Err(format!("holidays.moved: {} is moved onto itself", m.from));
        }
        Ok(())
    }
}

/// The overtime limits the timesheet warns past (Labour Code 2019, Art. 107(2)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OvertimeConfig {
    /// At most this many hours of overtime in a month: 40.
    pub month_limit_hours: u32,
    /// At most this many in a calendar year: 200, or 300 in the sectors allowed it (textiles,
    /// garments, footwear, electronics, food processing… Decree 145/2020/ND-CP Art. 61).
    pub year_limit_hours: u32,
}

impl Default for OvertimeConfig {
    fn default() -> OvertimeConfig {
        OvertimeConfig { month_limit_hours: 40, year_limit_hours: 200 }
    }
}

impl OvertimeConfig {
    fn check(&self) -> std::result::Result<(), String> {
        if !(1..=744).contains(&self.month_limit_hours) {
            return Err("overtime.month_limit_hours must be between 1 and 744 (the hours of a month)".into());
        }
        if !(1..=8784).contains(&self.year_limit_hours) {
            return Err("overtime.year_limit_hours must be between 1 and 8784 (the hours of a year)".into());
        }
        Ok(())
    }
}

/// A day in kiosk.conf: "2027-05-03", or TOML's own unquoted date.
mod day {
    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&d.format("%Y-%m-%d").to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        let text = match toml::Value::deserialize(d)? {
            toml::Value::String(s) => s,
            toml::Value::Datetime(t) => t.to_string(),
            other => other.to_string(),
        };
        NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
            serde::de::Error::custom(format!("{text:?} is not a day like \"2027-05-03\" (year-month-day)"))
        })
    }
}

mod days {
    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(days: &[NaiveDate], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(days.iter().map(|d| d.format("%Y-%m-%d").to_string()))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<NaiveDate>, D::Error> {
        #[derive(Deserialize)]
        struct Day(#[serde(with = "super::day")] NaiveDate);
        Ok(Vec::<Day>::deserialize(d)?.into_iter().map(|d| d.0).collect())
    }
}

impl Shift {
    pub fn crosses_midnight(&self) -> bool {
        self.end <= self.start
    }
}

impl Config {
    /// The first (or only) camera: the gate's, or its first lane's.
    pub fn camera(&self) -> &CameraConfig {
        &self.cameras[0]
    }

    /// Each camera with its lane: none on a one-camera gate, whose direction is `[gate] mode`'s.
    pub fn lanes(&self) -> Vec<(&CameraConfig, Option<Lane>)> {
        let two = self.cameras.len() > 1;
        self.cameras
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let lane = c.direction.filter(|_| two).map(|direction| Lane { number: i as u8 + 1, direction });
                (c, lane)
            })
            .collect()
    }

    fn check_cameras(&self) -> std::result::Result<(), String> {
        match self.cameras.len() {
            0 => return Err("kiosk.conf lists no [[camera]]".into()),
            1 if self.cameras[0].direction.is_some() => {
                return Err("camera.direction is for a gate with two lanes ([[camera]] twice); \
                            one camera goes the way [gate] mode says"
                    .into())
            }
            1 => {}
            2 => {
                if self.cameras.iter().any(|c| c.direction.is_none()) {
                    return Err("each [[camera]] of a two-lane gate needs its direction, \"in\" or \"out\"".into());
                }
                if self.cameras[0].source == self.cameras[1].source {
                    return Err(format!("the two [[camera]] lanes read the same source {:?}", self.cameras[0].source));
                }
            }
            n => return Err(format!("kiosk.conf lists {n} [[camera]]; a gate has one or two lanes")),
        }
        for (i, c) in self.cameras.iter().enumerate() {
            for (name, fps) in [("fps", c.fps), ("decode_fps", c.decode_fps)] {
                if !(fps > 0.0 && fps <= 120.0) {
                    let which = if self.cameras.len() > 1 { format!("camera {}", i + 1) } else { "camera".into() };
                    return Err(format!("{which}.{name} must be above 0 and at most 120"));
                }
            }
        }
        Ok(())
    }
    /// Reads kiosk.conf; a missing file gives the defaults.
    pub fn load(path: &Path) -> Result<Config> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => return Err(Error::io(path)(e)),
        };
        let text = String::from_utf8(bytes).map_err(|e| {
            let bytes = e.as_bytes();
            let good = e.utf8_error().valid_up_to();
            let line = bytes[..good].iter().filter(|&&b| b == b'\n').count() + 1;
            Error::Config {
                path: path.into(),
                why: format!("line {line} is not UTF-8 text; save the file as UTF-8 (an editor's \"UTF-8\" encoding)"),
            }
        })?;
        Config::parse(&text).map_err(|why| Error::Config { path: path.into(), why })
    }

    pub fn parse(text: &str) -> std::result::Result<Config, String> {
        let config: Config = toml::from_str(text).map_err(|e| e.to_string())?;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> std::result::Result<(), String> {
        let mut names = std::collections::HashSet::new();
        for s in &self.shifts {
            if s.name.trim().is_empty() {
                return Err("a [[shift]] has an empty name".into());
            }
            if !names.insert(s.name.as_str()) {
                return Err(format!("shift {:?} is defined twice", s.name));
            }
        }
        if !(1..=72).contains(&self.attendance.longest_stay_hours) {
            return Err("attendance.longest_stay_hours must be between 1 and 72".into());
        }
        if self.attendance.repeat_scan_minutes > 240 {
            return Err("attendance.repeat_scan_minutes over 4 hours would merge real passages".into());
        }
        if self.gate.debounce_seconds > 3600 {
            return Err("gate.debounce_seconds over an hour would hide real passages".into());
        }
        self.check_cameras()?;
        self.holidays.check()?;
        self.overtime.check()?;
        self.turnstile.check()?;
        if !self.sync.trace_key.trim().is_empty() {
            qrgate_protocol::trace::TracePublicKey::parse(&self.sync.trace_key)
                .map_err(|_| "sync.trace_key must be 64 hex digits (the province's `trace-key public`), or empty")?;
        }
        if let Some(notice) = &self.privacy.notice {
            if notice.trim().is_empty() || notice.chars().count() > 4000 {
                return Err(
                    "privacy.notice must be a text of 1 to 4000 characters (or left out for the default)".into()
                );
            }
        }
        if let Some(q) = self.visitors.health_questions.iter().find(|q| q.trim().is_empty()) {
            return Err(format!("visitors.health_questions holds an empty question ({q:?})"));
        }
        Ok(())
    }

    pub fn shift(&self, name: &str) -> Option<&Shift> {
        self.shifts.iter().find(|s| s.name == name)
    }
}

mod tz_name {
    use chrono_tz::Tz;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(tz: &Tz, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(tz.name())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Tz, D::Error> {
        let name = String::deserialize(d)?;
        name.parse().map_err(|_| serde::de::Error::custom(format!("unknown time zone {name:?}")))
    }
}

mod weekdays {
    use chrono::Weekday;
    use serde::{Deserialize, Deserializer, Serializer};

    const NAMES: [(&str, &str, Weekday); 7] = [
        ("mon", "monday", Weekday::Mon),
        ("tue", "tuesday", Weekday::Tue),
        ("wed", "wednesday", Weekday::Wed),
        ("thu", "thursday", Weekday::Thu),
        ("fri", "friday", Weekday::Fri),
        ("sat", "saturday", Weekday::Sat),
        ("sun", "sunday", Weekday::Sun),
    ];

    pub fn serialize<S: Serializer>(days: &[Weekday], s: S) -> Result<S::Ok, S::Error> {
        let names: Vec<&str> =
            days.iter().map(|d| NAMES.iter().find(|(_, _, w)| w == d).expect("every weekday").0).collect();
        s.collect_seq(names)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Weekday>, D::Error> {
        let texts = Vec::<String>::deserialize(d)?;
        let mut days = Vec::new();
        for text in texts {
            let t = text.trim().to_ascii_lowercase();
            let day =
                NAMES.iter().find(|(short, long, _)| t == *short || t == *long).map(|n| n.2).ok_or_else(|| {
                    serde::de::Error::custom(format!("{text:?} is not a day of the week (mon, tue, … sun)"))
                })?;
            if !days.contains(&day) {
                days.push(day);
            }
        }
        Ok(days)
    }
}

mod hhmm {
    use chrono::NaiveTime;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &NaiveTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.format("%H:%M").to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
        let text = String::deserialize(d)?;
        NaiveTime::parse_from_str(&text, "%H:%M")
            .map_err(|_| serde::de::Error::custom(format!("{text:?} is not a time like 07:30")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_camera_is_a_table_and_two_lanes_are_camera_tables_each_with_its_direction() {
        let one = Config::parse("[camera]\nsource = \"camera:2\"\n").unwrap();
        assert_eq!(one.cameras.len(), 1);
        assert_eq!(one.camera().source, "camera:2");
        assert_eq!(one.lanes()[0].1, None, "one camera is no lane: [gate] mode decides");

        let two = Config::parse(
            "[[camera]]\nsource = \"camera:0\"\ndirection = \"in\"\n\n\
             [[camera]]\nsource = \"camera:1\"\ndirection = \"out\"\nsnapshots = \"all\"\n",
        )
        .unwrap();
        let lanes: Vec<_> = two.lanes().into_iter().map(|(c, l)| (c.source.clone(), l)).collect();
        assert_eq!(
            lanes,
            [
                ("camera:0".to_string(), Some(Lane { number: 1, direction: Direction::In })),
                ("camera:1".to_string(), Some(Lane { number: 2, direction: Direction::Out })),
            ]
        );
        assert_eq!(two.cameras[1].snapshots, Snapshots::All);
        // Written back as it was read: one table, or an array of them.
        let again: Config = toml::from_str(&toml::to_string(&two).unwrap()).unwrap();
        assert_eq!(again.cameras, two.cameras);
        assert!(toml::to_string(&one).unwrap().contains("[camera]\n"));

        let refused = |text: &str| Config::parse(text).unwrap_err();
        assert!(refused("[camera]\ndirection = \"in\"\n").contains("two lanes"));
        assert!(refused("[[camera]]\nsource = \"camera:0\"\n[[camera]]\nsource = \"camera:1\"\ndirection = \"out\"\n")
            .contains("needs its direction"));
        assert!(refused(
            "[[camera]]\nsource = \"camera:0\"\ndirection = \"in\"\n[[camera]]\nsource = \"camera:0\"\ndirection = \"out\"\n"
        )
        .contains("same source"));
        let three = "[[camera]]\nsource = \"camera:0\"\ndirection = \"in\"\n".repeat(3);
        assert!(refused(&three).contains("one or two lanes"));
        assert!(refused("[[camera]]\nsource = \"camera:0\"\ndirection = \"in\"\nfps = 0\n[[camera]]\nsource = \"camera:1\"\ndirection = \"out\"\n")
            .contains("camera 1.fps"));
        assert!(refused("[camera]\ndirection = \"sideways\"\n").contains("sideways"));
    }

    #[test]
    fn a_file_that_is_not_utf8_is_a_config_error_naming_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kiosk.conf");
        std::fs::write(&path, b"[gate]\nname = \"C\xf4ng\"\n").unwrap();
        let e = Config::load(&path).unwrap_err();
        assert_eq!(e.code(), crate::Code::ConfigInvalid);
        assert!(!e.code().is_system());
        let text = e.to_string();
        assert!(text.contains("kiosk.conf") && text.contains("line 2 is not UTF-8"), "{text}");
    }

    #[test]
    fn defaults_when_empty() {
        assert_eq!(Config::parse("").unwrap(), Config::default());
    }

    #[test]
    fn example_file_is_the_defaults() {
        let text = include_str!("../../../kiosk.conf.example");
        assert_eq!(Config::parse(text).unwrap(), Config::default());
    }

    #[test]
    fn holidays_added_and_moved_and_their_mistakes() {
        let text = "[holidays]\ntet_days_before = 2\nnational_day_adjacent = \"before\"\n\
                    added = [\"2027-05-03\", 2027-12-24]\nmoved = [{ from = \"2027-09-01\", to = \"2027-09-03\" }]\n";
        let h = Config::parse(text).unwrap().holidays;
        assert_eq!((h.tet_days_before, h.national_day_adjacent), (2, Adjacent::Before));
        let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
        assert_eq!(h.added, vec![d("2027-05-03"), d("2027-12-24")]);
        assert_eq!(h.moved, vec![MovedHoliday { from: d("2027-09-01"), to: d("2027-09-03") }]);
        let bad = |t: &str| Config::parse(&format!("[holidays]\n{t}\n")).unwrap_err();
        assert!(bad("added = [\"03/05/2027\"]").contains("2027-05-03"));
        assert!(bad("tet_days_before = 6").contains("between 0 and 5"));
        assert!(bad("national_day_adjacent = \"beside\"").contains("before"));
        assert!(bad("added = [\"2300-01-01\"]").contains("1900 to 2199"));
        assert!(bad("moved = [{ from = \"2027-09-03\", to = \"2027-09-03\" }]").contains("onto itself"));
        assert!(bad("moved = [{ from = \"2027-09-03\" }]").contains("to"));
        let o = Config::parse("[overtime]\nyear_limit_hours = 300\n").unwrap().overtime;
        assert_eq!((o.month_limit_hours, o.year_limit_hours), (40, 300));
        assert!(Config::parse("[overtime]\nmonth_limit_hours = 0\n").unwrap_err().contains("between 1 and 744"));
    }

    #[test]
    fn the_provinces_trace_key_is_checked_when_read() {
        let key = "ab".repeat(32);
        let sync = Config::parse(&format!("[sync]\ntrace_key = \"{key}\"\n")).unwrap().sync;
        assert_eq!(sync.trace_public_key().map(|k| k.to_hex()), Some(key));
        assert_eq!(Config::default().sync.trace_public_key(), None, "empty: numbers stay on the kiosk");
        for bad in ["abc", &"zz".repeat(32), &"ab".repeat(33)] {
            let why = Config::parse(&format!("[sync]\ntrace_key = \"{bad}\"\n")).unwrap_err();
            assert!(why.contains("sync.trace_key must be 64 hex digits"), "{why}");
        }
    }

    #[test]
    fn the_turnstile_is_checked_when_read() {
        let t = Config::parse("[turnstile]\ndriver = \"lcus\"\nport = \"/dev/ttyUSB0\"\nin = 1\nout = 2\n")
            .unwrap()
            .turnstile;
        assert_eq!(
            (t.driver, t.entry, t.exit, t.alarm, t.pulse_ms),
            (TurnstileDriver::Lcus, Some(1), Some(2), None, 200)
        );
        let bad = |t: &str| Config::parse(&format!("[turnstile]\n{t}\n")).unwrap_err();
        assert!(bad("driver = \"lcus\"\nin = 1").contains("turnstile.port"));
        assert!(bad("driver = \"lcus\"\nport = \"/dev/ttyUSB0\"").contains("which channel"));
        assert!(bad("driver = \"lcus\"\nport = \"/dev/ttyUSB0\"\nin = 9").contains("1 to 8"));
        assert!(bad("driver = \"modbus\"\nport = \"/dev/ttyUSB0\"\nin = 0\nunit = 0").contains("1 to 247"));
        assert!(bad("driver = \"http\"").contains("in_url"));
        assert!(bad("driver = \"http\"\nin_url = \"ftp://door\"").contains("http:// or https://"));
        assert!(bad("driver = \"relay\"").contains("relay"));
        assert!(bad("pulse_ms = 5").contains("between 20 and 10000"));
        let lcus = "driver = \"lcus\"\nport = \"/dev/ttyUSB0\"\nin = 1";
        assert!(bad(&format!("{lcus}\npassage = 2")).contains("LCUS boards have none"));
        assert!(bad("driver = \"http\"\nin_url = \"http://door\"\npassage = 2").contains("sensor input"));
        let modbus = "driver = \"modbus\"\nport = \"/dev/ttyUSB0\"\nin = 0";
        assert!(bad(&format!("{modbus}\npassage = 2\npassage_seconds = 0")).contains("between 1 and 120"));
        let sensed = Config::parse(&format!("[turnstile]\n{modbus}\npassage = 2\n")).unwrap().turnstile;
        assert_eq!((sensed.passage, sensed.passage_seconds), (Some(2), 10));
        let door = Config::parse("[turnstile]\ndriver = \"http\"\nin_url = \"http://10.0.0.9/open\"\n").unwrap();
        assert_eq!(door.turnstile.in_url.as_deref(), Some("http://10.0.0.9/open"));
    }

    #[test]
    fn settings_and_mistakes() {
        let c = Config::parse("[gate]\nmode = \"in\"\nanti_passback = \"block\"\n").unwrap();
        assert_eq!(c.gate.mode, GateMode::In);
        assert_eq!(c.gate.anti_passback, PassbackPolicy::Block);
        assert!(Config::parse("[gate]\nmdoe = \"in\"\n").unwrap_err().contains("mdoe"));
        assert!(Config::parse("[time]\ntimezone = \"Mars/Olympus\"\n").unwrap_err().contains("Mars"));
        let err = Config::parse("[[shift]]\nname = \"X\"\nstart = \"7h\"\nend = \"16:00\"\n").unwrap_err();
        assert!(err.contains("07:30"), "{err}");
        let a = Config::parse("[attendance]\nworked_time = \"span\"\n").unwrap();
        assert_eq!(a.attendance.worked_time, WorkedTime::Span);
        let s = "[[shift]]\nname = \"X\"\nstart = \"07:00\"\nend = \"16:00\"\ndays_off = [\"Sat\", \"sunday\"]\n";
        assert_eq!(Config::parse(s).unwrap().shifts[0].days_off, vec![Weekday::Sat, Weekday::Sun]);
        assert!(Config::parse(&s.replace("Sat", "caturday")).unwrap_err().contains("caturday"));
        assert!(Config::parse("[attendance]\nlongest_stay_hours = 0\n").is_err());
        let night = Config::parse("[[shift]]\nname = \"N\"\nstart = \"22:00\"\nend = \"06:00\"\n").unwrap();
        assert!(night.shifts[0].crosses_midnight());
    }
}
