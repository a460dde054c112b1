// The XML-DSig verifier. Order matters: the structure of the signature is checked first
// (what was signed), then the signature value and digest (xmlsec, with the key of the
// KeyInfo certificate and nothing else), then the certificate chain against our anchors
// only (OpenSSL, never the system store unless configured).
#include <openssl/pem.h>
#include <xmlsec/crypto.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/transforms.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmltree.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "crypto_support.hpp"
#include "edxml/attachments.hpp"
#include "edxml/signature.hpp"
#include "xml_document.hpp"

namespace edxml {
namespace {

using detail::children;
using detail::local_name;
using detail::namespace_of;

constexpr const char* kEnveloped = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

const char* const kCanonicalizations[] = {
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments",
    "http://www.w3.org/2006/12/xml-c14n11",
    "http://www.w3.org/2006/12/xml-c14n11#WithComments",
    "http://www.w3.org/2001/10/xml-exc-c14n#",
    "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
};
const char* const kStrongSignatureMethods[] = {
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
};
constexpr const char* kRsaSha1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
const char* const kStrongDigestMethods[] = {
    "http://www.w3.org/2001/04/xmlenc#sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512",
};
constexpr const char* kSha1 = "http://www.w3.org/2000/09/xmldsig#sha1";

template <std::size_t N>
bool one_of(const std::string& value, const char* const (&list)[N]) {
    return std::any_of(std::begin(list), std::end(list),
                       [&](const char* item) { return value == item; });
}

bool is_dsig(const xmlNode* node, std::string_view name) {
    return node && node->type == XML_ELEMENT_NODE && name == local_name(node) &&
           std::string_view(namespace_of(node)) == kXmlDsigNamespace;
}

bool is_edxml_element(const xmlNode* node, std::string_view name) {
    return node && node->type == XML_ELEMENT_NODE && name == local_name(node) &&
           std::string_view(namespace_of(node)) == kEdxmlNamespace;
}

std::string attribute(const xmlNode* node, const char* name) {
    detail::XmlCharPtr value(xmlGetProp(node, BAD_CAST name));
    return value ? reinterpret_cast<const char*>(value.get()) : "";
}

bool has_attribute(const xmlNode* node, const char* name) {
    return xmlHasProp(node, BAD_CAST name) != nullptr;
}

// The structural verdict: what was signed, before whether it holds.
struct SignatureLayout {
    xmlNode* signature = nullptr;
    std::vector<std::string> certificates_base64;  // KeyInfo/X509Data/X509Certificate, in order
};

// Thrown inside check_layout: the verdict and why.
struct Refusal {
    Verdict verdict;
    std::string reason;
};

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
    xmlNode* signed_info = parts[0];
    std::vector<xmlNode*> references;
    for (xmlNode* child : children(signed_info)) {
        if (is_dsig(child, "CanonicalizationMethod")) {
            out.canonicalization_method = attribute(child, "Algorithm");
        } else if (is_dsig(child, "SignatureMethod")) {
            out.signature_method = attribute(child, "Algorithm");
        } else if (is_dsig(child, "Reference")) {
            references.push_back(child);
        } else {
            throw Refusal(Verdict::unsafe, std::string("unexpected element '") + local_name(child) +
                                               "' in SignedInfo");
        }
    }
    if (!one_of(out.canonicalization_method, kCanonicalizations)) {
        throw Refusal(Verdict::unsafe, "canonicalization method '" + out.canonicalization_method +
                                           "' is not a C14N algorithm");
    }
    const bool sha1_signature = out.signature_method == kRsaSha1;
    if (!one_of(out.signature_method, kStrongSignatureMethods) && !(sha1_signature && allow_sha1)) {
        throw Refusal(Verdict::unsafe,
                      "signature method '" + out.signature_method + "' is not accepted");
    }
    if (references.size() != 1) {
        throw Refusal(Verdict::unsafe, std::to_string(references.size()) +
                                           " References in SignedInfo: exactly one is allowed");
    }

    // The Reference covers the whole document: URI="" or "#<Id of the root>".
    xmlNode* reference = references.front();
    if (!has_attribute(reference, "URI")) {
        throw Refusal(Verdict::unsafe,
                      "the Reference has no URI attribute: what it covers is undefined");
    }
    const std::string uri = attribute(reference, "URI");
    if (!uri.empty()) {
        const std::string id = uri.substr(1);
        const char* id_attributes[] = {"Id", "ID", "id"};
        xmlAttr* root_id = nullptr;
        for (const char* name : id_attributes) {
            xmlAttr* candidate = xmlHasProp(root, BAD_CAST name);
            if (candidate && attribute(root, name) == id)
                root_id = candidate;
        }
        if (uri.front() != '#' || id.empty() || !root_id) {
            throw Refusal(Verdict::unsafe, "Reference URI '" + uri +
                                               "' does not designate the whole document (\"\" or "
                                               "the Id of the root element)");
        }
        // Register the root's Id explicitly (no DTD declares it), as xmlsec's verify4.c.
        xmlAddID(nullptr, doc, BAD_CAST id.c_str(), root_id);
    }
    bool enveloped = false;
    for (xmlNode* child : children(reference)) {
        if (is_dsig(child, "Transforms")) {
            for (xmlNode* transform : children(child)) {
                const std::string algorithm = attribute(transform, "Algorithm");
                if (!is_dsig(transform, "Transform") ||
                    (algorithm != kEnveloped && !one_of(algorithm, kCanonicalizations))) {
                    throw Refusal(Verdict::unsafe, "transform '" + algorithm +
                                                       "' is refused: only enveloped-signature "
                                                       "and C14N transforms are allowed");
                }
                enveloped = enveloped || algorithm == kEnveloped;
            }
        } else if (is_dsig(child, "DigestMethod")) {
            out.digest_method = attribute(child, "Algorithm");
        } else if (!is_dsig(child, "DigestValue")) {
            throw Refusal(Verdict::unsafe, std::string("unexpected element '") + local_name(child) +
                                               "' in Reference");
        }
    }
    if (!enveloped) {
        throw Refusal(Verdict::unsafe, "the Reference lacks the enveloped-signature transform");
    }
    if (!one_of(out.digest_method, kStrongDigestMethods) &&
        !(out.digest_method == kSha1 && allow_sha1)) {
        throw Refusal(Verdict::unsafe, "digest method '" + out.digest_method + "' is not accepted");
    }

    // KeyInfo: certificates only; nothing that would make the verifier fetch a key.
    SignatureLayout layout;
    layout.signature = signature;
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
    detail::XmlSecKeyPtr key;  // the certificate's public key, for xmlsec
};

struct ChainVerdict {
    Verdict verdict = Verdict::untrusted;
    std::string reason;
    std::time_t valid_until = 0;  // cache entries are reused until then
};

std::vector<std::filesystem::path> pem_files_under(const std::string& path) {
    namespace fs = std::filesystem;
    std::vector<fs::path> files;
    std::error_code error;
    if (fs::is_directory(path, error)) {
        for (const auto& entry : fs::directory_iterator(path)) {
            const std::string extension = entry.path().extension().string();
            if (entry.is_regular_file() &&
                (extension == ".pem" || extension == ".crt" || extension == ".cer"))
                files.push_back(entry.path());
        }
        std::sort(files.begin(), files.end());
    } else if (fs::is_regular_file(path, error)) {
        files.emplace_back(path);
    } else {
        throw Error(ErrorCode::io, "trust anchor '" + path + "' is neither a file nor a directory");
    }
    return files;
}

std::string read_whole_file(const std::filesystem::path& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file)
        throw Error(ErrorCode::io, "cannot read " + path.string());
    std::ostringstream bytes;
    bytes << file.rdbuf();
    return bytes.str();
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
    }
    return "?";
}

struct Verifier::Impl {
    TrustOptions options;
    detail::X509StorePtr store;

    // Decoding a certificate and its key again for every package costs more than the
    // signature check itself: both caches are keyed on the exact bytes received.
    mutable std::mutex mutex;
    mutable std::map<std::string, std::shared_ptr<CachedCertificate>> certificates;
    mutable std::map<std::string, ChainVerdict> chains;
    static constexpr std::size_t kMaxCacheEntries = 512;

    std::shared_ptr<CachedCertificate> certificate(const std::string& base64) const;
    ChainVerdict check_chain(const std::vector<std::shared_ptr<CachedCertificate>>& chain,
                             const std::string& cache_key, std::optional<std::time_t> at) const;
    VerifyResult verify_document(xmlDoc* doc, std::optional<std::time_t> at) const;
};

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
    EVP_PKEY* public_key = X509_get0_pubkey(entry->cert.get());
    if (!public_key)
        return nullptr;
    try {
        entry->key = detail::make_xmlsec_key(public_key);
    } catch (const Error&) {
        return nullptr;
    }
    std::lock_guard<std::mutex> lock(mutex);
    if (certificates.size() >= kMaxCacheEntries)
        certificates.clear();
    certificates.emplace(base64, entry);
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
    detail::X509StoreCtxPtr context(X509_STORE_CTX_new());
    ChainVerdict result;
    if (!context || X509_STORE_CTX_init(context.get(), store.get(), chain[0]->cert.get(),
                                        untrusted.get()) != 1) {
        result.reason = "cannot set up certificate verification: " + detail::take_openssl_error();
        return result;
    }
    if (at)
        X509_STORE_CTX_set_time(context.get(), 0, *at);
    if (X509_verify_cert(context.get()) == 1) {
        result.verdict = Verdict::valid;
        result.reason = "the signature holds and the certificate chains to a trust anchor";
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
        detail::take_openssl_error();
    }
    // Reuse for ten minutes, never past the first expiry in the chain.
    result.valid_until = now + 600;
    for (const auto& entry : chain) {
        struct tm parts {};
        if (ASN1_TIME_to_tm(X509_get0_notAfter(entry->cert.get()), &parts) == 1)
            result.valid_until = std::min(result.valid_until, timegm(&parts));
    }
    if (!at) {
        std::lock_guard<std::mutex> lock(mutex);
        if (chains.size() >= kMaxCacheEntries)
            chains.clear();
        chains[cache_key] = result;
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
            result.reason = "a KeyInfo X509Certificate is not a readable certificate";
            return result;
        }
        chain.push_back(std::move(entry));
        cache_key += base64;
        cache_key += '|';
    }
    result.signer = detail::describe_certificate(chain.front()->cert.get());

    // Signature value and digest, with the key of the first certificate only.
    detail::XmlSecDSigCtxPtr context(xmlSecDSigCtxCreate(nullptr));
    if (!context) {
        result.verdict = Verdict::unsafe;
        result.reason = "cannot create an xmlsec context";
        return result;
    }
    context->enabledReferenceUris = static_cast<xmlSecTransformUriType>(
        xmlSecTransformUriTypeEmpty | xmlSecTransformUriTypeSameDocument);
    context->signKey = chain.front()->key.get();
    detail::take_xmlsec_errors();
    const int status = xmlSecDSigCtxVerify(context.get(), layout.signature);
    const std::string xmlsec_errors = detail::take_xmlsec_errors();
    bool references_ok = true;
    const xmlSecSize count = xmlSecPtrListGetSize(&context->signedInfoReferences);
    for (xmlSecSize i = 0; i < count; ++i) {
        auto* reference = static_cast<xmlSecDSigReferenceCtxPtr>(
            xmlSecPtrListGetItem(&context->signedInfoReferences, i));
        references_ok =
            references_ok && reference && reference->status == xmlSecDSigStatusSucceeded;
    }
    const bool holds = status == 0 && context->status == xmlSecDSigStatusSucceeded;
    context->signKey = nullptr;  // owned by the cache, not by the context
    if (status < 0) {
        result.verdict = Verdict::invalid;
        result.reason = "the signature could not be processed: " +
                        (xmlsec_errors.empty() ? std::string("xmlsec error") : xmlsec_errors);
        return result;
    }
    if (!holds) {
        result.verdict = Verdict::invalid;
        result.reason = !references_ok
                            ? "digest mismatch: the signed content changed after signing"
                            : "signature value mismatch: SignedInfo changed, or the KeyInfo "
                              "certificate is not the key that signed";
        return result;
    }

    const ChainVerdict trust = check_chain(chain, cache_key, at);
    result.verdict = trust.verdict;
    result.reason = trust.reason;
    if (result.verdict == Verdict::valid &&
        (result.signature_method == kRsaSha1 || result.digest_method == kSha1))
        result.reason += "; note: SHA-1 algorithms (legacy)";
    return result;
}

Verifier::Verifier(const TrustOptions& options) : impl_(std::make_unique<Impl>()) {
    detail::ensure_xmlsec_initialised();
    impl_->options = options;
    impl_->store.reset(X509_STORE_new());
    if (!impl_->store)
        throw Error(ErrorCode::io, "cannot create a certificate store");
    std::size_t anchors = 0;
    for (const std::string& path : options.anchors) {
        for (const auto& file : pem_files_under(path)) {
            const std::string pem = read_whole_file(file);
            BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
            while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
                X509_STORE_add_cert(impl_->store.get(), cert);
                X509_free(cert);
                ++anchors;
            }
            BIO_free(bio);
            detail::take_openssl_error();  // the loop ends on "no start line"
        }
    }
    if (options.use_system_store) {
        X509_STORE_set_default_paths(impl_->store.get());
    } else if (anchors == 0) {
        throw Error(ErrorCode::io, "no trust anchor certificate found in the configured paths");
    }
    for (const std::string& path : options.crls) {
        const std::string bytes = read_whole_file(path);
        BIO* bio = BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size()));
        detail::X509CrlPtr crl(PEM_read_bio_X509_CRL(bio, nullptr, nullptr, nullptr));
        if (!crl) {
            const auto* der = reinterpret_cast<const unsigned char*>(bytes.data());
            crl.reset(d2i_X509_CRL(nullptr, &der, static_cast<long>(bytes.size())));
        }
        BIO_free(bio);
        if (!crl)
            throw Error(ErrorCode::io,
                        "cannot read CRL " + path + ": " + detail::take_openssl_error());
        X509_STORE_add_crl(impl_->store.get(), crl.get());
    }
    if (!options.crls.empty())
        X509_STORE_set_flags(impl_->store.get(), X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
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
