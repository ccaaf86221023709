//! Every word the console shows, in Vietnamese (the default) and English: one struct, two
//! values, so a word missing in one language does not compile.

use crate::accounts::Role;
use crate::audit::Action;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    /// `?lang=` as given: anything but `en` is Vietnamese, the console's language.
    pub fn from_param(param: Option<&str>) -> Lang {
        match param.map(str::trim) {
            Some(p) if p.eq_ignore_ascii_case("en") => Lang::En,
            _ => Lang::Vi,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    /// The other language, for the switch.
    pub fn other(self) -> Lang {
        match self {
            Lang::Vi => Lang::En,
            Lang::En => Lang::Vi,
        }
    }

    /// What a link adds so the next page speaks this language too.
    pub fn query(self) -> &'static str {
        match self {
            Lang::Vi => "",
            Lang::En => "?lang=en",
        }
    }

    pub fn words(self) -> &'static Words {
        match self {
            Lang::Vi => &VI,
            Lang::En => &EN,
        }
    }
}

pub struct Words {
    pub lang: Lang,
    pub console: &'static str,
    /// The switch's label: the other language's name, in that language.
    pub other_language: &'static str,
    pub sign_in: &'static str,
    pub sign_out: &'static str,
    pub login: &'static str,
    pub password: &'static str,
    pub wrong_password: &'static str,
    /// `{until}` is the time the lock ends.
    pub locked: &'static str,
    pub overview: &'static str,
    pub audit: &'static str,
    pub today: &'static str,
    pub enterprise: &'static str,
    pub tax_code: &'static str,
    pub inside_now: &'static str,
    pub events_today: &'static str,
    pub kiosks: &'static str,
    pub kiosk: &'static str,
    pub last_sync: &'static str,
    pub online: &'static str,
    pub silent: &'static str,
    pub version: &'static str,
    pub clock_offset: &'static str,
    pub events_waiting: &'static str,
    pub last_error: &'static str,
    /// `{n}` is the offset ("180 phút"): the kiosk's clock is behind the server's.
    pub behind: &'static str,
    pub ahead: &'static str,
    pub minutes: &'static str,
    pub never: &'static str,
    pub revoked: &'static str,
    pub no_enterprises: &'static str,
    pub gates: &'static str,
    pub gate: &'static str,
    pub last_event: &'static str,
    pub no_gates: &'static str,
    pub workers: &'static str,
    pub visitors: &'static str,
    pub entries_per_day: &'static str,
    pub entries: &'static str,
    pub chart_summary: &'static str,
    pub at: &'static str,
    pub account: &'static str,
    pub action: &'static str,
    pub detail: &'static str,
    pub by_command: &'static str,
    pub no_lines: &'static str,
    pub refused: &'static str,
    pub back: &'static str,
    pub error_code: &'static str,
}

pub static VI: Words = Words {
    lang: Lang::Vi,
    console: "Bảng điều khiển của tỉnh",
    other_language: "English",
    sign_in: "Đăng nhập",
    sign_out: "Đăng xuất",
    login: "Tên đăng nhập",
    password: "Mật khẩu",
    wrong_password: "Sai tên đăng nhập hoặc mật khẩu.",
    locked: "Tài khoản tạm khoá đến {until} vì nhập sai mật khẩu 5 lần liên tiếp.",
    overview: "Tổng quan",
    audit: "Nhật ký truy cập",
    today: "Hôm nay",
    enterprise: "Doanh nghiệp",
    tax_code: "Mã số thuế",
    inside_now: "Đang ở trong",
    events_today: "Lượt quét hôm nay",
    kiosks: "Kiosk",
    kiosk: "Kiosk",
    last_sync: "Đồng bộ gần nhất",
    online: "Đang kết nối",
    silent: "Mất liên lạc",
    version: "Phiên bản",
    clock_offset: "Lệch đồng hồ",
    events_waiting: "Sự kiện chờ gửi",
    last_error: "Lỗi gần nhất",
    behind: "chậm {n}",
    ahead: "nhanh {n}",
    minutes: "phút",
    never: "chưa có",
    revoked: "đã thu hồi",
    no_enterprises: "Chưa có doanh nghiệp nào đăng ký kiosk.",
    gates: "Cổng",
    gate: "Cổng",
    last_event: "Sự kiện gần nhất",
    no_gates: "Chưa có sự kiện nào trong 30 ngày qua.",
    workers: "Người lao động",
    visitors: "Khách",
    entries_per_day: "Lượt vào mỗi ngày, 30 ngày qua",
    entries: "lượt vào",
    chart_summary: "Lượt vào theo ngày, từ {from} đến {to}; nhiều nhất {max} lượt.",
    at: "Thời gian",
    account: "Tài khoản",
    action: "Thao tác",
    detail: "Chi tiết",
    by_command: "(lệnh trên máy chủ)",
    no_lines: "Nhật ký còn trống.",
    refused: "Không thực hiện được",
    back: "Về trang tổng quan",
    error_code: "Mã lỗi",
};

pub static EN: Words = Words {
    lang: Lang::En,
    console: "Province console",
    other_language: "Tiếng Việt",
    sign_in: "Sign in",
    sign_out: "Sign out",
    login: "Login",
    password: "Password",
    wrong_password: "Wrong login or password.",
    locked: "This account is locked until {until} after 5 wrong passwords in a row.",
    overview: "Overview",
    audit: "Audit log",
    today: "Today",
    enterprise: "Enterprise",
    tax_code: "Tax code",
    inside_now: "Inside now",
    events_today: "Events today",
    kiosks: "Kiosks",
    kiosk: "Kiosk",
    last_sync: "Last sync",
    online: "Online",
    silent: "Silent",
    version: "Version",
    clock_offset: "Clock offset",
    events_waiting: "Events waiting",
    last_error: "Last error",
    behind: "{n} behind",
    ahead: "{n} ahead",
    minutes: "min",
    never: "never",
    revoked: "revoked",
    no_enterprises: "No enterprise has registered a kiosk yet.",
    gates: "Gates",
    gate: "Gate",
    last_event: "Last event",
    no_gates: "No events in the last 30 days.",
    workers: "Workers",
    visitors: "Visitors",
    entries_per_day: "Entries per day, last 30 days",
    entries: "entries",
    chart_summary: "Entries per day from {from} to {to}; at most {max}.",
    at: "Time",
    account: "Account",
    action: "Action",
    detail: "Detail",
    by_command: "(command on the server)",
    no_lines: "The log is empty.",
    refused: "Refused",
    back: "Back to the overview",
    error_code: "Error code",
};

impl Words {
    pub fn role(&self, role: Role) -> &'static str {
        let vi = self.lang == Lang::Vi;
        match (role, vi) {
            (Role::ProvinceAdmin, true) => "Quản trị của tỉnh",
            (Role::ProvinceAdmin, false) => "Province admin",
            (Role::ProvinceOfficer, true) => "Cán bộ của tỉnh",
            (Role::ProvinceOfficer, false) => "Province officer",
            (Role::EnterpriseViewer, true) => "Doanh nghiệp (chỉ xem)",
            (Role::EnterpriseViewer, false) => "Enterprise (read only)",
        }
    }

    pub fn action(&self, action: Action) -> &'static str {
        let vi = self.lang == Lang::Vi;
        match (action, vi) {
            (Action::SignIn, true) => "Đăng nhập",
            (Action::SignIn, false) => "Signed in",
            (Action::SignInFailed, true) => "Đăng nhập không thành công",
            (Action::SignInFailed, false) => "Sign-in refused",
            (Action::SignOut, true) => "Đăng xuất",
            (Action::SignOut, false) => "Signed out",
            (Action::Trace, true) => "Truy vết tiếp xúc",
            (Action::Trace, false) => "Contact trace",
            (Action::Export, true) => "Xuất dữ liệu",
            (Action::Export, false) => "Export",
            (Action::KioskRegister, true) => "Đăng ký kiosk",
            (Action::KioskRegister, false) => "Kiosk registered",
            (Action::KioskRevoke, true) => "Thu hồi kiosk",
            (Action::KioskRevoke, false) => "Kiosk revoked",
            (Action::AccountAdd, true) => "Tạo tài khoản",
            (Action::AccountAdd, false) => "Account created",
            (Action::AccountPassword, true) => "Đặt lại mật khẩu",
            (Action::AccountPassword, false) => "Password set",
            (Action::AccountDisable, true) => "Khoá tài khoản",
            (Action::AccountDisable, false) => "Account disabled",
            (Action::TokenAdd, true) => "Cấp mã truy cập API",
            (Action::TokenAdd, false) => "API token issued",
            (Action::TokenRevoke, true) => "Thu hồi mã truy cập API",
            (Action::TokenRevoke, false) => "API token revoked",
        }
    }

    /// What a refused page says, by the error's code; the code itself is shown beside it.
    pub fn refusal(&self, code: &str) -> &'static str {
        let vi = self.lang == Lang::Vi;
        match (code, vi) {
            ("forbidden", true) => "Tài khoản này không được xem trang này.",
            ("forbidden", false) => "This account may not see this page.",
            ("csrf_refused", true) => "Biểu mẫu không hợp lệ hoặc đã hết hạn. Hãy mở lại trang và thử lại.",
            ("csrf_refused", false) => "The form is not valid or has expired. Open the page again and retry.",
            ("unknown_enterprise", true) => "Không có doanh nghiệp nào với mã số thuế này.",
            ("unknown_enterprise", false) => "No enterprise has this tax code.",
            ("invalid_input", true) => "Địa chỉ hoặc dữ liệu gửi lên không hợp lệ.",
            ("invalid_input", false) => "The address or the data sent is not valid.",
            (_, true) => "Máy chủ tạm thời không trả lời được. Hãy thử lại sau.",
            (_, false) => "The server cannot answer now. Try again later.",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_their_own_words() {
        for (vi, en) in [(VI.sign_in, EN.sign_in), (VI.inside_now, EN.inside_now), (VI.audit, EN.audit)] {
            assert_ne!(vi, en);
        }
        for action in Action::ALL {
            assert_ne!(VI.action(action), EN.action(action), "{action:?}");
        }
        for role in Role::ALL {
            assert_ne!(VI.role(role), EN.role(role), "{role:?}");
        }
        for code in ["forbidden", "csrf_refused", "unknown_enterprise", "invalid_input", "database"] {
            assert_ne!(VI.refusal(code), EN.refusal(code), "{code}");
        }
        assert!(VI.locked.contains("{until}") && EN.locked.contains("{until}"));
    }

    #[test]
    fn the_console_speaks_vietnamese_unless_asked_for_english() {
        assert_eq!(Lang::from_param(None), Lang::Vi);
        assert_eq!(Lang::from_param(Some("fr")), Lang::Vi);
        assert_eq!(Lang::from_param(Some("EN")), Lang::En);
        assert_eq!(Lang::En.query(), "?lang=en");
        assert_eq!(Lang::Vi.other(), Lang::En);
    }
}
