// The fields the write routes share (POST /tasks, /tasks/{code}/reports, /documents):
// agency codes, dates, the signer, attachments, a document's number and notation, a status.
#pragma once

#include <Poco/JSON/Object.h>

#include <optional>
#include <string>
#include <vector>

#include "edxml/dates.hpp"
#include "edxml/model.hpp"
#include "edxml/status_code.hpp"
#include "field_reader.hpp"

namespace http_api {

std::string agency_code(FieldReader& reader, const Poco::JSON::Object::Ptr& object,
                        const std::string& path, const std::string& name, bool required);
std::optional<edxml::Date> date_field(FieldReader& reader, const Poco::JSON::Object::Ptr& object,
                                      const std::string& path, const std::string& name);
edxml::SignerInfo signer(FieldReader& reader, const Poco::JSON::Object::Ptr& document,
                         const std::string& path);
std::vector<edxml::Attachment> attachments(FieldReader& reader,
                                           const Poco::JSON::Object::Ptr& object,
                                           const std::string& path);
// number and notation make the DocumentId "<sender>,<date>,<number>/<notation>".
void document_code(FieldReader& reader, const Poco::JSON::Object::Ptr& document,
                   const std::string& path, bool required, std::string& number,
                   std::string& notation);
std::optional<edxml::StatusKind> status_field(FieldReader& reader,
                                              const Poco::JSON::Object::Ptr& object);

}  // namespace http_api
