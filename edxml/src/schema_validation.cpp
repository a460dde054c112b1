#include "schema_validation.hpp"

#include <libxml/xmlschemas.h>

#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>

#include "xml_document.hpp"

namespace edxml::schemas {
// Generated from edxml/schemas/*.xsd at build time.
extern const std::string_view document_package_xsd;
extern const std::string_view status_package_xsd;
extern const std::string_view task_profile_xsd;
}  // namespace edxml::schemas

namespace edxml::detail {
namespace {

struct SchemaFree {
    void operator()(xmlSchema* schema) const { xmlSchemaFree(schema); }
};
struct SchemaParserFree {
    void operator()(xmlSchemaParserCtxt* ctxt) const { xmlSchemaFreeParserCtxt(ctxt); }
};
struct SchemaValidFree {
    void operator()(xmlSchemaValidCtxt* ctxt) const { xmlSchemaFreeValidCtxt(ctxt); }
};
using SchemaPtr = std::unique_ptr<xmlSchema, SchemaFree>;

void ignore_schema_parse_error(void*, xmlError*) {}

SchemaPtr compile(std::string_view xsd, const char* name) {
    std::unique_ptr<xmlSchemaParserCtxt, SchemaParserFree> parser(
        xmlSchemaNewMemParserCtxt(xsd.data(), static_cast<int>(xsd.size())));
    if (!parser)
        throw std::runtime_error(std::string("cannot load embedded schema ") + name);
    xmlSchemaSetParserStructuredErrors(parser.get(), ignore_schema_parse_error, nullptr);
    SchemaPtr schema(xmlSchemaParse(parser.get()));
    // An embedded schema that does not compile is a build defect, caught by the tests.
    if (!schema)
        throw std::runtime_error(std::string("embedded schema does not compile: ") + name);
    return schema;
}

// Compiled schemas are immutable after parsing and may be shared between threads;
// validation contexts are not, so each call makes its own.
xmlSchema* schema_for(SchemaKind kind) {
    static std::once_flag once;
    static SchemaPtr document, status, task;
    std::call_once(once, [] {
        document = compile(schemas::document_package_xsd, "edxml-document.xsd");
        status = compile(schemas::status_package_xsd, "edxml-status.xsd");
        task = compile(schemas::task_profile_xsd, "task-profile-1.xsd");
    });
    switch (kind) {
        case SchemaKind::document_package:
            return document.get();
        case SchemaKind::status_package:
            return status.get();
        case SchemaKind::task_profile:
            return task.get();
    }
    return nullptr;
}

constexpr std::size_t kMaxReportedViolations = 50;

void collect_violation(void* context, xmlError* error) {
    auto& problems = *static_cast<Diagnostics*>(context);
    if (!error || problems.size() > kMaxReportedViolations)
        return;
    if (problems.size() == kMaxReportedViolations) {
        problems.push_back(
            {ErrorCode::schema_violation, "further schema violations not listed", "", 0});
        return;
    }
    std::string message = error->message ? error->message : "schema violation";
    while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
        message.pop_back();
    const auto* node = static_cast<const xmlNode*>(error->node);
    if (node && node->type == XML_ELEMENT_NODE) {
        problems.push_back(diagnostic_at(node, ErrorCode::schema_violation, message));
    } else {
        problems.push_back({ErrorCode::schema_violation, message, "", error->line});
    }
}

}  // namespace

Diagnostics validate_against_schema(xmlDoc* doc, SchemaKind kind) {
    Diagnostics problems;
    std::unique_ptr<xmlSchemaValidCtxt, SchemaValidFree> validator(
        xmlSchemaNewValidCtxt(schema_for(kind)));
    if (!validator) {
        problems.push_back(
            {ErrorCode::schema_violation, "cannot create a schema validator", "", 0});
        return problems;
    }
    xmlSchemaSetValidStructuredErrors(validator.get(), collect_violation, &problems);
    const int status = xmlSchemaValidateDoc(validator.get(), doc);
    if (status != 0 && problems.empty()) {
        problems.push_back(
            {ErrorCode::schema_violation, "document does not match the schema", "", 0});
    }
    return problems;
}

}  // namespace edxml::detail
