// Signed checkpoints of the hash chains' heads (threat: whoever can write the database
// can rewrite a whole chain and its head, since the hashes have no key). The daemon signs
// where each chain stands with its signing key and appends that to a file outside the
// database; `connector audit verify-chain --checkpoints FILE` then catches a chain that
// was rewritten, truncated or extended since.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "connector/store.hpp"
#include "edxml/signature.hpp"

namespace connector {

// The bytes a checkpoint's signature covers.
std::string checkpoint_signed_text(const ChainCheckpoint& checkpoint);

// A checkpoint of `head`, signed now.
ChainCheckpoint make_checkpoint(const std::string& chain, const ChainHead& head,
                                const std::string& recorded_at,
                                const edxml::SigningCredentials& credentials);

// Whether the signature holds for the certificate in `certificate_pem_file` (whose
// fingerprint must also be the one the checkpoint names).
bool checkpoint_signature_holds(const ChainCheckpoint& checkpoint,
                                const std::string& certificate_pem_file);

// The position (0-based) of the first checkpoint whose signature does not hold for that
// certificate (checkpoint_signature_holds); nothing when every one holds.
std::optional<std::size_t> first_unsigned_checkpoint(
    const std::vector<ChainCheckpoint>& checkpoints, const std::string& certificate_pem_file);

// One line of the checkpoint file: "checkpoint-v1 TAB chain TAB sequence TAB hash TAB
// recorded_at TAB signer TAB signature".
std::string checkpoint_line(const ChainCheckpoint& checkpoint);
// Appends a line and syncs it to disk (the file is opened O_APPEND: several daemons may
// share it). Throws Error naming the file.
void append_checkpoint_file(const std::string& path, const ChainCheckpoint& checkpoint);
// Every checkpoint of the file, in order. Throws Error naming the file and line of a
// line that does not read.
std::vector<ChainCheckpoint> read_checkpoint_file(const std::string& path);

// Writes a checkpoint of each chain when it has grown by `every_entries` since the last
// one, or has grown at all and `every` has passed: into the file, then the store. It
// signs only a chain that still matches the file's last checkpoint and chains from there
// to the head, and will not start over when the file lost checkpoints the store has.
class ChainCheckpointer {
  public:
    ChainCheckpointer(std::shared_ptr<const edxml::SigningCredentials> credentials,
                      std::string file, std::int64_t every_entries, std::chrono::seconds every);
    // The checkpoints written by this call (none most of the time). `force`: whatever
    // grew since the last one (at stop). Throws what the store or the file throw.
    std::vector<ChainCheckpoint> maybe_checkpoint(Store& store,
                                                  std::chrono::system_clock::time_point now,
                                                  bool force = false);

  private:
    struct Last {
        std::int64_t sequence = -1;  // -1: not read yet in this run; 0: the empty chain
        std::string hash;
        std::chrono::system_clock::time_point at{};
    };
    // Throws PermanentError unless the chain still has `last`'s hash at its sequence and
    // every entry after it chains up to `head`.
    static void check_since(Store& store, const std::string& chain, const Last& last,
                            const ChainHead& head);
    std::shared_ptr<const edxml::SigningCredentials> credentials_;
    std::string file_;
    std::int64_t every_entries_;
    std::chrono::seconds every_;
    Last messages_, audit_;
};

}  // namespace connector
