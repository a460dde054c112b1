#include "database.hpp"

#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <filesystem>
#include <map>

namespace axis_sim {
namespace {

// BIGINT, not INTEGER: SOCI's SQLite backend describes INTEGER columns as 32-bit int.
constexpr const char* kSchema[] = {
    "CREATE TABLE IF NOT EXISTS knobsticks ("
    " id TEXT PRIMARY KEY, position BIGINT NOT NULL, sender_system TEXT NOT NULL,"
    " service_type TEXT NOT NULL, message_type TEXT NOT NULL, from_code TEXT NOT NULL,"
    " to_header TEXT NOT NULL, document_id TEXT NOT NULL, title TEXT NOT NULL,"
    " notation TEXT NOT NULL, sha256 TEXT NOT NULL, created BIGINT NOT NULL,"
    " content BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS receivers ("
    " doc_id TEXT PRIMARY KEY, knobstick_id TEXT NOT NULL REFERENCES knobsticks(id),"
    " position BIGINT NOT NULL, to_code TEXT NOT NULL, state TEXT NOT NULL,"
    " updated BIGINT NOT NULL, received BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS registered_agencies ("
    " position INTEGER PRIMARY KEY AUTOINCREMENT, systemid TEXT NOT NULL, id TEXT NOT NULL,"
    " pid TEXT NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL, mail TEXT NOT NULL,"
    " mobile TEXT NOT NULL, fax TEXT NOT NULL, old_code TEXT NOT NULL,"
    " code_qd20 TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS deleted_agencies (code TEXT PRIMARY KEY)",
};

}  // namespace

namespace {

// SQLite makes the file but not its folder.
const std::string& with_folder(const std::string& path) {
    const auto folder = std::filesystem::path(path).parent_path();
    if (!folder.empty())
        std::filesystem::create_directories(folder);
    return path;
}

}  // namespace

Database::Database(const std::string& path)
    : sql_(std::make_unique<soci::session>(*soci::factory_sqlite3(),
                                           "db=\"" + with_folder(path) + "\" timeout=10")) {
    for (const char* statement : kSchema)
        *sql_ << statement;
}

Database::~Database() = default;

Database::Contents Database::load() {
    Contents contents;
    std::map<std::string, std::size_t> by_id;
    {
        soci::rowset<soci::row> rows =
            (sql_->prepare << "SELECT id, sender_system, service_type, message_type, from_code,"
                              " to_header, document_id, title, notation, sha256, created,"
                              " position FROM knobsticks ORDER BY position");
        for (const soci::row& row : rows) {
            Knobstick knobstick;
            knobstick.id = row.get<std::string>(0);
            knobstick.sender_system = row.get<std::string>(1);
            knobstick.service_type = row.get<std::string>(2);
            knobstick.message_type = row.get<std::string>(3);
            knobstick.from = row.get<std::string>(4);
            knobstick.to_header = row.get<std::string>(5);
            knobstick.document_id = row.get<std::string>(6);
            knobstick.title = row.get<std::string>(7);
            knobstick.notation = row.get<std::string>(8);
            knobstick.sha256 = row.get<std::string>(9);
            knobstick.created = row.get<long long>(10);
            knobstick.sequence = row.get<long long>(11);
            by_id[knobstick.id] = contents.knobsticks.size();
            contents.knobsticks.push_back(std::move(knobstick));
        }
    }
    for (Knobstick& knobstick : contents.knobsticks) {
        soci::blob blob(*sql_);
        *sql_ << "SELECT content FROM knobsticks WHERE id = :id", soci::use(knobstick.id),
            soci::into(blob);
        std::string bytes(blob.get_len(), '\0');
        if (!bytes.empty())
            blob.read(0, bytes.data(), bytes.size());
        knobstick.content = std::make_shared<const std::string>(std::move(bytes));
    }
    {
        soci::rowset<soci::row> rows =
            (sql_->prepare << "SELECT doc_id, knobstick_id, position, to_code, state, updated,"
                              " received FROM receivers ORDER BY position");
        for (const soci::row& row : rows) {
            const auto owner = by_id.find(row.get<std::string>(1));
            if (owner == by_id.end())
                continue;
            Receiver receiver;
            receiver.doc_id = row.get<std::string>(0);
            receiver.sequence = row.get<long long>(2);
            receiver.to = row.get<std::string>(3);
            receiver.state = row.get<std::string>(4);
            receiver.updated = row.get<long long>(5);
            receiver.received = row.get<long long>(6);
            contents.knobsticks[owner->second].receivers.push_back(std::move(receiver));
        }
    }
    {
        soci::rowset<soci::row> rows =
            (sql_->prepare << "SELECT systemid, id, pid, code, name, mail, mobile, fax, old_code,"
                              " code_qd20 FROM registered_agencies ORDER BY position");
        for (const soci::row& row : rows) {
            StoredAgency stored;
            stored.systemid = row.get<std::string>(0);
            stored.agency = {
                row.get<std::string>(1), row.get<std::string>(2), row.get<std::string>(3),
                row.get<std::string>(4), row.get<std::string>(5), row.get<std::string>(6),
                row.get<std::string>(7), row.get<std::string>(8), row.get<std::string>(9)};
            contents.registered.push_back(std::move(stored));
        }
    }
    {
        soci::rowset<std::string> rows = (sql_->prepare << "SELECT code FROM deleted_agencies");
        for (const std::string& code : rows)
            contents.deleted_codes.push_back(code);
    }
    return contents;
}

void Database::insert_knobstick(const Knobstick& knobstick) {
    soci::transaction transaction(*sql_);
    soci::blob blob(*sql_);
    if (!knobstick.content->empty())
        blob.write(0, knobstick.content->data(), knobstick.content->size());
    const long long position = knobstick.sequence;
    const long long created = knobstick.created;
    *sql_ << "INSERT INTO knobsticks (id, position, sender_system, service_type, message_type,"
             " from_code, to_header, document_id, title, notation, sha256, created, content)"
             " VALUES (:id, :position, :sender_system, :service_type, :message_type, :from_code,"
             " :to_header, :document_id, :title, :notation, :sha256, :created, :content)",
        soci::use(knobstick.id), soci::use(position), soci::use(knobstick.sender_system),
        soci::use(knobstick.service_type), soci::use(knobstick.message_type),
        soci::use(knobstick.from), soci::use(knobstick.to_header), soci::use(knobstick.document_id),
        soci::use(knobstick.title), soci::use(knobstick.notation), soci::use(knobstick.sha256),
        soci::use(created), soci::use(blob);
    for (const Receiver& receiver : knobstick.receivers) {
        const long long sequence = receiver.sequence;
        const long long updated = receiver.updated;
        const long long received = receiver.received;
        *sql_ << "INSERT INTO receivers (doc_id, knobstick_id, position, to_code, state, updated,"
                 " received) VALUES (:doc_id, :knobstick_id, :position, :to_code, :state,"
                 " :updated, :received)",
            soci::use(receiver.doc_id), soci::use(knobstick.id), soci::use(sequence),
            soci::use(receiver.to), soci::use(receiver.state), soci::use(updated),
            soci::use(received);
    }
    transaction.commit();
}

void Database::update_receiver(const Receiver& receiver) {
    soci::transaction transaction(*sql_);
    const long long updated = receiver.updated;
    const long long received = receiver.received;
    *sql_ << "UPDATE receivers SET state = :state, updated = :updated, received = :received"
             " WHERE doc_id = :doc_id",
        soci::use(receiver.state), soci::use(updated), soci::use(received),
        soci::use(receiver.doc_id);
    transaction.commit();
}

void Database::insert_agency(const StoredAgency& stored) {
    soci::transaction transaction(*sql_);
    const AgencyConfig& agency = stored.agency;
    *sql_ << "INSERT INTO registered_agencies (systemid, id, pid, code, name, mail, mobile, fax,"
             " old_code, code_qd20) VALUES (:systemid, :id, :pid, :code, :name, :mail, :mobile,"
             " :fax, :old_code, :code_qd20)",
        soci::use(stored.systemid), soci::use(agency.id), soci::use(agency.pid),
        soci::use(agency.code), soci::use(agency.name), soci::use(agency.mail),
        soci::use(agency.mobile), soci::use(agency.fax), soci::use(agency.old_code),
        soci::use(agency.code_qd20);
    transaction.commit();
}

void Database::delete_agency(const std::string& code) {
    soci::transaction transaction(*sql_);
    *sql_ << "DELETE FROM registered_agencies WHERE code = :code", soci::use(code);
    // Remembered even for a registered code: a config agency of that code stays deleted.
    *sql_ << "INSERT OR IGNORE INTO deleted_agencies (code) VALUES (:code)", soci::use(code);
    transaction.commit();
}

void Database::clear() {
    soci::transaction transaction(*sql_);
    *sql_ << "DELETE FROM receivers";
    *sql_ << "DELETE FROM knobsticks";
    *sql_ << "DELETE FROM registered_agencies";
    *sql_ << "DELETE FROM deleted_agencies";
    transaction.commit();
}

}  // namespace axis_sim
