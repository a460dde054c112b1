#include "connector/logging.hpp"

#include <Poco/AutoPtr.h>
#include <Poco/FileChannel.h>
#include <Poco/Logger.h>
#include <Poco/Message.h>
#include <Poco/StreamChannel.h>
#include <Poco/SyslogChannel.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <utility>
#include <vector>

#include "connector/clock.hpp"
#include "connector/error.hpp"

namespace connector::logging {
namespace {

constexpr std::array<Layer, 6> kLayers = {Layer::edxml, Layer::store, Layer::axis,
                                          Layer::sync,  Layer::http,  Layer::daemon};

// How the lines are dressed for the target: journald and syslog stamp the time themselves,
// and journald reads the priority from a "<N>" prefix.
struct Dress {
    Format format = Format::text;
    bool timed = true;
    bool priority_prefix = false;
};
std::atomic<Format> current_format{Format::text};
std::atomic<bool> current_timed{true};
std::atomic<bool> current_prefix{false};

struct Captured {
    std::mutex mutex;
    bool active = false;
    std::vector<std::pair<Level, std::string>> lines;
};
Captured& captured() {
    static Captured instance;
    return instance;
}
std::atomic<bool> capturing{false};

Poco::Logger& poco_logger(Layer layer) {
    static const std::array<Poco::Logger*, kLayers.size()> loggers = [] {
        std::array<Poco::Logger*, kLayers.size()> made{};
        for (std::size_t i = 0; i < kLayers.size(); ++i)
            made[i] = &Poco::Logger::get(logger_name(kLayers[i]));
        return made;
    }();
    return *loggers[static_cast<std::size_t>(layer)];
}

int poco_priority(Level level) {
    switch (level) {
        case Level::debug:
            return Poco::Message::PRIO_DEBUG;
        case Level::info:
            return Poco::Message::PRIO_INFORMATION;
        case Level::warning:
            return Poco::Message::PRIO_WARNING;
        case Level::error:
            return Poco::Message::PRIO_ERROR;
    }
    return Poco::Message::PRIO_INFORMATION;
}

// sd-daemon(3) priorities.
const char* journald_prefix(Level level) {
    switch (level) {
        case Level::debug:
            return "<7>";
        case Level::info:
            return "<6>";
        case Level::warning:
            return "<4>";
        case Level::error:
            return "<3>";
    }
    return "<6>";
}

// Length of the valid UTF-8 sequence at text[at], or 0 when the byte there starts none.
std::size_t utf8_length(std::string_view text, std::size_t at) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char lead = byte(at);
    std::size_t length = 0;
    if (lead < 0x80)
        return 1;
    if (lead >= 0xC2 && lead <= 0xDF)
        length = 2;
    else if (lead >= 0xE0 && lead <= 0xEF)
        length = 3;
    else if (lead >= 0xF0 && lead <= 0xF4)
        length = 4;
    else
        return 0;
    if (at + length > text.size())
        return 0;
    for (std::size_t i = 1; i < length; ++i) {
        if ((byte(at + i) & 0xC0) != 0x80)
            return 0;
    }
    // Overlong three- and four-byte forms, surrogates and code points past U+10FFFF.
    const unsigned char second = byte(at + 1);
    if ((lead == 0xE0 && second < 0xA0) || (lead == 0xED && second > 0x9F) ||
        (lead == 0xF0 && second < 0x90) || (lead == 0xF4 && second > 0x8F))
        return 0;
    return length;
}

// The value cut to kMaxValueBytes at a character boundary, with what was left off counted.
std::string_view cut(std::string_view value, std::size_t& left_off) {
    left_off = 0;
    if (value.size() <= kMaxValueBytes)
        return value;
    std::size_t end = kMaxValueBytes;
    while (end > 0 && (static_cast<unsigned char>(value[end]) & 0xC0) == 0x80)
        --end;
    left_off = value.size() - end;
    return value.substr(0, end);
}

bool bare_text(std::string_view value) {
    if (value.empty())
        return false;
    for (const char c : value) {
        const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                           (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' || c == ':' ||
                           c == '/' || c == '@' || c == '+' || c == ',' || c == '#';
        if (!plain)
            return false;
    }
    return true;
}

void append_hex_escape(std::string& out, const char* form, unsigned value) {
    char buffer[12];
    std::snprintf(buffer, sizeof buffer, form, value);
    out += buffer;
}

// The value in double quotes, \" \\ \n \r \t escaped. Other control bytes are \xNN in
// text and \u00NN in JSON; bytes that are not UTF-8 are \xNN in text and U+FFFD in JSON
// (so that a JSON line stays valid). Characters are kept (Vietnamese stays readable).
void append_quoted(std::string& out, std::string_view value, Format format) {
    std::size_t left_off = 0;
    const std::string_view kept = cut(value, left_off);
    out += '"';
    for (std::size_t i = 0; i < kept.size();) {
        const char c = kept[i];
        const auto byte = static_cast<unsigned char>(c);
        const std::size_t length = utf8_length(kept, i);
        if (length == 0) {
            if (format == Format::json)
                out += "\\ufffd";
            else
                append_hex_escape(out, "\\x%02x", byte);
            ++i;
            continue;
        }
        if (length > 1) {
            out.append(kept.substr(i, length));
            i += length;
            continue;
        }
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (byte < 0x20 || byte == 0x7f)
                    append_hex_escape(out, format == Format::json ? "\\u%04x" : "\\x%02x", byte);
                else
                    out += c;
        }
        ++i;
    }
    if (left_off > 0)
        out += "…[+" + std::to_string(left_off) + " bytes]";
    out += '"';
}

// key=value text: bare when it is plain and whole, otherwise quoted.
void append_text_value(std::string& out, std::string_view value) {
    if (value.size() <= kMaxValueBytes && bare_text(value))
        out += value;
    else
        append_quoted(out, value, Format::text);
}

void append_quoted_json(std::string& out, std::string_view value) {
    append_quoted(out, value, Format::json);
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
        text.remove_suffix(1);
    return text;
}

// Calls `each(layer, level)` for every "layer=level" of log.layer_levels.
template <typename Each>
void walk_layer_levels(std::string_view text, Each&& each) {
    while (!text.empty()) {
        const auto comma = text.find(',');
        const std::string_view item = trim(text.substr(0, comma));
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
        if (item.empty())
            continue;
        const auto equals = item.find('=');
        if (equals == std::string_view::npos)
            throw ConfigError("log.layer_levels: '" + std::string(item) +
                              "' is not layer=level (e.g. http=debug)");
        const std::string_view name = trim(item.substr(0, equals));
        const Level level = parse_level(trim(item.substr(equals + 1)), "log.layer_levels");
        bool known = false;
        for (const Layer layer : kLayers) {
            const std::string_view full = logger_name(layer);
            if (name == full || name == full.substr(full.find('.') + 1)) {
                each(layer, level);
                known = true;
            }
        }
        if (!known)
            throw ConfigError("log.layer_levels: '" + std::string(name) +
                              "' is not a layer (edxml, store, axis, sync, http, daemon)");
    }
}

}  // namespace

const char* logger_name(Layer layer) {
    switch (layer) {
        case Layer::edxml:
            return "connector.edxml";
        case Layer::store:
            return "connector.store";
        case Layer::axis:
            return "connector.axis";
        case Layer::sync:
            return "connector.sync";
        case Layer::http:
            return "connector.http";
        case Layer::daemon:
            return "connector.daemon";
    }
    return "connector";
}

const char* to_string(Level level) {
    switch (level) {
        case Level::debug:
            return "debug";
        case Level::info:
            return "info";
        case Level::warning:
            return "warning";
        case Level::error:
            return "error";
    }
    return "info";
}

std::string format_line(Format format, std::string_view time, Level level, Layer layer,
                        std::string_view event, std::span<const Field> fields) {
    std::string line;
    line.reserve(128);
    if (format == Format::json) {
        line += '{';
        if (!time.empty()) {
            line += "\"time\":";
            append_quoted_json(line, time);
            line += ',';
        }
        line += "\"level\":\"";
        line += to_string(level);
        line += "\",\"logger\":\"";
        line += logger_name(layer);
        line += "\",\"event\":";
        append_quoted_json(line, event);
        for (const Field& field : fields) {
            if (field.value.empty())
                continue;
            line += ',';
            append_quoted_json(line, field.key.text());
            line += ':';
            if (field.bare)
                line += field.value;
            else
                append_quoted_json(line, field.value);
        }
        line += '}';
        return line;
    }
    if (!time.empty()) {
        line += time;
        line += ' ';
    }
    line += "level=";
    line += to_string(level);
    line += " logger=";
    line += logger_name(layer);
    line += " event=";
    append_text_value(line, event);
    for (const Field& field : fields) {
        if (field.value.empty())
            continue;
        line += ' ';
        line += field.key.text();
        line += '=';
        append_text_value(line, field.value);
    }
    return line;
}

void LayerLog::at(Level level, Event event, std::initializer_list<Field> fields) const {
    at(level, event, std::span<const Field>(fields.begin(), fields.size()));
}

void LayerLog::at(Level level, Event event, std::span<const Field> fields) const {
    Poco::Logger& logger = poco_logger(layer_);
    const int priority = poco_priority(level);
    if (capturing.load()) {
        Captured& capture = captured();
        std::lock_guard lock(capture.mutex);
        if (capture.active)
            capture.lines.emplace_back(
                level, format_line(Format::text, {}, level, layer_, event.name(), fields));
    }
    if (!logger.is(priority))
        return;
    try {
        std::string line = format_line(
            current_format.load(),
            current_timed.load() ? utc_text(std::chrono::system_clock::now()) : std::string(),
            level, layer_, event.name(), fields);
        if (current_prefix.load())
            line.insert(0, journald_prefix(level));
        logger.log(
            Poco::Message(logger.name(), line, static_cast<Poco::Message::Priority>(priority)));
    } catch (...) {
        // A log that cannot be written (a full disk) must not stop the work it describes.
    }
}

bool LayerLog::enabled(Level level) const {
    return poco_logger(layer_).is(poco_priority(level));
}

Level parse_level(std::string_view text, std::string_view key) {
    if (text == "debug")
        return Level::debug;
    if (text == "info")
        return Level::info;
    if (text == "warning")
        return Level::warning;
    if (text == "error")
        return Level::error;
    throw ConfigError(std::string(key) + ": '" + std::string(text) +
                      "' is not a level (debug, info, warning, error)");
}

void check_layer_levels(std::string_view text) {
    walk_layer_levels(text, [](Layer, Level) {});
}

void set_levels(Level level, std::string_view layer_levels) {
    check_layer_levels(layer_levels);  // all or nothing
    for (const Layer layer : kLayers)
        poco_logger(layer).setLevel(poco_priority(level));
    walk_layer_levels(layer_levels, [](Layer layer, Level each) {
        poco_logger(layer).setLevel(poco_priority(each));
    });
}

void configure(const Output& output, std::ostream& err) {
    check_layer_levels(output.layer_levels);
    Poco::AutoPtr<Poco::Channel> channel;
    Dress dress;
    dress.format = output.format;
    if (output.target == "stderr") {
        channel = new Poco::StreamChannel(err);
    } else if (output.target == "journald") {
        channel = new Poco::StreamChannel(err);
        dress.timed = false;
        dress.priority_prefix = true;
    } else if (output.target == "syslog") {
        channel = new Poco::SyslogChannel("connector", Poco::SyslogChannel::SYSLOG_PID,
                                          Poco::SyslogChannel::SYSLOG_DAEMON);
        dress.timed = false;
    } else if (output.target == "file") {
        if (output.file.empty())
            throw ConfigError("log.file: needed with log.output = file");
        if (output.keep < 1)
            throw ConfigError("log.keep: must be above 0, not " + std::to_string(output.keep));
        Poco::AutoPtr<Poco::FileChannel> file(new Poco::FileChannel(output.file));
        try {
            file->setProperty("rotation", output.rotate);
            file->setProperty("archive", "number");
            file->setProperty("purgeCount", std::to_string(output.keep));
            file->setProperty("flush", "true");
            file->open();
        } catch (const Poco::Exception& error) {
            throw ConfigError("log.file " + output.file + " (log.rotate '" + output.rotate +
                              "'): " + error.displayText());
        }
        channel = file;
    } else {
        throw ConfigError("log.output: '" + output.target +
                          "' is not one of stderr, journald, syslog, file");
    }
    for (const Layer layer : kLayers)
        poco_logger(layer).setChannel(channel);
    current_format = dress.format;
    current_timed = dress.timed;
    current_prefix = dress.priority_prefix;
    set_levels(output.level, output.layer_levels);
}

LineCapture::LineCapture() {
    Captured& capture = captured();
    std::lock_guard lock(capture.mutex);
    capture.active = true;
    capture.lines.clear();
    capturing = true;
}

LineCapture::~LineCapture() {
    Captured& capture = captured();
    std::lock_guard lock(capture.mutex);
    capture.active = false;
    capture.lines.clear();
    capturing = false;
}

std::vector<std::string> LineCapture::lines(Level at_least) const {
    Captured& capture = captured();
    std::lock_guard lock(capture.mutex);
    std::vector<std::string> kept;
    for (const auto& [level, line] : capture.lines) {
        if (level >= at_least)
            kept.push_back(line);
    }
    return kept;
}

std::string LineCapture::find(std::string_view event, std::string_view text) const {
    const std::string wanted = " event=" + std::string(event) + " ";
    const std::string last = " event=" + std::string(event);
    for (const std::string& line : lines()) {
        const bool of_event = line.find(wanted) != std::string::npos ||
                              (line.size() >= last.size() &&
                               line.compare(line.size() - last.size(), last.size(), last) == 0);
        if (of_event && line.find(text) != std::string::npos)
            return line;
    }
    return {};
}

}  // namespace connector::logging
