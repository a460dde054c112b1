// Evidence bundles (issue 16): what an auditor hands to someone who must be able to check,
// without our database or our daemon, that a message was received or sent as logged.
//
// A bundle is a zip of:
//   packages/message-<SEQ>.xml   the raw bytes, as received or sent
//   report.json, report.txt      what the log holds about each message, and how to check it
//   chain-proof.json             the log entries from the first message up to a signed
//                                checkpoint, with every field their hashes cover
//   checkpoint-signer.pem        the certificate that signed the checkpoint and manifest
//   manifest.json, manifest.sig  each file's SHA-256, signed (RSA-SHA256) by that key
// so that one changed byte anywhere is found: in a package by its hash in the chain, in
// the chain by its hashes and the checkpoint's signature, in the report by the manifest.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "connector/checkpoint.hpp"
#include "connector/store.hpp"
#include "edxml/signature.hpp"

namespace evidence {

// What a bundle is made from. `checkpointer` (may be null) signs a fresh checkpoint when
// none covers the messages yet; without it such an export is refused.
struct BundleSource {
    connector::Store& store;
    const edxml::SigningCredentials& signing;
    std::string signer_certificate_file;  // PEM of `signing`'s certificate
    std::string signer_chain_file;        // its intermediates (may be empty)
    connector::ChainCheckpointer* checkpointer = nullptr;
    std::string exported_by;  // "user:kiem-toan", "cli"
    std::chrono::system_clock::time_point now;
};

// A chain proof longer than this is refused (export fewer, or nearer, messages).
inline constexpr std::int64_t kMaxProofEntries = 200000;
// What a bundle may hold, uncompressed, before it is refused unread (a zip bomb).
inline constexpr std::uint64_t kMaxBundleBytes = 512ull * 1024 * 1024;
inline constexpr std::size_t kMaxBundleMessages = 100;

// The bundle (zip bytes) of `sequences` (1..kMaxBundleMessages, each a logged entry).
// Throws std::invalid_argument naming a sequence that is no entry, connector::Error when
// no checkpoint covers them and none can be made, or what the store throws.
std::string make_bundle(const BundleSource& source, std::vector<std::int64_t> sequences);

// What verify_bundle found: `intact` only when every check held; `problem` names the first
// that did not. `lines` say, one per check, what was checked.
struct BundleCheck {
    bool intact = false;
    std::string problem;
    std::vector<std::string> lines;
    // Per package: "message 12: signature valid (as logged: valid)".
    std::vector<std::string> packages;
    std::string xmlsec1_commands;  // how to check each package with the xmlsec1 tool
};

// Checks a bundle offline against the trust anchors in `trust_dir` (*.pem, *.crt): the
// manifest's signature by a certificate that chains to them, every file's hash, the chain
// proof up to its checkpoint and that checkpoint's signature, each package's hash in the
// chain, and each package's own signature (reported, with the verdict the log recorded).
BundleCheck verify_bundle(const std::string& zip_bytes, const std::string& trust_dir);

}  // namespace evidence
