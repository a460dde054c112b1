// `connector audit messages|show|events|export|verify-bundle`: the auditors' CLI, over the
// same store reads, filters and evidence bundles as their pages.
#include "audit_commands.hpp"

#include <Poco/JSON/Array.h>

#include <fstream>
#include <iomanip>
#include <iterator>
#include <ostream>
#include <sstream>

#include "connector/clock.hpp"
#include "connector/log_search.hpp"
#include "context.hpp"
#include "evidence/bundle.hpp"
#include "http_api/json_views.hpp"
#include "store/soci_store.hpp"

namespace daemon_commands {

namespace {

constexpr const char* kUsage =
    "usage: connector audit messages [--direction inbound|outbound] [--kind edoc|status]\n"
    "           [--business-type 0-3] [--agency CODE] [--document-id ID] [--knobstick-id ID]\n"
    "           [--status-code NN] [--verdict V] [--state S] [--since D] [--until D]\n"
    "           [--before SEQ] [--limit N] [--json]\n"
    "       connector audit show SEQ [--raw]\n"
    "       connector audit events [--actor A] [--action ACTION] [--target T] [--since D]\n"
    "           [--until D] [--before SEQ] [--limit N] [--json]\n"
    "       connector audit export SEQ... --out FILE.zip\n"
    "           (each with --config FILE, or --store URL for messages, show and events)\n"
    "       connector audit verify-bundle FILE.zip --trust DIR\n"
    "D: yyyy-MM-dd (Vietnam time) or a UTC time yyyy-MM-ddTHH:mm:ss.sssZ\n";

// "--document-id" → "documentId": the CLI's options are the API's parameters.
std::string parameter_name(const std::string& option) {
    std::string name;
    bool upper = false;
    for (std::size_t i = 2; i < option.size(); ++i) {
        if (option[i] == '-') {
            upper = true;
            continue;
        }
        name += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(option[i])))
                      : option[i];
        upper = false;
    }
    return name;
}

// "--option VALUE" pairs into `query` (the API's parameters, connector/log_search.hpp), and
// --json; false, with the error written, for anything wrong.
template <typename Query>
bool read_filters(const std::vector<std::string>& args, Query& query,
                  std::string (*set)(Query&, const std::string&, const std::string&), bool& json,
                  std::ostream& err) {
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--json") {
            json = true;
            continue;
        }
        if (args[i].rfind("--", 0) != 0 || i + 1 >= args.size()) {
            err << "unexpected argument '" << args[i] << "'\n" << kUsage;
            return false;
        }
        const std::string problem = set(query, parameter_name(args[i]), args[i + 1]);
        if (!problem.empty()) {
            err << args[i] << " '" << args[i + 1] << "': " << problem << "\n";
            return false;
        }
        ++i;
    }
    return true;
}

// The store: --store URL, or the one of --config FILE (CONNECTOR_CONFIG).
struct Opened {
    std::unique_ptr<Context> context;
    std::unique_ptr<connector::Store> own;
    connector::Store& store() { return context ? *context->store : *own; }
};

Opened open_for_reading(std::vector<std::string>& args) {
    Opened opened;
    for (std::size_t i = 0; i + 1 < args.size(); ++i) {
        if (args[i] == "--store") {
            opened.own = store::open_store(args[i + 1], store::Migrations::refuse);
            args.erase(args.begin() + static_cast<std::ptrdiff_t>(i),
                       args.begin() + static_cast<std::ptrdiff_t>(i) + 2);
            return opened;
        }
    }
    const std::string config = config_path_from(args);
    if (config.empty())
        throw std::invalid_argument("give --config FILE (or CONNECTOR_CONFIG) or --store URL");
    opened.context = open_context(config, store::Migrations::refuse);
    return opened;
}

// Columns padded to their widest cell, counted in characters (UTF-8 aware).
void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
    const auto width = [](const std::string& text) {
        std::size_t count = 0;
        for (const unsigned char c : text)
            count += (c & 0xC0) != 0x80;
        return count;
    };
    std::vector<std::size_t> widths;
    for (const auto& row : rows) {
        widths.resize(std::max(widths.size(), row.size()));
        for (std::size_t i = 0; i < row.size(); ++i)
            widths[i] = std::max(widths[i], width(row[i]));
    }
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size())
                line += std::string(widths[i] - width(row[i]) + 2, ' ');
        }
        out << line << "\n";
    }
}

const char* direction_label(connector::Direction direction) {
    return direction == connector::Direction::inbound ? "nhận" : "gửi";
}

const char* kind_label(const std::string& kind) {
    return kind == "status" ? "trạng thái" : "văn bản";
}

int messages(std::vector<std::string> args, std::ostream& out, std::ostream& err) {
    Opened opened = open_for_reading(args);
    connector::MessageQuery query;
    bool json = false;
    if (!read_filters(args, query, connector::set_message_filter, json, err))
        return 2;
    const connector::MessagePage page = opened.store().find_messages(query);
    if (json) {
        Poco::JSON::Object::Ptr body = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
        for (const connector::LoggedMessage& message : page.messages)
            list->add(http_api::message_json(message.entry, message.transport));
        body->set("messages", list);
        body->set("total", page.total);
        body->set("totalExact", page.total_exact);
        out << http_api::to_text(body) << "\n";
        return 0;
    }
    std::vector<std::vector<std::string>> rows = {{"Số", "Thời điểm (giờ VN)", "Chiều", "Loại",
                                                   "Từ", "Đến", "DocumentId", "Mã", "Chữ ký",
                                                   "Truyền"}};
    for (const connector::LoggedMessage& message : page.messages) {
        const connector::MessageEntry& m = message.entry;
        rows.push_back({std::to_string(m.sequence), connector::vietnam_time_text(m.recorded_at),
                        direction_label(m.direction), kind_label(m.kind), m.from_agency,
                        m.to_agencies, m.document_id, m.status_code.empty() ? "-" : m.status_code,
                        m.signature_verdict, message.transport ? message.transport->state : "-"});
    }
    print_table(out, rows);
    out << page.messages.size() << " / " << (page.total_exact ? "" : "hơn ") << page.total
        << " thông điệp";
    if (page.messages.size() == query.limit)
        out << "; trang sau: --before " << page.messages.back().entry.sequence;
    out << "\n";
    return 0;
}

int show(std::vector<std::string> args, std::ostream& out, std::ostream& err) {
    Opened opened = open_for_reading(args);
    bool raw = false;
    std::string text;
    for (const std::string& arg : args) {
        if (arg == "--raw")
            raw = true;
        else if (text.empty() && !arg.empty() && arg.size() <= 18 &&
                 arg.find_first_not_of("0123456789") == std::string::npos)
            text = arg;
        else {
            err << "unexpected argument '" << arg << "'\n" << kUsage;
            return 2;
        }
    }
    if (text.empty()) {
        err << "give the message's sequence\n" << kUsage;
        return 2;
    }
    const std::int64_t sequence = std::stoll(text);
    connector::Store& store = opened.store();
    const auto entry = store.message_without_raw(sequence);
    if (!entry) {
        err << "no message " << text << " in the log\n";
        return 1;
    }
    if (raw) {
        out << store.messages(sequence - 1, 1).front().raw;
        return 0;
    }
    const auto transport = store.transport_state(sequence);
    out << "Thông điệp số:   " << entry->sequence << "\n"
        << "Ghi nhận lúc:    " << connector::vietnam_time_text(entry->recorded_at) << " (giờ VN)\n"
        << "Chiều:           " << direction_label(entry->direction) << "\n"
        << "Loại:            " << kind_label(entry->kind) << ", nghiệp vụ " << entry->business_type
        << "\n"
        << "DocumentId:      " << entry->document_id << "\n"
        << "Mã gói trên trục: "
        << (entry->knobstick_id.empty() && transport ? transport->knobstick : entry->knobstick_id)
        << "\n"
        << "Từ:              " << entry->from_agency << "\n"
        << "Đến:             " << entry->to_agencies << "\n"
        << "Mã trạng thái:   " << (entry->status_code.empty() ? "-" : entry->status_code) << "\n"
        << "Trích yếu:       " << entry->subject << "\n"
        << "Chữ ký:          " << entry->signature_verdict << "\n"
        << "Người ký:        " << entry->signer << "\n"
        << "Đơn vị của chứng thư: " << entry->signer_agency << "\n"
        << "Người yêu cầu:   " << (entry->requested_by.empty() ? "-" : entry->requested_by) << "\n"
        << "Kích thước:      " << entry->raw_size << " byte, SHA-256 " << entry->raw_sha256 << "\n"
        << "Băm trước:       " << entry->prev_hash << "\n"
        << "Băm mục:         " << entry->entry_hash << "\n"
        << "Truyền:\n";
    for (const connector::TransportEntry& step : store.transport_history(sequence))
        out << "  " << connector::vietnam_time_text(connector::utc_text(step.since)) << "  "
            << step.state << (step.reason.empty() ? "" : "  " + step.reason) << "\n";
    out << "Nhiệm vụ liên quan:\n";
    for (const connector::TaskEvent& event : store.events_of_message(sequence))
        out << "  " << event.task_code << "  " << event.kind << "  " << event.detail << "\n";
    return 0;
}

int events(std::vector<std::string> args, std::ostream& out, std::ostream& err) {
    Opened opened = open_for_reading(args);
    connector::AuditQuery query;
    bool json = false;
    if (!read_filters(args, query, connector::set_audit_filter, json, err))
        return 2;
    const auto found = opened.store().find_audit_entries(query);
    if (json) {
        Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
        for (const connector::AuditEntry& entry : found)
            list->add(http_api::audit_json(entry));
        Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
        body->set("events", list);
        out << http_api::to_text(body) << "\n";
        return 0;
    }
    std::vector<std::vector<std::string>> rows = {
        {"Số", "Thời điểm (giờ VN)", "Người thực hiện", "Hành động", "Đối tượng", "Chi tiết"}};
    for (const connector::AuditEntry& entry : found)
        rows.push_back({std::to_string(entry.sequence),
                        connector::vietnam_time_text(entry.recorded_at), entry.actor, entry.action,
                        entry.target, entry.detail});
    print_table(out, rows);
    return 0;
}

int export_bundle(std::vector<std::string> args, std::ostream& out, std::ostream& err) {
    const std::string config = config_path_from(args);
    std::string file;
    std::vector<std::int64_t> sequences;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--out" && i + 1 < args.size()) {
            file = args[++i];
        } else if (!args[i].empty() && args[i].size() <= 18 &&
                   args[i].find_first_not_of("0123456789") == std::string::npos) {
            sequences.push_back(std::stoll(args[i]));
        } else {
            err << "unexpected argument '" << args[i] << "'\n" << kUsage;
            return 2;
        }
    }
    if (file.empty() || sequences.empty() || config.empty()) {
        err << "give the sequences, --out FILE.zip and --config FILE\n" << kUsage;
        return 2;
    }
    const auto context = open_context(config, store::Migrations::refuse);
    const auto signing = context->signing;
    if (!signing) {
        err << "evidence bundles are signed: configure signing.key_file and "
               "signing.certificate_file\n";
        return 2;
    }
    evidence::BundleSource source{*context->store,
                                  *signing,
                                  context->settings.text("signing.certificate_file"),
                                  context->settings.text("signing.chain_file"),
                                  context->checkpointer.get(),
                                  "cli",
                                  context->clock.now()};
    const std::string bundle = evidence::make_bundle(source, sequences);
    std::ofstream written(file, std::ios::binary | std::ios::trunc);
    written << bundle;
    written.close();
    if (!written) {
        err << "cannot write " << file << "\n";
        return 1;
    }
    out << "bundle " << file << ": " << sequences.size() << " message(s), " << bundle.size()
        << " bytes; check it with: connector audit verify-bundle " << file << " --trust DIR\n";
    return 0;
}

int verify_bundle(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    std::string file, trust;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--trust" && i + 1 < args.size())
            trust = args[++i];
        else if (file.empty() && args[i].rfind("--", 0) != 0)
            file = args[i];
        else {
            err << "unexpected argument '" << args[i] << "'\n" << kUsage;
            return 2;
        }
    }
    if (file.empty() || trust.empty()) {
        err << "give FILE.zip and --trust DIR\n" << kUsage;
        return 2;
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        err << "cannot read " << file << "\n";
        return 2;
    }
    const std::string bytes{std::istreambuf_iterator<char>(in), {}};
    const evidence::BundleCheck check = evidence::verify_bundle(bytes, trust);
    for (const std::string& line : check.lines)
        out << "ok: " << line << "\n";
    if (!check.intact) {
        out << "REFUSED: " << check.problem << "\n";
        return 1;
    }
    for (const std::string& line : check.packages)
        out << line << "\n";
    out << "bundle intact\n"
        << "each package's signature with the xmlsec1 tool (after unzip):\n"
        << check.xmlsec1_commands;
    return 0;
}

}  // namespace

int audit(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    if (args.empty()) {
        err << kUsage;
        return 2;
    }
    const std::string action = args[0];
    std::vector<std::string> rest(args.begin() + 1, args.end());
    try {
        if (action == "messages")
            return messages(rest, out, err);
        if (action == "show")
            return show(rest, out, err);
        if (action == "events")
            return events(rest, out, err);
        if (action == "export")
            return export_bundle(rest, out, err);
        if (action == "verify-bundle")
            return verify_bundle(rest, out, err);
    } catch (const std::invalid_argument& error) {
        err << error.what() << "\n";
        return 2;
    } catch (const std::exception& error) {
        err << error.what() << "\n";
        return 1;
    }
    err << "unknown audit command '" << action << "'\n" << kUsage;
    return 2;
}

}  // namespace daemon_commands
