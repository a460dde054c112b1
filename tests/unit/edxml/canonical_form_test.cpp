// Our exclusive C14N fast path must produce exactly what libxml2's C14N produces: compared
// on every sample, every signed attack file, and documents made to stress namespace
// rendering, attribute order, escaping and processing instructions.
#include <boost/test/unit_test.hpp>

#include <libxml/c14n.h>

#include "test_files.hpp"
#include "xml_document.hpp"
#include "xmldsig_core.hpp"

using namespace edxml;
using namespace edxml::detail;

namespace {

const Canonicalization kExclusive{XML_C14N_EXCLUSIVE_1_0, false, {}};

xmlNode* find_element(xmlNode* node, std::string_view name) {
    for (; node; node = node->next) {
        if (node->type == XML_ELEMENT_NODE && name == reinterpret_cast<const char*>(node->name))
            return node;
        if (xmlNode* found = find_element(node->children, name))
            return found;
    }
    return nullptr;
}

// Compares the two implementations on the whole document, without the Signature, and on
// each element named in `subtrees`.
void expect_same(const std::string& label, std::string_view xml,
                 std::initializer_list<const char*> subtrees = {}) {
    ParsedXml parsed = parse_untrusted_xml(xml, ReadLimits{});
    BOOST_REQUIRE_MESSAGE(parsed.doc, label << ": " << parsed.error.to_string());
    xmlDoc* doc = parsed.doc.get();
    xmlNode* signature = find_element(doc->children, "Signature");
    for (xmlNode* excluded : {static_cast<xmlNode*>(nullptr), signature}) {
        const std::string ours = canonical_form(doc, nullptr, excluded, kExclusive, false, true);
        const std::string reference =
            canonical_form(doc, nullptr, excluded, kExclusive, false, false);
        BOOST_TEST(ours == reference, label << (excluded ? " (without Signature)" : "")
                                            << "\nours: " << ours << "\nlibxml2: " << reference);
    }
    for (const char* name : subtrees) {
        xmlNode* element = find_element(doc->children, name);
        BOOST_REQUIRE_MESSAGE(element, label << ": no element " << name);
        const std::string ours = canonical_form(doc, element, nullptr, kExclusive, false, true);
        const std::string reference =
            canonical_form(doc, element, nullptr, kExclusive, false, false);
        BOOST_TEST(ours == reference, label << " subtree " << name << "\nours: " << ours
                                            << "\nlibxml2: " << reference);
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(canonical_form)

BOOST_AUTO_TEST_CASE(samples_and_signed_files_match_libxml2) {
    for (const auto& path : test_files::all_samples()) {
        if (path.filename() == "variant-undeclared-prefix.edxml")
            continue;  // not namespace-well-formed: never canonicalised
        expect_same(path.filename().string(), test_files::read(path), {"edXMLHeader"});
    }
    for (const auto& entry :
         std::filesystem::directory_iterator(test_files::data_dir() / "signatures")) {
        const std::string bytes = test_files::read(entry.path());
        if (entry.path().extension() != ".edxml")
            continue;
        if (bytes.find("<SignedInfo") != std::string::npos)
            expect_same(entry.path().filename().string(), bytes, {"SignedInfo"});
        else
            expect_same(entry.path().filename().string(), bytes);
    }
}

BOOST_AUTO_TEST_CASE(namespace_rendering_matches_libxml2) {
    expect_same("nested redeclarations",
                "<a:root xmlns:a='urn:a' xmlns:b='urn:b'><b:x a:attr='1' b:attr='2' plain='3'>"
                "<a:y xmlns:a='urn:a2'><a:z/></a:y></b:x><z xmlns='urn:d'><w "
                "xmlns=''><v/></w></z></a:root>",
                {"x", "y", "w"});
    expect_same("default namespace flips",
                "<root xmlns='urn:x'><child xmlns=''><g xmlns='urn:x'><h "
                "xmlns='urn:x'/></g></child></root>",
                {"child", "g"});
    expect_same("unused declarations are dropped",
                "<r xmlns:u='urn:unused' xmlns:v='urn:v'><c v:a='1'/><u:d/></r>", {"c", "d"});
    expect_same("same prefix, same URI below",
                "<p:r xmlns:p='urn:p'><p:s xmlns:p='urn:p'><p:t/></p:s></p:r>", {"s"});
    expect_same("xml namespace attributes", "<r xml:lang='vi'><c xml:space='preserve'>  x </c></r>",
                {"c"});
}

BOOST_AUTO_TEST_CASE(attribute_order_and_escaping_match_libxml2) {
    expect_same("attribute order",
                "<r xmlns:z='urn:0' xmlns:y='urn:1' z:b='1' y:a='2' c='3' a='4' y:c='5'/>");
    expect_same("escaping",
                "<r a='&amp;&lt;&gt;&quot;&#9;&#10;&#13;&apos;' b=\"'\">t&amp;&lt;&gt;&#13;\"' "
                "&#x1F600; Đồng Tháp</r>");
    expect_same("empty elements and whitespace", "<r>\n  <e/>\n  <f></f>\t</r>\n");
}

BOOST_AUTO_TEST_CASE(processing_instructions_comments_and_cdata_match_libxml2) {
    expect_same("around the root", "<?before one?><!--c--><?b2?><r/><!--c--><?after?>");
    expect_same("inside", "<r><?pi inside data?><!-- x --><?empty?>a<![CDATA[<b>&c]]>d</r>");
    expect_same("xml declaration", "<?xml version='1.0' encoding='UTF-8'?>\n<r>x</r>");
}

BOOST_AUTO_TEST_CASE(large_text_matches_libxml2) {
    std::string big = "<r xmlns='urn:x'><t>";
    for (int i = 0; i < 5000; ++i)
        big += "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=\n";
    big += "a&amp;b</t><u>" + std::string(40000, 'x') + "&lt;</u></r>";
    expect_same("large text", big);
}

BOOST_AUTO_TEST_SUITE_END()
