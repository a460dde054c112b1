// The field readers of request_fields.hpp.
#include "request_fields.hpp"

#include <map>

#include "edxml/agency_code.hpp"
#include "edxml/attachments.hpp"
#include "http_api/json_views.hpp"

namespace http_api {

using Poco::JSON::Object;

std::string agency_code(FieldReader& reader, const Object::Ptr& object, const std::string& path,
                        const std::string& name, bool required) {
    std::string code = reader.text(object, path, name, required, 64);
    if (!code.empty()) {
        if (const auto verdict = edxml::check_agency_code(code); !verdict.ok())
            reader.problem(FieldReader::join(path, name),
                           "'" + code + "' is not an agency code: " + verdict.problem);
    }
    return code;
}

std::optional<edxml::Date> date_field(FieldReader& reader, const Object::Ptr& object,
                                      const std::string& path, const std::string& name) {
    const std::string text = reader.text(object, path, name, false, 10);
    if (text.empty())
        return std::nullopt;
    const auto date = api_date(text);
    if (!date)
        reader.problem(FieldReader::join(path, name), "'" + text + "' is not a yyyy-MM-dd date");
    return date;
}

edxml::SignerInfo signer(FieldReader& reader, const Object::Ptr& document,
                         const std::string& path) {
    edxml::SignerInfo signer;
    if (!document || !document->has("signer"))
        return signer;
    const std::string field = FieldReader::join(path, "signer");
    const auto object =
        reader.object(document->get("signer"), field, {"fullName", "position", "competence"});
    signer.full_name = reader.text(object, field, "fullName", false, 200);
    signer.position = reader.text(object, field, "position", false, 200);
    signer.competence = reader.text(object, field, "competence", false, 200);
    return signer;
}

std::vector<edxml::Attachment> attachments(FieldReader& reader, const Object::Ptr& object,
                                           const std::string& path) {
    std::vector<edxml::Attachment> files;
    reader.array(object, path, "attachments", 0, 50,
                 [&](const Poco::Dynamic::Var& value, const std::string& field) {
                     const auto entry = reader.object(
                         value, field, {"name", "contentType", "description", "base64"});
                     edxml::Attachment file;
                     file.attachment_name = reader.text(entry, field, "name", true, 255);
                     file.content_type = reader.text(entry, field, "contentType", false, 100);
                     if (file.content_type.empty())
                         file.content_type = "application/octet-stream";
                     file.description = reader.text(entry, field, "description", false, 1000);
                     std::string base64 =
                         reader.text(entry, field, "base64", true, 64u * 1024u * 1024u);
                     if (file.attachment_name.find_first_of("/\\") != std::string::npos)
                         reader.problem(field + ".name", "must be a file name, not a path");
                     if (!base64.empty()) {
                         if (const auto check = edxml::check_base64(base64); check.ok)
                             file.encoded = std::move(base64);
                         else
                             reader.problem(field + ".base64", "is not base64: " + check.problem);
                     }
                     files.push_back(std::move(file));
                 });
    return files;
}

void document_code(FieldReader& reader, const Object::Ptr& document, const std::string& path,
                   bool required, std::string& number, std::string& notation) {
    number = reader.text(document, path, "number", required, 30);
    notation = reader.text(document, path, "notation", required, 60);
    if (number.find_first_of(",/#") != std::string::npos)
        reader.problem(FieldReader::join(path, "number"), "must not hold ',', '/' or '#'");
    if (notation.find_first_of(",#") != std::string::npos)
        reader.problem(FieldReader::join(path, "notation"), "must not hold ',' or '#'");
}

std::optional<edxml::StatusKind> status_field(FieldReader& reader, const Object::Ptr& object) {
    const std::string code = reader.text(object, "", "status", false, 2);
    if (code.empty())
        return std::nullopt;
    static const std::map<std::string, edxml::StatusKind> kCodes = {
        {"02", edxml::StatusKind::rejected},        {"03", edxml::StatusKind::accepted},
        {"04", edxml::StatusKind::assigned},        {"05", edxml::StatusKind::processing},
        {"06", edxml::StatusKind::completed},       {"13", edxml::StatusKind::take_back_request},
        {"15", edxml::StatusKind::change_accepted}, {"16", edxml::StatusKind::change_rejected},
    };
    const auto found = kCodes.find(code);
    if (found == kCodes.end()) {
        reader.problem("status", "'" + code + "' is not one of 02, 03, 04, 05, 06, 13, 15, 16");
        return std::nullopt;
    }
    return found->second;
}

}  // namespace http_api
