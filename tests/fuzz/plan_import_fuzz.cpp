// Fuzz target for the plan appendix import (a TSV an operator gives): any bytes give
// tasks or row errors, never a crash; every task it returns has a code and a title.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "connector/error.hpp"
#include "connector/plan_import.hpp"

namespace {

const connector::UnitDirectory& units() {
    static const connector::UnitDirectory directory = [] {
        const std::string path = std::string(CONNECTOR_SOURCE_DIR) + "/config/units-dong-thap.tsv";
        std::ifstream file(path);
        std::stringstream text;
        text << file.rdbuf();
        return connector::UnitDirectory::parse(text.str(), path);
    }();
    return directory;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view table(reinterpret_cast<const char*>(data), size);
    const connector::PlanImport imported = connector::import_plan(
        table, units(), "000.00.00.G22,2026/12/01,125/TB-VPCP", "000.00.00.G22");
    for (const auto& task : imported.tasks) {
        if (task.task_code.empty() || task.title.empty()) {
            std::fprintf(stderr, "a task without code or title was imported\n");
            std::abort();
        }
    }
    // The unit table's parser takes operator input too: a ConfigError or a directory.
    try {
        connector::UnitDirectory::parse(table, "fuzz");
    } catch (const connector::ConfigError&) {
    }
    return 0;
}
