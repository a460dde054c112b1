#include "xmldsig_core.hpp"

#include <libxml/c14n.h>
#include <libxml/xmlIO.h>
#include <openssl/rand.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <functional>
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
            // Only our markers can contain U+001F (XML forbids it); anything else is a bug.
            const auto end = text.find(kMarkerEnd, marker);
            std::size_t index = swapped_.size();
            if (end != std::string_view::npos && end > marker + 1) {
                const std::string_view digits = text.substr(marker + 1, end - marker - 1);
                std::from_chars(digits.data(), digits.data() + digits.size(), index);
            }
            if (index >= swapped_.size())
                throw Error(ErrorCode::invalid_value,
                            "canonicalisation produced an unexpected control character");
            const xmlChar* original = swapped_[index].original;
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

namespace {

// Exclusive C14N 1.0 without comments and without InclusiveNamespaces, written here
// because it is what we sign with and verify most: libxml2's implementation allocates per
// node and costs more than the RSA operation on a small package. Checked against
// libxml2's output by tests/unit/edxml/canonical_form_test.cpp and the fuzz target.
class ExclusiveCanonicalizer {
  public:
    using Sink = std::function<void(std::string_view)>;

    ExclusiveCanonicalizer(xmlNode* excluded, Sink sink)
        : excluded_(excluded), sink_(std::move(sink)) {}
    ~ExclusiveCanonicalizer() { flush(); }

    // The whole document (the XML declaration and DTD dropped, PIs around the root kept).
    void document(xmlDoc* doc) {
        bool after_root = false;
        for (xmlNode* node = doc->children; node; node = node->next) {
            if (node->type == XML_ELEMENT_NODE) {
                element(node);
                after_root = true;
            } else if (node->type == XML_PI_NODE) {
                if (after_root)
                    put("\n");
                processing_instruction(node);
                if (!after_root)
                    put("\n");
            }
        }
    }

    // One element and its descendants, as if it had no output ancestor.
    void element(xmlNode* node) {
        if (node == excluded_)
            return;
        const std::size_t rendered_before = rendered_.size();
        put("<");
        qualified_name(node->ns, node->name);
        namespaces(node);
        attributes(node);
        put(">");
        for (xmlNode* child = node->children; child; child = child->next) {
            switch (child->type) {
                case XML_ELEMENT_NODE:
                    element(child);
                    break;
                case XML_TEXT_NODE:
                case XML_CDATA_SECTION_NODE:
                    text(child->content);
                    break;
                case XML_PI_NODE:
                    processing_instruction(child);
                    break;
                case XML_COMMENT_NODE:
                    break;  // comments are not in the node set
                default:
                    // Entity references and the like cannot come out of our parser; if one
                    // ever does, refuse rather than canonicalise it wrongly.
                    throw Error(ErrorCode::invalid_value, "unexpected node type " +
                                                              std::to_string(child->type) +
                                                              " in the signed content");
            }
        }
        put("</");
        qualified_name(node->ns, node->name);
        put(">");
        rendered_.resize(rendered_before);
    }

  private:
    struct Rendered {
        std::string prefix;  // "" for the default namespace
        std::string uri;
    };

    void put(std::string_view text) {
        if (buffer_.size() + text.size() > kBufferSize)
            flush();
        if (text.size() >= kBufferSize) {
            sink_(text);
            return;
        }
        buffer_.append(text);
    }

    void flush() {
        if (!buffer_.empty())
            sink_(buffer_);
        buffer_.clear();
    }

    void qualified_name(const xmlNs* ns, const xmlChar* name) {
        if (ns && ns->prefix) {
            put(reinterpret_cast<const char*>(ns->prefix));
            put(":");
        }
        put(reinterpret_cast<const char*>(name));
    }

    // The URI last rendered for `prefix` by an output ancestor, if any.
    const std::string* rendered_uri(const std::string& prefix) const {
        for (auto it = rendered_.rbegin(); it != rendered_.rend(); ++it) {
            if (it->prefix == prefix)
                return &it->uri;
        }
        return nullptr;
    }

    static bool is_xml_namespace(const xmlNs* ns) {
        return ns && ns->prefix && xmlStrEqual(ns->prefix, BAD_CAST "xml");
    }

    // Namespaces visibly utilised by the element and its attributes, not already rendered
    // with the same URI by an output ancestor, sorted by prefix (default first).
    void namespaces(xmlNode* node) {
        std::vector<Rendered> needed;
        auto need = [&](const xmlNs* ns, bool is_element) {
            if (is_xml_namespace(ns))
                return;
            Rendered entry;
            if (ns) {
                entry.prefix = ns->prefix ? reinterpret_cast<const char*>(ns->prefix) : "";
                entry.uri = ns->href ? reinterpret_cast<const char*>(ns->href) : "";
            } else if (!is_element) {
                return;  // an unprefixed attribute is in no namespace and utilises none
            }
            for (const Rendered& existing : needed) {
                if (existing.prefix == entry.prefix)
                    return;
            }
            const std::string* current = rendered_uri(entry.prefix);
            const bool redundant = current ? *current == entry.uri : entry.uri.empty();
            if (!redundant)
                needed.push_back(std::move(entry));
        };
        need(node->ns, true);
        for (xmlAttr* attribute = node->properties; attribute; attribute = attribute->next)
            need(attribute->ns, false);
        std::sort(needed.begin(), needed.end(),
                  [](const Rendered& a, const Rendered& b) { return a.prefix < b.prefix; });
        for (Rendered& entry : needed) {
            put(entry.prefix.empty() ? " xmlns=\"" : " xmlns:");
            if (!entry.prefix.empty()) {
                put(entry.prefix);
                put("=\"");
            }
            attribute_value(entry.uri);
            put("\"");
            rendered_.push_back(std::move(entry));
        }
    }

    void attributes(xmlNode* node) {
        std::vector<xmlAttr*> sorted;
        for (xmlAttr* attribute = node->properties; attribute; attribute = attribute->next)
            sorted.push_back(attribute);
        auto uri = [](const xmlAttr* attribute) {
            return attribute->ns && attribute->ns->href
                       ? reinterpret_cast<const char*>(attribute->ns->href)
                       : "";
        };
        std::sort(sorted.begin(), sorted.end(), [&](const xmlAttr* a, const xmlAttr* b) {
            const int by_uri = std::strcmp(uri(a), uri(b));
            return by_uri != 0 ? by_uri < 0
                               : std::strcmp(reinterpret_cast<const char*>(a->name),
                                             reinterpret_cast<const char*>(b->name)) < 0;
        });
        for (xmlAttr* attribute : sorted) {
            put(" ");
            qualified_name(attribute->ns, attribute->name);
            put("=\"");
            XmlCharHolder value(xmlNodeListGetString(node->doc, attribute->children, 1));
            attribute_value(value.text());
            put("\"");
        }
    }

    struct XmlCharHolder {
        explicit XmlCharHolder(xmlChar* value) : value_(value) {}
        ~XmlCharHolder() { xmlFree(value_); }
        std::string_view text() const {
            return value_ ? reinterpret_cast<const char*>(value_) : "";
        }
        xmlChar* value_;
    };

    void attribute_value(std::string_view value) {
        std::size_t start = 0;
        for (std::size_t i = 0; i < value.size(); ++i) {
            const char* replacement = nullptr;
            switch (value[i]) {
                case '&':
                    replacement = "&amp;";
                    break;
                case '<':
                    replacement = "&lt;";
                    break;
                case '"':
                    replacement = "&quot;";
                    break;
                case '\t':
                    replacement = "&#x9;";
                    break;
                case '\n':
                    replacement = "&#xA;";
                    break;
                case '\r':
                    replacement = "&#xD;";
                    break;
                default:
                    continue;
            }
            put(value.substr(start, i - start));
            put(replacement);
            start = i + 1;
        }
        put(value.substr(start));
    }

    void text(const xmlChar* content) {
        if (!content)
            return;
        std::string_view value(reinterpret_cast<const char*>(content));
        // Runs without a character to escape go out as they are (megabytes of base64).
        while (!value.empty()) {
            const std::size_t plain = std::strcspn(value.data(), "&<>\r");
            put(value.substr(0, plain));
            if (plain == value.size())
                return;
            switch (value[plain]) {
                case '&':
                    put("&amp;");
                    break;
                case '<':
                    put("&lt;");
                    break;
                case '>':
                    put("&gt;");
                    break;
                default:
                    put("&#xD;");
                    break;
            }
            value.remove_prefix(plain + 1);
        }
    }

    void processing_instruction(xmlNode* node) {
        put("<?");
        put(reinterpret_cast<const char*>(node->name));
        if (node->content && *node->content) {
            put(" ");
            // PI content is written as is; only CR needs an escape.
            std::string_view content(reinterpret_cast<const char*>(node->content));
            for (std::size_t at = content.find('\r'); at != std::string_view::npos;
                 at = content.find('\r')) {
                put(content.substr(0, at));
                put("&#xD;");
                content.remove_prefix(at + 1);
            }
            put(content);
        }
        put("?>");
    }

    static constexpr std::size_t kBufferSize = 16 * 1024;
    xmlNode* excluded_;
    Sink sink_;
    std::string buffer_;
    std::vector<Rendered> rendered_;
};

bool fast_path_applies(const Canonicalization& c14n, bool with_comments) {
    return c14n.mode == XML_C14N_EXCLUSIVE_1_0 && c14n.inclusive_prefixes.empty() && !with_comments;
}

}  // namespace

std::string canonical_form(xmlDoc* doc, xmlNode* subtree, xmlNode* excluded,
                           const Canonicalization& c14n, bool with_comments, bool allow_fast_path) {
    if (allow_fast_path && fast_path_applies(c14n, with_comments)) {
        std::string output;
        {
            ExclusiveCanonicalizer writer(excluded,
                                          [&](std::string_view part) { output.append(part); });
            subtree ? writer.element(subtree) : writer.document(doc);
        }
        return output;
    }
    return run_c14n(doc, Visibility{subtree, excluded}, c14n, with_comments);
}

std::string digest_canonical_form(xmlDoc* doc, xmlNode* subtree, xmlNode* excluded,
                                  const Canonicalization& c14n, const EVP_MD* digest) {
    std::unique_ptr<EVP_MD_CTX, DigestContextFree> context(EVP_MD_CTX_new());
    if (!context || EVP_DigestInit_ex(context.get(), digest, nullptr) != 1)
        throw Error(ErrorCode::io, "cannot start a digest");
    auto update = [&](std::string_view part) {
        EVP_DigestUpdate(context.get(), part.data(), part.size());
    };
    if (fast_path_applies(c14n, false)) {
        ExclusiveCanonicalizer writer(excluded, update);
        subtree ? writer.element(subtree) : writer.document(doc);
    } else {
        const LargeTextSwap swap(xmlDocGetRootElement(doc), excluded);
        swap.expand(run_c14n(doc, Visibility{subtree, excluded}, c14n, false), update);
    }
    unsigned char value[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(context.get(), value, &length) != 1)
        throw Error(ErrorCode::io, "cannot finish a digest");
    return std::string(reinterpret_cast<char*>(value), length);
}

std::string canonical_subtree(xmlDoc* doc, xmlNode* element, const Canonicalization& c14n) {
    return canonical_form(doc, element, nullptr, c14n, c14n.with_comments, true);
}

}  // namespace edxml::detail
