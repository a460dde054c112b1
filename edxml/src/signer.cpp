// The XML-DSig signer: an enveloped signature over the whole document (URI=""), with
// exclusive C14N, RSA-SHA256 by default, appended as the last child of edXMLHeader.
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <xmlsec/crypto.h>
#include <xmlsec/templates.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmltree.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "crypto_support.hpp"
#include "edxml/attachments.hpp"
#include "edxml/signature.hpp"
#include "xml_document.hpp"

namespace edxml {

struct SigningCredentials::Impl {
    detail::EvpPkeyPtr private_key;
    detail::X509Ptr certificate;
    std::vector<detail::X509Ptr> chain;
    detail::XmlSecKeyPtr xmlsec_key;
    std::vector<std::string> certificates_base64;  // leaf first, for KeyInfo
};

namespace {

std::string read_file(const std::string& path, const char* what) {
    std::ifstream file(path, std::ios::binary);
    if (!file)
        throw Error(ErrorCode::io, std::string("cannot read ") + what + " " + path);
    std::ostringstream bytes;
    bytes << file.rdbuf();
    return bytes.str();
}

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
    detail::ensure_xmlsec_initialised();
    if (EVP_PKEY_get_base_id(impl->private_key.get()) != EVP_PKEY_RSA) {
        throw Error(ErrorCode::invalid_value, "only RSA signing keys are supported");
    }
    if (X509_check_private_key(impl->certificate.get(), impl->private_key.get()) != 1) {
        ERR_clear_error();
        throw Error(ErrorCode::invalid_value, "the private key does not match the certificate");
    }
    impl->xmlsec_key = detail::make_xmlsec_key(impl->private_key.get());
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

xmlSecTransformId signature_transform(SignatureAlgorithm algorithm) {
    return algorithm == SignatureAlgorithm::rsa_sha1 ? xmlSecTransformRsaSha1Id
                                                     : xmlSecTransformRsaSha256Id;
}

xmlSecTransformId digest_transform(SignatureAlgorithm algorithm) {
    return algorithm == SignatureAlgorithm::rsa_sha1 ? xmlSecTransformSha1Id
                                                     : xmlSecTransformSha256Id;
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

std::string sign_package(std::string_view package, const SigningCredentials& credentials,
                         const SignOptions& options) {
    detail::ensure_xmlsec_initialised();
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
    auto is_edxml = [](xmlNode* node, std::string_view name) {
        return node && name == detail::local_name(node) &&
               std::string_view(detail::namespace_of(node)) == kEdxmlNamespace;
    };
    xmlNode* header = nullptr;
    if (is_edxml(root, "edXML")) {
        for (xmlNode* envelope : detail::children(root)) {
            if (!is_edxml(envelope, "edXMLEnvelope"))
                continue;
            for (xmlNode* child : detail::children(envelope)) {
                if (is_edxml(child, "edXMLHeader"))
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

    xmlNode* signature = xmlSecTmplSignatureCreate(doc, xmlSecTransformExclC14NId,
                                                   signature_transform(options.algorithm), nullptr);
    if (!signature)
        throw Error(ErrorCode::io,
                    "cannot create the signature template: " + detail::take_xmlsec_errors());
    xmlAddChild(header, signature);
    xmlNode* reference = xmlSecTmplSignatureAddReference(
        signature, digest_transform(options.algorithm), nullptr, BAD_CAST "", nullptr);
    if (!reference || !xmlSecTmplReferenceAddTransform(reference, xmlSecTransformEnvelopedId) ||
        !xmlSecTmplReferenceAddTransform(reference, xmlSecTransformExclC14NId)) {
        throw Error(ErrorCode::io,
                    "cannot build the signature template: " + detail::take_xmlsec_errors());
    }

    detail::XmlSecDSigCtxPtr context(xmlSecDSigCtxCreate(nullptr));
    if (!context)
        throw Error(ErrorCode::io, "cannot create an xmlsec context");
    context->signKey = credentials.impl().xmlsec_key.get();
    const int status = xmlSecDSigCtxSign(context.get(), signature);
    context->signKey = nullptr;  // owned by the credentials
    if (status < 0)
        throw Error(ErrorCode::io, "signing failed: " + detail::take_xmlsec_errors() + " " +
                                       detail::take_openssl_error());

    // KeyInfo is outside SignedInfo and outside the signed content: written after signing.
    xmlNs* dsig = xmlSearchNsByHref(doc, signature, BAD_CAST kXmlDsigNamespace);
    xmlNode* key_info = xmlNewChild(signature, dsig, BAD_CAST "KeyInfo", nullptr);
    xmlNode* x509_data = xmlNewChild(key_info, dsig, BAD_CAST "X509Data", nullptr);
    for (const std::string& base64 : credentials.impl().certificates_base64) {
        xmlNewTextChild(x509_data, dsig, BAD_CAST "X509Certificate",
                        BAD_CAST("\n" + base64 + "\n").c_str());
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
