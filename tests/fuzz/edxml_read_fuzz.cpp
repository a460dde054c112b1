// Fuzz target for the edXML reader, validator, writer and task profile reader.
// Built against replay_main.cpp by default (CI replays the corpus: samples/packages and
// tests/data); with -DCONNECTOR_FUZZ=ON and clang it is a libFuzzer program.
//
// Oracles beyond "no crash, no sanitizer finding": whatever the reader accepts without
// errors, the writer writes, and reading that back gives the same model; and for every
// namespace-well-formed document our exclusive C14N equals libxml2's.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include <libxml/c14n.h>
#include <string_view>

#include "edxml/reader.hpp"
#include "edxml/task_profile.hpp"
#include "edxml/validate.hpp"
#include "edxml/writer.hpp"
#include "xml_document.hpp"
#include "xmldsig_core.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    edxml::ReadOptions options;
    options.limits.max_input_bytes = 4u * 1024u * 1024u;

    const edxml::ReadResult result = edxml::validate_package(bytes, options);
    if (result.package && result.errors.empty()) {
        edxml::Package accepted = *result.package;
        std::visit([](auto& package) { package.signature.reset(); }, accepted);
        const edxml::ReadResult again =
            edxml::read_package(edxml::write_package(accepted), options);
        if (!again.package || !(*again.package == accepted)) {
            std::fprintf(stderr, "round trip changed an accepted package\n");
            std::abort();
        }
    }
    edxml::read_task_profile(bytes, options.limits);

    edxml::detail::ParsedXml parsed = edxml::detail::parse_untrusted_xml(bytes, options.limits);
    if (parsed.doc && parsed.ns_errors.empty()) {
        const edxml::detail::Canonicalization exclusive{XML_C14N_EXCLUSIVE_1_0, false, {}};
        xmlDoc* doc = parsed.doc.get();
        try {
            const std::string ours =
                edxml::detail::canonical_form(doc, nullptr, nullptr, exclusive, false, true);
            const std::string reference =
                edxml::detail::canonical_form(doc, nullptr, nullptr, exclusive, false, false);
            if (ours != reference) {
                std::fprintf(stderr,
                             "exclusive C14N differs from libxml2's\nours:    %s\nlibxml2: %s\n",
                             ours.c_str(), reference.c_str());
                std::abort();
            }
        } catch (const edxml::Error&) {
            // libxml2 refused to canonicalise: nothing to compare
        }
    }
    return 0;
}
