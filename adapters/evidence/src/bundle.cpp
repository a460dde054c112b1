// Making a bundle: the entries, their bytes, a chain proof up to the first checkpoint that
// covers them (a fresh one signed when none does), the report, and the signed manifest.
#include <Poco/JSON/Array.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>

#include "bundle_files.hpp"
#include "connector/clock.hpp"
#include "connector/error.hpp"
#include "edxml/attachments.hpp"
#include "evidence/bundle.hpp"

namespace evidence {

using detail::entry_json;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw connector::PermanentError("evidence: cannot read " + path);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// The first checkpoint of the messages chain at or past `sequence`.
std::optional<connector::ChainCheckpoint> covering(connector::Store& store, std::int64_t sequence) {
    for (const connector::ChainCheckpoint& checkpoint : store.checkpoints("messages")) {
        if (checkpoint.sequence >= sequence)
            return checkpoint;
    }
    return std::nullopt;
}

// What a verdict means, for the readable report (the message page says the same).
const char* verdict_in_words(const std::string& verdict) {
    if (verdict == "valid")
        return "chữ ký hợp lệ, chứng thư được tin cậy và thuộc đơn vị gửi";
    if (verdict == "signed")
        return "gói tin do chính hệ thống này ký khi gửi";
    if (verdict == "absent")
        return "gói tin không có chữ ký số";
    if (verdict == "invalid")
        return "chữ ký không khớp nội dung: gói tin đã bị thay đổi hoặc ký bằng khóa khác";
    if (verdict == "untrusted")
        return "chứng thư ký không thuộc chuỗi tin cậy đã cấu hình";
    if (verdict == "expired")
        return "chứng thư ký đã hết hạn";
    if (verdict == "not_yet_valid")
        return "chứng thư ký chưa đến thời hạn hiệu lực";
    if (verdict == "revoked")
        return "chứng thư ký đã bị thu hồi";
    if (verdict == "unsafe")
        return "cấu trúc chữ ký bị từ chối (nguy cơ giả mạo)";
    if (verdict == "wrong_signer")
        return "chữ ký hợp lệ nhưng chứng thư không thuộc đơn vị gửi";
    if (verdict == "nonstandard")
        return "chữ ký không theo chuẩn XML-DSig";
    if (verdict == "unchecked")
        return "chữ ký chưa được kiểm tra (chính sách kiểm tra tắt)";
    return "không rõ";
}

std::string vietnam_text(const std::string& utc) {
    return connector::parse_utc_text(utc) ? connector::vietnam_time_text(utc) + " (giờ Việt Nam)"
                                          : utc;
}

std::string readable_report(const std::vector<connector::MessageEntry>& entries,
                            const connector::ChainCheckpoint& checkpoint,
                            const BundleSource& source, const std::string& created_at) {
    std::ostringstream out;
    out << "BẢN CHỨNG CỨ NHẬT KÝ THÔNG ĐIỆP (" << detail::kFormat << ")\n"
        << "Tạo lúc: " << vietnam_text(created_at) << ", bởi: " << source.exported_by << "\n\n";
    for (const connector::MessageEntry& entry : entries) {
        out << "Thông điệp số " << entry.sequence << "\n"
            << "  Chiều:           "
            << (entry.direction == connector::Direction::inbound ? "nhận" : "gửi") << "\n"
            << "  Loại:            " << (entry.kind == "status" ? "trạng thái" : "văn bản") << " ("
            << entry.kind << ")\n"
            << "  DocumentId:      " << entry.document_id << "\n"
            << "  Mã gói trên trục: " << entry.knobstick_id << "\n"
            << "  Đơn vị gửi:      " << entry.from_agency << "\n"
            << "  Đơn vị nhận:     " << entry.to_agencies << "\n";
        if (!entry.status_code.empty())
            out << "  Mã trạng thái:   " << entry.status_code << "\n";
        out << "  Trích yếu:       " << entry.subject << "\n"
            << "  Ghi nhận lúc:    " << vietnam_text(entry.recorded_at) << "\n"
            << "  Chữ ký:          " << entry.signature_verdict << ": "
            << verdict_in_words(entry.signature_verdict) << "\n"
            << "  Người ký:        " << entry.signer << "\n"
            << "  SHA-256 gói tin: " << entry.raw_sha256 << " (" << entry.raw_size << " byte, tệp "
            << detail::package_file_name(entry.sequence) << ")\n"
            << "  Băm mục nhật ký: " << entry.entry_hash << "\n\n";
    }
    out << "Chuỗi băm: từ mục " << entries.front().sequence << " đến điểm kiểm "
        << checkpoint.sequence << ", ký lúc " << vietnam_text(checkpoint.recorded_at) << "\n"
        << "  Băm tại điểm kiểm:  " << checkpoint.hash << "\n"
        << "  Chứng thư ký (SHA-256): " << checkpoint.signer << " (checkpoint-signer.pem)\n\n"
        << "Cách kiểm tra ngoại tuyến (chỉ cần tệp này và các chứng thư gốc tin cậy):\n"
        << "  connector audit verify-bundle TỆP.zip --trust THƯ_MỤC_TIN_CẬY\n"
        << "Kiểm tra riêng chữ ký của từng gói tin bằng công cụ xmlsec1:\n";
    for (const connector::MessageEntry& entry : entries)
        out << "  xmlsec1 --verify --trusted-pem THƯ_MỤC_TIN_CẬY/root.pem "
            << detail::package_file_name(entry.sequence) << "\n";
    return out.str();
}

}  // namespace

std::string make_bundle(const BundleSource& source, std::vector<std::int64_t> sequences) {
    if (sequences.empty() || sequences.size() > kMaxBundleMessages)
        throw std::invalid_argument("a bundle holds 1.." + std::to_string(kMaxBundleMessages) +
                                    " messages, not " + std::to_string(sequences.size()));
    std::sort(sequences.begin(), sequences.end());
    sequences.erase(std::unique(sequences.begin(), sequences.end()), sequences.end());
    const connector::ChainHead head = source.store.message_head();
    for (const std::int64_t sequence : sequences) {
        if (sequence < 1 || sequence > head.sequence)
            throw std::invalid_argument("no message " + std::to_string(sequence) + " in the log");
    }
    auto checkpoint = covering(source.store, sequences.back());
    if (!checkpoint && source.checkpointer) {
        source.checkpointer->maybe_checkpoint(source.store, source.now, true);
        checkpoint = covering(source.store, sequences.back());
    }
    if (!checkpoint)
        throw connector::PermanentError(
            "no signed checkpoint covers message " + std::to_string(sequences.back()) +
            " yet, and none can be made here (audit.checkpoint_file is not configured)");
    if (checkpoint->sequence - sequences.front() + 1 > kMaxProofEntries)
        throw std::invalid_argument("the chain proof from message " +
                                    std::to_string(sequences.front()) + " to the checkpoint at " +
                                    std::to_string(checkpoint->sequence) + " is longer than " +
                                    std::to_string(kMaxProofEntries) + " entries");

    // The proof: every entry from the first message to the checkpoint, without bytes
    // except the bundled messages'.
    std::vector<std::pair<std::string, std::string>> files;
    std::vector<connector::MessageEntry> bundled;
    Array::Ptr proof_entries = new Array;
    std::string checkpoint_hash;
    for (std::int64_t after = sequences.front() - 1; after < checkpoint->sequence;) {
        const auto page = source.store.messages(
            after,
            static_cast<std::size_t>(std::min<std::int64_t>(100, checkpoint->sequence - after)));
        if (page.empty())
            throw connector::PermanentError("evidence: the log ends before its checkpoint at " +
                                            std::to_string(checkpoint->sequence));
        for (const connector::MessageEntry& entry : page) {
            proof_entries->add(entry_json(entry));
            if (std::binary_search(sequences.begin(), sequences.end(), entry.sequence)) {
                if (edxml::sha256_hex(entry.raw) != entry.raw_sha256)
                    throw connector::PermanentError(
                        "evidence: message " + std::to_string(entry.sequence) +
                        " no longer has the bytes it was logged with (connector audit "
                        "verify-chain names what changed)");
                files.emplace_back(detail::package_file_name(entry.sequence), entry.raw);
                connector::MessageEntry metadata = entry;
                metadata.raw.clear();
                bundled.push_back(std::move(metadata));
            }
            checkpoint_hash = entry.entry_hash;
        }
        after = page.back().sequence;
    }
    if (checkpoint_hash != checkpoint->hash)
        throw connector::PermanentError("evidence: the log does not match its checkpoint at " +
                                        std::to_string(checkpoint->sequence) +
                                        " (connector audit verify-chain names it)");

    const std::string created_at = connector::utc_text(source.now);
    Object::Ptr proof = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    proof->set("format", detail::kFormat);
    proof->set("chain", "messages");
    proof->set("entries", proof_entries);
    proof->set("checkpoint", detail::checkpoint_json(*checkpoint));
    files.emplace_back("chain-proof.json", detail::json_text(proof));

    Object::Ptr report = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    report->set("format", detail::kFormat);
    report->set("createdAt", created_at);
    report->set("exportedBy", source.exported_by);
    Array::Ptr messages = new Array;
    for (const connector::MessageEntry& entry : bundled) {
        Object::Ptr message = entry_json(entry);
        message->set("package", detail::package_file_name(entry.sequence));
        message->set("verdictInWords", verdict_in_words(entry.signature_verdict));
        messages->add(message);
    }
    report->set("messages", messages);
    report->set("checkpoint", detail::checkpoint_json(*checkpoint));
    files.emplace_back("report.json", detail::json_text(report));
    files.emplace_back("report.txt", readable_report(bundled, *checkpoint, source, created_at));
    // The signer's certificate first, then its intermediates: how it chains to an anchor.
    std::string signer = read_file(source.signer_certificate_file);
    if (!source.signer_chain_file.empty())
        signer += read_file(source.signer_chain_file);
    files.emplace_back("checkpoint-signer.pem", signer);

    Object::Ptr manifest = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    manifest->set("format", detail::kFormat);
    manifest->set("createdAt", created_at);
    Array::Ptr listed = new Array;
    for (const auto& [name, bytes] : files) {
        Object::Ptr file = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        file->set("name", name);
        file->set("size", static_cast<std::int64_t>(bytes.size()));
        file->set("sha256", edxml::sha256_hex(bytes));
        listed->add(file);
    }
    manifest->set("files", listed);
    const std::string manifest_text = detail::json_text(manifest);
    files.emplace_back("manifest.json", manifest_text);
    files.emplace_back("manifest.sig", edxml::sign_detached(source.signing, manifest_text) + "\n");
    return detail::zip_files(files);
}

}  // namespace evidence
