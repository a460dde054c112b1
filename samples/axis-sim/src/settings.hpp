// Fault settings as JSON (the config file's `faults` object, GET/PUT /admin/faults) and
// the list of operations the simulator serves.
#pragma once

#include <Poco/JSON/Object.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "axis_sim/simulator.hpp"

namespace axis_sim {

// A bad setting: the message starts with the key path, e.g. "faults.seed: must be …".
class SettingsError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// The API operations, spelled as on the wire.
const std::vector<std::string>& operation_names();
// The wire spelling of `name` (matched case-insensitively), or nothing.
std::optional<std::string> canonical_operation(const std::string& name);

// Applies the keys present in `object` to `faults` (a partial update). Nothing is changed
// when a key is unknown or a value is bad: SettingsError names `prefix` + the key.
void apply_faults(const Poco::JSON::Object& object, FaultSettings& faults,
                  const std::string& prefix);
Poco::JSON::Object::Ptr faults_to_json(const FaultSettings& faults);

}  // namespace axis_sim
