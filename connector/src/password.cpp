#include "connector/password.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdexcept>
#include <vector>

#include "edxml/attachments.hpp"

namespace connector {
namespace {

constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;
constexpr const char* kScheme = "pbkdf2-sha256";

std::string derive(const std::string& password, const std::string& salt, int iterations) {
    std::string out(kHashBytes, '\0');
    if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                          reinterpret_cast<const unsigned char*>(salt.data()),
                          static_cast<int>(salt.size()), iterations, EVP_sha256(),
                          static_cast<int>(out.size()),
                          reinterpret_cast<unsigned char*>(out.data())) != 1)
        throw std::runtime_error("PBKDF2 failed");
    return out;
}

std::vector<std::string> split(const std::string& text, char separator) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (;;) {
        const std::size_t end = text.find(separator, start);
        parts.push_back(text.substr(start, end - start));
        if (end == std::string::npos)
            return parts;
        start = end + 1;
    }
}

}  // namespace

std::string password_problem(const std::string& password) {
    // Counted in characters (UTF-8 continuation bytes do not count): a Vietnamese
    // passphrase is as long as it looks.
    std::size_t characters = 0;
    for (const char c : password)
        characters += (static_cast<unsigned char>(c) & 0xc0) != 0x80;
    if (characters < kMinimumPasswordLength)
        return "the password must have at least " + std::to_string(kMinimumPasswordLength) +
               " characters";
    if (password.size() > kMaximumPasswordLength)
        return "the password must have at most " + std::to_string(kMaximumPasswordLength) +
               " bytes";
    if (password.find_first_of(std::string("\0\r\n", 3)) != std::string::npos)
        return "the password must not hold a NUL or a line break";
    return "";
}

std::string hash_password(const std::string& password, int iterations) {
    if (const std::string problem = password_problem(password); !problem.empty())
        throw std::invalid_argument(problem);
    if (iterations < kMinimumPasswordIterations)
        throw std::invalid_argument("at least " + std::to_string(kMinimumPasswordIterations) +
                                    " PBKDF2 iterations are required");
    std::string salt(kSaltBytes, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), static_cast<int>(salt.size())) !=
        1)
        throw std::runtime_error("no random bytes for a password salt");
    return std::string(kScheme) + "$" + std::to_string(iterations) + "$" +
           edxml::encode_base64(salt, 0) + "$" +
           edxml::encode_base64(derive(password, salt, iterations), 0);
}

bool password_matches(const std::string& password, const std::string& stored) {
    const auto parts = split(stored, '$');
    if (parts.size() != 4 || parts[0] != kScheme || parts[1].empty() || parts[1].size() > 9 ||
        parts[1].find_first_not_of("0123456789") != std::string::npos)
        return false;
    const int iterations = std::stoi(parts[1]);
    if (iterations < kMinimumPasswordIterations || password.size() > kMaximumPasswordLength)
        return false;
    std::string salt, expected;
    try {
        salt = edxml::decode_base64(parts[2]);
        expected = edxml::decode_base64(parts[3]);
    } catch (const std::exception&) {
        return false;
    }
    if (salt.size() < 8 || expected.size() != kHashBytes)
        return false;
    const std::string derived = derive(password, salt, iterations);
    return CRYPTO_memcmp(derived.data(), expected.data(), kHashBytes) == 0;
}

std::string generate_password() {
    static const char kAlphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    constexpr unsigned kSize = sizeof kAlphabet - 1;  // 57
    std::string password;
    while (password.size() < 20) {
        unsigned char byte = 0;
        if (RAND_bytes(&byte, 1) != 1)
            throw std::runtime_error("no random bytes for a password");
        if (byte < 256 - 256 % kSize)  // no bias towards the first letters
            password += kAlphabet[byte % kSize];
    }
    return password;
}

}  // namespace connector
