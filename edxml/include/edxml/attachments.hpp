// Attachment payloads (protocol.md §1.9): base64, SHA-256, and the VNPT library's habit
// of wrapping files in a single-entry zip.
#pragma once

#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edxml/model.hpp"

namespace edxml {

struct Base64Check {
    bool ok = false;
    std::uint64_t decoded_size = 0;
    std::string problem;  // what and at which character offset, when not ok
};

// Checks base64 (RFC 4648 alphabet, padding, ASCII whitespace allowed anywhere) and
// computes the decoded size without decoding.
Base64Check check_base64(std::string_view text);

// Decodes; throws Error(invalid_base64) naming the offending offset.
std::string decode_base64(std::string_view text);

// Encodes, wrapped at `line_length` characters per line (0: one line).
std::string encode_base64(std::string_view bytes, std::size_t line_length = 76);

std::string sha256_hex(std::string_view bytes);
// SHA-256 of bytes that arrive in pieces (a request body as it is read).
class Sha256Stream {
  public:
    Sha256Stream();
    void update(std::string_view bytes);
    std::string hex();  // lowercase; once, at the end

  private:
    std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> context_;
};
std::string lower_hex(const unsigned char* bytes, std::size_t length);
// Lowercase hex HMAC-SHA256 of `message` under `secret` (the axis headers, webhooks).
std::string hmac_sha256_hex(std::string_view secret, std::string_view message);

// A decoded attachment; throws Error(invalid_base64) or Error(attachment_too_large).
std::string decode_attachment(const Attachment& attachment,
                              std::size_t max_bytes = 48u * 1024u * 1024u);

// True when the payload is a zip that stands for another file: ContentType
// application/zip while the AttachmentName does not end in .zip.
bool is_zip_wrapped(const Attachment& attachment);

struct ZipEntry {
    std::string name;
    std::string bytes;
};

// Extracts the regular files of a zip archive held in memory. Refuses (Error
// attachment_too_large) archives whose entries would expand beyond `max_total_bytes`,
// and entry names that are absolute or climb out with "..".
std::vector<ZipEntry> extract_zip(std::string_view zip_bytes,
                                  std::size_t max_total_bytes = 256u * 1024u * 1024u);

// Builds an attachment (and its manifest reference) from raw bytes.
Attachment make_attachment(std::string_view content_id, std::string attachment_name,
                           std::string_view bytes, std::string content_type,
                           std::string description);
ManifestReference manifest_reference_for(const Attachment& attachment);

// Removes a leading "cid:" (any case) and surrounding whitespace/angle brackets.
std::string normalize_content_id(std::string_view content_id);

// A file name safe to create inside an output folder: the last path component, with
// control characters and separators replaced, at most 200 bytes; never empty, ".", or
// "..". The fallback is cleaned the same way.
std::string safe_file_name(std::string_view attachment_name, std::string_view fallback);

}  // namespace edxml
