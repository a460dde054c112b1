// The task status rules: forward moves, late and repeated codes kept only in history,
// terminal states, the 13/15/16 take-back handshake, and derived timeliness.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <vector>

#include "connector/task_status.hpp"

using connector::apply_status;
using connector::StatusEffect;
using connector::TaskStatusState;
using edxml::StatusCode;
using edxml::StatusKind;

namespace {

TaskStatusState at(StatusKind kind) {
    TaskStatusState state;
    state.current = kind;
    return state;
}

// Applies codes in order and returns the final state.
TaskStatusState run(std::vector<const char*> codes) {
    TaskStatusState state;
    for (const char* code : codes)
        state = apply_status(state, StatusCode::from_wire(code)).next;
    return state;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(task_status)

BOOST_AUTO_TEST_CASE(receiver_codes_move_forward_one_by_one_or_by_skipping) {
    TaskStatusState state;
    for (const char* code : {"01", "03", "04", "05", "06"}) {
        const auto outcome = apply_status(state, StatusCode::from_wire(code));
        BOOST_TEST((outcome.effect == StatusEffect::advanced), code);
        BOOST_TEST(edxml::canonical_code(*outcome.next.current) == code);
        state = outcome.next;
    }
    BOOST_TEST(connector::is_terminal(state));
    const auto skipped = apply_status(at(StatusKind::received), StatusCode::from_wire("05"));
    BOOST_TEST((skipped.effect == StatusEffect::advanced));
    BOOST_TEST((*skipped.next.current == StatusKind::processing));
}

BOOST_AUTO_TEST_CASE(a_late_code_never_moves_a_task_backwards) {
    const auto late = apply_status(at(StatusKind::processing), StatusCode::from_wire("03"));
    BOOST_TEST((late.effect == StatusEffect::recorded));
    BOOST_TEST((*late.next.current == StatusKind::processing));
    BOOST_TEST(late.reason == "03 after 05: late or out of order");
    const auto repeat = apply_status(at(StatusKind::processing), StatusCode::from_wire("05"));
    BOOST_TEST((repeat.effect == StatusEffect::recorded));
    BOOST_TEST(repeat.reason == "05 after 05: a repeat");
}

BOOST_AUTO_TEST_CASE(every_arrival_order_ends_at_the_highest_code) {
    std::vector<std::string> codes = {"01", "03", "04", "05", "06"};
    std::sort(codes.begin(), codes.end());
    int orders = 0;
    do {
        TaskStatusState state;
        for (const auto& code : codes)
            state = apply_status(state, StatusCode::from_wire(code)).next;
        BOOST_TEST((*state.current == StatusKind::completed));
        ++orders;
    } while (std::next_permutation(codes.begin(), codes.end()));
    BOOST_TEST(orders == 120);
}

BOOST_AUTO_TEST_CASE(rejection_is_terminal_and_comes_only_before_completion) {
    const auto rejected = apply_status(at(StatusKind::accepted), StatusCode::from_wire("02"));
    BOOST_TEST((rejected.effect == StatusEffect::advanced));
    BOOST_TEST(connector::is_terminal(rejected.next));
    const auto after = apply_status(rejected.next, StatusCode::from_wire("05"));
    BOOST_TEST((after.effect == StatusEffect::recorded));
    BOOST_TEST((*after.next.current == StatusKind::rejected));
    const auto too_late = apply_status(at(StatusKind::completed), StatusCode::from_wire("02"));
    BOOST_TEST((too_late.effect == StatusEffect::recorded));
    BOOST_TEST((*too_late.next.current == StatusKind::completed));
}

BOOST_AUTO_TEST_CASE(take_back_accepted_withdraws_the_task) {
    const auto state = run({"01", "03", "13"});
    BOOST_TEST(state.take_back_requested);
    BOOST_TEST((*state.current == StatusKind::accepted));
    const auto agreed = apply_status(state, StatusCode::from_wire("15"));
    BOOST_TEST((agreed.effect == StatusEffect::advanced));
    BOOST_TEST(agreed.next.withdrawn);
    BOOST_TEST(!agreed.next.take_back_requested);
    BOOST_TEST(connector::is_terminal(agreed.next));
    BOOST_TEST(
        (apply_status(agreed.next, StatusCode::from_wire("05")).effect == StatusEffect::recorded));
    // The .NET builder's "14" is read as 15.
    BOOST_TEST(run({"01", "13", "14"}).withdrawn);
}

BOOST_AUTO_TEST_CASE(take_back_refused_lets_the_task_go_on) {
    const auto state = run({"01", "04", "13", "16"});
    BOOST_TEST(!state.take_back_requested);
    BOOST_TEST(!state.withdrawn);
    BOOST_TEST((*state.current == StatusKind::assigned));
    BOOST_TEST((*run({"01", "04", "13", "16", "06"}).current == StatusKind::completed));
}

BOOST_AUTO_TEST_CASE(handshake_codes_out_of_place_are_only_recorded) {
    const auto answer = apply_status(at(StatusKind::received), StatusCode::from_wire("15"));
    BOOST_TEST((answer.effect == StatusEffect::recorded));
    BOOST_TEST(answer.reason == "15 without an open take-back request (13)");
    BOOST_TEST(!answer.next.withdrawn);
    const auto closed = apply_status(at(StatusKind::completed), StatusCode::from_wire("13"));
    BOOST_TEST((closed.effect == StatusEffect::recorded));
    BOOST_TEST(!closed.next.take_back_requested);
    const auto twice = apply_status(run({"01", "13"}), StatusCode::from_wire("13"));
    BOOST_TEST((twice.effect == StatusEffect::recorded));
}

BOOST_AUTO_TEST_CASE(unknown_codes_are_recorded_verbatim) {
    const auto unknown = apply_status(at(StatusKind::accepted), StatusCode::from_wire("09"));
    BOOST_TEST((unknown.effect == StatusEffect::recorded));
    BOOST_TEST(unknown.reason == "unknown status code '09'");
    BOOST_TEST((*unknown.next.current == StatusKind::accepted));
}

BOOST_AUTO_TEST_CASE(timeliness_is_derived_from_due_completion_and_today) {
    using connector::derive_timeliness;
    using connector::Timeliness;
    const edxml::Date due{2025, 6, 30};
    BOOST_TEST(
        (derive_timeliness({}, due, std::nullopt, {2025, 6, 30}) == Timeliness::open_on_time));
    BOOST_TEST(
        (derive_timeliness({}, due, std::nullopt, {2025, 7, 1}) == Timeliness::open_overdue));
    BOOST_TEST((derive_timeliness({}, due, edxml::Date{2025, 6, 30}, {2026, 1, 1}) ==
                Timeliness::done_on_time));
    BOOST_TEST((derive_timeliness({}, due, edxml::Date{2025, 7, 1}, {2025, 7, 1}) ==
                Timeliness::done_late));
    // No deadline (thường xuyên, theo lộ trình): never overdue, never late.
    BOOST_TEST((derive_timeliness({}, std::nullopt, std::nullopt, {2099, 1, 1}) ==
                Timeliness::open_on_time));
    BOOST_TEST((derive_timeliness({}, std::nullopt, edxml::Date{2099, 1, 1}, {2099, 1, 1}) ==
                Timeliness::done_on_time));
    BOOST_TEST(std::string(connector::vietnamese_label(Timeliness::done_late)) ==
               "Hoàn thành quá hạn");
    // Refused (02) or withdrawn: closed as such, whatever the dates say.
    connector::TaskStatusState refused;
    refused.current = StatusKind::rejected;
    BOOST_TEST(
        (derive_timeliness(refused, due, std::nullopt, {2025, 7, 1}) == Timeliness::refused));
    connector::TaskStatusState taken_back;
    taken_back.current = StatusKind::processing;
    taken_back.withdrawn = true;
    BOOST_TEST(
        (derive_timeliness(taken_back, due, std::nullopt, {2025, 7, 1}) == Timeliness::withdrawn));
    BOOST_TEST(std::string(connector::vietnamese_label(Timeliness::refused)) == "Bị từ chối");
    BOOST_TEST(std::string(connector::vietnamese_label(Timeliness::withdrawn)) == "Đã thu hồi");
    BOOST_TEST(std::string(connector::to_string(Timeliness::withdrawn)) == "withdrawn");
}

BOOST_AUTO_TEST_SUITE_END()
