// The pages: files of adapters/http/web/ answered under /ui/, and the headers that keep
// every answer from being framed, sniffed or leaking its address.
#include "api_server_impl.hpp"
#include "web_files.hpp"

namespace http_api {

namespace {

std::string media_type(std::string_view name) {
    const auto ends_with = [&](std::string_view suffix) {
        return name.size() >= suffix.size() && name.substr(name.size() - suffix.size()) == suffix;
    };
    if (ends_with(".html"))
        return "text/html; charset=utf-8";
    if (ends_with(".css"))
        return "text/css; charset=utf-8";
    if (ends_with(".js"))
        return "text/javascript; charset=utf-8";
    if (ends_with(".svg"))
        return "image/svg+xml";
    return "application/octet-stream";
}

}  // namespace

Reply ApiServer::Impl::page(const std::string& file) {
    for (std::size_t i = 0; i < kWebFileCount; ++i)
        if (kWebFiles[i].name == file)
            return {200, {}, std::string(kWebFiles[i].content), media_type(file), {}};
    refuse(404, "no such page: /ui/" + file);
}

void ApiServer::Impl::page_headers(Poco::Net::HTTPServerResponse& response) const {
    // Scripts and styles come from files of ours only (no inline code, no other host), so
    // a text that slipped into the markup could not run; the pages are framed by nobody,
    // or by iDesk's origin when http.embed_origin names it.
    const std::string ancestors = settings.embed_origin.empty() ? "'none'" : settings.embed_origin;
    response.set("Content-Security-Policy",
                 "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                 "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors " +
                     ancestors);
    if (settings.embed_origin.empty())
        response.set("X-Frame-Options", "DENY");
    response.set("Referrer-Policy", "same-origin");
    response.set("Cross-Origin-Opener-Policy", "same-origin");
}

}  // namespace http_api
