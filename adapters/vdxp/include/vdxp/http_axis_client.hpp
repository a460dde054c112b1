// The VDXP client: the AxisTransport port over HTTP(S), as the official Java SDK calls
// the axis (protocol.md §5). One kept-alive connection per client; calls are serialised
// on it, so a daemon that wants parallel calls makes several clients.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "connector/axis_transport.hpp"

namespace vdxp {

namespace detail {
struct AxisConnection;
}

struct ClientSettings {
    // e.g. http://10.0.0.5:8080/XrdAdapter/adapter; operations are appended as /<name>.
    // http:// as on the government network, or https:// (verified, see ca_file).
    std::string base_url;
    std::string systemid;
    std::string secret;  // see connector::read_secret: from a file or the environment
    // HTTPS only: a PEM file of the CAs trusted for the axis's certificate. Empty: the
    // system's default store. The certificate and the host name are always verified.
    std::string ca_file;
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds read_timeout{60'000};  // for each read
    // For a whole answer: a server that trickles bytes cannot hold a call longer.
    std::chrono::milliseconds call_timeout{300'000};
    // A larger answer is refused (getEdoc of a 64 MiB package is about 86 MiB of base64).
    std::size_t max_response_bytes = 128u * 1024 * 1024;
    std::string service_type = "eDoc";
    // The clock for the XroadVnpt-timestamp header (tests pin it).
    std::function<std::chrono::system_clock::time_point()> clock = [] {
        return std::chrono::system_clock::now();
    };
};

class HttpAxisClient final : public connector::AxisTransport {
  public:
    // Throws connector::ConfigError naming the setting when the URL, systemid, secret or
    // CA file is unusable.
    explicit HttpAxisClient(ClientSettings settings);
    ~HttpAxisClient() override;
    HttpAxisClient(const HttpAxisClient&) = delete;
    HttpAxisClient& operator=(const HttpAxisClient&) = delete;

    connector::AxisResult<std::string> send_edoc(
        const connector::OutgoingKnobstick& knobstick) override;
    connector::AxisResult<std::vector<connector::AxisKnobstick>> received_list(
        connector::AxisMessageType type, const connector::ReceivedWindow& window) override;
    connector::AxisResult<std::string> get_edoc(const std::string& doc_id) override;
    connector::AxisResult<std::string> download_edoc(const std::string& doc_id) override;
    connector::AxisResult<connector::AxisDone> update_status(
        const std::string& doc_id, connector::AxisReceipt receipt) override;
    connector::AxisResult<std::vector<connector::AxisDelivery>> sent_list(
        connector::AxisMessageType type, const std::string& sent_doc_id) override;
    connector::AxisResult<std::int64_t> count_received(connector::AxisMessageType type) override;
    connector::AxisResult<std::vector<connector::AxisAgency>> agencies() override;
    connector::AxisResult<std::vector<connector::AxisAgency>> agencies_qd20() override;
    connector::AxisResult<connector::AxisDone> register_agency(
        const connector::AgencyRegistration& agency) override;
    connector::AxisResult<connector::AxisDone> delete_agency(
        const std::string& agency_code) override;

    // The axis's clock minus ours, from the Date header of its last answer (whole seconds:
    // the header's resolution); none before an answer with one.
    std::optional<std::chrono::seconds> clock_offset() const;

  private:
    connector::AxisResult<std::vector<connector::AxisAgency>> directory(
        const std::string& operation);

    ClientSettings settings_;
    std::unique_ptr<detail::AxisConnection> connection_;
};

// The SDK's `hash-file`: SHA-256 of the file with each byte as lowercase hex *without*
// zero padding (Java's Integer.toHexString), so bytes below 0x10 give one digit. The
// axis was built against that client, so we send the same form.
std::string sdk_hash_file(std::string_view bytes);

}  // namespace vdxp
