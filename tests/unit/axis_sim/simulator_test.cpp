// The axis simulator over real HTTP on loopback. Requests are built by hand with Poco's
// HTTPClientSession; the authentication vectors write the signed JSON by hand and compute
// the HMAC with OpenSSL directly, independently of vdxp::sign_request.
#include <boost/test/unit_test.hpp>

#include <Poco/Base64Decoder.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/StreamCopier.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "axis_sim/simulator.hpp"
#include "independent_hmac.hpp"
#include "test_files.hpp"
#include "test_pki.hpp"
#include "vdxp/xroad_headers.hpp"

namespace fs = std::filesystem;
using axis_sim::AgencyConfig;
using axis_sim::FaultSettings;
using axis_sim::Simulator;
using axis_sim::SimulatorConfig;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

const std::string kH20 = "000.00.00.H20";
const std::string kG22 = "000.00.00.G22";
const std::string kH20Secret = "secret-of-dong-thap";
const std::string kG22Secret = "secret-of-vpcp";
const std::string kAdminToken = "admin-token-for-tests";
const std::string kBasePath = "/XrdAdapter/adapter";

AgencyConfig agency(const std::string& code, const std::string& name) {
    AgencyConfig config;
    config.id = "id-" + code;
    config.code = code;
    config.name = name;
    config.mail = "vanthu@example.vn";
    return config;
}

// The province (with some departments) and the Government office with a ministry.
SimulatorConfig test_config() {
    SimulatorConfig config;
    config.base_path = kBasePath;
    config.admin_token = kAdminToken;
    config.systems = {
        {kH20,
         kH20Secret,
         {agency(kH20, "Ủy ban nhân dân tỉnh Đồng Tháp"), agency("000.00.01.H20", "Văn phòng UBND"),
          agency("000.00.14.H20", "Sở Khoa học và Công nghệ"),
          agency("000.00.05.H20", "Sở Tài chính"),
          agency("000.00.22.H20", "Sở Văn hóa, Thể thao và Du lịch"),
          agency("000.00.25.H20", "Công an tỉnh")}},
        {kG22,
         kG22Secret,
         {agency(kG22, "Văn phòng Chính phủ"),
          agency("000.00.00.G14", "Bộ Khoa học và Công nghệ")}},
    };
    config.systems[0].agencies[0].code_qd20 = "H20";
    return config;
}

// A fresh folder under the build tree for files a test writes.
fs::path temp_dir(const std::string& name) {
    const fs::path dir = fs::path(CONNECTOR_BINARY_DIR) / "test-tmp" / "axis-sim" / name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

void write_file(const fs::path& path, const std::string& text) {
    std::ofstream file(path, std::ios::binary);
    file << text;
}

Object::Ptr parse_object(const std::string& text) {
    Poco::JSON::Parser parser;
    return parser.parse(text).extract<Object::Ptr>();
}

std::vector<unsigned char> sha256_bytes(const std::string& bytes) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
    return {digest, digest + length};
}

std::string padded_hex(const std::vector<unsigned char>& digest) {
    std::string hex;
    char byte[3];
    for (const unsigned char value : digest) {
        std::snprintf(byte, sizeof byte, "%02x", value);
        hex += byte;
    }
    return hex;
}

// Java's Integer.toHexString per byte: no zero padding.
std::string java_hex(const std::vector<unsigned char>& digest) {
    std::string hex;
    char byte[3];
    for (const unsigned char value : digest) {
        std::snprintf(byte, sizeof byte, "%x", value);
        hex += byte;
    }
    return hex;
}

std::string base64_decoded(const std::string& text) {
    std::istringstream in(text);
    Poco::Base64Decoder decoder(in);
    std::string bytes;
    Poco::StreamCopier::copyToString(decoder, bytes);
    return bytes;
}

using Headers = std::vector<std::pair<std::string, std::string>>;

// The XroadVnpt headers written out by hand: ASCII values only, so the JSON needs no
// escaping. `name_case` lets a test send the header names in another case.
Headers hand_signed(const std::string& systemid, const std::string& secret,
                    const Headers& parameters, bool lower_case_names = false) {
    Headers signed_values{{"timestamp", "01072025T093000+0123"},
                          {"systemid", systemid},
                          {"Content-Type", "application/json"}};
    signed_values.insert(signed_values.end(), parameters.begin(), parameters.end());
    std::string json = "{", keys;
    Headers headers{{"Content-Type", "application/json"}};
    for (const auto& [key, value] : signed_values) {
        json +=
            std::string(json.size() > 1 ? "," : "") + "\"XroadVnpt-" + key + "\":\"" + value + "\"";
        keys += (keys.empty() ? "" : ";") + key;
        headers.emplace_back("XroadVnpt-" + key, value);
    }
    json += "}";
    headers.emplace_back("XroadVnpt-sign-header-key", keys);
    headers.emplace_back("XroadVnpt-sign-header", json);
    headers.emplace_back("XroadVnpt-hash-header", independent_hmac_hex(secret, json));
    if (lower_case_names) {
        for (auto& header : headers) {
            for (char& c : header.first)
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
    }
    return headers;
}

struct HttpReply {
    int status = 0;
    std::string content_type;
    std::string body;

    Object::Ptr json() const { return parse_object(body); }
    std::string error_code() const { return json()->getValue<std::string>("ErrorCode"); }
    std::string description() const { return json()->getValue<std::string>("ErrorDesc"); }
    bool ok() const {
        return status == 200 && content_type.find("application/json") == 0 &&
               json()->getValue<std::string>("status") == "OK" && error_code() == "0";
    }
};

HttpReply exchange(Poco::Net::HTTPClientSession& session, const std::string& method,
                   const std::string& path, const Headers& headers, const std::string& body) {
    Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [name, value] : headers)
        request.set(name, value);
    if (method != "GET" || !body.empty())
        request.setContentLength64(static_cast<Poco::Int64>(body.size()));
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    HttpReply reply;
    reply.status = static_cast<int>(response.getStatus());
    reply.content_type = response.getContentType();
    Poco::StreamCopier::copyToString(in, reply.body);
    return reply;
}

// One simulator and signed calls to it.
struct SimulatorFixture {
    explicit SimulatorFixture(SimulatorConfig config = test_config())
        : simulator(std::make_unique<Simulator>(std::move(config))) {
        simulator->start();
    }

    HttpReply raw(const std::string& method, const std::string& path, const Headers& headers,
                  const std::string& body = "",
                  std::chrono::milliseconds timeout = std::chrono::seconds(20)) const {
        Poco::Net::HTTPClientSession session("127.0.0.1", simulator->port());
        session.setTimeout(Poco::Timespan(timeout.count() * 1000));
        return exchange(session, method, path, headers, body);
    }

    // A signed call through vdxp::sign_request (the happy paths).
    HttpReply call(const std::string& systemid, const std::string& operation,
                   const Headers& parameters, const std::string& body = "",
                   const std::string& method = "POST") const {
        const std::string& secret = systemid == kH20 ? kH20Secret : kG22Secret;
        const std::string content_type =
            operation == "sendEdoc" ? "application/octet-stream" : "application/json";
        const Headers headers =
            vdxp::sign_request(systemid, secret, content_type, parameters,
                               vdxp::format_timestamp(std::chrono::system_clock::now()));
        return raw(method, kBasePath + "/" + operation, headers, body);
    }

    HttpReply send(const std::string& systemid, const std::string& from,
                   const std::string& message_type, const std::string& body,
                   Headers extra = {}) const {
        Headers parameters{{"from", from}, {"servicetype", "eDoc"}, {"messagetype", message_type}};
        parameters.insert(parameters.end(), extra.begin(), extra.end());
        return call(systemid, "sendEdoc", parameters, body);
    }

    std::string send_ok(const std::string& systemid, const std::string& from,
                        const std::string& message_type, const std::string& body) const {
        const HttpReply reply = send(systemid, from, message_type, body);
        BOOST_REQUIRE_MESSAGE(reply.ok(), reply.status << " " << reply.body);
        return reply.json()->getValue<std::string>("DocId");
    }

    Array::Ptr received(const std::string& systemid, const std::string& message_type,
                        Headers extra = {}) const {
        Headers parameters{{"servicetype", "eDoc"}, {"messagetype", message_type}};
        parameters.insert(parameters.end(), extra.begin(), extra.end());
        const HttpReply reply = call(systemid, "getReceivedEdocList", parameters);
        BOOST_REQUIRE_MESSAGE(reply.ok(), reply.status << " " << reply.body);
        return reply.json()->getArray("data");
    }

    Array::Ptr sent(const std::string& systemid, const std::string& doc_id) const {
        const HttpReply reply =
            call(systemid, "getSentEdocList",
                 {{"servicetype", "eDoc"}, {"messagetype", "edoc"}, {"docId", doc_id}});
        BOOST_REQUIRE_MESSAGE(reply.ok(), reply.status << " " << reply.body);
        return reply.json()->getArray("data");
    }

    HttpReply update(const std::string& systemid, const std::string& doc_id,
                     const std::string& status) const {
        return call(systemid, "updateStatus", {{"docId", doc_id}, {"status", status}}, "{}");
    }

    HttpReply admin(const std::string& method, const std::string& path,
                    const std::string& body = "", const std::string& token = kAdminToken) const {
        Headers headers;
        if (!token.empty())
            headers.emplace_back("Authorization", "Bearer " + token);
        if (!body.empty())
            headers.emplace_back("Content-Type", "application/json");
        return raw(method, path, headers, body);
    }

    Object::Ptr state() const { return parse_object(simulator->state_json()); }
    std::size_t knobstick_count() const { return state()->getArray("knobsticks")->size(); }
    std::uint64_t injected(const std::string& kind) const {
        return state()->getObject("faults_injected")->getValue<std::uint64_t>(kind);
    }

    void faults_on(const std::string& operation, void (*set)(FaultSettings&)) const {
        FaultSettings faults;
        faults.seed = 11;
        faults.operations = {operation};
        set(faults);
        simulator->set_faults(faults);
    }

    std::unique_ptr<Simulator> simulator;
};

std::string sample(const std::string& name) {
    return test_files::sample(name);
}

// A call that must end without any HTTP answer.
template <typename Call>
void require_no_answer(Call&& call) {
    bool answered = false;
    try {
        const HttpReply reply = call();
        answered = true;
        BOOST_TEST_MESSAGE("answered " << reply.status << " " << reply.body);
    } catch (const Poco::Exception& error) {
        BOOST_TEST_MESSAGE("no answer: " << error.displayText());
    }
    BOOST_TEST(!answered);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(axis_sim_authentication)

BOOST_AUTO_TEST_CASE(accepts_a_request_signed_by_hand) {
    const SimulatorFixture sim;
    const HttpReply reply =
        sim.raw("POST", kBasePath + "/getAgenciesList", hand_signed(kH20, kH20Secret, {}), "{}");
    BOOST_REQUIRE_MESSAGE(reply.ok(), reply.status << " " << reply.body);
    BOOST_TEST(reply.content_type == "application/json; charset=utf-8");
    BOOST_TEST(reply.json()->getValue<std::string>("ErrorDesc").empty());
    BOOST_TEST(reply.json()->getArray("data")->size() == 8u);
}

BOOST_AUTO_TEST_CASE(wrong_secret_is_refused_with_401) {
    const SimulatorFixture sim;
    const HttpReply reply = sim.raw("POST", kBasePath + "/getAgenciesList",
                                    hand_signed(kH20, "not-the-secret", {}), "{}");
    BOOST_TEST(reply.status == 401);
    BOOST_TEST(reply.json()->getValue<std::string>("status") == "FAIL");
    BOOST_TEST(reply.error_code() == "1");
    BOOST_TEST(reply.description().find("hash-header") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(header_changed_after_signing_is_refused) {
    const SimulatorFixture sim;
    Headers headers = hand_signed(kH20, kH20Secret, {{"docId", "aaaaaaaaaaaaaaaaaaaaaaaa"}});
    for (auto& [name, value] : headers) {
        if (name == "XroadVnpt-docId")
            value = "bbbbbbbbbbbbbbbbbbbbbbbb";
    }
    const HttpReply reply = sim.raw("POST", kBasePath + "/getEdoc", headers, "{}");
    BOOST_TEST(reply.status == 401);
    BOOST_TEST(reply.error_code() == "1");
    BOOST_TEST(reply.description().find("XroadVnpt-docId") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(signed_header_removed_is_refused) {
    const SimulatorFixture sim;
    Headers headers = hand_signed(kH20, kH20Secret, {{"messagetype", "edoc"}});
    std::erase_if(headers,
                  [](const auto& header) { return header.first == "XroadVnpt-messagetype"; });
    const HttpReply reply = sim.raw("POST", kBasePath + "/getReceivedEdocList", headers, "");
    BOOST_TEST(reply.status == 401);
    BOOST_TEST(reply.error_code() == "1");
}

BOOST_AUTO_TEST_CASE(unknown_systemid_is_refused) {
    const SimulatorFixture sim;
    const HttpReply reply = sim.raw("POST", kBasePath + "/getAgenciesList",
                                    hand_signed("000.00.00.X99", kH20Secret, {}), "{}");
    BOOST_TEST(reply.status == 401);
    BOOST_TEST(reply.error_code() == "1");
    BOOST_TEST(reply.description().find("000.00.00.X99") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(missing_signature_is_refused) {
    const SimulatorFixture sim;
    const HttpReply reply = sim.raw("POST", kBasePath + "/getAgenciesList", {}, "{}");
    BOOST_TEST(reply.status == 401);
    BOOST_TEST(reply.error_code() == "1");
}

BOOST_AUTO_TEST_CASE(lower_case_header_names_are_accepted) {
    const SimulatorFixture sim;
    const HttpReply reply =
        sim.raw("POST", kBasePath + "/countReceiveEdoc",
                hand_signed(kH20, kH20Secret, {{"messagetype", "edoc"}}, true), "{}");
    BOOST_REQUIRE_MESSAGE(reply.ok(), reply.status << " " << reply.body);
    BOOST_TEST(reply.json()->getValue<int>("count") == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(axis_sim_operations)

BOOST_AUTO_TEST_CASE(document_travels_and_is_acknowledged) {
    const SimulatorFixture sim;
    const std::string document = sample("document-with-attachments.edxml");
    const std::string sent_id = sim.send_ok(kG22, kG22, "edoc", document);
    BOOST_TEST(sent_id.size() == 24u);
    BOOST_TEST(sent_id.find_first_not_of("0123456789abcdef") == std::string::npos);

    const Array::Ptr listed = sim.received(kH20, "edoc");
    BOOST_REQUIRE_EQUAL(listed->size(), 1u);
    const Object::Ptr item = listed->getObject(0);
    const std::string doc_id = item->getValue<std::string>("docId");
    BOOST_TEST(doc_id != sent_id);
    BOOST_TEST(item->getValue<std::string>("serviceType") == "eDoc");
    BOOST_TEST(item->getValue<std::string>("messageType") == "edoc");
    BOOST_TEST(item->getValue<std::string>("from") == kG22);
    BOOST_TEST(item->getValue<std::string>("to") == kH20);
    BOOST_TEST(item->getValue<std::string>("status") == "initial");
    BOOST_TEST(item->getValue<std::string>("contentSha256") == padded_hex(sha256_bytes(document)));
    BOOST_TEST(item->getValue<std::size_t>("contentLength") == document.size());
    BOOST_TEST(item->getValue<std::string>("created_time").size() == 19u);
    BOOST_TEST(sim.received(kH20, "status")->size() == 0u);

    const HttpReply got = sim.call(kH20, "getEdoc", {{"docId", doc_id}}, "{}");
    BOOST_REQUIRE(got.ok());
    const std::string encoded = got.json()->getValue<std::string>("data");
    BOOST_TEST(encoded.find('\n') == std::string::npos);
    BOOST_TEST(base64_decoded(encoded) == document);

    const HttpReply downloaded = sim.call(kH20, "downloadEdoc", {{"docId", doc_id}}, "", "GET");
    BOOST_TEST(downloaded.status == 200);
    BOOST_TEST(downloaded.content_type == "application/xml");
    BOOST_TEST(downloaded.body == document);

    // Reading does not move the state; the acknowledgement does.
    BOOST_TEST(sim.received(kH20, "edoc")->size() == 1u);
    BOOST_TEST(sim.update(kH20, doc_id, "processing").ok());
    BOOST_TEST(sim.received(kH20, "edoc")->getObject(0)->getValue<std::string>("status") ==
               "processing");
    BOOST_TEST(sim.update(kH20, doc_id, "done").ok());
    BOOST_TEST(sim.received(kH20, "edoc")->size() == 0u);
    BOOST_TEST(sim.call(kH20, "countReceiveEdoc", {}, "{}").json()->getValue<int>("count") == 0);
    // The ministry's copy still waits.
    BOOST_TEST(sim.call(kG22, "countReceiveEdoc", {}, "{}").json()->getValue<int>("count") == 1);

    const Array::Ptr trace = sim.sent(kG22, sent_id);
    BOOST_REQUIRE_EQUAL(trace->size(), 2u);
    for (std::size_t i = 0; i < trace->size(); ++i) {
        const Object::Ptr row = trace->getObject(static_cast<unsigned>(i));
        BOOST_TEST(row->getValue<std::string>("senderDocId") == sent_id);
        BOOST_TEST(row->getValue<std::string>("fromCode") == kG22);
        BOOST_TEST(row->getValue<std::string>("title").find("kết nối, chia sẻ dữ liệu") !=
                   std::string::npos);
        BOOST_TEST(row->getValue<std::string>("notation") == "3021/VPCP-KSTT");
        BOOST_TEST(row->getValue<std::string>("sendStatus") == "done");
        const bool to_province = row->getValue<std::string>("toCode") == kH20;
        BOOST_TEST(row->getValue<std::string>("receiveStatus") ==
                   (to_province ? "done" : "initial"));
        BOOST_TEST(row->getValue<std::string>("receivedTime").empty() == !to_province);
        if (to_province)
            BOOST_TEST(row->getValue<std::string>("receiverDocId") == doc_id);
    }
}

BOOST_AUTO_TEST_CASE(knobsticks_of_other_systems_are_not_found) {
    const SimulatorFixture sim;
    const std::string sent_id =
        sim.send_ok(kG22, kG22, "edoc", sample("document-with-attachments.edxml"));
    std::string ministry_copy;
    const Array::Ptr trace = sim.sent(kG22, sent_id);
    for (std::size_t i = 0; i < trace->size(); ++i) {
        if (trace->getObject(static_cast<unsigned>(i))->getValue<std::string>("toCode") != kH20)
            ministry_copy =
                trace->getObject(static_cast<unsigned>(i))->getValue<std::string>("receiverDocId");
    }
    BOOST_REQUIRE(!ministry_copy.empty());
    for (const char* operation : {"getEdoc", "downloadEdoc"}) {
        const HttpReply reply = sim.call(kH20, operation, {{"docId", ministry_copy}}, "{}");
        BOOST_TEST(reply.status == 200);
        BOOST_TEST(reply.error_code() == "3");
    }
    BOOST_TEST(sim.update(kH20, ministry_copy, "done").error_code() == "3");
    BOOST_TEST(sim.call(kH20, "getSentEdocList", {{"docId", sent_id}}).error_code() == "3");
    BOOST_TEST(sim.call(kH20, "getEdoc", {{"docId", sent_id}}, "{}").error_code() == "3");
}

BOOST_AUTO_TEST_CASE(status_package_goes_to_the_response_for_organ) {
    const SimulatorFixture sim;
    const std::string status = sample("status-01.edxml");
    sim.send_ok(kH20, kH20, "status", status);
    BOOST_TEST(sim.received(kG22, "edoc")->size() == 0u);
    const Array::Ptr listed = sim.received(kG22, "status");
    BOOST_REQUIRE_EQUAL(listed->size(), 1u);
    BOOST_TEST(listed->getObject(0)->getValue<std::string>("messageType") == "status");
    BOOST_TEST(sim.call(kG22, "countReceiveStatus", {}, "{}").json()->getValue<int>("count") == 1);
    BOOST_TEST(sim.call(kG22, "countReceiveEdoc", {}, "{}").json()->getValue<int>("count") == 0);
    // The kind of the body must match messagetype.
    const HttpReply mismatch = sim.send(kH20, kH20, "edoc", status);
    BOOST_TEST(mismatch.error_code() == "2");
    BOOST_TEST(mismatch.description().find("status package") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(trailing_crlf_of_the_sdk_is_stripped) {
    const SimulatorFixture sim;
    const std::string status = sample("status-03.edxml");
    sim.send_ok(kH20, "000.00.01.H20", "status", status + "\r\n");
    const std::string doc_id =
        sim.received(kG22, "status")->getObject(0)->getValue<std::string>("docId");
    const HttpReply got = sim.call(kG22, "getEdoc", {{"docId", doc_id}}, "{}");
    BOOST_TEST(base64_decoded(got.json()->getValue<std::string>("data")) == status);
}

BOOST_AUTO_TEST_CASE(hash_file_in_both_encodings_is_accepted) {
    const SimulatorFixture sim;
    // A body whose digest has a byte below 0x10, so that the two encodings differ.
    std::string body = sample("status-04.edxml");
    while (padded_hex(sha256_bytes(body)) == java_hex(sha256_bytes(body)))
        body += "\n";
    const auto digest = sha256_bytes(body);
    BOOST_TEST(
        sim.send(kH20, kH20, "status", body + "\r\n", {{"hash-file", java_hex(digest)}}).ok());
    BOOST_TEST(sim.send(kH20, kH20, "status", body, {{"hash-file", padded_hex(digest)}}).ok());
    const HttpReply wrong =
        sim.send(kH20, kH20, "status", body, {{"hash-file", padded_hex(sha256_bytes(body + " "))}});
    BOOST_TEST(wrong.error_code() == "2");
    BOOST_TEST(wrong.description().find("hash-file") != std::string::npos);
    BOOST_TEST(sim.knobstick_count() == 2u);
}

BOOST_AUTO_TEST_CASE(bodies_that_are_not_edxml_are_refused) {
    const SimulatorFixture sim;
    const std::vector<std::string> bodies{
        "this is not XML",
        "",
        test_files::read(test_files::data_dir() / "hostile" / "xxe-file.edxml"),
        test_files::read(test_files::data_dir() / "hostile" / "billion-laughs.edxml"),
        test_files::read(test_files::data_dir() / "hostile" / "truncated.edxml"),
    };
    for (const std::string& body : bodies) {
        const HttpReply reply = sim.send(kG22, kG22, "edoc", body);
        BOOST_TEST(reply.status == 200);
        BOOST_TEST(reply.error_code() == "2");
        BOOST_TEST(!reply.description().empty());
        BOOST_TEST(reply.body.find("root:") == std::string::npos);  // nothing of /etc/passwd
        BOOST_TEST_MESSAGE(reply.description());
    }
    BOOST_TEST(sim.knobstick_count() == 0u);
}

BOOST_AUTO_TEST_CASE(sender_and_recipients_are_checked) {
    const SimulatorFixture sim;
    const std::string document = sample("document-with-attachments.edxml");
    // The province cannot send in the name of the Government office.
    const HttpReply not_owned = sim.send(kH20, kG22, "edoc", document);
    BOOST_TEST(not_owned.error_code() == "2");
    BOOST_TEST(not_owned.description().find(kG22) != std::string::npos);
    // A recipient that is not registered anywhere.
    BOOST_TEST(sim.call(kG22, "deleteAgency", {{"AgencyCode", "000.00.00.G14"}}, "{}").ok());
    const HttpReply unknown = sim.send(kG22, kG22, "edoc", document);
    BOOST_TEST(unknown.error_code() == "2");
    BOOST_TEST(unknown.description() == "unknown recipient agency 000.00.00.G14");
    // Missing or bad parameters.
    BOOST_TEST(
        sim.call(kG22, "sendEdoc", {{"servicetype", "eDoc"}, {"messagetype", "edoc"}}, document)
            .error_code() == "2");
    BOOST_TEST(sim.send(kG22, kG22, "document", document).error_code() == "2");
    BOOST_TEST(sim.knobstick_count() == 0u);
}

BOOST_AUTO_TEST_CASE(oversized_body_is_refused_with_413) {
    SimulatorConfig config = test_config();
    config.max_body_bytes = 1024;
    SimulatorFixture fixture(config);
    const HttpReply reply = fixture.send(kG22, kG22, "edoc", std::string(200 * 1024, 'x'));
    BOOST_TEST(reply.status == 413);
    BOOST_TEST(reply.error_code() == "6");
    BOOST_TEST(fixture.knobstick_count() == 0u);
    // The announced length alone is enough: the body is not waited for.
    Poco::Net::HTTPClientSession session("127.0.0.1", fixture.simulator->port());
    session.setTimeout(Poco::Timespan(20, 0));
    Poco::Net::HTTPRequest request("POST", kBasePath + "/sendEdoc", "HTTP/1.1");
    request.setContentLength64(1 << 30);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    session.receiveResponse(response);
    BOOST_TEST(response.getStatus() == 413);
}

BOOST_AUTO_TEST_CASE(status_transitions_follow_the_state_machine) {
    const SimulatorFixture sim;
    sim.send_ok(kG22, kG22, "edoc", sample("document-with-attachments.edxml"));
    const std::string doc_id =
        sim.received(kH20, "edoc")->getObject(0)->getValue<std::string>("docId");
    BOOST_TEST(sim.update(kH20, doc_id, "received").error_code() == "2");
    BOOST_TEST(sim.call(kH20, "updateStatus", {{"docId", doc_id}}, "{}").error_code() == "2");
    BOOST_TEST(sim.update(kH20, "0123456789abcdef01234567", "done").error_code() == "3");
    BOOST_TEST(sim.update(kH20, doc_id, "processing").ok());
    BOOST_TEST(sim.update(kH20, doc_id, "processing").ok());
    // docid in lower case, as some clients send it.
    BOOST_TEST(sim.call(kH20, "updateStatus", {{"docid", doc_id}, {"status", "done"}}, "{}").ok());
    BOOST_TEST(sim.update(kH20, doc_id, "done").ok());
    const HttpReply conflict = sim.update(kH20, doc_id, "fail");
    BOOST_TEST(conflict.error_code() == "5");
    BOOST_TEST(conflict.description().find("already done") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(failed_knobsticks_are_offered_again_only_when_configured) {
    for (const bool reoffer : {true, false}) {
        SimulatorConfig config = test_config();
        config.reoffer_failed = reoffer;
        SimulatorFixture fixture(config);
        fixture.send_ok(kG22, kG22, "edoc", sample("document-with-attachments.edxml"));
        const std::string doc_id =
            fixture.received(kH20, "edoc")->getObject(0)->getValue<std::string>("docId");
        BOOST_TEST(fixture.update(kH20, doc_id, "fail").ok());
        BOOST_TEST(fixture.update(kH20, doc_id, "fail").ok());
        BOOST_TEST(fixture.update(kH20, doc_id, "done").error_code() == "5");
        BOOST_TEST(fixture.received(kH20, "edoc")->size() == (reoffer ? 1u : 0u));
    }
}

BOOST_AUTO_TEST_CASE(received_list_filters_on_the_created_time) {
    const SimulatorFixture sim;
    sim.send_ok(kG22, kG22, "edoc", sample("document-with-attachments.edxml"));
    BOOST_TEST(
        sim.received(kH20, "edoc",
                     {{"fromDate", "01/01/2020 00:00:00"}, {"toDate", "31/12/2099 23:59:59"}})
            ->size() == 1u);
    BOOST_TEST(sim.received(kH20, "edoc", {{"fromDate", "01/01/2099 00:00:00"}})->size() == 0u);
    BOOST_TEST(sim.received(kH20, "edoc", {{"toDate", "01/01/2020 00:00:00"}})->size() == 0u);
    const HttpReply bad = sim.call(kH20, "getReceivedEdocList",
                                   {{"messagetype", "edoc"}, {"fromDate", "2020-01-01 00:00:00"}});
    BOOST_TEST(bad.error_code() == "2");
    BOOST_TEST(bad.description().find("fromDate") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(agency_lists_in_both_forms) {
    const SimulatorFixture sim;
    const HttpReply plain = sim.call(kH20, "getAgenciesList", {}, "{}");
    BOOST_REQUIRE(plain.ok());
    const Object::Ptr first = plain.json()->getArray("data")->getObject(0);
    BOOST_TEST(first->getValue<std::string>("code") == kH20);
    BOOST_TEST(first->getValue<std::string>("name") == "Ủy ban nhân dân tỉnh Đồng Tháp");
    for (const char* key : {"id", "pid", "mail", "oldCode"})
        BOOST_TEST(first->has(key));
    const HttpReply qd20 = sim.call(kH20, "getAgenciesListQD20", {}, "{}");
    BOOST_REQUIRE(qd20.ok());
    const Array::Ptr data = qd20.json()->getArray("data");
    BOOST_TEST(data->getObject(0)->getValue<std::string>("code") == "H20");
    BOOST_TEST(data->getObject(0)->getValue<std::string>("code102") == kH20);
    // Without a QĐ 20 code the QCVN code stands in.
    BOOST_TEST(data->getObject(1)->getValue<std::string>("code") == "000.00.01.H20");
}

BOOST_AUTO_TEST_CASE(agencies_are_registered_and_deleted) {
    const SimulatorFixture sim;
    const std::string name = "Sở Nội vụ'); DROP TABLE agencies; --";
    Object body;
    body.set("id", "");
    body.set("pcode", kH20);
    body.set("code", "000.00.30.H20");
    body.set("name", name);
    body.set("mail", "snv@dongthap.gov.vn");
    std::ostringstream json;
    body.stringify(json);
    BOOST_TEST(sim.call(kH20, "registerAgency", {}, json.str()).ok());
    const HttpReply again = sim.call(kG22, "registerAgency", {}, json.str());
    BOOST_TEST(again.error_code() == "5");

    const Array::Ptr agencies =
        sim.call(kG22, "getAgenciesList", {}, "{}").json()->getArray("data");
    const Object::Ptr added = agencies->getObject(static_cast<unsigned>(agencies->size() - 1));
    BOOST_TEST(added->getValue<std::string>("code") == "000.00.30.H20");
    BOOST_TEST(added->getValue<std::string>("name") == name);
    BOOST_TEST(added->getValue<std::string>("pid") == kH20);
    BOOST_TEST(added->getValue<std::string>("id").size() == 24u);

    const HttpReply invalid =
        sim.call(kH20, "registerAgency", {}, R"({"code":"H20-not-a-code","name":"x"})");
    BOOST_TEST(invalid.error_code() == "2");
    BOOST_TEST(invalid.description().find("H20-not-a-code") != std::string::npos);
    BOOST_TEST(sim.call(kH20, "registerAgency", {}, "not json").error_code() == "2");
    BOOST_TEST(sim.call(kH20, "registerAgency", {}, R"({"code":17})").error_code() == "2");

    // Only the owner deletes.
    BOOST_TEST(
        sim.call(kG22, "deleteAgency", {{"AgencyCode", "000.00.30.H20"}}, "{}").error_code() ==
        "3");
    BOOST_TEST(sim.call(kH20, "deleteAgency", {{"AgencyCode", "000.00.30.H20"}}, "{}").ok());
    BOOST_TEST(sim.call(kH20, "getAgenciesList", {}, "{}").json()->getArray("data")->size() == 8u);
}

BOOST_AUTO_TEST_CASE(unknown_paths_and_methods) {
    const SimulatorFixture sim;
    const HttpReply unknown = sim.call(kH20, "getSendEdocTrace", {}, "{}");
    BOOST_TEST(unknown.status == 404);
    BOOST_TEST(unknown.json()->getValue<std::string>("status") == "FAIL");
    BOOST_TEST(
        sim.raw("POST", "/getAgenciesList", hand_signed(kH20, kH20Secret, {}), "{}").status == 404);
    BOOST_TEST(sim.call(kH20, "getAgenciesList", {}, "", "GET").status == 405);
}

BOOST_AUTO_TEST_CASE(state_survives_a_restart) {
    const fs::path dir = temp_dir("restart");
    SimulatorConfig config = test_config();
    config.database = (dir / "axis-sim.db").string();
    const std::string document = sample("document-with-attachments.edxml");
    std::string sent_id, doc_id;
    {
        SimulatorFixture fixture(config);
        sent_id = fixture.send_ok(kG22, kG22, "edoc", document);
        doc_id = fixture.received(kH20, "edoc")->getObject(0)->getValue<std::string>("docId");
        BOOST_TEST(fixture.update(kH20, doc_id, "processing").ok());
        BOOST_TEST(fixture
                       .call(kH20, "registerAgency", {},
                             R"({"id":"x1","code":"000.00.31.H20","name":"O'Brien \"; --"})")
                       .ok());
        BOOST_TEST(
            fixture.call(kH20, "deleteAgency", {{"AgencyCode", "000.00.25.H20"}}, "{}").ok());
    }
    {
        SimulatorFixture fixture(config);
        const Array::Ptr listed = fixture.received(kH20, "edoc");
        BOOST_REQUIRE_EQUAL(listed->size(), 1u);
        BOOST_TEST(listed->getObject(0)->getValue<std::string>("docId") == doc_id);
        BOOST_TEST(listed->getObject(0)->getValue<std::string>("status") == "processing");
        const HttpReply got = fixture.call(kH20, "downloadEdoc", {{"docId", doc_id}}, "", "GET");
        BOOST_TEST(got.body == document);
        BOOST_TEST(fixture.sent(kG22, sent_id)->size() == 2u);
        const std::string agencies = fixture.call(kH20, "getAgenciesList", {}, "{}").body;
        BOOST_TEST(agencies.find("O'Brien") != std::string::npos);
        BOOST_TEST(agencies.find("000.00.25.H20") == std::string::npos);
        BOOST_TEST(fixture.update(kH20, doc_id, "done").ok());
        fixture.send_ok(kG22, kG22, "edoc", document);  // new ids do not collide
    }
    {
        SimulatorFixture fixture(config);
        BOOST_TEST(fixture.received(kH20, "edoc")->size() == 1u);
        BOOST_TEST(fixture.knobstick_count() == 2u);
        BOOST_TEST(fixture.admin("POST", "/admin/reset").ok());
    }
    {
        SimulatorFixture fixture(config);
        BOOST_TEST(fixture.knobstick_count() == 0u);
        const std::string agencies = fixture.call(kH20, "getAgenciesList", {}, "{}").body;
        BOOST_TEST(agencies.find("O'Brien") == std::string::npos);
        BOOST_TEST(agencies.find("000.00.25.H20") != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(serves_https_when_given_a_certificate) {
    SimulatorConfig config = test_config();
    config.tls_certificate = test_pki::file("h20.pem");
    config.tls_private_key = test_pki::file("h20.key");
    Simulator simulator(config);
    simulator.start();
    BOOST_TEST(simulator.base_url().rfind("https://127.0.0.1:", 0) == 0u);
    Poco::Net::initializeSSL();
    {
        Poco::Net::Context::Ptr context = new Poco::Net::Context(
            Poco::Net::Context::TLS_CLIENT_USE, "", Poco::Net::Context::VERIFY_NONE);
        Poco::Net::HTTPSClientSession session("127.0.0.1", simulator.port(), context);
        session.setTimeout(Poco::Timespan(20, 0));
        const HttpReply reply = exchange(session, "POST", kBasePath + "/getAgenciesList",
                                         hand_signed(kG22, kG22Secret, {}), "{}");
        BOOST_TEST(reply.ok());
        // Dropping works over TLS too.
        FaultSettings faults;
        faults.drop_before_rate = 1;
        simulator.set_faults(faults);
        require_no_answer([&] {
            return exchange(session, "POST", kBasePath + "/getAgenciesList",
                            hand_signed(kG22, kG22Secret, {}), "{}");
        });
    }
    Poco::Net::uninitializeSSL();
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(axis_sim_admin)

BOOST_AUTO_TEST_CASE(admin_needs_the_token) {
    const SimulatorFixture sim;
    BOOST_TEST(sim.admin("GET", "/admin/state", "", "").status == 401);
    BOOST_TEST(sim.admin("GET", "/admin/state", "", "wrong-token").status == 401);
    BOOST_TEST(sim.admin("GET", "/admin/state", "", "wrong-token").error_code() == "1");
    BOOST_TEST(sim.admin("GET", "/admin/state").status == 200);
    BOOST_TEST(sim.admin("GET", "/admin/nothing").status == 404);
    BOOST_TEST(sim.admin("DELETE", "/admin/state").status == 405);
}

BOOST_AUTO_TEST_CASE(admin_answers_404_without_a_token) {
    SimulatorConfig config = test_config();
    config.admin_token.clear();
    SimulatorFixture fixture(config);
    BOOST_TEST(fixture.admin("GET", "/admin/state", "", "").status == 404);
    BOOST_TEST(fixture.admin("GET", "/admin/state", "", "anything").status == 404);
}

BOOST_AUTO_TEST_CASE(state_shows_systems_knobsticks_and_counters_but_no_secret) {
    const SimulatorFixture sim;
    const std::string sent_id =
        sim.send_ok(kG22, kG22, "edoc", sample("document-with-attachments.edxml"));
    const HttpReply reply = sim.admin("GET", "/admin/state");
    BOOST_REQUIRE_EQUAL(reply.status, 200);
    BOOST_TEST(reply.body == sim.simulator->state_json());
    BOOST_TEST(reply.body.find(kH20Secret) == std::string::npos);
    BOOST_TEST(reply.body.find(kG22Secret) == std::string::npos);
    BOOST_TEST(reply.body.find(kAdminToken) == std::string::npos);
    const Object::Ptr state = reply.json();
    BOOST_TEST(state->getArray("systems")->size() == 2u);
    BOOST_TEST(state->getArray("systems")->getObject(0)->getValue<std::string>("systemid") == kH20);
    const Object::Ptr knobstick = state->getArray("knobsticks")->getObject(0);
    BOOST_TEST(knobstick->getValue<std::string>("id") == sent_id);
    BOOST_TEST(knobstick->getValue<std::string>("sender_system") == kG22);
    BOOST_TEST(knobstick->getValue<std::string>("document_id") ==
               "000.00.00.G22,2025/04/10,3021/VPCP-KSTT");
    BOOST_TEST(knobstick->getArray("receivers")->size() == 2u);
    BOOST_TEST(state->getObject("requests")->getValue<int>("sendEdoc") == 1);
    BOOST_TEST(state->getObject("faults")->getValue<double>("http_500_rate") == 0.0);
}

BOOST_AUTO_TEST_CASE(faults_are_read_and_changed) {
    const SimulatorFixture sim;
    const HttpReply bad_key = sim.admin("PUT", "/admin/faults", R"({"http_500_rat": 0.5})");
    BOOST_TEST(bad_key.status == 400);
    BOOST_TEST(bad_key.description().find("http_500_rat") != std::string::npos);
    const HttpReply bad_value = sim.admin("PUT", "/admin/faults", R"({"drop_after_rate": 2})");
    BOOST_TEST(bad_value.status == 400);
    BOOST_TEST(bad_value.description().find("drop_after_rate") != std::string::npos);
    const HttpReply bad_operation =
        sim.admin("PUT", "/admin/faults", R"({"operations": ["getEverything"]})");
    BOOST_TEST(bad_operation.status == 400);
    BOOST_TEST(bad_operation.description().find("getEverything") != std::string::npos);
    BOOST_TEST(sim.admin("PUT", "/admin/faults", "not json").status == 400);
    BOOST_TEST(sim.simulator->faults().drop_after_rate == 0.0);

    const HttpReply changed = sim.admin(
        "PUT", "/admin/faults",
        R"({"http_500_rate": 0.25, "latency_ms": 5, "operations": ["sendEdoc"], "seed": 42})");
    BOOST_REQUIRE_EQUAL(changed.status, 200);
    BOOST_TEST(changed.json()->getValue<double>("http_500_rate") == 0.25);
    BOOST_TEST(changed.json()->getValue<int>("latency_ms") == 5);
    const FaultSettings faults = sim.simulator->faults();
    BOOST_TEST(faults.http_500_rate == 0.25);
    BOOST_TEST(faults.latency.count() == 5);
    BOOST_TEST(faults.seed == 42u);
    BOOST_REQUIRE_EQUAL(faults.operations.size(), 1u);
    BOOST_TEST(faults.operations[0] == "sendEdoc");
    // A partial update keeps the rest.
    BOOST_TEST(sim.admin("PUT", "/admin/faults", R"({"seed": 43})").status == 200);
    BOOST_TEST(sim.simulator->faults().http_500_rate == 0.25);
    BOOST_TEST(sim.admin("GET", "/admin/faults").json()->getValue<int>("seed") == 43);
}

BOOST_AUTO_TEST_CASE(reset_returns_to_the_config) {
    const SimulatorFixture sim;
    sim.send_ok(kG22, kG22, "edoc", sample("document-with-attachments.edxml"));
    BOOST_TEST(sim.call(kH20, "deleteAgency", {{"AgencyCode", "000.00.25.H20"}}, "{}").ok());
    FaultSettings faults;
    faults.http_500_rate = 1;
    faults.operations = {"sendEdoc"};
    sim.simulator->set_faults(faults);
    BOOST_TEST(sim.admin("POST", "/admin/reset").ok());
    BOOST_TEST(sim.knobstick_count() == 0u);
    BOOST_TEST(sim.simulator->faults().http_500_rate == 0.0);
    BOOST_TEST(sim.state()->getObject("requests")->getValue<int>("sendEdoc") == 0);
    BOOST_TEST(sim.call(kH20, "getAgenciesList", {}, "{}").json()->getArray("data")->size() == 8u);
    BOOST_TEST(sim.admin("GET", "/admin/reset").status == 405);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(axis_sim_faults)

BOOST_AUTO_TEST_CASE(drop_before_sends_nothing_and_changes_nothing) {
    const SimulatorFixture sim;
    sim.faults_on("sendEdoc", [](FaultSettings& f) { f.drop_before_rate = 1; });
    require_no_answer(
        [&] { return sim.send(kG22, kG22, "edoc", sample("document-with-attachments.edxml")); });
    BOOST_TEST(sim.knobstick_count() == 0u);
    BOOST_TEST(sim.injected("drop_before") == 1u);
    // Other operations are untouched.
    BOOST_TEST(sim.call(kH20, "getAgenciesList", {}, "{}").ok());
}

BOOST_AUTO_TEST_CASE(drop_after_does_the_work_without_answering) {
    const SimulatorFixture sim;
    sim.faults_on("sendEdoc", [](FaultSettings& f) { f.drop_after_rate = 1; });
    require_no_answer(
        [&] { return sim.send(kG22, kG22, "edoc", sample("document-with-attachments.edxml")); });
    BOOST_TEST(sim.knobstick_count() == 1u);
    BOOST_TEST(sim.received(kH20, "edoc")->size() == 1u);
    BOOST_TEST(sim.injected("drop_after") == 1u);
}

BOOST_AUTO_TEST_CASE(http_500_is_plain_text_and_changes_nothing) {
    const SimulatorFixture sim;
    sim.faults_on("sendEdoc", [](FaultSettings& f) { f.http_500_rate = 1; });
    const HttpReply reply = sim.send(kG22, kG22, "edoc", sample("document-with-attachments.edxml"));
    BOOST_TEST(reply.status == 500);
    BOOST_TEST(reply.content_type.find("text/plain") == 0u);
    BOOST_TEST(sim.knobstick_count() == 0u);
    BOOST_TEST(sim.injected("http_500") == 1u);
}

BOOST_AUTO_TEST_CASE(malformed_json_is_unparseable_but_the_work_is_done) {
    const SimulatorFixture sim;
    sim.faults_on("sendEdoc", [](FaultSettings& f) { f.malformed_json_rate = 1; });
    const HttpReply reply = sim.send(kG22, kG22, "edoc", sample("document-with-attachments.edxml"));
    BOOST_TEST(reply.status == 200);
    BOOST_TEST(reply.content_type.find("application/json") == 0u);
    BOOST_CHECK_THROW(reply.json(), Poco::Exception);
    BOOST_TEST(sim.knobstick_count() == 1u);
    BOOST_TEST(sim.injected("malformed_json") == 1u);
}

BOOST_AUTO_TEST_CASE(send_refusal_is_fail_4_and_changes_nothing) {
    const SimulatorFixture sim;
    sim.faults_on("sendEdoc", [](FaultSettings& f) { f.send_refusal_rate = 1; });
    const HttpReply reply = sim.send(kG22, kG22, "edoc", sample("document-with-attachments.edxml"));
    BOOST_TEST(reply.status == 200);
    BOOST_TEST(reply.error_code() == "4");
    BOOST_TEST(sim.knobstick_count() == 0u);
    BOOST_TEST(sim.injected("send_refusal") == 1u);
}

BOOST_AUTO_TEST_CASE(duplicate_makes_two_receiver_knobsticks) {
    const SimulatorFixture sim;
    sim.faults_on("sendEdoc", [](FaultSettings& f) { f.duplicate_rate = 1; });
    const std::string document = sample("document-with-attachments.edxml");
    sim.send_ok(kG22, kG22, "edoc", document);
    const Array::Ptr listed = sim.received(kH20, "edoc");
    BOOST_REQUIRE_EQUAL(listed->size(), 2u);
    const std::string first = listed->getObject(0)->getValue<std::string>("docId");
    const std::string second = listed->getObject(1)->getValue<std::string>("docId");
    BOOST_TEST(first != second);
    for (const std::string& doc_id : {first, second})
        BOOST_TEST(sim.call(kH20, "downloadEdoc", {{"docId", doc_id}}, "", "GET").body == document);
    BOOST_TEST(sim.injected("duplicate") == 1u);
    BOOST_TEST(sim.state()->getArray("knobsticks")->getObject(0)->getArray("receivers")->size() ==
               4u);
}

BOOST_AUTO_TEST_CASE(statuses_out_of_order_come_newest_first) {
    const SimulatorFixture sim;
    std::vector<std::string> receiver_ids;
    for (const char* name : {"status-01.edxml", "status-03.edxml", "status-05.edxml"}) {
        const std::string sent_id = sim.send_ok(kH20, kH20, "status", sample(name));
        receiver_ids.push_back(
            sim.sent(kH20, sent_id)->getObject(0)->getValue<std::string>("receiverDocId"));
    }
    const auto ids_of = [](const Array::Ptr& listed) {
        std::vector<std::string> ids;
        for (std::size_t i = 0; i < listed->size(); ++i)
            ids.push_back(
                listed->getObject(static_cast<unsigned>(i))->getValue<std::string>("docId"));
        return ids;
    };
    BOOST_TEST(ids_of(sim.received(kG22, "status")) == receiver_ids,
               boost::test_tools::per_element());
    sim.faults_on("getReceivedEdocList", [](FaultSettings& f) { f.out_of_order_statuses = true; });
    const std::vector<std::string> reversed(receiver_ids.rbegin(), receiver_ids.rend());
    BOOST_TEST(ids_of(sim.received(kG22, "status")) == reversed, boost::test_tools::per_element());
    BOOST_TEST(sim.injected("out_of_order_statuses") == 1u);
}

BOOST_AUTO_TEST_CASE(latency_outlasts_a_short_receive_timeout) {
    const SimulatorFixture sim;
    // The server waits a minute; the client gives up after a fifth of a second, and
    // stopping the simulator cuts the wait short.
    sim.faults_on("getAgenciesList", [](FaultSettings& f) { f.latency = std::chrono::minutes(1); });
    const Headers headers = hand_signed(kH20, kH20Secret, {});
    BOOST_CHECK_THROW(sim.raw("POST", kBasePath + "/getAgenciesList", headers, "{}",
                              std::chrono::milliseconds(200)),
                      Poco::TimeoutException);
    BOOST_TEST(sim.injected("latency") == 1u);
    BOOST_TEST(sim.call(kH20, "countReceiveEdoc", {}, "{}").ok());
}

BOOST_AUTO_TEST_CASE(faults_apply_only_to_the_listed_operations) {
    const SimulatorFixture sim;
    FaultSettings faults;
    faults.http_500_rate = 1;
    faults.operations = {"getEdoc", "downloadEdoc"};
    sim.simulator->set_faults(faults);
    BOOST_TEST(sim.call(kH20, "getAgenciesList", {}, "{}").ok());
    BOOST_TEST(sim.call(kH20, "getEdoc", {{"docId", "x"}}, "{}").status == 500);
    BOOST_TEST(sim.call(kH20, "downloadEdoc", {{"docId", "x"}}, "", "GET").status == 500);
    faults.operations.clear();
    sim.simulator->set_faults(faults);
    BOOST_TEST(sim.call(kH20, "getAgenciesList", {}, "{}").status == 500);
    // Never the admin endpoints.
    BOOST_TEST(sim.admin("GET", "/admin/state").status == 200);
    BOOST_TEST(sim.injected("http_500") == 3u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(axis_sim_config)

namespace {

// A config folder with the two demo-like systems and their secret files.
struct ConfigFolder {
    fs::path dir;
    explicit ConfigFolder(const std::string& name) : dir(temp_dir(name)) {
        write_file(dir / "h20.secret", "secret-h20\n");
        write_file(dir / "admin.token", "token\r\n");
    }
    std::string write(const std::string& json) const {
        write_file(dir / "axis-sim.json", json);
        return (dir / "axis-sim.json").string();
    }
    std::string error_of(const std::string& json) const {
        const std::string path = write(json);
        try {
            axis_sim::load_config(path);
        } catch (const std::runtime_error& error) {
            BOOST_TEST(std::string(error.what()).find(path) == 0u);
            return error.what();
        }
        BOOST_FAIL("no error for " << json);
        return {};
    }
};

}  // namespace

BOOST_AUTO_TEST_CASE(loads_a_complete_config) {
    const ConfigFolder folder("config-complete");
    ::setenv("AXIS_SIM_TEST_SECRET", "secret-g22", 1);
    const SimulatorConfig config = axis_sim::load_config(folder.write(R"({
        "host": "127.0.0.1", "port": 0, "base_path": "/XrdAdapter/adapter",
        "database": "state/axis.db", "admin_token_file": "admin.token",
        "reoffer_failed": false, "max_body_bytes": 1000,
        "systems": [
            {"systemid": "000.00.00.H20", "secret_file": "h20.secret",
             "agencies": [{"id": "1", "code": "000.00.00.H20", "name": "UBND", "code_qd20": "H20"}]},
            {"systemid": "000.00.00.G22", "secret_env": "AXIS_SIM_TEST_SECRET"}
        ],
        "faults": {"http_500_rate": 0.5, "latency_ms": 10, "operations": ["sendEdoc"], "seed": 3}
    })"));
    BOOST_TEST(config.base_path == "/XrdAdapter/adapter");
    BOOST_TEST(config.database == (folder.dir / "state" / "axis.db").string());
    BOOST_TEST(config.admin_token == "token");
    BOOST_TEST(!config.reoffer_failed);
    BOOST_TEST(config.max_body_bytes == 1000u);
    BOOST_REQUIRE_EQUAL(config.systems.size(), 2u);
    BOOST_TEST(config.systems[0].secret == "secret-h20");
    BOOST_TEST(config.systems[1].secret == "secret-g22");
    BOOST_TEST(config.systems[0].agencies[0].code_qd20 == "H20");
    BOOST_TEST(config.faults.http_500_rate == 0.5);
    BOOST_TEST(config.faults.latency.count() == 10);
    BOOST_TEST(config.faults.seed == 3u);
}

BOOST_AUTO_TEST_CASE(errors_name_the_key) {
    const ConfigFolder folder("config-errors");
    const std::string system = R"({"systemid": "000.00.00.H20", "secret_file": "h20.secret"})";
    BOOST_TEST(folder.error_of(R"({"systems": [)" + system + R"(], "prot": 1})")
                   .find("prot: unknown key") != std::string::npos);
    BOOST_TEST(folder.error_of(R"({"systems": [)" + system + R"(], "faults": {"drop_rate": 1}})")
                   .find("faults.drop_rate: unknown key") != std::string::npos);
    BOOST_TEST(folder.error_of(R"({"systems": [{"systemid": "000.00.00.H20"}]})")
                   .find("systems[0].secret_file: missing") != std::string::npos);
    BOOST_TEST(folder.error_of(R"({"systems": [{"systemid": "000.00.00.H20", "secret": "x"}]})")
                   .find("systems[0].secret: unknown key") != std::string::npos);
    BOOST_TEST(folder.error_of(R"({"systems": [)" + system + "," + system + "]}")
                   .find("systems[1].systemid: duplicate") != std::string::npos);
    BOOST_TEST(
        folder.error_of(R"({"systems": [{"systemid": "000.00.00.H20", "secret_file": "none"}]})")
            .find("systems[0].secret_file: cannot read") != std::string::npos);
    BOOST_TEST(folder.error_of(R"({"systems": [)" + system + R"(], "port": "8280"})")
                   .find("port: must be a whole number") != std::string::npos);
    BOOST_TEST(folder
                   .error_of(R"({"systems": [{"systemid": "000.00.00.H20", "secret_file":
        "h20.secret", "agencies": [{"code": "000.00.00.H20"}, {"code": "000.00.00.H20"}]}]})")
                   .find("systems[0].agencies[1].code: duplicate") != std::string::npos);
    BOOST_TEST(folder
                   .error_of(R"({"systems": [{"systemid": "000.00.00.H20", "secret_file":
        "h20.secret", "agencies": [{"code": "H2O"}]}]})")
                   .find("systems[0].agencies[0].code") != std::string::npos);
    BOOST_TEST(folder.error_of(R"({"systems": []})").find("systems:") != std::string::npos);
    BOOST_TEST(folder.error_of("{not json").find("not valid JSON") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_shipped_config_loads) {
    const SimulatorConfig config = axis_sim::load_config(
        (test_files::source_dir() / "samples" / "axis-sim" / "axis-sim.json").string());
    BOOST_TEST(config.port == 8280);
    BOOST_TEST(config.base_path == "/XrdAdapter/adapter");
    BOOST_REQUIRE_EQUAL(config.systems.size(), 2u);
    BOOST_TEST(config.systems[0].systemid == kH20);
    BOOST_TEST(config.systems[1].systemid == kG22);
    BOOST_TEST(!config.admin_token.empty());
}

BOOST_AUTO_TEST_CASE(cli_refuses_bad_arguments) {
    std::ostringstream out, err;
    BOOST_TEST(axis_sim::run_cli({}, out, err) == 2);
    BOOST_TEST(err.str().find("--config") != std::string::npos);
    BOOST_TEST(axis_sim::run_cli({"--bogus"}, out, err) == 2);
    BOOST_TEST(axis_sim::run_cli({"--config", "/nonexistent/axis-sim.json"}, out, err) == 2);
    BOOST_TEST(err.str().find("/nonexistent/axis-sim.json") != std::string::npos);
    BOOST_TEST(axis_sim::run_cli({"--config", "x", "--port", "70000"}, out, err) == 2);
    BOOST_TEST(axis_sim::run_cli({"--help"}, out, err) == 0);
    BOOST_TEST(out.str().find("usage: axis-sim") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
