//! The words a person reads for each refusal reason, in Vietnamese and English.

use qrgate_core::gate::Reason;

/// (Vietnamese, English) for a reason code.
pub fn reason(r: Reason) -> (&'static str, &'static str) {
    match r {
        Reason::NotABadge => ("Không phải thẻ QR Gate", "Not a QR Gate badge"),
        Reason::BadgeDamaged => {
            ("Mã QR bị hỏng hoặc đọc thiếu, hãy quét lại", "Damaged or partly read badge, scan again")
        }
        Reason::UnknownBadgeVersion => {
            ("Thẻ theo định dạng mới hơn, cần cập nhật kiosk", "Badge format newer than this kiosk")
        }
        Reason::OtherEnterprise => ("Thẻ của doanh nghiệp khác", "Badge of another enterprise"),
        Reason::UnknownKey => ("Thẻ ký bằng khóa không xác định", "Badge signed with an unknown key"),
        Reason::BadSignature => {
            ("Chữ ký thẻ không hợp lệ (thẻ giả hoặc bị sửa)", "Bad signature (forged or altered badge)")
        }
        Reason::UnknownPerson => ("Không có trong danh sách nhân viên", "Not on the roster"),
        Reason::Revoked => ("Thẻ đã bị thu hồi, dùng thẻ mới nhất", "Badge revoked; use the newest badge"),
        Reason::Expired => ("Thẻ đã hết hạn", "Badge expired"),
        Reason::Inactive => ("Nhân viên không còn hoạt động", "Person is not active"),
        Reason::InvalidCccd => ("Mã QR CCCD không hợp lệ", "Invalid citizen-ID (CCCD) QR"),
        Reason::AntiPassback => (
            "Chống quay vòng: đã vào mà chưa ra (hoặc ngược lại)",
            "Anti-passback: entered without leaving (or the reverse)",
        ),
    }
}
