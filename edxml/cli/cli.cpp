#include "edxml/cli.hpp"

#include <map>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <set>

#include "cli_commands.hpp"
#include "edxml/attachments.hpp"
#include "edxml/reader.hpp"
#include "edxml/task_profile.hpp"
#include "edxml/validate.hpp"

namespace edxml {
namespace {

namespace fs = std::filesystem;

constexpr const char* kUsage =
    "usage: connector edxml <command> [options]\n"
    "\n"
    "commands:\n"
    "  inspect FILE [--json]           summary of a package (JSON for machines)\n"
    "  validate FILE...                full validation; exit 0 all valid, 1 some invalid\n"
    "  attachments FILE --out DIR [--unzip]\n"
    "                                  write the decoded attachments into DIR; --unzip also\n"
    "                                  extracts the file inside zip-wrapped attachments\n"
    "  sign (--key K --cert C [--chain F] | --pkcs12 P) [--passphrase-file F |\n"
    "       --passphrase-env VAR] [--sha1] IN OUT\n"
    "                                  sign a package (RSA-SHA256; --sha1 for a legacy peer)\n"
    "  verify --trust PATH... [--crl F|DIR]... [--system-trust] [--allow-sha1]\n"
    "       [--sender CODE] [--signer-attribute CN|OU|UID|serialNumber|…] [--signers FILE]\n"
    "       [--json] FILE...\n"
    "                                  check signatures and that the signer is the sender\n"
    "                                  (--sender, else the package's From); exit 0 all\n"
    "                                  valid, 1 some not valid\n"
    "\n"
    "options for every command:\n"
    "  --max-size BYTES                refuse inputs larger than this (default 67108864)\n";

// Parses the options of the subcommands; returns an error message or "".
std::string parse_arguments(const std::vector<std::string>& args, Arguments& parsed) {
    const std::map<std::string, bool*> flags = {{"--json", &parsed.json},
                                                {"--unzip", &parsed.unzip},
                                                {"--sha1", &parsed.sha1},
                                                {"--no-sha1", &parsed.no_sha1},
                                                {"--allow-sha1", &parsed.allow_sha1},
                                                {"--system-trust", &parsed.system_trust}};
    const std::map<std::string, std::string*> values = {
        {"--out", &parsed.out_dir},
        {"--key", &parsed.key_file},
        {"--cert", &parsed.cert_file},
        {"--chain", &parsed.chain_file},
        {"--pkcs12", &parsed.pkcs12_file},
        {"--passphrase-file", &parsed.passphrase_file},
        {"--passphrase-env", &parsed.passphrase_env},
        {"--sender", &parsed.sender},
        {"--signer-attribute", &parsed.signer_attribute},
        {"--signers", &parsed.signers_file}};
    const std::map<std::string, std::vector<std::string>*> lists = {{"--trust", &parsed.trust},
                                                                    {"--crl", &parsed.crls}};
    for (std::size_t i = 1; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (const auto flag = flags.find(arg); flag != flags.end()) {
            *flag->second = true;
            continue;
        }
        const bool takes_value = values.count(arg) || lists.count(arg) || arg == "--max-size";
        if (takes_value && i + 1 >= args.size())
            return arg + " needs a value";
        if (const auto value = values.find(arg); value != values.end()) {
            *value->second = args[++i];
        } else if (const auto list = lists.find(arg); list != lists.end()) {
            list->second->push_back(args[++i]);
        } else if (arg == "--max-size") {
            const std::string& text = args[++i];
            std::size_t bytes = 0;
            const auto [end, error] =
                std::from_chars(text.data(), text.data() + text.size(), bytes);
            if (error != std::errc() || end != text.data() + text.size() || bytes == 0)
                return "--max-size needs a positive number of bytes, not '" + text + "'";
            parsed.read_options.limits.max_input_bytes = bytes;
        } else if (arg.size() > 1 && arg[0] == '-') {
            return "unknown option '" + arg + "'";
        } else {
            parsed.files.push_back(arg);
        }
    }
    return "";
}

std::string joined(const std::vector<std::string>& values, const char* separator) {
    std::string text;
    for (const std::string& value : values) {
        if (!text.empty())
            text += separator;
        text += value;
    }
    return text;
}

std::string organization_label(const Organization& org) {
    return org.organ_name.empty() ? org.organ_id : org.organ_id + " " + org.organ_name;
}

std::string code_label(const DocumentCode& code) {
    if (code.notation.empty())
        return code.number;
    return code.number.empty() ? code.notation : code.number + "/" + code.notation;
}

std::optional<TaskProfileResult> task_profile_of(const DocumentPackage& document,
                                                 const ReadOptions& options) {
    const Attachment* attachment = find_task_profile_attachment(document);
    if (!attachment)
        return std::nullopt;
    try {
        return read_task_profile(
            decode_attachment(*attachment, options.limits.max_attachment_bytes), options.limits);
    } catch (const Error& error) {
        TaskProfileResult failed;
        failed.errors.push_back({error.code(), error.what(), "", 0});
        return failed;
    }
}

void print_diagnostics(std::ostream& out, const char* title, const Diagnostics& list) {
    if (list.empty())
        return;
    out << title << " (" << list.size() << "):\n";
    for (const Diagnostic& item : list)
        out << "  - " << item.to_string() << "\n";
}

void print_document(std::ostream& out, const DocumentPackage& doc, const ReadOptions& options) {
    const MessageHeader& h = doc.header;
    out << "Kind:          document (" << to_string(doc.business_type()) << ")\n";
    out << "DocumentId:    " << h.document_id << "\n";
    out << "From:          " << organization_label(h.from) << "\n";
    for (const Organization& to : h.to)
        out << "To:            " << organization_label(to) << "\n";
    out << "Code:          " << code_label(h.code) << "\n";
    if (h.promulgation.date || !h.promulgation.place.empty()) {
        out << "Promulgated:   " << (h.promulgation.date ? format_date(*h.promulgation.date) : "?")
            << (h.promulgation.place.empty() ? "" : ", " + h.promulgation.place) << "\n";
    }
    if (!h.document_type.type_name.empty() || h.document_type.type) {
        out << "Type:          " << h.document_type.type_name
            << (h.document_type.type ? " (" + std::to_string(*h.document_type.type) + ")" : "")
            << "\n";
    }
    out << "Subject:       " << h.subject << "\n";
    if (h.due_date)
        out << "Due:           " << format_date(*h.due_date) << "\n";
    if (h.steering_type)
        out << "SteeringType:  " << *h.steering_type << "\n";
    if (!h.signer.full_name.empty()) {
        out << "Signer:        "
            << joined({h.signer.competence, h.signer.position, h.signer.full_name}, " ") << "\n";
    }
    for (const ResponseFor& response : h.response_for) {
        out << "ResponseFor:   " << response.document_id << " (" << response.organ_id << " "
            << response.code << ")\n";
    }
    if (!h.response_for_task.empty())
        out << "Tasks:         " << joined(h.response_for_task, ", ") << "\n";
    if (!h.to_places.empty())
        out << "ToPlaces:      " << joined(h.to_places, "; ") << "\n";
    if (doc.trace) {
        if (doc.trace->business) {
            const Business& b = *doc.trace->business;
            out << "Business:      " << to_string(doc.business_type()) << " ("
                << (b.doc_type ? std::to_string(*b.doc_type) : "-") << ")"
                << (b.reason.empty() ? "" : ": " + b.reason) << "\n";
            if (!b.document_id.empty())
                out << "  concerns:    " << b.document_id << "\n";
            for (const ReplacementInfo& r : b.replacements) {
                out << "  replaces:    " << r.document_id << " at " << joined(r.organ_ids, ", ")
                    << "\n";
            }
        }
        for (const TraceHeader& trace : doc.trace->trace_headers) {
            out << "Trace:         " << trace.organ_id << " "
                << (trace.timestamp ? format_date_time(*trace.timestamp) : "") << "\n";
        }
    }
    out << "Signature:     "
        << (!doc.signature ? "absent"
            : doc.signature->namespace_uri == kXmlDsigNamespace
                ? "present (XML-DSig)"
                : "present, non-standard (not XML-DSig)")
        << "\n";
    out << "Attachments:   " << doc.attachments.size() << "\n";
    for (const Attachment& attachment : doc.attachments) {
        out << "  - " << attachment.attachment_name << " [" << attachment.content_type << "] "
            << attachment.decoded_size << " bytes";
        try {
            out << " sha256 "
                << sha256_hex(decode_attachment(attachment, options.limits.max_attachment_bytes));
        } catch (const Error& error) {
            out << " (" << error.what() << ")";
        }
        if (is_zip_wrapped(attachment))
            out << " (zip-wrapped)";
        out << "\n";
    }
    if (auto profile = task_profile_of(doc, options); profile && profile->profile) {
        out << "Task profile:  " << to_string(profile->profile->kind) << ", "
            << profile->profile->tasks.size() << " task(s)\n";
        for (const TaskRecord& task : profile->profile->tasks) {
            out << "  - " << task.task_code << ": " << task.title << "\n";
            for (const TaskAssignee& assignee : task.assignees) {
                out << "      " << vietnamese_label(assignee.role) << ": " << assignee.name
                    << (assignee.organ_id.empty() ? "" : " (" + assignee.organ_id + ")") << "\n";
            }
            out << "      Hạn: " << (task.due_date ? format_date(*task.due_date) : "không thời hạn")
                << (task.due_text.empty() ? "" : " (" + task.due_text + ")") << "\n";
            if (task.progress)
                out << "      Tiến độ: " << *task.progress << "%\n";
            if (task.state)
                out << "      Trạng thái: " << vietnamese_label(*task.state) << "\n";
        }
    }
}

void print_status(std::ostream& out, const StatusPackage& status) {
    out << "Kind:          status\n";
    out << "StatusCode:    " << status.status.wire_text() << " "
        << vietnamese_label(status.status.kind()) << " (" << to_string(status.status.kind())
        << ")\n";
    out << "From:          " << organization_label(status.from) << "\n";
    out << "ResponseFor:   " << status.response_for.document_id << "\n";
    out << "  organ/code:  " << status.response_for.organ_id << " " << status.response_for.code
        << "\n";
    if (!status.description.empty())
        out << "Description:   " << status.description << "\n";
    if (status.timestamp)
        out << "Timestamp:     " << format_date_time(*status.timestamp) << "\n";
    if (status.staff) {
        out << "Staff:         " << joined({status.staff->staff, status.staff->department}, ", ")
            << "\n";
    }
}

Poco::JSON::Array diagnostics_json(const Diagnostics& list) {
    Poco::JSON::Array array;
    for (const Diagnostic& item : list) {
        Poco::JSON::Object entry(Poco::JSON_PRESERVE_KEY_ORDER);
        entry.set("code", std::string(to_string(item.code)));
        entry.set("message", item.message);
        entry.set("path", item.path);
        entry.set("line", item.line);
        array.add(entry);
    }
    return array;
}

Poco::JSON::Object organization_json(const Organization& org) {
    Poco::JSON::Object object(Poco::JSON_PRESERVE_KEY_ORDER);
    object.set("organId", org.organ_id);
    object.set("organName", org.organ_name);
    return object;
}

Poco::JSON::Object package_json(const Package& package, const ReadOptions& options) {
    Poco::JSON::Object object(Poco::JSON_PRESERVE_KEY_ORDER);
    object.set("kind", std::string(to_string(kind_of(package))));
    if (const auto* doc = std::get_if<DocumentPackage>(&package)) {
        const MessageHeader& h = doc->header;
        object.set("businessType", std::string(to_string(doc->business_type())));
        object.set("documentId", h.document_id);
        object.set("from", organization_json(h.from));
        Poco::JSON::Array to;
        for (const Organization& org : h.to)
            to.add(organization_json(org));
        object.set("to", to);
        object.set("code", code_label(h.code));
        object.set("promulgationDate",
                   h.promulgation.date ? format_date(*h.promulgation.date) : "");
        object.set("subject", h.subject);
        object.set("dueDate", h.due_date ? format_date(*h.due_date) : "");
        if (h.steering_type)
            object.set("steeringType", *h.steering_type);
        Poco::JSON::Array tasks;
        for (const std::string& code : h.response_for_task)
            tasks.add(code);
        object.set("responseForTask", tasks);
        object.set("signature", !doc->signature ? "absent"
                                : doc->signature->namespace_uri == kXmlDsigNamespace
                                    ? "xmldsig"
                                    : "nonstandard");
        Poco::JSON::Array attachments;
        for (const Attachment& attachment : doc->attachments) {
            Poco::JSON::Object entry(Poco::JSON_PRESERVE_KEY_ORDER);
            entry.set("contentId", attachment.content_id);
            entry.set("name", attachment.attachment_name);
            entry.set("contentType", attachment.content_type);
            entry.set("size", static_cast<Poco::UInt64>(attachment.decoded_size));
            try {
                entry.set("sha256", sha256_hex(decode_attachment(
                                        attachment, options.limits.max_attachment_bytes)));
            } catch (const Error&) {
                entry.set("sha256", "");
            }
            entry.set("zipWrapped", is_zip_wrapped(attachment));
            attachments.add(entry);
        }
        object.set("attachments", attachments);
        if (auto profile = task_profile_of(*doc, options); profile && profile->profile) {
            Poco::JSON::Array task_list;
            for (const TaskRecord& task : profile->profile->tasks) {
                Poco::JSON::Object entry(Poco::JSON_PRESERVE_KEY_ORDER);
                entry.set("taskCode", task.task_code);
                entry.set("title", task.title);
                entry.set("dueDate", task.due_date ? format_date(*task.due_date) : "");
                Poco::JSON::Array assignees;
                for (const TaskAssignee& a : task.assignees) {
                    Poco::JSON::Object assignee(Poco::JSON_PRESERVE_KEY_ORDER);
                    assignee.set("role", std::string(to_string(a.role)));
                    assignee.set("organId", a.organ_id);
                    assignee.set("name", a.name);
                    assignees.add(assignee);
                }
                entry.set("assignees", assignees);
                if (task.progress)
                    entry.set("progress", *task.progress);
                if (task.state)
                    entry.set("state", std::string(to_string(*task.state)));
                task_list.add(entry);
            }
            Poco::JSON::Object profile_object(Poco::JSON_PRESERVE_KEY_ORDER);
            profile_object.set("kind", std::string(to_string(profile->profile->kind)));
            profile_object.set("tasks", task_list);
            object.set("taskProfile", profile_object);
        }
    } else {
        const auto& status = std::get<StatusPackage>(package);
        object.set("statusCode", status.status.wire_text());
        object.set("status", std::string(to_string(status.status.kind())));
        object.set("from", organization_json(status.from));
        object.set("responseForDocumentId", status.response_for.document_id);
        object.set("responseForOrganId", status.response_for.organ_id);
        object.set("description", status.description);
        object.set("timestamp", status.timestamp ? format_date_time(*status.timestamp) : "");
    }
    return object;
}

int inspect(const Arguments& args, std::ostream& out, std::ostream& err) {
    if (args.files.size() != 1) {
        err << "inspect takes exactly one FILE\n" << kUsage;
        return 2;
    }
    const ReadResult result = read_package_file(args.files[0], args.read_options);
    if (args.json) {
        Poco::JSON::Object object(Poco::JSON_PRESERVE_KEY_ORDER);
        object.set("file", args.files[0]);
        object.set("ok", result.ok());
        if (result.package)
            object.set("package", package_json(*result.package, args.read_options));
        object.set("warnings", diagnostics_json(result.warnings));
        object.set("errors", diagnostics_json(result.errors));
        object.stringify(out, 2);
        out << "\n";
    } else {
        out << "File:          " << args.files[0] << "\n";
        if (result.package) {
            if (const auto* doc = std::get_if<DocumentPackage>(&*result.package)) {
                print_document(out, *doc, args.read_options);
            } else {
                print_status(out, std::get<StatusPackage>(*result.package));
            }
        }
        print_diagnostics(out, "Warnings", result.warnings);
        print_diagnostics(out, "Errors", result.errors);
    }
    return result.ok() ? 0 : 1;
}

int validate(const Arguments& args, std::ostream& out, std::ostream& err) {
    if (args.files.empty()) {
        err << "validate needs at least one FILE\n" << kUsage;
        return 2;
    }
    int invalid = 0;
    for (const std::string& file : args.files) {
        const ReadResult result = validate_package_file(file, args.read_options);
        if (result.ok()) {
            out << "valid    " << file;
            if (!result.warnings.empty())
                out << " (" << result.warnings.size() << " warning(s))";
            out << "\n";
            for (const Diagnostic& warning : result.warnings)
                out << "  ~ " << warning.to_string() << "\n";
        } else {
            ++invalid;
            out << "INVALID  " << file << "\n";
            for (const Diagnostic& problem : result.errors)
                out << "  - " << problem.to_string() << "\n";
        }
    }
    out << args.files.size() - static_cast<std::size_t>(invalid) << " valid, " << invalid
        << " invalid\n";
    return invalid == 0 ? 0 : 1;
}

// Writes `bytes` to DIR/name without overwriting anything: a taken name gets a suffix.
// O_EXCL|O_NOFOLLOW: an existing file or a planted symbolic link is never written through.
fs::path write_new_file(const fs::path& dir, const std::string& name, const std::string& bytes) {
    const auto dot = name.find_last_of('.');
    for (int n = 1; n < 1000; ++n) {
        const std::string candidate =
            n == 1 ? name
            : dot == std::string::npos || dot == 0
                ? name + "-" + std::to_string(n)
                : name.substr(0, dot) + "-" + std::to_string(n) + name.substr(dot);
        const fs::path path = dir / candidate;
        if (path.parent_path() != dir)
            throw Error(ErrorCode::invalid_value, "refusing file name '" + candidate + "'");
        const int fd =
            ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0 && errno == EEXIST)
            continue;
        if (fd < 0)
            throw Error(ErrorCode::io,
                        "cannot create " + path.string() + ": " + std::strerror(errno));
        std::size_t written = 0;
        while (written < bytes.size()) {
            const ssize_t chunk = ::write(fd, bytes.data() + written, bytes.size() - written);
            if (chunk < 0 && errno == EINTR)
                continue;
            if (chunk <= 0) {
                const int error = errno;
                ::close(fd);
                throw Error(ErrorCode::io,
                            "cannot write " + path.string() + ": " + std::strerror(error));
            }
            written += static_cast<std::size_t>(chunk);
        }
        if (::close(fd) != 0)
            throw Error(ErrorCode::io,
                        "cannot write " + path.string() + ": " + std::strerror(errno));
        return path;
    }
    throw Error(ErrorCode::io, "no free file name for '" + name + "' in " + dir.string());
}

int attachments(const Arguments& args, std::ostream& out, std::ostream& err) {
    if (args.files.size() != 1 || args.out_dir.empty()) {
        err << "attachments takes one FILE and --out DIR\n" << kUsage;
        return 2;
    }
    const ReadResult result = read_package_file(args.files[0], args.read_options);
    // Problems are reported, and what can be decoded is still written: an auditor may
    // need the attachments of a package that failed its checks. The exit code says so.
    for (const Diagnostic& warning : result.warnings)
        err << "warning: " << warning.to_string() << "\n";
    for (const Diagnostic& problem : result.errors)
        err << "error: " << problem.to_string() << "\n";
    if (!result.package)
        return 1;
    const auto* doc = std::get_if<DocumentPackage>(&*result.package);
    if (!doc) {
        out << "a status package has no attachments\n";
        return result.errors.empty() ? 0 : 1;
    }
    int failures = result.errors.empty() ? 0 : 1;
    fs::path out_dir;
    try {
        fs::create_directories(args.out_dir);
        out_dir = fs::canonical(args.out_dir);
    } catch (const fs::filesystem_error& error) {
        err << "cannot create " << args.out_dir << ": " << error.code().message() << "\n";
        return 1;
    }
    const std::size_t limit = args.read_options.limits.max_attachment_bytes;
    for (const Attachment& attachment : doc->attachments) {
        try {
            const std::string bytes = decode_attachment(attachment, limit);
            const fs::path path = write_new_file(
                out_dir, safe_file_name(attachment.attachment_name, attachment.content_id + ".bin"),
                bytes);
            out << path.string() << "  " << bytes.size() << " bytes  sha256 " << sha256_hex(bytes)
                << "\n";
            if (args.unzip && is_zip_wrapped(attachment)) {
                for (const ZipEntry& entry : extract_zip(bytes, limit)) {
                    const fs::path inner = write_new_file(
                        out_dir, safe_file_name(entry.name, "entry.bin"), entry.bytes);
                    out << "  unzipped " << inner.string() << "  " << entry.bytes.size()
                        << " bytes  sha256 " << sha256_hex(entry.bytes) << "\n";
                }
            }
        } catch (const std::exception& error) {
            ++failures;
            err << "attachment '" << attachment.content_id << "': " << error.what() << "\n";
        }
    }
    return failures == 0 ? 0 : 1;
}

}  // namespace

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    if (args.empty() || args[0] == "--help" || args[0] == "help") {
        (args.empty() ? err : out) << kUsage;
        return args.empty() ? 2 : 0;
    }
    Arguments parsed;
    const std::string problem = parse_arguments(args, parsed);
    if (!problem.empty()) {
        err << "connector edxml " << args[0] << ": " << problem << "\n" << kUsage;
        return 2;
    }
    try {
        if (args[0] == "inspect")
            return inspect(parsed, out, err);
        if (args[0] == "validate")
            return validate(parsed, out, err);
        if (args[0] == "attachments")
            return attachments(parsed, out, err);
        if (args[0] == "sign")
            return sign_command(parsed, out, err);
        if (args[0] == "verify")
            return verify_command(parsed, out, err);
    } catch (const std::exception& error) {
        err << "connector edxml " << args[0] << ": " << error.what() << "\n";
        return 1;
    }
    err << "unknown edxml command '" << args[0] << "'\n" << kUsage;
    return 2;
}

}  // namespace edxml
