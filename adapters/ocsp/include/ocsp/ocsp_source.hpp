// OCSP (RFC 6960) as the verifier's online revocation source: one request per
// certificate over plain HTTP, the answer verified (signer, nonce, freshness) before it
// counts, and good / revoked / unknown answers cached until they go stale. Whatever
// goes wrong is `unavailable` with a sentence saying what, never an exception: the
// verifier then keeps the verdict of its CRLs.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "edxml/signature.hpp"

namespace ocsp {

struct OcspSettings {
    // http://host[:port]/path. Empty: the URL the certificate names in its Authority
    // Information Access extension.
    std::string responder_url;
    // PEM files, or directories of *.pem / *.crt / *.cer, holding responder certificates
    // trusted to sign answers about any certificate (besides the issuer and the
    // responders it delegates with the OCSP-signing extended key usage).
    std::vector<std::string> anchors;
    std::chrono::milliseconds timeout{5000};  // the whole request: connect, send, answer
    // How old an answer may be (from its thisUpdate, and from when it was received)
    // before it no longer counts, received or cached.
    std::chrono::seconds max_age{3600};
    std::size_t max_response_bytes = 64 * 1024;
};

class OcspSource final : public edxml::RevocationSource {
  public:
    // Throws edxml::Error(io) when an anchor cannot be read or holds no certificate, and
    // Error(invalid_value) when `responder_url` is not an http:// URL or a limit is not
    // positive.
    explicit OcspSource(OcspSettings settings);
    ~OcspSource() override;
    OcspSource(const OcspSource&) = delete;
    OcspSource& operator=(const OcspSource&) = delete;

    edxml::RevocationStatus status(const std::string& certificate_der,
                                   const std::string& issuer_der) const override;

    // Requests sent to a responder (attempts included) since construction; answers from
    // the cache do not count.
    std::size_t requests_made() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ocsp
