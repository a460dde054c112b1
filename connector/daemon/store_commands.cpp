// `connector migrate`, `connector backup`, `connector restore` and `connector audit
// verify-chain`.
#include "store_commands.hpp"

#include <cstring>
#include <functional>
#include <ostream>

#include "config/settings.hpp"
#include "connector/checkpoint.hpp"
#include "connector/error.hpp"
#include "connector/store.hpp"
#include "store/soci_store.hpp"

extern char** environ;

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

// The store of --store URL or of --config FILE (store.url), or the default.
std::string store_of(const std::string& url, const std::string& config_path) {
    if (config_path.empty())
        return url.empty() ? kDefaultStoreUrl : url;
    return config::Settings::load(config_path, environ).text("store.url");
}

// Both chains walked; each reported in a line; true when both are intact.
bool report_chains(connector::Store& store, const connector::ChainExpectations& expectations,
                   std::ostream& out) {
    bool all_ok = true;
    for (const connector::ChainReport& report : connector::verify_chains(store, expectations)) {
        if (report.ok) {
            out << report.chain << ": OK, " << report.count << " entries, head " << report.head_hash
                << "\n";
        } else {
            all_ok = false;
            out << report.chain << ": BROKEN at sequence " << report.first_bad_sequence << ": "
                << report.problem << " (" << report.count << " entries intact before it)\n";
        }
    }
    return all_ok;
}

// The arguments of backup and restore: the file (--out or --from), the store (--store URL
// or --config FILE) and, for restore, --replace. False, with the usage said, when wrong.
struct FileAndStore {
    std::string file, url, config_path;
    bool replace = false;
};
bool parse_file_and_store(const std::vector<std::string>& args, const char* command,
                          const char* file_flag, bool takes_replace, const char* usage,
                          FileAndStore& parsed, std::ostream& err) {
    for (std::size_t i = 0; i < args.size(); ++i) {
        const bool has_value = i + 1 < args.size();
        if (args[i] == file_flag && has_value) {
            parsed.file = args[++i];
        } else if (args[i] == "--store" && has_value) {
            parsed.url = args[++i];
        } else if (args[i] == "--config" && has_value) {
            parsed.config_path = args[++i];
        } else if (takes_replace && args[i] == "--replace") {
            parsed.replace = true;
        } else {
            err << "unexpected argument '" << args[i] << "'; " << usage << "\n";
            return false;
        }
    }
    if (parsed.file.empty()) {
        err << "connector " << command << ": " << file_flag << " FILE is missing; " << usage
            << "\n";
        return false;
    }
    return true;
}

// Runs `work`; a configuration problem (a PostgreSQL URL, a missing file) exits 2, any
// other failure 1, each with its message.
int exit_status_of(const std::function<int()>& work, std::ostream& err) {
    try {
        return work();
    } catch (const connector::ConfigError& error) {
        err << error.what() << "\n";
        return 2;
    } catch (const std::exception& error) {
        err << error.what() << "\n";
        return 1;
    }
}

}  // namespace

int backup(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    FileAndStore parsed;
    if (!parse_file_and_store(
            args, "backup", "--out", false,
            "usage: connector backup --out FILE [--store sqlite3:PATH | --config FILE]", parsed,
            err))
        return 2;
    return exit_status_of(
        [&] {
            const std::string source = store_of(parsed.url, parsed.config_path);
            const std::int64_t bytes = store::backup(source, parsed.file);
            // What the copy holds, read from the copy: the heads to note beside it.
            const auto copy = store::open_store("sqlite3:" + parsed.file);
            out << "backed up " << source << " to " << parsed.file << " (" << bytes
                << " bytes, schema " << copy->schema_version() << ")\n";
            out << "messages head " << copy->message_head().sequence << ":"
                << copy->message_head().hash << "\n";
            out << "audit_events head " << copy->audit_head().sequence << ":"
                << copy->audit_head().hash << "\n";
            return 0;
        },
        err);
}

int restore(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    FileAndStore parsed;
    if (!parse_file_and_store(args, "restore", "--from", true,
                              "usage: connector restore --from FILE [--store sqlite3:PATH | "
                              "--config FILE] [--replace]",
                              parsed, err))
        return 2;
    return exit_status_of(
        [&] {
            const std::string target = store_of(parsed.url, parsed.config_path);
            store::restore(parsed.file, target, parsed.replace);
            out << "restored " << parsed.file << " to " << target << "\n";
            // A backup an older release made is brought to this release's schema:
            // restoring it with this binary is asking for that.
            const store::MigrationResult migrated = store::migrate(target);
            if (migrated.from != migrated.to)
                out << "schema migrated from version " << migrated.from << " to " << migrated.to
                    << "\n";
            const auto restored = store::open_store(target);
            return report_chains(*restored, {}, out) ? 0 : 1;
        },
        err);
}

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

namespace {

// "[messages:|audit_events:]SEQ:HASH".
bool parse_expected_head(const std::string& text, connector::ChainExpectations& expectations) {
    std::string chain = "messages", rest = text;
    for (const char* name : {"messages:", "audit_events:"}) {
        if (text.rfind(name, 0) == 0) {
            chain = std::string(name, std::strlen(name) - 1);
            rest = text.substr(std::strlen(name));
        }
    }
    const auto colon = rest.find(':');
    if (colon == std::string::npos || colon == 0 || colon > 18 ||
        rest.find_first_not_of("0123456789") != colon || rest.size() - colon - 1 != 64)
        return false;
    connector::ChainHead head{std::stoll(rest.substr(0, colon)), rest.substr(colon + 1)};
    (chain == "messages" ? expectations.expected_message_head : expectations.expected_audit_head) =
        head;
    return true;
}

}  // namespace

int verify_chain(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    constexpr const char* kUsage =
        "usage: connector audit verify-chain [--store URL | --config FILE] [--checkpoints FILE "
        "[--cert CERT.pem] [--to-last-checkpoint]] [--expect-head "
        "[messages:|audit_events:]SEQ:HASH]";
    std::string url = kDefaultStoreUrl, config_path, checkpoint_file, certificate;
    connector::ChainExpectations expectations;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        const bool has_value = i + 1 < args.size();
        if (arg == "--store" && has_value) {
            url = args[++i];
        } else if (arg == "--config" && has_value) {
            config_path = args[++i];
        } else if (arg == "--checkpoints" && has_value) {
            checkpoint_file = args[++i];
        } else if (arg == "--cert" && has_value) {
            certificate = args[++i];
        } else if (arg == "--to-last-checkpoint") {
            expectations.ends_at_last_checkpoint = true;
        } else if (arg == "--expect-head" && has_value) {
            if (!parse_expected_head(args[++i], expectations)) {
                err << "--expect-head '" << args[i]
                    << "': expected [messages:|audit_events:]SEQUENCE:HASH (64 hex digits)\n";
                return 2;
            }
        } else {
            err << "unexpected argument '" << arg << "'; " << kUsage << "\n";
            return 2;
        }
    }
    try {
        if (!config_path.empty()) {
            const config::Settings settings = config::Settings::load(config_path, environ);
            url = settings.text("store.url");
            if (checkpoint_file.empty())
                checkpoint_file = settings.text("audit.checkpoint_file");
            if (certificate.empty())
                certificate = settings.text("signing.certificate_file");
        }
        if (!checkpoint_file.empty()) {
            if (certificate.empty()) {
                err << "--checkpoints needs the certificate that signs them (--cert, or "
                       "signing.certificate_file through --config)\n";
                return 2;
            }
            expectations.checkpoints = connector::read_checkpoint_file(checkpoint_file);
            if (const auto bad =
                    connector::first_unsigned_checkpoint(expectations.checkpoints, certificate)) {
                const connector::ChainCheckpoint& checkpoint = expectations.checkpoints[*bad];
                out << "checkpoints: BROKEN: checkpoint " << *bad + 1 << " (" << checkpoint.chain
                    << " at " << checkpoint.sequence << ", " << checkpoint.recorded_at
                    << ") is not signed by " << certificate << "\n";
                return 1;
            }
            out << "checkpoints: " << expectations.checkpoints.size() << " signed by "
                << certificate << "\n";
        }
        const auto opened = store::open_store(url);
        const bool all_ok = report_chains(*opened, expectations, out);
        if (all_ok && expectations.checkpoints.empty() && !expectations.expected_message_head)
            out << "note: without --checkpoints or --expect-head a rewrite of a whole chain and "
                   "its head cannot be seen\n";
        return all_ok ? 0 : 1;
    } catch (const std::exception& error) {
        err << error.what() << "\n";
        return 1;
    }
}

}  // namespace daemon_commands
