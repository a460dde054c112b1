// The daemon's log: one Poco logger per layer (connector.edxml, .store, .axis, .sync, .http,
// .daemon), stable UPPER_SNAKE event names and typed fields, written as key=value text or
// as JSON lines, to standard error, journald, syslog or a rotated file.
//
//     logging::sync.info("PACKAGE_SENT", {{"package", id}, {"task", code}, {"attempts", 2}});
//
// Every event is listed with its fields in docs/log-events.md; tests/log/log_events_check.py
// reads the calls written this way and fails when one is missing there. Values come from
// packages and requests, so they are quoted and escaped: no value can forge a field or a line.
#pragma once

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace connector::logging {

enum class Layer { edxml, store, axis, sync, http, daemon };
enum class Level { debug, info, warning, error };
enum class Format { text, json };

// "connector.sync" for Layer::sync.
const char* logger_name(Layer layer);
const char* to_string(Level level);

namespace detail {
consteval bool upper_snake(const char* text) {
    if (!text || !(text[0] >= 'A' && text[0] <= 'Z'))
        return false;
    for (const char* c = text; *c; ++c) {
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_'))
            return false;
    }
    return true;
}
consteval bool same(const char* a, const char* b) {
    while (*a && *a == *b) {
        ++a;
        ++b;
    }
    return *a == *b;
}
// Also refuses the keys every line has already: a field named "event" must not stand for it.
consteval bool lower_snake(const char* text) {
    if (!text || !(text[0] >= 'a' && text[0] <= 'z'))
        return false;
    if (same(text, "time") || same(text, "level") || same(text, "logger") || same(text, "event"))
        return false;
    for (const char* c = text; *c; ++c) {
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
            return false;
    }
    return true;
}
}  // namespace detail

// An event name, checked when compiled: literals only, UPPER_SNAKE.
class Event {
  public:
    consteval Event(const char* name) : name_(name) {  // NOLINT: literals convert on purpose
        if (!detail::upper_snake(name))
            throw "log event names are UPPER_SNAKE literals";  // stops the build
    }
    std::string_view name() const { return name_; }

  private:
    const char* name_;
};

// A field's key, checked when compiled: literals only, lower_snake.
class Key {
  public:
    consteval Key(const char* key) : key_(key) {  // NOLINT: literals convert on purpose
        if (!detail::lower_snake(key))
            throw "log field keys are lower_snake literals, not time/level/logger/event";  // stops
                                                                                           // the
                                                                                           // build
    }
    std::string_view text() const { return key_; }

  private:
    const char* key_;
};

struct Field {
    Field(Key key_, std::string_view value_) : key(key_), value(value_) {}
    Field(Key key_, const char* value_) : key(key_), value(value_ ? value_ : "") {}
    Field(Key key_, const std::string& value_) : key(key_), value(value_) {}
    Field(Key key_, bool value_) : key(key_), value(value_ ? "true" : "false"), bare(true) {}
    template <std::integral Number>
    requires(!std::same_as<Number, bool> && !std::same_as<Number, char>)
        Field(Key key_, Number value_)
        : key(key_), value(std::to_string(value_)), bare(true) {}

    Key key;
    std::string value;
    bool bare = false;  // a number or a boolean: unquoted in JSON
};

// The longest value written; the rest is cut and counted ("…[+N bytes]"): a hostile
// package's 10 MB subject must not fill the disk through the log.
inline constexpr std::size_t kMaxValueBytes = 2048;

// One line, without its newline; fields with an empty value are left out. Pure: the
// tests call it directly.
std::string format_line(Format format, std::string_view time, Level level, Layer layer,
                        std::string_view event, std::span<const Field> fields);

// A logger of one layer.
class LayerLog {
  public:
    constexpr explicit LayerLog(Layer layer) : layer_(layer) {}
    void at(Level level, Event event, std::initializer_list<Field> fields = {}) const;
    void at(Level level, Event event, std::span<const Field> fields) const;
    void debug(Event event, std::initializer_list<Field> fields = {}) const {
        at(Level::debug, event, fields);
    }
    void info(Event event, std::initializer_list<Field> fields = {}) const {
        at(Level::info, event, fields);
    }
    void warning(Event event, std::initializer_list<Field> fields = {}) const {
        at(Level::warning, event, fields);
    }
    void error(Event event, std::initializer_list<Field> fields = {}) const {
        at(Level::error, event, fields);
    }
    bool enabled(Level level) const;
    Layer layer() const { return layer_; }

  private:
    Layer layer_;
};

inline constexpr LayerLog edxml{Layer::edxml};
inline constexpr LayerLog store{Layer::store};
inline constexpr LayerLog axis{Layer::axis};
inline constexpr LayerLog sync{Layer::sync};
inline constexpr LayerLog http{Layer::http};
inline constexpr LayerLog daemon{Layer::daemon};

// Where the lines go. Without configure(): text at info and above, to standard error.
struct Output {
    Format format = Format::text;
    // stderr; journald (stderr with the <N> priority prefix systemd reads, no time: the
    // journal has it); syslog; file (with rotation).
    std::string target = "stderr";
    std::string file;             // for target file
    std::string rotate = "10 M";  // Poco FileChannel rotation: "10 M", "daily", …
    int keep = 10;                // rotated files kept
    Level level = Level::info;
    // Per layer: "http=debug,store=warning"; checked by parse_layer_levels.
    std::string layer_levels;
};

// Names what is wrong in a value of log.level / log.layer_levels (throws ConfigError).
Level parse_level(std::string_view text, std::string_view key);
void check_layer_levels(std::string_view text);

// Sets the channel and levels of every layer. `err` is used for target stderr/journald.
// Safe to call again (SIGHUP): the levels change at once, lines in flight are not lost.
void configure(const Output& output, std::ostream& err);
// Only the levels (the reload keeps the channel).
void set_levels(Level level, std::string_view layer_levels);

// For tests: while one is alive, every line of every level is also kept here (text
// format, without the time), whatever the channel's levels. One at a time.
class LineCapture {
  public:
    LineCapture();
    ~LineCapture();
    LineCapture(const LineCapture&) = delete;
    LineCapture& operator=(const LineCapture&) = delete;
    // The lines at `at_least` and above, in order.
    std::vector<std::string> lines(Level at_least = Level::debug) const;
    // The first line of `event` that holds `text` (empty: none).
    std::string find(std::string_view event, std::string_view text = {}) const;
};

}  // namespace connector::logging
