#include "edxml/task_profile.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "edxml/attachments.hpp"
#include "schema_validation.hpp"
#include "staff_info_xml.hpp"
#include "xml_document.hpp"
#include "xml_writer.hpp"

namespace edxml {
namespace {

using detail::children;
using detail::diagnostic_at;
using detail::is_named;
using detail::local_name;
using detail::trimmed_text;

struct StateName {
    TaskState state;
    const char* wire;
    const char* label;
};
constexpr StateName kStates[] = {
    {TaskState::open_on_time, "CHUA_HOAN_THANH_TRONG_HAN", "Chưa hoàn thành, trong hạn"},
    {TaskState::open_overdue, "CHUA_HOAN_THANH_QUA_HAN", "Chưa hoàn thành, quá hạn"},
    {TaskState::done_on_time, "HOAN_THANH_DUNG_HAN", "Hoàn thành đúng hạn"},
    {TaskState::done_late, "HOAN_THANH_QUA_HAN", "Hoàn thành quá hạn"},
    {TaskState::cancelled, "DA_HUY", "Đã hủy"},
    {TaskState::deadline_changed, "DIEU_CHINH_HAN", "Điều chỉnh hạn"},
};

constexpr std::pair<TaskProfileKind, const char*> kKinds[] = {
    {TaskProfileKind::assignment, "assignment"},
    {TaskProfileKind::report, "report"},
    {TaskProfileKind::update, "update"},
    {TaskProfileKind::cancellation, "cancellation"},
};

// The XSD guarantees digits; a value that still does not fit an int is left absent.
std::optional<int> digits(const std::string& value) {
    int number = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (error != std::errc() || end != value.data() + value.size())
        return std::nullopt;
    return number;
}

std::string attribute(const xmlNode* node, const char* name) {
    detail::XmlCharPtr value(xmlGetProp(node, BAD_CAST name));
    return value ? reinterpret_cast<const char*>(value.get()) : "";
}

// The XSD has already checked shapes and value formats; this turns the tree into the
// model and reports the few rules an XSD cannot express.
class TaskProfileParser {
  public:
    explicit TaskProfileParser(TaskProfileResult& result) : result_(result) {}

    TaskProfile parse(xmlNode* root) {
        TaskProfile profile;
        const std::string kind = attribute(root, "kind");
        for (const auto& [value, name] : kKinds) {
            if (kind == name)
                profile.kind = value;
        }
        for (xmlNode* child : children(root)) {
            if (is_named(child, "SourceDocumentId")) {
                profile.source_document_id = trimmed_text(child);
            } else if (is_named(child, "Task")) {
                profile.tasks.push_back(task(child));
            }
        }
        return profile;
    }

  private:
    std::optional<Date> date(const xmlNode* node) {
        const auto parsed = parse_date(trimmed_text(node));
        if (!parsed) {
            result_.errors.push_back(
                diagnostic_at(node, ErrorCode::invalid_value,
                              "'" + trimmed_text(node) + "' is not a valid date"));
            return std::nullopt;
        }
        return parsed->value;
    }

    TaskRecord task(xmlNode* node) {
        TaskRecord task;
        for (xmlNode* child : children(node)) {
            const std::string_view name = local_name(child);
            const std::string value = trimmed_text(child);
            if (name == "TaskCode") {
                task.task_code = value;
            } else if (name == "Title") {
                task.title = value;
            } else if (name == "Content") {
                task.content = value;
            } else if (name == "Issuer") {
                task.issuer = value;
            } else if (name == "Assignee") {
                task.assignees.push_back(TaskAssignee{attribute(child, "role") == "coordinating"
                                                          ? AssigneeRole::coordinating
                                                          : AssigneeRole::lead,
                                                      attribute(child, "organId"), value});
            } else if (name == "DueDate") {
                task.due_date = date(child);
            } else if (name == "DueText") {
                task.due_text = value;
            } else if (name == "ExpectedResult") {
                task.expected_result = value;
            } else if (name == "Priority") {
                task.priority = digits(value);
            } else if (name == "Progress") {
                task.progress = digits(value);
            } else if (name == "ProgressNote") {
                task.progress_note = value;
            } else if (name == "CompletionDate") {
                task.completion_date = date(child);
            } else if (name == "State") {
                for (const auto& state : kStates) {
                    if (value == state.wire)
                        task.state = state.state;
                }
            } else if (name == "StatusCode") {
                task.status_code = StatusCode::from_wire(value);
            } else if (name == "ReportDocumentId") {
                task.report_document_ids.push_back(value);
            } else if (name == "UpdatedAt") {
                const auto parsed = parse_date_time(value);
                if (parsed) {
                    task.updated_at = parsed->value;
                } else {
                    result_.errors.push_back(
                        diagnostic_at(child, ErrorCode::invalid_value,
                                      "'" + value + "' is not a valid timestamp"));
                }
            } else if (name == "Staff") {
                task.staff = staff(child);
            }
        }
        if (!task.assignees.empty() &&
            std::none_of(task.assignees.begin(), task.assignees.end(),
                         [](const TaskAssignee& a) { return a.role == AssigneeRole::lead; })) {
            result_.warnings.push_back(diagnostic_at(
                node, ErrorCode::none, "task '" + task.task_code + "' has no lead (chủ trì) unit"));
        }
        return task;
    }

    StaffInfo staff(xmlNode* node) {
        StaffInfo staff;
        for (xmlNode* child : children(node)) {
            detail::read_staff_field(staff, local_name(child), trimmed_text(child));
        }
        return staff;
    }

    TaskProfileResult& result_;
};

}  // namespace

TaskProfileResult read_task_profile(std::string_view xml, const ReadLimits& limits) {
    TaskProfileResult result;
    detail::ParsedXml parsed = detail::parse_untrusted_xml(xml, limits);
    if (!parsed.doc) {
        result.errors.push_back(parsed.error);
        return result;
    }
    // Our own format: no tolerance for namespace repairs.
    for (Diagnostic& problem : parsed.ns_errors) {
        problem.code = ErrorCode::not_well_formed;
        result.errors.push_back(std::move(problem));
    }
    xmlNode* root = xmlDocGetRootElement(parsed.doc.get());
    if (!is_named(root, "TaskProfile") ||
        std::string_view(detail::namespace_of(root)) != kTaskProfileNamespace) {
        result.errors.push_back(diagnostic_at(
            root, ErrorCode::wrong_root,
            std::string("root must be TaskProfile in namespace ") + kTaskProfileNamespace));
        return result;
    }
    Diagnostics violations =
        detail::validate_against_schema(parsed.doc.get(), detail::SchemaKind::task_profile);
    if (!violations.empty()) {
        result.errors.insert(result.errors.end(), violations.begin(), violations.end());
        return result;
    }
    result.profile = TaskProfileParser(result).parse(root);
    return result;
}

std::string write_task_profile(const TaskProfile& profile) {
    detail::XmlWriter xml("");
    xml.declaration();
    xml.open(
        "TaskProfile",
        {{"xmlns", kTaskProfileNamespace}, {"version", "1"}, {"kind", to_string(profile.kind)}});
    xml.leaf("SourceDocumentId", profile.source_document_id);
    for (const TaskRecord& task : profile.tasks) {
        xml.open("Task");
        xml.leaf("TaskCode", task.task_code);
        xml.leaf("Title", task.title);
        xml.leaf("Content", task.content);
        xml.leaf("Issuer", task.issuer);
        for (const TaskAssignee& assignee : task.assignees) {
            std::vector<std::pair<std::string, std::string>> attributes{
                {"role", to_string(assignee.role)}};
            if (!assignee.organ_id.empty())
                attributes.emplace_back("organId", assignee.organ_id);
            xml.text_element("Assignee", attributes, assignee.name);
        }
        xml.leaf("DueDate", task.due_date);
        xml.leaf("DueText", task.due_text);
        xml.leaf("ExpectedResult", task.expected_result);
        xml.leaf("Priority", task.priority);
        xml.leaf("Progress", task.progress);
        xml.leaf("ProgressNote", task.progress_note);
        xml.leaf("CompletionDate", task.completion_date);
        if (task.state)
            xml.leaf("State", to_string(*task.state));
        if (task.status_code)
            xml.leaf("StatusCode", task.status_code->wire_text());
        for (const std::string& id : task.report_document_ids)
            xml.leaf("ReportDocumentId", id);
        xml.leaf("UpdatedAt", task.updated_at);
        if (task.staff) {
            xml.open("Staff");
            detail::write_staff_fields(xml, *task.staff);
            xml.close();
        }
        xml.close();
    }
    xml.close();
    return xml.finish();
}

const Attachment* find_task_profile_attachment(const DocumentPackage& package) {
    for (const Attachment& attachment : package.attachments) {
        std::string name = attachment.attachment_name;
        for (char& c : name)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (name == kTaskProfileFileName || attachment.description == kTaskProfileDescription) {
            return &attachment;
        }
    }
    return nullptr;
}

const char* to_string(TaskProfileKind kind) {
    for (const auto& [value, name] : kKinds) {
        if (value == kind)
            return name;
    }
    return "?";
}

const char* to_string(AssigneeRole role) {
    return role == AssigneeRole::lead ? "lead" : "coordinating";
}

const char* vietnamese_label(AssigneeRole role) {
    return role == AssigneeRole::lead ? "Chủ trì" : "Phối hợp";
}

const char* to_string(TaskState state) {
    for (const auto& entry : kStates) {
        if (entry.state == state)
            return entry.wire;
    }
    return "?";
}

const char* vietnamese_label(TaskState state) {
    for (const auto& entry : kStates) {
        if (entry.state == state)
            return entry.label;
    }
    return "?";
}

}  // namespace edxml
