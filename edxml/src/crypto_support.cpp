#include "crypto_support.hpp"

#include <openssl/err.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/xmlsec.h>

#include <cstdio>
#include <mutex>
#include <stdexcept>

#include "edxml/attachments.hpp"

namespace edxml::detail {
namespace {

thread_local std::string t_xmlsec_errors;

void collect_xmlsec_error(const char* file, int line, const char* func, const char* error_object,
                          const char* error_subject, int reason, const char* msg) {
    (void)file;
    (void)line;
    (void)func;
    (void)reason;
    if (!t_xmlsec_errors.empty())
        t_xmlsec_errors += "; ";
    if (error_subject)
        t_xmlsec_errors += std::string(error_subject) + ": ";
    else if (error_object)
        t_xmlsec_errors += std::string(error_object) + ": ";
    t_xmlsec_errors += msg ? msg : "error";
    constexpr std::size_t kMaxErrorText = 2000;
    if (t_xmlsec_errors.size() > kMaxErrorText)
        t_xmlsec_errors.resize(kMaxErrorText);
}

std::string asn1_time_text(const ASN1_TIME* time) {
    struct tm parts {};
    if (!time || ASN1_TIME_to_tm(time, &parts) != 1)
        return "";
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02dZ", parts.tm_year + 1900,
                  parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec);
    return buffer;
}

std::string name_text(const X509_NAME* name) {
    BIO* bio = BIO_new(BIO_s_mem());
    X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    std::string text(data, static_cast<std::size_t>(size));
    BIO_free(bio);
    return text;
}

}  // namespace

void ensure_xmlsec_initialised() {
    static std::once_flag once;
    std::call_once(once, [] {
        xmlInitParser();
        if (xmlSecInit() < 0)
            throw std::runtime_error("xmlsec initialisation failed");
        if (xmlSecCheckVersion() != 1)
            throw std::runtime_error("xmlsec library version mismatch");
        // No xmlSecCryptoAppInit: it would load configuration and engines we do not use.
        if (xmlSecCryptoInit() < 0)
            throw std::runtime_error("xmlsec OpenSSL backend initialisation failed");
        xmlSecErrorsSetCallback(collect_xmlsec_error);
    });
}

std::string take_xmlsec_errors() {
    std::string errors = std::move(t_xmlsec_errors);
    t_xmlsec_errors.clear();
    return errors;
}

XmlSecKeyPtr make_xmlsec_key(EVP_PKEY* key) {
    EVP_PKEY_up_ref(key);
    xmlSecKeyDataPtr data = xmlSecOpenSSLEvpKeyAdopt(key);
    if (!data) {
        EVP_PKEY_free(key);
        throw Error(ErrorCode::invalid_value, "unsupported key type for XML-DSig");
    }
    XmlSecKeyPtr xmlsec_key(xmlSecKeyCreate());
    if (!xmlsec_key || xmlSecKeySetValue(xmlsec_key.get(), data) < 0) {
        xmlSecKeyDataDestroy(data);
        throw Error(ErrorCode::invalid_value, "cannot wrap the key for xmlsec");
    }
    return xmlsec_key;
}

std::string take_openssl_error() {
    const unsigned long code = ERR_peek_last_error();
    char buffer[256] = "unknown OpenSSL error";
    if (code != 0)
        ERR_error_string_n(code, buffer, sizeof buffer);
    ERR_clear_error();
    return buffer;
}

X509Ptr certificate_from_der(std::string_view der) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(der.data());
    X509Ptr cert(d2i_X509(nullptr, &bytes, static_cast<long>(der.size())));
    if (!cert || bytes != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
        ERR_clear_error();
        return nullptr;
    }
    return cert;
}

std::string certificate_der(X509* cert) {
    unsigned char* der = nullptr;
    const int length = i2d_X509(cert, &der);
    if (length <= 0)
        return {};
    std::string bytes(reinterpret_cast<char*>(der), static_cast<std::size_t>(length));
    OPENSSL_free(der);
    return bytes;
}

CertificateInfo describe_certificate(X509* cert) {
    CertificateInfo info;
    info.subject = name_text(X509_get_subject_name(cert));
    info.issuer = name_text(X509_get_issuer_name(cert));
    if (BIGNUM* serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr)) {
        char* hex = BN_bn2hex(serial);
        info.serial = hex ? hex : "";
        OPENSSL_free(hex);
        BN_free(serial);
    }
    info.not_before = asn1_time_text(X509_get0_notBefore(cert));
    info.not_after = asn1_time_text(X509_get0_notAfter(cert));
    info.fingerprint = sha256_hex(certificate_der(cert));
    return info;
}

}  // namespace edxml::detail
