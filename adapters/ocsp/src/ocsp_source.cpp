#include "ocsp/ocsp_source.hpp"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/MediaType.h>
#include <Poco/Net/NetException.h>
#include <Poco/Timespan.h>
#include <Poco/URI.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <unordered_map>
#include <utility>

#include "edxml/attachments.hpp"
#include "edxml/diagnostics.hpp"

namespace ocsp {
namespace {

using edxml::RevocationAnswer;
using edxml::RevocationStatus;

// Owners of the OpenSSL handles of this adapter (no other file holds any).
struct X509Free {
    void operator()(X509* cert) const { X509_free(cert); }
};
struct X509StoreFree {
    void operator()(X509_STORE* store) const { X509_STORE_free(store); }
};
struct X509StackFree {
    void operator()(STACK_OF(X509) * stack) const { sk_X509_free(stack); }  // not the certs
};
struct OcspRequestFree {
    void operator()(OCSP_REQUEST* request) const { OCSP_REQUEST_free(request); }
};
struct OcspResponseFree {
    void operator()(OCSP_RESPONSE* response) const { OCSP_RESPONSE_free(response); }
};
struct OcspBasicResponseFree {
    void operator()(OCSP_BASICRESP* response) const { OCSP_BASICRESP_free(response); }
};
struct OcspCertIdFree {
    void operator()(OCSP_CERTID* id) const { OCSP_CERTID_free(id); }
};
struct UrlStackFree {
    void operator()(STACK_OF(OPENSSL_STRING) * urls) const { X509_email_free(urls); }
};
struct BioFree {
    void operator()(BIO* bio) const { BIO_free(bio); }
};
struct BignumFree {
    void operator()(BIGNUM* number) const { BN_free(number); }
};
struct OpensslFree {
    void operator()(void* memory) const { OPENSSL_free(memory); }
};

using X509Ptr = std::unique_ptr<X509, X509Free>;
using X509StorePtr = std::unique_ptr<X509_STORE, X509StoreFree>;
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackFree>;
using OcspRequestPtr = std::unique_ptr<OCSP_REQUEST, OcspRequestFree>;
using OcspResponsePtr = std::unique_ptr<OCSP_RESPONSE, OcspResponseFree>;
using OcspBasicResponsePtr = std::unique_ptr<OCSP_BASICRESP, OcspBasicResponseFree>;
using OcspCertIdPtr = std::unique_ptr<OCSP_CERTID, OcspCertIdFree>;
using UrlStackPtr = std::unique_ptr<STACK_OF(OPENSSL_STRING), UrlStackFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;
using BignumPtr = std::unique_ptr<BIGNUM, BignumFree>;
using OpensslStringPtr = std::unique_ptr<char, OpensslFree>;

// Clocks of responder and connector disagree by this much at most (RFC 6960 leaves it
// to the client; 5 minutes is what OpenSSL's own client allows).
constexpr long kClockSkewSeconds = 300;
// The cache is dropped whole when it reaches this: a flood of distinct certificates
// must not grow memory, and a refill costs one request per certificate.
constexpr std::size_t kCacheEntries = 4096;

RevocationStatus unavailable(std::string reason) {
    return {RevocationAnswer::unavailable, std::move(reason)};
}

// The newest OpenSSL error with its detail text, and the queue cleared.
std::string take_openssl_error() {
    const char* data = nullptr;
    int flags = 0;
    const unsigned long code = ERR_peek_last_error_data(&data, &flags);
    std::string text = "unknown OpenSSL error";
    if (code != 0) {
        const char* reason = ERR_reason_error_string(code);
        text = reason != nullptr ? reason : "OpenSSL error " + std::to_string(code);
        if (data != nullptr && *data != '\0' && (flags & ERR_TXT_STRING) != 0)
            text += std::string(" (") + data + ")";
    }
    ERR_clear_error();
    return text;
}

X509Ptr certificate_from_der(const std::string& der) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(der.data());
    const unsigned char* end = bytes + der.size();
    X509Ptr cert(d2i_X509(nullptr, &bytes, static_cast<long>(der.size())));
    if (cert && bytes != end)
        cert.reset();  // trailing bytes: not one certificate
    ERR_clear_error();
    return cert;
}

// The DER of the certificate ID (hashes of the issuer's name and key, and the serial):
// one certificate of one issuer, whatever the responder.
std::string cache_key_of(OCSP_CERTID* id) {
    unsigned char* der = nullptr;
    const int length = i2d_OCSP_CERTID(id, &der);
    if (length <= 0)
        return {};
    std::string key = edxml::lower_hex(der, static_cast<std::size_t>(length));
    OPENSSL_free(der);
    return key;
}

std::string serial_of(X509* cert) {
    BignumPtr number(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr));
    OpensslStringPtr hex(number ? BN_bn2hex(number.get()) : nullptr);
    return hex ? std::string(hex.get()) : std::string("?");
}

std::optional<std::time_t> to_time(const ASN1_GENERALIZEDTIME* time) {
    std::tm parts{};
    if (time == nullptr || ASN1_TIME_to_tm(time, &parts) != 1)
        return std::nullopt;
    return timegm(&parts);
}

std::string format_time(std::time_t time) {
    std::tm parts{};
    gmtime_r(&time, &parts);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
    return text;
}

std::string format_time(const ASN1_GENERALIZEDTIME* time) {
    const auto seconds = to_time(time);
    return seconds ? format_time(*seconds) : std::string("none");
}

struct Endpoint {
    std::string url;  // as configured or found, for the reasons
    std::string host;
    std::uint16_t port = 80;
    std::string path;
};

// Plain HTTP only: an OCSP answer is signed, so TLS adds nothing a responder offers
// (RFC 6960 appendix A), and https responder URLs are rare.
std::optional<Endpoint> endpoint_of(const std::string& url) {
    try {
        const Poco::URI uri(url);
        if (uri.getScheme() != "http" || uri.getHost().empty())
            return std::nullopt;
        Endpoint endpoint{url, uri.getHost(), uri.getPort(), uri.getPathAndQuery()};
        if (endpoint.path.empty())
            endpoint.path = "/";
        return endpoint;
    } catch (const Poco::Exception&) {
        return std::nullopt;
    }
}

// The first http:// OCSP URL of the certificate's Authority Information Access.
std::optional<std::string> aia_responder_url(X509* cert) {
    UrlStackPtr urls(X509_get1_ocsp(cert));
    if (!urls || sk_OPENSSL_STRING_num(urls.get()) <= 0)
        return std::nullopt;
    for (int i = 0; i < sk_OPENSSL_STRING_num(urls.get()); ++i) {
        const std::string url = sk_OPENSSL_STRING_value(urls.get(), i);
        if (url.rfind("http://", 0) == 0)
            return url;
    }
    return std::string(sk_OPENSSL_STRING_value(urls.get(), 0));  // refused by endpoint_of
}

std::vector<std::filesystem::path> certificate_files_under(const std::string& path) {
    namespace fs = std::filesystem;
    std::vector<fs::path> files;
    std::error_code error;
    if (fs::is_directory(path, error)) {
        for (const auto& entry : fs::directory_iterator(path, error)) {
            const std::string extension = entry.path().extension().string();
            if (entry.is_regular_file() &&
                (extension == ".pem" || extension == ".crt" || extension == ".cer"))
                files.push_back(entry.path());
        }
        if (error)
            throw edxml::Error(edxml::ErrorCode::io, "cannot list OCSP anchor directory " + path +
                                                         ": " + error.message());
        std::sort(files.begin(), files.end());
    } else if (fs::is_regular_file(path, error)) {
        files.emplace_back(path);
    } else {
        throw edxml::Error(edxml::ErrorCode::io,
                           "OCSP anchor '" + path + "' is neither a file nor a directory");
    }
    return files;
}

std::vector<X509Ptr> load_anchors(const std::vector<std::string>& paths) {
    std::vector<X509Ptr> anchors;
    for (const std::string& path : paths) {
        const std::size_t before = anchors.size();
        for (const auto& file : certificate_files_under(path)) {
            std::ifstream in(file, std::ios::binary);
            std::ostringstream pem;
            pem << in.rdbuf();
            if (!in)
                throw edxml::Error(edxml::ErrorCode::io,
                                   "cannot read OCSP anchor file " + file.string());
            const std::string text = pem.str();
            BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
            while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr))
                anchors.emplace_back(cert);
            ERR_clear_error();  // the loop ends on "no start line"
        }
        if (anchors.size() == before)
            throw edxml::Error(edxml::ErrorCode::io,
                               "no PEM certificate found in OCSP anchor " + path);
    }
    return anchors;
}

struct HttpAnswer {
    std::string body;
    std::string failure;  // empty: `body` is what the responder sent
};

// POSTs `request` and reads the answer, all of it within `timeout`: every wait on the
// socket gets the time left, not the whole timeout again.
HttpAnswer post(const Endpoint& endpoint, const std::string& request,
                std::chrono::milliseconds timeout, std::size_t max_bytes) {
    using Clock = std::chrono::steady_clock;
    const auto deadline = Clock::now() + timeout;
    const auto time_left = [&deadline] {
        const auto left =
            std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now());
        if (left.count() <= 0)
            throw Poco::TimeoutException("the request's time is up");
        return Poco::Timespan(left.count());
    };
    const std::string responder = "the OCSP responder " + endpoint.url;
    try {
        Poco::Net::HTTPClientSession session(endpoint.host, endpoint.port);
        session.setTimeout(time_left());
        Poco::Net::HTTPRequest http(Poco::Net::HTTPRequest::HTTP_POST, endpoint.path,
                                    Poco::Net::HTTPMessage::HTTP_1_1);
        http.setContentType("application/ocsp-request");
        http.setContentLength(static_cast<std::streamsize>(request.size()));
        http.set("Accept", "application/ocsp-response");
        session.sendRequest(http).write(request.data(),
                                        static_cast<std::streamsize>(request.size()));

        Poco::Net::HTTPResponse response;
        session.setTimeout(time_left());
        std::istream& body = session.receiveResponse(response);
        if (response.getStatus() != Poco::Net::HTTPResponse::HTTP_OK)
            return {{},
                    responder + " answered HTTP " + std::to_string(response.getStatus()) + " " +
                        response.getReason()};
        if (!Poco::Net::MediaType(response.getContentType())
                 .matches("application", "ocsp-response"))
            return {{},
                    responder + " answered Content-Type '" + response.getContentType() +
                        "', not application/ocsp-response"};
        const std::string limit = std::to_string(max_bytes) + " bytes";
        if (response.hasContentLength() &&
            static_cast<std::uint64_t>(response.getContentLength64()) > max_bytes)
            return {{},
                    responder + " announced " + std::to_string(response.getContentLength64()) +
                        " bytes, more than the limit of " + limit};

        body.exceptions(std::ios::badbit);  // a socket error or timeout reaches the catch
        std::string bytes;
        char buffer[4096];
        while (bytes.size() <= max_bytes) {
            session.setTimeout(time_left());
            body.read(buffer, static_cast<std::streamsize>(
                                  std::min(sizeof buffer, max_bytes + 1 - bytes.size())));
            if (body.gcount() <= 0)
                break;
            bytes.append(buffer, static_cast<std::size_t>(body.gcount()));
        }
        if (bytes.size() > max_bytes)
            return {{}, responder + " answered more than the limit of " + limit};
        return {std::move(bytes), {}};
    } catch (const Poco::TimeoutException&) {
        return {{},
                responder + " could not be reached or did not answer within " +
                    std::to_string(timeout.count()) + " ms"};
    } catch (const Poco::Net::ConnectionRefusedException& error) {
        return {{}, "cannot connect to " + responder + ": " + error.displayText()};
    } catch (const Poco::Net::HostNotFoundException& error) {
        return {{}, "cannot connect to " + responder + ": " + error.displayText()};
    } catch (const Poco::Net::NoAddressFoundException& error) {
        return {{}, "cannot connect to " + responder + ": " + error.displayText()};
    } catch (const Poco::Exception& error) {
        return {{}, "the exchange with " + responder + " failed: " + error.displayText()};
    } catch (const std::exception& error) {
        return {{}, "the exchange with " + responder + " failed: " + error.what()};
    }
}

}  // namespace

struct OcspSource::Impl {
    OcspSettings settings;
    std::optional<Endpoint> configured;  // from settings.responder_url
    std::vector<X509Ptr> anchors;

    struct Cached {
        RevocationStatus status;
        std::time_t expires = 0;
    };
    mutable std::mutex cache_mutex;
    mutable std::unordered_map<std::string, Cached> cache;  // by cache_key_of
    mutable std::atomic<std::size_t> requests{0};

    RevocationStatus status(const std::string& certificate_der,
                            const std::string& issuer_der) const;
    std::optional<RevocationStatus> cached(const std::string& key, std::time_t now) const;
    void remember(const std::string& key, const RevocationStatus& status,
                  std::time_t expires) const;
    RevocationStatus read_answer(const std::string& responder, const std::string& der,
                                 OCSP_REQUEST* request, OCSP_CERTID* id, X509* issuer,
                                 const std::string& serial, const std::string& key) const;
};

std::optional<RevocationStatus> OcspSource::Impl::cached(const std::string& key,
                                                         std::time_t now) const {
    const std::lock_guard lock(cache_mutex);
    const auto found = cache.find(key);
    if (found == cache.end())
        return std::nullopt;
    if (found->second.expires <= now) {
        cache.erase(found);
        return std::nullopt;
    }
    RevocationStatus status = found->second.status;
    status.reason += " (cached answer)";
    return status;
}

void OcspSource::Impl::remember(const std::string& key, const RevocationStatus& status,
                                std::time_t expires) const {
    const std::lock_guard lock(cache_mutex);
    if (cache.size() >= kCacheEntries)
        cache.clear();
    cache[key] = {status, expires};
}

RevocationStatus OcspSource::Impl::status(const std::string& certificate_der,
                                          const std::string& issuer_der) const {
    const X509Ptr cert = certificate_from_der(certificate_der);
    if (!cert)
        return unavailable("the certificate to check is not one DER X.509 certificate");
    const X509Ptr issuer = certificate_from_der(issuer_der);
    if (!issuer)
        return unavailable("the issuer certificate is not one DER X.509 certificate");
    const std::string serial = serial_of(cert.get());
    if (X509_check_issued(issuer.get(), cert.get()) != X509_V_OK)
        return unavailable("the certificate (serial " + serial +
                           ") was not issued by the issuer certificate given");

    const OcspCertIdPtr id(OCSP_cert_to_id(EVP_sha1(), cert.get(), issuer.get()));
    const std::string key = id ? cache_key_of(id.get()) : std::string();
    if (key.empty())
        return unavailable("cannot make the OCSP certificate ID: " + take_openssl_error());
    if (auto status = cached(key, std::time(nullptr)))
        return *status;

    std::optional<Endpoint> endpoint = configured;
    if (!endpoint) {
        const auto url = aia_responder_url(cert.get());
        if (!url)
            return unavailable(
                "there is no OCSP responder URL: none is configured and the certificate "
                "(serial " +
                serial + ") names none in its Authority Information Access");
        endpoint = endpoint_of(*url);
        if (!endpoint)
            return unavailable("the OCSP responder URL of the certificate, '" + *url +
                               "', is not an http:// URL");
    }

    const OcspRequestPtr request(OCSP_REQUEST_new());
    OCSP_CERTID* request_id = OCSP_CERTID_dup(id.get());
    if (!request || request_id == nullptr || !OCSP_request_add0_id(request.get(), request_id)) {
        OCSP_CERTID_free(request_id);
        return unavailable("cannot build the OCSP request: " + take_openssl_error());
    }
    unsigned char* request_der = nullptr;
    const int request_length = OCSP_request_add1_nonce(request.get(), nullptr, -1) == 1
                                   ? i2d_OCSP_REQUEST(request.get(), &request_der)
                                   : -1;
    if (request_length <= 0)
        return unavailable("cannot build the OCSP request: " + take_openssl_error());
    const std::string request_bytes(reinterpret_cast<const char*>(request_der),
                                    static_cast<std::size_t>(request_length));
    OPENSSL_free(request_der);

    ++requests;
    const HttpAnswer answer =
        post(*endpoint, request_bytes, settings.timeout, settings.max_response_bytes);
    if (!answer.failure.empty())
        return unavailable(answer.failure);
    return read_answer("the OCSP responder " + endpoint->url, answer.body, request.get(), id.get(),
                       issuer.get(), serial, key);
}

RevocationStatus OcspSource::Impl::read_answer(const std::string& responder, const std::string& der,
                                               OCSP_REQUEST* request, OCSP_CERTID* id, X509* issuer,
                                               const std::string& serial,
                                               const std::string& key) const {
    const auto* bytes = reinterpret_cast<const unsigned char*>(der.data());
    const unsigned char* end = bytes + der.size();
    const OcspResponsePtr response(
        d2i_OCSP_RESPONSE(nullptr, &bytes, static_cast<long>(der.size())));
    if (!response || bytes != end) {
        ERR_clear_error();
        return unavailable(responder + " answered " + std::to_string(der.size()) +
                           " bytes that are not one DER OCSP response");
    }
    const int response_status = OCSP_response_status(response.get());
    if (response_status != OCSP_RESPONSE_STATUS_SUCCESSFUL)
        return unavailable(responder +
                           " refused the request: " + OCSP_response_status_str(response_status));
    const OcspBasicResponsePtr basic(OCSP_response_get1_basic(response.get()));
    if (!basic)
        return unavailable(responder + " answered something else than a basic OCSP response: " +
                           take_openssl_error());

    // The issuer answers for its own certificates; a configured anchor for any; the
    // issuer ends the chain of a delegated responder (the verifier has already trusted
    // it), which OCSP_basic_verify then requires to carry the OCSP-signing usage.
    const X509StorePtr store(X509_STORE_new());
    const X509StackPtr trusted_signers(sk_X509_new_null());
    if (!store || !trusted_signers || X509_STORE_add_cert(store.get(), issuer) != 1 ||
        !sk_X509_push(trusted_signers.get(), issuer))
        return unavailable("cannot prepare the OCSP signer check: " + take_openssl_error());
    for (const X509Ptr& anchor : anchors) {
        if (X509_STORE_add_cert(store.get(), anchor.get()) != 1 ||
            !sk_X509_push(trusted_signers.get(), anchor.get()))
            return unavailable("cannot prepare the OCSP signer check: " + take_openssl_error());
    }
    X509_STORE_set_flags(store.get(), X509_V_FLAG_PARTIAL_CHAIN);
    if (OCSP_basic_verify(basic.get(), trusted_signers.get(), store.get(), OCSP_TRUSTOTHER) <= 0)
        return unavailable("the answer of " + responder +
                           " is not signed by the issuer, by a responder the issuer delegated "
                           "(OCSP signing) or by a configured anchor: " +
                           take_openssl_error());

    // A missing nonce is what caching responders send; another nonce is a replayed answer.
    if (OCSP_check_nonce(request, basic.get()) == 0)
        return unavailable("the answer of " + responder +
                           " carries another nonce than the request: a replayed answer");

    int certificate_status = -1;
    int revocation_reason = OCSP_REVOKED_STATUS_NOSTATUS;
    ASN1_GENERALIZEDTIME* revoked_at = nullptr;
    ASN1_GENERALIZEDTIME* this_update = nullptr;
    ASN1_GENERALIZEDTIME* next_update = nullptr;
    if (OCSP_resp_find_status(basic.get(), id, &certificate_status, &revocation_reason, &revoked_at,
                              &this_update, &next_update) != 1)
        return unavailable("the answer of " + responder +
                           " says nothing about the certificate (serial " + serial + ")");
    const std::string period =
        "thisUpdate " + format_time(this_update) + ", nextUpdate " + format_time(next_update);
    if (OCSP_check_validity(this_update, next_update, kClockSkewSeconds,
                            static_cast<long>(settings.max_age.count())) != 1)
        return unavailable("the answer of " + responder + " about the certificate (serial " +
                           serial + ") is not current (" + period + ", at most " +
                           std::to_string(settings.max_age.count()) +
                           " s old): " + take_openssl_error());

    RevocationStatus status;
    switch (certificate_status) {
        case V_OCSP_CERTSTATUS_GOOD:
            status = {RevocationAnswer::good, responder + " says the certificate (serial " +
                                                  serial + ") is good (" + period + ")"};
            break;
        case V_OCSP_CERTSTATUS_REVOKED:
            status.answer = RevocationAnswer::revoked;
            status.reason = responder + " says the certificate (serial " + serial +
                            ") was revoked at " + format_time(revoked_at);
            if (revocation_reason != OCSP_REVOKED_STATUS_NOSTATUS)
                status.reason +=
                    std::string(" (reason: ") + OCSP_crl_reason_str(revocation_reason) + ")";
            break;
        case V_OCSP_CERTSTATUS_UNKNOWN:
            status = {RevocationAnswer::unknown, responder +
                                                     " does not know the certificate (serial " +
                                                     serial + ", " + period + ")"};
            break;
        default:
            return unavailable(responder + " answered an unknown certificate status " +
                               std::to_string(certificate_status));
    }

    const std::time_t received = std::time(nullptr);
    const auto max_age = static_cast<std::time_t>(settings.max_age.count());
    std::time_t expires = received + max_age;
    if (const auto issued = to_time(this_update))
        expires = std::min(expires, *issued + max_age);
    if (const auto next = to_time(next_update))
        expires = std::min(expires, *next);
    if (expires > received)
        remember(key, status, expires);
    return status;
}

OcspSource::OcspSource(OcspSettings settings) : impl_(std::make_unique<Impl>()) {
    // A negative age would switch OpenSSL's age check off; zero would refuse every answer.
    if (settings.max_age.count() <= 0 || settings.timeout.count() <= 0 ||
        settings.max_response_bytes == 0)
        throw edxml::Error(edxml::ErrorCode::invalid_value,
                           "OCSP max_age, timeout and max_response_bytes must be positive");
    if (!settings.responder_url.empty()) {
        impl_->configured = endpoint_of(settings.responder_url);
        if (!impl_->configured)
            throw edxml::Error(edxml::ErrorCode::invalid_value,
                               "OCSP responder URL '" + settings.responder_url +
                                   "' is not http://host[:port]/path");
    }
    impl_->anchors = load_anchors(settings.anchors);
    impl_->settings = std::move(settings);
}

OcspSource::~OcspSource() = default;

edxml::RevocationStatus OcspSource::status(const std::string& certificate_der,
                                           const std::string& issuer_der) const {
    try {
        RevocationStatus status = impl_->status(certificate_der, issuer_der);
        ERR_clear_error();  // nothing of this call stays in the thread's OpenSSL queue
        return status;
    } catch (const std::exception& error) {
        ERR_clear_error();
        return unavailable(std::string("the OCSP check failed: ") + error.what());
    } catch (...) {
        ERR_clear_error();
        return unavailable("the OCSP check failed with an unknown error");
    }
}

std::size_t OcspSource::requests_made() const {
    return impl_->requests.load();
}

}  // namespace ocsp
