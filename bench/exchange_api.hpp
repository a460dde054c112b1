// bench/exchange --api (exchange_api.cpp): real daemons driven over the backend API.
#pragma once

#include <string>

namespace bench_api {

// One run: the stores of the two sides and how many H20 daemons share H20's.
struct Setup {
    std::string label;  // "SQLite", "PostgreSQL"
    std::string g22_store;
    std::string h20_store;
    int h20_daemons = 1;
};

int run(const std::string& connector, const std::string& work, const std::string& pki, bool quick,
        const Setup& setup);

}  // namespace bench_api
