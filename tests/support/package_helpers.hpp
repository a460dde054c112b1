// Shortcuts for tests that read packages and look at their diagnostics.
#pragma once

#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>

#include "edxml/reader.hpp"
#include "printers.hpp"

namespace test_packages {

inline bool mentions(const edxml::Diagnostics& list, std::string_view text) {
    for (const auto& item : list) {
        if (item.message.find(text) != std::string::npos)
            return true;
    }
    return false;
}

inline bool has_code(const edxml::Diagnostics& list, edxml::ErrorCode code) {
    for (const auto& item : list) {
        if (item.code == code)
            return true;
    }
    return false;
}

// The first error, for messages in failed assertions.
inline std::string first_error(const edxml::ReadResult& result) {
    return result.errors.empty() ? "(no error)" : result.errors.front().to_string();
}

inline std::string first_warning(const edxml::ReadResult& result) {
    return result.warnings.empty() ? "(no warning)" : result.warnings.front().to_string();
}

inline const edxml::DocumentPackage& document(const edxml::ReadResult& result) {
    BOOST_REQUIRE_MESSAGE(result.package, "no package: " << first_error(result));
    BOOST_REQUIRE(std::holds_alternative<edxml::DocumentPackage>(*result.package));
    return std::get<edxml::DocumentPackage>(*result.package);
}

inline const edxml::StatusPackage& status(const edxml::ReadResult& result) {
    BOOST_REQUIRE_MESSAGE(result.package, "no package: " << first_error(result));
    BOOST_REQUIRE(std::holds_alternative<edxml::StatusPackage>(*result.package));
    return std::get<edxml::StatusPackage>(*result.package);
}

// Replaces the first occurrence of `from` in `text`; fails the test when absent.
inline std::string replaced(std::string text, std::string_view from, std::string_view to) {
    const auto at = text.find(from);
    BOOST_REQUIRE_MESSAGE(at != std::string::npos, "test input lacks '" << from << "'");
    return text.replace(at, from.size(), to);
}

}  // namespace test_packages
