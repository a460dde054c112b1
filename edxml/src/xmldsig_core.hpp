// Internal: the XML-DSig building blocks of our profile (one Reference over the whole
// document, enveloped-signature + a C14N transform), on libxml2's C14N and OpenSSL's EVP.
//
// Why not the xmlsec library: the profile is narrow, and xmlsec's node-set pipeline plus
// a full re-serialisation cost 5-10x the cryptographic floor on large packages. Owning the
// pipeline also lets the verifier digest exactly the document the reader then reads. The
// xmlsec1 tool stays the interoperability reference in the tests.
#pragma once

#include <libxml/tree.h>
#include <openssl/evp.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace edxml::detail {

namespace dsig {
inline constexpr const char* kEnveloped = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
inline constexpr const char* kC14n10 = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
inline constexpr const char* kC14n11 = "http://www.w3.org/2006/12/xml-c14n11";
inline constexpr const char* kExcC14n = "http://www.w3.org/2001/10/xml-exc-c14n#";
inline constexpr const char* kWithComments = "#WithComments";
inline constexpr const char* kRsaSha1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
inline constexpr const char* kRsaSha256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
inline constexpr const char* kRsaSha384 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384";
inline constexpr const char* kRsaSha512 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512";
inline constexpr const char* kSha1 = "http://www.w3.org/2000/09/xmldsig#sha1";
inline constexpr const char* kSha256 = "http://www.w3.org/2001/04/xmlenc#sha256";
inline constexpr const char* kSha384 = "http://www.w3.org/2001/04/xmldsig-more#sha384";
inline constexpr const char* kSha512 = "http://www.w3.org/2001/04/xmlenc#sha512";
}  // namespace dsig

struct Canonicalization {
    int mode = 0;  // xmlC14NMode
    bool with_comments = false;
    std::vector<std::string> inclusive_prefixes;  // exclusive C14N's InclusiveNamespaces
};

// Nothing for URIs that are not C14N 1.0, 1.1 or exclusive C14N (with or without comments).
std::optional<Canonicalization> canonicalization_for(const std::string& uri);
// DigestMethod and SignatureMethod URIs to OpenSSL digests; nullptr when unknown.
const EVP_MD* digest_for(const std::string& uri);
const EVP_MD* rsa_signature_digest_for(const std::string& uri);

// Digest of the canonical form of the document, or of `subtree` when given, leaving out
// `excluded` and its descendants (the enveloped-signature transform) and all comments
// (URI="" and "#id" select node sets without comments). Throws Error on failure.
std::string digest_canonical_form(xmlDoc* doc, xmlNode* subtree, xmlNode* excluded,
                                  const Canonicalization& c14n, const EVP_MD* digest);

// The canonical form of the document (or `subtree`), leaving out `excluded`. Exclusive
// C14N without comments or InclusiveNamespaces has a fast path of ours; the tests compare
// it with libxml2's (`allow_fast_path` false).
std::string canonical_form(xmlDoc* doc, xmlNode* subtree, xmlNode* excluded,
                           const Canonicalization& c14n, bool with_comments, bool allow_fast_path);

// The canonical form of one element and its descendants (SignedInfo).
std::string canonical_subtree(xmlDoc* doc, xmlNode* element, const Canonicalization& c14n);

}  // namespace edxml::detail
