// `connector axis …`: one axis operation through the connector's own client, for
// checking credentials and connectivity against the real axis or the simulator.
#include "axis_commands.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <sstream>

#include "connector/error.hpp"
#include "connector/secret.hpp"
#include "vdxp/http_axis_client.hpp"

namespace daemon_commands {
namespace {

constexpr const char* kAxisUsage =
    "usage: connector axis OPERATION [ARGUMENTS] --url URL --systemid ID\n"
    "                      (--secret-file FILE | --secret-env VARIABLE) [--ca-file FILE] [--json]\n"
    "\n"
    "operations:\n"
    "  agencies | agencies-qd20             the axis directory\n"
    "  send FILE --from CODE [--status]     sendEdoc; prints the DocId\n"
    "  received [--status]                  getReceivedEdocList (edoc, or status packages)\n"
    "  count [--status]                     countReceiveEdoc / countReceiveStatus\n"
    "  get DOCID [--out FILE]               getEdoc (bytes to FILE or standard output)\n"
    "  download DOCID [--out FILE]          downloadEdoc\n"
    "  ack DOCID processing|done|fail       updateStatus\n"
    "  sent DOCID [--status]                getSentEdocList: delivery per recipient\n"
    "  register --code CODE --name NAME [--parent CODE] [--id ID] [--mail MAIL]\n"
    "  delete CODE                          deleteAgency\n"
    "\n"
    "Exit status: 0 done, 1 the axis or the network refused (the error says which class),\n"
    "2 usage.\n";

struct AxisArguments {
    std::string operation;
    std::vector<std::string> positional;
    std::map<std::string, std::string> options;  // --name value
    bool status = false;
    bool json = false;
};

std::optional<AxisArguments> parse(const std::vector<std::string>& args, std::ostream& err) {
    static const std::vector<std::string> kWithValue = {
        "--url", "--systemid", "--secret-file", "--secret-env", "--ca-file", "--from",
        "--out", "--code",     "--name",        "--parent",     "--id",      "--mail"};
    AxisArguments parsed;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "--status") {
            parsed.status = true;
        } else if (arg == "--json") {
            parsed.json = true;
        } else if (std::find(kWithValue.begin(), kWithValue.end(), arg) != kWithValue.end()) {
            if (i + 1 >= args.size()) {
                err << "connector axis: " << arg << " needs a value\n";
                return std::nullopt;
            }
            parsed.options[arg] = args[++i];
        } else if (arg.rfind("--", 0) == 0) {
            err << "connector axis: unknown option " << arg << "\n" << kAxisUsage;
            return std::nullopt;
        } else if (parsed.operation.empty()) {
            parsed.operation = arg;
        } else {
            parsed.positional.push_back(arg);
        }
    }
    if (parsed.operation.empty()) {
        err << kAxisUsage;
        return std::nullopt;
    }
    for (const char* required : {"--url", "--systemid"}) {
        if (!parsed.options.count(required)) {
            err << "connector axis: " << required << " is required\n" << kAxisUsage;
            return std::nullopt;
        }
    }
    return parsed;
}

std::string option(const AxisArguments& args, const std::string& name) {
    const auto found = args.options.find(name);
    return found == args.options.end() ? std::string() : found->second;
}

connector::AxisMessageType message_type(const AxisArguments& args) {
    return args.status ? connector::AxisMessageType::status : connector::AxisMessageType::edoc;
}

void print_json(const Poco::JSON::Object& object, std::ostream& out) {
    object.stringify(out, 2);
    out << "\n";
}

int failed(const connector::AxisError& error, std::ostream& err) {
    err << "connector axis: " << error.message() << "\n";
    return 1;
}

int usage_error(const std::string& message, std::ostream& err) {
    err << "connector axis: " << message << "\n" << kAxisUsage;
    return 2;
}

int write_bytes(const std::string& bytes, const std::string& path, std::ostream& out,
                std::ostream& err) {
    if (path.empty()) {
        out << bytes;
        return 0;
    }
    std::ofstream file(path, std::ios::binary);
    file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    file.close();  // a full disk shows at close, not at write
    if (!file) {
        err << "connector axis: cannot write " << path << "\n";
        return 1;
    }
    out << "wrote " << bytes.size() << " bytes to " << path << "\n";
    return 0;
}

int run_operation(connector::AxisTransport& axis, const AxisArguments& args, std::ostream& out,
                  std::ostream& err) {
    const std::string& operation = args.operation;
    const auto& positional = args.positional;
    const auto need = [&](std::size_t count) { return positional.size() == count; };

    if (operation == "agencies" || operation == "agencies-qd20") {
        if (!need(0))
            return usage_error(operation + " takes no arguments", err);
        const auto listed = operation == "agencies" ? axis.agencies() : axis.agencies_qd20();
        if (!listed)
            return failed(listed.error(), err);
        Poco::JSON::Array data;
        for (const auto& agency : listed.value()) {
            if (args.json) {
                Poco::JSON::Object entry(Poco::JSON_PRESERVE_KEY_ORDER);
                entry.set("id", agency.id);
                entry.set("pid", agency.pid);
                entry.set("code", agency.code);
                entry.set("name", agency.name);
                entry.set("mail", agency.mail);
                entry.set("oldCode", agency.old_code);
                entry.set("code102", agency.code102);
                data.add(entry);
            } else {
                out << agency.code << "\t" << agency.name
                    << (agency.code102.empty() ? "" : "\t(QCVN 102: " + agency.code102 + ")")
                    << "\n";
            }
        }
        if (args.json) {
            data.stringify(out, 2);
            out << "\n";
        }
        return 0;
    }
    if (operation == "send") {
        if (!need(1) || option(args, "--from").empty())
            return usage_error("send takes FILE and --from CODE", err);
        std::ifstream file(positional[0], std::ios::binary);
        if (!file)
            return usage_error("cannot read " + positional[0], err);
        std::ostringstream bytes;
        bytes << file.rdbuf();
        const auto sent =
            axis.send_edoc({option(args, "--from"), message_type(args), bytes.str(), ""});
        if (!sent)
            return failed(sent.error(), err);
        out << sent.value() << "\n";
        return 0;
    }
    if (operation == "received") {
        if (!need(0))
            return usage_error("received takes no arguments", err);
        const auto listed = axis.received_list(message_type(args), {});
        if (!listed)
            return failed(listed.error(), err);
        Poco::JSON::Array data;
        for (const auto& knobstick : listed.value()) {
            if (args.json) {
                Poco::JSON::Object entry(Poco::JSON_PRESERVE_KEY_ORDER);
                entry.set("docId", knobstick.doc_id);
                entry.set("messageType", knobstick.message_type);
                entry.set("from", knobstick.from);
                entry.set("to", knobstick.to);
                entry.set("status", knobstick.status);
                entry.set("created_time", knobstick.created_time);
                data.add(entry);
            } else {
                out << knobstick.doc_id << "\t" << knobstick.message_type << "\tfrom "
                    << knobstick.from << "\tto " << knobstick.to << "\t" << knobstick.status << "\t"
                    << knobstick.created_time << "\n";
            }
        }
        if (args.json) {
            data.stringify(out, 2);
            out << "\n";
        }
        return 0;
    }
    if (operation == "count") {
        if (!need(0))
            return usage_error("count takes no arguments", err);
        const auto counted = axis.count_received(message_type(args));
        if (!counted)
            return failed(counted.error(), err);
        out << counted.value() << "\n";
        return 0;
    }
    if (operation == "get" || operation == "download") {
        if (!need(1))
            return usage_error(operation + " takes DOCID", err);
        const auto fetched =
            operation == "get" ? axis.get_edoc(positional[0]) : axis.download_edoc(positional[0]);
        if (!fetched)
            return failed(fetched.error(), err);
        return write_bytes(fetched.value(), option(args, "--out"), out, err);
    }
    if (operation == "ack") {
        static const std::map<std::string, connector::AxisReceipt> kReceipts = {
            {"processing", connector::AxisReceipt::processing},
            {"done", connector::AxisReceipt::done},
            {"fail", connector::AxisReceipt::fail}};
        if (!need(2) || !kReceipts.count(positional[1]))
            return usage_error("ack takes DOCID and processing|done|fail", err);
        const auto acked = axis.update_status(positional[0], kReceipts.at(positional[1]));
        if (!acked)
            return failed(acked.error(), err);
        out << positional[0] << ": " << positional[1] << "\n";
        return 0;
    }
    if (operation == "sent") {
        if (!need(1))
            return usage_error("sent takes DOCID", err);
        const auto trace = axis.sent_list(message_type(args), positional[0]);
        if (!trace)
            return failed(trace.error(), err);
        for (const auto& delivery : trace.value()) {
            if (args.json) {
                Poco::JSON::Object entry(Poco::JSON_PRESERVE_KEY_ORDER);
                entry.set("receiverDocId", delivery.receiver_doc_id);
                entry.set("toCode", delivery.to_code);
                entry.set("receiveStatus", delivery.receive_status);
                entry.set("receivedTime", delivery.received_time);
                print_json(entry, out);
            } else {
                out << delivery.to_code << "\t" << delivery.receive_status << "\t"
                    << delivery.receiver_doc_id << "\t" << delivery.received_time << "\n";
            }
        }
        return 0;
    }
    if (operation == "register") {
        if (!need(0) || option(args, "--code").empty() || option(args, "--name").empty())
            return usage_error("register takes --code CODE --name NAME", err);
        connector::AgencyRegistration agency;
        agency.code = option(args, "--code");
        agency.name = option(args, "--name");
        agency.parent_code = option(args, "--parent");
        agency.id = option(args, "--id").empty() ? agency.code : option(args, "--id");
        agency.mail = option(args, "--mail");
        const auto registered = axis.register_agency(agency);
        if (!registered)
            return failed(registered.error(), err);
        out << "registered " << agency.code << "\n";
        return 0;
    }
    if (operation == "delete") {
        if (!need(1))
            return usage_error("delete takes CODE", err);
        const auto deleted = axis.delete_agency(positional[0]);
        if (!deleted)
            return failed(deleted.error(), err);
        out << "deleted " << positional[0] << "\n";
        return 0;
    }
    return usage_error("unknown operation '" + operation + "'", err);
}

}  // namespace

int axis(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    if (!args.empty() && (args[0] == "--help" || args[0] == "help")) {
        out << kAxisUsage;
        return 0;
    }
    const auto parsed = parse(args, err);
    if (!parsed)
        return 2;
    try {
        vdxp::ClientSettings settings;
        settings.base_url = option(*parsed, "--url");
        settings.systemid = option(*parsed, "--systemid");
        settings.secret =
            connector::read_secret("--secret-file/--secret-env", option(*parsed, "--secret-file"),
                                   option(*parsed, "--secret-env"));
        settings.ca_file = option(*parsed, "--ca-file");
        vdxp::HttpAxisClient client(settings);
        return run_operation(client, *parsed, out, err);
    } catch (const connector::ConfigError& error) {
        err << "connector axis: " << error.what() << "\n";
        return 2;
    }
}

}  // namespace daemon_commands
