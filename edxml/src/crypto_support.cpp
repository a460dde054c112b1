#include "crypto_support.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "edxml/attachments.hpp"

namespace edxml::detail {
namespace {

std::string asn1_time_text(const ASN1_TIME* time) {
    struct tm parts {};
    if (!time || ASN1_TIME_to_tm(time, &parts) != 1)
        return "";
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02dZ", parts.tm_year + 1900,
                  parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec);
    return buffer;
}

}  // namespace

std::string name_text(const X509_NAME* name) {
    BIO* bio = BIO_new(BIO_s_mem());
    X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    std::string text(data, static_cast<std::size_t>(size));
    BIO_free(bio);
    return text;
}

namespace {

struct DigestContextFree {
    void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};
using DigestContextPtr = std::unique_ptr<EVP_MD_CTX, DigestContextFree>;

}  // namespace

std::string sign_rsa(EVP_PKEY* key, const EVP_MD* digest, std::string_view data) {
    DigestContextPtr context(EVP_MD_CTX_new());
    std::size_t length = 0;
    if (!context || EVP_DigestSignInit(context.get(), nullptr, digest, nullptr, key) != 1 ||
        EVP_DigestSign(context.get(), nullptr, &length,
                       reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
        throw Error(ErrorCode::io, "cannot sign: " + take_openssl_error());
    }
    std::string signature(length, '\0');
    if (EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                       reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
        throw Error(ErrorCode::io, "cannot sign: " + take_openssl_error());
    }
    signature.resize(length);
    return signature;
}

bool verify_rsa(EVP_PKEY* key, const EVP_MD* digest, std::string_view data,
                std::string_view signature) {
    DigestContextPtr context(EVP_MD_CTX_new());
    const bool holds =
        context && EVP_DigestVerifyInit(context.get(), nullptr, digest, nullptr, key) == 1 &&
        EVP_DigestVerify(context.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                         signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                         data.size()) == 1;
    ERR_clear_error();
    return holds;
}

std::string read_file(const std::string& path, const char* what) {
    std::ifstream file(path, std::ios::binary);
    if (!file)
        throw Error(ErrorCode::io, std::string("cannot read ") + what + " " + path);
    std::ostringstream bytes;
    bytes << file.rdbuf();
    return bytes.str();
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
    const X509_NAME* subject = X509_get_subject_name(cert);
    for (int i = 0; i < X509_NAME_entry_count(subject); ++i) {
        const X509_NAME_ENTRY* entry = X509_NAME_get_entry(subject, i);
        const int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry));
        unsigned char* utf8 = nullptr;
        const int length = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry));
        if (length < 0)
            continue;
        const char* name = nid == NID_undef ? "" : OBJ_nid2sn(nid);
        info.subject_attributes.emplace_back(
            name ? name : "",
            std::string(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(length)));
        OPENSSL_free(utf8);
    }
    return info;
}

}  // namespace edxml::detail

namespace edxml {

std::vector<CertificateInfo> certificates_in_pem(std::string_view pem) {
    std::vector<CertificateInfo> found;
    BIO* in = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    if (!in)
        return found;
    while (X509* certificate = PEM_read_bio_X509(in, nullptr, nullptr, nullptr)) {
        found.push_back(detail::describe_certificate(certificate));
        X509_free(certificate);
    }
    ERR_clear_error();  // the end of the text reads as an error
    BIO_free(in);
    return found;
}

std::vector<CertificateInfo> certificates_in_package(std::string_view package) {
    std::vector<CertificateInfo> found;
    constexpr std::string_view kName = "X509Certificate>";
    // Each start tag <X509Certificate> or <prefix:X509Certificate>, up to its end tag.
    for (std::size_t at = package.find(kName); at != std::string_view::npos && found.size() < 16;
         at = package.find(kName, at + kName.size())) {
        const std::size_t open = package.rfind('<', at);
        if (open == std::string_view::npos || package.substr(open, 2) == "</" ||
            package.substr(open, at - open).find_first_of(" >\"'") != std::string_view::npos)
            continue;
        const std::size_t start = at + kName.size();
        const std::size_t end = package.find('<', start);
        if (end == std::string_view::npos)
            break;
        std::string text;
        for (const char c : package.substr(start, end - start)) {
            if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
                text += c;
        }
        std::string der;
        try {
            der = decode_base64(text);
        } catch (const Error&) {
            continue;
        }
        const unsigned char* cursor = reinterpret_cast<const unsigned char*>(der.data());
        X509* certificate = d2i_X509(nullptr, &cursor, static_cast<long>(der.size()));
        if (!certificate)
            continue;
        found.push_back(detail::describe_certificate(certificate));
        X509_free(certificate);
    }
    return found;
}

}  // namespace edxml
