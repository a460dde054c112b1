#include "xml_writer.hpp"

#include <cstdint>

#include "edxml/diagnostics.hpp"

namespace edxml::detail {

void XmlWriter::indent() {
    out_.append(open_.size() * 2, ' ');
}

void XmlWriter::name(std::string_view local, bool with_prefix) {
    if (with_prefix && !prefix_.empty()) {
        out_ += prefix_;
        out_ += ':';
    }
    out_ += local;
}

namespace {

// Throws unless `text` is well-formed UTF-8 whose every character XML 1.0 allows
// (#x9 #xA #xD, #x20-#xD7FF, #xE000-#xFFFD, #x10000-#x10FFFF): output the reader would
// refuse is never produced.
void check_xml_characters(std::string_view text) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
    for (std::size_t i = 0; i < text.size();) {
        const unsigned char lead = bytes[i];
        if (lead < 0x80) {
            if (lead < 0x20 && lead != '\t' && lead != '\n' && lead != '\r') {
                throw Error(ErrorCode::invalid_value, "control character " + std::to_string(lead) +
                                                          " cannot be written in XML");
            }
            ++i;
            continue;
        }
        const int length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0;
        if (length == 0 || i + static_cast<std::size_t>(length) > text.size()) {
            throw Error(ErrorCode::invalid_value, "invalid UTF-8 at byte " + std::to_string(i) +
                                                      ": cannot be written in XML");
        }
        std::uint32_t code = lead & (0x7F >> length);
        for (int k = 1; k < length; ++k) {
            if ((bytes[i + k] & 0xC0) != 0x80) {
                throw Error(ErrorCode::invalid_value, "invalid UTF-8 at byte " + std::to_string(i) +
                                                          ": cannot be written in XML");
            }
            code = code << 6 | (bytes[i + k] & 0x3F);
        }
        const std::uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
        const bool allowed = code >= smallest[length] && code <= 0x10FFFF &&
                             !(code >= 0xD800 && code <= 0xDFFF) && code != 0xFFFE &&
                             code != 0xFFFF;
        if (!allowed) {
            throw Error(ErrorCode::invalid_value, "character U+" + std::to_string(code) +
                                                      " at byte " + std::to_string(i) +
                                                      " cannot be written in XML");
        }
        i += static_cast<std::size_t>(length);
    }
}

}  // namespace

void XmlWriter::escaped(std::string_view text, bool in_attribute) {
    check_xml_characters(text);
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        switch (c) {
            case '&':
                out_ += "&amp;";
                break;
            case '<':
                out_ += "&lt;";
                break;
            case '>':
                out_ += "&gt;";
                break;
            case '"':
                if (in_attribute) {
                    out_ += "&quot;";
                } else {
                    out_ += c;
                }
                break;
            // Escaped so that they survive a reader's end-of-line normalisation.
            case '\r':
                out_ += "&#13;";
                break;
            case '\t':
                if (in_attribute) {
                    out_ += "&#9;";
                } else {
                    out_ += c;
                }
                break;
            case '\n':
                if (in_attribute) {
                    out_ += "&#10;";
                } else {
                    out_ += c;
                }
                break;
            default:
                if (byte < 0x20) {
                    throw Error(
                        ErrorCode::invalid_value,
                        "control character " + std::to_string(byte) + " cannot be written in XML");
                }
                out_ += c;
        }
    }
}

void XmlWriter::start_tag(std::string_view local,
                          const std::vector<std::pair<std::string, std::string>>& attributes,
                          bool with_prefix) {
    indent();
    out_ += '<';
    name(local, with_prefix);
    for (const auto& [attribute, value] : attributes) {
        out_ += ' ';
        out_ += attribute;
        out_ += "=\"";
        escaped(value, true);
        out_ += '"';
    }
    out_ += '>';
}

void XmlWriter::end_tag(std::string_view local) {
    out_ += "</";
    name(local, true);
    out_ += ">\n";
}

void XmlWriter::open(std::string_view local,
                     const std::vector<std::pair<std::string, std::string>>& attributes,
                     bool with_prefix) {
    start_tag(local, attributes, with_prefix);
    out_ += '\n';
    open_.emplace_back(std::string(local), with_prefix);
}

void XmlWriter::close() {
    auto [local, with_prefix] = open_.back();
    open_.pop_back();
    indent();
    out_ += "</";
    name(local, with_prefix);
    out_ += ">\n";
}

void XmlWriter::text_element(std::string_view local,
                             const std::vector<std::pair<std::string, std::string>>& attributes,
                             std::string_view text) {
    start_tag(local, attributes, true);
    escaped(text, false);
    end_tag(local);
}

void XmlWriter::leaf(std::string_view local, std::string_view text) {
    if (text.empty())
        return;
    text_element(local, {}, text);
}

void XmlWriter::leaf(std::string_view local, const std::optional<int>& value) {
    if (value)
        leaf(local, std::to_string(*value));
}

void XmlWriter::leaf(std::string_view local, const std::optional<bool>& value) {
    if (value)
        leaf(local, *value ? "true" : "false");
}

void XmlWriter::leaf(std::string_view local, const std::optional<Date>& value) {
    if (value)
        leaf(local, format_date(*value));
}

void XmlWriter::leaf(std::string_view local, const std::optional<DateTime>& value) {
    if (value)
        leaf(local, format_date_time(*value));
}

void XmlWriter::raw_leaf(std::string_view local, std::string_view safe_text) {
    start_tag(local, {}, true);
    out_ += safe_text;
    end_tag(local);
}

}  // namespace edxml::detail
