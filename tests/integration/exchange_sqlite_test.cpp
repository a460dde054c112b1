// The two-connector exchange on SQLite (always run).
#include "exchange_test.hpp"

BOOST_AUTO_TEST_SUITE(exchange_sqlite)

BOOST_AUTO_TEST_CASE(seed_plan_round_trip) {
    exchange_scenarios::seed_plan_round_trip(store_backends::kSqlite);
}
BOOST_AUTO_TEST_CASE(faults_lose_and_double_nothing) {
    exchange_scenarios::faults_lose_and_double_nothing(store_backends::kSqlite);
}
BOOST_AUTO_TEST_CASE(unsigned_copy_first_does_not_shut_out_the_signed_one) {
    exchange_scenarios::unsigned_copy_first_does_not_shut_out_the_signed_one(
        store_backends::kSqlite);
}
BOOST_AUTO_TEST_CASE(updates_and_replacements_apply_to_tasks) {
    exchange_scenarios::updates_and_replacements_apply_to_tasks(store_backends::kSqlite);
}

BOOST_AUTO_TEST_CASE(an_amendment_moves_a_task_on_both_sides) {
    exchange_scenarios::an_amendment_moves_a_task_on_both_sides(store_backends::kSqlite);
}
BOOST_AUTO_TEST_CASE(a_forged_sender_is_refused) {
    exchange_scenarios::a_forged_sender_is_refused(store_backends::kSqlite);
}
BOOST_AUTO_TEST_CASE(a_refused_delivery_reaches_the_feed) {
    exchange_scenarios::a_refused_delivery_reaches_the_feed(store_backends::kSqlite);
}

BOOST_AUTO_TEST_CASE(a_valid_signature_by_another_agency_is_refused) {
    exchange_scenarios::a_valid_signature_by_another_agency_is_refused(store_backends::kSqlite);
}
BOOST_AUTO_TEST_CASE(a_listing_without_sender_holds_the_package_to_its_signer) {
    exchange_scenarios::a_listing_without_sender_holds_the_package_to_its_signer(
        store_backends::kSqlite);
}
BOOST_AUTO_TEST_CASE(a_row_past_the_head_does_not_swallow_a_package) {
    exchange_scenarios::a_row_past_the_head_does_not_swallow_a_package(store_backends::kSqlite);
}
BOOST_AUTO_TEST_CASE(concurrent_reports_and_statuses_lose_nothing) {
    exchange_scenarios::concurrent_reports_and_statuses_lose_nothing(store_backends::kSqlite);
}
BOOST_AUTO_TEST_CASE(checkpoints_are_signed_and_refuse_a_rewritten_chain) {
    exchange_scenarios::checkpoints_are_signed_and_refuse_a_rewritten_chain(
        store_backends::kSqlite);
}
BOOST_AUTO_TEST_CASE(a_package_logged_by_a_daemon_that_died_is_applied_by_the_other) {
    exchange_scenarios::a_package_logged_by_a_daemon_that_died_is_applied_by_the_other(
        store_backends::kSqlite);
}
BOOST_AUTO_TEST_CASE(reports_from_two_daemons_get_distinct_numbers) {
    exchange_scenarios::reports_from_two_daemons_get_distinct_numbers(store_backends::kSqlite);
}
BOOST_AUTO_TEST_CASE(the_poll_takes_turns_under_a_lease) {
    exchange_scenarios::the_poll_takes_turns_under_a_lease(store_backends::kSqlite);
}
BOOST_AUTO_TEST_CASE(a_package_that_cannot_be_sent_reaches_the_feed) {
    exchange_scenarios::a_package_that_cannot_be_sent_reaches_the_feed(store_backends::kSqlite);
}
BOOST_AUTO_TEST_CASE(an_undelivered_package_is_given_up_and_told) {
    exchange_scenarios::an_undelivered_package_is_given_up_and_told(store_backends::kSqlite);
}

BOOST_AUTO_TEST_SUITE_END()
