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
    pub trace: &'static str,
    pub trace_intro: &'static str,
    pub person: &'static str,
    pub by_employee_code: &'static str,
    pub by_cccd: &'static str,
    pub code_or_number: &'static str,
    pub from_day: &'static str,
    pub to_day: &'static str,
    pub day_hint: &'static str,
    pub trace_button: &'static str,
    pub choose: &'static str,
    pub result: &'static str,
    /// `{n}` is the count.
    pub contacts_found: &'static str,
    pub no_contacts: &'static str,
    pub sort_by: &'static str,
    pub sort_minutes: &'static str,
    pub sort_name: &'static str,
    pub sort_first: &'static str,
    pub who: &'static str,
    pub full_name: &'static str,
    pub minutes_together: &'static str,
    pub first_overlap: &'static str,
    pub worker: &'static str,
    pub visitor: &'static str,
    pub unknown_name: &'static str,
    pub download_csv: &'static str,
    pub download_xlsx: &'static str,
    pub kiosk_list: &'static str,
    pub registered: &'static str,
    pub revoked_at: &'static str,
    pub revoke: &'static str,
    /// `{kiosk}` is the kiosk id.
    pub revoke_title: &'static str,
    pub revoke_warning: &'static str,
    pub revoke_confirm: &'static str,
    pub cancel: &'static str,
    pub register_kiosk: &'static str,
    pub register_intro: &'static str,
    pub enterprise_name: &'static str,
    pub kiosk_id: &'static str,
    pub public_key: &'static str,
    pub register_button: &'static str,
    pub kiosk_registered: &'static str,
    pub kiosk_revoked: &'static str,
    pub no_kiosks: &'static str,
    pub accounts: &'static str,
    pub role: &'static str,
    pub state: &'static str,
    pub active: &'static str,
    pub disabled: &'static str,
    pub locked_until: &'static str,
    pub last_sign_in: &'static str,
    pub disable: &'static str,
    pub add_account: &'static str,
    pub add_account_intro: &'static str,
    pub display_name: &'static str,
    pub none_province: &'static str,
    pub new_password: &'static str,
    pub password_again: &'static str,
    pub add_button: &'static str,
    pub account_added: &'static str,
    pub account_disabled: &'static str,
    pub processing: &'static str,
    pub processing_intro: &'static str,
    pub actor: &'static str,
    pub people: &'static str,
    pub purge: &'static str,
    pub by_retention: &'static str,
    pub by_query_token: &'static str,
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
    trace: "Truy vết tiếp xúc",
    trace_intro: "Những người đã có mặt cùng lúc với một người tại một doanh nghiệp, trong những ngày đã chọn (tối đa 31 ngày). Mỗi lần truy vết và mỗi lần tải xuống đều được ghi vào nhật ký truy cập và hồ sơ xử lý dữ liệu.",
    person: "Người cần truy vết",
    by_employee_code: "Mã nhân viên",
    by_cccd: "Số CCCD của khách (12 chữ số)",
    code_or_number: "Mã nhân viên hoặc số CCCD",
    from_day: "Từ ngày",
    to_day: "Đến ngày",
    day_hint: "dd/mm/yyyy",
    trace_button: "Truy vết",
    choose: "— chọn —",
    result: "Kết quả",
    contacts_found: "{n} người đã có mặt cùng lúc",
    no_contacts: "Không có ai có mặt cùng lúc với người này trong những ngày đã chọn.",
    sort_by: "Sắp xếp theo",
    sort_minutes: "Số phút",
    sort_name: "Tên / mã",
    sort_first: "Lần gặp đầu",
    who: "Người",
    full_name: "Họ tên",
    minutes_together: "Số phút cùng có mặt",
    first_overlap: "Lần gặp đầu",
    worker: "Nhân viên",
    visitor: "Khách",
    unknown_name: "(chưa rõ tên)",
    download_csv: "Tải CSV",
    download_xlsx: "Tải XLSX",
    kiosk_list: "Các kiosk",
    registered: "Đăng ký lúc",
    revoked_at: "Thu hồi lúc",
    revoke: "Thu hồi",
    revoke_title: "Thu hồi kiosk {kiosk}?",
    revoke_warning: "Từ nay máy chủ từ chối mọi yêu cầu của kiosk này. Các sự kiện nó đã gửi vẫn được giữ. Không thể hoàn tác: muốn dùng lại máy này, hãy đăng ký một mã kiosk mới.",
    revoke_confirm: "Thu hồi kiosk này",
    cancel: "Huỷ",
    register_kiosk: "Đăng ký kiosk",
    register_intro: "Như lệnh qrgate-server kiosk add: doanh nghiệp chưa có thì được tạo; khoá công khai là dòng lệnh qrgate identity in ra trên kiosk.",
    enterprise_name: "Tên doanh nghiệp",
    kiosk_id: "Mã kiosk",
    public_key: "Khoá công khai của kiosk",
    register_button: "Đăng ký",
    kiosk_registered: "Đã đăng ký kiosk {kiosk}.",
    kiosk_revoked: "Đã thu hồi kiosk {kiosk}.",
    no_kiosks: "Chưa có kiosk nào.",
    accounts: "Tài khoản",
    role: "Vai trò",
    state: "Trạng thái",
    active: "Đang dùng",
    disabled: "Đã khoá",
    locked_until: "Tạm khoá đến {until}",
    last_sign_in: "Đăng nhập gần nhất",
    disable: "Khoá tài khoản",
    add_account: "Tạo tài khoản",
    add_account_intro: "Như lệnh qrgate-server user add. Tài khoản doanh nghiệp chỉ xem được doanh nghiệp của mình.",
    display_name: "Họ tên",
    none_province: "— không (vai trò của tỉnh) —",
    new_password: "Mật khẩu ban đầu (ít nhất 12 ký tự)",
    password_again: "Nhập lại mật khẩu",
    add_button: "Tạo",
    account_added: "Đã tạo tài khoản {login}.",
    account_disabled: "Đã khoá tài khoản {login}; các phiên đăng nhập của nó đã kết thúc.",
    processing: "Hồ sơ xử lý dữ liệu cá nhân",
    processing_intro: "Mỗi lần truy vết và mỗi lần xoá dữ liệu hết thời hạn lưu trữ: ai, khi nào, bao nhiêu người. Hồ sơ không chứa dữ liệu cá nhân.",
    actor: "Người thực hiện",
    people: "Số người",
    purge: "Xoá theo thời hạn lưu trữ",
    by_retention: "(tự động, thời hạn lưu trữ)",
    by_query_token: "(API, token truy vấn)",
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
    trace: "Contact tracing",
    trace_intro: "Everyone who was on site at the same time as one person at an enterprise, over the days chosen (at most 31). Every trace and every download is written in the audit log and the record of processing.",
    person: "Person to trace",
    by_employee_code: "Employee code",
    by_cccd: "A visitor's CCCD number (12 digits)",
    code_or_number: "Employee code or CCCD number",
    from_day: "From",
    to_day: "To",
    day_hint: "dd/mm/yyyy",
    trace_button: "Trace",
    choose: "— choose —",
    result: "Result",
    contacts_found: "{n} people were on site at the same time",
    no_contacts: "Nobody was on site at the same time as this person on the days chosen.",
    sort_by: "Sort by",
    sort_minutes: "Minutes",
    sort_name: "Name / code",
    sort_first: "First overlap",
    who: "Person",
    full_name: "Name",
    minutes_together: "Minutes together",
    first_overlap: "First overlap",
    worker: "Worker",
    visitor: "Visitor",
    unknown_name: "(name not known)",
    download_csv: "Download CSV",
    download_xlsx: "Download XLSX",
    kiosk_list: "Kiosks",
    registered: "Registered",
    revoked_at: "Revoked",
    revoke: "Revoke",
    revoke_title: "Revoke kiosk {kiosk}?",
    revoke_warning: "From now on the server refuses every request of this kiosk. The events it sent are kept. This cannot be undone: to use the machine again, register a new kiosk id.",
    revoke_confirm: "Revoke this kiosk",
    cancel: "Cancel",
    register_kiosk: "Register a kiosk",
    register_intro: "As the command qrgate-server kiosk add: an enterprise not yet known is created; the public key is the line qrgate identity prints on the kiosk.",
    enterprise_name: "Enterprise name",
    kiosk_id: "Kiosk id",
    public_key: "The kiosk's public key",
    register_button: "Register",
    kiosk_registered: "Kiosk {kiosk} registered.",
    kiosk_revoked: "Kiosk {kiosk} revoked.",
    no_kiosks: "No kiosk yet.",
    accounts: "Accounts",
    role: "Role",
    state: "State",
    active: "Active",
    disabled: "Disabled",
    locked_until: "Locked until {until}",
    last_sign_in: "Last sign-in",
    disable: "Disable",
    add_account: "Add an account",
    add_account_intro: "As the command qrgate-server user add. An enterprise account sees its own enterprise only.",
    display_name: "Name",
    none_province: "— none (the province's roles) —",
    new_password: "Initial password (at least 12 characters)",
    password_again: "The password again",
    add_button: "Add",
    account_added: "Account {login} added.",
    account_disabled: "Account {login} disabled; its sessions are ended.",
    processing: "Record of processing",
    processing_intro: "Every trace and every purge of data past its retention: who, when, how many people. The record holds no personal data.",
    actor: "By",
    people: "People",
    purge: "Retention purge",
    by_retention: "(automatic, retention)",
    by_query_token: "(API, query token)",
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

    pub fn person_kind(&self, kind: &str) -> &'static str {
        match kind {
            "worker" => self.worker,
            _ => self.visitor,
        }
    }

    /// A line of the record of processing in this language. The record keeps one wording (the
    /// API returns it as stored); the shapes `privacy` and `trace` write are said again here, and
    /// anything else is shown as stored.
    pub fn processing_detail(&self, detail: &str) -> String {
        if self.lang == Lang::En {
            return detail.to_string();
        }
        let day = |text: &str| match chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
            Ok(d) => d.format("%d/%m/%Y").to_string(),
            Err(_) => text.trim().to_string(),
        };
        if let Some((who, period)) = detail.split_once(" from ") {
            let who = match who {
                "worker" => "Nhân viên",
                "visitor" => "Khách",
                "visitor by CCCD number" => "Khách, theo số CCCD",
                "visitor by CCCD number, not found," => "Khách, theo số CCCD, không tìm thấy",
                _ => return detail.to_string(),
            };
            return match period.split_once(" to ") {
                Some((from, to)) => format!("{who}, từ {} đến {}", day(from), day(to)),
                None => format!("{who}, {period}"),
            };
        }
        let purge = detail.strip_suffix(" kept as daily counts").and_then(|d| d.split_once(" events before "));
        if let Some((events, before)) = purge {
            let before = match chrono::DateTime::parse_from_rfc3339(before) {
                Ok(t) => super::html::time_and_day(t.timestamp_millis()),
                Err(_) => before.to_string(),
            };
            return format!("{events} sự kiện trước {before}, chỉ còn số đếm theo ngày");
        }
        detail.to_string()
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

    /// What a form says about what was typed, in this language.
    pub fn problem(&self, problem: Problem) -> &'static str {
        let vi = self.lang == Lang::Vi;
        use Problem as P;
        match (problem, vi) {
            (P::ChooseEnterprise, true) => "Hãy chọn một doanh nghiệp.",
            (P::ChooseEnterprise, false) => "Choose an enterprise.",
            (P::EmployeeCode, true) => "Hãy nhập mã nhân viên (tối đa 64 ký tự).",
            (P::EmployeeCode, false) => "Type the employee code (at most 64 characters).",
            (P::CccdNumber, true) => "Số CCCD gồm đúng 12 chữ số.",
            (P::CccdNumber, false) => "A CCCD number is exactly 12 digits.",
            (P::NoTraceKey, true) => {
                "Máy chủ này chưa có khoá truy vết (--trace-key) nên không tìm được khách theo số CCCD."
            }
            (P::NoTraceKey, false) => {
                "This server has no trace key (--trace-key), so it cannot find a visitor by CCCD number."
            }
            (P::NoSuchVisitor, true) => {
                "Không có khách nào với số CCCD này tại doanh nghiệp này (hoặc dữ liệu đã hết thời hạn lưu trữ)."
            }
            (P::NoSuchVisitor, false) => {
                "No visitor with this CCCD number at this enterprise (or their data is past its retention)."
            }
            (P::Period, true) => {
                "Ngày viết dạng 03/12/2026; ngày kết thúc không trước ngày bắt đầu, cách nhau tối đa 31 ngày."
            }
            (P::Period, false) => "Write days as 03/12/2026; the last day not before the first, at most 31 days.",
            (P::TaxCode, true) => "Mã số thuế gồm 10 chữ số, 13 chữ số hoặc dạng 0101234567-001.",
            (P::TaxCode, false) => "A tax code is 10 digits, 13 digits, or 0101234567-001.",
            (P::EnterpriseName, true) => "Hãy nhập tên doanh nghiệp.",
            (P::EnterpriseName, false) => "Type the enterprise's name.",
            (P::KioskId, true) => "Mã kiosk gồm 1 đến 64 chữ cái không dấu, chữ số và - _ .",
            (P::KioskId, false) => "A kiosk id is 1 to 64 letters (a-z), digits and - _ .",
            (P::PublicKey, true) => {
                "Khoá công khai không hợp lệ: hãy dán đúng khoá mà lệnh qrgate identity in ra (64 ký tự 0-9, a-f)."
            }
            (P::PublicKey, false) => {
                "This public key is not valid: paste the key qrgate identity prints (64 characters 0-9, a-f)."
            }
            (P::KioskExists, true) => {
                "Mã kiosk này đã được đăng ký. Kiosk đã thu hồi thì vẫn bị thu hồi: hãy dùng một mã kiosk mới."
            }
            (P::KioskExists, false) => {
                "This kiosk id is already registered. A revoked kiosk stays revoked: use a new kiosk id."
            }
            (P::UnknownKiosk, true) => "Không có kiosk nào với mã này.",
            (P::UnknownKiosk, false) => "No kiosk has this id.",
            (P::Login, true) => "Tên đăng nhập gồm 3 đến 64 ký tự a-z, 0-9 và . _ @ -, bắt đầu bằng chữ hoặc số.",
            (P::Login, false) => "A login is 3 to 64 of a-z, 0-9 and . _ @ -, starting with a letter or a digit.",
            (P::Name, true) => "Hãy nhập họ tên (tối đa 100 ký tự).",
            (P::Name, false) => "Type the person's name (at most 100 characters).",
            (P::Role, true) => "Hãy chọn vai trò.",
            (P::Role, false) => "Choose a role.",
            (P::AccountEnterprise, true) => {
                "Tài khoản doanh nghiệp cần chọn doanh nghiệp của mình; vai trò của tỉnh thì không chọn doanh nghiệp."
            }
            (P::AccountEnterprise, false) => {
                "An enterprise account needs its enterprise; the province's roles take none."
            }
            (P::Password, true) => "Mật khẩu cần ít nhất 12 ký tự và không có ký tự điều khiển.",
            (P::Password, false) => "A password is at least 12 characters, with no control characters.",
            (P::PasswordsDiffer, true) => "Hai mật khẩu không giống nhau.",
            (P::PasswordsDiffer, false) => "The two passwords differ.",
            (P::AccountExists, true) => "Đã có tài khoản với tên đăng nhập này.",
            (P::AccountExists, false) => "An account with this login already exists.",
            (P::UnknownAccount, true) => "Không có tài khoản nào với tên đăng nhập này.",
            (P::UnknownAccount, false) => "No account has this login.",
            (P::UnknownEnterprise, true) => "Doanh nghiệp này chưa được đăng ký (hãy đăng ký một kiosk của nó trước).",
            (P::UnknownEnterprise, false) => "This enterprise is not registered (register one of its kiosks first).",
            (P::OwnAccount, true) => "Không thể tự khoá tài khoản đang dùng.",
            (P::OwnAccount, false) => "You cannot disable the account you are signed in with.",
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

/// What can be wrong in what was typed into a console form: the closed list the pages name
/// (`data-code`) and say in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    ChooseEnterprise,
    EmployeeCode,
    CccdNumber,
    NoTraceKey,
    NoSuchVisitor,
    Period,
    TaxCode,
    EnterpriseName,
    KioskId,
    PublicKey,
    KioskExists,
    UnknownKiosk,
    Login,
    Name,
    Role,
    AccountEnterprise,
    Password,
    PasswordsDiffer,
    AccountExists,
    UnknownAccount,
    UnknownEnterprise,
    OwnAccount,
}

impl Problem {
    pub const ALL: [Problem; 22] = [
        Problem::ChooseEnterprise,
        Problem::EmployeeCode,
        Problem::CccdNumber,
        Problem::NoTraceKey,
        Problem::NoSuchVisitor,
        Problem::Period,
        Problem::TaxCode,
        Problem::EnterpriseName,
        Problem::KioskId,
        Problem::PublicKey,
        Problem::KioskExists,
        Problem::UnknownKiosk,
        Problem::Login,
        Problem::Name,
        Problem::Role,
        Problem::AccountEnterprise,
        Problem::Password,
        Problem::PasswordsDiffer,
        Problem::AccountExists,
        Problem::UnknownAccount,
        Problem::UnknownEnterprise,
        Problem::OwnAccount,
    ];

    /// The machine word, for tests and for whoever helps on the phone.
    pub fn code(self) -> &'static str {
        match self {
            Problem::ChooseEnterprise => "choose_enterprise",
            Problem::EmployeeCode => "employee_code",
            Problem::CccdNumber => "cccd_number",
            Problem::NoTraceKey => "no_trace_key",
            Problem::NoSuchVisitor => "no_such_visitor",
            Problem::Period => "period",
            Problem::TaxCode => "tax_code",
            Problem::EnterpriseName => "enterprise_name",
            Problem::KioskId => "kiosk_id",
            Problem::PublicKey => "public_key",
            Problem::KioskExists => "kiosk_exists",
            Problem::UnknownKiosk => "unknown_kiosk",
            Problem::Login => "login",
            Problem::Name => "name",
            Problem::Role => "role",
            Problem::AccountEnterprise => "account_enterprise",
            Problem::Password => "password",
            Problem::PasswordsDiffer => "passwords_differ",
            Problem::AccountExists => "account_exists",
            Problem::UnknownAccount => "unknown_account",
            Problem::UnknownEnterprise => "unknown_enterprise",
            Problem::OwnAccount => "own_account",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_of_processing_is_said_in_vietnamese() {
        let cases = [
            ("worker from 2025-03-03 to 2025-03-04", "Nhân viên, từ 03/03/2025 đến 04/03/2025"),
            (
                "visitor by CCCD number from 2025-03-03 to 2025-03-03",
                "Khách, theo số CCCD, từ 03/03/2025 đến 03/03/2025",
            ),
            (
                "visitor by CCCD number, not found, from 2025-03-03 to 2025-03-05",
                "Khách, theo số CCCD, không tìm thấy, từ 03/03/2025 đến 05/03/2025",
            ),
            ("visitor from 2025-03-01T08:00 to 2025-03-02", "Khách, từ 2025-03-01T08:00 đến 02/03/2025"),
            (
                "120 events before 2025-03-01T00:00:00+07:00 kept as daily counts",
                "120 sự kiện trước 00:00 01/03/2025, chỉ còn số đếm theo ngày",
            ),
            ("something else from a newer server", "something else from a newer server"),
        ];
        for (stored, said) in cases {
            assert_eq!(VI.processing_detail(stored), said, "{stored}");
            assert_eq!(EN.processing_detail(stored), stored);
        }
    }

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
        for problem in Problem::ALL {
            assert_ne!(VI.problem(problem), EN.problem(problem), "{problem:?}");
        }
        let codes: std::collections::HashSet<&str> = Problem::ALL.iter().map(|p| p.code()).collect();
        assert_eq!(codes.len(), Problem::ALL.len(), "one code each");
        for (vi, en) in [(VI.contacts_found, EN.contacts_found), (VI.revoke_title, EN.revoke_title)] {
            assert_eq!(vi.contains("{n}") || vi.contains("{kiosk}"), en.contains("{n}") || en.contains("{kiosk}"));
        }
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
