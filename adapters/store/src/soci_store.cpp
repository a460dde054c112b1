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
#include "soci_store_parts.hpp"

namespace store {

namespace migrations {
// Generated from adapters/store/migrations/<dialect>/*.sql at build time.
extern const std::string_view sqlite_0001;
extern const std::string_view sqlite_0002;
extern const std::string_view sqlite_0003;
extern const std::string_view sqlite_0004;
extern const std::string_view sqlite_0005;
extern const std::string_view sqlite_0006;
extern const std::string_view sqlite_0007;
extern const std::string_view sqlite_0008;
extern const std::string_view sqlite_0009;
extern const std::string_view sqlite_0010;
extern const std::string_view sqlite_0011;
extern const std::string_view sqlite_0012;
extern const std::string_view sqlite_0013;
extern const std::string_view sqlite_0014;
extern const std::string_view sqlite_0015;
extern const std::string_view sqlite_0016;
extern const std::string_view postgresql_0001;
extern const std::string_view postgresql_0002;
extern const std::string_view postgresql_0003;
extern const std::string_view postgresql_0004;
extern const std::string_view postgresql_0005;
extern const std::string_view postgresql_0006;
extern const std::string_view postgresql_0007;
extern const std::string_view postgresql_0008;
extern const std::string_view postgresql_0009;
extern const std::string_view postgresql_0010;
extern const std::string_view postgresql_0011;
extern const std::string_view postgresql_0012;
extern const std::string_view postgresql_0013;
extern const std::string_view postgresql_0014;
extern const std::string_view postgresql_0015;
extern const std::string_view postgresql_0016;
}  // namespace migrations

namespace detail {

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
    "OR lease_expires_at <= (CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER))) ORDER "
    "BY id LIMIT 1) "
    "RETURNING id, item_key, payload, attempts",
    nullptr,
    "(CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER))",
    {migrations::sqlite_0001, migrations::sqlite_0002, migrations::sqlite_0003,
     migrations::sqlite_0004, migrations::sqlite_0005, migrations::sqlite_0006,
     migrations::sqlite_0007, migrations::sqlite_0008, migrations::sqlite_0009,
     migrations::sqlite_0010, migrations::sqlite_0011, migrations::sqlite_0012,
     migrations::sqlite_0013, migrations::sqlite_0014, migrations::sqlite_0015,
     migrations::sqlite_0016},
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
    "OR lease_expires_at <= (floor(extract(epoch FROM clock_timestamp()) * 1000))::bigint) ORDER "
    "BY "
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
    "prev_hash, entry_hash, signer_agency, requested_by) SELECT :sequence, :direction, :kind, "
    ":business_type, "
    ":document_id, "
    ":knobstick_id, "
    ":from_agency, :to_agencies, :status_code, :subject, :raw_base64, :raw_sha256, :raw_size, "
    ":signature_verdict, "
    ":signer, :recorded_at, :prev_hash, :entry_hash, :signer_agency, :requested_by FROM head",
    "(floor(extract(epoch FROM clock_timestamp()) * 1000))::bigint",
    {migrations::postgresql_0001, migrations::postgresql_0002, migrations::postgresql_0003,
     migrations::postgresql_0004, migrations::postgresql_0005, migrations::postgresql_0006,
     migrations::postgresql_0007, migrations::postgresql_0008, migrations::postgresql_0009,
     migrations::postgresql_0010, migrations::postgresql_0011, migrations::postgresql_0012,
     migrations::postgresql_0013, migrations::postgresql_0014, migrations::postgresql_0015,
     migrations::postgresql_0016},
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
            add(percent_decoded(pair.substr(0, equals)), percent_decoded(pair.substr(equals + 1)));
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
        // 55P03: a lock not had within lock_timeout; 57014: a statement cancelled.
        if (state == "40001" || state == "40P01" || state.rfind("57P", 0) == 0 ||
            state.rfind("08", 0) == 0 || state == "53300" || state == "55P03" || state == "57014") {
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

// What a migration needs beyond SQL, in its transaction: 0008 fills the folded search
// text of the tasks stored before it (the folding is C++, the same for both stores).
static void after_migration(soci::session& sql, int version) {
    if (version != 8)
        return;
    std::vector<std::pair<std::string, std::string>> folded;  // code, text
    {
        soci::rowset<soci::row> rows =
            (sql.prepare << "SELECT task_code, title, content, source_document_id FROM tasks");
        for (const soci::row& row : rows) {
            connector::Task task;
            task.title = row.get<std::string>(1);
            task.content = row.get<std::string>(2);
            task.source_document_id = row.get<std::string>(3);
            folded.emplace_back(row.get<std::string>(0), connector::task_search_text(task));
        }
    }
    for (const auto& [code, text] : folded)
        sql << "UPDATE tasks SET search_text = :text WHERE task_code = :code",
            soci::use(text, "text"), soci::use(code, "code");
}

MigrationResult apply_migrations(soci::session& sql, const Dialect& dialect, int up_to_version) {
    MigrationResult result;
    result.from = current_version(sql);
    const int known = static_cast<int>(dialect.migrations.size());
    const int last = up_to_version > 0 ? std::min(up_to_version, known) : known;
    if (result.from > known) {
        throw connector::PermanentError("store: the database schema is at version " +
                                        std::to_string(result.from) +
                                        ", newer than this connector (version " +
                                        std::to_string(known) + "): run a newer connector");
    }
    // An empty database is set up in one transaction, so that no other process (a
    // command started beside the daemon) ever sees it half set up and takes it for an
    // older release; an upgrade goes a step per transaction, each kept once done.
    const bool setting_up = result.from == 0;
    for (int version = result.from + 1; version <= last;) {
        WriteTransaction transaction(sql, dialect);
        // Two daemons may start together: the version is read again under the write
        // lock (SQLite's BEGIN IMMEDIATE; an advisory lock on PostgreSQL, where a DDL
        // transaction takes no lock that would serialise them).
        if (&dialect == &kPostgresql) {
            // A migration waits for the locks it needs however long (the advisory lock of
            // a daemon migrating beside it, autovacuum on a catalog during ANALYZE): the
            // store's lock_timeout is for the daemon's units of work, not for this.
            sql << "SET LOCAL lock_timeout = 0";
            sql << "SELECT pg_advisory_xact_lock(7102016)";
        }
        version = std::max(version, current_version(sql) + 1);
        const int until = setting_up ? last : std::min(version, last);
        for (; version <= until; ++version) {
            for (const std::string& statement :
                 statements_of(dialect.migrations[static_cast<std::size_t>(version - 1)]))
                sql << statement;
            after_migration(sql, version);
            const std::string applied_at = now_utc();
            sql << "INSERT INTO schema_version (version, applied_at) VALUES (:v, :t)",
                soci::use(version), soci::use(applied_at);
        }
        transaction.commit();
    }
    result.to = std::max(result.from, last);
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

// A message_transport row: sequence, state, reason, knobstick, updated_at.
connector::TransportEntry transport_entry_from(const soci::row& row) {
    return {integer(row, 0), row.get<std::string>(1), row.get<std::string>(2),
            row.get<std::string>(3),
            connector::parse_utc_text(row.get<std::string>(4))
                .value_or(std::chrono::system_clock::time_point{})};
}

connector::AuditEntry audit_entry_from(const soci::row& row) {
    connector::AuditEntry entry;
    entry.sequence = integer(row, 0);
    entry.actor = row.get<std::string>(1);
    entry.action = row.get<std::string>(2);
    entry.target = row.get<std::string>(3);
    entry.detail = row.get<std::string>(4);
    entry.recorded_at = row.get<std::string>(5);
    entry.prev_hash = row.get<std::string>(6);
    entry.entry_hash = row.get<std::string>(7);
    return entry;
}

connector::TaskEvent task_event_from(const soci::row& row) {
    connector::TaskEvent event;
    event.id = integer(row, 0);
    event.task_code = row.get<std::string>(1);
    event.kind = row.get<std::string>(2);
    event.detail = row.get<std::string>(3);
    event.message_sequence = row.get_indicator(4) == soci::i_null ? 0 : integer(row, 4);
    event.recorded_at = row.get<std::string>(5);
    return event;
}

// A messages row selected with kMessageColumns, in that order.
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
    entry.requested_by = row.get<std::string>(19);
    return entry;
}

SociStore::SociStore(const Target& target, Migrations migrations)
    : dialect_(*target.dialect),
      lock_timeout_from_url_(target.connect_string.find("lock_timeout") != std::string::npos) {
    try {
        sql_.open(dialect_.factory(), target.connect_string);
        if (&dialect_ == &kSqlite) {
            sql_ << "PRAGMA journal_mode = WAL";
            sql_ << "PRAGMA synchronous = FULL";
            sql_ << "PRAGMA foreign_keys = ON";
        }
        apply_session_settings();
        if (migrations == Migrations::apply ||
            (migrations == Migrations::set_up_when_empty && current_version(sql_) == 0))
            apply_migrations(sql_, dialect_, 0);
        const int version = current_version(sql_);
        const int known = expected_schema_version();
        if (version != known) {
            throw connector::PermanentError(
                "store: the database schema is at version " + std::to_string(version) +
                ", this connector needs " + std::to_string(known) +
                (version < known ? ": back it up (`connector backup`), then run `connector "
                                   "migrate` or start with `connector run --migrate`"
                                 : ": run a newer connector"));
        }
    } catch (...) {
        note_failure();
        rethrow("open", dialect_.name);
    }
}

// Per connection, so again after a reconnect. A lock held too long (a writer that hangs
// with its transaction open) becomes a TransientError after 30 s, as SQLite's busy
// timeout does, instead of a wait without end; a URL may set its own PostgreSQL
// lock_timeout (`?options=-c%20lock_timeout%3D5s`).
void SociStore::apply_session_settings() {
    if (&dialect_ == &kSqlite)
        sql_ << "PRAGMA busy_timeout = 30000";
    else if (!lock_timeout_from_url_)
        sql_ << "SET lock_timeout = '30s'";
}

int SociStore::schema_version() {
    return guarded(
        "schema_version", [] { return std::string(); },
        [&]() -> int { return current_version(sql_); });
}

void SociStore::in_one_transaction(const std::function<void()>& work) {
    if (units_open_ > 0) {
        work();  // part of the unit already open
        return;
    }
    reconnect_if_broken();
    try {
        sql_ << dialect_.begin_write;
    } catch (...) {
        note_failure();
        rethrow("begin a unit of work", "");
    }
    const auto abandon = [this] {
        units_open_ = 0;
        message_head_cache_.reset();  // appends of the unit are undone with it
        try {
            sql_ << "ROLLBACK";
        } catch (...) {
            // gone with the connection, or ended by the failed COMMIT
        }
    };
    try {
        // The change feed's lock first, before any row lock (SociStore::lock_feed): units
        // of work on PostgreSQL take turns, as SQLite's BEGIN IMMEDIATE makes them, and
        // no two transactions ever wait for each other.
        lock_feed();
    } catch (...) {
        abandon();
        note_failure();
        rethrow("begin a unit of work", "");
    }
    units_open_ = 1;
    try {
        work();
    } catch (...) {
        abandon();
        throw;  // as `work` threw it: the store's calls have mapped their errors
    }
    try {
        sql_ << "COMMIT";
        units_open_ = 0;
    } catch (...) {
        abandon();
        note_failure();
        rethrow("commit a unit of work", "");
    }
}

void SociStore::reconnect_if_broken() {
    if (!broken_)
        return;
    // A unit of work cannot go on over a new connection: what it wrote went with the old
    // one. It fails as a whole, and is done again.
    if (units_open_ > 0)
        throw connector::TransientError(
            "store: the connection was lost inside a unit of work; it is undone");
    drop_prepared_statements();
    message_head_cache_.reset();
    try {
        sql_.reconnect();
        apply_session_settings();
    } catch (...) {
        rethrow("reconnect", dialect_.name);
    }
    broken_ = false;
}

}  // namespace detail

using namespace detail;

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

MigrationResult migrate(const std::string& url, int up_to_version) {
    const Target target = parse_url(url);
    try {
        soci::session sql(target.dialect->factory(), target.connect_string);
        return apply_migrations(sql, *target.dialect, up_to_version);
    } catch (...) {
        rethrow("migrate", target.dialect->name);
    }
}

}  // namespace store
