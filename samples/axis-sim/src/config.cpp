// The config file loader and the fault settings' JSON form.
#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "axis_sim/simulator.hpp"
#include "edxml/agency_code.hpp"
#include "settings.hpp"

namespace axis_sim {
namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

constexpr std::int64_t kMaxLatencyMillis = 600'000;

std::string lower(std::string text) {
    for (char& c : text)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

[[noreturn]] void bad(const std::string& key, const std::string& problem) {
    throw SettingsError(key + ": " + problem);
}

void only_known_keys(const Object& object, const std::set<std::string>& known,
                     const std::string& prefix) {
    for (const std::string& name : object.getNames()) {
        if (!known.count(name))
            bad(prefix + name, "unknown key");
    }
}

std::string string_value(const Var& value, const std::string& key) {
    if (!value.isString())
        bad(key, "must be a string");
    return value.convert<std::string>();
}

bool bool_value(const Var& value, const std::string& key) {
    if (!value.isBoolean())
        bad(key, "must be true or false");
    return value.convert<bool>();
}

std::uint64_t unsigned_value(const Var& value, const std::string& key, std::uint64_t max) {
    if (!value.isInteger())
        bad(key, "must be a whole number");
    std::uint64_t number = 0;
    try {
        number = value.convert<Poco::UInt64>();
    } catch (const Poco::Exception&) {
        bad(key, "must not be negative");
    }
    if (number > max)
        bad(key, "must be at most " + std::to_string(max));
    return number;
}

double rate_value(const Var& value, const std::string& key) {
    if (!value.isNumeric() || value.isBoolean())
        bad(key, "must be a number between 0 and 1");
    const double rate = value.convert<double>();
    if (!(rate >= 0.0 && rate <= 1.0))
        bad(key, "must be a number between 0 and 1");
    return rate;
}

Object::Ptr object_value(const Var& value, const std::string& key) {
    if (value.type() != typeid(Object::Ptr))
        bad(key, "must be a JSON object");
    return value.extract<Object::Ptr>();
}

Array::Ptr array_value(const Var& value, const std::string& key) {
    if (value.type() != typeid(Array::Ptr))
        bad(key, "must be a JSON array");
    return value.extract<Array::Ptr>();
}

std::string read_text_file(const std::filesystem::path& path, const std::string& key) {
    std::ifstream file(path, std::ios::binary);
    if (!file)
        bad(key, "cannot read " + path.string());
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

// A secret or token from `<name>_env` or `<name>_file`, never from the file in clear.
std::optional<std::string> secret_from(const Object& object, const std::string& name,
                                       const std::string& prefix,
                                       const std::filesystem::path& folder) {
    const bool has_env = object.has(name + "_env");
    const bool has_file = object.has(name + "_file");
    if (has_env && has_file)
        bad(prefix + name + "_env", "give only one of " + name + "_env and " + name + "_file");
    std::string secret;
    if (has_env) {
        const std::string key = prefix + name + "_env";
        const std::string variable = string_value(object.get(name + "_env"), key);
        const char* value = std::getenv(variable.c_str());
        if (!value || !*value)
            bad(key, "environment variable " + variable + " is not set or empty");
        secret = value;
    } else if (has_file) {
        const std::string key = prefix + name + "_file";
        std::filesystem::path path = string_value(object.get(name + "_file"), key);
        if (path.is_relative())
            path = folder / path;
        secret = read_text_file(path, key);
        // Editors end files with a newline; it is not part of the secret.
        if (!secret.empty() && secret.back() == '\n')
            secret.pop_back();
        if (!secret.empty() && secret.back() == '\r')
            secret.pop_back();
        if (secret.empty())
            bad(key, path.string() + " is empty");
    } else {
        return std::nullopt;
    }
    return secret;
}

std::string resolved(const std::string& path, const std::filesystem::path& folder) {
    if (path.empty())
        return path;
    const std::filesystem::path value(path);
    return value.is_relative() ? (folder / value).lexically_normal().string() : path;
}

AgencyConfig agency_from(const Object& object, const std::string& prefix) {
    only_known_keys(object,
                    {"id", "pid", "code", "name", "mail", "mobile", "fax", "old_code", "code_qd20"},
                    prefix);
    AgencyConfig agency;
    const std::pair<const char*, std::string*> fields[] = {
        {"id", &agency.id},     {"pid", &agency.pid},           {"code", &agency.code},
        {"name", &agency.name}, {"mail", &agency.mail},         {"mobile", &agency.mobile},
        {"fax", &agency.fax},   {"old_code", &agency.old_code}, {"code_qd20", &agency.code_qd20},
    };
    for (const auto& [name, target] : fields) {
        if (object.has(name))
            *target = string_value(object.get(name), prefix + name);
    }
    if (agency.code.empty())
        bad(prefix + "code", "missing");
    const auto check = edxml::check_agency_code(agency.code);
    if (!check.ok())
        bad(prefix + "code", "'" + agency.code + "' is not an agency code: " + check.problem);
    return agency;
}

SimulatorConfig config_from(const Object& root, const std::filesystem::path& folder) {
    only_known_keys(root,
                    {"host", "port", "base_path", "database", "admin_token_env", "admin_token_file",
                     "reoffer_failed", "lists_without_sender", "max_body_bytes", "clock_offset_s",
                     "tls", "systems", "faults"},
                    "");
    SimulatorConfig config;
    if (root.has("host"))
        config.host = string_value(root.get("host"), "host");
    if (root.has("port"))
        config.port = static_cast<unsigned short>(unsigned_value(root.get("port"), "port", 65535));
    if (root.has("base_path")) {
        config.base_path = string_value(root.get("base_path"), "base_path");
        if (!config.base_path.empty() && config.base_path.front() != '/')
            bad("base_path", "must start with '/'");
    }
    if (root.has("database"))
        config.database = resolved(string_value(root.get("database"), "database"), folder);
    if (const auto token = secret_from(root, "admin_token", "", folder))
        config.admin_token = *token;
    if (root.has("reoffer_failed"))
        config.reoffer_failed = bool_value(root.get("reoffer_failed"), "reoffer_failed");
    if (root.has("lists_without_sender"))
        config.lists_without_sender =
            bool_value(root.get("lists_without_sender"), "lists_without_sender");
    if (root.has("max_body_bytes")) {
        config.max_body_bytes =
            unsigned_value(root.get("max_body_bytes"), "max_body_bytes", std::uint64_t{1} << 40);
        if (config.max_body_bytes == 0)
            bad("max_body_bytes", "must be positive");
    }
    if (root.has("clock_offset_s")) {
        const Var& offset = root.get("clock_offset_s");
        if (!offset.isInteger())
            bad("clock_offset_s", "must be a whole number of seconds");
        config.clock_offset_s = offset.convert<Poco::Int64>();
        if (config.clock_offset_s > 10'000'000 || config.clock_offset_s < -10'000'000)
            bad("clock_offset_s", "must be within ±10000000 s");
    }
    if (root.has("tls")) {
        const Object::Ptr tls = object_value(root.get("tls"), "tls");
        only_known_keys(*tls, {"certificate", "private_key"}, "tls.");
        for (const char* name : {"certificate", "private_key"}) {
            if (!tls->has(name))
                bad(std::string("tls.") + name, "missing");
        }
        config.tls_certificate =
            resolved(string_value(tls->get("certificate"), "tls.certificate"), folder);
        config.tls_private_key =
            resolved(string_value(tls->get("private_key"), "tls.private_key"), folder);
    }
    if (!root.has("systems"))
        bad("systems", "missing: at least one system is needed");
    const Array::Ptr systems = array_value(root.get("systems"), "systems");
    if (systems->size() == 0)
        bad("systems", "at least one system is needed");
    std::set<std::string> systemids, codes;
    for (std::size_t i = 0; i < systems->size(); ++i) {
        const std::string prefix = "systems[" + std::to_string(i) + "].";
        const Object::Ptr object =
            object_value(systems->get(i), "systems[" + std::to_string(i) + "]");
        only_known_keys(*object, {"systemid", "secret_env", "secret_file", "agencies"}, prefix);
        SystemConfig system;
        if (!object->has("systemid"))
            bad(prefix + "systemid", "missing");
        system.systemid = string_value(object->get("systemid"), prefix + "systemid");
        if (system.systemid.empty())
            bad(prefix + "systemid", "empty");
        if (!systemids.insert(system.systemid).second)
            bad(prefix + "systemid", "duplicate systemid '" + system.systemid + "'");
        const auto secret = secret_from(*object, "secret", prefix, folder);
        if (!secret)
            bad(prefix + "secret_file", "missing: give secret_file or secret_env");
        system.secret = *secret;
        if (object->has("agencies")) {
            const Array::Ptr agencies = array_value(object->get("agencies"), prefix + "agencies");
            for (std::size_t j = 0; j < agencies->size(); ++j) {
                const std::string key = prefix + "agencies[" + std::to_string(j) + "]";
                AgencyConfig agency = agency_from(*object_value(agencies->get(j), key), key + ".");
                if (!codes.insert(agency.code).second)
                    bad(key + ".code", "duplicate agency code '" + agency.code + "'");
                system.agencies.push_back(std::move(agency));
            }
        }
        config.systems.push_back(std::move(system));
    }
    if (root.has("faults"))
        apply_faults(*object_value(root.get("faults"), "faults"), config.faults, "faults.");
    return config;
}

}  // namespace

const std::vector<std::string>& operation_names() {
    static const std::vector<std::string> names{
        "sendEdoc",        "getReceivedEdocList", "getEdoc",          "downloadEdoc",
        "updateStatus",    "getSentEdocList",     "countReceiveEdoc", "countReceiveStatus",
        "getAgenciesList", "getAgenciesListQD20", "registerAgency",   "deleteAgency",
    };
    return names;
}

std::optional<std::string> canonical_operation(const std::string& name) {
    for (const std::string& known : operation_names()) {
        if (lower(known) == lower(name))
            return known;
    }
    return std::nullopt;
}

void apply_faults(const Object& object, FaultSettings& faults, const std::string& prefix) {
    only_known_keys(object,
                    {"http_500_rate", "drop_before_rate", "drop_after_rate", "duplicate_rate",
                     "malformed_json_rate", "send_refusal_rate", "latency_ms",
                     "out_of_order_statuses", "operations", "seed"},
                    prefix);
    FaultSettings updated = faults;
    const std::pair<const char*, double*> rates[] = {
        {"http_500_rate", &updated.http_500_rate},
        {"drop_before_rate", &updated.drop_before_rate},
        {"drop_after_rate", &updated.drop_after_rate},
        {"duplicate_rate", &updated.duplicate_rate},
        {"malformed_json_rate", &updated.malformed_json_rate},
        {"send_refusal_rate", &updated.send_refusal_rate},
    };
    for (const auto& [name, target] : rates) {
        if (object.has(name))
            *target = rate_value(object.get(name), prefix + name);
    }
    if (object.has("latency_ms")) {
        updated.latency = std::chrono::milliseconds(static_cast<std::int64_t>(
            unsigned_value(object.get("latency_ms"), prefix + "latency_ms", kMaxLatencyMillis)));
    }
    if (object.has("out_of_order_statuses")) {
        updated.out_of_order_statuses =
            bool_value(object.get("out_of_order_statuses"), prefix + "out_of_order_statuses");
    }
    if (object.has("operations")) {
        const std::string key = prefix + "operations";
        const Array::Ptr names = array_value(object.get("operations"), key);
        updated.operations.clear();
        for (std::size_t i = 0; i < names->size(); ++i) {
            const std::string item = key + "[" + std::to_string(i) + "]";
            const std::string name = string_value(names->get(i), item);
            const auto operation = canonical_operation(name);
            if (!operation)
                bad(item, "unknown operation '" + name + "'");
            updated.operations.push_back(*operation);
        }
    }
    if (object.has("seed"))
        updated.seed = unsigned_value(object.get("seed"), prefix + "seed", UINT64_MAX);
    faults = std::move(updated);
}

Object::Ptr faults_to_json(const FaultSettings& faults) {
    Object::Ptr object = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    object->set("http_500_rate", faults.http_500_rate);
    object->set("drop_before_rate", faults.drop_before_rate);
    object->set("drop_after_rate", faults.drop_after_rate);
    object->set("duplicate_rate", faults.duplicate_rate);
    object->set("malformed_json_rate", faults.malformed_json_rate);
    object->set("send_refusal_rate", faults.send_refusal_rate);
    object->set("latency_ms", static_cast<Poco::Int64>(faults.latency.count()));
    object->set("out_of_order_statuses", faults.out_of_order_statuses);
    Array::Ptr operations = new Array;
    for (const std::string& name : faults.operations)
        operations->add(name);
    object->set("operations", operations);
    object->set("seed", static_cast<Poco::UInt64>(faults.seed));
    return object;
}

SimulatorConfig load_config(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file)
        throw std::runtime_error(path + ": cannot read the config file");
    std::ostringstream text;
    text << file.rdbuf();
    Var parsed;
    try {
        Poco::JSON::Parser parser;
        parsed = parser.parse(text.str());
    } catch (const Poco::Exception& error) {
        throw std::runtime_error(path + ": not valid JSON: " + error.displayText());
    }
    if (parsed.type() != typeid(Object::Ptr))
        throw std::runtime_error(path + ": the top level must be a JSON object");
    std::filesystem::path folder = std::filesystem::path(path).parent_path();
    if (folder.empty())
        folder = ".";
    try {
        return config_from(*parsed.extract<Object::Ptr>(), folder);
    } catch (const SettingsError& error) {
        throw std::runtime_error(path + ": " + error.what());
    }
}

}  // namespace axis_sim
