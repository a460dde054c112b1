// The XML-DSig verifier. Order matters: the structure of the signature is checked first
// (what was signed), then the digest and the signature value (with the key of the KeyInfo
// certificate and nothing else), then the certificate chain against our anchors only
// (OpenSSL, never the system store unless configured).
#include <libxml/c14n.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <sstream>

#include "crypto_support.hpp"
#include "edxml/attachments.hpp"
#include "edxml/signature.hpp"
#include "xml_document.hpp"
#include "xmldsig_core.hpp"

namespace edxml {
namespace {

using detail::children;
using detail::is_edxml_element;
using detail::local_name;
using detail::namespace_of;

using detail::Canonicalization;
using detail::canonicalization_for;
namespace dsig = detail::dsig;

constexpr const char* kExcC14nNamespace = "http://www.w3.org/2001/10/xml-exc-c14n#";

bool is_dsig(const xmlNode* node, std::string_view name) {
    return node && node->type == XML_ELEMENT_NODE && name == local_name(node) &&
           std::string_view(namespace_of(node)) == kXmlDsigNamespace;
}

std::string attribute(const xmlNode* node, const char* name) {
    detail::XmlCharPtr value(xmlGetProp(node, BAD_CAST name));
    return value ? reinterpret_cast<const char*>(value.get()) : "";
}

bool has_attribute(const xmlNode* node, const char* name) {
    return xmlHasProp(node, BAD_CAST name) != nullptr;
}

// Thrown inside check_layout: the verdict and why.
struct Refusal {
    Refusal(Verdict verdict_, std::string reason_)
        : verdict(verdict_), reason(std::move(reason_)) {}
    Verdict verdict;
    std::string reason;
};

struct SignatureLayout {
    xmlNode* signature = nullptr;
    xmlNode* signed_info = nullptr;
    Canonicalization signed_info_c14n;
    const EVP_MD* signature_digest = nullptr;
    xmlNode* reference_subtree = nullptr;  // null: the whole document (URI="")
    Canonicalization reference_c14n;       // C14N 1.0 when no C14N transform is given
    const EVP_MD* digest = nullptr;
    std::string digest_value;                      // decoded
    std::string signature_value;                   // decoded
    std::vector<std::string> certificates_base64;  // KeyInfo/X509Data/X509Certificate, in order
};

// A C14N algorithm element (CanonicalizationMethod or Transform), with exclusive C14N's
// optional InclusiveNamespaces PrefixList; anything else inside it is refused.
Canonicalization read_c14n(xmlNode* element, const std::string& algorithm) {
    std::optional<Canonicalization> c14n = canonicalization_for(algorithm);
    if (!c14n)
        throw Refusal{Verdict::unsafe, "'" + algorithm + "' is not a C14N algorithm"};
    for (xmlNode* child : children(element)) {
        const bool prefix_list = std::string_view(local_name(child)) == "InclusiveNamespaces" &&
                                 std::string_view(namespace_of(child)) == kExcC14nNamespace &&
                                 c14n->mode == XML_C14N_EXCLUSIVE_1_0;
        if (!prefix_list) {
            throw Refusal{Verdict::unsafe, std::string("unexpected element '") + local_name(child) +
                                               "' in " + local_name(element)};
        }
        std::istringstream prefixes(attribute(child, "PrefixList"));
        for (std::string prefix; prefixes >> prefix;)
            c14n->inclusive_prefixes.push_back(prefix == "#default" ? "" : prefix);
    }
    return *c14n;
}

std::string decoded(xmlNode* node, const char* what) {
    try {
        return decode_base64(detail::trimmed_text(node));
    } catch (const Error&) {
        throw Refusal{Verdict::invalid, std::string(what) + " is not base64"};
    }
}

void collect_signatures(xmlNode* node, std::vector<xmlNode*>& dsig, std::vector<xmlNode*>& other) {
    for (xmlNode* child : children(node)) {
        if (std::string_view(local_name(child)) == "Signature") {
            (std::string_view(namespace_of(child)) == kXmlDsigNamespace ? dsig : other)
                .push_back(child);
        }
        collect_signatures(child, dsig, other);
    }
}

std::size_t count_edxml_children(xmlNode* parent, std::string_view name) {
    std::size_t count = 0;
    for (xmlNode* child : children(parent))
        count += is_edxml_element(child, name) ? 1 : 0;
    return count;
}

// Checks the rules of issue 3 item 3; throws Refusal with the verdict and a reason.
SignatureLayout check_layout(xmlDoc* doc, bool allow_sha1, VerifyResult& out) {
    xmlNode* root = xmlDocGetRootElement(doc);
    std::vector<xmlNode*> dsig, other;
    if (root) {
        if (std::string_view(local_name(root)) == "Signature") {
            (std::string_view(namespace_of(root)) == kXmlDsigNamespace ? dsig : other)
                .push_back(root);
        }
        collect_signatures(root, dsig, other);
    }
    if (dsig.empty() && !other.empty()) {
        throw Refusal(Verdict::nonstandard, "Signature element in namespace '" +
                                                std::string(namespace_of(other.front())) +
                                                "', not XML-DSig (" + kXmlDsigNamespace +
                                                "): it cannot be verified");
    }
    if (dsig.empty())
        throw Refusal(Verdict::absent, "the package is not signed");
    if (dsig.size() > 1) {
        throw Refusal(Verdict::unsafe, std::to_string(dsig.size()) +
                                           " XML-DSig Signature elements: exactly one is allowed");
    }
    xmlNode* signature = dsig.front();

    // Location: /edXML/edXMLEnvelope/edXMLHeader/Signature, in a document with one
    // envelope, one header and one MessageHeader or Status.
    xmlNode* header = signature->parent;
    xmlNode* envelope = header ? header->parent : nullptr;
    if (!is_edxml_element(header, "edXMLHeader") || !is_edxml_element(envelope, "edXMLEnvelope") ||
        envelope->parent != root || !is_edxml_element(root, "edXML")) {
        throw Refusal(Verdict::unsafe,
                      "Signature is at " + detail::node_path(signature) +
                          "; it must be a child of /edXML/edXMLEnvelope/edXMLHeader");
    }
    if (count_edxml_children(root, "edXMLEnvelope") != 1 ||
        count_edxml_children(envelope, "edXMLHeader") != 1 ||
        count_edxml_children(header, "MessageHeader") + count_edxml_children(header, "Status") !=
            1) {
        throw Refusal(Verdict::unsafe,
                      "the package has more than one envelope, header or message header: "
                      "which one was meant cannot be told");
    }

    // Signature: SignedInfo, SignatureValue, optional KeyInfo, nothing else (an Object
    // would be unsigned content inside the signed package).
    std::vector<xmlNode*> parts;
    for (xmlNode* child : children(signature))
        parts.push_back(child);
    const bool shape_ok = (parts.size() == 2 || parts.size() == 3) &&
                          is_dsig(parts[0], "SignedInfo") && is_dsig(parts[1], "SignatureValue") &&
                          (parts.size() == 2 || is_dsig(parts[2], "KeyInfo"));
    if (!shape_ok) {
        throw Refusal(Verdict::unsafe,
                      "Signature must contain exactly SignedInfo, SignatureValue and KeyInfo "
                      "(no Object or other element)");
    }

    // SignedInfo: CanonicalizationMethod, SignatureMethod, exactly one Reference.
    SignatureLayout layout;
    layout.signature = signature;
    layout.signed_info = parts[0];
    layout.signature_value = decoded(parts[1], "SignatureValue");
    std::vector<xmlNode*> references;
    xmlNode* canonicalization = nullptr;
    xmlNode* signature_method = nullptr;
    for (xmlNode* child : children(layout.signed_info)) {
        if (is_dsig(child, "CanonicalizationMethod") && !canonicalization && !signature_method &&
            references.empty()) {
            canonicalization = child;
        } else if (is_dsig(child, "SignatureMethod") && canonicalization && !signature_method) {
            signature_method = child;
        } else if (is_dsig(child, "Reference") && signature_method) {
            references.push_back(child);
        } else {
            throw Refusal{Verdict::unsafe, std::string("unexpected element '") + local_name(child) +
                                               "' in SignedInfo"};
        }
    }
    if (!canonicalization || !signature_method)
        throw Refusal{Verdict::unsafe,
                      "SignedInfo lacks its CanonicalizationMethod or SignatureMethod"};
    out.canonicalization_method = attribute(canonicalization, "Algorithm");
    out.signature_method = attribute(signature_method, "Algorithm");
    layout.signed_info_c14n = read_c14n(canonicalization, out.canonicalization_method);
    if (children(signature_method).begin() != children(signature_method).end())
        throw Refusal{Verdict::unsafe, "SignatureMethod parameters are not accepted"};
    layout.signature_digest = detail::rsa_signature_digest_for(out.signature_method);
    const bool sha1_signature = out.signature_method == dsig::kRsaSha1;
    if (!layout.signature_digest || (sha1_signature && !allow_sha1)) {
        throw Refusal{Verdict::unsafe,
                      "signature method '" + out.signature_method + "' is not accepted"};
    }
    if (references.size() != 1) {
        throw Refusal{Verdict::unsafe, std::to_string(references.size()) +
                                           " References in SignedInfo: exactly one is allowed"};
    }

    // The Reference covers the whole document: URI="" or "#<Id of the root>".
    xmlNode* reference = references.front();
    if (!has_attribute(reference, "URI")) {
        throw Refusal{Verdict::unsafe,
                      "the Reference has no URI attribute: what it covers is undefined"};
    }
    if (has_attribute(reference, "Type") && !attribute(reference, "Type").empty() &&
        attribute(reference, "Type") != "http://www.w3.org/2000/09/xmldsig#Object") {
        throw Refusal{Verdict::unsafe,
                      "Reference Type '" + attribute(reference, "Type") + "' is not accepted"};
    }
    const std::string uri = attribute(reference, "URI");
    if (!uri.empty()) {
        const std::string id = uri.substr(1);
        bool is_root_id = false;
        for (const char* name : {"Id", "ID", "id"}) {
            is_root_id = is_root_id || (has_attribute(root, name) && attribute(root, name) == id);
        }
        if (uri.front() != '#' || id.empty() || !is_root_id) {
            throw Refusal{Verdict::unsafe,
                          "Reference URI '" + uri +
                              "' does not designate the whole document (\"\" or the Id "
                              "of the root element)"};
        }
        layout.reference_subtree = root;  // the root element, without what lies outside it
    }
    // Transforms: enveloped-signature first, then at most one C14N.
    std::vector<xmlNode*> transforms;
    xmlNode* digest_method = nullptr;
    xmlNode* digest_value = nullptr;
    for (xmlNode* child : children(reference)) {
        if (is_dsig(child, "Transforms") && transforms.empty() && !digest_method) {
            for (xmlNode* transform : children(child)) {
                if (!is_dsig(transform, "Transform"))
                    throw Refusal{Verdict::unsafe, std::string("unexpected element '") +
                                                       local_name(transform) + "' in Transforms"};
                transforms.push_back(transform);
            }
        } else if (is_dsig(child, "DigestMethod") && !digest_method) {
            digest_method = child;
        } else if (is_dsig(child, "DigestValue") && digest_method && !digest_value) {
            digest_value = child;
        } else {
            throw Refusal{Verdict::unsafe, std::string("unexpected element '") + local_name(child) +
                                               "' in Reference"};
        }
    }
    for (std::size_t i = 0; i < transforms.size(); ++i) {
        const std::string algorithm = attribute(transforms[i], "Algorithm");
        const bool allowed = (i == 0 && algorithm == dsig::kEnveloped) ||
                             (i == 1 && canonicalization_for(algorithm).has_value());
        if (!allowed) {
            throw Refusal{Verdict::unsafe,
                          "transform '" + algorithm +
                              "' is refused: only enveloped-signature, then one C14N "
                              "transform, are allowed"};
        }
    }
    if (transforms.empty()) {
        throw Refusal{Verdict::unsafe, "the Reference lacks the enveloped-signature transform"};
    }
    if (children(transforms[0]).begin() != children(transforms[0]).end())
        throw Refusal{Verdict::unsafe, "the enveloped-signature transform takes no parameters"};
    layout.reference_c14n = transforms.size() == 2
                                ? read_c14n(transforms[1], attribute(transforms[1], "Algorithm"))
                                : *canonicalization_for(dsig::kC14n10);
    if (!digest_method || !digest_value)
        throw Refusal{Verdict::unsafe, "the Reference lacks its DigestMethod or DigestValue"};
    out.digest_method = attribute(digest_method, "Algorithm");
    layout.digest = detail::digest_for(out.digest_method);
    if (!layout.digest || (out.digest_method == dsig::kSha1 && !allow_sha1)) {
        throw Refusal{Verdict::unsafe, "digest method '" + out.digest_method + "' is not accepted"};
    }
    layout.digest_value = decoded(digest_value, "DigestValue");

    // KeyInfo: certificates only; nothing that would make the verifier fetch a key.
    if (parts.size() == 3) {
        for (xmlNode* child : children(parts[2])) {
            if (is_dsig(child, "X509Data")) {
                for (xmlNode* item : children(child)) {
                    if (is_dsig(item, "X509Certificate"))
                        layout.certificates_base64.push_back(detail::trimmed_text(item));
                }
            } else if (is_dsig(child, "RetrievalMethod")) {
                throw Refusal(Verdict::unsafe,
                              "KeyInfo/RetrievalMethod is refused: keys are never fetched");
            }
        }
    }
    return layout;
}

struct CachedCertificate {
    detail::X509Ptr cert;
    EVP_PKEY* public_key = nullptr;  // owned by cert
    CertificateInfo info;
};

struct ChainVerdict {
    Verdict verdict = Verdict::untrusted;
    std::string reason;
    std::string issuer_der;       // of the signing certificate, when the chain holds (for OCSP)
    std::time_t valid_until = 0;  // cache entries are reused until then
};

// `path` itself when it is a file, else the files of the directory with one of
// `extensions`, sorted; `what` names the setting in errors.
std::vector<std::filesystem::path> files_under(const std::string& path,
                                               const std::vector<std::string>& extensions,
                                               const std::string& what) {
    namespace fs = std::filesystem;
    std::vector<fs::path> files;
    std::error_code error;
    if (fs::is_directory(path, error)) {
        for (const auto& entry : fs::directory_iterator(path)) {
            const std::string extension = entry.path().extension().string();
            if (entry.is_regular_file() &&
                std::find(extensions.begin(), extensions.end(), extension) != extensions.end())
                files.push_back(entry.path());
        }
        std::sort(files.begin(), files.end());
    } else if (fs::is_regular_file(path, error)) {
        files.emplace_back(path);
    } else {
        throw Error(ErrorCode::io, what + " '" + path + "' is neither a file nor a directory");
    }
    return files;
}

std::vector<std::filesystem::path> pem_files_under(const std::string& path) {
    return files_under(path, {".pem", ".crt", ".cer"}, "trust anchor");
}

}  // namespace

const char* to_string(Verdict verdict) {
    switch (verdict) {
        case Verdict::valid:
            return "valid";
        case Verdict::invalid:
            return "invalid";
        case Verdict::absent:
            return "absent";
        case Verdict::nonstandard:
            return "nonstandard";
        case Verdict::untrusted:
            return "untrusted";
        case Verdict::expired:
            return "expired";
        case Verdict::not_yet_valid:
            return "not_yet_valid";
        case Verdict::revoked:
            return "revoked";
        case Verdict::unsafe:
            return "unsafe";
        case Verdict::wrong_signer:
            return "wrong_signer";
    }
    return "?";
}

const char* to_string(RevocationAnswer answer) {
    switch (answer) {
        case RevocationAnswer::good:
            return "good";
        case RevocationAnswer::revoked:
            return "revoked";
        case RevocationAnswer::unknown:
            return "unknown";
        case RevocationAnswer::unavailable:
            return "unavailable";
    }
    return "?";
}

namespace {

// A CRL as loaded, with what the stale check needs.
struct LoadedCrl {
    detail::X509CrlPtr crl;
    std::string source;  // the file it came from
    std::string issuer;  // RFC 2253
    std::time_t this_update = 0;
    std::time_t next_update = std::numeric_limits<std::time_t>::max();
};

// The certificate store of one generation of anchors and CRLs: replaced whole by
// reload_crls and reload_trust, so a check in progress keeps the store it started with.
struct TrustGeneration {
    std::vector<std::string> anchor_paths, crl_paths;  // where they were read from
    std::size_t anchors = 0;
    detail::X509StorePtr store;
    std::vector<LoadedCrl> crls;
    std::time_t crl_next_update = std::numeric_limits<std::time_t>::max();
};

// What the verify callback needs to apply the grace rule to a stale CRL.
struct CrlGrace {
    std::time_t check_time = 0;
    std::time_t grace = 0;
    bool used_stale = false;
    std::string stale_issuer;
};

int crl_grace_index() {
    static const int index = X509_STORE_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

// OpenSSL refuses a chain whose CRL is past its nextUpdate; within the configured grace
// we accept it (and say so in the reason): a CA that publishes late must not stop the
// province's work, but only for a bounded time.
int verify_with_crl_grace(int ok, X509_STORE_CTX* context) {
    if (ok || X509_STORE_CTX_get_error(context) != X509_V_ERR_CRL_HAS_EXPIRED)
        return ok;
    auto* grace = static_cast<CrlGrace*>(X509_STORE_CTX_get_ex_data(context, crl_grace_index()));
    X509_CRL* crl = X509_STORE_CTX_get0_current_crl(context);
    struct tm parts {};
    const ASN1_TIME* next = crl ? X509_CRL_get0_nextUpdate(crl) : nullptr;
    if (!grace || !next || ASN1_TIME_to_tm(next, &parts) != 1)
        return ok;
    if (grace->check_time > timegm(&parts) + grace->grace)
        return ok;
    grace->used_stale = true;
    grace->stale_issuer =
        detail::name_text(X509_get_issuer_name(X509_STORE_CTX_get_current_cert(context)));
    X509_STORE_CTX_set_error(context, X509_V_OK);
    return 1;
}

std::vector<std::filesystem::path> crl_files_under(const std::string& path) {
    auto files = files_under(path, {".pem", ".crl", ".der"}, "CRL");
    if (files.empty())
        throw Error(ErrorCode::io, "CRL directory '" + path + "' holds no .pem, .crl or .der file");
    return files;
}

// Every CRL of a file: PEM files may hold several (one per CA), a DER file holds one.
std::vector<LoadedCrl> read_crls(const std::filesystem::path& file) {
    const std::string bytes = detail::read_file(file.string(), "CRL");
    std::vector<LoadedCrl> crls;
    BIO* bio = BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size()));
    while (X509_CRL* crl = PEM_read_bio_X509_CRL(bio, nullptr, nullptr, nullptr))
        crls.push_back({detail::X509CrlPtr(crl), file.string(), {}, {}});
    BIO_free(bio);
    detail::take_openssl_error();  // the loop ends on "no start line"
    if (crls.empty()) {
        const auto* der = reinterpret_cast<const unsigned char*>(bytes.data());
        if (X509_CRL* crl = d2i_X509_CRL(nullptr, &der, static_cast<long>(bytes.size())))
            crls.push_back({detail::X509CrlPtr(crl), file.string(), {}, {}});
    }
    if (crls.empty())
        throw Error(ErrorCode::io,
                    "cannot read CRL " + file.string() + ": " +
                        (detail::take_openssl_error().empty() ? std::string("no CRL in it")
                                                              : detail::take_openssl_error()));
    for (LoadedCrl& loaded : crls) {
        loaded.issuer = detail::name_text(X509_CRL_get_issuer(loaded.crl.get()));
        struct tm parts {};
        if (const ASN1_TIME* next = X509_CRL_get0_nextUpdate(loaded.crl.get());
            next && ASN1_TIME_to_tm(next, &parts) == 1)
            loaded.next_update = timegm(&parts);
        parts = {};
        if (const ASN1_TIME* issued = X509_CRL_get0_lastUpdate(loaded.crl.get());
            issued && ASN1_TIME_to_tm(issued, &parts) == 1)
            loaded.this_update = timegm(&parts);
    }
    return crls;
}

std::string utc_text(std::time_t time) {
    struct tm parts {};
    gmtime_r(&time, &parts);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &parts);
    return buffer;
}

}  // namespace

struct Verifier::Impl {
    TrustOptions options;  // its anchors and crls as given first: the generation has the current

    mutable std::mutex generation_mutex;
    std::shared_ptr<const TrustGeneration> generation;

    // Decoding a certificate and its key again for every package costs more than the
    // signature check itself: both caches are keyed on the exact bytes received.
    mutable std::mutex mutex;
    mutable std::map<std::string, std::shared_ptr<CachedCertificate>> certificates;
    mutable std::map<std::string, ChainVerdict> chains;
    static constexpr std::size_t kMaxCacheEntries = 512;
    // Certificates come from hostile packages: the cache is bounded in bytes too, and a
    // certificate larger than any real one is checked but not kept.
    static constexpr std::size_t kMaxCachedCertificateBytes = 4u * 1024u * 1024u;
    static constexpr std::size_t kMaxCachedCertificate = 16u * 1024u;
    mutable std::size_t cached_certificate_bytes = 0;
    mutable std::size_t cached_chain_bytes = 0;

    std::shared_ptr<CachedCertificate> certificate(const std::string& base64) const;
    ChainVerdict check_chain(const std::vector<std::shared_ptr<CachedCertificate>>& chain,
                             const std::string& cache_key, std::optional<std::time_t> at) const;
    VerifyResult verify_document(xmlDoc* doc, std::optional<std::time_t> at) const;
    std::shared_ptr<const TrustGeneration> current() const {
        std::lock_guard<std::mutex> lock(generation_mutex);
        return generation;
    }
    // A store with the anchors and the CRLs read now from these paths; throws Error(io).
    std::shared_ptr<const TrustGeneration> load_generation(
        const std::vector<std::string>& anchor_paths,
        const std::vector<std::string>& crl_paths) const;
    void replace_generation(std::shared_ptr<const TrustGeneration> fresh);
};

std::shared_ptr<const TrustGeneration> Verifier::Impl::load_generation(
    const std::vector<std::string>& anchor_paths, const std::vector<std::string>& crl_paths) const {
    auto loaded = std::make_shared<TrustGeneration>();
    loaded->anchor_paths = anchor_paths;
    loaded->crl_paths = crl_paths;
    loaded->store.reset(X509_STORE_new());
    if (!loaded->store)
        throw Error(ErrorCode::io, "cannot create a certificate store");
    for (const std::string& path : anchor_paths) {
        for (const auto& file : pem_files_under(path)) {
            const std::string pem = detail::read_file(file.string(), "trust anchor");
            BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
            while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
                const detail::X509Ptr anchor(cert);  // the store takes its own reference
                X509_STORE_add_cert(loaded->store.get(), anchor.get());
                ++loaded->anchors;
            }
            BIO_free(bio);
            detail::take_openssl_error();  // the loop ends on "no start line"
        }
    }
    if (!options.use_system_store && loaded->anchors == 0)
        throw Error(ErrorCode::io, "no trust anchor certificate found in the configured paths");
    if (options.use_system_store)
        X509_STORE_set_default_paths(loaded->store.get());
    for (const std::string& path : crl_paths) {
        for (const auto& file : crl_files_under(path)) {
            for (LoadedCrl& crl : read_crls(file)) {
                X509_STORE_add_crl(loaded->store.get(), crl.crl.get());
                loaded->crl_next_update = std::min(loaded->crl_next_update, crl.next_update);
                loaded->crls.push_back(std::move(crl));
            }
        }
    }
    if (!loaded->crls.empty())
        X509_STORE_set_flags(loaded->store.get(),
                             X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
    X509_STORE_set_verify_cb(loaded->store.get(), verify_with_crl_grace);
    return loaded;
}

std::shared_ptr<CachedCertificate> Verifier::Impl::certificate(const std::string& base64) const {
    {
        std::lock_guard<std::mutex> lock(mutex);
        const auto found = certificates.find(base64);
        if (found != certificates.end())
            return found->second;
    }
    std::string der;
    try {
        der = decode_base64(base64);
    } catch (const Error&) {
        return nullptr;
    }
    auto entry = std::make_shared<CachedCertificate>();
    entry->cert = detail::certificate_from_der(der);
    if (!entry->cert)
        return nullptr;
    entry->public_key = X509_get0_pubkey(entry->cert.get());
    if (!entry->public_key || EVP_PKEY_get_base_id(entry->public_key) != EVP_PKEY_RSA)
        return nullptr;
    entry->info = detail::describe_certificate(entry->cert.get());
    if (base64.size() > kMaxCachedCertificate)
        return entry;
    std::lock_guard<std::mutex> lock(mutex);
    if (certificates.size() >= kMaxCacheEntries ||
        cached_certificate_bytes + base64.size() > kMaxCachedCertificateBytes) {
        certificates.clear();
        cached_certificate_bytes = 0;
    }
    if (certificates.emplace(base64, entry).second)
        cached_certificate_bytes += base64.size();
    return entry;
}

ChainVerdict Verifier::Impl::check_chain(
    const std::vector<std::shared_ptr<CachedCertificate>>& chain, const std::string& cache_key,
    std::optional<std::time_t> at) const {
    const std::time_t now = std::time(nullptr);
    if (!at) {
        std::lock_guard<std::mutex> lock(mutex);
        const auto found = chains.find(cache_key);
        if (found != chains.end() && now < found->second.valid_until)
            return found->second;
    }
    detail::X509StackPtr untrusted(sk_X509_new_null());
    for (std::size_t i = 1; i < chain.size(); ++i)
        sk_X509_push(untrusted.get(), chain[i]->cert.get());
    const std::shared_ptr<const TrustGeneration> trust = current();
    detail::X509StoreCtxPtr context(X509_STORE_CTX_new());
    ChainVerdict result;
    if (!context || X509_STORE_CTX_init(context.get(), trust->store.get(), chain[0]->cert.get(),
                                        untrusted.get()) != 1) {
        result.reason = "cannot set up certificate verification: " + detail::take_openssl_error();
        return result;
    }
    if (at)
        X509_STORE_CTX_set_time(context.get(), 0, *at);
    CrlGrace grace{at.value_or(now), options.crl_grace_seconds, false, {}};
    X509_STORE_CTX_set_ex_data(context.get(), crl_grace_index(), &grace);
    if (X509_verify_cert(context.get()) == 1) {
        result.verdict = Verdict::valid;
        result.reason = "the signature holds and the certificate chains to a trust anchor";
        if (grace.used_stale)
            result.reason += "; note: the CRL of " + grace.stale_issuer +
                             " is past its nextUpdate (accepted within the grace of " +
                             std::to_string(options.crl_grace_seconds) + " s)";
        STACK_OF(X509)* verified = X509_STORE_CTX_get0_chain(context.get());
        if (verified && sk_X509_num(verified) > 1)
            result.issuer_der = detail::certificate_der(sk_X509_value(verified, 1));
        // A signing certificate: not a CA, allowed to sign, and a key of a useful size.
        X509* signer = chain[0]->cert.get();
        const uint32_t flags = X509_get_extension_flags(signer);
        if (flags & EXFLAG_CA) {
            result.verdict = Verdict::untrusted;
            result.reason =
                "the signing certificate is a CA certificate, not an organisation's signing "
                "certificate";
        } else if ((flags & EXFLAG_KUSAGE) &&
                   !(X509_get_key_usage(signer) & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION))) {
            result.verdict = Verdict::untrusted;
            result.reason =
                "the signing certificate's key usage allows neither digitalSignature nor "
                "nonRepudiation";
        } else if (EVP_PKEY_get_bits(chain[0]->public_key) < 2048) {
            result.verdict = Verdict::untrusted;
            result.reason = "the signing key has " +
                            std::to_string(EVP_PKEY_get_bits(chain[0]->public_key)) +
                            " bits; at least 2048 are required";
        }
    } else {
        const int error = X509_STORE_CTX_get_error(context.get());
        const int depth = X509_STORE_CTX_get_error_depth(context.get());
        switch (error) {
            case X509_V_ERR_CERT_HAS_EXPIRED:
                result.verdict = Verdict::expired;
                break;
            case X509_V_ERR_CERT_NOT_YET_VALID:
                result.verdict = Verdict::not_yet_valid;
                break;
            case X509_V_ERR_CERT_REVOKED:
                result.verdict = Verdict::revoked;
                break;
            default:
                result.verdict = Verdict::untrusted;
                break;
        }
        result.reason = std::string("certificate chain: ") + X509_verify_cert_error_string(error) +
                        " (at depth " + std::to_string(depth) + ")";
        if (error == X509_V_ERR_UNABLE_TO_GET_CRL)
            result.reason += ": every CA of the chain needs its CRL in verify.crl";
        if (error == X509_V_ERR_CRL_HAS_EXPIRED)
            result.reason += ": load a fresh CRL (it is reloaded on schedule and on SIGHUP)";
        detail::take_openssl_error();
    }
    // Reuse for ten minutes, never past a time when the verdict could change: the first
    // expiry in the chain, a certificate becoming valid, the next update of a CRL.
    result.valid_until = std::min(now + 600, trust->crl_next_update);
    for (const auto& entry : chain) {
        for (const ASN1_TIME* limit :
             {X509_get0_notAfter(entry->cert.get()), X509_get0_notBefore(entry->cert.get())}) {
            struct tm parts {};
            if (ASN1_TIME_to_tm(limit, &parts) == 1 && timegm(&parts) > now)
                result.valid_until = std::min(result.valid_until, timegm(&parts));
        }
    }
    if (!at && cache_key.size() <= 4 * kMaxCachedCertificate) {
        std::lock_guard<std::mutex> lock(mutex);
        if (chains.size() >= kMaxCacheEntries ||
            cached_chain_bytes + cache_key.size() > kMaxCachedCertificateBytes) {
            chains.clear();
            cached_chain_bytes = 0;
        }
        if (chains.insert_or_assign(cache_key, result).second)
            cached_chain_bytes += cache_key.size();
    }
    return result;
}

VerifyResult Verifier::Impl::verify_document(xmlDoc* doc, std::optional<std::time_t> at) const {
    VerifyResult result;
    SignatureLayout layout;
    try {
        layout = check_layout(doc, options.allow_sha1, result);
    } catch (const Refusal& refusal) {
        result.verdict = refusal.verdict;
        result.reason = refusal.reason;
        return result;
    }
    if (layout.certificates_base64.empty()) {
        result.verdict = Verdict::untrusted;
        result.reason = "KeyInfo carries no X509Certificate: the signer cannot be identified";
        return result;
    }
    std::vector<std::shared_ptr<CachedCertificate>> chain;
    std::string cache_key;
    for (const std::string& base64 : layout.certificates_base64) {
        auto entry = certificate(base64);
        if (!entry) {
            result.verdict = Verdict::invalid;
            result.reason = "a KeyInfo X509Certificate is not a readable RSA certificate";
            return result;
        }
        chain.push_back(std::move(entry));
        cache_key += base64;
        cache_key += '|';
    }
    result.signer = chain.front()->info;

    // Digest of what the Reference covers, then the signature over SignedInfo, with the
    // key of the first certificate only.
    try {
        const std::string digest = detail::digest_canonical_form(
            doc, layout.reference_subtree, layout.signature, layout.reference_c14n, layout.digest);
        if (digest != layout.digest_value) {
            result.verdict = Verdict::invalid;
            result.reason = "digest mismatch: the signed content changed after signing";
            return result;
        }
        const std::string signed_info =
            detail::canonical_subtree(doc, layout.signed_info, layout.signed_info_c14n);
        if (!detail::verify_rsa(chain.front()->public_key, layout.signature_digest, signed_info,
                                layout.signature_value)) {
            result.verdict = Verdict::invalid;
            result.reason =
                "signature value mismatch: SignedInfo changed, or the KeyInfo certificate is "
                "not the key that signed";
            return result;
        }
    } catch (const std::exception& error) {
        result.verdict = Verdict::invalid;
        result.reason = std::string("the signature could not be checked: ") + error.what();
        return result;
    }

    const ChainVerdict trust = check_chain(chain, cache_key, at);
    result.verdict = trust.verdict;
    result.reason = trust.reason;
    // OCSP after the chain holds; a responder that cannot be asked leaves the CRL verdict
    // (soft fail, noted), a certificate it does not know is not trusted.
    if (result.verdict == Verdict::valid && options.online_revocation &&
        !trust.issuer_der.empty()) {
        const RevocationStatus online = options.online_revocation->status(
            detail::certificate_der(chain.front()->cert.get()), trust.issuer_der);
        switch (online.answer) {
            case RevocationAnswer::good:
                result.reason += "; OCSP: good";
                break;
            case RevocationAnswer::revoked:
                result.verdict = Verdict::revoked;
                result.reason = "OCSP: the signing certificate is revoked: " + online.reason;
                break;
            case RevocationAnswer::unknown:
                result.verdict = Verdict::untrusted;
                result.reason =
                    "OCSP: the responder does not know the signing certificate: " + online.reason;
                break;
            case RevocationAnswer::unavailable:
                result.reason += "; note: OCSP unavailable (" + online.reason + "), CRLs only";
                break;
        }
    }
    if (result.verdict == Verdict::valid &&
        (result.signature_method == dsig::kRsaSha1 || result.digest_method == dsig::kSha1))
        result.reason += "; note: SHA-1 algorithms (legacy)";
    return result;
}

Verifier::Verifier(const TrustOptions& options) : impl_(std::make_unique<Impl>()) {
    impl_->options = options;
    impl_->generation = impl_->load_generation(options.anchors, options.crls);
}

void Verifier::Impl::replace_generation(std::shared_ptr<const TrustGeneration> fresh) {
    {
        std::lock_guard<std::mutex> lock(generation_mutex);
        generation = std::move(fresh);
    }
    // A verdict cached under the old anchors or CRLs may no longer hold.
    std::lock_guard<std::mutex> lock(mutex);
    chains.clear();
    cached_chain_bytes = 0;
}

void Verifier::reload_crls() {
    const auto now = impl_->current();
    impl_->replace_generation(impl_->load_generation(now->anchor_paths, now->crl_paths));
}

std::size_t Verifier::reload_trust(const std::vector<std::string>& anchors,
                                   const std::vector<std::string>& crls) {
    auto fresh = impl_->load_generation(anchors, crls);
    const std::size_t count = fresh->anchors;
    impl_->replace_generation(std::move(fresh));
    return count;
}

std::vector<std::string> Verifier::stale_crls(std::optional<std::time_t> at) const {
    const std::time_t now = at.value_or(std::time(nullptr));
    std::vector<std::string> stale;
    for (const LoadedCrl& crl : impl_->current()->crls) {
        if (crl.next_update < now)
            stale.push_back("CRL of " + crl.issuer + " (" + crl.source +
                            ") is past its nextUpdate " + utc_text(crl.next_update));
    }
    return stale;
}

std::vector<Verifier::CrlFacts> Verifier::crls() const {
    std::vector<CrlFacts> facts;
    for (const LoadedCrl& crl : impl_->current()->crls)
        facts.push_back({crl.source, crl.issuer, crl.this_update, crl.next_update});
    return facts;
}

Verifier::~Verifier() = default;
Verifier::Verifier(Verifier&&) noexcept = default;
Verifier& Verifier::operator=(Verifier&&) noexcept = default;

namespace {

// Parses with the hardened parser and verifies; the parsed document is left for reading.
VerifyResult parse_and_verify(const Verifier::Impl& impl, detail::ParsedXml& parsed,
                              std::optional<std::time_t> at) {
    VerifyResult result;
    if (!parsed.doc) {
        result.verdict = Verdict::unsafe;
        result.reason = "the package is not readable XML: " + parsed.error.message;
        return result;
    }
    result = impl.verify_document(parsed.doc.get(), at);
    // A document that is not namespace-well-formed has no defined canonical form.
    if (result.verdict == Verdict::valid && !parsed.ns_errors.empty()) {
        result.verdict = Verdict::unsafe;
        result.reason =
            "the package is not namespace-well-formed: " + parsed.ns_errors.front().message;
    }
    return result;
}

}  // namespace

VerifyResult Verifier::verify(std::string_view package, std::optional<std::time_t> at) const {
    detail::ParsedXml parsed = detail::parse_untrusted_xml(package, ReadLimits{});
    return parse_and_verify(*impl_, parsed, at);
}

Verifier::Verified Verifier::verify_and_read(std::string_view package, const ReadOptions& options,
                                             std::optional<std::time_t> at) const {
    Verified verified;
    detail::ParsedXml parsed = detail::parse_untrusted_xml(package, options.limits);
    verified.signature = parse_and_verify(*impl_, parsed, at);
    verified.package = detail::read_parsed_package(parsed, options);
    return verified;
}

}  // namespace edxml
