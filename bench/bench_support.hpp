// Inputs and timing shared by the benchmark programs: packages of chosen sizes, built
// with the library's writer, and a best-of-batches timer.
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <random>
#include <string>

#include "edxml/attachments.hpp"
#include "edxml/model.hpp"
#include "edxml/writer.hpp"

namespace bench {

using Clock = std::chrono::steady_clock;

inline std::string random_bytes(std::size_t size) {
    std::mt19937_64 generator(42);
    std::string bytes(size, '\0');
    for (char& byte : bytes)
        byte = static_cast<char>(generator() & 0xFF);
    return bytes;
}

inline edxml::Organization organization(const char* id, const char* name) {
    edxml::Organization org;
    org.organ_id = id;
    org.organ_name = name;
    return org;
}

inline std::string status_package() {
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
inline std::string document_package(std::size_t target_size) {
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
inline double seconds_per_call(const std::function<void()>& call, bool quick) {
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

}  // namespace bench
