#include "edxml/validate.hpp"

#include "edxml/attachments.hpp"
#include "edxml/task_profile.hpp"

namespace edxml {
namespace {

void check_task_profile(ReadResult& result, const ReadOptions& options) {
    if (!result.package)
        return;
    const auto* document = std::get_if<DocumentPackage>(&*result.package);
    if (!document)
        return;
    const Attachment* attachment = find_task_profile_attachment(*document);
    if (!attachment) {
        if (!document->header.response_for_task.empty()) {
            result.warnings.push_back({ErrorCode::none,
                                       "ResponseForTask lists task codes but the package has no " +
                                           std::string(kTaskProfileFileName) + " attachment",
                                       "", 0});
        }
        return;
    }
    const std::string where =
        "attachment '" + attachment->content_id + "' (" + kTaskProfileFileName + ")";
    std::string xml;
    try {
        xml = decode_attachment(*attachment, options.limits.max_attachment_bytes);
    } catch (const Error&) {
        return;  // the reader has already reported the payload problem
    }
    TaskProfileResult profile = read_task_profile(xml, options.limits);
    for (Diagnostic& problem : profile.errors) {
        problem.message = where + ": " + problem.message;
        result.errors.push_back(std::move(problem));
    }
    for (Diagnostic& warning : profile.warnings) {
        warning.message = where + ": " + warning.message;
        result.warnings.push_back(std::move(warning));
    }
    if (!profile.profile)
        return;
    // A report must name, in its header, the tasks its profile reports on.
    for (const std::string& code : document->header.response_for_task) {
        bool found = false;
        for (const TaskRecord& task : profile.profile->tasks)
            found = found || task.task_code == code;
        if (!found) {
            result.errors.push_back(
                {ErrorCode::inconsistent,
                 "ResponseForTask names task '" + code + "' that " + where + " does not contain",
                 "", 0});
        }
    }
}

}  // namespace

ReadResult validate_package(std::string_view bytes, ReadOptions options) {
    options.check_schema = true;
    ReadResult result = read_package(bytes, options);
    check_task_profile(result, options);
    return result;
}

ReadResult validate_package_file(const std::string& path, ReadOptions options) {
    options.check_schema = true;
    ReadResult result = read_package_file(path, options);
    check_task_profile(result, options);
    return result;
}

}  // namespace edxml
