// Internal: owners for OpenSSL handles, RSA signing and verification, and small
// certificate helpers shared by the signer and the verifier.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "edxml/signature.hpp"

namespace edxml::detail {

struct EvpPkeyFree {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct X509Free {
    void operator()(X509* cert) const { X509_free(cert); }
};
struct X509CrlFree {
    void operator()(X509_CRL* crl) const { X509_CRL_free(crl); }
};
struct X509StoreFree {
    void operator()(X509_STORE* store) const { X509_STORE_free(store); }
};
struct X509StoreCtxFree {
    void operator()(X509_STORE_CTX* ctx) const { X509_STORE_CTX_free(ctx); }
};
struct X509StackFree {
    void operator()(STACK_OF(X509) * stack) const { sk_X509_free(stack); }  // not the certs
};

using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using X509CrlPtr = std::unique_ptr<X509_CRL, X509CrlFree>;
using X509StorePtr = std::unique_ptr<X509_STORE, X509StoreFree>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, X509StoreCtxFree>;
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackFree>;

// PKCS#1 v1.5 RSA signature of `data` with `digest`, and its verification.
std::string sign_rsa(EVP_PKEY* key, const EVP_MD* digest, std::string_view data);
bool verify_rsa(EVP_PKEY* key, const EVP_MD* digest, std::string_view data,
                std::string_view signature);

// The whole content of a file; throws Error(io) naming `what` and the path.
std::string read_file(const std::string& path, const char* what);

// The newest OpenSSL error as text, and the queue cleared.
std::string take_openssl_error();

X509Ptr certificate_from_der(std::string_view der);
std::string certificate_der(X509* cert);
CertificateInfo describe_certificate(X509* cert);
// An X.509 name as RFC 2253 text (what CertificateInfo shows).
std::string name_text(const X509_NAME* name);

}  // namespace edxml::detail
