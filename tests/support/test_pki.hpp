// The throwaway PKI that CTest fixture `pki/generate` makes with samples/pki/make-test-pki.sh.
#pragma once

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <string>

namespace test_pki {

inline std::filesystem::path dir() {
    return CONNECTOR_TEST_PKI_DIR;
}

inline std::string file(const std::string& name) {
    const auto path = dir() / name;
    BOOST_REQUIRE_MESSAGE(
        std::filesystem::exists(path),
        path << " is missing: run the tests through ctest (fixture pki/generate)");
    return path.string();
}

}  // namespace test_pki
