// Internal: owners for OpenSSL and xmlsec handles, xmlsec initialisation, and small
// certificate helpers shared by the signer and the verifier.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <xmlsec/keys.h>
#include <xmlsec/xmldsig.h>

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
struct XmlSecKeyFree {
    void operator()(xmlSecKey* key) const { xmlSecKeyDestroy(key); }
};
struct XmlSecDSigCtxFree {
    void operator()(xmlSecDSigCtx* ctx) const { xmlSecDSigCtxDestroy(ctx); }
};

using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using X509CrlPtr = std::unique_ptr<X509_CRL, X509CrlFree>;
using X509StorePtr = std::unique_ptr<X509_STORE, X509StoreFree>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, X509StoreCtxFree>;
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackFree>;
using XmlSecKeyPtr = std::unique_ptr<xmlSecKey, XmlSecKeyFree>;
using XmlSecDSigCtxPtr = std::unique_ptr<xmlSecDSigCtx, XmlSecDSigCtxFree>;

// Initialises libxml2, xmlsec and its OpenSSL backend once per process, and routes
// xmlsec's error reports into a per-thread buffer instead of stderr.
void ensure_xmlsec_initialised();
// The xmlsec errors reported on this thread since the last call, then cleared.
std::string take_xmlsec_errors();

// An xmlsec key holding (a new reference to) `key`, for xmlSecDSigCtx::signKey.
XmlSecKeyPtr make_xmlsec_key(EVP_PKEY* key);

// The newest OpenSSL error as text, and the queue cleared.
std::string take_openssl_error();

X509Ptr certificate_from_der(std::string_view der);
std::string certificate_der(X509* cert);
CertificateInfo describe_certificate(X509* cert);

}  // namespace edxml::detail
