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
#include <utility>
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

    std::string subject() const;      // of the signing certificate, RFC 2253
    std::string fingerprint() const;  // SHA-256 of its DER, hexadecimal

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

// A detached RSA-SHA256 signature of `data` (base64, one line), for what is not a
// package: the audit chain's checkpoints.
std::string sign_detached(const SigningCredentials& credentials, std::string_view data);
// Whether `signature_base64` is the signature of `data` by the key of the certificate in
// `certificate_pem_file`. Throws Error(io) when the certificate cannot be read.
bool verify_detached(const std::string& certificate_pem_file, std::string_view data,
                     const std::string& signature_base64);
std::string certificate_fingerprint(const std::string& certificate_pem_file);

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
    wrong_signer,   // a valid signature by a certificate that does not belong to the sender
};
const char* to_string(Verdict verdict);

struct CertificateInfo {
    std::string subject;      // RFC 2253
    std::string issuer;       // RFC 2253
    std::string serial;       // hexadecimal
    std::string not_before;   // yyyy-MM-ddTHH:mm:ssZ
    std::string not_after;    // yyyy-MM-ddTHH:mm:ssZ
    std::string fingerprint;  // SHA-256 of the DER, hexadecimal
    // The subject's attributes in order, by OpenSSL short name ("CN", "O", "OU", "UID",
    // "serialNumber"…), for the signer policy.
    std::vector<std::pair<std::string, std::string>> subject_attributes;
};

// The certificates a package carries in its signature's KeyInfo (X509Certificate), in
// order, described; for showing who signed a logged package without verifying it again.
// Text that does not decode as a certificate is skipped.
std::vector<CertificateInfo> certificates_in_package(std::string_view package);
// The certificates of PEM text (a certificate file, a chain, an anchor), in order,
// described; what is not a certificate is skipped. For certificate-expiry warnings.
std::vector<CertificateInfo> certificates_in_pem(std::string_view pem);

struct VerifyResult {
    Verdict verdict = Verdict::absent;
    std::string reason;  // a human sentence: why this verdict
    std::optional<CertificateInfo> signer;
    std::string canonicalization_method;  // algorithm URIs as found
    std::string signature_method;
    std::string digest_method;
    // The agency the signer's certificate maps to (SignerPolicy), empty when none does;
    // filled by bind_signer.
    std::string signer_agency;

    bool is_valid() const { return verdict == Verdict::valid; }
};

// Online revocation (OCSP, adapters/ocsp), asked after the chain holds, beside the CRLs.
enum class RevocationAnswer {
    good,
    revoked,
    unknown,      // the responder does not know the certificate
    unavailable,  // no answer could be had (network, malformed or unverifiable answer)
};
const char* to_string(RevocationAnswer answer);

struct RevocationStatus {
    RevocationAnswer answer = RevocationAnswer::unavailable;
    std::string reason;  // a human sentence
};

class RevocationSource {
  public:
    virtual ~RevocationSource() = default;
    // Whether `certificate_der` (issued by `issuer_der`) is revoked; never throws. Called
    // from several threads at once.
    virtual RevocationStatus status(const std::string& certificate_der,
                                    const std::string& issuer_der) const = 0;
};

struct TrustOptions {
    // PEM files (each may hold several CA certificates) or directories of *.pem / *.crt.
    std::vector<std::string> anchors;
    // PEM or DER CRL files; when any is given, every certificate of a chain is checked.
    std::vector<std::string> crls;
    // Also trust the system's CA store. Off: only the configured anchors count.
    bool use_system_store = false;
    // Accept RSA-SHA1 / SHA-1 digests (only for a legacy peer). When false they are
    // `unsafe`.
    bool allow_sha1 = false;
    // A CRL past its nextUpdate still counts for this long (the CA is late publishing);
    // after it, chains it covers are `untrusted` until a fresh CRL is loaded.
    std::time_t crl_grace_seconds = 0;
    // Asked after the chain and the CRLs hold; none: CRLs only.
    std::shared_ptr<const RevocationSource> online_revocation;
};

// Which agency a signing certificate speaks for: the agency code read from one subject
// attribute (CN by default: what the Vietnamese government CA and our test PKI use), or
// an explicit table (fingerprint or RFC 2253 subject → agency code), which wins.
class SignerPolicy {
  public:
    SignerPolicy() = default;
    explicit SignerPolicy(std::string attribute) : attribute_(std::move(attribute)) {}
    // A table file: one "FINGERPRINT-OR-SUBJECT <tab or spaces> AGENCY-CODE" a line, '#'
    // comments. Throws Error(io) naming the file and line of anything wrong.
    void load_table(const std::string& path);
    void add(const std::string& fingerprint_or_subject, const std::string& agency_code);
    const std::string& attribute() const { return attribute_; }

    // The agency code of this certificate, or empty: the table's entry for its
    // fingerprint or subject, else the agency code found in the attribute (the whole
    // value, or a code-shaped word inside it, such as "MST:000.00.00.H20").
    std::string agency_of(const CertificateInfo& certificate) const;

  private:
    std::string attribute_ = "CN";
    std::vector<std::pair<std::string, std::string>>
        table_;  // key (lower-case fingerprint or subject) → code
};

// Ties a verdict to the sender: fills `result.signer_agency` and turns `valid` into
// `wrong_signer` when the certificate does not map to `sender` (the axis's word for who
// sent the package, else the package's own From).
void bind_signer(VerifyResult& result, const SignerPolicy& policy, const std::string& sender);

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

    // Reads the anchors and CRLs again from where they were last read (a schedule,
    // SIGHUP): new revocations count from now on and cached chain verdicts are dropped.
    // Throws Error(io) and keeps what it had when a file cannot be read.
    void reload_crls();
    // The same from other paths (a configuration reload changed verify.trust or
    // verify.crl); the other TrustOptions stay. Returns how many anchors it read. Throws
    // Error(io), keeping what it had, when a file cannot be read or no anchor is found.
    std::size_t reload_trust(const std::vector<std::string>& anchors,
                             const std::vector<std::string>& crls);
    // CRLs past their nextUpdate, one sentence each ("CRL of CN=… expired at …").
    std::vector<std::string> stale_crls(std::optional<std::time_t> at = {}) const;
    // The CRLs in use (after the last reload), for monitoring their age.
    struct CrlFacts {
        std::string source;  // the file
        std::string issuer;  // RFC 2253
        std::time_t this_update = 0;
        std::time_t next_update = 0;  // std::numeric_limits<std::time_t>::max(): none
    };
    std::vector<CrlFacts> crls() const;

    struct Impl;

  private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace edxml
