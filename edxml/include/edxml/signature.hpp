// XML-DSig for edXML packages: an enveloped signature in the xmldsig namespace, last
// child of edXMLHeader, one Reference to the whole document (URI=""), so that the
// header, the body and the attachments are all covered (protocol.md §1.8).
//
// The verifier classifies instead of failing, checks *what* was signed (one signature, in
// its place, one whole-document reference, only known transforms) before it checks that
// the signature value holds, and trusts only the anchors it is given.
#pragma once

#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edxml/reader.hpp"

namespace edxml {

enum class SignatureAlgorithm {
    rsa_sha256,  // default
    rsa_sha1,    // only for a legacy peer that cannot verify SHA-256
};

// Secrets never come from the command line or a config file in clear: from a file (first
// line, without its line end) or from an environment variable. Throw Error(io) when the
// file or variable is missing.
std::string read_passphrase_file(const std::string& path);
std::string read_passphrase_environment(const std::string& variable);

// A signing key with its certificate and the intermediates to send along, loaded and
// checked once (the key must match the certificate), then reused for every package.
class SigningCredentials {
  public:
    // PEM files; the key may be encrypted (PKCS#8 or traditional) with `passphrase`.
    // `chain_file` (may be empty) holds intermediate certificates, leaf first order kept.
    static SigningCredentials from_pem(const std::string& key_file, const std::string& cert_file,
                                       const std::string& chain_file = {},
                                       const std::string& passphrase = {});
    // A PKCS#12 bundle (key, certificate, and CA certificates as the chain).
    static SigningCredentials from_pkcs12(const std::string& file, const std::string& passphrase);

    std::string subject() const;  // of the signing certificate, RFC 2253

    struct Impl;
    const Impl& impl() const { return *impl_; }

  private:
    explicit SigningCredentials(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
    std::shared_ptr<const Impl> impl_;
};

struct SignOptions {
    SignatureAlgorithm algorithm = SignatureAlgorithm::rsa_sha256;
    ReadLimits limits;
};

// Signs a package: parses it (hardened), appends the Signature as the last child of
// edXMLHeader, and returns the signed bytes (UTF-8). Throws Error when the package
// cannot be parsed, is not namespace-well-formed, has no edXMLHeader, or is already signed.
std::string sign_package(std::string_view package, const SigningCredentials& credentials,
                         const SignOptions& options = {});

enum class Verdict {
    valid,          // the signature holds and the certificate chains to a trust anchor
    invalid,        // digest or signature value does not match: content changed, or wrong key
    absent,         // no signature
    nonstandard,    // a Signature element outside the xmldsig namespace (VNPT library)
    untrusted,      // does not chain to a configured anchor, or carries no certificate
    expired,        // a certificate of the chain has expired
    not_yet_valid,  // a certificate of the chain is not valid yet
    revoked,        // a certificate of the chain is on a configured CRL
    unsafe,         // the signature's structure is refused (wrapping, foreign transforms…)
};
const char* to_string(Verdict verdict);

struct CertificateInfo {
    std::string subject;      // RFC 2253
    std::string issuer;       // RFC 2253
    std::string serial;       // hexadecimal
    std::string not_before;   // yyyy-MM-ddTHH:mm:ssZ
    std::string not_after;    // yyyy-MM-ddTHH:mm:ssZ
    std::string fingerprint;  // SHA-256 of the DER, hexadecimal
};

struct VerifyResult {
    Verdict verdict = Verdict::absent;
    std::string reason;  // a human sentence: why this verdict
    std::optional<CertificateInfo> signer;
    std::string canonicalization_method;  // algorithm URIs as found
    std::string signature_method;
    std::string digest_method;

    bool is_valid() const { return verdict == Verdict::valid; }
};

struct TrustOptions {
    // PEM files (each may hold several CA certificates) or directories of *.pem / *.crt.
    std::vector<std::string> anchors;
    // PEM or DER CRL files; when any is given, every certificate of a chain is checked.
    std::vector<std::string> crls;
    // Also trust the system's CA store. Off: only the configured anchors count.
    bool use_system_store = false;
    // Accept RSA-SHA1 / SHA-1 digests (real traffic still uses them). When false they are
    // `unsafe`.
    bool allow_sha1 = true;
};

class Verifier {
  public:
    // Throws Error(io) when an anchor or CRL cannot be read, or no anchor is found.
    explicit Verifier(const TrustOptions& options);
    ~Verifier();
    Verifier(Verifier&&) noexcept;
    Verifier& operator=(Verifier&&) noexcept;

    // Checks the signature of a package at the current time (or `at`, for tests and for
    // re-checking an archived package at its arrival time).
    VerifyResult verify(std::string_view package, std::optional<std::time_t> at = {}) const;

    struct Verified {
        VerifyResult signature;
        ReadResult package;  // read from the very document that was verified
    };
    // Verifies, then reads the model from the same parsed document: what the caller reads
    // is exactly what was checked.
    Verified verify_and_read(std::string_view package, const ReadOptions& options = {},
                             std::optional<std::time_t> at = {}) const;

    struct Impl;

  private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace edxml
