#include "bundle_files.hpp"

#include <Poco/DateTime.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/Zip/Compress.h>
#include <Poco/Zip/ZipArchive.h>
#include <Poco/Zip/ZipStream.h>

#include <sstream>
#include <stdexcept>

namespace evidence::detail {

using Poco::JSON::Object;

std::string zip_files(const std::vector<std::pair<std::string, std::string>>& files) {
    std::ostringstream out(std::ios::binary);
    Poco::Zip::Compress compress(out, true);
    const Poco::DateTime now;
    for (const auto& [name, bytes] : files) {
        std::istringstream in(bytes, std::ios::binary);
        compress.addFile(in, now, Poco::Path(name, Poco::Path::PATH_UNIX),
                         Poco::Zip::ZipCommon::CM_DEFLATE, Poco::Zip::ZipCommon::CL_NORMAL);
    }
    compress.close();
    return out.str();
}

std::map<std::string, std::string> unzip_files(const std::string& zip_bytes,
                                               std::uint64_t max_bytes) {
    std::istringstream in(zip_bytes, std::ios::binary);
    std::map<std::string, std::string> files;
    try {
        const Poco::Zip::ZipArchive archive(in);
        std::uint64_t declared = 0;
        for (auto it = archive.headerBegin(); it != archive.headerEnd(); ++it) {
            const std::string& name = it->first;
            if (name.empty() || name.front() == '/' || name.find("..") != std::string::npos ||
                name.find('\\') != std::string::npos)
                throw std::runtime_error("the bundle holds a file named '" + name +
                                         "', which is not a name inside it");
            if (!it->second.isFile())
                continue;
            declared += it->second.getUncompressedSize();
            if (declared > max_bytes)
                throw std::runtime_error("the bundle holds more than " + std::to_string(max_bytes) +
                                         " bytes uncompressed");
        }
        std::uint64_t read = 0;
        for (auto it = archive.headerBegin(); it != archive.headerEnd(); ++it) {
            if (!it->second.isFile())
                continue;
            Poco::Zip::ZipInputStream zipped(in, it->second, true);
            std::string bytes;
            char buffer[65536];
            // Whatever the headers claim, reading stops past the limit.
            while (zipped.read(buffer, sizeof buffer) || zipped.gcount() > 0) {
                bytes.append(buffer, static_cast<std::size_t>(zipped.gcount()));
                read += static_cast<std::uint64_t>(zipped.gcount());
                if (read > max_bytes)
                    throw std::runtime_error("the bundle holds more than " +
                                             std::to_string(max_bytes) + " bytes uncompressed");
            }
            if (!files.emplace(it->first, std::move(bytes)).second)
                throw std::runtime_error("the bundle holds '" + it->first + "' twice");
        }
    } catch (const Poco::Exception& error) {
        throw std::runtime_error("the bundle is not a readable zip: " + error.displayText());
    }
    return files;
}

Object::Ptr entry_json(const connector::MessageEntry& entry) {
    Object::Ptr json = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    json->set("sequence", entry.sequence);
    json->set("direction", connector::to_string(entry.direction));
    json->set("kind", entry.kind);
    json->set("businessType", entry.business_type);
    json->set("documentId", entry.document_id);
    json->set("knobstickId", entry.knobstick_id);
    json->set("fromAgency", entry.from_agency);
    json->set("toAgencies", entry.to_agencies);
    json->set("statusCode", entry.status_code);
    json->set("subject", entry.subject);
    json->set("rawSize", entry.raw_size);
    json->set("rawSha256", entry.raw_sha256);
    json->set("signatureVerdict", entry.signature_verdict);
    json->set("signer", entry.signer);
    json->set("signerAgency", entry.signer_agency);
    json->set("requestedBy", entry.requested_by);
    json->set("recordedAt", entry.recorded_at);
    json->set("prevHash", entry.prev_hash);
    json->set("entryHash", entry.entry_hash);
    return json;
}

namespace {

std::string text_field(const Object& json, const std::string& name) {
    if (!json.has(name) || !json.get(name).isString())
        throw std::runtime_error("'" + name + "' is missing or not a string");
    return json.getValue<std::string>(name);
}

std::int64_t number_field(const Object& json, const std::string& name) {
    if (!json.has(name) || !json.get(name).isInteger())
        throw std::runtime_error("'" + name + "' is missing or not a whole number");
    return json.getValue<std::int64_t>(name);
}

}  // namespace

connector::MessageEntry entry_from_json(const Object& json) {
    connector::MessageEntry entry;
    entry.sequence = number_field(json, "sequence");
    const std::string direction = text_field(json, "direction");
    entry.direction = direction == "inbound"    ? connector::Direction::inbound
                      : direction == "outbound" ? connector::Direction::outbound
                                                : connector::Direction::unknown;
    entry.kind = text_field(json, "kind");
    entry.business_type = static_cast<int>(number_field(json, "businessType"));
    entry.document_id = text_field(json, "documentId");
    entry.knobstick_id = text_field(json, "knobstickId");
    entry.from_agency = text_field(json, "fromAgency");
    entry.to_agencies = text_field(json, "toAgencies");
    entry.status_code = text_field(json, "statusCode");
    entry.subject = text_field(json, "subject");
    entry.raw_size = number_field(json, "rawSize");
    entry.raw_sha256 = text_field(json, "rawSha256");
    entry.signature_verdict = text_field(json, "signatureVerdict");
    entry.signer = text_field(json, "signer");
    entry.signer_agency = text_field(json, "signerAgency");
    entry.requested_by = text_field(json, "requestedBy");
    entry.recorded_at = text_field(json, "recordedAt");
    entry.prev_hash = text_field(json, "prevHash");
    entry.entry_hash = text_field(json, "entryHash");
    return entry;
}

Object::Ptr checkpoint_json(const connector::ChainCheckpoint& checkpoint) {
    Object::Ptr json = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    json->set("chain", checkpoint.chain);
    json->set("sequence", checkpoint.sequence);
    json->set("hash", checkpoint.hash);
    json->set("recordedAt", checkpoint.recorded_at);
    json->set("signer", checkpoint.signer);
    json->set("signature", checkpoint.signature);
    return json;
}

connector::ChainCheckpoint checkpoint_from_json(const Object& json) {
    return {text_field(json, "chain"),  number_field(json, "sequence"),
            text_field(json, "hash"),   text_field(json, "recordedAt"),
            text_field(json, "signer"), text_field(json, "signature")};
}

std::string json_text(const Object::Ptr& json) {
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(json, out, 2);
    out << "\n";
    return out.str();
}

Object::Ptr parse_json(const std::string& text, const std::string& file) {
    try {
        Poco::JSON::Parser parser;
        parser.setDepth(16);
        const Poco::Dynamic::Var parsed = parser.parse(text);
        if (parsed.type() != typeid(Object::Ptr) || !parsed.extract<Object::Ptr>())
            throw std::runtime_error(file + " is not a JSON object");
        return parsed.extract<Object::Ptr>();
    } catch (const Poco::Exception& error) {
        throw std::runtime_error(file + " is not JSON: " + error.displayText());
    }
}

std::string package_file_name(std::int64_t sequence) {
    return "packages/message-" + std::to_string(sequence) + ".xml";
}

}  // namespace evidence::detail
