// The outbound pipeline: the outbox sent to the axis with retries and a breaker, and the
// packages sent tracked until their recipients acknowledge them. Each step moves the
// package's transport state machine (transport_state.hpp) and persists before the next.
#include "connector/crash_point.hpp"
#include "connector/error.hpp"
#include "connector/held_lease.hpp"
#include "connector/logging.hpp"
#include "connector/who_may_act.hpp"
#include "exchange_parts.hpp"

namespace connector {

using namespace exchange_parts;

StepReport Exchange::recover() {
    StepReport report;
    std::int64_t after = 0;
    for (;;) {
        const auto page = store_.messages(after, 500);
        if (page.empty())
            break;
        for (const MessageEntry& message : page) {
            after = message.sequence;
            if (message.direction != Direction::outbound)
                continue;
            const auto transport = outbound_transport(store_, message.sequence);
            if (transport && transport->state != OutboundState::queued)
                continue;
            // Logged but perhaps not queued, or its tasks not recorded: both are idempotent.
            try {
                store_.enqueue(WorkQueue::outbox, kOutboxPrefix + std::to_string(message.sequence),
                               std::to_string(message.sequence));
                report.done++;
            } catch (const DuplicateError&) {
            }
            move(store_, message.sequence, OutboundState::queued);
            apply_local_effects(message);
        }
    }
    return report;
}

void Exchange::note_send_succeeded() {
    state_->failures_in_a_row = 0;
    state_->open_until_ms = 0;
}

void Exchange::note_send_failed_transiently() {
    if (++state_->failures_in_a_row >= settings_.breaker.threshold)
        state_->open_until_ms = milliseconds_since_epoch(clock_.now() + settings_.breaker.open_for);
}

void Exchange::give_up_package(const MessageEntry& message, OutboundState to,
                               const std::string& reason, const std::string& task_detail) {
    if (!move(store_, message.sequence, to, reason))
        return;  // another daemon settled it first: its tasks were told by it
    // The tasks the package was about learn why (history, change feed, webhook
    // task.delivery_failed), so that iDesk is told, not only our log.
    const std::vector<Task> tasks = tasks_about(message);
    for (const Task& task : tasks)
        store_.add_task_event(
            {0, task.task_code, "delivery_failed", task_detail, message.sequence, ""});
    // A line per task it was about (one, without `task`, when it was about none).
    for (std::size_t i = 0; i < std::max<std::size_t>(tasks.size(), 1); ++i) {
        logging::sync.error("PACKAGE_GIVEN_UP",
                            {{"package", message.document_id},
                             {"message", message.sequence},
                             {"task", tasks.empty() ? std::string() : tasks[i].task_code},
                             {"state", to_string(to)},
                             {"detail", reason}});
    }
}

StepReport Exchange::send_pending(std::size_t limit) {
    StepReport report;
    for (std::size_t n = 0; n < limit && !circuit_open() && !stop_requested(); ++n) {
        const auto item = store_.claim(WorkQueue::outbox, settings_.worker_id, settings_.lease);
        if (!item)
            break;
        const auto sequence = sequence_of(item->payload);
        const auto message = sequence ? message_at(store_, *sequence) : std::nullopt;
        if (!message) {
            report.failed++;
            logging::sync.error("OUTBOX_ITEM_ORPHANED", {{"item", item->key}});
            store_.complete(WorkQueue::outbox, item->id, settings_.worker_id);
            continue;
        }
        const auto transport = outbound_transport(store_, message->sequence);
        if (transport && !may_move(transport->state, OutboundState::sent)) {
            // Sent already (a crash between recording `sent` and completing the item), or
            // given up: the package is not sent a second time.
            store_.complete(WorkQueue::outbox, item->id, settings_.worker_id);
            continue;
        }
        const auto sent =
            axis_.send_edoc({settings_.sender.code, axis_type_of(*message), message->raw, ""});
        if (sent) {
            // A crash here sends the package again after the restart: the receiver
            // recognises the second copy by its DocumentId.
            crash_point("outbound.sent");
            store_.in_one_transaction([&] {
                move(store_, message->sequence, OutboundState::sent, "", sent.value());
                store_.complete(WorkQueue::outbox, item->id, settings_.worker_id);
            });
            logging::axis.info("PACKAGE_SENT", {{"package", message->document_id},
                                                {"message", message->sequence},
                                                {"kind", message->kind},
                                                {"code", message->status_code},
                                                {"knobstick", sent.value()},
                                                {"to", message->to_agencies},
                                                {"attempts", item->attempts}});
            note_send_succeeded();
            report.done++;
            continue;
        }
        const AxisError& error = sent.error();
        const bool retried = error.transient() && item->attempts < settings_.retry.max_attempts;
        logging::axis.warning("PACKAGE_SEND_FAILED", {{"package", message->document_id},
                                                      {"message", message->sequence},
                                                      {"attempts", item->attempts},
                                                      {"transient", error.transient()},
                                                      {"retried", retried},
                                                      {"detail", error.message()}});
        if (retried) {
            store_.postpone(WorkQueue::outbox, item->id, settings_.worker_id,
                            settings_.retry.delay(item->attempts, state_->random));
            move(store_, message->sequence, OutboundState::retry_wait, error.message());
            report.retried++;
            note_send_failed_transiently();
            continue;
        }
        const std::string reason = error.transient()
                                       ? "not sent: " + std::to_string(item->attempts) +
                                             " attempts failed, the last: " + error.message()
                                       : "not sent: the axis refused it: " + error.message();
        give_up_package(*message, OutboundState::failed, reason, reason);
        store_.complete(WorkQueue::outbox, item->id, settings_.worker_id);
        report.failed++;
    }
    return report;
}

std::vector<Task> Exchange::tasks_about(const MessageEntry& message) {
    std::vector<Task> tasks = store_.tasks_of_document(message.document_id);
    if (!tasks.empty())
        return tasks;
    // A status or a report is about some tasks of the assignment it answers: those of
    // the unit it went to (a status), those it reports on (a report).
    const edxml::ReadResult read = edxml::read_package(message.raw);
    if (!read.ok())
        return tasks;
    if (const auto* status = std::get_if<edxml::StatusPackage>(&*read.package)) {
        const std::string& to = status->response_for.organ_id;
        for (Task& task : store_.tasks_of_document(status->response_for.document_id))
            if (task.issuer == to || speaks_for_lead(task, to))
                tasks.push_back(std::move(task));
        return tasks;
    }
    const auto& document = std::get<edxml::DocumentPackage>(*read.package);
    const auto profile = profile_of(document);
    if (!profile)
        return tasks;
    for (const edxml::TaskRecord& record : profile->tasks)
        if (auto task = store_.task(record.task_code))
            tasks.push_back(std::move(*task));
    return tasks;
}

StepReport Exchange::track_deliveries(std::size_t limit) {
    StepReport report;
    HeldLease lease(store_, "track_deliveries", settings_.worker_id, settings_.pass_lease);
    if (!lease.hold())
        return report;
    for (const TransportEntry& entry :
         store_.messages_in_state(to_string(OutboundState::sent), limit)) {
        if (stop_requested() || !lease.hold())
            break;
        const std::int64_t sequence = entry.sequence;
        const auto message = message_at(store_, sequence);
        if (!message)
            continue;
        const std::string& knobstick = entry.knobstick;
        if (settings_.delivery_deadline.count() > 0 &&
            clock_.now() - entry.since > settings_.delivery_deadline) {
            // Never acknowledged: given up, so that it is not asked about for ever.
            const std::string reason = "not delivered: no acknowledgement within " +
                                       std::to_string(settings_.delivery_deadline.count()) +
                                       " s (" + knobstick + ")";
            give_up_package(*message, OutboundState::undelivered, reason, reason);
            report.failed++;
            continue;
        }
        const auto trace = axis_.sent_list(axis_type_of(*message), knobstick);
        if (!trace) {
            logging::axis.warning("DELIVERY_TRACE_FAILED", {{"package", message->document_id},
                                                            {"knobstick", knobstick},
                                                            {"detail", trace.error().message()}});
            continue;
        }
        std::vector<std::string> failed;
        bool all_done = !trace.value().empty();
        for (const AxisDelivery& delivery : trace.value()) {
            if (delivery.receive_status == "fail")
                failed.push_back(delivery.to_code);
            all_done &= delivery.receive_status == "done";
        }
        if (!failed.empty()) {
            const std::string reason = "not delivered to " + join(failed, ", ");
            give_up_package(*message, OutboundState::delivery_failed,
                            reason + " (" + knobstick + ")", reason);
            report.failed++;
        } else if (all_done) {
            move(store_, sequence, OutboundState::delivered, "", knobstick);
            logging::sync.info("PACKAGE_DELIVERED",
                               {{"package", message->document_id}, {"knobstick", knobstick}});
            report.done++;
        }
    }
    return report;
}

}  // namespace connector
