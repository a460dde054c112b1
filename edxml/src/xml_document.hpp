// Internal: the one place where libxml2 parses untrusted bytes, and the handle types
// that free libxml2 objects. Nothing outside edxml/src includes this header.
#pragma once

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <memory>
#include <string>
#include <string_view>

#include "edxml/diagnostics.hpp"
#include "edxml/reader.hpp"

namespace edxml::detail {

struct XmlDocFree {
    void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};
using XmlDocPtr = std::unique_ptr<xmlDoc, XmlDocFree>;

struct XmlCharFree {
    void operator()(xmlChar* text) const { xmlFree(text); }
};
using XmlCharPtr = std::unique_ptr<xmlChar, XmlCharFree>;

struct ParsedXml {
    XmlDocPtr doc;          // null when parsing was refused
    Diagnostic error;       // set when doc is null
    Diagnostics ns_errors;  // namespace errors libxml2 recovered from (undeclared prefixes)
    // Byte offset just past the end tag of the edXMLHeader at depth 3 in the QCVN
    // namespace, 0 when none: lets the signer insert its Signature into the original bytes instead
    // of serialising the whole document again.
    std::size_t header_end_offset = 0;
};

// Parses with: no DTD at all (any DOCTYPE stops the parser), no entity substitution, no
// network, the size and depth limits, line numbers kept. Errors are collected, never
// printed.
ParsedXml parse_untrusted_xml(std::string_view bytes, const ReadLimits& limits);

// Element helpers working on local names.
inline const char* local_name(const xmlNode* node) {
    return reinterpret_cast<const char*>(node->name);
}
bool is_named(const xmlNode* node, std::string_view name);
// An element named `name` in the QCVN 102 (edXML) namespace.
bool is_edxml_element(const xmlNode* node, std::string_view name);
const char* namespace_of(const xmlNode* node);  // "" when none
xmlNode* first_element_child(xmlNode* node);
xmlNode* next_element_sibling(xmlNode* node);
// Text of all text children, whitespace trimmed at both ends.
std::string trimmed_text(const xmlNode* node);

// Iterates the element children of a node: for (xmlNode* c : children(node)).
class ElementChildren {
  public:
    explicit ElementChildren(xmlNode* parent) : first_(first_element_child(parent)) {}
    struct Iterator {
        xmlNode* node;
        xmlNode* operator*() const { return node; }
        Iterator& operator++() {
            node = next_element_sibling(node);
            return *this;
        }
        bool operator!=(const Iterator& other) const { return node != other.node; }
    };
    Iterator begin() const { return {first_}; }
    Iterator end() const { return {nullptr}; }

  private:
    xmlNode* first_;
};
inline ElementChildren children(xmlNode* parent) {
    return ElementChildren(parent);
}
// "/edXML/edXMLEnvelope/edXMLHeader/MessageHeader/To[2]/OrganId"
std::string node_path(const xmlNode* node);
int node_line(const xmlNode* node);

Diagnostic diagnostic_at(const xmlNode* node, ErrorCode code, std::string message);

// Builds the model from an already parsed document (repairing namespaces in place), so
// that a caller which first checked the document (the signature verifier) reads exactly
// the nodes it checked. Defined in reader.cpp.
ReadResult read_parsed_package(ParsedXml& parsed, const ReadOptions& options);

}  // namespace edxml::detail
