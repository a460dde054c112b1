// `connector migrate` and `connector audit verify-chain`.
#include "store_commands.hpp"

#include <ostream>

#include "connector/error.hpp"
#include "connector/store.hpp"
#include "store/soci_store.hpp"

namespace daemon_commands {
namespace {

constexpr const char* kDefaultStoreUrl = "sqlite3:var/connector.db";

// --store URL, or the default; the rest of the arguments must be empty.
bool store_url(const std::vector<std::string>& args, std::string& url, std::ostream& err) {
    url = kDefaultStoreUrl;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--store" && i + 1 < args.size()) {
            url = args[++i];
        } else {
            err << "unexpected argument '" << args[i] << "'; usage: --store URL (default "
                << kDefaultStoreUrl << ")\n";
            return false;
        }
    }
    return true;
}

}  // namespace

int migrate(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    std::string url;
    if (!store_url(args, url, err))
        return 2;
    try {
        const store::MigrationResult result = store::migrate(url);
        if (result.from == result.to) {
            out << "schema is up to date at version " << result.to << "\n";
        } else {
            out << "schema migrated from version " << result.from << " to " << result.to << "\n";
        }
        return 0;
    } catch (const connector::Error& error) {
        err << error.what() << "\n";
        return 1;
    }
}

int verify_chain(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    std::string url;
    if (!store_url(args, url, err))
        return 2;
    try {
        const auto opened = store::open_store(url);
        bool all_ok = true;
        for (const connector::ChainReport& report : connector::verify_chains(*opened)) {
            if (report.ok) {
                out << report.chain << ": OK, " << report.count << " entries, head "
                    << report.head_hash << "\n";
            } else {
                all_ok = false;
                out << report.chain << ": BROKEN at sequence " << report.first_bad_sequence << ": "
                    << report.problem << " (" << report.count << " entries intact before it)\n";
            }
        }
        if (all_ok)
            out << "note the head hashes elsewhere: a later rewrite of a whole chain will not "
                   "match them\n";
        return all_ok ? 0 : 1;
    } catch (const connector::Error& error) {
        err << error.what() << "\n";
        return 1;
    }
}

}  // namespace daemon_commands
