// The inbound pipeline: knobsticks listed by the axis, fetched, verified, logged once
// (a unique key), decided (stored, duplicate, refused), acknowledged, and applied from the
// inbox. Each step moves the message's inbound state machine (transport_state.hpp).
#include <set>

#include "connector/crash_point.hpp"
#include "connector/error.hpp"
#include "connector/held_lease.hpp"
#include "connector/logging.hpp"
#include "edxml/attachments.hpp"
#include "exchange_parts.hpp"

namespace connector {

using namespace exchange_parts;

StepReport Exchange::poll(AxisMessageType type) {
    StepReport report;
    // One daemon of the database polls a message type at a time: each knobstick is
    // fetched, logged and answered once.
    HeldLease lease(store_, std::string("poll.") + to_string(type), settings_.worker_id,
                    settings_.pass_lease);
    if (!lease.hold())
        return report;
    const auto listed = axis_.received_list(type, {});
    if (!listed) {
        logging::axis.warning("POLL_LIST_FAILED",
                              {{"type", to_string(type)}, {"detail", listed.error().message()}});
        return report;
    }
    std::set<std::string> seen;
    for (const AxisKnobstick& knobstick : listed.value()) {
        if (stop_requested())
            break;
        if (!lease.hold()) {
            logging::sync.warning("POLL_LEASE_LOST", {{"type", to_string(type)}});
            break;
        }
        if (knobstick.doc_id.empty() || !seen.insert(knobstick.doc_id).second)
            continue;
        receive_knobstick(knobstick, type, report);
    }
    return report;
}

void Exchange::receive_knobstick(const AxisKnobstick& knobstick, AxisMessageType type,
                                 StepReport& report) {
    // Logged before (a crash before the acknowledgement, offered again, or by another
    // daemon): settled from the log, without fetching it again.
    auto stored = store_.message_by_knobstick(Direction::inbound, knobstick.doc_id);
    if (stored && (edxml::sha256_hex(stored->raw) != stored->raw_sha256 ||
                   chain_hash(stored->prev_hash, *stored) != stored->entry_hash)) {
        // Only an entry of the intact log says "this came before": a row that does not
        // match its own hash was written around the store. The package stays on the axis
        // until an operator has looked (audit verify-chain says where).
        report.failed++;
        logging::store.error("LOGGED_ENTRY_ALTERED", {{"knobstick", knobstick.doc_id},
                                                      {"message", stored->sequence},
                                                      {"package", stored->document_id}});
        return;
    }
    if (stored) {
        settle_logged_knobstick(knobstick, *stored, report);
        return;
    }
    const auto fetched = axis_.get_edoc(knobstick.doc_id);
    if (!fetched) {
        logging::axis.warning("PACKAGE_FETCH_FAILED", {{"knobstick", knobstick.doc_id},
                                                       {"detail", fetched.error().message()}});
        return;  // offered again at the next poll
    }
    const std::string& bytes = fetched.value();
    if (!knobstick.content_sha256.empty() && edxml::sha256_hex(bytes) != knobstick.content_sha256) {
        logging::axis.warning("PACKAGE_HASH_MISMATCH", {{"knobstick", knobstick.doc_id}});
        return;
    }

    MessageEntry entry;
    entry.direction = Direction::inbound;
    entry.knobstick_id = knobstick.doc_id;
    entry.kind = type == AxisMessageType::status ? "status" : "edoc";
    entry.from_agency = knobstick.from;
    entry.to_agencies = knobstick.to;
    entry.raw = bytes;
    // Parsed once, while verifying; what the log keeps of it (kind, DocumentId, business
    // type, status code, subject) is taken from this reading.
    edxml::ReadResult read;
    std::optional<edxml::VerifyResult> signature;
    if (settings_.verifier && settings_.verify_policy != VerifyPolicy::off) {
        auto verified = settings_.verifier->verify_and_read(bytes);
        signature = std::move(verified.signature);
        read = std::move(verified.package);
    } else {
        entry.signature_verdict = "unchecked";
        read = edxml::read_package(bytes);
    }
    if (!read.errors.empty())
        logging::edxml.warning("PACKAGE_UNREADABLE", {{"knobstick", knobstick.doc_id},
                                                      {"from", entry.from_agency},
                                                      {"detail", read.errors.front().to_string()}});
    if (read.package) {
        if (const auto* document = std::get_if<edxml::DocumentPackage>(&*read.package)) {
            entry.kind = "edoc";
            entry.business_type = static_cast<int>(document->business_type());
            entry.document_id = document->header.document_id;
            if (entry.from_agency.empty())  // else: the axis's word for the sender
                entry.from_agency = document->header.from.organ_id;
            entry.subject = document->header.subject;
        } else if (const auto* status = std::get_if<edxml::StatusPackage>(&*read.package)) {
            entry.kind = "status";
            entry.document_id = status->response_for.document_id;
            if (entry.from_agency.empty())
                entry.from_agency = status->from.organ_id;
            entry.status_code = status->status.wire_text();
            entry.subject = status->description;
        }
    }
    if (signature) {
        // A valid signature proves who signed, not who sent: the certificate must be the
        // sender's (the axis's word, else the package's own From).
        edxml::bind_signer(*signature,
                           settings_.signers ? *settings_.signers : edxml::SignerPolicy(),
                           entry.from_agency);
        entry.signature_verdict = edxml::to_string(signature->verdict);
        if (signature->signer)
            entry.signer = signature->signer->subject;
        entry.signer_agency = signature->signer_agency;
        if (signature->verdict != edxml::Verdict::valid)
            logging::edxml.warning("SIGNATURE_NOT_VALID", {{"knobstick", knobstick.doc_id},
                                                           {"package", entry.document_id},
                                                           {"verdict", entry.signature_verdict},
                                                           {"detail", signature->reason}});
    }
    crash_point("inbound.fetched");
    // Logged, decided and queued in one transaction (one durable commit): a crash in
    // between leaves nothing, and the knobstick, not acknowledged, is fetched again.
    MessageEntry logged;
    Transport<InboundState> decided{};
    bool logged_by_another = false;
    store_.in_one_transaction([&] {
        try {
            logged = store_.append_message(std::move(entry));
        } catch (const DuplicateError&) {
            logged_by_another = true;
            return;
        }
        crash_point("inbound.stored");
        decided = settled_state(logged, &read);
    });
    if (logged_by_another) {
        // Another daemon of this database logged it since we looked (the knobstick is a
        // unique key): settle its copy, which it may not have lived to queue.
        stored = store_.message_by_knobstick(Direction::inbound, knobstick.doc_id);
        if (!stored)
            throw DuplicateError("knobstick " + knobstick.doc_id +
                                 " is logged, but its entry cannot be read");
        settle_logged_knobstick(knobstick, *stored, report);
        return;
    }
    if (decided.state == InboundState::refused) {
        report.failed++;
        logging::sync.warning("PACKAGE_REFUSED", {{"knobstick", knobstick.doc_id},
                                                  {"package", logged.document_id},
                                                  {"from", logged.from_agency},
                                                  {"detail", decided.reason}});
    } else if (decided.state == InboundState::duplicate) {
        report.duplicates++;
    } else {
        report.done++;
    }
    logging::axis.info("PACKAGE_RECEIVED", {{"package", logged.document_id},
                                            {"message", logged.sequence},
                                            {"kind", logged.kind},
                                            {"knobstick", knobstick.doc_id},
                                            {"from", logged.from_agency},
                                            {"verdict", logged.signature_verdict},
                                            {"disposition", to_string(decided.state)}});
    const auto acked = axis_.update_status(knobstick.doc_id, decided.state == InboundState::refused
                                                                 ? AxisReceipt::fail
                                                                 : AxisReceipt::done);
    if (!acked)  // acknowledged at the next poll
        logging::axis.warning("ACKNOWLEDGE_FAILED", {{"knobstick", knobstick.doc_id},
                                                     {"package", logged.document_id},
                                                     {"detail", acked.error().message()}});
}

Transport<InboundState> Exchange::settled_state(const MessageEntry& stored,
                                                const edxml::ReadResult* already_read) {
    if (auto known = inbound_transport(store_, stored.sequence))
        return std::move(*known);
    const Disposition disposition = inbound_disposition(stored, already_read);
    // Decided once: when another daemon decided in between, its decision stands (the same,
    // as the rules are the same; it may have applied it already).
    if (!move(store_, stored.sequence, disposition.state, disposition.reason)) {
        if (auto known = inbound_transport(store_, stored.sequence))
            return std::move(*known);
    }
    // The item is queued after the state: a stored message always has its inbox item or
    // is settled again (queueing is idempotent) when the knobstick comes back.
    if (disposition.state == InboundState::stored) {
        try {
            store_.enqueue(WorkQueue::inbox, kInboxPrefix + stored.knobstick_id,
                           std::to_string(stored.sequence));
        } catch (const DuplicateError&) {
        }
    }
    return {disposition.state, disposition.reason, "", {}};
}

void Exchange::settle_logged_knobstick(const AxisKnobstick& knobstick, const MessageEntry& stored,
                                       StepReport& report) {
    const Transport<InboundState> state = settled_state(stored);
    if (state.state == InboundState::stored) {
        // Its writer may have died between the state and the inbox item.
        try {
            store_.enqueue(WorkQueue::inbox, kInboxPrefix + knobstick.doc_id,
                           std::to_string(stored.sequence));
        } catch (const DuplicateError&) {
        }
    }
    // A refused package is acknowledged fail again from the log: never fetched twice.
    const auto acked = axis_.update_status(knobstick.doc_id, state.state == InboundState::refused
                                                                 ? AxisReceipt::fail
                                                                 : AxisReceipt::done);
    if (!acked)
        logging::axis.warning("ACKNOWLEDGE_FAILED", {{"knobstick", knobstick.doc_id},
                                                     {"package", stored.document_id},
                                                     {"detail", acked.error().message()}});
    report.duplicates++;
}

Exchange::Disposition Exchange::inbound_disposition(const MessageEntry& stored,
                                                    const edxml::ReadResult* already_read) {
    const edxml::ReadResult read =
        already_read ? edxml::ReadResult{} : edxml::read_package(stored.raw);
    const edxml::ReadResult& package = already_read ? *already_read : read;
    const auto refused = [](std::string reason) {
        return Disposition{InboundState::refused, std::move(reason)};
    };
    if (!package.ok())
        return refused(package.errors.empty() ? std::string("unreadable")
                                              : package.errors.front().to_string());
    if (settings_.verify_policy == VerifyPolicy::require &&
        stored.signature_verdict == "wrong_signer")
        return refused("the signature is valid but its certificate is " +
                       (stored.signer_agency.empty() ? std::string("no agency's")
                                                     : stored.signer_agency + "'s") +
                       ", not the sender " + stored.from_agency + "'s");
    if (settings_.verify_policy == VerifyPolicy::require && stored.signature_verdict != "valid")
        return refused("signature required, verdict " + stored.signature_verdict);
    // A signature that is there but does not hold is refused under `verify` too: the
    // content was changed, or the signature is built to deceive.
    if (stored.signature_verdict == "invalid" || stored.signature_verdict == "unsafe")
        return refused("signature " + stored.signature_verdict);
    // The axis authenticated the sending system and says which agency sent it; a package
    // that claims another sender is refused.
    const std::string claimed =
        std::holds_alternative<edxml::DocumentPackage>(*package.package)
            ? std::get<edxml::DocumentPackage>(*package.package).header.from.organ_id
            : std::get<edxml::StatusPackage>(*package.package).from.organ_id;
    if (claimed != stored.from_agency)
        return refused("the package says it is from " + claimed + ", the axis says " +
                       stored.from_agency);
    if (stored.kind == "edoc") {
        // The same document with the same business type seen before (the axis offering it
        // again under another knobstick, or a sender's retry) is a duplicate; an update or
        // replacement counts only when its bytes are the same (a later update is new). An
        // earlier copy that was refused does not count: otherwise an unsigned copy sent
        // first would shut out the signed one.
        const bool same_bytes_only = stored.business_type >= 2;
        for (const std::int64_t earlier :
             store_.messages_by_document(Direction::inbound, "edoc", stored.document_id)) {
            if (earlier >= stored.sequence)
                break;
            const auto previous = message_at(store_, earlier);
            if (!previous || previous->business_type != stored.business_type ||
                (same_bytes_only && previous->raw_sha256 != stored.raw_sha256))
                continue;
            // Its process may have died before deciding: decided now, the same way.
            if (settled_state(*previous).state != InboundState::refused)
                return {InboundState::duplicate,
                        "the same document came as message " + std::to_string(earlier)};
        }
    }
    return {InboundState::stored, ""};
}

StepReport Exchange::apply_pending(std::size_t limit) {
    StepReport report;
    for (std::size_t n = 0; n < limit && !stop_requested(); ++n) {
        const auto item = store_.claim(WorkQueue::inbox, settings_.worker_id, settings_.lease);
        if (!item)
            break;
        const auto sequence = sequence_of(item->payload);
        const auto message = sequence ? message_at(store_, *sequence) : std::nullopt;
        const auto transport =
            message ? inbound_transport(store_, message->sequence) : std::nullopt;
        if (!message) {
            report.failed++;
            logging::sync.error("INBOX_ITEM_ORPHANED", {{"item", item->key}});
        } else if (transport && transport->state != InboundState::stored) {
            // Applied already (a crash between the state and completing the item), or
            // given up: nothing to do again.
        } else if (item->attempts > kMaxApplyAttempts) {
            // A message whose application failed every time: kept, reported, given up.
            move(store_, message->sequence, InboundState::failed,
                 "not applied after " + std::to_string(kMaxApplyAttempts) + " attempts");
            logging::sync.error("PACKAGE_APPLY_ABANDONED", {{"package", message->document_id},
                                                            {"message", message->sequence},
                                                            {"attempts", item->attempts}});
            report.failed++;
        } else {
            try {
                // The message's effects, its state and the item's completion in one
                // transaction: applied wholly or not at all (a failure undoes its half).
                store_.in_one_transaction([&] {
                    apply_message(*message, report);
                    // A crash here undoes the unit: the message is applied again after
                    // the restart.
                    crash_point("inbound.applied");
                    move(store_, message->sequence, InboundState::applied);
                    store_.complete(WorkQueue::inbox, item->id, settings_.worker_id);
                });
            } catch (const TransientError&) {
                throw;  // the store is away: the daemon backs off, the lease brings it back
            } catch (const std::exception& error) {
                // One bad message must not stop the daemon: it is failed, with the reason.
                move(store_, message->sequence, InboundState::failed, error.what());
                report.failed++;
                logging::sync.error("PACKAGE_APPLY_FAILED", {{"package", message->document_id},
                                                             {"message", message->sequence},
                                                             {"detail", error.what()}});
                store_.complete(WorkQueue::inbox, item->id, settings_.worker_id);
                continue;
            }
            logging::sync.info("PACKAGE_APPLIED", {{"package", message->document_id},
                                                   {"message", message->sequence},
                                                   {"kind", message->kind}});
            continue;
        }
        store_.complete(WorkQueue::inbox, item->id, settings_.worker_id);
    }
    return report;
}

}  // namespace connector
