// The bundle's files: zip in and out, the chain proof's entries as JSON, and the SHA-256
// and certificate helpers both sides use.
#pragma once

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "connector/message_log.hpp"
#include "connector/store.hpp"

namespace evidence::detail {

constexpr const char* kFormat = "connector-evidence-v1";

// Named files, in order, as a zip (deflated).
std::string zip_files(const std::vector<std::pair<std::string, std::string>>& files);
// The files of a zip by name. Throws std::runtime_error naming what is wrong: not a zip,
// a name that is a path outside the bundle or given twice, more than `max_bytes` in all.
std::map<std::string, std::string> unzip_files(const std::string& zip_bytes,
                                               std::uint64_t max_bytes);

// Every field of a log entry that its hash covers (and raw_sha256), not its bytes.
Poco::JSON::Object::Ptr entry_json(const connector::MessageEntry& entry);
// Throws std::runtime_error naming the missing or mistyped field.
connector::MessageEntry entry_from_json(const Poco::JSON::Object& json);
Poco::JSON::Object::Ptr checkpoint_json(const connector::ChainCheckpoint& checkpoint);
connector::ChainCheckpoint checkpoint_from_json(const Poco::JSON::Object& json);

std::string json_text(const Poco::JSON::Object::Ptr& json);
Poco::JSON::Object::Ptr parse_json(const std::string& text, const std::string& file);

std::string package_file_name(std::int64_t sequence);

}  // namespace evidence::detail
