#include "xmldsig_core.hpp"

#include <libxml/c14n.h>
#include <libxml/xmlIO.h>
#include <openssl/rand.h>

#include <cstring>
#include <memory>

#include "edxml/diagnostics.hpp"

namespace edxml::detail {
namespace {

// Which nodes the canonical form includes: inside `subtree` (when set), outside `excluded`.
struct Visibility {
    xmlNode* subtree = nullptr;
    xmlNode* excluded = nullptr;
};

int is_visible(void* user, xmlNode* node, xmlNode* parent) {
    const auto* visibility = static_cast<const Visibility*>(user);
    // Namespace and attribute nodes are decided by their element.
    xmlNode* element =
        node && (node->type == XML_NAMESPACE_DECL || node->type == XML_ATTRIBUTE_NODE) ? parent
                                                                                       : node;
    bool inside_subtree = visibility->subtree == nullptr;
    for (xmlNode* at = element; at; at = at->parent) {
        if (at == visibility->excluded)
            return 0;
        if (at == visibility->subtree)
            inside_subtree = true;
    }
    return inside_subtree ? 1 : 0;
}

int append_to_string(void* context, const char* buffer, int length) {
    static_cast<std::string*>(context)->append(buffer, static_cast<std::size_t>(length));
    return length;
}

std::string run_c14n(xmlDoc* doc, const Visibility& visibility, const Canonicalization& c14n,
                     bool with_comments) {
    std::string output;
    xmlOutputBuffer* buffer = xmlOutputBufferCreateIO(append_to_string, nullptr, &output, nullptr);
    if (!buffer)
        throw Error(ErrorCode::io, "cannot create a canonicalisation buffer");
    std::vector<xmlChar*> prefixes;
    for (const std::string& prefix : c14n.inclusive_prefixes)
        prefixes.push_back(const_cast<xmlChar*>(reinterpret_cast<const xmlChar*>(prefix.c_str())));
    prefixes.push_back(nullptr);
    const int written = xmlC14NExecute(
        doc, is_visible, const_cast<Visibility*>(&visibility), c14n.mode,
        c14n.inclusive_prefixes.empty() ? nullptr : prefixes.data(), with_comments ? 1 : 0, buffer);
    xmlOutputBufferClose(buffer);
    if (written < 0)
        throw Error(ErrorCode::invalid_value, "the document cannot be canonicalised");
    return output;
}

// Large text nodes that C14N copies unchanged (no '&', '<', '>' or CR) are swapped for
// short markers while libxml2 canonicalises, then fed to the digest straight from the
// node: megabytes of base64 are hashed once instead of escaped, copied and hashed. A
// marker starts with U+001F, which no XML document can contain, so it cannot collide.
class LargeTextSwap {
  public:
    LargeTextSwap(xmlNode* root, xmlNode* excluded) { collect(root, excluded); }
    ~LargeTextSwap() {
        for (Swapped& item : swapped_) {
            xmlFree(item.node->content);
            item.node->content = item.original;
        }
    }
    LargeTextSwap(const LargeTextSwap&) = delete;
    LargeTextSwap& operator=(const LargeTextSwap&) = delete;

    template <typename Emit>
    void expand(std::string_view text, Emit&& emit) const {
        while (!text.empty()) {
            const auto marker = text.find(kMarkerStart);
            if (marker == std::string_view::npos) {
                emit(text);
                return;
            }
            emit(text.substr(0, marker));
            const auto end = text.find(kMarkerEnd, marker);
            const std::size_t index =
                std::stoul(std::string(text.substr(marker + 1, end - marker - 1)));
            const xmlChar* original = swapped_.at(index).original;
            emit(std::string_view(reinterpret_cast<const char*>(original),
                                  std::strlen(reinterpret_cast<const char*>(original))));
            text.remove_prefix(end + 1);
        }
    }

  private:
    static constexpr char kMarkerStart = '\x1F';
    static constexpr char kMarkerEnd = '\x1E';
    static constexpr std::size_t kMinimumSize = 4096;

    struct Swapped {
        xmlNode* node;
        xmlChar* original;
    };

    void collect(xmlNode* node, xmlNode* excluded) {
        for (; node; node = node->next) {
            if (node == excluded)
                continue;
            if (node->type == XML_TEXT_NODE && node->content && swappable(node))
                swap(node);
            if (node->type == XML_ELEMENT_NODE)
                collect(node->children, excluded);
        }
    }

    static bool swappable(const xmlNode* node) {
        const auto* text = reinterpret_cast<const char*>(node->content);
        if (node->doc && node->doc->dict && xmlDictOwns(node->doc->dict, node->content))
            return false;
        const std::size_t length = std::strlen(text);
        return length >= kMinimumSize && std::strcspn(text, "&<>\r") == length;
    }

    void swap(xmlNode* node) {
        const std::string marker = kMarkerStart + std::to_string(swapped_.size()) + kMarkerEnd;
        swapped_.push_back({node, node->content});
        node->content = xmlStrdup(reinterpret_cast<const xmlChar*>(marker.c_str()));
    }

    std::vector<Swapped> swapped_;
};

struct DigestContextFree {
    void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};

}  // namespace

std::optional<Canonicalization> canonicalization_for(const std::string& uri) {
    const struct {
        const char* base;
        int mode;
    } known[] = {{dsig::kC14n10, XML_C14N_1_0},
                 {dsig::kC14n11, XML_C14N_1_1},
                 {dsig::kExcC14n, XML_C14N_EXCLUSIVE_1_0}};
    for (const auto& entry : known) {
        const std::string base = entry.base;
        if (uri == base)
            return Canonicalization{entry.mode, false, {}};
        // Exclusive C14N's base ends in '#': its comment variant is "...#WithComments".
        const std::string with_comments =
            base.back() == '#' ? base + "WithComments" : base + dsig::kWithComments;
        if (uri == with_comments)
            return Canonicalization{entry.mode, true, {}};
    }
    return std::nullopt;
}

const EVP_MD* digest_for(const std::string& uri) {
    if (uri == dsig::kSha256)
        return EVP_sha256();
    if (uri == dsig::kSha384)
        return EVP_sha384();
    if (uri == dsig::kSha512)
        return EVP_sha512();
    if (uri == dsig::kSha1)
        return EVP_sha1();
    return nullptr;
}

const EVP_MD* rsa_signature_digest_for(const std::string& uri) {
    if (uri == dsig::kRsaSha256)
        return EVP_sha256();
    if (uri == dsig::kRsaSha384)
        return EVP_sha384();
    if (uri == dsig::kRsaSha512)
        return EVP_sha512();
    if (uri == dsig::kRsaSha1)
        return EVP_sha1();
    return nullptr;
}

std::string digest_canonical_form(xmlDoc* doc, xmlNode* subtree, xmlNode* excluded,
                                  const Canonicalization& c14n, const EVP_MD* digest) {
    std::unique_ptr<EVP_MD_CTX, DigestContextFree> context(EVP_MD_CTX_new());
    if (!context || EVP_DigestInit_ex(context.get(), digest, nullptr) != 1)
        throw Error(ErrorCode::io, "cannot start a digest");
    {
        const LargeTextSwap swap(xmlDocGetRootElement(doc), excluded);
        const std::string canonical = run_c14n(doc, Visibility{subtree, excluded}, c14n, false);
        swap.expand(canonical, [&](std::string_view part) {
            EVP_DigestUpdate(context.get(), part.data(), part.size());
        });
    }
    unsigned char value[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(context.get(), value, &length) != 1)
        throw Error(ErrorCode::io, "cannot finish a digest");
    return std::string(reinterpret_cast<char*>(value), length);
}

std::string canonical_subtree(xmlDoc* doc, xmlNode* element, const Canonicalization& c14n) {
    return run_c14n(doc, Visibility{element, nullptr}, c14n, c14n.with_comments);
}

}  // namespace edxml::detail
