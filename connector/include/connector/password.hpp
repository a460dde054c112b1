// Passwords of the people who log in to the pages: kept only as a slow, salted hash.
//
// PBKDF2-HMAC-SHA256 (OpenSSL), 600 000 iterations by default (OWASP's figure for this
// function), a 16-byte random salt, 32 bytes of output, stored as one text:
//   pbkdf2-sha256$<iterations>$<salt, base64>$<hash, base64>
// so that the iteration count can be raised later without invalidating stored hashes.
#pragma once

#include <string>

namespace connector {

constexpr int kPasswordIterations = 600000;
// A stored hash with fewer iterations than this is refused as too weak (or tampered).
constexpr int kMinimumPasswordIterations = 100000;
constexpr std::size_t kMinimumPasswordLength = 12;
constexpr std::size_t kMaximumPasswordLength = 1024;

// Why a password is not acceptable (too short, too long, a NUL or a line break in it),
// or empty when it is.
std::string password_problem(const std::string& password);

// The stored form of `password`; throws std::invalid_argument when password_problem says
// so. `iterations` below kMinimumPasswordIterations is refused.
std::string hash_password(const std::string& password, int iterations = kPasswordIterations);

// True when `password` is the one `stored` was made from; false for any other, and for a
// stored text that is not of the form above (never throws on bad input).
bool password_matches(const std::string& password, const std::string& stored);

// A new password of 20 characters from an alphabet without look-alikes (no 0/O, 1/l/I),
// from OpenSSL's random generator: about 113 bits.
std::string generate_password();

}  // namespace connector
