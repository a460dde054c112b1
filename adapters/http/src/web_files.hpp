// The pages' files (adapters/http/web/), embedded at build time by
// cmake/EmbedWebFiles.cmake: the daemon serves them with no file beside it.
#pragma once

#include <cstddef>
#include <string_view>

namespace http_api {

struct WebFile {
    std::string_view name;  // e.g. "tasks.html"
    std::string_view content;
};

extern const WebFile kWebFiles[];
extern const std::size_t kWebFileCount;

}  // namespace http_api
