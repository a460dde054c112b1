// bench/edxml_read: throughput and peak memory of reading edXML packages, beside a bare
// libxml2 parse of the same bytes in the same run.
//
// For a 1 KB status package, a 100 KB and a 5 MB document package it prints
//   - bare:      xmlReadMemory + xmlFreeDoc (no checks, no model)
//   - read:      edxml::read_package (hardened parse, repair pass, model, base64 check)
//   - validate:  edxml::validate_package (read + XSD + task profile)
// as MB/s and as a ratio to bare. Targets (issue 2): read within 2x of bare for the
// 100 KB and 5 MB files; peak memory under 4x the file size for the 5 MB file.
//
// Usage: edxml_read [--quick]   (--quick: fewer repetitions, for a smoke run)
#include <libxml/parser.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>

#include "edxml/attachments.hpp"
#include "edxml/reader.hpp"
#include "edxml/validate.hpp"
#include "edxml/writer.hpp"
#include "peak_memory.hpp"

namespace {

using Clock = std::chrono::steady_clock;

std::string random_bytes(std::size_t size) {
    std::mt19937_64 generator(42);
    std::string bytes(size, '\0');
    for (char& byte : bytes)
        byte = static_cast<char>(generator() & 0xFF);
    return bytes;
}

edxml::Organization organization(const char* id, const char* name) {
    edxml::Organization org;
    org.organ_id = id;
    org.organ_name = name;
    return org;
}

std::string status_package() {
    edxml::StatusPackage status;
    status.from = organization("000.00.00.H20", "Ủy ban nhân dân tỉnh Đồng Tháp");
    status.response_for = {"000.00.00.G22", "3021/VPCP-KSTT",
                           "000.00.00.G22,2025/04/10,3021/VPCP-KSTT", edxml::Date{2025, 4, 10}};
    status.staff =
        edxml::StaffInfo{"Văn phòng", "VP", "Nguyễn Văn A", "1", "a@dongthap.gov.vn", "0900000000"};
    status.status = edxml::StatusCode::from_kind(edxml::StatusKind::accepted);
    status.description = "Đã tiếp nhận: văn thư đã vào sổ văn bản đến";
    status.timestamp = edxml::DateTime{{2025, 4, 10}, 9, 30, 0};
    return edxml::write_status(status);
}

// A document whose one attachment brings the file to about `target_size` bytes.
std::string document_package(std::size_t target_size) {
    edxml::DocumentPackage doc;
    doc.header.from = organization("000.00.00.G22", "Văn phòng Chính phủ");
    doc.header.to = {organization("000.00.00.H20", "Ủy ban nhân dân tỉnh Đồng Tháp")};
    doc.header.document_id = "000.00.00.G22,2025/04/10,3021/VPCP-KSTT";
    doc.header.code = {"3021", "VPCP-KSTT"};
    doc.header.promulgation = {"Hà Nội", edxml::Date{2025, 4, 10}};
    doc.header.document_type = {1, 0, "Công văn"};
    doc.header.subject = "V/v kết nối, chia sẻ dữ liệu phục vụ chỉ đạo, điều hành";
    doc.header.steering_type = 0;
    const std::size_t payload = target_size * 3 / 4 * 76 / 77 - 1500;
    doc.attachments.push_back(edxml::make_attachment("att-1", "phu-luc.pdf", random_bytes(payload),
                                                     "application/pdf", "Phụ lục"));
    doc.manifest.push_back(edxml::manifest_reference_for(doc.attachments[0]));
    doc.has_manifest = true;
    return edxml::write_document(doc);
}

// Best of several timed batches, each long enough to be measurable; seconds per call.
double seconds_per_call(const std::function<void()>& call, bool quick) {
    call();  // warm up: schemas compiled, caches filled
    double best = 1e9;
    for (int batch = 0; batch < (quick ? 2 : 5); ++batch) {
        int calls = 0;
        const auto start = Clock::now();
        std::chrono::duration<double> elapsed{};
        do {
            call();
            ++calls;
            elapsed = Clock::now() - start;
        } while (elapsed.count() < (quick ? 0.05 : 0.25));
        best = std::min(best, elapsed.count() / calls);
    }
    return best;
}

void bare_parse(const std::string& bytes) {
    xmlDocPtr doc = xmlReadMemory(bytes.data(), static_cast<int>(bytes.size()), nullptr, nullptr,
                                  XML_PARSE_NONET | XML_PARSE_HUGE);
    if (!doc)
        std::abort();
    xmlFreeDoc(doc);
}

void our_read(const std::string& bytes) {
    if (!edxml::read_package(bytes).ok())
        std::abort();
}

void our_validate(const std::string& bytes) {
    if (!edxml::validate_package(bytes).ok())
        std::abort();
}

}  // namespace

int main(int argc, char** argv) {
    const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
    const std::map<std::string, bench::Operation> operations = {
        {"bare", bare_parse}, {"read", our_read}, {"validate", our_validate}};
    if (bench::run_peak_memory_child(argc, argv, operations,
                                     [] { our_validate(status_package()); }))
        return 0;
    struct Case {
        const char* name;
        std::string bytes;
    };
    const Case cases[] = {
        {"status 1 KB", status_package()},
        {"document 100 KB", document_package(100 * 1024)},
        {"document 5 MB", document_package(5 * 1024 * 1024)},
    };

    std::printf("edxml_read: libxml2 %s, %s build\n", xmlParserVersion,
#ifdef NDEBUG
                "optimised"
#else
                "debug (figures not representative)"
#endif
    );
    std::printf("%-16s %10s %12s %12s %12s %9s %9s\n", "input", "bytes", "bare MB/s", "read MB/s",
                "valid MB/s", "read/bare", "valid/bare");
    for (const Case& c : cases) {
        const double size_mb = static_cast<double>(c.bytes.size()) / 1e6;
        const double bare = seconds_per_call([&] { bare_parse(c.bytes); }, quick);
        const double read = seconds_per_call([&] { our_read(c.bytes); }, quick);
        const double valid = seconds_per_call([&] { our_validate(c.bytes); }, quick);
        std::printf("%-16s %10zu %12.1f %12.1f %12.1f %8.2fx %8.2fx\n", c.name, c.bytes.size(),
                    size_mb / bare, size_mb / read, size_mb / valid, read / bare, valid / bare);
    }

    const std::string& large = cases[2].bytes;
    const double size = static_cast<double>(large.size());
    const long bare_peak = bench::measure_peak_memory("bare", large);
    const long read_peak = bench::measure_peak_memory("read", large);
    const long valid_peak = bench::measure_peak_memory("validate", large);
    std::printf(
        "\npeak memory for the 5 MB document (input buffer included), as a multiple of its "
        "size:\n");
    std::printf("  bare libxml2 %.2fx   read %.2fx   read+validate %.2fx   (target: under 4x)\n",
                bare_peak / size, read_peak / size, valid_peak / size);
    return 0;
}
