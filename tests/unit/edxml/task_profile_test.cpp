#include <boost/test/unit_test.hpp>

#include "edxml/attachments.hpp"
#include "edxml/task_profile.hpp"
#include "package_helpers.hpp"
#include "test_files.hpp"

using namespace edxml;
using namespace test_packages;

namespace {

std::string profile_xml_of(const std::string& sample) {
    const ReadResult result = read_package(test_files::sample(sample));
    const Attachment* attachment = find_task_profile_attachment(document(result));
    BOOST_REQUIRE(attachment);
    return decode_attachment(*attachment);
}

bool has_error(const TaskProfileResult& result, ErrorCode code, std::string_view text) {
    for (const auto& error : result.errors) {
        if (error.code == code && error.to_string().find(text) != std::string::npos)
            return true;
    }
    return false;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(task_profile)

BOOST_AUTO_TEST_CASE(assignment_sample_holds_the_plan_tasks) {
    const TaskProfileResult result = read_task_profile(profile_xml_of("task-assignment.edxml"));
    BOOST_REQUIRE_MESSAGE(result.ok(), (result.errors.empty() ? "" : result.errors[0].to_string()));
    const TaskProfile& profile = *result.profile;
    BOOST_TEST((profile.kind == TaskProfileKind::assignment));
    BOOST_TEST(profile.source_document_id == "000.00.00.H20,2025/04/15,125/KH-UBND");
    BOOST_REQUIRE_EQUAL(profile.tasks.size(), 13u);
    const TaskRecord& first = profile.tasks[0];
    BOOST_TEST(first.task_code == "000.00.00.H20,2025/04/15,125/KH-UBND#I.1");
    BOOST_TEST((first.due_date == Date{2025, 6, 30}));
    BOOST_TEST(first.due_text == "Quý II năm 2025");
    BOOST_REQUIRE(!first.assignees.empty());
    BOOST_TEST((first.assignees[0].role == AssigneeRole::lead));
    BOOST_TEST(first.assignees[0].organ_id == "000.00.01.H20");
    // "Thường xuyên" tasks have no deadline.
    bool has_regular = false;
    for (const TaskRecord& task : profile.tasks)
        has_regular = has_regular || (!task.due_date && task.due_text == "Thường xuyên");
    BOOST_TEST(has_regular);
}

BOOST_AUTO_TEST_CASE(report_sample_carries_progress) {
    const TaskProfileResult result = read_task_profile(profile_xml_of("task-report.edxml"));
    BOOST_REQUIRE(result.ok());
    BOOST_TEST((result.profile->kind == TaskProfileKind::report));
    BOOST_REQUIRE_EQUAL(result.profile->tasks.size(), 2u);
    bool completed = false;
    for (const TaskRecord& task : result.profile->tasks) {
        BOOST_TEST(task.progress.has_value());
        completed = completed ||
                    (task.completion_date.has_value() && task.state == TaskState::done_on_time);
    }
    BOOST_TEST(completed);
}

BOOST_AUTO_TEST_CASE(profiles_round_trip) {
    for (const char* sample : {"task-assignment.edxml", "task-report.edxml"}) {
        const TaskProfileResult first = read_task_profile(profile_xml_of(sample));
        BOOST_REQUIRE(first.ok());
        const std::string written = write_task_profile(*first.profile);
        const TaskProfileResult second = read_task_profile(written);
        BOOST_REQUIRE_MESSAGE(
            second.ok(),
            sample << ": "
                   << (second.errors.empty() ? std::string() : second.errors[0].to_string()));
        BOOST_TEST((*second.profile == *first.profile), sample);
    }
}

BOOST_AUTO_TEST_CASE(schema_violations_are_errors_with_paths) {
    const std::string valid = profile_xml_of("task-assignment.edxml");
    const TaskProfileResult no_title =
        read_task_profile(replaced(replaced(valid, "<Title>", "<Titel>"), "</Title>", "</Titel>"));
    BOOST_TEST(!no_title.ok());
    BOOST_TEST(has_error(no_title, ErrorCode::schema_violation, "/TaskProfile/Task[1]/Titel"));

    const TaskProfileResult bad_progress =
        read_task_profile(replaced(valid, "<Progress>0</Progress>", "<Progress>150</Progress>"));
    BOOST_TEST(has_error(bad_progress, ErrorCode::schema_violation, "Progress"));

    const TaskProfileResult bad_role =
        read_task_profile(replaced(valid, "role=\"lead\"", "role=\"boss\""));
    BOOST_TEST(has_error(bad_role, ErrorCode::schema_violation, "role"));

    const TaskProfileResult bad_state = read_task_profile(
        replaced(valid, "<State>CHUA_HOAN_THANH_TRONG_HAN</State>", "<State>XONG</State>"));
    BOOST_TEST(has_error(bad_state, ErrorCode::schema_violation, "State"));
}

BOOST_AUTO_TEST_CASE(task_codes_must_be_unique) {
    const std::string valid = profile_xml_of("task-assignment.edxml");
    const std::string duplicated =
        replaced(valid, "125/KH-UBND#I.2</TaskCode>", "125/KH-UBND#I.1</TaskCode>");
    const TaskProfileResult result = read_task_profile(duplicated);
    BOOST_TEST(!result.ok());
    BOOST_TEST(has_error(result, ErrorCode::schema_violation, "#I.1"));
}

BOOST_AUTO_TEST_CASE(wrong_namespace_and_version_are_refused) {
    const std::string valid = profile_xml_of("task-assignment.edxml");
    const TaskProfileResult other_ns =
        read_task_profile(replaced(valid, "urn:vn-task-profile:1", "urn:vn-task-profile:2"));
    BOOST_TEST(has_error(other_ns, ErrorCode::wrong_root, "urn:vn-task-profile:1"));
    const TaskProfileResult other_version =
        read_task_profile(replaced(valid, "version=\"1\"", "version=\"2\""));
    BOOST_TEST(!other_version.ok());
}

BOOST_AUTO_TEST_CASE(hostile_profile_is_refused_like_a_package) {
    const TaskProfileResult result = read_task_profile(
        "<!DOCTYPE TaskProfile [<!ENTITY x SYSTEM "
        "\"file:///etc/passwd\">]><TaskProfile>&x;</TaskProfile>");
    BOOST_TEST(has_error(result, ErrorCode::dtd_forbidden, "DOCTYPE"));
}

BOOST_AUTO_TEST_CASE(written_profile_is_our_format) {
    TaskProfile profile;
    profile.kind = TaskProfileKind::update;
    profile.source_document_id = "000.00.00.H20,2025/04/15,125/KH-UBND";
    TaskRecord task;
    task.task_code = "000.00.00.H20,2025/04/15,125/KH-UBND#III.3";
    task.title = "Triển khai Phân hệ theo dõi nhiệm vụ <iDesk> & trục liên thông";
    task.issuer = "000.00.00.H20";
    task.assignees = {{AssigneeRole::lead, "000.00.14.H20", "Sở Khoa học và Công nghệ"},
                      {AssigneeRole::coordinating, "", "các sở, ban, ngành Tỉnh"}};
    task.due_date = Date{2025, 12, 31};
    task.progress = 40;
    task.state = TaskState::deadline_changed;
    task.status_code = StatusCode::from_wire("05");
    task.updated_at = DateTime{{2025, 9, 1}, 8, 0, 0};
    profile.tasks.push_back(task);
    const std::string xml = write_task_profile(profile);
    BOOST_TEST(xml.find("kind=\"update\"") != std::string::npos);
    BOOST_TEST(xml.find("<StatusCode>05</StatusCode>") != std::string::npos);
    const TaskProfileResult bad_code = read_task_profile(
        replaced(xml, "<StatusCode>05</StatusCode>", "<StatusCode>5x</StatusCode>"));
    BOOST_TEST(has_error(bad_code, ErrorCode::schema_violation, "StatusCode"));
    const TaskProfileResult result = read_task_profile(xml);
    BOOST_REQUIRE_MESSAGE(result.ok(), (result.errors.empty() ? "" : result.errors[0].to_string()));
    BOOST_TEST((*result.profile == profile));
}

BOOST_AUTO_TEST_SUITE_END()
