#include "connector/checkpoint.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include "connector/error.hpp"
#include "edxml/attachments.hpp"

namespace connector {

std::string checkpoint_signed_text(const ChainCheckpoint& checkpoint) {
    return "edxml-connector chain checkpoint v1\n" + checkpoint.chain + "\n" +
           std::to_string(checkpoint.sequence) + "\n" + checkpoint.hash + "\n" +
           checkpoint.recorded_at + "\n" + checkpoint.signer + "\n";
}

ChainCheckpoint make_checkpoint(const std::string& chain, const ChainHead& head,
                                const std::string& recorded_at,
                                const edxml::SigningCredentials& credentials) {
    ChainCheckpoint checkpoint;
    checkpoint.chain = chain;
    checkpoint.sequence = head.sequence;
    checkpoint.hash = head.hash;
    checkpoint.recorded_at = recorded_at;
    checkpoint.signer = credentials.fingerprint();
    checkpoint.signature = edxml::sign_detached(credentials, checkpoint_signed_text(checkpoint));
    return checkpoint;
}

bool checkpoint_signature_holds(const ChainCheckpoint& checkpoint,
                                const std::string& certificate_pem_file) {
    return edxml::certificate_fingerprint(certificate_pem_file) == checkpoint.signer &&
           edxml::verify_detached(certificate_pem_file, checkpoint_signed_text(checkpoint),
                                  checkpoint.signature);
}

std::optional<std::size_t> first_unsigned_checkpoint(
    const std::vector<ChainCheckpoint>& checkpoints, const std::string& certificate_pem_file) {
    for (std::size_t i = 0; i < checkpoints.size(); ++i) {
        if (!checkpoint_signature_holds(checkpoints[i], certificate_pem_file))
            return i;
    }
    return std::nullopt;
}

std::string checkpoint_line(const ChainCheckpoint& checkpoint) {
    return "checkpoint-v1\t" + checkpoint.chain + "\t" + std::to_string(checkpoint.sequence) +
           "\t" + checkpoint.hash + "\t" + checkpoint.recorded_at + "\t" + checkpoint.signer +
           "\t" + checkpoint.signature + "\n";
}

void append_checkpoint_file(const std::string& path, const ChainCheckpoint& checkpoint) {
    const std::string line = checkpoint_line(checkpoint);
    const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
        throw PermanentError("audit.checkpoint_file " + path + ": " + std::strerror(errno));
    // One write of one line: appends from several daemons do not interleave.
    const ssize_t written = ::write(fd, line.data(), line.size());
    const int write_error = errno;
    const bool synced = ::fsync(fd) == 0;
    ::close(fd);
    if (written != static_cast<ssize_t>(line.size()) || !synced)
        throw PermanentError("audit.checkpoint_file " + path + ": " +
                             std::strerror(written < 0 ? write_error : errno));
}

std::vector<ChainCheckpoint> read_checkpoint_file(const std::string& path) {
    std::ifstream file(path);
    if (!file)
        throw PermanentError("checkpoint file " + path + ": cannot be read");
    std::vector<ChainCheckpoint> checkpoints;
    std::string line;
    for (int number = 1; std::getline(file, line); ++number) {
        if (line.empty())
            continue;
        std::vector<std::string> fields;
        std::istringstream parts(line);
        for (std::string field; std::getline(parts, field, '\t');)
            fields.push_back(field);
        const std::string where = path + ":" + std::to_string(number);
        if (fields.size() != 7 || fields[0] != "checkpoint-v1" ||
            (fields[1] != "messages" && fields[1] != "audit_events") || fields[2].empty() ||
            fields[2].find_first_not_of("0123456789") != std::string::npos ||
            fields[2].size() > 18 || fields[3].size() != 64)
            throw PermanentError(where +
                                 ": not a checkpoint line (checkpoint-v1, chain, "
                                 "sequence, hash, time, signer, signature)");
        checkpoints.push_back(
            {fields[1], std::stoll(fields[2]), fields[3], fields[4], fields[5], fields[6]});
    }
    return checkpoints;
}

ChainCheckpointer::ChainCheckpointer(std::shared_ptr<const edxml::SigningCredentials> credentials,
                                     std::string file, std::int64_t every_entries,
                                     std::chrono::seconds every)
    : credentials_(std::move(credentials)),
      file_(std::move(file)),
      every_entries_(every_entries),
      every_(every) {}

void ChainCheckpointer::check_since(Store& store, const std::string& chain, const Last& last,
                                    const ChainHead& head) {
    const auto refuse = [&](std::int64_t sequence, const std::string& problem) {
        throw PermanentError("audit checkpoint of " + chain + " refused at entry " +
                             std::to_string(sequence) + ": " + problem +
                             " (connector audit verify-chain --checkpoints says more)");
    };
    std::string previous = last.hash;
    std::int64_t reached = last.sequence;
    // True while the entry is at or below the head; refuses what does not chain.
    const auto check = [&](const auto& entry) {
        if (entry.sequence > head.sequence)
            return false;
        if (entry.sequence == last.sequence) {
            if (entry.entry_hash != last.hash)
                refuse(entry.sequence, "it differs from the last checkpoint");
            return true;
        }
        if (entry.sequence != reached + 1 || entry.prev_hash != previous ||
            chain_hash(previous, entry) != entry.entry_hash)
            refuse(entry.sequence, "it does not chain to the entries before it");
        previous = entry.entry_hash;
        reached = entry.sequence;
        return true;
    };
    constexpr std::size_t kPage = 100;  // entries carry their raw bytes
    for (std::int64_t after = std::max<std::int64_t>(0, last.sequence - 1);;) {
        std::size_t read = 0;
        bool past_head = false;
        if (chain == "messages") {
            const auto page = store.messages(after, kPage);
            read = page.size();
            for (const MessageEntry& entry : page) {
                if ((past_head = !check(entry)))
                    break;
                if (edxml::sha256_hex(entry.raw) != entry.raw_sha256)
                    refuse(entry.sequence, "its bytes do not match their SHA-256");
                after = entry.sequence;
            }
        } else {
            const auto page = store.audit_entries(after, kPage);
            read = page.size();
            for (const AuditEntry& entry : page) {
                if ((past_head = !check(entry)))
                    break;
                after = entry.sequence;
            }
        }
        if (past_head || read < kPage || after >= head.sequence)
            break;
    }
    if (reached != head.sequence || previous != head.hash)
        refuse(reached + 1, "the entries do not reach the head");
}

std::vector<ChainCheckpoint> ChainCheckpointer::maybe_checkpoint(
    Store& store, std::chrono::system_clock::time_point now, bool force) {
    std::vector<ChainCheckpoint> written;
    const auto one = [&](const char* chain, const ChainHead& head, Last& last) {
        if (last.sequence < 0) {
            // First look in this run: where the file (outside the database) says the
            // chain stood last. A store with checkpoints that the file lacks means the
            // file was removed or replaced: signing on would bless whatever the database
            // holds now.
            std::optional<ChainCheckpoint> in_file;
            if (std::ifstream(file_).good()) {
                for (ChainCheckpoint& checkpoint : read_checkpoint_file(file_)) {
                    if (checkpoint.chain == chain)
                        in_file = std::move(checkpoint);
                }
            }
            const auto in_store = store.checkpoints(chain);
            if (!in_file && !in_store.empty())
                throw PermanentError("audit.checkpoint_file " + file_ + " holds no checkpoint of " +
                                     chain + " but the store has " +
                                     std::to_string(in_store.size()) +
                                     ": the file was removed or replaced; restore it");
            last.sequence = in_file ? in_file->sequence : 0;
            last.hash = in_file ? in_file->hash : kGenesisHash;
            last.at = now;
        }
        const bool grew = head.sequence > last.sequence;
        if (!grew ||
            (!force && head.sequence - last.sequence < every_entries_ && now - last.at < every_))
            return;
        // Only a chain that still holds from the last checkpoint on is signed: a rewrite
        // below it, or a tail that does not chain, stops the daemon instead.
        check_since(store, chain, last, head);
        const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
        std::tm parts{};
        gmtime_r(&seconds, &parts);
        char time_text[32];
        std::strftime(time_text, sizeof time_text, "%Y-%m-%dT%H:%M:%SZ", &parts);
        ChainCheckpoint checkpoint = make_checkpoint(chain, head, time_text, *credentials_);
        // The file first: it is the copy an intruder in the database cannot reach.
        append_checkpoint_file(file_, checkpoint);
        store.append_checkpoint(checkpoint);
        last.sequence = head.sequence;
        last.hash = head.hash;
        last.at = now;
        written.push_back(std::move(checkpoint));
    };
    one("messages", store.message_head(), messages_);
    one("audit_events", store.audit_head(), audit_);
    return written;
}

}  // namespace connector
