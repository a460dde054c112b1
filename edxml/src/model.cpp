#include "edxml/model.hpp"

namespace edxml {

const char* to_string(BusinessDocType type) {
    switch (type) {
        case BusinessDocType::new_document:
            return "new";
        case BusinessDocType::revoke:
            return "revoke";
        case BusinessDocType::update:
            return "update";
        case BusinessDocType::replace:
            return "replace";
    }
    return "?";
}

BusinessDocType DocumentPackage::business_type() const {
    if (!trace || !trace->business || !trace->business->doc_type)
        return BusinessDocType::new_document;
    const int value = *trace->business->doc_type;
    return value >= 0 && value <= 3 ? static_cast<BusinessDocType>(value)
                                    : BusinessDocType::new_document;
}

PackageKind kind_of(const Package& package) {
    return std::holds_alternative<DocumentPackage>(package) ? PackageKind::document
                                                            : PackageKind::status;
}

const char* to_string(PackageKind kind) {
    return kind == PackageKind::document ? "document" : "status";
}

}  // namespace edxml
