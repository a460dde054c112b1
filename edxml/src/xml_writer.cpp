#include "xml_writer.hpp"

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

void XmlWriter::escaped(std::string_view text, bool in_attribute) {
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
                if (byte < 0x20 || byte == 0x7F) {
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
