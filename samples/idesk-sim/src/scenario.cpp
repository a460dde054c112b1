// The scenario file: what the simulator submits at start and how its clerks answer.
#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>

#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "idesk_sim/simulator.hpp"
#include "text.hpp"

namespace idesk_sim {
namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

// Thrown with the JSON path; parse_scenario adds the file name.
class ScenarioError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

[[noreturn]] void bad(const std::string& path, const std::string& problem) {
    throw ScenarioError(path + ": " + problem);
}

void only_known_keys(const Object& object, const std::set<std::string>& known,
                     const std::string& path) {
    for (const std::string& name : object.getNames()) {
        if (!known.count(name))
            bad(path.empty() ? name : path + "." + name, "unknown key");
    }
}

Object::Ptr object_at(const Var& value, const std::string& path) {
    if (value.type() != typeid(Object::Ptr))
        bad(path, "must be a JSON object");
    return value.extract<Object::Ptr>();
}

Array::Ptr array_at(const Var& value, const std::string& path) {
    if (value.type() != typeid(Array::Ptr))
        bad(path, "must be a JSON array");
    return value.extract<Array::Ptr>();
}

std::string string_at(const Var& value, const std::string& path) {
    if (!value.isString())
        bad(path, "must be a string");
    return value.convert<std::string>();
}

std::string optional_string(const Object& object, const std::string& key, const std::string& path) {
    return object.has(key) ? string_at(object.get(key), path + "." + key) : std::string();
}

ReportStep step_from(const Var& value, const std::string& path) {
    const Object::Ptr object = object_at(value, path);
    only_known_keys(*object, {"status", "progress", "note", "completionDate"}, path);
    ReportStep step;
    if (object->has("status")) {
        const std::string status = string_at(object->get("status"), path + ".status");
        if (status.size() != 2 || !is_digits(status))
            bad(path + ".status", "must be a two-digit status code such as \"05\"");
        step.status = status;
    }
    if (object->has("progress")) {
        const Var progress = object->get("progress");
        if (!progress.isInteger() || progress.isBoolean() || progress.convert<Poco::Int64>() < 0 ||
            progress.convert<Poco::Int64>() > 100)
            bad(path + ".progress", "must be a whole number 0..100");
        step.progress = static_cast<int>(progress.convert<Poco::Int64>());
    }
    if (object->has("note"))
        step.note = string_at(object->get("note"), path + ".note");
    if (object->has("completionDate")) {
        const std::string date = string_at(object->get("completionDate"), path + ".completionDate");
        if (date.size() != 10 || date[4] != '-' || date[7] != '-' ||
            !is_digits(date.substr(0, 4) + date.substr(5, 2) + date.substr(8, 2)))
            bad(path + ".completionDate", "must be a date yyyy-MM-dd");
        step.completion_date = date;
    }
    if (!step.status && !step.progress && !step.note)
        bad(path, "needs at least one of status, progress, note");
    return step;
}

ClerkRule rule_from(const Var& value, const std::string& path) {
    const Object::Ptr object = object_at(value, path);
    only_known_keys(*object, {"match", "steps"}, path);
    ClerkRule rule;
    if (object->has("match")) {
        const std::string match_path = path + ".match";
        const Object::Ptr match = object_at(object->get("match"), match_path);
        only_known_keys(*match, {"side", "codeSuffix", "issuer"}, match_path);
        rule.side = optional_string(*match, "side", match_path);
        if (!rule.side.empty() && rule.side != "received" && rule.side != "issued")
            bad(match_path + ".side", "must be \"received\" or \"issued\"");
        rule.code_suffix = optional_string(*match, "codeSuffix", match_path);
        rule.issuer = optional_string(*match, "issuer", match_path);
    }
    if (!object->has("steps"))
        bad(path + ".steps", "is required");
    const Array::Ptr steps = array_at(object->get("steps"), path + ".steps");
    if (steps->size() == 0)
        bad(path + ".steps", "must hold at least one step");
    for (unsigned i = 0; i < steps->size(); ++i)
        rule.steps.push_back(step_from(steps->get(i), path + ".steps[" + std::to_string(i) + "]"));
    return rule;
}

Submission submission_from(const Var& value, const std::string& path) {
    const Object::Ptr object = object_at(value, path);
    only_known_keys(*object, {"path", "idempotencyKey", "body"}, path);
    Submission submission;
    if (!object->has("path"))
        bad(path + ".path", "is required");
    submission.path = string_at(object->get("path"), path + ".path");
    if (submission.path.empty() || submission.path.front() != '/' ||
        !is_printable_ascii(submission.path) || submission.path.find(' ') != std::string::npos)
        bad(path + ".path", "must be a URL path starting with '/', e.g. \"/api/v1/tasks\"");
    submission.idempotency_key = optional_string(*object, "idempotencyKey", path);
    if (object->has("idempotencyKey") &&
        (submission.idempotency_key.empty() || submission.idempotency_key.size() > 200 ||
         !is_printable_ascii(submission.idempotency_key)))
        bad(path + ".idempotencyKey", "must be 1-200 printable ASCII characters");
    if (!object->has("body"))
        bad(path + ".body", "is required");
    std::ostringstream body;
    object_at(object->get("body"), path + ".body")->stringify(body);
    submission.body = body.str();
    return submission;
}

}  // namespace

Scenario parse_scenario(const std::string& json, const std::string& source) {
    Object::Ptr root;
    try {
        // Key order kept, so that the submitted bodies read like the file.
        Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
        parser.setDepth(64);
        const Var parsed = parser.parse(json);
        if (parsed.type() != typeid(Object::Ptr))
            throw std::runtime_error(source + ": the scenario must be a JSON object");
        root = parsed.extract<Object::Ptr>();
    } catch (const Poco::Exception& error) {
        throw std::runtime_error(source + ": not valid JSON: " + error.displayText());
    }
    try {
        only_known_keys(*root, {"submit", "clerks"}, "");
        Scenario scenario;
        if (root->has("submit")) {
            const Array::Ptr submit = array_at(root->get("submit"), "submit");
            for (unsigned i = 0; i < submit->size(); ++i)
                scenario.submit.push_back(
                    submission_from(submit->get(i), "submit[" + std::to_string(i) + "]"));
        }
        if (root->has("clerks")) {
            const Array::Ptr clerks = array_at(root->get("clerks"), "clerks");
            for (unsigned i = 0; i < clerks->size(); ++i)
                scenario.clerks.push_back(
                    rule_from(clerks->get(i), "clerks[" + std::to_string(i) + "]"));
        }
        return scenario;
    } catch (const ScenarioError& error) {
        throw std::runtime_error(source + ": " + error.what());
    }
}

Scenario load_scenario(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file)
        throw std::runtime_error(path + ": cannot read the scenario file");
    std::ostringstream text;
    text << file.rdbuf();
    return parse_scenario(text.str(), path);
}

}  // namespace idesk_sim
