// The XML-DSig signer: an enveloped signature over the whole document (URI=""), with
// exclusive C14N, RSA-SHA256 by default, appended as the last child of edXMLHeader.
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "crypto_support.hpp"
#include "edxml/attachments.hpp"
#include "edxml/signature.hpp"
#include "xml_document.hpp"
#include "xmldsig_core.hpp"

namespace edxml {

struct SigningCredentials::Impl {
    detail::EvpPkeyPtr private_key;
    detail::X509Ptr certificate;
    std::vector<detail::X509Ptr> chain;
    std::vector<std::string> certificates_base64;  // leaf first, for KeyInfo
};

namespace {

using detail::read_file;

struct BioFree {
    void operator()(BIO* bio) const { BIO_free(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

BioPtr memory_bio(const std::string& bytes) {
    return BioPtr(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

std::vector<detail::X509Ptr> read_certificates(const std::string& path, const char* what) {
    const std::string pem = read_file(path, what);
    BioPtr bio = memory_bio(pem);
    std::vector<detail::X509Ptr> certs;
    while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr))
        certs.emplace_back(cert);
    ERR_clear_error();
    if (certs.empty())
        throw Error(ErrorCode::invalid_value,
                    std::string("no PEM certificate in ") + what + " " + path);
    return certs;
}

// Checks the pair and prepares what every signature reuses.
std::shared_ptr<SigningCredentials::Impl> finish(std::shared_ptr<SigningCredentials::Impl> impl) {
    if (EVP_PKEY_get_base_id(impl->private_key.get()) != EVP_PKEY_RSA) {
        throw Error(ErrorCode::invalid_value, "only RSA signing keys are supported");
    }
    if (X509_check_private_key(impl->certificate.get(), impl->private_key.get()) != 1) {
        ERR_clear_error();
        throw Error(ErrorCode::invalid_value, "the private key does not match the certificate");
    }
    impl->certificates_base64.push_back(
        encode_base64(detail::certificate_der(impl->certificate.get()), 76));
    for (const auto& cert : impl->chain)
        impl->certificates_base64.push_back(encode_base64(detail::certificate_der(cert.get()), 76));
    return impl;
}

int passphrase_callback(char* buffer, int size, int, void* user) {
    const auto* passphrase = static_cast<const std::string*>(user);
    const int length =
        static_cast<int>(std::min<std::size_t>(passphrase->size(), static_cast<std::size_t>(size)));
    std::copy_n(passphrase->data(), length, buffer);
    return length;
}

// Appends <name>text</name> in the xmldsig namespace.
xmlNode* add(xmlNode* parent, xmlNs* ns, const char* name, const std::string& text = {}) {
    xmlNode* node = xmlNewChild(parent, ns, BAD_CAST name, nullptr);
    if (!text.empty())
        xmlNodeAddContent(node, BAD_CAST text.c_str());
    return node;
}

xmlNode* add_with_algorithm(xmlNode* parent, xmlNs* ns, const char* name, const char* algorithm) {
    xmlNode* node = add(parent, ns, name);
    xmlNewProp(node, BAD_CAST "Algorithm", BAD_CAST algorithm);
    return node;
}

std::string serialised(xmlDoc* doc, xmlNode* node) {
    struct BufferFree {
        void operator()(xmlBuffer* buffer) const { xmlBufferFree(buffer); }
    };
    std::unique_ptr<xmlBuffer, BufferFree> buffer(xmlBufferCreate());
    if (!buffer || xmlNodeDump(buffer.get(), doc, node, 0, 0) < 0)
        throw Error(ErrorCode::io, "cannot serialise the signature");
    return std::string(reinterpret_cast<const char*>(xmlBufferContent(buffer.get())),
                       static_cast<std::size_t>(xmlBufferLength(buffer.get())));
}

// Where the end tag of edXMLHeader starts in the original bytes, when the signature can be
// inserted there: UTF-8 input and an explicit end tag. Otherwise npos.
std::size_t header_end_tag_start(std::string_view package, const detail::ParsedXml& parsed) {
    const xmlDoc* doc = parsed.doc.get();
    const bool utf8 = !doc->encoding || xmlStrcasecmp(doc->encoding, BAD_CAST "UTF-8") == 0;
    const std::size_t end = parsed.header_end_offset;
    if (!utf8 || end < 3 || end > package.size() || package.substr(0, end).substr(end - 2) == "/>")
        return std::string_view::npos;
    const std::size_t start = package.rfind("</", end - 1);
    return start == std::string_view::npos ? start : start;
}

}  // namespace

std::string read_passphrase_file(const std::string& path) {
    std::ifstream file(path);
    if (!file)
        throw Error(ErrorCode::io, "cannot read passphrase file " + path);
    std::string line;
    std::getline(file, line);
    if (!line.empty() && line.back() == '\r')
        line.pop_back();
    return line;
}

std::string read_passphrase_environment(const std::string& variable) {
    const char* value = std::getenv(variable.c_str());
    if (!value)
        throw Error(ErrorCode::io, "environment variable " + variable + " is not set");
    return value;
}

SigningCredentials SigningCredentials::from_pem(const std::string& key_file,
                                                const std::string& cert_file,
                                                const std::string& chain_file,
                                                const std::string& passphrase) {
    auto impl = std::make_shared<Impl>();
    const std::string key_pem = read_file(key_file, "private key");
    BioPtr bio = memory_bio(key_pem);
    impl->private_key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, passphrase_callback,
                                                    const_cast<std::string*>(&passphrase)));
    if (!impl->private_key) {
        throw Error(ErrorCode::invalid_value,
                    "cannot read the private key " + key_file +
                        " (wrong passphrase?): " + detail::take_openssl_error());
    }
    auto certs = read_certificates(cert_file, "certificate");
    impl->certificate = std::move(certs.front());
    for (std::size_t i = 1; i < certs.size(); ++i)
        impl->chain.push_back(std::move(certs[i]));
    if (!chain_file.empty()) {
        for (auto& cert : read_certificates(chain_file, "chain"))
            impl->chain.push_back(std::move(cert));
    }
    return SigningCredentials(finish(std::move(impl)));
}

SigningCredentials SigningCredentials::from_pkcs12(const std::string& file,
                                                   const std::string& passphrase) {
    const std::string bytes = read_file(file, "PKCS#12 bundle");
    BioPtr bio = memory_bio(bytes);
    PKCS12* bundle = d2i_PKCS12_bio(bio.get(), nullptr);
    if (!bundle)
        throw Error(ErrorCode::invalid_value, "not a PKCS#12 file: " + file);
    EVP_PKEY* key = nullptr;
    X509* cert = nullptr;
    STACK_OF(X509)* ca = nullptr;
    const int parsed = PKCS12_parse(bundle, passphrase.c_str(), &key, &cert, &ca);
    PKCS12_free(bundle);
    if (parsed != 1 || !key || !cert) {
        EVP_PKEY_free(key);
        X509_free(cert);
        sk_X509_pop_free(ca, X509_free);
        throw Error(ErrorCode::invalid_value,
                    "cannot open PKCS#12 " + file +
                        " (wrong passphrase?): " + detail::take_openssl_error());
    }
    auto impl = std::make_shared<Impl>();
    impl->private_key.reset(key);
    impl->certificate.reset(cert);
    for (int i = 0; ca && i < sk_X509_num(ca); ++i)
        impl->chain.emplace_back(sk_X509_value(ca, i));
    sk_X509_free(ca);  // the certificates now belong to impl->chain
    return SigningCredentials(finish(std::move(impl)));
}

std::string SigningCredentials::subject() const {
    return detail::describe_certificate(impl_->certificate.get()).subject;
}

std::string SigningCredentials::fingerprint() const {
    return sha256_hex(detail::certificate_der(impl_->certificate.get()));
}

namespace {

// The first certificate of a PEM file; throws Error(io) naming the file.
detail::X509Ptr first_certificate_in(const std::string& certificate_pem_file) {
    const std::string pem = detail::read_file(certificate_pem_file, "certificate");
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    detail::X509Ptr certificate(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
    BIO_free(bio);
    if (!certificate)
        throw Error(ErrorCode::io, "cannot read certificate " + certificate_pem_file + ": " +
                                       detail::take_openssl_error());
    return certificate;
}

}  // namespace

std::string sign_detached(const SigningCredentials& credentials, std::string_view data) {
    return encode_base64(detail::sign_rsa(credentials.impl().private_key.get(), EVP_sha256(), data),
                         0);
}

bool verify_detached(const std::string& certificate_pem_file, std::string_view data,
                     const std::string& signature_base64) {
    const detail::X509Ptr certificate = first_certificate_in(certificate_pem_file);
    std::string signature;
    try {
        signature = decode_base64(signature_base64);
    } catch (const Error&) {
        return false;
    }
    EVP_PKEY* key = X509_get0_pubkey(certificate.get());
    return key && detail::verify_rsa(key, EVP_sha256(), data, signature);
}

std::string certificate_fingerprint(const std::string& certificate_pem_file) {
    const detail::X509Ptr certificate = first_certificate_in(certificate_pem_file);
    return sha256_hex(detail::certificate_der(certificate.get()));
}

std::string sign_package(std::string_view package, const SigningCredentials& credentials,
                         const SignOptions& options) {
    detail::ParsedXml parsed = detail::parse_untrusted_xml(package, options.limits);
    if (!parsed.doc)
        throw Error(parsed.error.code, "cannot sign: " + parsed.error.to_string());
    if (!parsed.ns_errors.empty()) {
        throw Error(ErrorCode::not_well_formed,
                    "cannot sign a package that is not namespace-well-formed (" +
                        parsed.ns_errors.front().message +
                        "): rewrite it with the canonical writer first");
    }
    xmlDoc* doc = parsed.doc.get();
    xmlNode* root = xmlDocGetRootElement(doc);
    xmlNode* header = nullptr;
    if (detail::is_edxml_element(root, "edXML")) {
        for (xmlNode* envelope : detail::children(root)) {
            if (!detail::is_edxml_element(envelope, "edXMLEnvelope"))
                continue;
            for (xmlNode* child : detail::children(envelope)) {
                if (detail::is_edxml_element(child, "edXMLHeader"))
                    header = child;
            }
        }
    }
    if (!header)
        throw Error(ErrorCode::missing_element, "cannot sign: no /edXML/edXMLEnvelope/edXMLHeader");
    for (xmlNode* child : detail::children(header)) {
        if (std::string_view(detail::local_name(child)) == "Signature") {
            throw Error(
                ErrorCode::duplicate,
                std::string("cannot sign: the package already has a Signature (namespace '") +
                    detail::namespace_of(child) + "')");
        }
    }

    const bool sha1 = options.algorithm == SignatureAlgorithm::rsa_sha1;
    const detail::Canonicalization exclusive =
        *detail::canonicalization_for(detail::dsig::kExcC14n);
    // The enveloped transform removes the Signature; before it exists, the document as it
    // is has the same canonical form.
    const std::string digest = detail::digest_canonical_form(doc, nullptr, nullptr, exclusive,
                                                             sha1 ? EVP_sha1() : EVP_sha256());

    xmlNode* signature = xmlNewDocNode(doc, nullptr, BAD_CAST "Signature", nullptr);
    xmlNs* ns = xmlNewNs(signature, BAD_CAST kXmlDsigNamespace, nullptr);
    xmlSetNs(signature, ns);
    xmlAddChild(header, signature);
    xmlNode* signed_info = add(signature, ns, "SignedInfo");
    add_with_algorithm(signed_info, ns, "CanonicalizationMethod", detail::dsig::kExcC14n);
    add_with_algorithm(signed_info, ns, "SignatureMethod",
                       sha1 ? detail::dsig::kRsaSha1 : detail::dsig::kRsaSha256);
    xmlNode* reference = add(signed_info, ns, "Reference");
    xmlNewProp(reference, BAD_CAST "URI", BAD_CAST "");
    xmlNode* transforms = add(reference, ns, "Transforms");
    add_with_algorithm(transforms, ns, "Transform", detail::dsig::kEnveloped);
    add_with_algorithm(transforms, ns, "Transform", detail::dsig::kExcC14n);
    add_with_algorithm(reference, ns, "DigestMethod",
                       sha1 ? detail::dsig::kSha1 : detail::dsig::kSha256);
    add(reference, ns, "DigestValue", encode_base64(digest, 0));

    const std::string canonical_signed_info =
        detail::canonical_subtree(doc, signed_info, exclusive);
    const std::string value =
        detail::sign_rsa(credentials.impl().private_key.get(), sha1 ? EVP_sha1() : EVP_sha256(),
                         canonical_signed_info);
    add(signature, ns, "SignatureValue", "\n" + encode_base64(value, 76) + "\n");
    xmlNode* x509_data = add(add(signature, ns, "KeyInfo"), ns, "X509Data");
    for (const std::string& base64 : credentials.impl().certificates_base64)
        add(x509_data, ns, "X509Certificate", "\n" + base64 + "\n");

    // Insert the Signature into the original bytes when possible: nothing else is
    // rewritten, and megabytes of attachments are not serialised again.
    const std::size_t insert_at = header_end_tag_start(package, parsed);
    if (insert_at != std::string_view::npos) {
        const std::string signature_text = serialised(doc, signature);
        std::string signed_bytes;
        signed_bytes.reserve(package.size() + signature_text.size());
        signed_bytes.append(package.substr(0, insert_at));
        signed_bytes.append(signature_text);
        signed_bytes.append(package.substr(insert_at));
        return signed_bytes;
    }
    xmlChar* output = nullptr;
    int size = 0;
    xmlDocDumpMemoryEnc(doc, &output, &size, "UTF-8");
    if (!output)
        throw Error(ErrorCode::io, "cannot serialise the signed package");
    std::string signed_bytes(reinterpret_cast<char*>(output), static_cast<std::size_t>(size));
    xmlFree(output);
    return signed_bytes;
}

}  // namespace edxml
