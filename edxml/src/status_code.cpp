#include "edxml/status_code.hpp"

#include <cctype>

namespace edxml {
namespace {

struct KnownCode {
    StatusKind kind;
    const char* code;
    const char* name;
    const char* label;
};

constexpr KnownCode kKnownCodes[] = {
    {StatusKind::received, "01", "received", "Đã đến"},
    {StatusKind::rejected, "02", "rejected", "Từ chối"},
    {StatusKind::accepted, "03", "accepted", "Đã tiếp nhận"},
    {StatusKind::assigned, "04", "assigned", "Phân công"},
    {StatusKind::processing, "05", "processing", "Đang xử lý"},
    {StatusKind::completed, "06", "completed", "Hoàn thành"},
    {StatusKind::take_back_request, "13", "take_back_request", "Lấy lại"},
    {StatusKind::change_accepted, "15", "change_accepted", "Đồng ý cập nhật/lấy lại"},
    {StatusKind::change_rejected, "16", "change_rejected", "Từ chối cập nhật/lấy lại"},
};

const KnownCode* find(StatusKind kind) {
    for (const auto& known : kKnownCodes) {
        if (known.kind == kind)
            return &known;
    }
    return nullptr;
}

}  // namespace

StatusCode StatusCode::from_wire(std::string_view text) {
    StatusCode code;
    code.wire_text_ = std::string(text);
    // Compare numerically so that "1" and "01" mean the same thing.
    if (text.empty() || text.size() > 3)
        return code;
    int value = 0;
    for (char c : text) {
        if (!std::isdigit(static_cast<unsigned char>(c)))
            return code;
        value = value * 10 + (c - '0');
    }
    if (value == 14)
        value = 15;  // the .NET builder writes 14 for "change accepted"
    for (const auto& known : kKnownCodes) {
        if (static_cast<int>(known.kind) == value)
            code.kind_ = known.kind;
    }
    return code;
}

StatusCode StatusCode::from_kind(StatusKind kind) {
    StatusCode code;
    code.kind_ = kind;
    code.wire_text_ = canonical_code(kind);
    return code;
}

bool StatusCode::is_variant() const {
    return is_known() && wire_text_ != canonical_code(kind_);
}

std::string canonical_code(StatusKind kind) {
    const KnownCode* known = find(kind);
    return known ? known->code : "";
}

const char* to_string(StatusKind kind) {
    const KnownCode* known = find(kind);
    return known ? known->name : "unknown";
}

const char* vietnamese_label(StatusKind kind) {
    const KnownCode* known = find(kind);
    return known ? known->label : "Không xác định";
}

}  // namespace edxml
