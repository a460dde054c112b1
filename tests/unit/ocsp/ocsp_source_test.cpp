// OcspSource against real `openssl ocsp` responders on loopback, started from this run's
// test PKI: good, revoked and unknown answers, the cache, and every way an answer is
// refused (closed port, silence, HTTP errors, oversized or garbage bodies, a replayed
// nonce, signers nobody trusts, no responder URL).
#include <boost/test/unit_test.hpp>

#include <Poco/Base64Decoder.h>
#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/NullStream.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "edxml/diagnostics.hpp"
#include "ocsp/ocsp_source.hpp"
#include "test_files.hpp"
#include "test_pki.hpp"

using edxml::RevocationAnswer;
using edxml::RevocationStatus;
namespace fs = std::filesystem;

namespace {

void check_answer(const RevocationStatus& status, RevocationAnswer expected) {
    BOOST_TEST_MESSAGE(edxml::to_string(status.answer) << ": " << status.reason);
    BOOST_CHECK_MESSAGE(status.answer == expected,
                        "answer " << edxml::to_string(status.answer) << ", expected "
                                  << edxml::to_string(expected) << ": " << status.reason);
}

void check_mentions(const RevocationStatus& status, const std::string& words) {
    BOOST_CHECK_MESSAGE(
        status.reason.find(words) != std::string::npos,
        "the reason \"" << status.reason << "\" does not mention \"" << words << "\"");
}

// The DER of the first certificate of a PEM file of the test PKI (or any path).
std::string der_of_file(const std::string& path) {
    const std::string pem = test_files::read(path);
    const std::string begin = "-----BEGIN CERTIFICATE-----";
    const auto from = pem.find(begin);
    const auto to = pem.find("-----END CERTIFICATE-----", from);
    BOOST_REQUIRE_MESSAGE(from != std::string::npos && to != std::string::npos,
                          path << " holds no PEM certificate");
    std::istringstream base64(pem.substr(from + begin.size(), to - from - begin.size()));
    Poco::Base64Decoder decoder(base64);
    return std::string(std::istreambuf_iterator<char>(decoder), std::istreambuf_iterator<char>());
}

std::string der_of(const std::string& pki_name) {
    return der_of_file(test_pki::file(pki_name));
}

// A folder of this test case's own, empty at the start (cases may run in parallel).
fs::path work_dir() {
    const fs::path dir = fs::path(CONNECTOR_BINARY_DIR) / "test-tmp" / "ocsp" /
                         boost::unit_test::framework::current_test_case().p_name.get();
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

struct Run {
    int exit_code;
    std::string output;
};

Run openssl(const std::vector<std::string>& args) {
    Poco::Pipe output;
    Poco::ProcessHandle process = Poco::Process::launch("openssl", args, nullptr, &output, &output);
    Poco::PipeInputStream stream(output);
    std::string text((std::istreambuf_iterator<char>(stream)), std::istreambuf_iterator<char>());
    return {process.wait(), std::move(text)};
}

void run_openssl(const std::vector<std::string>& args) {
    const Run run = openssl(args);
    BOOST_REQUIRE_MESSAGE(run.exit_code == 0,
                          "openssl " << args.front() << " failed: " << run.output);
}

// A loopback port nobody listens on (now).
std::uint16_t free_port() {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    const std::uint16_t port = socket.address().port();
    socket.close();
    return port;
}

std::string url_of(std::uint16_t port) {
    return "http://127.0.0.1:" + std::to_string(port) + "/";
}

// A child process, killed and reaped when this goes away.
class ChildProcess {
  public:
    ChildProcess(const std::string& command, const std::vector<std::string>& args)
        : handle_(Poco::Process::launch(command, args)) {}
    ~ChildProcess() {
        if (exited())
            return;
        try {
            Poco::Process::kill(handle_);
            handle_.wait();
        } catch (const Poco::Exception&) {
            // already gone: nothing left to stop
        }
    }
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    bool exited() {
        if (exit_code_ == -1)
            exit_code_ = handle_.tryWait();
        return exit_code_ != -1;
    }
    int exit_code() const { return exit_code_; }

  private:
    Poco::ProcessHandle handle_;
    int exit_code_ = -1;
};

// `openssl ocsp` answering from an `openssl ca` index, signed by `signer`/`key`, for
// certificates of the intermediate CA.
class Responder {
  public:
    explicit Responder(const std::string& index = test_pki::file("ca/intermediate/index.txt"),
                       const std::string& signer = test_pki::file("intermediate.pem"),
                       const std::string& key = test_pki::file("intermediate.key"))
        : port_(free_port()),
          process_("openssl",
                   {"ocsp", "-index", index, "-port", std::to_string(port_), "-rsigner", signer,
                    "-rkey", key, "-CA", test_pki::file("intermediate.pem"), "-ndays", "1"}) {
        wait_until_accepting();
    }

    std::string url() const { return url_of(port_); }

  private:
    // Polls with a real request from `openssl ocsp` as a client: a bare connect would
    // not do, as the responder of OpenSSL 3.0 spins forever on a connection closed
    // before a request line.
    void wait_until_accepting() {
        using Clock = std::chrono::steady_clock;
        const auto deadline = Clock::now() + std::chrono::seconds(30);
        std::string last_output;
        while (Clock::now() < deadline) {
            BOOST_REQUIRE_MESSAGE(!process_.exited(), "openssl ocsp exited with code "
                                                          << process_.exit_code()
                                                          << " before answering");
            const Run probe =
                openssl({"ocsp", "-issuer", test_pki::file("intermediate.pem"), "-cert",
                         test_pki::file("h20.pem"), "-url", url(), "-noverify", "-timeout", "5"});
            if (probe.exit_code == 0)
                return;
            last_output = probe.output;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));  // poll interval
        }
        BOOST_FAIL("openssl ocsp does not answer on port " << port_ << ": " << last_output);
    }

    std::uint16_t port_;
    ChildProcess process_;
};

// An HTTP server on loopback that gives every request the same answer.
class CannedResponder {
  public:
    struct Answer {
        Poco::Net::HTTPResponse::HTTPStatus status = Poco::Net::HTTPResponse::HTTP_OK;
        std::string content_type = "application/ocsp-response";
        std::string body;
        bool chunked = false;  // no Content-Length: the size shows only while reading
    };

    explicit CannedResponder(Answer answer)
        : state_(std::make_shared<State>()),
          socket_(Poco::Net::SocketAddress("127.0.0.1", 0)),
          server_(new Factory(state_), socket_, new Poco::Net::HTTPServerParams) {
        state_->answer = std::move(answer);
        server_.start();
    }
    ~CannedResponder() { server_.stopAll(true); }

    std::string url() const { return url_of(socket_.address().port()); }
    int requests() const { return state_->requests.load(); }

  private:
    struct State {
        Answer answer;
        std::atomic<int> requests{0};
    };

    class Handler final : public Poco::Net::HTTPRequestHandler {
      public:
        explicit Handler(std::shared_ptr<State> state) : state_(std::move(state)) {}
        void handleRequest(Poco::Net::HTTPServerRequest& request,
                           Poco::Net::HTTPServerResponse& response) override {
            Poco::NullOutputStream sink;
            Poco::StreamCopier::copyStream(request.stream(), sink);
            ++state_->requests;
            const Answer& answer = state_->answer;
            response.setStatusAndReason(answer.status);
            response.setContentType(answer.content_type);
            if (answer.chunked) {
                response.setChunkedTransferEncoding(true);
                response.send() << answer.body;
            } else {
                response.sendBuffer(answer.body.data(), answer.body.size());
            }
        }

      private:
        std::shared_ptr<State> state_;
    };

    class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
      public:
        explicit Factory(std::shared_ptr<State> state) : state_(std::move(state)) {}
        Poco::Net::HTTPRequestHandler* createRequestHandler(
            const Poco::Net::HTTPServerRequest&) override {
            return new Handler(state_);
        }

      private:
        std::shared_ptr<State> state_;
    };

    std::shared_ptr<State> state_;
    Poco::Net::ServerSocket socket_;
    Poco::Net::HTTPServer server_;
};

// A responder for the intermediate CA whose answers `name`.pem / `name`.key sign.
Responder responder_signed_by(const std::string& name) {
    return Responder(test_pki::file("ca/intermediate/index.txt"), test_pki::file(name + ".pem"),
                     test_pki::file(name + ".key"));
}

ocsp::OcspSettings settings_for(const std::string& url) {
    ocsp::OcspSettings settings;
    settings.responder_url = url;
    return settings;
}

RevocationStatus status_of(const ocsp::OcspSource& source, const std::string& certificate) {
    return source.status(der_of(certificate), der_of("intermediate.pem"));
}

// What a source asking the responder at `url` says about h20.
RevocationStatus h20_status_from(const std::string& url) {
    return status_of(ocsp::OcspSource(settings_for(url)), "h20.pem");
}

// A responder certificate issued by the intermediate CA with the OCSP-signing usage.
std::pair<std::string, std::string> make_delegated_responder(const fs::path& dir) {
    const std::string key = (dir / "responder.key").string();
    const std::string csr = (dir / "responder.csr").string();
    const std::string pem = (dir / "responder.pem").string();
    const std::string extensions = (dir / "responder.cnf").string();
    std::ofstream(extensions) << "[ocsp]\n"
                                 "basicConstraints = critical, CA:false\n"
                                 "keyUsage = critical, digitalSignature\n"
                                 "extendedKeyUsage = OCSPSigning\n";
    run_openssl({"req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-subj",
                 "/C=VN/O=Test PKI/CN=Test OCSP Responder", "-out", csr});
    run_openssl({"x509", "-req", "-in", csr, "-CA", test_pki::file("intermediate.pem"), "-CAkey",
                 test_pki::file("intermediate.key"), "-set_serial", "0x7001", "-days", "2",
                 "-sha256", "-extfile", extensions, "-extensions", "ocsp", "-out", pem});
    return {pem, key};
}

// An answer from the real responder, saved as bytes, asked by `openssl ocsp` itself.
std::string captured_answer(const Responder& responder, const fs::path& dir, bool with_nonce) {
    const std::string file = (dir / "answer.der").string();
    std::vector<std::string> args = {"ocsp",
                                     "-issuer",
                                     test_pki::file("intermediate.pem"),
                                     "-cert",
                                     test_pki::file("h20.pem"),
                                     "-url",
                                     responder.url(),
                                     "-noverify",
                                     "-timeout",
                                     "10",
                                     "-respout",
                                     file};
    if (!with_nonce)
        args.push_back("-no_nonce");
    run_openssl(args);
    return test_files::read(file);
}

// h20's status from a server replaying what a real responder answered `openssl ocsp`.
RevocationStatus status_from_replayed_answer(bool with_nonce) {
    const Responder responder;
    CannedResponder::Answer replay;
    replay.body = captured_answer(responder, work_dir(), with_nonce);
    const CannedResponder canned(replay);
    const RevocationStatus status = h20_status_from(canned.url());
    BOOST_TEST(canned.requests() == 1);
    return status;
}

// "YYMMDDHHMMSSZ" of an `openssl ca` index as yyyy-MM-ddTHH:mm:ssZ.
std::string index_time(const std::string& time) {
    BOOST_REQUIRE_EQUAL(time.size(), 13u);
    return "20" + time.substr(0, 2) + "-" + time.substr(2, 2) + "-" + time.substr(4, 2) + "T" +
           time.substr(6, 2) + ":" + time.substr(8, 2) + ":" + time.substr(10, 2) + "Z";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ocsp_source)

BOOST_AUTO_TEST_CASE(good_for_a_certificate_in_good_standing) {
    const Responder responder;
    const ocsp::OcspSource source(settings_for(responder.url()));
    const RevocationStatus status = status_of(source, "h20.pem");
    check_answer(status, RevocationAnswer::good);
    check_mentions(status, "serial 1000) is good");
    check_mentions(status, responder.url());
    BOOST_TEST(source.requests_made() == 1u);
}

BOOST_AUTO_TEST_CASE(revoked_with_the_revocation_time) {
    // The revocation time the CA recorded, as the answer must name it.
    std::istringstream index(test_files::read(test_pki::file("ca/intermediate/index.txt")));
    std::string revoked_at;
    for (std::string line; std::getline(index, line);) {
        std::vector<std::string> fields;
        std::istringstream columns(line);
        for (std::string field; std::getline(columns, field, '\t');)
            fields.push_back(field);
        if (fields.size() > 3 && fields[0] == "R")
            revoked_at = index_time(fields[2].substr(0, fields[2].find(',')));
    }
    BOOST_REQUIRE(!revoked_at.empty());

    const Responder responder;
    const ocsp::OcspSource source(settings_for(responder.url()));
    const RevocationStatus status = status_of(source, "revoked.pem");
    check_answer(status, RevocationAnswer::revoked);
    check_mentions(status, "was revoked at " + revoked_at);
}

BOOST_AUTO_TEST_CASE(unknown_when_the_responder_does_not_know_the_certificate) {
    const fs::path dir = work_dir();
    std::istringstream index(test_files::read(test_pki::file("ca/intermediate/index.txt")));
    std::ofstream without_g22(dir / "index.txt");
    int removed = 0;
    for (std::string line; std::getline(index, line);) {
        if (line.size() >= 16 && line.compare(line.size() - 16, 16, "CN=000.00.00.G22") == 0)
            ++removed;
        else
            without_g22 << line << '\n';
    }
    without_g22.close();
    BOOST_REQUIRE_EQUAL(removed, 1);

    const Responder responder((dir / "index.txt").string());
    const ocsp::OcspSource source(settings_for(responder.url()));
    const RevocationStatus status = status_of(source, "g22.pem");
    check_answer(status, RevocationAnswer::unknown);
    check_mentions(status, "does not know the certificate (serial 1001");
    // The same responder still knows the others.
    check_answer(status_of(source, "h20.pem"), RevocationAnswer::good);
}

BOOST_AUTO_TEST_CASE(second_question_is_answered_from_the_cache) {
    const Responder responder;
    const ocsp::OcspSource source(settings_for(responder.url()));
    check_answer(status_of(source, "h20.pem"), RevocationAnswer::good);
    BOOST_TEST(source.requests_made() == 1u);

    const RevocationStatus again = status_of(source, "h20.pem");
    check_answer(again, RevocationAnswer::good);
    check_mentions(again, "cached");
    BOOST_TEST(source.requests_made() == 1u);

    // Each certificate has its own entry; revoked answers are cached as well.
    check_answer(status_of(source, "revoked.pem"), RevocationAnswer::revoked);
    BOOST_TEST(source.requests_made() == 2u);
    check_answer(status_of(source, "revoked.pem"), RevocationAnswer::revoked);
    BOOST_TEST(source.requests_made() == 2u);
}

BOOST_AUTO_TEST_CASE(questions_from_several_threads_at_once) {
    const Responder responder;
    const ocsp::OcspSource source(settings_for(responder.url()));
    const std::string h20 = der_of("h20.pem");
    const std::string revoked = der_of("revoked.pem");
    const std::string issuer = der_of("intermediate.pem");

    constexpr int kThreads = 6;
    constexpr int kQuestions = 4;
    std::vector<RevocationStatus> answers(kThreads * kQuestions);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int q = 0; q < kQuestions; ++q)
                answers[t * kQuestions + q] = source.status((t + q) % 2 ? revoked : h20, issuer);
        });
    }
    for (auto& thread : threads)
        thread.join();
    for (int t = 0; t < kThreads; ++t) {
        for (int q = 0; q < kQuestions; ++q)
            check_answer(answers[t * kQuestions + q],
                         (t + q) % 2 ? RevocationAnswer::revoked : RevocationAnswer::good);
    }
    BOOST_TEST(source.requests_made() >= 2u);
    BOOST_TEST(source.requests_made() <= static_cast<std::size_t>(kThreads * kQuestions));
}

BOOST_AUTO_TEST_CASE(closed_port_is_unavailable_and_not_cached) {
    const std::uint16_t port = free_port();
    const ocsp::OcspSource source(settings_for(url_of(port)));
    const RevocationStatus status = status_of(source, "h20.pem");
    check_answer(status, RevocationAnswer::unavailable);
    check_mentions(status, "cannot connect to the OCSP responder " + url_of(port));
    check_mentions(status, "Connection refused");

    check_answer(status_of(source, "h20.pem"), RevocationAnswer::unavailable);
    BOOST_TEST(source.requests_made() == 2u);  // asked again: `unavailable` is never cached
}

BOOST_AUTO_TEST_CASE(silent_responder_times_out) {
    // Connections complete in the listen backlog, but nobody ever reads or answers.
    const Poco::Net::ServerSocket silent(Poco::Net::SocketAddress("127.0.0.1", 0));
    ocsp::OcspSettings settings = settings_for(url_of(silent.address().port()));
    settings.timeout = std::chrono::milliseconds(300);
    const ocsp::OcspSource source(settings);
    const RevocationStatus status = status_of(source, "h20.pem");
    check_answer(status, RevocationAnswer::unavailable);
    check_mentions(status, "did not answer within 300 ms");
}

BOOST_AUTO_TEST_CASE(http_error_or_wrong_content_type_is_unavailable) {
    CannedResponder::Answer failing;
    failing.status = Poco::Net::HTTPResponse::HTTP_INTERNAL_SERVER_ERROR;
    failing.content_type = "text/plain";
    failing.body = "database down";
    const CannedResponder error(failing);
    const RevocationStatus status = h20_status_from(error.url());
    check_answer(status, RevocationAnswer::unavailable);
    check_mentions(status, "answered HTTP 500");
    BOOST_TEST(error.requests() == 1);

    CannedResponder::Answer html;
    html.content_type = "text/html";
    html.body = "<html>captive portal</html>";
    const CannedResponder portal(html);
    const RevocationStatus wrong_type = h20_status_from(portal.url());
    check_answer(wrong_type, RevocationAnswer::unavailable);
    check_mentions(wrong_type, "Content-Type 'text/html'");
}

BOOST_AUTO_TEST_CASE(oversized_answer_is_unavailable) {
    CannedResponder::Answer big;
    big.body = std::string(4096, '\x30');
    const CannedResponder announced(big);
    ocsp::OcspSettings settings = settings_for(announced.url());
    settings.max_response_bytes = 1024;
    RevocationStatus status = status_of(ocsp::OcspSource(settings), "h20.pem");
    check_answer(status, RevocationAnswer::unavailable);
    check_mentions(status, "announced 4096 bytes, more than the limit of 1024 bytes");

    big.chunked = true;
    const CannedResponder streamed(big);
    settings.responder_url = streamed.url();
    status = status_of(ocsp::OcspSource(settings), "h20.pem");
    check_answer(status, RevocationAnswer::unavailable);
    check_mentions(status, "answered more than the limit of 1024 bytes");
}

BOOST_AUTO_TEST_CASE(garbage_answer_is_unavailable) {
    CannedResponder::Answer garbage;
    garbage.body = "this is not DER";
    const CannedResponder canned(garbage);
    const RevocationStatus status = h20_status_from(canned.url());
    check_answer(status, RevocationAnswer::unavailable);
    check_mentions(status, "15 bytes that are not one DER OCSP response");
}

BOOST_AUTO_TEST_CASE(replayed_answer_with_another_nonce_is_unavailable) {
    const RevocationStatus status = status_from_replayed_answer(true);
    check_answer(status, RevocationAnswer::unavailable);
    check_mentions(status, "another nonce than the request");
}

BOOST_AUTO_TEST_CASE(answer_without_nonce_is_accepted) {
    // Caching responders and CDNs answer without a nonce; the freshness check covers them.
    check_answer(status_from_replayed_answer(false), RevocationAnswer::good);
}

BOOST_AUTO_TEST_CASE(answer_signed_by_an_untrusted_key_is_unavailable) {
    const Responder responder = responder_signed_by("untrusted");
    const ocsp::OcspSource source(settings_for(responder.url()));
    // The answer is true, but nothing says that this key may give it.
    const RevocationStatus status = status_of(source, "revoked.pem");
    check_answer(status, RevocationAnswer::unavailable);
    check_mentions(status, "is not signed by the issuer");
    BOOST_TEST(source.requests_made() == 1u);
    check_answer(status_of(source, "revoked.pem"), RevocationAnswer::unavailable);
    BOOST_TEST(source.requests_made() == 2u);
}

BOOST_AUTO_TEST_CASE(answer_signed_by_a_configured_anchor_is_accepted) {
    const Responder responder = responder_signed_by("untrusted");
    ocsp::OcspSettings settings = settings_for(responder.url());
    settings.anchors = {test_pki::file("untrusted.pem")};
    check_answer(status_of(ocsp::OcspSource(settings), "revoked.pem"), RevocationAnswer::revoked);

    // The same anchor found in a directory, as a *.crt file.
    const fs::path dir = work_dir() / "anchors";
    fs::create_directories(dir);
    fs::copy_file(test_pki::file("untrusted.pem"), dir / "responder.crt");
    settings.anchors = {dir.string()};
    check_answer(status_of(ocsp::OcspSource(settings), "h20.pem"), RevocationAnswer::good);
}

BOOST_AUTO_TEST_CASE(delegated_responder_with_ocsp_signing_is_accepted) {
    const auto [pem, key] = make_delegated_responder(work_dir());
    const Responder responder(test_pki::file("ca/intermediate/index.txt"), pem, key);
    const ocsp::OcspSource source(settings_for(responder.url()));
    check_answer(status_of(source, "h20.pem"), RevocationAnswer::good);
    check_answer(status_of(source, "revoked.pem"), RevocationAnswer::revoked);
}

BOOST_AUTO_TEST_CASE(certificate_of_the_issuer_without_ocsp_signing_cannot_answer) {
    // h20's key signs documents; its certificate does not make it a responder.
    const Responder responder = responder_signed_by("h20");
    const ocsp::OcspSource source(settings_for(responder.url()));
    const RevocationStatus status = status_of(source, "revoked.pem");
    check_answer(status, RevocationAnswer::unavailable);
    check_mentions(status, "is not signed by the issuer");
}

BOOST_AUTO_TEST_CASE(no_responder_url_and_no_aia_is_unavailable) {
    const ocsp::OcspSource source(ocsp::OcspSettings{});  // URL from the certificate
    const RevocationStatus status = status_of(source, "h20.pem");
    check_answer(status, RevocationAnswer::unavailable);
    check_mentions(status, "there is no OCSP responder URL");
    check_mentions(status, "Authority Information Access");
    BOOST_TEST(source.requests_made() == 0u);
}

BOOST_AUTO_TEST_CASE(questions_that_make_no_sense_are_unavailable) {
    const ocsp::OcspSource source(settings_for(url_of(free_port())));
    RevocationStatus status = source.status("not DER", der_of("intermediate.pem"));
    check_answer(status, RevocationAnswer::unavailable);
    check_mentions(status, "the certificate to check is not one DER X.509 certificate");

    status = source.status(der_of("h20.pem"), der_of("h20.pem") + "trailing");
    check_answer(status, RevocationAnswer::unavailable);
    check_mentions(status, "the issuer certificate is not one DER X.509 certificate");

    status = source.status(der_of("h20.pem"), der_of("root.pem"));
    check_answer(status, RevocationAnswer::unavailable);
    check_mentions(status, "(serial 1000) was not issued by the issuer certificate given");
    BOOST_TEST(source.requests_made() == 0u);
}

BOOST_AUTO_TEST_CASE(settings_that_cannot_work_are_refused_at_construction) {
    BOOST_CHECK_THROW(ocsp::OcspSource(settings_for("https://ocsp.example/")), edxml::Error);
    BOOST_CHECK_THROW(ocsp::OcspSource(settings_for("ocsp.example")), edxml::Error);
    ocsp::OcspSettings settings;
    settings.max_age = std::chrono::seconds(-1);  // would switch OpenSSL's age check off
    BOOST_CHECK_THROW(ocsp::OcspSource{settings}, edxml::Error);
    settings.max_age = std::chrono::seconds(3600);
    settings.max_response_bytes = 0;
    BOOST_CHECK_THROW(ocsp::OcspSource{settings}, edxml::Error);
    settings.max_response_bytes = 1024;
    BOOST_CHECK_NO_THROW(ocsp::OcspSource{settings});
    settings.anchors = {(work_dir() / "missing.pem").string()};
    BOOST_CHECK_THROW(ocsp::OcspSource{settings}, edxml::Error);
    settings.anchors = {test_pki::file("h20.key")};  // a file without a certificate
    BOOST_CHECK_THROW(ocsp::OcspSource{settings}, edxml::Error);
}

BOOST_AUTO_TEST_SUITE_END()
