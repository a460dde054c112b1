// The backend API and webhooks on SQLite (always run).
#include "api_sessions_test.hpp"
#include "api_test.hpp"

BOOST_AUTO_TEST_SUITE(api_sqlite)

BOOST_AUTO_TEST_CASE(health_readiness_and_tokens) {
    api_scenarios::health_readiness_and_tokens(store_backends::kSqlite);
}
BOOST_AUTO_TEST_CASE(assignments_are_queued_and_readable) {
    api_scenarios::assignments_are_queued_and_readable(store_backends::kSqlite);
}
BOOST_AUTO_TEST_CASE(bad_requests_name_every_wrong_field) {
    api_scenarios::bad_requests_name_every_wrong_field(store_backends::kSqlite);
}
BOOST_AUTO_TEST_CASE(idempotent_repeats_do_nothing_twice) {
    api_scenarios::idempotent_repeats_do_nothing_twice(store_backends::kSqlite);
}
BOOST_AUTO_TEST_CASE(every_route_gives_the_answers_it_documents) {
    api_scenarios::every_route_gives_the_answers_it_documents(store_backends::kSqlite);
}
BOOST_AUTO_TEST_CASE(roles_limit_what_a_token_may_do) {
    api_scenarios::roles_limit_what_a_token_may_do(store_backends::kSqlite);
}
BOOST_AUTO_TEST_CASE(reports_move_tasks_and_are_refused_when_they_cannot) {
    api_scenarios::reports_move_tasks_and_are_refused_when_they_cannot(store_backends::kSqlite);
}
BOOST_AUTO_TEST_CASE(documents_are_sent) {
    api_scenarios::documents_are_sent(store_backends::kSqlite);
}
BOOST_AUTO_TEST_CASE(the_task_list_filters) {
    api_scenarios::the_task_list_filters(store_backends::kSqlite);
}
BOOST_AUTO_TEST_CASE(the_change_feed_pages_and_long_polls) {
    api_scenarios::the_change_feed_pages_and_long_polls(store_backends::kSqlite);
}
BOOST_AUTO_TEST_CASE(webhooks_arrive_in_order_after_an_outage) {
    api_scenarios::webhooks_arrive_in_order_after_an_outage(store_backends::kSqlite);
}
BOOST_AUTO_TEST_CASE(webhooks_with_a_wrong_secret_or_too_old_are_not_accepted) {
    api_scenarios::webhooks_with_a_wrong_secret_or_too_old_are_not_accepted(
        store_backends::kSqlite);
}
BOOST_AUTO_TEST_CASE(the_api_over_https) {
    api_scenarios::the_api_over_https(store_backends::kSqlite);
}
BOOST_AUTO_TEST_CASE(webhooks_over_https_check_the_receiver) {
    api_scenarios::webhooks_over_https_check_the_receiver(store_backends::kSqlite);
}
BOOST_AUTO_TEST_CASE(the_idesk_simulator_fills_a_gap_from_the_feed) {
    api_scenarios::the_idesk_simulator_fills_a_gap_from_the_feed(store_backends::kSqlite);
}
BOOST_AUTO_TEST_CASE(silent_connections_do_not_stall_the_server) {
    api_scenarios::silent_connections_do_not_stall_the_server(store_backends::kSqlite);
}
BOOST_AUTO_TEST_CASE(answers_are_well_formed_and_strict) {
    api_scenarios::answers_are_well_formed_and_strict(store_backends::kSqlite);
}
BOOST_AUTO_TEST_CASE(a_full_queue_is_answered_503_at_once) {
    api_scenarios::a_full_queue_is_answered_503_at_once(store_backends::kSqlite);
}
BOOST_AUTO_TEST_CASE(unreadable_requests_get_json_errors) {
    api_scenarios::unreadable_requests_get_json_errors(store_backends::kSqlite);
}
BOOST_AUTO_TEST_CASE(long_strings_are_taken_out_as_the_body_arrives) {
    api_scenarios::long_strings_are_taken_out_as_the_body_arrives(store_backends::kSqlite);
}
BOOST_AUTO_TEST_CASE(a_trickling_body_is_cut_off) {
    api_scenarios::a_trickling_body_is_cut_off(store_backends::kSqlite);
}
BOOST_AUTO_TEST_CASE(two_daemons_deliver_each_webhook_once) {
    api_scenarios::two_daemons_deliver_each_webhook_once(store_backends::kSqlite);
}
BOOST_AUTO_TEST_CASE(a_restarted_dispatcher_skips_nothing) {
    api_scenarios::a_restarted_dispatcher_skips_nothing(store_backends::kSqlite);
}

BOOST_AUTO_TEST_CASE(logins_and_sessions) {
    api_session_scenarios::logins_and_sessions(store_backends::kSqlite);
}
BOOST_AUTO_TEST_CASE(lockout_after_five_failures) {
    api_session_scenarios::lockout_after_five_failures(store_backends::kSqlite);
}
BOOST_AUTO_TEST_CASE(clerks_see_their_units) {
    api_session_scenarios::clerks_see_their_units(store_backends::kSqlite);
}
BOOST_AUTO_TEST_CASE(admins_manage_tokens_that_may_expire) {
    api_session_scenarios::admins_manage_tokens_that_may_expire(store_backends::kSqlite);
}
BOOST_AUTO_TEST_CASE(pages_are_served_with_their_headers) {
    api_session_scenarios::pages_are_served_with_their_headers(store_backends::kSqlite);
}
BOOST_AUTO_TEST_CASE(dashboard_and_exports) {
    api_session_scenarios::dashboard_and_exports(store_backends::kSqlite);
}
BOOST_AUTO_TEST_CASE(the_agency_clerk_assigns_and_revokes) {
    api_session_scenarios::the_agency_clerk_assigns_and_revokes(store_backends::kSqlite);
}

BOOST_AUTO_TEST_CASE(the_agency_clerk_amends) {
    api_session_scenarios::the_agency_clerk_amends(store_backends::kSqlite);
}
BOOST_AUTO_TEST_SUITE_END()
