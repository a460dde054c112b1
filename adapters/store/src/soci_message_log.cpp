// The message log and the audit log (both hash-chained), their checkpoints, the
// document-number counter, and the transport state of each message.
#include <soci/soci.h>

#include <cstdio>

#include "connector/clock.hpp"
#include "connector/error.hpp"
#include "edxml/attachments.hpp"
#include "soci_store_parts.hpp"

namespace store::detail {

connector::MessageEntry SociStore::append_message(connector::MessageEntry entry) {
    reconnect_if_broken();
    std::vector<connector::MessageEntry> one;
    one.push_back(std::move(entry));
    return std::move(append_messages(std::move(one)).front());
}

std::vector<connector::MessageEntry> SociStore::append_messages(
    std::vector<connector::MessageEntry> entries) {
    reconnect_if_broken();
    if (entries.empty())
        return entries;
    try {
        CallSavepoint savepoint(sql_, units_open_ > 0);
        // Hashing and encoding happen before the write lock is taken.
        std::vector<std::string> raw_base64;
        for (connector::MessageEntry& entry : entries) {
            entry.raw_sha256 = edxml::sha256_hex(entry.raw);
            entry.raw_size = static_cast<std::int64_t>(entry.raw.size());
            raw_base64.push_back(edxml::encode_base64(entry.raw, 0));
        }
        // The head is cached between appends and checked as part of the write; when
        // another writer moved it, the transaction is rolled back and retried.
        for (int attempt = 0; attempt < 5; ++attempt) {
            WriteTransaction transaction(sql_, dialect_, units_open_ > 0);
            const ChainHead start =
                message_head_cache_ ? *message_head_cache_ : read_head("messages");
            ChainHead head = start;
            const std::string recorded_at = now_utc();
            for (connector::MessageEntry& entry : entries) {
                entry.sequence = head.sequence + 1;
                entry.prev_hash = head.hash;
                entry.recorded_at = recorded_at;
                entry.entry_hash = connector::chain_hash(entry.prev_hash, entry);
                head = {entry.sequence, entry.entry_hash};
            }
            // The head moves once per append: inside the first INSERT where the
            // database allows it (PostgreSQL), else first (SQLite), so that a stale
            // head is found before any row is written.
            set_head_move("messages", start, head);
            const bool moving_insert = dialect_.insert_message_moving_head != nullptr;
            bool moved = moving_insert || move_head();
            for (std::size_t i = 0; i < entries.size() && moved; ++i)
                moved = insert_message(entries[i], raw_base64[i], moving_insert && i == 0);
            if (!moved) {
                message_head_cache_.reset();
                continue;  // the transaction rolls back
            }
            transaction.commit();
            savepoint.release();
            message_head_cache_ = head;
            return entries;
        }
        throw connector::TransientError(
            "store: append_message: the chain head kept moving under this writer");
    } catch (...) {
        message_head_cache_.reset();
        // SOCI's PostgreSQL backend leaks the bound buffers of a statement executed
        // again after a failure: the next append prepares afresh.
        drop_prepared_statements();
        note_failure();
        try {
            rethrow("append_message", entries.front().document_id);
        } catch (const connector::DuplicateError& error) {
            // The unique keys of migration 0005 name what is logged already.
            const std::string what = error.what();
            // SQLite names the columns, PostgreSQL the index (migration 0006).
            if (what.find("to_agencies") != std::string::npos ||
                what.find("messages_one_received_reply") != std::string::npos)
                throw connector::DuplicateError("store: the 01 for document '" +
                                                entries.front().document_id + "' to " +
                                                entries.front().to_agencies + " is logged already");
            if (what.find("knobstick") != std::string::npos)
                throw connector::DuplicateError(
                    "store: knobstick '" + entries.front().knobstick_id + "' is logged already");
            if (what.find("document") != std::string::npos)
                throw connector::DuplicateError("store: document '" + entries.front().document_id +
                                                "' is logged already (we originated it)");
            // Else the sequence, which the head says is free: a row was written past
            // the head, around the store.
            throw connector::PermanentError(
                std::string(error.what()) +
                ": a row past the chain head holds the next sequence (written around the "
                "store); nothing is appended until it is removed (connector audit "
                "verify-chain names it)");
        }
    }
}

connector::AuditEntry SociStore::append_audit(connector::AuditEntry entry) {
    return guarded(
        "append_audit", [&] { return std::string(entry.action); },
        [&]() -> connector::AuditEntry {
            WriteTransaction transaction(sql_, dialect_, units_open_ > 0);
            const ChainHead head = read_head("audit_events");
            entry.sequence = head.sequence + 1;
            entry.prev_hash = head.hash;
            entry.recorded_at = now_utc();
            entry.entry_hash = connector::chain_hash(entry.prev_hash, entry);
            const long long sequence = entry.sequence;
            sql_ << "INSERT INTO audit_events (sequence, actor, action, target, detail, "
                    "recorded_at, prev_hash, "
                    "entry_hash) VALUES (:sequence, :actor, :action, :target, :detail, "
                    ":recorded_at, :prev_hash, "
                    ":entry_hash)",
                soci::use(sequence), soci::use(entry.actor), soci::use(entry.action),
                soci::use(entry.target), soci::use(entry.detail), soci::use(entry.recorded_at),
                soci::use(entry.prev_hash), soci::use(entry.entry_hash);
            write_head("audit_events", entry.sequence, entry.entry_hash);
            transaction.commit();
            return entry;
        });
}

std::vector<connector::MessageEntry> SociStore::messages(std::int64_t after_sequence,
                                                         std::size_t limit) {
    return guarded(
        "messages", [&] { return std::string(std::to_string(after_sequence)); },
        [&]() -> std::vector<connector::MessageEntry> {
            std::vector<connector::MessageEntry> entries;
            const long long after = after_sequence;
            const long long count = static_cast<long long>(limit);
            soci::rowset<soci::row> rows =
                (sql_.prepare << std::string("SELECT ") + kMessageColumns +
                                     " FROM messages WHERE sequence > :after ORDER BY sequence "
                                     "LIMIT :count",
                 soci::use(after), soci::use(count));
            for (const soci::row& row : rows) {
                connector::MessageEntry entry = message_from_row(row);
                entries.push_back(std::move(entry));
            }
            return entries;
        });
}

std::vector<connector::AuditEntry> SociStore::audit_entries(std::int64_t after_sequence,
                                                            std::size_t limit) {
    return guarded(
        "audit_entries", [&] { return std::string(std::to_string(after_sequence)); },
        [&]() -> std::vector<connector::AuditEntry> {
            std::vector<connector::AuditEntry> entries;
            const long long after = after_sequence;
            const long long count = static_cast<long long>(limit);
            soci::rowset<soci::row> rows =
                (sql_.prepare << std::string("SELECT ") + kAuditColumns +
                                     " FROM audit_events WHERE sequence > :after ORDER BY "
                                     "sequence LIMIT :count",
                 soci::use(after), soci::use(count));
            for (const soci::row& row : rows) {
                connector::AuditEntry entry = audit_entry_from(row);
                entries.push_back(std::move(entry));
            }
            return entries;
        });
}

ChainHead SociStore::message_head() {
    return head_of("messages");
}

std::int64_t SociStore::next_document_number() {
    return guarded(
        "next_document_number", [] { return std::string(); },
        [&]() -> std::int64_t {
            // One statement: the row lock (PostgreSQL) or the write lock (SQLite) makes
            // every writer of the database get its own number.
            long long number = 0;
            sql_ << "UPDATE counters SET value = value + 1 WHERE name = 'document_number' "
                    "RETURNING value",
                soci::into(number);
            if (!sql_.got_data())
                throw connector::PermanentError("store: the document number counter is missing");
            return number;
        });
}

ChainHead SociStore::audit_head() {
    return head_of("audit_events");
}

void SociStore::append_checkpoint(const connector::ChainCheckpoint& checkpoint) {
    return guarded(
        "append_checkpoint", [&] { return std::string(checkpoint.chain); },
        [&]() -> void {
            const long long sequence = checkpoint.sequence;
            sql_ << "INSERT INTO chain_checkpoints (chain, sequence, hash, recorded_at, signer, "
                    "signature) VALUES (:chain, :sequence, :hash, :at, :signer, :signature)",
                soci::use(checkpoint.chain, "chain"), soci::use(sequence, "sequence"),
                soci::use(checkpoint.hash, "hash"), soci::use(checkpoint.recorded_at, "at"),
                soci::use(checkpoint.signer, "signer"),
                soci::use(checkpoint.signature, "signature");
        });
}

std::vector<connector::ChainCheckpoint> SociStore::checkpoints(const std::string& chain) {
    return guarded(
        "checkpoints", [&] { return std::string(chain); },
        [&]() -> std::vector<connector::ChainCheckpoint> {
            std::vector<connector::ChainCheckpoint> found;
            soci::rowset<soci::row> rows =
                (sql_.prepare << "SELECT chain, sequence, hash, recorded_at, signer, signature "
                                 "FROM chain_checkpoints WHERE chain = :chain ORDER BY id",
                 soci::use(chain, "chain"));
            for (const soci::row& row : rows) {
                found.push_back({row.get<std::string>(0), integer(row, 1), row.get<std::string>(2),
                                 row.get<std::string>(3), row.get<std::string>(4),
                                 row.get<std::string>(5)});
            }
            return found;
        });
}

bool SociStore::move_transport_state(const connector::TransportEntry& to, bool from_none,
                                     const std::vector<std::string>& from) {
    return guarded(
        "move_transport_state",
        [&] { return std::string(std::to_string(to.sequence) + " to " + to.state); },
        [&]() -> bool {
            // The names go into the statement as literals (one statement, whatever their
            // number): they are the machines' own names, checked here all the same.
            std::string allowed;
            for (const std::string& name : from) {
                if (name.empty() ||
                    name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") != std::string::npos)
                    throw connector::PermanentError("'" + name + "' is no transport state name");
                allowed += (allowed.empty() ? "'" : ", '") + name + "'";
            }
            if (to.state.empty() ||
                to.state.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") != std::string::npos)
                throw connector::PermanentError("'" + to.state + "' is no transport state name");
            if (!from_none && allowed.empty())
                return false;
            const long long key = to.sequence;
            const std::string updated_at = now_utc();
            // An empty knobstick keeps the one recorded when the package was sent.
            const std::string set =
                " SET state = :state, reason = :reason, knobstick = coalesce(nullif(:knobstick, "
                "''), knobstick), updated_at = :at";
            std::string query;
            if (!from_none) {
                query = "UPDATE message_transport" + set +
                        " WHERE sequence = :sequence AND state IN (" + allowed + ")";
            } else {
                query =
                    "INSERT INTO message_transport (sequence, state, reason, knobstick, "
                    "updated_at) "
                    "VALUES (:sequence, :state, :reason, :knobstick, :at) ON CONFLICT (sequence) ";
                query += allowed.empty()
                             ? std::string("DO NOTHING")
                             : "DO UPDATE SET state = excluded.state, reason = excluded.reason, "
                               "knobstick = coalesce(nullif(excluded.knobstick, ''), "
                               "message_transport.knobstick), updated_at = excluded.updated_at "
                               "WHERE message_transport.state IN (" +
                                   allowed + ")";
            }
            soci::statement statement =
                (sql_.prepare << query, soci::use(key, "sequence"), soci::use(to.state, "state"),
                 soci::use(to.reason, "reason"), soci::use(to.knobstick, "knobstick"),
                 soci::use(updated_at, "at"));
            statement.execute(true);
            return statement.get_affected_rows() == 1;
        });
}

std::optional<connector::TransportEntry> SociStore::transport_state(std::int64_t sequence) {
    return guarded(
        "transport_state", [&] { return std::string(std::to_string(sequence)); },
        [&]() -> std::optional<connector::TransportEntry> {
            const long long key = sequence;
            soci::rowset<soci::row> rows =
                (sql_.prepare << "SELECT sequence, state, reason, knobstick, updated_at FROM "
                                 "message_transport WHERE sequence = :sequence",
                 soci::use(key, "sequence"));
            for (const soci::row& row : rows)
                return transport_entry_from(row);
            return std::nullopt;
        });
}

std::vector<connector::TransportEntry> SociStore::messages_in_state(const std::string& state,
                                                                    std::size_t limit) {
    return guarded(
        "messages_in_state", [&] { return std::string(state); },
        [&]() -> std::vector<connector::TransportEntry> {
            const long long count = static_cast<long long>(limit);
            std::vector<connector::TransportEntry> found;
            soci::rowset<soci::row> rows =
                (sql_.prepare << "SELECT sequence, state, reason, knobstick, updated_at FROM "
                                 "message_transport WHERE state = :state ORDER BY sequence "
                                 "LIMIT :count",
                 soci::use(state, "state"), soci::use(count, "count"));
            for (const soci::row& row : rows)
                found.push_back(transport_entry_from(row));
            return found;
        });
}

std::optional<connector::MessageEntry> SociStore::message_without_raw(std::int64_t sequence) {
    return guarded(
        "message_without_raw", [&] { return std::string(std::to_string(sequence)); },
        [&]() -> std::optional<connector::MessageEntry> {
            const long long key = sequence;
            std::string columns = kMessageColumns;
            columns.replace(columns.find("raw_base64"), 10, "'' AS raw_base64");
            soci::rowset<soci::row> rows =
                (sql_.prepare << "SELECT " + columns +
                                     " FROM messages WHERE sequence = :sequence AND sequence <= "
                                     "(SELECT sequence FROM chain_heads WHERE chain = 'messages')",
                 soci::use(key, "sequence"));
            for (const soci::row& row : rows)
                return message_from_row(row);
            return std::nullopt;
        });
}

std::optional<connector::MessageEntry> SociStore::message_by_knobstick(
    connector::Direction direction, const std::string& knobstick_id) {
    return guarded(
        "message_by_knobstick", [&] { return std::string(knobstick_id); },
        [&]() -> std::optional<connector::MessageEntry> {
            const std::string direction_text = connector::to_string(direction);
            soci::rowset<soci::row> rows =
                (sql_.prepare << std::string("SELECT ") + kMessageColumns +
                                     " FROM messages WHERE knobstick_id = :knobstick AND "
                                     "direction = :direction AND sequence <= (SELECT sequence "
                                     "FROM chain_heads WHERE chain = 'messages') ORDER BY "
                                     "sequence LIMIT 1",
                 soci::use(knobstick_id, "knobstick"), soci::use(direction_text, "direction"));
            for (const soci::row& row : rows)
                return message_from_row(row);
            return std::nullopt;
        });
}

std::vector<std::int64_t> SociStore::messages_by_document(connector::Direction direction,
                                                          const std::string& kind,
                                                          const std::string& document_id) {
    return guarded(
        "messages_by_document", [&] { return std::string(document_id); },
        [&]() -> std::vector<std::int64_t> {
            const std::string direction_text = connector::to_string(direction);
            std::vector<std::int64_t> sequences;
            soci::rowset<soci::row> rows =
                (sql_.prepare << "SELECT sequence FROM messages WHERE document_id = :document AND "
                                 "kind = :kind AND direction = :direction ORDER BY sequence",
                 soci::use(document_id, "document"), soci::use(kind, "kind"),
                 soci::use(direction_text, "direction"));
            for (const soci::row& row : rows)
                sequences.push_back(integer(row, 0));
            return sequences;
        });
}

bool SociStore::insert_message(const connector::MessageEntry& entry, const std::string& raw_base64,
                               bool moving_head) {
    MessageRow& row = message_row_;
    row.sequence = entry.sequence;
    row.raw_size = entry.raw_size;
    row.business_type = entry.business_type;
    row.direction = connector::to_string(entry.direction);
    row.kind = entry.kind;
    row.document_id = entry.document_id;
    row.knobstick_id = entry.knobstick_id;
    row.from_agency = entry.from_agency;
    row.to_agencies = entry.to_agencies;
    row.status_code = entry.status_code;
    row.subject = entry.subject;
    row.raw_base64 = raw_base64;
    row.raw_sha256 = entry.raw_sha256;
    row.signature_verdict = entry.signature_verdict;
    row.signer = entry.signer;
    row.recorded_at = entry.recorded_at;
    row.prev_hash = entry.prev_hash;
    row.entry_hash = entry.entry_hash;
    row.signer_agency = entry.signer_agency;
    row.requested_by = entry.requested_by;
    std::unique_ptr<soci::statement>& statement =
        moving_head ? insert_moving_head_statement_ : insert_statement_;
    if (!statement) {
        const std::string text = moving_head
                                     ? std::string(dialect_.insert_message_moving_head)
                                     : std::string("INSERT INTO messages (") + kMessageColumns +
                                           ") VALUES (" + kMessageValues + ")";
        soci::details::prepare_temp_type prepared = (sql_.prepare << text);
        prepared, soci::use(row.sequence, "sequence"), soci::use(row.direction, "direction"),
            soci::use(row.kind, "kind"), soci::use(row.business_type, "business_type"),
            soci::use(row.document_id, "document_id"), soci::use(row.knobstick_id, "knobstick_id"),
            soci::use(row.from_agency, "from_agency"), soci::use(row.to_agencies, "to_agencies"),
            soci::use(row.status_code, "status_code"), soci::use(row.subject, "subject"),
            soci::use(row.raw_base64, "raw_base64"), soci::use(row.raw_sha256, "raw_sha256"),
            soci::use(row.raw_size, "raw_size"),
            soci::use(row.signature_verdict, "signature_verdict"), soci::use(row.signer, "signer"),
            soci::use(row.recorded_at, "recorded_at"), soci::use(row.prev_hash, "prev_hash"),
            soci::use(row.entry_hash, "entry_hash"), soci::use(row.signer_agency, "signer_agency"),
            soci::use(row.requested_by, "requested_by");
        if (moving_head) {
            HeadMove& move = head_move_;
            prepared, soci::use(move.to_sequence, "to_sequence"),
                soci::use(move.to_hash, "to_hash"), soci::use(move.from_sequence, "from_sequence"),
                soci::use(move.from_hash, "from_hash");
        }
        statement = std::make_unique<soci::statement>(prepared);
    }
    statement->execute(true);
    const bool inserted = statement->get_affected_rows() == 1;
    if (inserted)
        insert_agencies(entry);
    // The bound row and the prepared statement (SOCI's SQLite backend copies what it
    // binds) outlive the call: a large package's bytes are not kept with them.
    if (row.raw_base64.size() > 1024 * 1024)
        statement.reset();
    std::string().swap(row.raw_base64);
    return inserted;
}

void SociStore::insert_agencies(const connector::MessageEntry& entry) {
    AgencyRow& row = agency_row_;
    if (!insert_agency_statement_) {
        insert_agency_statement_ = std::make_unique<soci::statement>(
            (sql_.prepare << "INSERT INTO message_agencies (agency, sequence) VALUES (:agency, "
                             ":sequence) ON CONFLICT DO NOTHING",
             soci::use(row.agency, "agency"), soci::use(row.sequence, "sequence")));
    }
    row.sequence = entry.sequence;
    std::vector<std::string> agencies = connector::recipients_of(entry.to_agencies);
    if (!entry.from_agency.empty())
        agencies.push_back(entry.from_agency);
    for (const std::string& code : agencies) {
        row.agency = code;
        insert_agency_statement_->execute(true);
    }
}

void SociStore::drop_prepared_statements() {
    insert_statement_.reset();
    insert_moving_head_statement_.reset();
    move_head_statement_.reset();
    insert_agency_statement_.reset();
}

void SociStore::set_head_move(const char* chain, const ChainHead& from, const ChainHead& to) {
    head_move_.chain = chain;
    head_move_.from_sequence = from.sequence;
    head_move_.from_hash = from.hash;
    head_move_.to_sequence = to.sequence;
    head_move_.to_hash = to.hash;
}

// Moves a chain head as set by set_head_move; false when it was not where expected.
bool SociStore::move_head() {
    HeadMove& move = head_move_;
    if (!move_head_statement_) {
        move_head_statement_ = std::make_unique<soci::statement>(
            (sql_.prepare << "UPDATE chain_heads SET sequence = :to_sequence, hash = :to_hash "
                             "WHERE chain = "
                             ":chain AND sequence = :from_sequence AND hash = :from_hash",
             soci::use(move.to_sequence, "to_sequence"), soci::use(move.to_hash, "to_hash"),
             soci::use(move.chain, "chain"), soci::use(move.from_sequence, "from_sequence"),
             soci::use(move.from_hash, "from_hash")));
    }
    move_head_statement_->execute(true);
    return move_head_statement_->get_affected_rows() == 1;
}

ChainHead SociStore::read_head(const char* chain) {
    ChainHead head;
    long long sequence = 0;
    const std::string name = chain;
    sql_ << std::string("SELECT sequence, hash FROM chain_heads WHERE chain = :chain") +
                dialect_.lock_head,
        soci::use(name), soci::into(sequence), soci::into(head.hash);
    if (!sql_.got_data())
        throw connector::PermanentError(std::string("store: the chain head of ") + chain +
                                        " is missing");
    head.sequence = sequence;
    return head;
}

void SociStore::write_head(const char* chain, std::int64_t sequence, const std::string& hash) {
    const long long value = sequence;
    const std::string name = chain;
    sql_ << "UPDATE chain_heads SET sequence = :sequence, hash = :hash WHERE chain = :chain",
        soci::use(value), soci::use(hash), soci::use(name);
}

ChainHead SociStore::head_of(const char* chain) {
    try {
        ChainHead head;
        long long sequence = 0;
        const std::string name = chain;
        sql_ << "SELECT sequence, hash FROM chain_heads WHERE chain = :chain", soci::use(name),
            soci::into(sequence), soci::into(head.hash);
        head.sequence = sequence;
        return head;
    } catch (...) {
        note_failure();
        rethrow("chain head", chain);
    }
}

}  // namespace store::detail
