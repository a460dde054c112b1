// Plan appendix import: Vietnamese deadlines, unit names to agency codes, and the real
// appendix of the Đồng Tháp plan, checked against the task profile of the sample package
// built by hand from the same table.
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <sstream>

#include "connector/error.hpp"
#include "connector/plan_import.hpp"
#include "edxml/attachments.hpp"
#include "edxml/reader.hpp"
#include "edxml/task_profile.hpp"

using connector::DeadlineKind;
using connector::parse_vietnamese_deadline;

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    BOOST_REQUIRE_MESSAGE(in, "cannot read " << path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

connector::UnitDirectory shipped_units() {
    const std::string path = std::string(CONNECTOR_SOURCE_DIR) + "/config/units-dong-thap.tsv";
    return connector::UnitDirectory::parse(read_file(path), path);
}

void check_fixed(const std::string& text, int year, int month, int day) {
    const auto deadline = parse_vietnamese_deadline(text);
    BOOST_REQUIRE_MESSAGE(deadline, "'" << text << "' not read");
    BOOST_TEST((deadline->kind == DeadlineKind::fixed), text);
    BOOST_REQUIRE(deadline->due);
    BOOST_TEST((*deadline->due == edxml::Date{year, month, day}), text);
}

const std::string kSourceDocument = "000.00.00.H20,2025/04/15,125/KH-UBND";

}  // namespace

BOOST_AUTO_TEST_SUITE(plan_import)

BOOST_AUTO_TEST_CASE(vietnamese_deadlines) {
    check_fixed("Quý II năm 2025", 2025, 6, 30);
    check_fixed("quý I năm 2024", 2024, 3, 31);
    check_fixed("QUÝ IV/2025", 2025, 12, 31);
    check_fixed("Quý 3 năm 2026", 2026, 9, 30);
    check_fixed("Tháng 12 năm 2025", 2025, 12, 31);
    check_fixed("Tháng 12/2025", 2025, 12, 31);
    check_fixed("tháng 2/2028", 2028, 2, 29);
    check_fixed("Tháng  2   năm 2025", 2025, 2, 28);
    check_fixed("Năm 2025", 2025, 12, 31);
    check_fixed("6 tháng đầu năm 2025", 2025, 6, 30);
    check_fixed("30/6/2025", 2025, 6, 30);
    check_fixed("Trước ngày 15/10/2025", 2025, 10, 15);
    for (const char* text : {"Thường xuyên", "THƯỜNG XUYÊN", "Hằng năm"}) {
        const auto deadline = parse_vietnamese_deadline(text);
        BOOST_REQUIRE_MESSAGE(deadline, text);
        BOOST_TEST((deadline->kind == DeadlineKind::recurring));
        BOOST_TEST(!deadline->due);
    }
    const auto roadmap = parse_vietnamese_deadline("Theo lộ trình của Văn phòng Chính phủ");
    BOOST_REQUIRE(roadmap);
    BOOST_TEST((roadmap->kind == DeadlineKind::roadmap));
    for (const char* text : {"", "Sớm", "Tháng 13/2025", "Quý V năm 2025", "31/2/2025",
                             "Quý II năm 2025'; DROP TABLE tasks;--"})
        BOOST_TEST(!parse_vietnamese_deadline(text), "'" << text << "' should not be read");
}

BOOST_AUTO_TEST_CASE(folding_ignores_case_and_spacing_but_keeps_diacritics) {
    BOOST_TEST(connector::fold_vietnamese("  Văn phòng UBND   Tỉnh ") == "văn phòng ubnd tỉnh");
    BOOST_TEST(connector::fold_vietnamese("ĐỒNG THÁP") == "đồng tháp");
    BOOST_TEST(connector::fold_vietnamese("ỨNG DỤNG ƯU TIÊN") == "ứng dụng ưu tiên");
    BOOST_TEST(connector::fold_vietnamese("Thường") != connector::fold_vietnamese("Thuong"));
}

BOOST_AUTO_TEST_CASE(unit_table_errors_name_the_line) {
    const auto names_line = [](const std::string& expected) {
        return [expected](const connector::ConfigError& error) {
            return std::string(error.what()).find(expected) != std::string::npos;
        };
    };
    BOOST_CHECK_EXCEPTION(connector::UnitDirectory::parse("# c\nSở Tài chính\n", "units.tsv"),
                          connector::ConfigError, names_line("units.tsv:2"));
    BOOST_CHECK_EXCEPTION(connector::UnitDirectory::parse("Sở Tài chính\tH20-05\n", "units.tsv"),
                          connector::ConfigError, names_line("units.tsv:1: 'H20-05'"));
    BOOST_CHECK_EXCEPTION(
        connector::UnitDirectory::parse(
            "Sở Tài chính\t000.00.05.H20\nSỞ TÀI CHÍNH\t000.00.06.H20\n", "units.tsv"),
        connector::ConfigError, names_line("units.tsv:2"));
    const auto units = shipped_units();
    BOOST_TEST(units.code_for("văn phòng ubnd tỉnh").value_or("") == "000.00.01.H20");
    BOOST_TEST(!units.code_for("các sở, ban, ngành Tỉnh"));
}

BOOST_AUTO_TEST_CASE(the_seed_plan_appendix_matches_the_sample_assignment) {
    const std::string appendix =
        read_file(std::string(CONNECTOR_SOURCE_DIR) + "/samples/plans/ke-hoach-1012-phu-luc.tsv");
    const auto imported =
        connector::import_plan(appendix, shipped_units(), kSourceDocument, "000.00.00.H20");
    for (const auto& error : imported.errors)
        BOOST_ERROR(error);
    BOOST_REQUIRE_EQUAL(imported.tasks.size(), 13u);
    // Groups without a code: "Văn phòng Chính phủ; các sở, ban, ngành Tỉnh" and the like.
    BOOST_TEST(!imported.warnings.empty());
    for (const auto& warning : imported.warnings)
        BOOST_TEST(warning.find("has no agency code") != std::string::npos);

    // The sample package's nhiemvu.xml was written by hand from the same table.
    const auto package = edxml::read_package_file(std::string(CONNECTOR_SOURCE_DIR) +
                                                  "/samples/packages/task-assignment.edxml");
    BOOST_REQUIRE(package.ok());
    const auto* document = std::get_if<edxml::DocumentPackage>(&*package.package);
    BOOST_REQUIRE(document);
    const auto* attachment = edxml::find_task_profile_attachment(*document);
    BOOST_REQUIRE(attachment);
    const auto profile = edxml::read_task_profile(edxml::decode_attachment(*attachment));
    BOOST_REQUIRE(profile.ok());
    BOOST_REQUIRE_EQUAL(profile.profile->tasks.size(), imported.tasks.size());
    for (std::size_t i = 0; i < imported.tasks.size(); ++i) {
        const auto& ours = imported.tasks[i];
        const auto& sample = profile.profile->tasks[i];
        BOOST_TEST(ours.task_code == sample.task_code);
        BOOST_TEST(ours.title == sample.title);
        BOOST_TEST((ours.due_date == sample.due_date), ours.task_code);
        BOOST_TEST(ours.due_text == sample.due_text);
        BOOST_REQUIRE(!ours.assignees.empty());
        BOOST_TEST(ours.assignees.front().organ_id == sample.assignees.front().organ_id);
        BOOST_TEST(ours.assignees.size() == sample.assignees.size(), ours.task_code);
    }
}

BOOST_AUTO_TEST_CASE(rows_that_cannot_be_mapped_are_reported_and_left_out) {
    const std::string table =
        "STT\tNhiệm vụ\tĐơn vị chủ trì\tĐơn vị phối hợp\tThời gian hoàn thành\tKết quả\n"
        "1\tBefore any section\tSở Tài chính\t\tQuý II năm 2025\t\n"
        "I\tSECTION\t\t\t\t\n"
        "1\tKnown lead\tSở Tài chính\t\tQuý II năm 2025\t\n"
        "2\tUnknown lead\tSở Không Tồn Tại\t\tQuý II năm 2025\t\n"
        "3\tBad deadline\tSở Tài chính\t\tSớm nhất có thể\t\n"
        "1\tRepeated number\tSở Tài chính\t\tThường xuyên\t\n"
        "x\tBad number\tSở Tài chính\t\tThường xuyên\t\n"
        "4\tToo few columns\n";
    const auto imported = connector::import_plan(table, shipped_units(), "DOC", "000.00.00.H20");
    BOOST_REQUIRE_EQUAL(imported.tasks.size(), 1u);
    BOOST_TEST(imported.tasks[0].task_code == "DOC#I.1");
    BOOST_REQUIRE_EQUAL(imported.errors.size(), 6u);
    BOOST_TEST(imported.errors[0].rfind("line 2: ", 0) == 0);
    BOOST_TEST(imported.errors[1].find("'Sở Không Tồn Tại'") != std::string::npos);
    BOOST_TEST(imported.errors[2].find("'Sớm nhất có thể'") != std::string::npos);
    BOOST_TEST(imported.errors[3].find("appears twice") != std::string::npos);
    BOOST_TEST(imported.errors[4].find("STT 'x'") != std::string::npos);
    BOOST_TEST(imported.errors[5].find("line 9: expected 6") == 0);
}

BOOST_AUTO_TEST_SUITE_END()
