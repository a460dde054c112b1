#include "xml_document.hpp"

#include "edxml/model.hpp"

#include <libxml/SAX2.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>

#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace edxml::detail {
namespace {

// Parser state reachable from the SAX callbacks through ctxt->_private.
struct ParseGuard {
    int max_depth = 0;
    std::size_t max_elements = 0;
    int max_attributes = 0;
    std::size_t elements = 0;
    std::size_t header_end_offset = 0;
    int depth = 0;  // of the element being parsed
    bool refused = false;
    Diagnostic refusal;
    Diagnostic first_fatal;
    Diagnostics ns_errors;
};

constexpr std::size_t kMaxNamespaceErrors = 50;

ParseGuard& guard_of(void* ctx) {
    return *static_cast<ParseGuard*>(static_cast<xmlParserCtxt*>(ctx)->_private);
}

void refuse(void* ctx, ErrorCode code, std::string message) {
    auto* ctxt = static_cast<xmlParserCtxt*>(ctx);
    ParseGuard& guard = guard_of(ctx);
    if (!guard.refused) {
        guard.refused = true;
        guard.refusal = Diagnostic{code, std::move(message), "", xmlSAX2GetLineNumber(ctx)};
    }
    xmlStopParser(ctxt);
}

// Any DOCTYPE is refused before its declarations are used: edXML never needs a DTD,
// and entities are how XXE, billion laughs and quadratic blow-up attacks work.
void on_internal_subset(void* ctx, const xmlChar*, const xmlChar*, const xmlChar*) {
    refuse(ctx, ErrorCode::dtd_forbidden,
           "a DOCTYPE declaration is not allowed (DTDs and entities are never processed)");
}

void on_entity_decl(void* ctx, const xmlChar* name, int, const xmlChar*, const xmlChar*, xmlChar*) {
    refuse(ctx, ErrorCode::dtd_forbidden,
           std::string("entity declaration '") + reinterpret_cast<const char*>(name) +
               "' is not allowed");
}

void on_start_element(void* ctx, const xmlChar* localname, const xmlChar* prefix,
                      const xmlChar* uri, int nb_namespaces, const xmlChar** namespaces,
                      int nb_attributes, int nb_defaulted, const xmlChar** attributes) {
    auto* ctxt = static_cast<xmlParserCtxt*>(ctx);
    ParseGuard& guard = guard_of(ctx);
    // nameNr counts the open ancestors; this element is one deeper.
    if (ctxt->nameNr + 1 > guard.max_depth) {
        refuse(ctx, ErrorCode::too_deep,
               "element nesting deeper than " + std::to_string(guard.max_depth) + " levels");
        return;
    }
    if (++guard.elements > guard.max_elements) {
        refuse(ctx, ErrorCode::too_large,
               "more than " + std::to_string(guard.max_elements) + " elements");
        return;
    }
    if (nb_attributes + nb_namespaces > guard.max_attributes) {
        refuse(ctx, ErrorCode::too_large,
               std::string("element '") + reinterpret_cast<const char*>(localname) +
                   "' has more than " + std::to_string(guard.max_attributes) +
                   " attributes and namespace declarations");
        return;
    }
    ++guard.depth;
    xmlSAX2StartElementNs(ctx, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes,
                          nb_defaulted, attributes);
}

void on_end_element(void* ctx, const xmlChar* localname, const xmlChar* prefix,
                    const xmlChar* uri) {
    // Only /edXML/edXMLEnvelope/edXMLHeader (depth 3) counts: an element of that name
    // elsewhere must not move the signer's insertion point.
    const int depth = guard_of(ctx).depth--;
    if (depth == 3 && uri &&
        std::strcmp(reinterpret_cast<const char*>(localname), "edXMLHeader") == 0 &&
        std::strcmp(reinterpret_cast<const char*>(uri), kEdxmlNamespace) == 0) {
        const long consumed = xmlByteConsumed(static_cast<xmlParserCtxt*>(ctx));
        guard_of(ctx).header_end_offset = consumed > 0 ? static_cast<std::size_t>(consumed) : 0;
    }
    xmlSAX2EndElementNs(ctx, localname, prefix, uri);
}

ErrorCode classify(const xmlError& error) {
    switch (error.code) {
        case XML_ERR_INVALID_ENCODING:
        case XML_ERR_UNSUPPORTED_ENCODING:
        case XML_ERR_UNKNOWN_ENCODING:
        case XML_ERR_INVALID_CHAR:
            return ErrorCode::invalid_encoding;
        case XML_ERR_ENTITY_LOOP:
        case XML_ERR_UNDECLARED_ENTITY:
        case XML_WAR_UNDECLARED_ENTITY:
            return ErrorCode::dtd_forbidden;
        default:
            return ErrorCode::not_well_formed;
    }
}

std::string message_of(const xmlError& error) {
    std::string text = error.message ? error.message : "unknown XML error";
    while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
        text.pop_back();
    return text;
}

void on_structured_error(void* ctx, xmlError* error) {
    if (error == nullptr)
        return;
    ParseGuard& guard = guard_of(ctx);
    if (error->domain == XML_FROM_NAMESPACE) {
        // Undeclared prefixes: libxml2 keeps the prefixed name without a namespace; the
        // reader repairs those nodes and reports each of these as a warning. Capped, as
        // a hostile input could produce one per element.
        if (guard.ns_errors.size() < kMaxNamespaceErrors) {
            const bool undeclared = error->code == XML_NS_ERR_UNDEFINED_NAMESPACE;
            guard.ns_errors.push_back(Diagnostic{
                ErrorCode::none,
                (undeclared ? "not namespace-well-formed, repaired: " : "namespace warning: ") +
                    message_of(*error),
                "", error->line});
        } else if (guard.ns_errors.size() == kMaxNamespaceErrors) {
            guard.ns_errors.push_back(
                Diagnostic{ErrorCode::none, "further namespace errors not listed", "", 0});
        }
        return;
    }
    if (error->level >= XML_ERR_ERROR && guard.first_fatal.code == ErrorCode::none) {
        guard.first_fatal = Diagnostic{classify(*error), message_of(*error), "", error->line};
    }
}

// libxml2 2.9.14 compares every attribute of a start tag with every other before any
// callback of ours runs, and looks prefixes up through every namespace declaration in
// scope: a start tag with 100 000 attributes, or thousands of nested declarations, cost
// it seconds per megabyte. One linear pass over the bytes counts what our limits bound
// and refuses such input before libxml2 sees it. Anything it does not understand
// (malformed markup, a DOCTYPE) is left to libxml2, which stops at the first error.
class ShapeScan {
  public:
    ShapeScan(std::string_view bytes, const ReadLimits& limits) : bytes_(bytes), limits_(limits) {}

    std::optional<Diagnostic> run() {
        while (true) {
            const std::size_t open = bytes_.find('<', at_);
            if (open == std::string_view::npos)
                return std::nullopt;
            at_ = open;
            if (starts("<!--")) {
                if (!skip_past("-->", 4))
                    return std::nullopt;
            } else if (starts("<![CDATA[")) {
                if (!skip_past("]]>", 9))
                    return std::nullopt;
            } else if (starts("<?")) {
                if (!skip_past("?>", 2))
                    return std::nullopt;
            } else if (starts("<!")) {
                return std::nullopt;  // a DOCTYPE: refused by libxml2's callback
            } else if (starts("</")) {
                at_ += 2;
                if (auto refusal = name("element"))
                    return refusal;
                if (!skip_past(">", 0))
                    return std::nullopt;
            } else {
                ++at_;
                if (auto refusal = start_tag())
                    return refusal;
                if (stopped_)
                    return std::nullopt;
            }
        }
    }

  private:
    bool starts(std::string_view prefix) const {
        return bytes_.substr(at_, prefix.size()) == prefix;
    }
    // Moves past the next `end` (searched from `at_ + offset`); false when there is none.
    bool skip_past(std::string_view end, std::size_t offset) {
        const std::size_t found = bytes_.find(end, at_ + offset);
        if (found == std::string_view::npos)
            return false;
        at_ = found + end.size();
        return true;
    }
    static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
    static bool ends_name(char c) { return is_space(c) || c == '>' || c == '/' || c == '='; }

    Diagnostic refusal(std::string message) const {
        return Diagnostic{ErrorCode::too_large,
                          std::move(message) + " (at byte " + std::to_string(at_) + ")", "", 0};
    }

    // A name at `at_`; refused as soon as it is longer than the limit.
    std::optional<Diagnostic> name(const char* what) {
        const std::size_t begin = at_;
        while (at_ < bytes_.size() && !ends_name(bytes_[at_])) {
            if (++at_ - begin > limits_.max_name_bytes)
                return refusal(std::string("an ") + what + " name longer than " +
                               std::to_string(limits_.max_name_bytes) + " bytes");
        }
        last_name_ = bytes_.substr(begin, at_ - begin);
        return std::nullopt;
    }

    void skip_spaces() {
        while (at_ < bytes_.size() && is_space(bytes_[at_]))
            ++at_;
    }

    std::optional<Diagnostic> start_tag() {
        if (auto refused = name("element"))
            return refused;
        const std::string element(last_name_.substr(0, 64));
        int attributes = 0;
        while (true) {
            skip_spaces();
            if (at_ >= bytes_.size())
                return stop();
            if (bytes_[at_] == '>') {
                ++at_;
                return std::nullopt;
            }
            if (bytes_[at_] == '/') {
                at_ += 1;
                return std::nullopt;  // "/>", or malformed: libxml2 says which
            }
            if (auto refused = name("attribute"))
                return refused;
            if (last_name_.empty())
                return stop();
            if (last_name_ == "xmlns" || last_name_.substr(0, 6) == "xmlns:") {
                if (++namespace_declarations_ > limits_.max_namespace_declarations)
                    return refusal("more than " +
                                   std::to_string(limits_.max_namespace_declarations) +
                                   " namespace declarations in the document");
            }
            if (++attributes > limits_.max_attributes)
                return refusal("element '" + element + "' has more than " +
                               std::to_string(limits_.max_attributes) +
                               " attributes and namespace declarations");
            skip_spaces();
            if (at_ >= bytes_.size() || bytes_[at_] != '=')
                return stop();
            ++at_;
            skip_spaces();
            if (at_ >= bytes_.size() || (bytes_[at_] != '"' && bytes_[at_] != '\''))
                return stop();
            const std::size_t close = bytes_.find(bytes_[at_], at_ + 1);
            if (close == std::string_view::npos)
                return stop();
            at_ = close + 1;
        }
    }

    // Malformed markup: libxml2 reports it (and stops there).
    std::optional<Diagnostic> stop() {
        stopped_ = true;
        return std::nullopt;
    }

    std::string_view bytes_;
    const ReadLimits& limits_;
    std::size_t at_ = 0;
    std::string_view last_name_;
    std::size_t namespace_declarations_ = 0;
    bool stopped_ = false;
};

struct ParserCtxtFree {
    void operator()(xmlParserCtxt* ctxt) const { xmlFreeParserCtxt(ctxt); }
};

}  // namespace

ParsedXml parse_untrusted_xml(std::string_view bytes, const ReadLimits& limits) {
    ParsedXml result;
    if (bytes.size() > limits.max_input_bytes) {
        result.error =
            Diagnostic{ErrorCode::too_large,
                       "input of " + std::to_string(bytes.size()) + " bytes exceeds the limit of " +
                           std::to_string(limits.max_input_bytes) + " bytes",
                       "", 0};
        return result;
    }
    if (bytes.empty()) {
        result.error = Diagnostic{ErrorCode::not_well_formed, "input is empty", "", 0};
        return result;
    }
    if (bytes.size() > static_cast<std::size_t>(INT32_MAX)) {
        result.error = Diagnostic{ErrorCode::too_large, "input exceeds 2 GiB", "", 0};
        return result;
    }

    if (auto refusal = ShapeScan(bytes, limits).run()) {
        result.error = std::move(*refusal);
        return result;
    }

    std::unique_ptr<xmlParserCtxt, ParserCtxtFree> ctxt(
        xmlCreateMemoryParserCtxt(bytes.data(), static_cast<int>(bytes.size())));
    if (!ctxt) {
        result.error = Diagnostic{ErrorCode::io, "libxml2 could not create a parser", "", 0};
        return result;
    }
    ParseGuard guard;
    guard.max_depth = limits.max_depth;
    guard.max_elements = limits.max_elements;
    guard.max_attributes = limits.max_attributes;
    ctxt->_private = &guard;
    xmlSAXHandler* sax = ctxt->sax;
    sax->internalSubset = on_internal_subset;
    sax->externalSubset = on_internal_subset;
    sax->entityDecl = on_entity_decl;
    sax->startElementNs = on_start_element;
    sax->endElementNs = on_end_element;
    sax->serror = on_structured_error;
    sax->error = nullptr;
    sax->warning = nullptr;
    // NONET: never fetch anything. No NOENT, DTDLOAD, DTDATTR or XINCLUDE. HUGE lifts
    // libxml2's 10 MB text-node cap (attachments are large); our own limits bound the rest.
    xmlCtxtUseOptions(ctxt.get(), XML_PARSE_NONET | XML_PARSE_BIG_LINES | XML_PARSE_NOCDATA |
                                      XML_PARSE_COMPACT | XML_PARSE_HUGE | XML_PARSE_NOERROR |
                                      XML_PARSE_NOWARNING);
    sax->serror = on_structured_error;  // xmlCtxtUseOptions may reset the handlers
    xmlParseDocument(ctxt.get());
    XmlDocPtr doc(ctxt->myDoc);
    ctxt->myDoc = nullptr;

    if (guard.refused) {
        result.error = guard.refusal;
        return result;
    }
    if (!ctxt->wellFormed || !doc) {
        result.error =
            guard.first_fatal.code != ErrorCode::none
                ? guard.first_fatal
                : Diagnostic{ErrorCode::not_well_formed, "document is not well-formed", "", 0};
        return result;
    }
    result.doc = std::move(doc);
    result.ns_errors = std::move(guard.ns_errors);
    result.header_end_offset = guard.header_end_offset;
    return result;
}

bool is_named(const xmlNode* node, std::string_view name) {
    return node != nullptr && node->type == XML_ELEMENT_NODE && name == local_name(node);
}

bool is_edxml_element(const xmlNode* node, std::string_view name) {
    return is_named(node, name) && std::string_view(namespace_of(node)) == kEdxmlNamespace;
}

const char* namespace_of(const xmlNode* node) {
    return node->ns && node->ns->href ? reinterpret_cast<const char*>(node->ns->href) : "";
}

xmlNode* first_element_child(xmlNode* node) {
    for (xmlNode* child = node ? node->children : nullptr; child; child = child->next) {
        if (child->type == XML_ELEMENT_NODE)
            return child;
    }
    return nullptr;
}

xmlNode* next_element_sibling(xmlNode* node) {
    for (xmlNode* sibling = node->next; sibling; sibling = sibling->next) {
        if (sibling->type == XML_ELEMENT_NODE)
            return sibling;
    }
    return nullptr;
}

std::string trimmed_text(const xmlNode* node) {
    std::string text;
    for (const xmlNode* child = node->children; child; child = child->next) {
        if ((child->type == XML_TEXT_NODE || child->type == XML_CDATA_SECTION_NODE) &&
            child->content) {
            text += reinterpret_cast<const char*>(child->content);
        }
    }
    const char* blanks = " \t\r\n";
    const auto first = text.find_first_not_of(blanks);
    if (first == std::string::npos)
        return {};
    const auto last = text.find_last_not_of(blanks);
    return text.substr(first, last - first + 1);
}

std::string node_path(const xmlNode* node) {
    std::string path;
    for (; node && node->type == XML_ELEMENT_NODE; node = node->parent) {
        int position = 1;
        int same_named = 0;
        if (node->parent) {
            for (const xmlNode* sibling = node->parent->children; sibling;
                 sibling = sibling->next) {
                if (sibling->type != XML_ELEMENT_NODE ||
                    std::strcmp(local_name(sibling), local_name(node)) != 0) {
                    continue;
                }
                ++same_named;
                if (sibling == node)
                    position = same_named;
            }
        }
        std::string step = "/" + std::string(local_name(node));
        if (same_named > 1)
            step += "[" + std::to_string(position) + "]";
        path.insert(0, step);
    }
    return path;
}

int node_line(const xmlNode* node) {
    return node ? static_cast<int>(xmlGetLineNo(node)) : 0;
}

Diagnostic diagnostic_at(const xmlNode* node, ErrorCode code, std::string message) {
    return Diagnostic{code, std::move(message), node_path(node), node_line(node)};
}

}  // namespace edxml::detail
