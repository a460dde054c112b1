// The store conformance suite on a real PostgreSQL server (CTest fixture `postgresql`).
#include "store_conformance.hpp"

using namespace store_conformance;

BOOST_AUTO_TEST_SUITE(store_postgresql)

BOOST_AUTO_TEST_CASE(migrations_from_empty_database) {
    migrations_from_empty(store_backends::kPostgresql);
}
BOOST_AUTO_TEST_CASE(message_log) {
    message_log_chains_and_reads_back(store_backends::kPostgresql);
}
BOOST_AUTO_TEST_CASE(two_writers) {
    two_writers_interleave(store_backends::kPostgresql);
}
BOOST_AUTO_TEST_CASE(hostile_strings) {
    hostile_strings_round_trip(store_backends::kPostgresql);
}
BOOST_AUTO_TEST_CASE(tampering) {
    tampering_is_detected(store_backends::kPostgresql);
}
BOOST_AUTO_TEST_CASE(transport_state) {
    transport_state_lives_beside_the_log(store_backends::kPostgresql);
}
BOOST_AUTO_TEST_CASE(leasing) {
    leases(store_backends::kPostgresql);
}
BOOST_AUTO_TEST_CASE(expired_lease) {
    expired_lease_is_claimable_again(store_backends::kPostgresql);
}
BOOST_AUTO_TEST_CASE(errors) {
    errors_name_the_operation(store_backends::kPostgresql);
}
BOOST_AUTO_TEST_CASE(verify_chain_cli) {
    verify_chain_command(store_backends::kPostgresql);
}
BOOST_AUTO_TEST_CASE(tasks) {
    tasks_are_idempotent(store_backends::kPostgresql);
}
BOOST_AUTO_TEST_CASE(postpone) {
    postponed_items_wait(store_backends::kPostgresql);
}
BOOST_AUTO_TEST_CASE(message_lookup) {
    messages_are_found_by_knobstick_and_document(store_backends::kPostgresql);
}
BOOST_AUTO_TEST_CASE(feed_webhooks_and_idempotency) {
    feed_webhooks_and_idempotency_keys(store_backends::kPostgresql);
}

BOOST_AUTO_TEST_CASE(webhook_figures) {
    webhook_backlogs_are_measured(store_backends::kPostgresql);
}
BOOST_AUTO_TEST_CASE(api_clients) {
    api_clients_by_hash(store_backends::kPostgresql);
}

BOOST_AUTO_TEST_CASE(rows_past_the_head) {
    rows_past_the_head_are_not_log_entries(store_backends::kPostgresql);
}
BOOST_AUTO_TEST_CASE(task_versions) {
    task_updates_check_the_version(store_backends::kPostgresql);
}
BOOST_AUTO_TEST_CASE(checkpoints) {
    checkpoints_catch_rewritten_truncated_and_extended_chains(store_backends::kPostgresql);
}
BOOST_AUTO_TEST_CASE(unique_keys) {
    document_numbers_and_unique_keys(store_backends::kPostgresql);
}
BOOST_AUTO_TEST_CASE(units_of_work) {
    units_of_work_are_all_or_nothing(store_backends::kPostgresql);
}
BOOST_AUTO_TEST_CASE(units_in_opposite_orders) {
    units_in_opposite_orders_do_not_deadlock(store_backends::kPostgresql);
}
BOOST_AUTO_TEST_CASE(users) {
    users_are_kept_with_their_units(store_backends::kPostgresql);
}
BOOST_AUTO_TEST_CASE(sessions) {
    logins_lock_out_and_sessions_end(store_backends::kPostgresql);
}
BOOST_AUTO_TEST_CASE(task_counts) {
    tasks_are_counted_by_timeliness(store_backends::kPostgresql);
}

BOOST_AUTO_TEST_CASE(pass_leases) {
    pass_leases_take_turns(store_backends::kPostgresql);
}

// A lock held too long by another session (a writer hung with its transaction open) is
// a TransientError after lock_timeout (30 s by default, here from the URL), which the
// daemon backs off from, not a wait without end; once the lock is gone the call works.
BOOST_AUTO_TEST_CASE(a_lock_held_too_long_is_a_transient_error) {
    const std::string url = store_backends::kPostgresql.fresh_url("lock_timeout");
    const auto store =
        store::open_store(url + "?options=-c%20lock_timeout%3D300ms", store::Migrations::apply);
    const std::int64_t sequence = store->append_message(sample_entry(1)).sequence;
    soci::session locker = store_backends::raw_session(url);
    locker << "BEGIN";
    locker << "LOCK TABLE message_transport IN ACCESS EXCLUSIVE MODE";
    BOOST_CHECK_EXCEPTION(store->move_transport_state({sequence, "stored", "", "", {}}, true, {}),
                          TransientError, [](const TransientError& error) {
                              return std::string(error.what()).find("lock timeout") !=
                                     std::string::npos;
                          });
    locker << "ROLLBACK";
    BOOST_TEST(store->move_transport_state({sequence, "stored", "", "", {}}, true, {}));
}

BOOST_AUTO_TEST_CASE(auditor_search) {
    the_log_is_searched_for_auditors(store_backends::kPostgresql);
}

BOOST_AUTO_TEST_CASE(upgrade_from_release_1) {
    an_older_release_is_upgraded_with_its_data(store_backends::kPostgresql);
}

BOOST_AUTO_TEST_SUITE_END()
