// How the HTTP side reports to the daemon's log: a level ("info", "warning"), a stable
// event name ("webhook.retry") and its key=value detail, which the daemon writes in its
// own line format.
#pragma once

#include <functional>
#include <string>

namespace http_api {

using LogSink =
    std::function<void(const char* level, const std::string& event, const std::string& detail)>;

}  // namespace http_api
