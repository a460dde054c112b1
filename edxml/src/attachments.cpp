#include "edxml/attachments.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <Poco/Zip/ZipArchive.h>
#include <Poco/Zip/ZipStream.h>

#include <array>
#include <cctype>
#include <istream>
#include <memory>
#include <optional>
#include <sstream>

#include "edxml/diagnostics.hpp"

namespace edxml {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// 0..63 for alphabet characters, 64 for '=', 65 for whitespace, 66 for anything else.
constexpr std::array<unsigned char, 256> make_decode_table() {
    std::array<unsigned char, 256> table{};
    for (auto& entry : table)
        entry = 66;
    for (int i = 0; i < 64; ++i)
        table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<unsigned char>(i);
    table['='] = 64;
    table[' '] = table['\t'] = table['\r'] = table['\n'] = 65;
    return table;
}
constexpr auto kDecode = make_decode_table();

// True when every byte is one of the 64 base64 symbols. Written as comparisons over
// fixed-size blocks so that the compiler vectorises it: attachments are megabytes, and
// this check runs on every package read.
bool all_base64_symbols(const unsigned char* bytes, std::size_t size) {
    auto is_symbol = [](unsigned char c) {
        return static_cast<unsigned char>(c - 'A') < 26 ||
               static_cast<unsigned char>(c - 'a') < 26 ||
               static_cast<unsigned char>(c - '/') < 11 ||
               c == '+';  // '/' and '0'..'9' are adjacent
    };
    constexpr std::size_t kBlock = 64;
    std::size_t i = 0;
    unsigned char bad = 0;
    for (; i + kBlock <= size; i += kBlock) {
        for (std::size_t j = 0; j < kBlock; ++j)
            bad |= static_cast<unsigned char>(!is_symbol(bytes[i + j]));
        if (bad)
            return false;
    }
    for (; i < size; ++i)
        bad |= static_cast<unsigned char>(!is_symbol(bytes[i]));
    return bad == 0;
}

// Walks the text once; calls `emit(byte)` for every decoded byte when decoding.
template <typename Emit>
Base64Check walk_base64(std::string_view text, Emit&& emit) {
    Base64Check result;
    unsigned quad[4];
    int filled = 0;
    int padding = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const unsigned char value = kDecode[static_cast<unsigned char>(text[i])];
        if (value == 65)
            continue;
        if (value == 66) {
            result.problem = "invalid base64 character at offset " + std::to_string(i);
            return result;
        }
        if (value == 64) {
            // Padding may only complete the last quad, in positions 3 and 4.
            if (filled < 2) {
                result.problem = "misplaced base64 padding at offset " + std::to_string(i);
                return result;
            }
            ++padding;
            quad[filled++] = 0;
        } else {
            if (padding > 0) {
                result.problem = "base64 data after padding at offset " + std::to_string(i);
                return result;
            }
            quad[filled++] = value;
        }
        if (filled == 4) {
            const unsigned bits = quad[0] << 18 | quad[1] << 12 | quad[2] << 6 | quad[3];
            const int bytes = 3 - padding;
            if (bytes >= 1)
                emit(static_cast<char>(bits >> 16 & 0xFF));
            if (bytes >= 2)
                emit(static_cast<char>(bits >> 8 & 0xFF));
            if (bytes >= 3)
                emit(static_cast<char>(bits & 0xFF));
            result.decoded_size += static_cast<std::uint64_t>(bytes);
            filled = 0;
            if (padding > 0)
                padding = 3;  // anything after a padded quad is an error
        }
    }
    if (filled != 0) {
        result.problem = "base64 data truncated: " + std::to_string(filled) +
                         " character(s) left over at the end";
        return result;
    }
    result.ok = true;
    return result;
}

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool ends_with(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

}  // namespace

Base64Check check_base64(std::string_view text) {
    // Fast path for what the reader hands over (whitespace already removed).
    if (text.size() % 4 == 0) {
        std::size_t body = text.size();
        std::size_t padding = 0;
        while (padding < 2 && body > 0 && text[body - 1] == '=') {
            --body;
            ++padding;
        }
        if (all_base64_symbols(reinterpret_cast<const unsigned char*>(text.data()), body)) {
            Base64Check result;
            result.ok = true;
            result.decoded_size = text.size() / 4 * 3 - padding;
            return result;
        }
    }
    // The slow walk accepts whitespace and names the first problem precisely.
    return walk_base64(text, [](char) {});
}

namespace {

// Decodes text without whitespace (what encode_base64 and the reader produce) a quad at a
// time into a string sized once; nothing when anything else is in it, for the slow walk
// to name. The message log's verification decodes every package: this is its hot loop.
std::optional<std::string> decode_plain_base64(std::string_view text) {
    if (text.size() % 4 != 0)
        return std::nullopt;
    std::size_t padding = 0;
    while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=')
        ++padding;
    const std::size_t body = text.size() - padding;
    if (padding > 0 && body % 4 < 2)
        return std::nullopt;
    std::string bytes(text.size() / 4 * 3 - padding, '\0');
    const auto* in = reinterpret_cast<const unsigned char*>(text.data());
    std::size_t out = 0, i = 0;
    for (; i + 4 <= body; i += 4) {
        const unsigned a = kDecode[in[i]], b = kDecode[in[i + 1]], c = kDecode[in[i + 2]],
                       d = kDecode[in[i + 3]];
        if ((a | b | c | d) >= 64)
            return std::nullopt;
        const unsigned bits = a << 18 | b << 12 | c << 6 | d;
        bytes[out++] = static_cast<char>(bits >> 16 & 0xFF);
        bytes[out++] = static_cast<char>(bits >> 8 & 0xFF);
        bytes[out++] = static_cast<char>(bits & 0xFF);
    }
    if (i < body) {  // two or three symbols before the padding
        const unsigned a = kDecode[in[i]], b = kDecode[in[i + 1]],
                       c = body - i == 3 ? kDecode[in[i + 2]] : 0;
        if ((a | b | c) >= 64)
            return std::nullopt;
        const unsigned bits = a << 18 | b << 12 | c << 6;
        bytes[out++] = static_cast<char>(bits >> 16 & 0xFF);
        if (body - i == 3)
            bytes[out++] = static_cast<char>(bits >> 8 & 0xFF);
    }
    return bytes;
}

}  // namespace

std::string decode_base64(std::string_view text) {
    if (std::optional<std::string> fast = decode_plain_base64(text))
        return std::move(*fast);
    std::string bytes;
    bytes.reserve(text.size() / 4 * 3);
    const Base64Check check = walk_base64(text, [&bytes](char byte) { bytes.push_back(byte); });
    if (!check.ok)
        throw Error(ErrorCode::invalid_base64, check.problem);
    return bytes;
}

std::string encode_base64(std::string_view bytes, std::size_t line_length) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4 +
                (line_length ? bytes.size() / line_length * 4 / 3 + 2 : 0));
    std::size_t column = 0;
    auto put = [&](char c) {
        if (line_length != 0 && column == line_length) {
            out.push_back('\n');
            column = 0;
        }
        out.push_back(c);
        ++column;
    };
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const unsigned bits = static_cast<unsigned char>(bytes[i]) << 16 |
                              static_cast<unsigned char>(bytes[i + 1]) << 8 |
                              static_cast<unsigned char>(bytes[i + 2]);
        put(kAlphabet[bits >> 18 & 63]);
        put(kAlphabet[bits >> 12 & 63]);
        put(kAlphabet[bits >> 6 & 63]);
        put(kAlphabet[bits & 63]);
    }
    const std::size_t rest = bytes.size() - i;
    if (rest > 0) {
        unsigned bits = static_cast<unsigned char>(bytes[i]) << 16;
        if (rest == 2)
            bits |= static_cast<unsigned char>(bytes[i + 1]) << 8;
        put(kAlphabet[bits >> 18 & 63]);
        put(kAlphabet[bits >> 12 & 63]);
        put(rest == 2 ? kAlphabet[bits >> 6 & 63] : '=');
        put('=');
    }
    return out;
}

std::string lower_hex(const unsigned char* bytes, std::size_t length) {
    static const char kHex[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(length * 2);
    for (std::size_t i = 0; i < length; ++i) {
        hex.push_back(kHex[bytes[i] >> 4]);
        hex.push_back(kHex[bytes[i] & 15]);
    }
    return hex;
}

Sha256Stream::Sha256Stream() : context_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
    if (!context_ || EVP_DigestInit_ex(context_.get(), EVP_sha256(), nullptr) != 1)
        throw Error(ErrorCode::io, "OpenSSL could not start SHA-256");
}

void Sha256Stream::update(std::string_view bytes) {
    if (EVP_DigestUpdate(context_.get(), bytes.data(), bytes.size()) != 1)
        throw Error(ErrorCode::io, "OpenSSL could not compute SHA-256");
}

std::string Sha256Stream::hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(context_.get(), digest, &length) != 1)
        throw Error(ErrorCode::io, "OpenSSL could not compute SHA-256");
    return lower_hex(digest, length);
}

std::string sha256_hex(std::string_view bytes) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
        throw Error(ErrorCode::io, "OpenSSL could not compute SHA-256");
    }
    return lower_hex(digest, length);
}

std::string hmac_sha256_hex(std::string_view secret, std::string_view message) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (!HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
              reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest,
              &length))
        throw Error(ErrorCode::io, "OpenSSL could not compute HMAC-SHA256");
    return lower_hex(digest, length);
}

std::string decode_attachment(const Attachment& attachment, std::size_t max_bytes) {
    const Base64Check check = check_base64(attachment.encoded);
    if (!check.ok) {
        throw Error(ErrorCode::invalid_base64,
                    "attachment '" + attachment.content_id + "': " + check.problem);
    }
    if (check.decoded_size > max_bytes) {
        throw Error(ErrorCode::attachment_too_large,
                    "attachment '" + attachment.content_id + "' decodes to " +
                        std::to_string(check.decoded_size) + " bytes, over the limit of " +
                        std::to_string(max_bytes));
    }
    return decode_base64(attachment.encoded);
}

bool is_zip_wrapped(const Attachment& attachment) {
    return lower(attachment.content_type) == "application/zip" &&
           !ends_with(lower(attachment.attachment_name), ".zip");
}

std::vector<ZipEntry> extract_zip(std::string_view zip_bytes, std::size_t max_total_bytes) {
    std::vector<ZipEntry> entries;
    try {
        // One copy of the archive serves the directory and every entry.
        std::istringstream archive_stream{std::string(zip_bytes)};
        Poco::Zip::ZipArchive archive(archive_stream);
        std::size_t total = 0;
        std::size_t count = 0;
        constexpr std::size_t kMaxEntries = 1000;
        for (auto it = archive.headerBegin(); it != archive.headerEnd(); ++it) {
            const Poco::Zip::ZipLocalFileHeader& header = it->second;
            if (header.isDirectory())
                continue;
            if (++count > kMaxEntries) {
                throw Error(ErrorCode::attachment_too_large,
                            "zip has more than " + std::to_string(kMaxEntries) + " entries");
            }
            const std::string& name = header.getFileName();
            if (name.empty() || name.front() == '/' || name.find("..") != std::string::npos) {
                throw Error(ErrorCode::invalid_value, "zip entry name '" + name + "' is unsafe");
            }
            // Declared sizes can lie: the limit is enforced on the bytes actually inflated.
            archive_stream.clear();
            Poco::Zip::ZipInputStream input(archive_stream, header, true);
            ZipEntry entry{name, {}};
            char buffer[8192];
            while (input.read(buffer, sizeof buffer) || input.gcount() > 0) {
                total += static_cast<std::size_t>(input.gcount());
                if (total > max_total_bytes) {
                    throw Error(ErrorCode::attachment_too_large,
                                "zip expands beyond " + std::to_string(max_total_bytes) + " bytes");
                }
                entry.bytes.append(buffer, static_cast<std::size_t>(input.gcount()));
            }
            entries.push_back(std::move(entry));
        }
    } catch (const Error&) {
        throw;
    } catch (const Poco::Exception& error) {
        throw Error(ErrorCode::invalid_value, "not a readable zip archive: " + error.displayText());
    } catch (const std::exception& error) {
        throw Error(ErrorCode::invalid_value,
                    std::string("not a readable zip archive: ") + error.what());
    }
    return entries;
}

Attachment make_attachment(std::string_view content_id, std::string attachment_name,
                           std::string_view bytes, std::string content_type,
                           std::string description) {
    Attachment attachment;
    attachment.content_id = normalize_content_id(content_id);
    attachment.attachment_name = std::move(attachment_name);
    attachment.content_type = std::move(content_type);
    attachment.description = std::move(description);
    attachment.encoded = encode_base64(bytes, 0);
    attachment.decoded_size = bytes.size();
    return attachment;
}

ManifestReference manifest_reference_for(const Attachment& attachment) {
    return ManifestReference{attachment.content_id, attachment.content_type, attachment.description,
                             attachment.attachment_name};
}

std::string normalize_content_id(std::string_view content_id) {
    auto is_trim = [](char c) {
        return std::isspace(static_cast<unsigned char>(c)) || c == '<' || c == '>';
    };
    while (!content_id.empty() && is_trim(content_id.front()))
        content_id.remove_prefix(1);
    while (!content_id.empty() && is_trim(content_id.back()))
        content_id.remove_suffix(1);
    if (content_id.size() >= 4 && lower(content_id.substr(0, 4)) == "cid:")
        content_id.remove_prefix(4);
    return std::string(content_id);
}

namespace {

// The last path component with separators, control characters and ':' replaced,
// shortened to a length every file system accepts (cut on a UTF-8 character boundary).
std::string clean_file_name(std::string_view raw) {
    const auto slash = raw.find_last_of("/\\");
    if (slash != std::string_view::npos)
        raw.remove_prefix(slash + 1);
    constexpr std::size_t kMaxNameBytes = 200;
    if (raw.size() > kMaxNameBytes) {
        std::size_t cut = kMaxNameBytes;
        while (cut > 0 && (static_cast<unsigned char>(raw[cut]) & 0xC0) == 0x80)
            --cut;
        raw = raw.substr(0, cut);
    }
    std::string name;
    for (char c : raw) {
        const auto byte = static_cast<unsigned char>(c);
        name.push_back(byte < 0x20 || byte == 0x7F || c == ':' ? '_' : c);
    }
    if (name == "." || name == "..")
        name.clear();
    if (!name.empty() && name.front() == '.')
        name.insert(0, "_");
    return name;
}

}  // namespace

std::string safe_file_name(std::string_view attachment_name, std::string_view fallback) {
    // The fallback (often a ContentId from the same hostile package) is cleaned the same way.
    std::string name = clean_file_name(attachment_name);
    if (name.empty())
        name = clean_file_name(fallback);
    return name.empty() ? "attachment.bin" : name;
}

}  // namespace edxml
