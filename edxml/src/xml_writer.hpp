// Internal: a small streaming XML writer for our canonical output. It escapes text,
// refuses characters XML 1.0 cannot carry, and indents with two spaces.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edxml/dates.hpp"

namespace edxml::detail {

class XmlWriter {
  public:
    explicit XmlWriter(std::string prefix) : prefix_(std::move(prefix)) {}

    void declaration() { out_ += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"; }
    // Opens an element; attributes are name/value pairs written in order.
    void open(std::string_view name,
              const std::vector<std::pair<std::string, std::string>>& attributes = {},
              bool with_prefix = true);
    void close();
    // An element with text content; skipped when the text is empty (empty = absent).
    void leaf(std::string_view name, std::string_view text);
    void leaf(std::string_view name, const char* text) { leaf(name, std::string_view(text)); }
    void leaf(std::string_view name, const std::optional<int>& value);
    void leaf(std::string_view name, const std::optional<bool>& value);
    void leaf(std::string_view name, const std::optional<Date>& value);
    void leaf(std::string_view name, const std::optional<DateTime>& value);
    // An element whose text is already-safe, pre-formatted content (base64 lines).
    void raw_leaf(std::string_view name, std::string_view safe_text);
    // An element with attributes and text, written even when the text is empty.
    void text_element(std::string_view name,
                      const std::vector<std::pair<std::string, std::string>>& attributes,
                      std::string_view text);

    std::string finish() { return std::move(out_); }

  private:
    void indent();
    void start_tag(std::string_view local,
                   const std::vector<std::pair<std::string, std::string>>& attributes,
                   bool with_prefix);
    void end_tag(std::string_view local);
    void name(std::string_view local, bool with_prefix);
    void escaped(std::string_view text, bool in_attribute);

    std::string prefix_;
    std::string out_;
    std::vector<std::pair<std::string, bool>> open_;
};

}  // namespace edxml::detail
