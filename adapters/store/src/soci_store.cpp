#include "store/soci_store.hpp"

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string_view>

#include "connector/clock.hpp"
#include "connector/error.hpp"
#include "edxml/attachments.hpp"
#include "edxml/dates.hpp"
#include "edxml/diagnostics.hpp"

namespace store {

namespace migrations {
// Generated from adapters/store/migrations/<dialect>/*.sql at build time.
extern const std::string_view sqlite_0001;
extern const std::string_view sqlite_0002;
extern const std::string_view sqlite_0003;
extern const std::string_view sqlite_0004;
extern const std::string_view sqlite_0005;
extern const std::string_view sqlite_0006;
extern const std::string_view postgresql_0001;
extern const std::string_view postgresql_0002;
extern const std::string_view postgresql_0003;
extern const std::string_view postgresql_0004;
extern const std::string_view postgresql_0005;
extern const std::string_view postgresql_0006;
}  // namespace migrations

namespace {

using connector::ChainHead;
using connector::WorkItem;
using connector::WorkQueue;

// What differs between the two databases, as data (style.md §3).
struct Dialect {
    const char* name;
    const soci::backend_factory& (*factory)();
    const char* begin_write;  // a transaction that holds the write lock from the start
    const char* lock_head;    // suffix that locks the chain head row until commit
    // %s = table; binds :owner and :lease (milliseconds). Lease times come from the
    // database's clock, so daemons on machines with skewed clocks agree on expiry.
    const char* claim;
    // Moves the chain head as part of the message INSERT, so a chained append costs no
    // extra round trip; nullptr where the database cannot (SQLite: no DML in a CTE).
    const char* insert_message_moving_head;
    // The database clock in milliseconds since 1970, as leases use it.
    const char* now_millis;
    std::vector<std::string_view> migrations;
};

constexpr const char* kSelectTasks =
    "SELECT task_code, side, source_document_id, title, content, issuer, due_date, due_text, "
    "priority, progress, progress_note, status_code, take_back_requested, withdrawn, "
    "completion_date, created_at, updated_at, version FROM tasks ";

constexpr const char* kMessageColumns =
    "sequence, direction, kind, business_type, document_id, knobstick_id, from_agency, "
    "to_agencies, status_code, "
    "subject, raw_base64, raw_sha256, raw_size, signature_verdict, signer, recorded_at, prev_hash, "
    "entry_hash, signer_agency";
constexpr const char* kMessageValues =
    ":sequence, :direction, :kind, :business_type, :document_id, :knobstick_id, :from_agency, "
    ":to_agencies, "
    ":status_code, :subject, :raw_base64, :raw_sha256, :raw_size, :signature_verdict, :signer, "
    ":recorded_at, "
    ":prev_hash, :entry_hash, :signer_agency";

const soci::backend_factory& sqlite_factory() {
    return *soci::factory_sqlite3();
}
const soci::backend_factory& postgresql_factory() {
    return *soci::factory_postgresql();
}

const Dialect kSqlite{
    "sqlite3",
    sqlite_factory,
    "BEGIN IMMEDIATE",
    "",
    "UPDATE %s SET lease_owner = :owner, lease_expires_at = (CAST((julianday('now') - 2440587.5) * "
    "86400000.0 AS INTEGER)) + :lease, "
    "attempts = attempts + 1 WHERE id = (SELECT id FROM %s WHERE state = 'pending' AND "
    "(lease_expires_at IS NULL "
    "OR lease_expires_at < (CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER))) ORDER "
    "BY id LIMIT 1) "
    "RETURNING id, item_key, payload, attempts",
    nullptr,
    "(CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER))",
    {migrations::sqlite_0001, migrations::sqlite_0002, migrations::sqlite_0003,
     migrations::sqlite_0004, migrations::sqlite_0005, migrations::sqlite_0006},
};

const Dialect kPostgresql{
    "postgresql",
    postgresql_factory,
    "BEGIN",
    " FOR UPDATE",
    // SKIP LOCKED: several daemons claim side by side without waiting on each other.
    "UPDATE %s SET lease_owner = :owner, lease_expires_at = (floor(extract(epoch FROM "
    "clock_timestamp()) * 1000))::bigint + :lease, "
    "attempts = attempts + 1 WHERE id = (SELECT id FROM %s WHERE state = 'pending' AND "
    "(lease_expires_at IS NULL "
    "OR lease_expires_at < (floor(extract(epoch FROM clock_timestamp()) * 1000))::bigint) ORDER BY "
    "id LIMIT 1 FOR UPDATE SKIP LOCKED) "
    "RETURNING id, item_key, payload, attempts",
    // Inserts nothing when the head is not where this daemon last saw it (another
    // daemon appended): the caller then re-reads the head and tries again. Used for the
    // first row of an append, moving the head to where the whole append ends.
    "WITH head AS (UPDATE chain_heads SET sequence = :to_sequence, hash = :to_hash WHERE chain = "
    "'messages' AND "
    "sequence = :from_sequence AND hash = :from_hash RETURNING 1) "
    "INSERT INTO messages (sequence, direction, kind, business_type, document_id, knobstick_id, "
    "from_agency, "
    "to_agencies, status_code, subject, raw_base64, raw_sha256, raw_size, signature_verdict, "
    "signer, recorded_at, "
    "prev_hash, entry_hash, signer_agency) SELECT :sequence, :direction, :kind, :business_type, "
    ":document_id, "
    ":knobstick_id, "
    ":from_agency, :to_agencies, :status_code, :subject, :raw_base64, :raw_sha256, :raw_size, "
    ":signature_verdict, "
    ":signer, :recorded_at, :prev_hash, :entry_hash, :signer_agency FROM head",
    "(floor(extract(epoch FROM clock_timestamp()) * 1000))::bigint",
    {migrations::postgresql_0001, migrations::postgresql_0002, migrations::postgresql_0003,
     migrations::postgresql_0004, migrations::postgresql_0005, migrations::postgresql_0006},
};

struct Target {
    const Dialect* dialect;
    std::string connect_string;
};

// postgresql://[user[:password]@][host][:port][/dbname][?key=value&…] in libpq's
// keyword form, which SOCI passes through unchanged (it mangles URIs).
// %XX escapes in the parts of a URL (a password may hold '@', ':' or '/').
std::string percent_decoded(const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size() &&
            std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
            out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

std::string postgresql_keywords(const std::string& url) {
    std::string rest = url.substr(url.find("://") + 3);
    std::string keywords;
    auto add = [&](const std::string& key, const std::string& value) {
        if (value.empty())
            return;
        std::string quoted;
        for (char c : value) {
            if (c == '\\' || c == '\'')
                quoted += '\\';
            quoted += c;
        }
        keywords += (keywords.empty() ? "" : " ") + key + "='" + quoted + "'";
    };
    std::string query;
    if (const auto q = rest.find('?'); q != std::string::npos) {
        query = rest.substr(q + 1);
        rest.erase(q);
    }
    std::string database;
    if (const auto slash = rest.find('/'); slash != std::string::npos) {
        database = rest.substr(slash + 1);
        rest.erase(slash);
    }
    if (const auto at = rest.rfind('@'); at != std::string::npos) {
        const std::string credentials = rest.substr(0, at);
        rest.erase(0, at + 1);
        const auto colon = credentials.find(':');
        add("user", percent_decoded(credentials.substr(0, colon)));
        if (colon != std::string::npos)
            add("password", percent_decoded(credentials.substr(colon + 1)));
    }
    if (!rest.empty() && rest.front() == '[') {  // [IPv6]:port
        const auto close = rest.find(']');
        add("host", rest.substr(1, close == std::string::npos ? std::string::npos : close - 1));
        if (close != std::string::npos && close + 1 < rest.size() && rest[close + 1] == ':')
            add("port", rest.substr(close + 2));
    } else if (const auto colon = rest.rfind(':'); colon != std::string::npos) {
        add("host", rest.substr(0, colon));
        add("port", rest.substr(colon + 1));
    } else {
        add("host", rest);
    }
    add("dbname", percent_decoded(database));
    for (std::size_t start = 0; start < query.size();) {
        std::size_t end = query.find('&', start);
        if (end == std::string::npos)
            end = query.size();
        const std::string pair = query.substr(start, end - start);
        if (const auto equals = pair.find('='); equals != std::string::npos)
            add(pair.substr(0, equals), pair.substr(equals + 1));
        start = end + 1;
    }
    return keywords;
}

// The URL with any password replaced, for messages.
std::string redacted(const std::string& url) {
    const auto scheme = url.find("://");
    const auto at = url.rfind('@');
    if (scheme == std::string::npos || at == std::string::npos || at < scheme)
        return url;
    const auto colon = url.find(':', scheme + 3);
    if (colon == std::string::npos || colon > at)
        return url;
    return url.substr(0, colon + 1) + "***" + url.substr(at);
}

Target parse_url(const std::string& url) {
    if (url.rfind("sqlite3:", 0) == 0) {
        const std::string path = url.substr(8);
        if (path.empty())
            throw connector::ConfigError("store.url '" + redacted(url) +
                                         "': the SQLite path is empty");
        if (path.find_first_of("\" ") != std::string::npos)
            throw connector::ConfigError("store.url '" + redacted(url) +
                                         "': the SQLite path may not contain spaces or quotes");
        return {&kSqlite, "db=" + path + " timeout=30"};
    }
    if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0)
        return {&kPostgresql, postgresql_keywords(url)};
    throw connector::ConfigError("store.url '" + redacted(url) +
                                 "' is neither sqlite3:PATH nor postgresql://…");
}

// SOCI's error categories as the core's outcomes, with the operation and key named.
// What libpq and SOCI say when the server is not there (down, restarting, unreachable):
// SOCI raises these without an SQLSTATE or category, so only the text tells.
bool lost_connection(const std::string& message) {
    for (const char* sign :
         {"Cannot establish connection", "could not connect", "server closed the connection",
          "no connection to the server", "terminating connection", "Connection refused",
          "connection to server", "the database system is starting up",
          "the database system is shutting down", "Connection is not open"})
        if (message.find(sign) != std::string::npos)
            return true;
    return false;
}

[[noreturn]] void rethrow(const std::string& operation, const std::string& key) {
    const std::string where = "store: " + operation + (key.empty() ? "" : " '" + key + "'") + ": ";
    try {
        throw;
    } catch (const connector::Error&) {
        throw;
    } catch (const soci::postgresql_soci_error& error) {
        // Serialisation failure, deadlock, shutdown, too many connections: worth a retry.
        const std::string state = error.sqlstate();
        if (state == "40001" || state == "40P01" || state.rfind("57P", 0) == 0 ||
            state.rfind("08", 0) == 0 || state == "53300") {
            throw connector::TransientError(where + error.get_error_message());
        }
        if (state == "23505")
            throw connector::DuplicateError(where + error.get_error_message());
        if (lost_connection(error.get_error_message()))
            throw connector::TransientError(where + error.get_error_message());
        throw connector::PermanentError(where + error.get_error_message());
    } catch (const soci::soci_error& error) {
        std::string message = error.get_error_message();
        switch (error.get_error_category()) {
            case soci::soci_error::connection_error:
            case soci::soci_error::unknown_transaction_state:
                throw connector::TransientError(where + message);
            case soci::soci_error::constraint_violation:
                throw connector::DuplicateError(where + message);
            default:
                // SOCI's SQLite backend leaves these uncategorised: only the message says.
                if (message.find("UNIQUE constraint failed") != std::string::npos)
                    throw connector::DuplicateError(where + message);
                if (message.find("database is locked") != std::string::npos ||
                    message.find("busy") != std::string::npos || lost_connection(message)) {
                    throw connector::TransientError(where + message);
                }
                throw connector::PermanentError(where + message);
        }
    } catch (const std::exception& error) {
        throw connector::PermanentError(where + error.what());
    }
}

std::string now_utc() {
    return connector::utc_text(std::chrono::system_clock::now());
}

// Statements of a migration file: split on ';' at a line end; comment lines dropped.
std::vector<std::string> statements_of(std::string_view script) {
    std::vector<std::string> statements;
    std::string current;
    std::size_t start = 0;
    while (start < script.size()) {
        std::size_t end = script.find('\n', start);
        if (end == std::string_view::npos)
            end = script.size();
        std::string_view line = script.substr(start, end - start);
        start = end + 1;
        const auto first = line.find_first_not_of(" \t");
        if (first == std::string_view::npos || line.substr(first, 2) == "--")
            continue;
        current.append(line);
        current += '\n';
        const auto last = line.find_last_not_of(" \t\r");
        if (last != std::string_view::npos && line[last] == ';') {
            current.erase(current.find_last_of(';'));
            statements.push_back(std::move(current));
            current.clear();
        }
    }
    return statements;
}

// A write transaction that rolls back unless committed.
class WriteTransaction {
  public:
    WriteTransaction(soci::session& sql, const Dialect& dialect) : sql_(sql) {
        sql_ << dialect.begin_write;
    }
    ~WriteTransaction() {
        if (!done_) {
            try {
                sql_ << "ROLLBACK";
            } catch (...) {
                // the connection is gone; nothing to roll back
            }
        }
    }
    void commit() {
        sql_ << "COMMIT";
        done_ = true;
    }

  private:
    soci::session& sql_;
    bool done_ = false;
};

int current_version(soci::session& sql) {
    int exists = 0;
    if (sql.get_backend_name() == std::string("sqlite3")) {
        sql << "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = "
               "'schema_version'",
            soci::into(exists);
    } else {
        sql << "SELECT count(*) FROM information_schema.tables WHERE table_schema = "
               "current_schema() AND "
               "table_name = 'schema_version'",
            soci::into(exists);
    }
    if (!exists)
        return 0;
    int version = 0;
    soci::indicator indicator = soci::i_ok;
    sql << "SELECT max(version) FROM schema_version", soci::into(version, indicator);
    return indicator == soci::i_ok ? version : 0;
}

MigrationResult apply_migrations(soci::session& sql, const Dialect& dialect) {
    MigrationResult result;
    result.from = current_version(sql);
    const int known = static_cast<int>(dialect.migrations.size());
    if (result.from > known) {
        throw connector::PermanentError("store: the database schema is at version " +
                                        std::to_string(result.from) +
                                        ", newer than this connector (version " +
                                        std::to_string(known) + "): run a newer connector");
    }
    for (int version = result.from + 1; version <= known; ++version) {
        WriteTransaction transaction(sql, dialect);
        // Two daemons may start together: the version is read again under the write
        // lock (SQLite's BEGIN IMMEDIATE; an advisory lock on PostgreSQL, where a DDL
        // transaction takes no lock that would serialise them).
        if (&dialect == &kPostgresql)
            sql << "SELECT pg_advisory_xact_lock(7102016)";
        if (current_version(sql) >= version)
            continue;
        for (const std::string& statement :
             statements_of(dialect.migrations[static_cast<std::size_t>(version - 1)]))
            sql << statement;
        const std::string applied_at = now_utc();
        sql << "INSERT INTO schema_version (version, applied_at) VALUES (:v, :t)",
            soci::use(version), soci::use(applied_at);
        transaction.commit();
    }
    result.to = known;
    return result;
}

std::int64_t integer(const soci::row& row, std::size_t column) {
    // SQLite reports integers as int or long long depending on size; PostgreSQL BIGINT as long
    // long.
    switch (row.get_properties(column).get_data_type()) {
        case soci::dt_integer:
            return row.get<int>(column);
        case soci::dt_long_long:
            return row.get<long long>(column);
        case soci::dt_unsigned_long_long:
            return static_cast<std::int64_t>(row.get<unsigned long long>(column));
        default:
            return std::stoll(row.get<std::string>(column));
    }
}

// A backend_events row: id, kind, subject_key, payload, message_sequence, recorded_at.
connector::BackendEvent backend_event_from(const soci::row& row, std::size_t first) {
    connector::BackendEvent event;
    event.sequence = integer(row, first);
    event.kind = row.get<std::string>(first + 1);
    event.task_code = row.get<std::string>(first + 2);
    event.detail = row.get<std::string>(first + 3);
    event.message_sequence = integer(row, first + 4);
    event.recorded_at = row.get<std::string>(first + 5);
    return event;
}

// A messages row selected with kMessageColumns, in that order.
connector::TransportEntry transport_entry_from(const soci::row& row) {
    return {integer(row, 0), row.get<std::string>(1), row.get<std::string>(2),
            row.get<std::string>(3),
            connector::parse_utc_text(row.get<std::string>(4))
                .value_or(std::chrono::system_clock::time_point{})};
}

connector::MessageEntry message_from_row(const soci::row& row) {
    connector::MessageEntry entry;
    entry.sequence = integer(row, 0);
    const std::string direction = row.get<std::string>(1);
    entry.direction = direction == "outbound"  ? connector::Direction::outbound
                      : direction == "inbound" ? connector::Direction::inbound
                                               : connector::Direction::unknown;
    entry.kind = row.get<std::string>(2);
    entry.business_type = static_cast<int>(integer(row, 3));
    entry.document_id = row.get<std::string>(4);
    entry.knobstick_id = row.get<std::string>(5);
    entry.from_agency = row.get<std::string>(6);
    entry.to_agencies = row.get<std::string>(7);
    entry.status_code = row.get<std::string>(8);
    entry.subject = row.get<std::string>(9);
    try {
        entry.raw = edxml::decode_base64(row.get<std::string>(10));
    } catch (const edxml::Error&) {
        entry.raw = row.get<std::string>(10);  // tampered: let the chain check say so
    }
    entry.raw_sha256 = row.get<std::string>(11);
    entry.raw_size = integer(row, 12);
    entry.signature_verdict = row.get<std::string>(13);
    entry.signer = row.get<std::string>(14);
    entry.recorded_at = row.get<std::string>(15);
    entry.prev_hash = row.get<std::string>(16);
    entry.entry_hash = row.get<std::string>(17);
    entry.signer_agency = row.get<std::string>(18);
    return entry;
}

class SociStore final : public connector::Store {
  public:
    SociStore(const Target& target, Migrations migrations) : dialect_(*target.dialect) {
        try {
            sql_.open(dialect_.factory(), target.connect_string);
            if (&dialect_ == &kSqlite) {
                sql_ << "PRAGMA journal_mode = WAL";
                sql_ << "PRAGMA synchronous = FULL";
                sql_ << "PRAGMA foreign_keys = ON";
                sql_ << "PRAGMA busy_timeout = 30000";
            }
            if (migrations == Migrations::apply)
                apply_migrations(sql_, dialect_);
            const int version = current_version(sql_);
            const int known = expected_schema_version();
            if (version != known) {
                throw connector::PermanentError(
                    "store: the database schema is at version " + std::to_string(version) +
                    ", this connector needs " + std::to_string(known) +
                    (version < known ? ": run `connector migrate`" : ": run a newer connector"));
            }
        } catch (...) {
            note_failure();
            rethrow("open", dialect_.name);
        }
    }

    int schema_version() override {
        reconnect_if_broken();
        try {
            return current_version(sql_);
        } catch (...) {
            note_failure();
            rethrow("schema_version", "");
        }
    }

    connector::MessageEntry append_message(connector::MessageEntry entry) override {
        reconnect_if_broken();
        std::vector<connector::MessageEntry> one;
        one.push_back(std::move(entry));
        return std::move(append_messages(std::move(one)).front());
    }

    std::vector<connector::MessageEntry> append_messages(
        std::vector<connector::MessageEntry> entries) override {
        reconnect_if_broken();
        if (entries.empty())
            return entries;
        try {
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
                WriteTransaction transaction(sql_, dialect_);
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
                message_head_cache_ = head;
                return entries;
            }
            throw connector::TransientError(
                "store: append_message: the chain head kept moving under this writer");
        } catch (...) {
            message_head_cache_.reset();
            // SOCI's PostgreSQL backend leaks the bound buffers of a statement executed
            // again after a failure: the next append prepares afresh.
            insert_statement_.reset();
            insert_moving_head_statement_.reset();
            move_head_statement_.reset();
            note_failure();
            try {
                rethrow("append_message", entries.front().document_id);
            } catch (const connector::DuplicateError& error) {
                // The unique keys of migration 0005 name what is logged already.
                const std::string what = error.what();
                if (what.find("knobstick") != std::string::npos)
                    throw connector::DuplicateError("store: knobstick '" +
                                                    entries.front().knobstick_id +
                                                    "' is logged already");
                if (what.find("document") != std::string::npos)
                    throw connector::DuplicateError("store: document '" +
                                                    entries.front().document_id +
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

    connector::AuditEntry append_audit(connector::AuditEntry entry) override {
        reconnect_if_broken();
        try {
            WriteTransaction transaction(sql_, dialect_);
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
        } catch (...) {
            note_failure();
            rethrow("append_audit", entry.action);
        }
    }

    std::vector<connector::MessageEntry> messages(std::int64_t after_sequence,
                                                  std::size_t limit) override {
        reconnect_if_broken();
        try {
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
        } catch (...) {
            note_failure();
            rethrow("messages", std::to_string(after_sequence));
        }
    }

    std::vector<connector::AuditEntry> audit_entries(std::int64_t after_sequence,
                                                     std::size_t limit) override {
        reconnect_if_broken();
        try {
            std::vector<connector::AuditEntry> entries;
            const long long after = after_sequence;
            const long long count = static_cast<long long>(limit);
            soci::rowset<soci::row> rows =
                (sql_.prepare << "SELECT sequence, actor, action, target, detail, recorded_at, "
                                 "prev_hash, "
                                 "entry_hash "
                                 "FROM audit_events WHERE sequence > :after ORDER BY sequence "
                                 "LIMIT :count",
                 soci::use(after), soci::use(count));
            for (const soci::row& row : rows) {
                connector::AuditEntry entry;
                entry.sequence = integer(row, 0);
                entry.actor = row.get<std::string>(1);
                entry.action = row.get<std::string>(2);
                entry.target = row.get<std::string>(3);
                entry.detail = row.get<std::string>(4);
                entry.recorded_at = row.get<std::string>(5);
                entry.prev_hash = row.get<std::string>(6);
                entry.entry_hash = row.get<std::string>(7);
                entries.push_back(std::move(entry));
            }
            return entries;
        } catch (...) {
            note_failure();
            rethrow("audit_entries", std::to_string(after_sequence));
        }
    }

    ChainHead message_head() override { return head_of("messages"); }

    bool hold_lease(const std::string& name, const std::string& owner,
                    std::chrono::milliseconds duration) override {
        reconnect_if_broken();
        try {
            // One statement: taken when free (no row), expired or ours; the row lock
            // makes two daemons asking at once see each other.
            const std::string now = dialect_.now_millis;
            const long long ms = duration.count();
            std::string holder;
            sql_ << "INSERT INTO pass_leases (name, owner, expires_at) VALUES (:name, :owner, " +
                        now +
                        " + :ms) ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, "
                        "expires_at = excluded.expires_at WHERE pass_leases.owner = "
                        "excluded.owner OR pass_leases.expires_at < " +
                        now + " RETURNING owner",
                soci::use(name, "name"), soci::use(owner, "owner"), soci::use(ms, "ms"),
                soci::into(holder);
            return sql_.got_data() && holder == owner;
        } catch (...) {
            note_failure();
            rethrow("hold_lease", name);
        }
    }

    void release_lease(const std::string& name, const std::string& owner) override {
        reconnect_if_broken();
        try {
            sql_ << "DELETE FROM pass_leases WHERE name = :name AND owner = :owner",
                soci::use(name, "name"), soci::use(owner, "owner");
        } catch (...) {
            note_failure();
            rethrow("release_lease", name);
        }
    }

    std::int64_t next_document_number() override {
        reconnect_if_broken();
        try {
            // One statement: the row lock (PostgreSQL) or the write lock (SQLite) makes
            // every writer of the database get its own number.
            long long number = 0;
            sql_ << "UPDATE counters SET value = value + 1 WHERE name = 'document_number' "
                    "RETURNING value",
                soci::into(number);
            if (!sql_.got_data())
                throw connector::PermanentError("store: the document number counter is missing");
            return number;
        } catch (...) {
            note_failure();
            rethrow("next_document_number", "");
        }
    }
    ChainHead audit_head() override { return head_of("audit_events"); }

    void append_checkpoint(const connector::ChainCheckpoint& checkpoint) override {
        reconnect_if_broken();
        try {
            const long long sequence = checkpoint.sequence;
            sql_ << "INSERT INTO chain_checkpoints (chain, sequence, hash, recorded_at, signer, "
                    "signature) VALUES (:chain, :sequence, :hash, :at, :signer, :signature)",
                soci::use(checkpoint.chain, "chain"), soci::use(sequence, "sequence"),
                soci::use(checkpoint.hash, "hash"), soci::use(checkpoint.recorded_at, "at"),
                soci::use(checkpoint.signer, "signer"),
                soci::use(checkpoint.signature, "signature");
        } catch (...) {
            note_failure();
            rethrow("append_checkpoint", checkpoint.chain);
        }
    }

    std::vector<connector::ChainCheckpoint> checkpoints(const std::string& chain) override {
        reconnect_if_broken();
        try {
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
        } catch (...) {
            note_failure();
            rethrow("checkpoints", chain);
        }
    }

    bool move_transport_state(const connector::TransportEntry& to, bool from_none,
                              const std::vector<std::string>& from) override {
        reconnect_if_broken();
        try {
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
        } catch (...) {
            note_failure();
            rethrow("move_transport_state", std::to_string(to.sequence) + " to " + to.state);
        }
    }

    std::optional<connector::TransportEntry> transport_state(std::int64_t sequence) override {
        reconnect_if_broken();
        try {
            const long long key = sequence;
            soci::rowset<soci::row> rows =
                (sql_.prepare << "SELECT sequence, state, reason, knobstick, updated_at FROM "
                                 "message_transport WHERE sequence = :sequence",
                 soci::use(key, "sequence"));
            for (const soci::row& row : rows)
                return transport_entry_from(row);
            return std::nullopt;
        } catch (...) {
            note_failure();
            rethrow("transport_state", std::to_string(sequence));
        }
    }

    std::vector<connector::TransportEntry> messages_in_state(const std::string& state,
                                                             std::size_t limit) override {
        reconnect_if_broken();
        try {
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
        } catch (...) {
            note_failure();
            rethrow("messages_in_state", state);
        }
    }

    std::int64_t enqueue(WorkQueue queue, const std::string& key,
                         const std::string& payload) override {
        reconnect_if_broken();
        try {
            const std::string created_at = now_utc();
            const std::string table = connector::to_string(queue);
            WriteTransaction transaction(sql_, dialect_);
            sql_ << "INSERT INTO " + table +
                        " (item_key, payload, created_at) VALUES (:key, :payload, :at)",
                soci::use(key), soci::use(payload), soci::use(created_at);
            long long id = 0;
            sql_ << "SELECT id FROM " + table + " WHERE item_key = :key", soci::use(key),
                soci::into(id);
            transaction.commit();
            return id;
        } catch (...) {
            note_failure();
            rethrow(std::string("enqueue into ") + connector::to_string(queue), key);
        }
    }

    std::optional<WorkItem> claim(WorkQueue queue, const std::string& owner,
                                  std::chrono::milliseconds lease) override {
        reconnect_if_broken();
        try {
            const std::string table = connector::to_string(queue);
            char statement[1024];
            std::snprintf(statement, sizeof statement, dialect_.claim, table.c_str(),
                          table.c_str());
            const long long lease_millis = lease.count();
            WorkItem item;
            long long id = 0;
            long long attempts = 0;
            WriteTransaction transaction(sql_, dialect_);
            sql_ << statement, soci::use(owner, "owner"), soci::use(lease_millis, "lease"),
                soci::into(id), soci::into(item.key), soci::into(item.payload),
                soci::into(attempts);
            const bool claimed = sql_.got_data();
            transaction.commit();
            if (!claimed)
                return std::nullopt;
            item.id = id;
            item.attempts = static_cast<int>(attempts);
            return item;
        } catch (...) {
            note_failure();
            rethrow(std::string("claim from ") + connector::to_string(queue), owner);
        }
    }

    bool complete(WorkQueue queue, std::int64_t id, const std::string& owner) override {
        reconnect_if_broken();
        return finish(queue, id, owner, true);
    }

    bool release(WorkQueue queue, std::int64_t id, const std::string& owner) override {
        reconnect_if_broken();
        return finish(queue, id, owner, false);
    }

    std::int64_t pending_count(WorkQueue queue) override {
        reconnect_if_broken();
        try {
            long long count = 0;
            sql_ << "SELECT count(*) FROM " + std::string(connector::to_string(queue)) +
                        " WHERE state = 'pending'",
                soci::into(count);
            return count;
        } catch (...) {
            note_failure();
            rethrow("pending_count", connector::to_string(queue));
        }
    }

    bool postpone(WorkQueue queue, std::int64_t id, const std::string& owner,
                  std::chrono::milliseconds delay) override {
        reconnect_if_broken();
        try {
            const long long key = id;
            const long long millis = delay.count();
            const std::string table = connector::to_string(queue);
            soci::statement statement =
                (sql_.prepare << "UPDATE " + table +
                                     " SET lease_expires_at = " + dialect_.now_millis +
                                     " + :delay WHERE id = :id AND lease_owner = :owner AND "
                                     "state = 'pending'",
                 soci::use(millis, "delay"), soci::use(key, "id"), soci::use(owner, "owner"));
            statement.execute(true);
            return statement.get_affected_rows() == 1;
        } catch (...) {
            note_failure();
            rethrow(std::string("postpone in ") + connector::to_string(queue), std::to_string(id));
        }
    }

    std::optional<connector::MessageEntry> message_without_raw(std::int64_t sequence) override {
        reconnect_if_broken();
        try {
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
        } catch (...) {
            note_failure();
            rethrow("message_without_raw", std::to_string(sequence));
        }
    }

    std::optional<connector::MessageEntry> message_by_knobstick(
        connector::Direction direction, const std::string& knobstick_id) override {
        reconnect_if_broken();
        try {
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
        } catch (...) {
            note_failure();
            rethrow("message_by_knobstick", knobstick_id);
        }
    }

    std::vector<std::int64_t> messages_by_document(connector::Direction direction,
                                                   const std::string& kind,
                                                   const std::string& document_id) override {
        reconnect_if_broken();
        try {
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
        } catch (...) {
            note_failure();
            rethrow("messages_by_document", document_id);
        }
    }

    bool insert_task(const connector::Task& task, const connector::TaskEvent& event) override {
        reconnect_if_broken();
        try {
            WriteTransaction transaction(sql_, dialect_);
            long long existing = 0;
            sql_ << "SELECT count(*) FROM tasks WHERE task_code = :code", soci::use(task.task_code),
                soci::into(existing);
            if (existing != 0)
                return false;
            const std::string at = now_utc();
            TaskColumns columns(task);
            sql_ << "INSERT INTO tasks (task_code, side, source_document_id, title, content, "
                    "issuer, due_date, due_text, priority, progress, progress_note, "
                    "status_code, "
                    "status_rank, take_back_requested, withdrawn, completion_date, created_at, "
                    "updated_at) VALUES (:code, :side, :source, :title, :content, :issuer, "
                    ":due, "
                    ":due_text, :priority, :progress, :note, :status, :rank, :take_back, "
                    ":withdrawn, :completion, :created, :updated)",
                soci::use(task.task_code, "code"), soci::use(columns.side, "side"),
                soci::use(task.source_document_id, "source"), soci::use(task.title, "title"),
                soci::use(task.content, "content"), soci::use(task.issuer, "issuer"),
                soci::use(columns.due, columns.due_indicator, "due"),
                soci::use(task.due_text, "due_text"), soci::use(task.priority, "priority"),
                soci::use(task.progress, "progress"), soci::use(task.progress_note, "note"),
                soci::use(columns.status, "status"), soci::use(columns.rank, "rank"),
                soci::use(columns.take_back, "take_back"),
                soci::use(columns.withdrawn, "withdrawn"),
                soci::use(columns.completion, columns.completion_indicator, "completion"),
                soci::use(at, "created"), soci::use(at, "updated");
            write_assignees(task);
            insert_event(event, at);
            transaction.commit();
            return true;
        } catch (...) {
            note_failure();
            rethrow("insert_task", task.task_code);
        }
    }

    bool update_task(const connector::Task& task, const connector::TaskEvent& event) override {
        reconnect_if_broken();
        try {
            WriteTransaction transaction(sql_, dialect_);
            const std::string at = now_utc();
            if (!insert_event(event, at))
                return false;  // this message was applied already
            TaskColumns columns(task);
            const long long version = task.version;
            soci::statement statement =
                (sql_.prepare << "UPDATE tasks SET title = :title, content = :content, "
                                 "due_date = :due, due_text = :due_text, priority = :priority, "
                                 "progress = :progress, progress_note = :note, status_code = "
                                 ":status, status_rank = :rank, take_back_requested = :take_back, "
                                 "withdrawn = :withdrawn, completion_date = :completion, "
                                 "updated_at = :updated, version = version + 1 WHERE task_code = "
                                 ":code AND version = :version",
                 soci::use(task.title, "title"), soci::use(task.content, "content"),
                 soci::use(columns.due, columns.due_indicator, "due"),
                 soci::use(task.due_text, "due_text"), soci::use(task.priority, "priority"),
                 soci::use(task.progress, "progress"), soci::use(task.progress_note, "note"),
                 soci::use(columns.status, "status"), soci::use(columns.rank, "rank"),
                 soci::use(columns.take_back, "take_back"),
                 soci::use(columns.withdrawn, "withdrawn"),
                 soci::use(columns.completion, columns.completion_indicator, "completion"),
                 soci::use(at, "updated"), soci::use(task.task_code, "code"),
                 soci::use(version, "version"));
            statement.execute(true);
            if (statement.get_affected_rows() != 1) {
                long long existing = 0;
                sql_ << "SELECT count(*) FROM tasks WHERE task_code = :code",
                    soci::use(task.task_code), soci::into(existing);
                if (existing == 0)
                    throw connector::PermanentError("store: update_task: no task '" +
                                                    task.task_code + "'");
                // Another writer changed the task since it was read: nothing is written,
                // the caller reads it again and decides again.
                throw connector::ConflictError("store: update_task '" + task.task_code +
                                               "': changed by another writer since version " +
                                               std::to_string(task.version));
            }
            write_assignees(task);
            transaction.commit();
            return true;
        } catch (const connector::Error&) {
            throw;
        } catch (...) {
            note_failure();
            rethrow("update_task", task.task_code);
        }
    }

    bool add_task_event(const connector::TaskEvent& event) override {
        reconnect_if_broken();
        try {
            WriteTransaction transaction(sql_, dialect_);
            const bool added = insert_event(event, now_utc());
            transaction.commit();
            return added;
        } catch (...) {
            note_failure();
            rethrow("add_task_event", event.task_code);
        }
    }

    std::optional<connector::Task> task(const std::string& task_code) override {
        reconnect_if_broken();
        try {
            auto found = select_tasks("WHERE task_code = :code", task_code, 1);
            if (found.empty())
                return std::nullopt;
            return std::move(found.front());
        } catch (...) {
            note_failure();
            rethrow("task", task_code);
        }
    }

    std::vector<connector::Task> tasks(const std::string& after_code, std::size_t limit) override {
        reconnect_if_broken();
        try {
            return select_tasks("WHERE task_code > :code", after_code, limit);
        } catch (...) {
            note_failure();
            rethrow("tasks", after_code);
        }
    }

    void create_api_client(const std::string& name, const std::string& token_hash,
                           const std::string& role) override {
        reconnect_if_broken();
        try {
            const std::string at = now_utc();
            sql_ << "INSERT INTO api_clients (name, token_hash, role, created_at) VALUES (:name, "
                    ":hash, :role, :at)",
                soci::use(name, "name"), soci::use(token_hash, "hash"), soci::use(role, "role"),
                soci::use(at, "at");
        } catch (...) {
            note_failure();
            rethrow("create_api_client", name);
        }
    }

    std::optional<connector::ApiClient> api_client_by_token_hash(
        const std::string& token_hash) override {
        reconnect_if_broken();
        try {
            soci::rowset<soci::row> rows =
                (sql_.prepare << "SELECT name, role, created_at FROM api_clients WHERE token_hash "
                                 "= :hash AND revoked_at IS NULL",
                 soci::use(token_hash, "hash"));
            for (const soci::row& row : rows)
                return connector::ApiClient{row.get<std::string>(0), row.get<std::string>(1),
                                            row.get<std::string>(2), ""};
            return std::nullopt;
        } catch (...) {
            note_failure();
            rethrow("api_client_by_token_hash", "");
        }
    }

    bool revoke_api_client(const std::string& name) override {
        reconnect_if_broken();
        try {
            const std::string at = now_utc();
            soci::statement statement =
                (sql_.prepare << "UPDATE api_clients SET revoked_at = :at WHERE name = :name AND "
                                 "revoked_at IS NULL",
                 soci::use(at, "at"), soci::use(name, "name"));
            statement.execute(true);
            return statement.get_affected_rows() == 1;
        } catch (...) {
            note_failure();
            rethrow("revoke_api_client", name);
        }
    }

    std::vector<connector::ApiClient> api_clients() override {
        reconnect_if_broken();
        try {
            std::vector<connector::ApiClient> clients;
            soci::rowset<soci::row> rows =
                (sql_.prepare << "SELECT name, role, created_at, revoked_at FROM api_clients "
                                 "ORDER BY name");
            for (const soci::row& row : rows) {
                clients.push_back(
                    {row.get<std::string>(0), row.get<std::string>(1), row.get<std::string>(2),
                     row.get_indicator(3) == soci::i_ok ? row.get<std::string>(3) : std::string()});
            }
            return clients;
        } catch (...) {
            note_failure();
            rethrow("api_clients", "");
        }
    }

    std::vector<connector::Task> tasks_of_document(const std::string& source_document_id) override {
        reconnect_if_broken();
        try {
            return select_tasks("WHERE source_document_id = :code", source_document_id, 100000);
        } catch (...) {
            note_failure();
            rethrow("tasks_of_document", source_document_id);
        }
    }

    std::vector<connector::Task> find_tasks(const connector::TaskQuery& query) override {
        reconnect_if_broken();
        try {
            // Every filter is bound; an empty one matches everything. LIKE patterns
            // escape their wildcards so that the text is matched as written.
            std::string pattern;
            if (!query.text.empty()) {
                pattern = "%";
                for (const char c : query.text) {
                    if (c == '%' || c == '_' || c == '!')
                        pattern += '!';
                    pattern += c;
                }
                pattern += "%";
            }
            const std::string where =
                "WHERE task_code > :code "
                "AND (:agency1 = '' OR issuer = :agency2 OR task_code IN (SELECT task_code FROM "
                "task_assignees WHERE organ_id = :agency3)) "
                "AND (:status1 = '' OR status_code = :status2) "
                "AND (:side1 = '' OR side = :side2) "
                "AND (:before1 = '' OR (due_date IS NOT NULL AND due_date <= :before2)) "
                "AND (:after1 = '' OR (due_date IS NOT NULL AND due_date >= :after2)) "
                "AND (:pattern1 = '' OR lower(title) LIKE lower(:pattern2) ESCAPE '!' OR "
                "lower(content) LIKE lower(:pattern3) ESCAPE '!')";
            const long long count = static_cast<long long>(query.limit);
            soci::rowset<soci::row> rows =
                (sql_.prepare << std::string(kSelectTasks) + where +
                                     " ORDER BY task_code LIMIT :count",
                 soci::use(query.after_code, "code"), soci::use(query.agency, "agency1"),
                 soci::use(query.agency, "agency2"), soci::use(query.agency, "agency3"),
                 soci::use(query.status, "status1"), soci::use(query.status, "status2"),
                 soci::use(query.side, "side1"), soci::use(query.side, "side2"),
                 soci::use(query.due_before, "before1"), soci::use(query.due_before, "before2"),
                 soci::use(query.due_after, "after1"), soci::use(query.due_after, "after2"),
                 soci::use(pattern, "pattern1"), soci::use(pattern, "pattern2"),
                 soci::use(pattern, "pattern3"), soci::use(count, "count"));
            return tasks_from(rows);
        } catch (...) {
            note_failure();
            rethrow("find_tasks", query.after_code);
        }
    }

    std::vector<connector::BackendEvent> backend_events(std::int64_t after_sequence,
                                                        std::size_t limit) override {
        reconnect_if_broken();
        try {
            std::vector<connector::BackendEvent> events;
            long long after = after_sequence;
            long long count = static_cast<long long>(limit);
            soci::rowset<soci::row> rows =
                (sql_.prepare << "SELECT id, kind, subject_key, payload, message_sequence, "
                                 "recorded_at FROM backend_events WHERE id > :after ORDER BY id "
                                 "LIMIT :count",
                 soci::use(after, "after"), soci::use(count, "count"));
            for (const soci::row& row : rows)
                events.push_back(backend_event_from(row, 0));
            return events;
        } catch (...) {
            note_failure();
            rethrow("backend_events", std::to_string(after_sequence));
        }
    }

    std::int64_t last_backend_event() override {
        reconnect_if_broken();
        try {
            long long last = 0;
            soci::indicator indicator = soci::i_null;
            sql_ << "SELECT max(id) FROM backend_events", soci::into(last, indicator);
            return indicator == soci::i_ok ? last : 0;
        } catch (...) {
            note_failure();
            rethrow("last_backend_event", "");
        }
    }

    std::optional<std::pair<connector::BackendEvent, connector::WebhookDelivery>>
    next_webhook_event(const std::string& target) override {
        reconnect_if_broken();
        try {
            soci::rowset<soci::row> rows =
                (sql_.prepare
                     << "SELECT e.id, e.kind, e.subject_key, e.payload, e.message_sequence, "
                        "e.recorded_at, d.state, d.attempts, d.next_attempt_at, d.last_error "
                        "FROM backend_events e LEFT JOIN webhook_deliveries d ON d.event_id = "
                        "e.id AND d.target = :target1 WHERE e.id > coalesce((SELECT event_id FROM "
                        "webhook_deliveries WHERE target = :target2 AND state <> 'pending' "
                        "ORDER BY event_id DESC LIMIT 1), 0) ORDER BY e.id LIMIT 1",
                 soci::use(target, "target1"), soci::use(target, "target2"));
            for (const soci::row& row : rows) {
                connector::WebhookDelivery delivery;
                delivery.event_sequence = integer(row, 0);
                delivery.state = connector::WebhookState::pending;
                if (row.get_indicator(6) == soci::i_ok) {
                    delivery.attempts = static_cast<int>(integer(row, 7));
                    delivery.next_attempt_at_ms =
                        row.get_indicator(8) == soci::i_ok ? integer(row, 8) : 0;
                    delivery.last_error = row.get<std::string>(9);
                }
                return std::make_pair(backend_event_from(row, 0), delivery);
            }
            return std::nullopt;
        } catch (...) {
            note_failure();
            rethrow("next_webhook_event", target);
        }
    }

    void record_webhook_delivery(const std::string& target,
                                 const connector::WebhookDelivery& delivery) override {
        reconnect_if_broken();
        try {
            long long event = delivery.event_sequence;
            long long next = delivery.next_attempt_at_ms;
            const std::string state = connector::to_string(delivery.state);
            sql_ << "INSERT INTO webhook_deliveries (event_id, target, state, attempts, "
                    "next_attempt_at, last_error) VALUES (:event, :target, :state, :attempts, "
                    ":next, :error) ON CONFLICT (target, event_id) DO UPDATE SET state = "
                    "excluded.state, attempts = excluded.attempts, next_attempt_at = "
                    "excluded.next_attempt_at, last_error = excluded.last_error",
                soci::use(event, "event"), soci::use(target, "target"), soci::use(state, "state"),
                soci::use(delivery.attempts, "attempts"), soci::use(next, "next"),
                soci::use(delivery.last_error, "error");
        } catch (...) {
            note_failure();
            rethrow("record_webhook_delivery", std::to_string(delivery.event_sequence));
        }
    }

    bool first_serve_of_webhook_target(const std::string& target,
                                       std::int64_t last_event) override {
        reconnect_if_broken();
        try {
            WriteTransaction transaction(sql_, dialect_);
            long long known = 0;
            sql_ << "SELECT count(*) FROM webhook_targets WHERE target = :target",
                soci::use(target, "target"), soci::into(known);
            if (known > 0)
                return false;
            const long long after = last_event;
            sql_ << "INSERT INTO webhook_targets (target, first_served_after) VALUES (:target, "
                    ":after)",
                soci::use(target, "target"), soci::use(after, "after");
            // Served before migration 0005 (deliveries recorded): not a first time.
            long long delivered = 0;
            sql_ << "SELECT count(*) FROM webhook_deliveries WHERE target = :target",
                soci::use(target, "target"), soci::into(delivered);
            transaction.commit();
            return delivered == 0;
        } catch (...) {
            note_failure();
            try {
                rethrow("first_serve_of_webhook_target", target);
            } catch (const connector::DuplicateError&) {
                return false;  // another daemon served it first, at the same moment
            }
        }
    }

    std::optional<std::int64_t> webhook_position(const std::string& target) override {
        reconnect_if_broken();
        try {
            soci::rowset<soci::row> rows =
                (sql_.prepare << "SELECT event_id FROM webhook_deliveries WHERE target = :target "
                                 "AND state <> 'pending' ORDER BY event_id DESC LIMIT 1",
                 soci::use(target, "target"));
            for (const soci::row& row : rows)
                return integer(row, 0);
            return std::nullopt;
        } catch (...) {
            note_failure();
            rethrow("webhook_position", target);
        }
    }

    std::optional<connector::IdempotentAnswer> claim_idempotency_key(
        const std::string& client, const std::string& key, const std::string& request_hash,
        std::chrono::seconds keep) override {
        reconnect_if_broken();
        try {
            WriteTransaction transaction(sql_, dialect_);
            const auto now = std::chrono::system_clock::now();
            const std::string oldest = connector::utc_text(now - keep);
            sql_ << "DELETE FROM idempotency_keys WHERE created_at < :oldest",
                soci::use(oldest, "oldest");
            // Insert first: two daemons racing for one key both end here, one wins.
            const std::string at = connector::utc_text(now);
            soci::statement insert =
                (sql_.prepare << "INSERT INTO idempotency_keys (client, idempotency_key, "
                                 "request_hash, created_at) VALUES (:client, :key, :hash, :at) "
                                 "ON CONFLICT DO NOTHING",
                 soci::use(client, "client"), soci::use(key, "key"),
                 soci::use(request_hash, "hash"), soci::use(at, "at"));
            insert.execute(true);
            std::optional<connector::IdempotentAnswer> earlier;
            if (insert.get_affected_rows() == 0) {
                soci::rowset<soci::row> rows =
                    (sql_.prepare << "SELECT request_hash, status, body, created_at FROM "
                                     "idempotency_keys WHERE client = :client AND "
                                     "idempotency_key = :key",
                     soci::use(client, "client"), soci::use(key, "key"));
                for (const soci::row& row : rows)
                    earlier = connector::IdempotentAnswer{
                        row.get<std::string>(0), static_cast<int>(integer(row, 1)),
                        row.get<std::string>(2), row.get<std::string>(3)};
            }
            transaction.commit();
            return earlier;
        } catch (...) {
            note_failure();
            rethrow("claim_idempotency_key", key);
        }
    }

    void record_idempotent_answer(const std::string& client, const std::string& key, int status,
                                  const std::string& body) override {
        reconnect_if_broken();
        try {
            sql_ << "UPDATE idempotency_keys SET status = :status, body = :body WHERE client = "
                    ":client AND idempotency_key = :key",
                soci::use(status, "status"), soci::use(body, "body"), soci::use(client, "client"),
                soci::use(key, "key");
        } catch (...) {
            note_failure();
            rethrow("record_idempotent_answer", key);
        }
    }

    void release_idempotency_key(const std::string& client, const std::string& key) override {
        reconnect_if_broken();
        try {
            sql_ << "DELETE FROM idempotency_keys WHERE client = :client AND idempotency_key = "
                    ":key AND status = 0",
                soci::use(client, "client"), soci::use(key, "key");
        } catch (...) {
            note_failure();
            rethrow("release_idempotency_key", key);
        }
    }

    std::vector<connector::TaskEvent> task_events(const std::string& task_code) override {
        reconnect_if_broken();
        try {
            std::vector<connector::TaskEvent> events;
            soci::rowset<soci::row> rows =
                (sql_.prepare << "SELECT id, task_code, kind, detail, message_sequence, "
                                 "recorded_at FROM task_events WHERE task_code = :code ORDER BY id",
                 soci::use(task_code, "code"));
            for (const soci::row& row : rows) {
                connector::TaskEvent event;
                event.id = integer(row, 0);
                event.task_code = row.get<std::string>(1);
                event.kind = row.get<std::string>(2);
                event.detail = row.get<std::string>(3);
                event.message_sequence = row.get_indicator(4) == soci::i_null ? 0 : integer(row, 4);
                event.recorded_at = row.get<std::string>(5);
                events.push_back(std::move(event));
            }
            return events;
        } catch (...) {
            note_failure();
            rethrow("task_events", task_code);
        }
    }

  private:
    // A lost connection (a restarted server, a network cut) is noticed when a call fails,
    // and the next call reconnects; statements prepared on the old connection are dropped.
    void note_failure() {
        try {
            if (!sql_.is_connected())
                broken_ = true;
        } catch (...) {
            broken_ = true;
        }
    }

    void reconnect_if_broken() {
        if (!broken_)
            return;
        insert_statement_.reset();
        insert_moving_head_statement_.reset();
        move_head_statement_.reset();
        message_head_cache_.reset();
        try {
            sql_.reconnect();
        } catch (...) {
            rethrow("reconnect", dialect_.name);
        }
        broken_ = false;
    }

    // The bound values of the prepared message INSERT, which is reused for every append.
    struct MessageRow {
        long long sequence = 0, raw_size = 0;
        int business_type = 0;
        std::string direction, kind, document_id, knobstick_id, from_agency, to_agencies,
            status_code, subject, raw_base64, raw_sha256, signature_verdict, signer, recorded_at,
            prev_hash, entry_hash, signer_agency;
    };

    bool insert_message(const connector::MessageEntry& entry, const std::string& raw_base64,
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
                soci::use(row.document_id, "document_id"),
                soci::use(row.knobstick_id, "knobstick_id"),
                soci::use(row.from_agency, "from_agency"),
                soci::use(row.to_agencies, "to_agencies"),
                soci::use(row.status_code, "status_code"), soci::use(row.subject, "subject"),
                soci::use(row.raw_base64, "raw_base64"), soci::use(row.raw_sha256, "raw_sha256"),
                soci::use(row.raw_size, "raw_size"),
                soci::use(row.signature_verdict, "signature_verdict"),
                soci::use(row.signer, "signer"), soci::use(row.recorded_at, "recorded_at"),
                soci::use(row.prev_hash, "prev_hash"), soci::use(row.entry_hash, "entry_hash"),
                soci::use(row.signer_agency, "signer_agency");
            if (moving_head) {
                HeadMove& move = head_move_;
                prepared, soci::use(move.to_sequence, "to_sequence"),
                    soci::use(move.to_hash, "to_hash"),
                    soci::use(move.from_sequence, "from_sequence"),
                    soci::use(move.from_hash, "from_hash");
            }
            statement = std::make_unique<soci::statement>(prepared);
        }
        statement->execute(true);
        const bool inserted = statement->get_affected_rows() == 1;
        // The bound row and the prepared statement (SOCI's SQLite backend copies what it
        // binds) outlive the call: a large package's bytes are not kept with them.
        if (row.raw_base64.size() > 1024 * 1024)
            statement.reset();
        std::string().swap(row.raw_base64);
        return inserted;
    }

    void set_head_move(const char* chain, const ChainHead& from, const ChainHead& to) {
        head_move_.chain = chain;
        head_move_.from_sequence = from.sequence;
        head_move_.from_hash = from.hash;
        head_move_.to_sequence = to.sequence;
        head_move_.to_hash = to.hash;
    }

    // Moves a chain head as set by set_head_move; false when it was not where expected.
    bool move_head() {
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

    ChainHead read_head(const char* chain) {
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

    void write_head(const char* chain, std::int64_t sequence, const std::string& hash) {
        const long long value = sequence;
        const std::string name = chain;
        sql_ << "UPDATE chain_heads SET sequence = :sequence, hash = :hash WHERE chain = :chain",
            soci::use(value), soci::use(hash), soci::use(name);
    }

    ChainHead head_of(const char* chain) {
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

    // A task's columns in the forms the tables keep.
    struct TaskColumns {
        explicit TaskColumns(const connector::Task& task)
            : side(connector::to_string(task.side)),
              status(task.status.current ? edxml::canonical_code(*task.status.current) : ""),
              rank(task.status.current ? connector::status_rank(*task.status.current) : 0),
              take_back(task.status.take_back_requested ? 1 : 0),
              withdrawn(task.status.withdrawn ? 1 : 0) {
            if (task.due_date) {
                due = edxml::format_date(*task.due_date);
                due_indicator = soci::i_ok;
            }
            if (task.completion_date) {
                completion = edxml::format_date(*task.completion_date);
                completion_indicator = soci::i_ok;
            }
        }
        std::string side, status, due, completion;
        int rank = 0, take_back = 0, withdrawn = 0;
        soci::indicator due_indicator = soci::i_null, completion_indicator = soci::i_null;
    };

    void write_assignees(const connector::Task& task) {
        sql_ << "DELETE FROM task_assignees WHERE task_code = :code", soci::use(task.task_code);
        int position = 0;
        for (const auto& assignee : task.assignees) {
            const std::string role = edxml::to_string(assignee.role);
            // The same organisation may appear twice (lead and coordinating) only under
            // different names; a repeat is one assignee.
            sql_ << "INSERT INTO task_assignees (task_code, organ_id, name, role, position) "
                    "VALUES (:code, :organ, :name, :role, :position) ON CONFLICT DO NOTHING",
                soci::use(task.task_code, "code"), soci::use(assignee.organ_id, "organ"),
                soci::use(assignee.name, "name"), soci::use(role, "role"),
                soci::use(position, "position");
            ++position;
        }
    }

    // False when (task, kind, message) is already recorded.
    bool insert_event(const connector::TaskEvent& event, const std::string& at) {
        long long sequence = event.message_sequence;
        soci::indicator sequence_indicator =
            event.message_sequence == 0 ? soci::i_null : soci::i_ok;
        soci::statement statement =
            (sql_.prepare << "INSERT INTO task_events (task_code, kind, detail, message_sequence, "
                             "recorded_at) VALUES (:code, :kind, :detail, :sequence, :at) "
                             "ON CONFLICT DO NOTHING",
             soci::use(event.task_code, "code"), soci::use(event.kind, "kind"),
             soci::use(event.detail, "detail"), soci::use(sequence, sequence_indicator, "sequence"),
             soci::use(at, "at"));
        statement.execute(true);
        if (statement.get_affected_rows() != 1)
            return false;
        insert_backend_event(event, at);
        return true;
    }

    // The change feed's entry for a task event, in the same transaction. On PostgreSQL
    // event writers are serialised until commit, so that a reader paging by sequence
    // never sees 12 before 11 commits (and then skips 11). SQLite writers are serial.
    void insert_backend_event(const connector::TaskEvent& event, const std::string& at) {
        if (dialect_.lock_head[0] != '\0')
            sql_ << "SELECT pg_advisory_xact_lock(7102017)";
        const std::string kind = "task." + event.kind;
        long long sequence = event.message_sequence;
        sql_ << "INSERT INTO backend_events (kind, subject_key, payload, message_sequence, "
                "recorded_at) VALUES (:kind, :code, :detail, :sequence, :at)",
            soci::use(kind, "kind"), soci::use(event.task_code, "code"),
            soci::use(event.detail, "detail"), soci::use(sequence, "sequence"), soci::use(at, "at");
    }

    std::vector<connector::Task> select_tasks(const std::string& where, const std::string& key,
                                              std::size_t limit) {
        const long long count = static_cast<long long>(limit);
        soci::rowset<soci::row> rows =
            (sql_.prepare << std::string(kSelectTasks) + where + " ORDER BY task_code LIMIT :count",
             soci::use(key, "code"), soci::use(count, "count"));
        return tasks_from(rows);
    }

    // Tasks from the rows of kSelectTasks, with their assignees.
    std::vector<connector::Task> tasks_from(soci::rowset<soci::row>& rows) {
        std::vector<connector::Task> found;
        for (const soci::row& row : rows) {
            connector::Task task;
            task.task_code = row.get<std::string>(0);
            task.side = connector::task_side_from(row.get<std::string>(1))
                            .value_or(connector::TaskSide::received);
            task.source_document_id = row.get<std::string>(2);
            task.title = row.get<std::string>(3);
            task.content = row.get<std::string>(4);
            task.issuer = row.get<std::string>(5);
            if (row.get_indicator(6) == soci::i_ok) {
                if (const auto due = edxml::parse_date(row.get<std::string>(6)))
                    task.due_date = due->value;
            }
            task.due_text = row.get<std::string>(7);
            task.priority = static_cast<int>(integer(row, 8));
            task.progress = static_cast<int>(integer(row, 9));
            task.progress_note = row.get<std::string>(10);
            const std::string status = row.get<std::string>(11);
            if (!status.empty())
                task.status.current = edxml::StatusCode::from_wire(status).kind();
            task.status.take_back_requested = integer(row, 12) != 0;
            task.status.withdrawn = integer(row, 13) != 0;
            if (row.get_indicator(14) == soci::i_ok) {
                if (const auto completed = edxml::parse_date(row.get<std::string>(14)))
                    task.completion_date = completed->value;
            }
            task.created_at = row.get<std::string>(15);
            task.updated_at = row.get<std::string>(16);
            task.version = integer(row, 17);
            found.push_back(std::move(task));
        }
        for (connector::Task& task : found) {
            soci::rowset<soci::row> assignees =
                (sql_.prepare << "SELECT organ_id, name, role FROM task_assignees WHERE "
                                 "task_code = :code ORDER BY position",
                 soci::use(task.task_code, "code"));
            for (const soci::row& row : assignees) {
                edxml::TaskAssignee assignee;
                assignee.organ_id = row.get<std::string>(0);
                assignee.name = row.get<std::string>(1);
                assignee.role = row.get<std::string>(2) == "coordinating"
                                    ? edxml::AssigneeRole::coordinating
                                    : edxml::AssigneeRole::lead;
                task.assignees.push_back(std::move(assignee));
            }
        }
        return found;
    }

    // Ends a lease: completes the item (stamped with the time) or gives it back.
    bool finish(WorkQueue queue, std::int64_t id, const std::string& owner, bool completes) {
        const char* operation = completes ? "complete" : "release";
        try {
            const long long key = id;
            const std::string at = now_utc();
            const std::string table = connector::to_string(queue);
            soci::statement statement(sql_);
            if (completes) {
                statement =
                    (sql_.prepare
                         << "UPDATE " + table +
                                " SET state = 'done', completed_at = :at, lease_owner = NULL, "
                                "lease_expires_at = NULL WHERE id = :id AND lease_owner = :owner "
                                "AND "
                                "state = 'pending'",
                     soci::use(at, "at"), soci::use(key, "id"), soci::use(owner, "owner"));
            } else {
                statement = (sql_.prepare << "UPDATE " + table +
                                                 " SET lease_owner = NULL, lease_expires_at = NULL "
                                                 "WHERE id = :id AND "
                                                 "lease_owner = :owner AND state = 'pending'",
                             soci::use(key, "id"), soci::use(owner, "owner"));
            }
            statement.execute(true);
            return statement.get_affected_rows() == 1;
        } catch (...) {
            note_failure();
            rethrow(std::string(operation) + " in " + connector::to_string(queue),
                    std::to_string(id));
        }
    }

    const Dialect& dialect_;
    soci::session sql_;
    std::optional<ChainHead> message_head_cache_;
    bool broken_ = false;
    MessageRow message_row_;
    struct HeadMove {
        std::string chain, from_hash, to_hash;
        long long from_sequence = 0, to_sequence = 0;
    } head_move_;
    // Prepared once, after sql_ so that they are destroyed first.
    std::unique_ptr<soci::statement> insert_statement_;
    std::unique_ptr<soci::statement> insert_moving_head_statement_;
    std::unique_ptr<soci::statement> move_head_statement_;
};

}  // namespace

int expected_schema_version() {
    // Both dialects carry the same number of migrations.
    return static_cast<int>(kSqlite.migrations.size());
}

std::unique_ptr<connector::Store> open_store(const std::string& url, Migrations migrations) {
    return std::make_unique<SociStore>(parse_url(url), migrations);
}

Connection connection_for(const std::string& url) {
    const Target target = parse_url(url);
    return {target.dialect->name, target.connect_string};
}

MigrationResult migrate(const std::string& url) {
    const Target target = parse_url(url);
    try {
        soci::session sql(target.dialect->factory(), target.connect_string);
        return apply_migrations(sql, *target.dialect);
    } catch (...) {
        rethrow("migrate", target.dialect->name);
    }
}

}  // namespace store
