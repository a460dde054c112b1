// The chain definition itself, without a database.
#include <boost/test/unit_test.hpp>
#include <set>

#include "connector/message_log.hpp"
#include "edxml/attachments.hpp"

using namespace connector;

namespace {

std::vector<MessageEntry> chain_of(int count) {
    std::vector<MessageEntry> entries;
    std::string previous = kGenesisHash;
    for (int n = 1; n <= count; ++n) {
        MessageEntry entry;
        entry.sequence = n;
        entry.kind = "edoc";
        entry.subject = "Văn bản " + std::to_string(n);
        entry.raw = "<edXML/>" + std::to_string(n);
        entry.raw_sha256 = edxml::sha256_hex(entry.raw);
        entry.prev_hash = previous;
        entry.entry_hash = chain_hash(previous, entry);
        previous = entry.entry_hash;
        entries.push_back(entry);
    }
    return entries;
}

// Walks `entries` against a chain head at `head` whose hash is `head_hash` (by default
// the hash an intact chain of that length ends with).
ChainReport walk(const std::vector<MessageEntry>& entries, std::int64_t head,
                 std::string head_hash = {}) {
    ChainWalker walker("messages");
    for (const MessageEntry& entry : entries)
        walker.add(entry);
    if (head_hash.empty())
        head_hash = head == 0 ? kGenesisHash : chain_of(static_cast<int>(head)).back().entry_hash;
    return walker.finish(head, head_hash);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(message_log)

BOOST_AUTO_TEST_CASE(intact_chain_reports_count_and_head) {
    const auto entries = chain_of(4);
    const ChainReport report = walk(entries, 4);
    BOOST_TEST(report.ok);
    BOOST_TEST(report.count == 4);
    BOOST_TEST(report.head_hash == entries.back().entry_hash);
    BOOST_TEST(walk({}, 0).head_hash == kGenesisHash);
}

BOOST_AUTO_TEST_CASE(encoding_keeps_field_boundaries) {
    // "ab" + "c" and "a" + "bc" must not encode alike.
    MessageEntry one, two;
    one.document_id = "ab";
    one.knobstick_id = "c";
    two.document_id = "a";
    two.knobstick_id = "bc";
    BOOST_TEST(canonical_encoding(one) != canonical_encoding(two));
    BOOST_TEST(chain_hash(kGenesisHash, one) != chain_hash(kGenesisHash, two));
}

BOOST_AUTO_TEST_CASE(the_optional_fields_never_pass_for_each_other) {
    // signer_agency and requested_by are written only when set (older entries keep their
    // hashes); one set must not encode like the other set.
    MessageEntry neither, agency_only, requester_only, both;
    agency_only.signer_agency = "000.00.00.G22";
    requester_only.requested_by = "000.00.00.G22";
    both.signer_agency = "000.00.00.G22";
    both.requested_by = "user:van-thu";
    const std::set<std::string> encodings{
        canonical_encoding(neither), canonical_encoding(agency_only),
        canonical_encoding(requester_only), canonical_encoding(both)};
    BOOST_TEST(encodings.size() == 4u);
    BOOST_TEST(canonical_encoding(neither).find("000.00.00.G22") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(every_kind_of_tampering_names_the_first_bad_entry) {
    auto modified = chain_of(5);
    modified[2].subject = "sửa";
    BOOST_TEST(walk(modified, 5).first_bad_sequence == 3);

    auto raw_changed = chain_of(5);
    raw_changed[3].raw += "x";
    BOOST_TEST(walk(raw_changed, 5).problem.find("raw bytes") != std::string::npos);

    auto deleted = chain_of(5);
    deleted.erase(deleted.begin() + 1);
    const ChainReport gap = walk(deleted, 5);
    BOOST_TEST(gap.first_bad_sequence == 2);
    BOOST_TEST(gap.problem.find("missing") != std::string::npos);

    auto tail_deleted = chain_of(5);
    tail_deleted.pop_back();
    BOOST_TEST(walk(tail_deleted, 5, chain_of(5).back().entry_hash).first_bad_sequence == 5);

    auto wrong_direction = chain_of(3);
    wrong_direction[1].direction = Direction::unknown;
    BOOST_TEST(walk(wrong_direction, 3).first_bad_sequence == 2);

    auto swapped = chain_of(5);
    std::swap(swapped[1].subject, swapped[2].subject);
    BOOST_TEST(walk(swapped, 5).first_bad_sequence == 2);

    // A whole rewritten chain from entry 3 on is consistent in itself; only the head
    // hash noted earlier tells: the report gives it for that comparison.
    auto rewritten = chain_of(5);
    rewritten[2].subject = "sửa";
    for (std::size_t i = 2; i < rewritten.size(); ++i) {
        rewritten[i].prev_hash = rewritten[i - 1].entry_hash;
        rewritten[i].entry_hash = chain_hash(rewritten[i].prev_hash, rewritten[i]);
    }
    const ChainReport relinked = walk(rewritten, 5, rewritten.back().entry_hash);
    BOOST_TEST(relinked.ok);
    BOOST_TEST(relinked.head_hash != chain_of(5).back().entry_hash);
    // Unless the chain head row was rewritten too, the replaced tail shows.
    const ChainReport against_head = walk(rewritten, 5, chain_of(5).back().entry_hash);
    BOOST_TEST(!against_head.ok);
    BOOST_TEST(against_head.problem.find("tail was replaced") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(recipients_are_read_from_the_list_one_way) {
    using Codes = std::vector<std::string>;
    BOOST_TEST(recipients_of("000.00.00.G22") == Codes{"000.00.00.G22"});
    BOOST_TEST(recipients_of(" 000.00.14.H20 ,000.00.22.H20,, ") ==
                   (Codes{"000.00.14.H20", "000.00.22.H20"}),
               boost::test_tools::per_element());
    BOOST_TEST(recipients_of("").empty());
    BOOST_TEST(recipients_of(" , ,").empty());
    // Nothing but the comma separates: a code holding pattern characters stays whole.
    BOOST_TEST(recipients_of("a%b,_c") == (Codes{"a%b", "_c"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
