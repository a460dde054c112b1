#include "tls/client_context.hpp"

#include <Poco/Net/NetSSL.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <mutex>

#include "connector/error.hpp"

namespace tls {

Poco::Net::Context::Ptr verified_client_context(const std::string& host, const std::string& ca_file,
                                                const std::string& setting) {
    static std::once_flag ssl_initialised;
    std::call_once(ssl_initialised, [] { Poco::Net::initializeSSL(); });
    Poco::Net::Context::Ptr context;
    try {
        context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, ca_file,
                                         Poco::Net::Context::VERIFY_STRICT, 9, ca_file.empty());
        context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    } catch (const Poco::Exception& error) {
        throw connector::ConfigError(setting + ": " + error.displayText());
    }
    X509_VERIFY_PARAM* verify = SSL_CTX_get0_param(context->sslContext());
    X509_VERIFY_PARAM_set_hostflags(verify, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    const bool ip_host = X509_VERIFY_PARAM_set1_ip_asc(verify, host.c_str()) == 1;
    if (!ip_host && X509_VERIFY_PARAM_set1_host(verify, host.c_str(), 0) != 1)
        throw connector::ConfigError(setting + ": cannot check the host name '" + host + "'");
    context->enableExtendedCertificateVerification(false);
    return context;
}

}  // namespace tls
