// Business status codes of the edXML status package (protocol.md §2.2).
#pragma once

#include <string>
#include <string_view>

namespace edxml {

enum class StatusKind {
    received = 1,            // 01 Đã đến
    rejected = 2,            // 02 Từ chối
    accepted = 3,            // 03 Đã tiếp nhận
    assigned = 4,            // 04 Phân công
    processing = 5,          // 05 Đang xử lý
    completed = 6,           // 06 Hoàn thành
    take_back_request = 13,  // 13 Lấy lại (sent by the original sender)
    change_accepted = 15,    // 15 Đồng ý cập nhật / lấy lại
    change_rejected = 16,    // 16 Từ chối cập nhật / lấy lại
    unknown = 0,             // any other code, kept verbatim
};

// A status code as it travelled: the interpreted kind and the exact text, so that an
// unknown or variant code (09, 14) survives storage and a round trip unchanged.
class StatusCode {
  public:
    StatusCode() = default;
    // Interprets the wire text; "14" is the .NET builder's variant of 15.
    static StatusCode from_wire(std::string_view text);
    static StatusCode from_kind(StatusKind kind);

    StatusKind kind() const { return kind_; }
    const std::string& wire_text() const { return wire_text_; }
    bool is_known() const { return kind_ != StatusKind::unknown; }
    // True when the wire text is not the canonical two-digit code of its kind.
    bool is_variant() const;

    bool operator==(const StatusCode&) const = default;

  private:
    StatusKind kind_ = StatusKind::unknown;
    std::string wire_text_;
};

// "01", "02", … for known kinds; empty for unknown.
std::string canonical_code(StatusKind kind);
// English identifier used in logs, JSON and the database ("received", "completed", …).
const char* to_string(StatusKind kind);
// Vietnamese label shown to users ("Đã đến", "Hoàn thành", …).
const char* vietnamese_label(StatusKind kind);

}  // namespace edxml
