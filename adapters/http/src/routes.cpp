// Roles, path matching and route_table() (api_server.hpp), over the table of routes.hpp.
#include "routes.hpp"

#include <algorithm>

#include "http_api/api_server.hpp"

namespace http_api {

unsigned role_bit(const std::string& role) {
    if (role == "backend")
        return kBackend;
    if (role == "clerk")
        return kClerk;
    if (role == "auditor")
        return kAuditor;
    if (role == "admin")
        return kAdmin;
    if (role == "leader")
        return kLeader;
    if (role == "metrics")
        return kMetrics;
    return 0;
}

std::vector<std::string> split_path(const std::string& path) {
    std::vector<std::string> segments;
    std::size_t start = 1;
    while (start <= path.size()) {
        const std::size_t end = std::min(path.find('/', start), path.size());
        segments.push_back(path.substr(start, end - start));
        start = end + 1;
    }
    return segments;
}

std::optional<std::string> match(const Route& route, const std::vector<std::string>& segments) {
    const auto pattern = split_path(route.pattern);
    if (pattern.size() != segments.size())
        return std::nullopt;
    std::string parameter;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        if (!pattern[i].empty() && pattern[i].front() == '{') {
            if (segments[i].empty())
                return std::nullopt;
            parameter = segments[i];
        } else if (pattern[i] != segments[i]) {
            return std::nullopt;
        }
    }
    return parameter;
}

std::vector<std::string> route_table() {
    std::vector<std::string> routes;
    for (const Route& route : kRoutes)
        routes.push_back(std::string(route.method) + " " + route.pattern);
    std::sort(routes.begin(), routes.end());
    return routes;
}

}  // namespace http_api
