// PostgreSQL only: two processes lease 10 000 outbox items (FOR UPDATE SKIP LOCKED), every
// item processed exactly once; and recovery from a lost connection.
#include <boost/test/unit_test.hpp>

#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>

#include "connector/error.hpp"
#include "connector/store.hpp"
#include "store/soci_store.hpp"
#include "store_backends.hpp"

namespace {

connector::MessageEntry store_conformance_entry() {
    connector::MessageEntry entry;
    entry.kind = "status";
    entry.document_id = "000.00.00.G22,2025/04/10,3021/VPCP-KSTT";
    entry.subject = "Đã tiếp nhận";
    entry.raw = "<edXML/>";
    return entry;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(store_postgresql_leasing)

BOOST_AUTO_TEST_CASE(two_processes_share_10000_items_exactly_once) {
    const std::string url = store_backends::postgresql_url("two_processes");
    const auto store = store::open_store(url, store::Migrations::apply);
    {
        soci::session raw = store_backends::raw_session(url);
        raw << "INSERT INTO outbox (item_key, payload, created_at) "
               "SELECT 'item-' || g, 'payload ' || g, 'now' FROM generate_series(1, 10000) AS g";
        raw << "CREATE TABLE lease_test_processed (item_id BIGINT NOT NULL, owner TEXT NOT NULL)";
    }
    BOOST_REQUIRE_EQUAL(store->pending_count(connector::WorkQueue::outbox), 10000);

    const std::string worker = std::string(CONNECTOR_BINARY_DIR) + "/tests/store_lease_worker";
    std::vector<Poco::ProcessHandle> workers;
    std::vector<std::unique_ptr<Poco::Pipe>> outputs;
    for (const char* owner : {"daemon-a", "daemon-b"}) {
        outputs.push_back(std::make_unique<Poco::Pipe>());
        workers.push_back(Poco::Process::launch(worker, {url, owner}, nullptr, outputs.back().get(),
                                                outputs.back().get()));
    }
    std::string reports;
    for (std::size_t i = 0; i < workers.size(); ++i) {
        Poco::PipeInputStream stream(*outputs[i]);
        reports +=
            std::string((std::istreambuf_iterator<char>(stream)), std::istreambuf_iterator<char>());
        BOOST_TEST(workers[i].wait() == 0, reports);
    }

    soci::session raw = store_backends::raw_session(url);
    long long processed = 0, distinct_items = 0, done = 0, owners = 0;
    raw << "SELECT count(*), count(DISTINCT item_id), count(DISTINCT owner) FROM "
           "lease_test_processed",
        soci::into(processed), soci::into(distinct_items), soci::into(owners);
    raw << "SELECT count(*) FROM outbox WHERE state = 'done'", soci::into(done);
    BOOST_TEST(processed == 10000, reports);       // none lost
    BOOST_TEST(distinct_items == 10000, reports);  // none twice
    BOOST_TEST(done == 10000);
    BOOST_TEST(store->pending_count(connector::WorkQueue::outbox) == 0);
    BOOST_TEST(owners == 2, "both daemons took part: " << reports);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(store_postgresql_connection)

BOOST_AUTO_TEST_CASE(a_lost_connection_fails_one_call_and_the_next_reconnects) {
    const std::string url = store_backends::postgresql_url("lost_connection");
    const auto store = store::open_store(url, store::Migrations::apply);
    store->append_message(store_conformance_entry());
    {
        soci::session raw = store_backends::raw_session(url);
        raw << "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = "
               "current_database() "
               "AND pid <> pg_backend_pid()";
    }
    BOOST_CHECK_THROW(store->append_message(store_conformance_entry()), connector::Error);
    // The next call reconnects and the chain goes on where it was.
    const connector::MessageEntry after = store->append_message(store_conformance_entry());
    BOOST_TEST(after.sequence == 2);
    for (const connector::ChainReport& report : connector::verify_chains(*store))
        BOOST_TEST(report.ok, report.problem);
}

BOOST_AUTO_TEST_SUITE_END()
